//! The TaskService: the one actor that makes, lists, stops and follows tasks. Each task's
//! agent runs as its own supervised actor (an [`AgentHost`] named `task-<id>` under the
//! `tasks` supervisor); the service keeps every task's record in the store and follows the
//! agents' `task.status` events into it, from a named cursor, so a restarted server loses
//! none and resumes every task that was running.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use actix::{AsyncContext, Message, ResponseFuture};
use chrono::Utc;
use futures::StreamExt;
use plinth_kernel::{
    Child, ChildRef, ChildSpec, Ctx, Handle, Restart, RestartBudget, SupervisorRef,
};
use plinth_store::{EventFilter, NewEvent, Store, StoreError, Versioned};
use plinth_wasm::wit::Signal;

use super::endpoints::{GatewayListener, SandboxEndpoints};
use super::hosts::Hosts;
use super::id::{random_suffix, task_id};
use super::keys::TaskKeys;
use super::notify;
use super::record::{self, Lifecycle, Task, TaskRecord};
use super::restart_budget;
use super::wake::{self, Wakes};
use crate::agent_host::{AgentHost, AgentSpec, Deliver, StopAgent, TaskSpec};
use crate::agents::AgentCatalog;
use crate::config::{Config, PermissionMode, SandboxKind};
use crate::environments::base::{self, BaseError};
use crate::environments::{
    CreateEnvironment, Environment, EnvironmentError, EnvironmentManager, GetEnvironment,
    StartEnvironment,
};
use crate::projects::{ProjectError, project_id, repository_root};
use crate::task_inputs::TaskInputsV1;

/// The store cursor of the status follower: the last `task.status` event applied.
const STATUS_CURSOR: &str = "task-service/status";
/// The store cursor of the notify command: the last notification it ran for.
const NOTIFY_CURSOR: &str = "task-service/notify";
/// How often an agent host ticks its adapter (and polls the sandbox).
const TICK: Duration = Duration::from_millis(250);
/// How long a starting agent may show no sign of life, unless configured.
const START_DEADLINE: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    #[error("no task {0}")]
    Unknown(String),
    #[error("the prompt is empty; say what the agent should do")]
    EmptyPrompt,
    #[error("the message is empty")]
    EmptyMessage,
    #[error("no agent named {0:?}; `plinth agents list` shows the installed ones")]
    UnknownAgent(String),
    #[error(transparent)]
    Project(#[from] ProjectError),
    #[error(
        "{path} has no current branch (detached HEAD); check out a branch or pass --base BRANCH"
    )]
    NoBranch { path: String },
    #[error(transparent)]
    Base(#[from] BaseError),
    #[error("task {id} is {state}: {action} needs it {needs}")]
    WrongState {
        id: String,
        state: &'static str,
        action: &'static str,
        needs: &'static str,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Actor(String),
}

/// What the service needs from the rest of the tree; cloned into each incarnation.
#[derive(Clone)]
pub struct TaskServiceDeps {
    pub store: Store,
    pub environments: ChildRef<EnvironmentManager>,
    pub catalog: AgentCatalog,
    /// The supervisor the tasks' agent hosts run under.
    pub hosts: SupervisorRef,
    /// The agent hosts by task, and signals held for those being started; outlives a
    /// restart of the service (the hosts do too).
    pub running: Hosts,
    /// Who holds ended tasks' environments awake (a sync, a diff, a terminal).
    pub wakes: Wakes,
    /// The tokens tasks' sandboxes present to plinth.
    pub keys: TaskKeys,
    /// Where sandboxes reach plinth's hook endpoint and model proxy.
    pub endpoints: SandboxEndpoints,
    /// Listens where Docker tasks' containers reach plinth ([`super::reach`]); without one,
    /// Docker tasks fail to start.
    pub gateways: Option<Arc<dyn GatewayListener>>,
    /// Run for every notification (`tasks.notify_command`).
    pub notify_command: Option<String>,
    /// Agents run their tools without asking (`tasks.skip_permissions`).
    pub skip_permissions: bool,
    /// What agents may do without asking otherwise (`tasks.permission_mode`).
    pub permission_mode: PermissionMode,
    /// How long a starting agent may show no sign of life (`tasks.start_deadline_ms`).
    pub start_deadline: Duration,
    /// Each task's agent host's own restart budget (`tasks.max_restarts` and
    /// `tasks.restart_window_ms`).
    pub restart_budget: RestartBudget,
}

impl TaskServiceDeps {
    pub fn new(
        store: Store,
        environments: ChildRef<EnvironmentManager>,
        catalog: AgentCatalog,
        hosts: SupervisorRef,
        keys: TaskKeys,
        endpoints: SandboxEndpoints,
    ) -> Self {
        TaskServiceDeps {
            store,
            environments,
            catalog,
            hosts,
            running: Hosts::default(),
            wakes: Wakes::default(),
            keys,
            endpoints,
            gateways: None,
            notify_command: None,
            skip_permissions: false,
            permission_mode: PermissionMode::Agent,
            start_deadline: START_DEADLINE,
            restart_budget: restart_budget::budget(&Config::default().tasks),
        }
    }

    pub fn with_start_deadline(mut self, deadline: Duration) -> Self {
        self.start_deadline = deadline;
        self
    }

    pub fn with_restart_budget(mut self, budget: RestartBudget) -> Self {
        self.restart_budget = budget;
        self
    }

    pub fn with_skip_permissions(mut self, skip: bool) -> Self {
        self.skip_permissions = skip;
        self
    }

    pub fn with_permission_mode(mut self, mode: PermissionMode) -> Self {
        self.permission_mode = mode;
        self
    }

    pub fn with_gateway_listener(mut self, gateways: Arc<dyn GatewayListener>) -> Self {
        self.gateways = Some(gateways);
        self
    }

    pub fn with_notify_command(mut self, command: Option<String>) -> Self {
        self.notify_command = command;
        self
    }
}

pub struct TaskService {
    pub(super) deps: TaskServiceDeps,
    /// Every task's record, as stored (the store is written first).
    pub(super) tasks: HashMap<String, Task>,
}

impl Child for TaskService {
    fn started(&mut self, ctx: &mut Ctx<'_, Self>) {
        let addr = ctx.actix().address();
        // Statuses first from where the last incarnation stopped applying them, then live.
        let after = self
            .deps
            .store
            .get_cursor(STATUS_CURSOR)
            .ok()
            .flatten()
            .unwrap_or(0);
        let mut statuses = self
            .deps
            .store
            .subscribe(EventFilter::kind("task.status"), after);
        ctx.actix().spawn(actix::fut::wrap_future(async move {
            while let Some(event) = statuses.next().await {
                let event = match event {
                    Ok(event) => event,
                    Err(err) => {
                        // A new incarnation re-subscribes from the cursor: nothing is lost.
                        addr.do_send(FollowerDown(err.to_string()));
                        return;
                    }
                };
                let Some(task) = event.task.clone() else {
                    continue;
                };
                let text = |k: &str| event.data[k].as_str().unwrap_or_default().to_string();
                addr.do_send(StatusSeen {
                    seq: event.seq,
                    task,
                    status: text("status"),
                    detail: text("detail"),
                });
            }
        }));
        self.follow_lost_environments(ctx);
        if let Some(command) = self.deps.notify_command.clone() {
            self.run_notify_command(command, ctx);
        }
        let (active, ended): (Vec<Task>, Vec<Task>) = self
            .tasks
            .values()
            .filter(|t| t.lifecycle != Lifecycle::Stopped)
            .cloned()
            .partition(|t| t.lifecycle.is_active());
        for task in active {
            self.launch(task, ctx);
        }
        let deps = self.deps.clone();
        ctx.actix().spawn(actix::fut::wrap_future(async move {
            wake::settle_left_running(&deps, ended).await;
        }));
    }
}

impl TaskService {
    /// Reads every task's record. Blocks on SQLite: call it from a factory.
    pub fn start(deps: TaskServiceDeps) -> Result<Self, TaskError> {
        let tasks = deps
            .store
            .list_state::<TaskRecord>(record::KEY_PREFIX)?
            .into_iter()
            .map(|(_, t)| (t.id.clone(), t))
            .collect();
        Ok(TaskService { deps, tasks })
    }

    /// The host to send `signal` for task `id` to; with none running, the signal is held
    /// for the host of an active task (being started), else dropped.
    pub(super) fn route_signal(
        &self,
        id: &str,
        signal: Signal,
    ) -> Option<(ChildRef<AgentHost>, Signal)> {
        let active = self
            .tasks
            .get(id)
            .is_some_and(|task| task.lifecycle.is_active());
        self.deps.running.route(id, signal, active)
    }

    pub(super) fn get(&self, id: &str) -> Result<Task, TaskError> {
        self.tasks
            .get(id)
            .cloned()
            .ok_or_else(|| TaskError::Unknown(id.to_string()))
    }

    /// Runs the notify command for every notification, from its cursor (the first start
    /// begins at the present: notifications from before it was configured are old news).
    fn run_notify_command(&self, command: String, ctx: &mut Ctx<'_, Self>) {
        let store = self.deps.store.clone();
        let after = match store.get_cursor(NOTIFY_CURSOR).ok().flatten() {
            Some(seq) => seq,
            None => store.last_seq(),
        };
        let mut notifications = store.subscribe(EventFilter::kind(notify::NOTIFICATION), after);
        ctx.actix().spawn(actix::fut::wrap_future(async move {
            while let Some(Ok(event)) = notifications.next().await {
                let seq = event.seq;
                let command = command.clone();
                let ran =
                    tokio::task::spawn_blocking(move || notify::run_command(&command, &event))
                        .await
                        .map_err(|e| e.to_string())
                        .and_then(|r| r);
                if let Err(err) = ran {
                    tracing::warn!(%err, seq, "the notify command");
                }
                let _ = store.set_cursor(NOTIFY_CURSOR, seq).await;
            }
        }));
    }

    /// Makes the task's environment (or finds it again) and starts its agent host, in the
    /// background; the outcome comes back as [`Launched`].
    fn launch(&mut self, task: Task, ctx: &mut Ctx<'_, Self>) {
        let deps = self.deps.clone();
        let addr = ctx.actix().address();
        ctx.actix().spawn(actix::fut::wrap_future(async move {
            let id = task.id.clone();
            let result = launch(&deps, &task).await;
            addr.do_send(Launched { task: id, result });
        }));
    }

    /// Stores `task` and appends `kind` for it; the cache follows the store. The one place
    /// that sees both the old and the new version of a task, so it stamps `status_since`
    /// when the status changed.
    pub(super) fn save(
        &mut self,
        mut task: Task,
        kind: &str,
    ) -> ResponseFuture<Result<Task, TaskError>> {
        task.stamp_status_change(self.tasks.get(&task.id));
        self.tasks.insert(task.id.clone(), task.clone());
        let store = self.deps.store.clone();
        let kind = kind.to_string();
        Box::pin(async move {
            persist(&store, &task, &kind).await?;
            Ok(task)
        })
    }

    /// Records `task` as failed for `reason`. What was held for its agent host is dropped:
    /// none will start.
    pub(super) fn fail(
        &mut self,
        mut task: Task,
        reason: String,
    ) -> ResponseFuture<Result<Task, TaskError>> {
        self.deps.running.forget_held(&task.id);
        task.lifecycle = Lifecycle::Failed { reason };
        task.updated_at = Utc::now();
        self.save(task, "task.failed")
    }
}

/// The task's record and the event that tells of its change, in one transaction. The
/// prompt is stored once, in the record; the event carries a preview of it.
async fn persist(store: &Store, task: &Task, kind: &str) -> Result<(), StoreError> {
    let event = NewEvent::new(kind, super::event_data::of(task)).for_task(&task.id);
    store
        .put_state_and_append(
            &record::key(&task.id),
            &TaskRecord::from_latest(task.clone()),
            vec![event],
        )
        .await?;
    Ok(())
}

/// A notification when `task` has just ended; nothing otherwise.
pub(super) async fn announce_end(store: &Store, task: &Task) {
    let (title, body, urgency) = match &task.lifecycle {
        Lifecycle::Finished => (
            format!("Task {} finished", task.id),
            format!("Its work is on {}.", task.branch),
            "info",
        ),
        Lifecycle::Failed { reason } => (
            format!("Task {} failed", task.id),
            reason.clone(),
            "needs-attention",
        ),
        _ => return,
    };
    if let Err(err) = notify::notify(store, &task.id, &title, &body, urgency).await {
        tracing::warn!(%err, task = %task.id, "cannot record a notification");
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
        crate::task_inputs::Sandbox::Docker => {
            super::reach::docker_endpoints(deps, &task.id, environment)
                .await
                .map_err(|e| e.to_string())?
        }
        crate::task_inputs::Sandbox::Local => deps.endpoints.clone(),
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
    Ok(env)
}

pub(super) fn host_name(task: &str) -> String {
    format!("task-{task}")
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
            sandbox: task.inputs.sandbox.into(),
            include_uncommitted: task.inputs.include_uncommitted,
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

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
        tick: TICK,
        starts: Arc::new(AtomicU32::new(0)),
        // A task resumed while its agent works, idles or waits has started already.
        start_deadline: matches!(task.agent_status.as_deref(), None | Some("starting"))
            .then_some(deps.start_deadline),
    };
    let (child, host) = ChildSpec::actor(
        host_name(&task.id),
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
    restart_budget::watch(deps.clone(), task.id.clone(), down);
    // What arrived for the task while its host was on its way goes first, in order.
    let mut held = std::collections::VecDeque::new();
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

/// Makes a task and starts it. Answers once the task is recorded (`starting`); its
/// environment and agent come up in the background.
#[derive(Message)]
#[rtype(result = "Result<Task, TaskError>")]
pub struct CreateTask {
    pub prompt: String,
    pub agent: String,
    /// Anywhere in the project's repository.
    pub project_path: PathBuf,
    /// The repository's current branch when absent.
    pub base_branch: Option<String>,
    pub sandbox: SandboxKind,
    pub include_uncommitted: bool,
}

#[derive(Message)]
#[rtype(result = "Vec<Task>")]
pub struct ListTasks {
    pub include_archived: bool,
}

#[derive(Message)]
#[rtype(result = "Result<Task, TaskError>")]
pub struct GetTask {
    pub id: String,
}

/// Stops the task's agent (its adapter ends what it started) and its environment's
/// processes; what is on disk stays.
#[derive(Message)]
#[rtype(result = "Result<Task, TaskError>")]
pub struct StopTask {
    pub id: String,
}

#[derive(Message)]
#[rtype(result = "Result<Task, TaskError>")]
pub struct ArchiveTask {
    pub id: String,
}

/// Launches a task from a future (a resume, once its environment is back).
#[derive(Message)]
#[rtype(result = "()")]
pub(super) struct Launch(pub Task);

impl Handle<Launch> for TaskService {
    type Result = ();

    fn handle(&mut self, msg: Launch, ctx: &mut Ctx<'_, Self>) {
        self.launch(msg.0, ctx);
    }
}

/// How a launch ended: the agent host runs, or why the task cannot start.
#[derive(Message)]
#[rtype(result = "()")]
pub(super) struct Launched {
    pub task: String,
    pub result: Result<(), String>,
}

#[derive(Message)]
#[rtype(result = "()")]
struct FollowerDown(String);

impl Handle<FollowerDown> for TaskService {
    type Result = ();

    fn handle(&mut self, msg: FollowerDown, ctx: &mut Ctx<'_, Self>) {
        ctx.fail(format!("following the agents' statuses failed: {}", msg.0));
    }
}

#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct StatusSeen {
    seq: u64,
    task: String,
    status: String,
    detail: String,
}

impl Handle<CreateTask> for TaskService {
    type Result = ResponseFuture<Result<Task, TaskError>>;

    fn handle(&mut self, msg: CreateTask, ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let made = self.make(msg);
        let task = match made {
            Ok(task) => task,
            Err(err) => return Box::pin(async move { Err(err) }),
        };
        let saved = self.save(task.clone(), "task.created");
        self.launch(task, ctx);
        saved
    }
}

impl TaskService {
    fn make(&self, msg: CreateTask) -> Result<Task, TaskError> {
        if msg.prompt.trim().is_empty() {
            return Err(TaskError::EmptyPrompt);
        }
        if self.deps.catalog.get(&msg.agent).is_err() {
            return Err(TaskError::UnknownAgent(msg.agent));
        }
        let root = repository_root(&msg.project_path)?;
        // Checked here, before anything runs: the base is the user's text, and only a name
        // the repository has goes any further.
        let base_branch = match msg.base_branch {
            Some(name) => base::resolve(&root, &name)?.name,
            None => current_branch(&root)?,
        };
        let mut id = task_id(&msg.prompt, random_suffix());
        while self.tasks.contains_key(&id) {
            id = task_id(&msg.prompt, random_suffix());
        }
        let now = Utc::now();
        Ok(Task {
            branch: format!("plinth/{id}"),
            inputs: TaskInputsV1 {
                prompt: msg.prompt,
                agent: msg.agent,
                project: project_id(&root),
                base_branch: Some(base_branch.clone()),
                sandbox: msg.sandbox.into(),
                include_uncommitted: msg.include_uncommitted,
            },
            id,
            project_path: root,
            base_branch,
            lifecycle: Lifecycle::Starting,
            agent_status: None,
            agent_detail: None,
            archived: false,
            created_at: now,
            updated_at: now,
            status_since: now,
        })
    }
}

/// The branch HEAD points at, by its short name.
fn current_branch(root: &std::path::Path) -> Result<String, TaskError> {
    let no_branch = || TaskError::NoBranch {
        path: root.display().to_string(),
    };
    let repo = git2::Repository::open(root).map_err(|_| no_branch())?;
    let head = repo.find_reference("HEAD").map_err(|_| no_branch())?;
    // An unborn branch (no commit yet) has a symbolic HEAD too; its name is still right.
    head.symbolic_target()
        .and_then(|target| target.strip_prefix("refs/heads/"))
        .map(str::to_string)
        .ok_or_else(no_branch)
}

impl Handle<ListTasks> for TaskService {
    type Result = Vec<Task>;

    fn handle(&mut self, msg: ListTasks, _ctx: &mut Ctx<'_, Self>) -> Vec<Task> {
        let mut tasks: Vec<Task> = self
            .tasks
            .values()
            .filter(|t| msg.include_archived || !t.archived)
            .cloned()
            .collect();
        tasks.sort_by_key(|t| t.created_at);
        tasks
    }
}

impl Handle<GetTask> for TaskService {
    type Result = Result<Task, TaskError>;

    fn handle(&mut self, msg: GetTask, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        self.get(&msg.id)
    }
}

impl Handle<Launched> for TaskService {
    type Result = ();

    fn handle(&mut self, msg: Launched, ctx: &mut Ctx<'_, Self>) {
        let Ok(mut task) = self.get(&msg.task) else {
            return;
        };
        // Stopped (or failed) while it was starting: the stop wins.
        if !task.lifecycle.is_active() {
            return;
        }
        let saved = match msg.result {
            Ok(()) if task.lifecycle == Lifecycle::Running => return,
            Ok(()) => {
                task.lifecycle = Lifecycle::Running;
                task.updated_at = Utc::now();
                self.save(task, "task.running")
            }
            Err(reason) => self.fail(task, reason),
        };
        let deps = self.deps.clone();
        ctx.actix().spawn(actix::fut::wrap_future(async move {
            match saved.await {
                Ok(task) => {
                    announce_end(&deps.store, &task).await;
                    // A launch that failed after its environment was made leaves it up.
                    if task.lifecycle.is_ended() {
                        wake::release(&deps, &task.id).await;
                    }
                }
                Err(err) => tracing::error!(%err, "cannot record a task's start"),
            }
        }));
    }
}

impl Handle<StatusSeen> for TaskService {
    type Result = ();

    fn handle(&mut self, msg: StatusSeen, ctx: &mut Ctx<'_, Self>) {
        let store = self.deps.store.clone();
        let Ok(mut task) = self.get(&msg.task) else {
            // Not one of ours (an agent host run outside the service): only the cursor moves.
            ctx.actix().spawn(actix::fut::wrap_future(async move {
                let _ = store.set_cursor(STATUS_CURSOR, msg.seq).await;
            }));
            return;
        };
        task.agent_status = Some(msg.status.clone());
        task.agent_detail = Some(msg.detail.clone()).filter(|d| !d.is_empty());
        let mut kind = "task.updated";
        if task.lifecycle.is_active() {
            match msg.status.as_str() {
                "finished" => {
                    task.lifecycle = Lifecycle::Finished;
                    kind = "task.finished";
                }
                "failed" => {
                    task.lifecycle = Lifecycle::Failed {
                        reason: if msg.detail.is_empty() {
                            "the agent failed".into()
                        } else {
                            msg.detail.clone()
                        },
                    };
                    kind = "task.failed";
                }
                _ => task.lifecycle = Lifecycle::Running,
            }
        }
        task.updated_at = Utc::now();
        // The agent stopped to wait (Claude Code's Stop hook ends a turn in `idle`), is done,
        // or failed: what it committed goes back to the user's repository now. A task that
        // has just ended is then released (its agent host ended, its environment stopped).
        let ended = kind != "task.updated";
        if !ended
            && matches!(
                msg.status.as_str(),
                "idle" | "waiting-for-user" | "finished" | "failed"
            )
        {
            self.sync_later(&task, ctx);
        }
        let saved = self.save(task, kind);
        let deps = self.deps.clone();
        ctx.actix().spawn(actix::fut::wrap_future(async move {
            let task = match saved.await {
                Ok(task) => task,
                Err(err) => {
                    tracing::error!(%err, task = %msg.task, "cannot record the agent's status");
                    return;
                }
            };
            // Only the status that ended the task announces it, not later ones.
            if ended {
                announce_end(&store, &task).await;
            }
            let _ = store.set_cursor(STATUS_CURSOR, msg.seq).await;
            if ended {
                wake::settle(&deps, task).await;
            }
        }));
    }
}

impl Handle<StopTask> for TaskService {
    type Result = ResponseFuture<Result<Task, TaskError>>;

    fn handle(&mut self, msg: StopTask, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let task = match self.get(&msg.id) {
            Ok(task) => task,
            Err(err) => return Box::pin(async move { Err(err) }),
        };
        if !task.lifecycle.is_active() {
            let err = TaskError::WrongState {
                id: task.id.clone(),
                state: task.lifecycle.name(),
                action: "stop",
                needs: "starting or running",
            };
            return Box::pin(async move { Err(err) });
        }
        let mut stopped = task.clone();
        stopped.lifecycle = Lifecycle::Stopped;
        stopped.updated_at = Utc::now();
        let saved = self.save(stopped, "task.stopped");
        let deps = self.deps.clone();
        Box::pin(async move {
            let host = deps.running.remove(&task.id);
            if let Some(host) = host {
                // The adapter ends its sessions; one that cannot answer is stopped anyway.
                if let Ok(Err(err)) | Err(err) = host
                    .send(StopAgent)
                    .await
                    .map_err(|e| e.to_string())
                    .map(|r| r.map(|_| ()))
                {
                    tracing::warn!(task = %task.id, %err, "the adapter's stop failed");
                }
                let _ = deps.hosts.terminate_child(&host_name(&task.id)).await;
            }
            // Before the container stops: afterwards nothing can be copied out of it.
            if let Err(err) = super::sync::sync(&deps, task.clone()).await {
                tracing::warn!(task = %task.id, %err, "syncing the task's branch at stop failed");
            }
            deps.environments
                .send(crate::environments::StopEnvironment {
                    task: task.id.clone(),
                })
                .await
                .map_err(|e| TaskError::Actor(e.to_string()))?
                .map_err(|e| TaskError::Actor(e.to_string()))?;
            saved.await
        })
    }
}

impl Handle<ArchiveTask> for TaskService {
    type Result = ResponseFuture<Result<Task, TaskError>>;

    fn handle(&mut self, msg: ArchiveTask, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let mut task = match self.get(&msg.id) {
            Ok(task) => task,
            Err(err) => return Box::pin(async move { Err(err) }),
        };
        if task.lifecycle.is_active() {
            let err = TaskError::WrongState {
                id: task.id.clone(),
                state: task.lifecycle.name(),
                action: "archive",
                needs: "stopped, finished or failed",
            };
            return Box::pin(async move { Err(err) });
        }
        task.archived = true;
        task.updated_at = Utc::now();
        self.save(task, "task.archived")
    }
}
