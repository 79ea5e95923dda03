//! Launching a task: its environment made (or found, or started again), then its agent host
//! started under the `tasks` supervisor with its own restart budget, and what was held for
//! the host handed over first. A Docker task's agent starts only once its container is seen
//! to reach plinth (`super::reach`). The outcome comes back to the service as
//! [`Launched`].

use std::collections::VecDeque;

use actix::AsyncContext;
use plinth_kernel::{ChildSpec, Ctx, Restart};

use super::agent_hosts::agent_host_name;
use super::protocol::Launched;
use super::reach::docker_endpoints;
use super::record::Task;
use super::restart_budget;
use super::state::{TaskService, TaskServiceDeps};
use crate::agent_host::{AgentSpec, Deliver, TaskSpec};
use crate::config::PermissionMode;
use crate::environments::{
    CreateEnvironment, Environment, EnvironmentError, GetEnvironment, StartEnvironment,
};
use crate::limits::LAUNCH_TICK;
use crate::task_inputs::Sandbox;

impl TaskService {
    /// Makes the task's environment (or finds it again) and starts its agent host, in the
    /// background; the outcome comes back as [`Launched`].
    pub(super) fn launch(&mut self, task: Task, ctx: &mut Ctx<'_, Self>) {
        let deps = self.deps.clone();
        let addr = ctx.actix().address();
        ctx.actix().spawn(actix::fut::wrap_future(async move {
            let id = task.id.clone();
            let result = launch(&deps, &task).await;
            addr.do_send(Launched { task: id, result });
        }));
    }
}

/// Launches `task` unless its agent host runs: its environment, then its agent host, then
/// what was held for the host, handed over before the host is registered.
async fn launch(deps: &TaskServiceDeps, task: &Task) -> Result<(), String> {
    if deps.running.contains(&task.id) {
        return Ok(());
    }
    let found = deps
        .environments
        .send(GetEnvironment {
            task: task.id.clone(),
        })
        .await
        .map_err(|e| e.to_string())?;
    let environment = match found {
        Some(environment) => environment,
        None => start_or_create_environment(deps, task).await?,
    };
    let catalog = deps.catalog.clone();
    let agent = task.inputs.agent.clone();
    // Compiling a component (or reading it from the cache) is blocking work.
    let adapter = tokio::task::spawn_blocking(move || catalog.load(&agent))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("cannot load the agent {:?}: {e}", task.inputs.agent))?;
    let spec = AgentSpec {
        task: TaskSpec {
            id: task.id.clone(),
            prompt: task.inputs.prompt.clone(),
            branch: task.branch.clone(),
            env: agent_env(deps, task, &environment).await?,
        },
        adapter,
        sandbox: environment.sandbox,
        store: deps.store.clone(),
        tick: LAUNCH_TICK,
        // A task resumed while its agent works, idles or waits has started already.
        start_deadline: matches!(task.agent_status.as_deref(), None | Some("starting"))
            .then_some(deps.start_deadline),
    };
    let (child, host) = ChildSpec::actor(
        agent_host_name(&task.id),
        "agent-host",
        Restart::Transient,
        spec.factory(),
    );
    let mut child = child.with_budget(deps.restart_budget);
    let down = child.monitor();
    deps.hosts
        .start_child(child)
        .await
        .map_err(|e| e.to_string())?;
    restart_budget::watch(
        deps.running.clone(),
        deps.store.clone(),
        task.id.clone(),
        down,
    );
    // What arrived for the task while its host was on its way goes first, in order.
    let mut held = VecDeque::new();
    loop {
        for signal in held {
            if let Err(err) = host.send(Deliver(signal)).await {
                tracing::warn!(task = %task.id, %err, "a signal held for the agent host was lost");
            }
        }
        match deps.running.register(&task.id, host.clone()) {
            Ok(()) => return Ok(()),
            Err(more) => held = more,
        }
    }
}

/// What the task's agent gets in its environment: where and how it reaches plinth (a
/// Docker task only once its container is seen to reach it), and whether it may skip
/// asking for permissions or which permission mode it starts in.
async fn agent_env(
    deps: &TaskServiceDeps,
    task: &Task,
    environment: &Environment,
) -> Result<Vec<(String, String)>, String> {
    let endpoints = match task.inputs.sandbox {
        Sandbox::Docker => docker_endpoints(deps, &task.id, environment)
            .await
            .map_err(|e| e.to_string())?,
        Sandbox::Local => deps.endpoints.clone(),
    };
    let mut env = endpoints.env_for(task.inputs.sandbox, &task.id, &deps.keys);
    if deps.skip_permissions {
        env.push(("PLINTH_SKIP_PERMISSIONS".into(), "1".into()));
    } else if deps.permission_mode != PermissionMode::Agent {
        env.push((
            "PLINTH_PERMISSION_MODE".into(),
            deps.permission_mode.to_string(),
        ));
    }
    // Exec-policy rules the Codex adapter writes for its CLI, from plinth's own
    // environment: how a test makes Codex ask before a command (docs/adapters.md, "Codex").
    if let Ok(rules) = std::env::var("PLINTH_CODEX_RULES") {
        env.push(("PLINTH_CODEX_RULES".into(), rules));
    }
    Ok(env)
}

/// The task's environment running: the one it has, started again (its container stopped
/// while plinth was down, with the machine, say: what the agent did is in it), or a new one
/// when it has none yet.
async fn start_or_create_environment(
    deps: &TaskServiceDeps,
    task: &Task,
) -> Result<Environment, String> {
    let started = deps
        .environments
        .send(StartEnvironment {
            task: task.id.clone(),
        })
        .await
        .map_err(|e| e.to_string())?;
    match started {
        Ok(environment) => return Ok(environment),
        Err(EnvironmentError::Unknown(_)) => {}
        Err(err) => return Err(format!("cannot start its environment again: {err}")),
    }
    deps.environments
        .send(CreateEnvironment {
            task: task.id.clone(),
            project_path: task.project_path.clone(),
            base_branch: task.base_branch.clone(),
            sandbox: task.inputs.sandbox,
            include_uncommitted: task.inputs.include_uncommitted,
            agent: task.inputs.agent.clone(),
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}
