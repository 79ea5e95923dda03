//! The server's supervision tree: the project service, the environment manager, the
//! `tasks` supervisor the tasks' agent hosts run under, and the task service; the root's
//! restart intensity decides when the server gives up.

use std::sync::Arc;

use plinth_actors::agents::AgentCatalog;
use plinth_actors::config::Config;
use plinth_actors::environments::{EnvironmentManager, ManagerSettings};
use plinth_actors::projects::ProjectService;
use plinth_actors::spend::SpendBook;
use plinth_actors::tasks::restart_budget;
use plinth_actors::tasks::{GatewayListener, TaskKeys, TaskService, TaskServiceDeps};
use plinth_kernel::{
    ActorState, ChildRef, ChildSpec, ProbeReading, Registry, Restart, Strategy, SupervisorSpec,
};
use plinth_store::Store;

use crate::home::Home;
use crate::limits::{ROOT_BACKOFF, ROOT_INTENSITY, TASKS_BACKOFF, TASKS_INTENSITY};
use crate::sandbox_api::listener::SandboxListeners;

pub struct Tree {
    pub spec: SupervisorSpec,
    pub projects: ChildRef<ProjectService>,
    pub environments: ChildRef<EnvironmentManager>,
    pub tasks: ChildRef<TaskService>,
}

/// What the task service shares with the sandboxes' API: the tokens it gives tasks, and
/// the book of their spend that the model proxy writes in.
pub struct SharedWithSandboxes {
    pub keys: TaskKeys,
    pub spend: SpendBook,
}

pub fn build(
    store: &Store,
    registry: &Arc<Registry>,
    home: &Home,
    config: &Config,
    catalog: AgentCatalog,
    shared: SharedWithSandboxes,
    sandbox: &SandboxListeners,
) -> Tree {
    let SharedWithSandboxes { keys, spend } = shared;
    let gateways: Arc<dyn GatewayListener> = sandbox.gateways.clone();
    // The store's writer is a thread, not an actor; it still belongs in the inspector.
    let probe_store = store.clone();
    registry.register_probe("store", "store-writer", None, move || {
        let stats = probe_store.writer_stats();
        ProbeReading {
            state: if stats.last_error.is_some() {
                ActorState::Failed
            } else {
                ActorState::Running
            },
            mailbox: stats.queued,
            handled: stats.written,
            last_error: stats.last_error,
        }
    });

    let project_store = store.clone();
    let (projects_spec, projects) = ChildSpec::actor(
        "projects",
        "project-service",
        Restart::Permanent,
        move || Ok(ProjectService::new(project_store.clone())),
    );
    let environment_store = store.clone();
    let settings = ManagerSettings {
        home: home.root().to_path_buf(),
        config: config.clone(),
        labels: Vec::new(),
    };
    // A Docker daemon that is down does not fail the start (local mode still works); a
    // store that cannot be read does, and the supervisor retries it.
    let (environments_spec, environments) = ChildSpec::actor(
        "environments",
        "environment-manager",
        Restart::Permanent,
        move || {
            EnvironmentManager::start(environment_store.clone(), settings.clone())
                .map_err(|e| e.to_string())
        },
    );
    // Agent hosts come and go with their tasks. Each has a restart budget of its own (see
    // `restart_budget`): its failures are its task's business, restart only it, and never
    // count against this supervisor's intensity, so no number of crash-looping agents makes
    // it give up. The intensity is for children without a budget (there are none today).
    let (hosts_spec, hosts) = ChildSpec::supervisor(
        "tasks",
        Restart::Permanent,
        SupervisorSpec {
            strategy: Strategy::OneForOne,
            intensity: TASKS_INTENSITY,
            backoff: TASKS_BACKOFF,
            children: Vec::new(),
        },
    );
    let deps = TaskServiceDeps::new(
        store.clone(),
        environments.clone(),
        catalog,
        hosts,
        keys,
        sandbox.endpoints.clone(),
    )
    .with_gateway_listener(gateways)
    .with_spend_book(spend)
    .with_notify_command(config.tasks.notify_command.clone())
    .with_skip_permissions(config.tasks.skip_permissions)
    .with_permission_mode(config.tasks.permission_mode)
    .with_start_deadline(config.tasks.start_deadline())
    .with_restart_budget(restart_budget::budget(&config.tasks));
    let (tasks_spec, tasks) = ChildSpec::actor(
        "task-service",
        "task-service",
        Restart::Permanent,
        move || TaskService::start(deps.clone()).map_err(|e| e.to_string()),
    );
    Tree {
        spec: SupervisorSpec {
            strategy: Strategy::OneForOne,
            intensity: ROOT_INTENSITY,
            backoff: ROOT_BACKOFF,
            children: vec![projects_spec, environments_spec, hosts_spec, tasks_spec],
        },
        projects,
        environments,
        tasks,
    }
}
