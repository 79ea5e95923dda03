//! The EnvironmentManager: the one actor that owns every task's environment, Docker or
//! local. Every change is an event in the store and the environment's record is stored
//! state, so a new manager (after a crash or a server restart) re-adopts what it finds:
//! containers labelled as ours whose task it knows come back with a sandbox over the
//! running container (their tmux sessions untouched); labelled containers it does not know
//! are orphans, reported and left for `plinth gc`.
//!
//! Docker work runs on the Docker runtime ([`blocking`]) from a blocking thread, so the
//! actor's own thread is never held by a build or a copy.
//!
//! The manager also keeps every task's scrollback in the store ([`super::scrollback`]): on
//! a timer, at every `task.status` event, and right before an environment is stopped or
//! removed, so the last screen outlives the container.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix::{AsyncContext, Message, ResponseFuture};
use chrono::Utc;
use futures::StreamExt;
use plinth_kernel::{Child, Ctx, Handle};
use plinth_store::{NewEvent, Store, StoreError, Versioned};
use serde_json::json;

use super::base::{self, BaseError};
use super::container::{self, ContainerError, ContainerSpec, Limits, TaskContainer};
use super::docker::{DockerClient, DockerError};
use super::docker_exec::blocking;
use super::docker_sandbox::DockerSandbox;
use super::network::{self, NetworkError};
use super::ownership::{LABEL_HOME, find_mine, home_label};
use super::record::{
    self, EnvironmentInfo, EnvironmentKind, EnvironmentRecord, EnvironmentStatus, EnvironmentV1,
};
use super::repo_copy::{RepoCopy, RepoCopyError, copy_repo};
use super::scrollback::{self, ScrollbackCapture, ScrollbackError};
use super::watch::{Halting, Watched, Watcher};
use super::worktree::{self, WorktreeError};
use super::{BuildEvent, ImageError, ImagePlan, ImageRef, Images};
use crate::agent_host::Sandbox;
use crate::config::{Config, SandboxKind};
use crate::projects::{ProjectError, project_id, repository_root};
use crate::sandbox::{LocalSandbox, TmuxServer};

/// Local mode's tmux socket, under `$PLINTH_HOME` (all local tasks share one tmux server).
pub const LOCAL_TMUX_SOCKET: &str = "tmux.sock";

/// How long a stopped container's processes get before they are killed.
const STOP_GRACE: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum EnvironmentError {
    #[error("task {0} already has an environment; remove it first")]
    Exists(String),
    #[error("task {0} has no environment")]
    Unknown(String),
    #[error("task id {0:?} cannot name an environment: use letters, digits, '.', '-' and '_'")]
    BadTask(String),
    #[error("{0}")]
    DockerDown(String),
    #[error(transparent)]
    Docker(#[from] DockerError),
    #[error(transparent)]
    Container(#[from] ContainerError),
    #[error(transparent)]
    Network(#[from] NetworkError),
    #[error(transparent)]
    Image(#[from] ImageError),
    #[error(transparent)]
    Copy(#[from] RepoCopyError),
    #[error("the worktree: {0}")]
    Worktree(#[from] WorktreeError),
    #[error(transparent)]
    Base(#[from] BaseError),
    #[error(transparent)]
    Project(#[from] ProjectError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Scrollback(#[from] ScrollbackError),
    #[error("the environment's worker thread failed: {0}")]
    Join(String),
}

/// Where the manager keeps local environments, and what it adds to what it makes.
#[derive(Clone, Debug)]
pub struct ManagerSettings {
    /// `$PLINTH_HOME`: worktrees, homes and the tmux socket of local mode live under it.
    pub home: PathBuf,
    pub config: Config,
    /// Extra labels on containers and images (tests mark theirs with `plinth.test=1`).
    pub labels: Vec<(String, String)>,
}

impl ManagerSettings {
    pub fn worktrees(&self) -> PathBuf {
        self.home.join("worktrees")
    }

    fn tmux(&self) -> TmuxServer {
        TmuxServer::new(self.home.join(LOCAL_TMUX_SOCKET))
    }
}

/// A task's environment, as its users get it: what it is and the sandbox to act in it.
#[derive(Clone)]
pub struct Environment {
    pub task: String,
    pub kind: EnvironmentKind,
    /// The container's id (Docker).
    pub container: Option<String>,
    /// The worktree on the host (local).
    pub worktree: Option<PathBuf>,
    pub sandbox: Arc<dyn Sandbox>,
}

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Environment")
            .field("task", &self.task)
            .field("kind", &self.kind)
            .field("container", &self.container)
            .field("worktree", &self.worktree)
            .finish_non_exhaustive()
    }
}

#[derive(Message)]
#[rtype(result = "Result<Environment, EnvironmentError>")]
pub struct CreateEnvironment {
    pub task: String,
    pub project_path: PathBuf,
    pub base_branch: String,
    pub sandbox: SandboxKind,
    pub include_uncommitted: bool,
}

#[derive(Message)]
#[rtype(result = "Option<Environment>")]
pub struct GetEnvironment {
    pub task: String,
}

#[derive(Message)]
#[rtype(result = "Result<(), EnvironmentError>")]
pub struct StopEnvironment {
    pub task: String,
}

/// Starts a stopped environment again: its container (or, in local mode, nothing: the
/// worktree is there) comes back with a fresh sandbox; its files are as they were.
#[derive(Message)]
#[rtype(result = "Result<Environment, EnvironmentError>")]
pub struct StartEnvironment {
    pub task: String,
}

#[derive(Message)]
#[rtype(result = "Result<(), EnvironmentError>")]
pub struct RemoveEnvironment {
    pub task: String,
}

#[derive(Message)]
#[rtype(result = "Listing")]
pub struct ListEnvironments;

/// Where the task's sandbox reaches plinth, when that is an address plinth must listen on:
/// for a Docker environment, the gateway of the network its container is on (plinth's own
/// network, see [`super::network`]); `None` for a local one (loopback) and for a container
/// on no network with a gateway.
#[derive(Message)]
#[rtype(result = "Result<Option<std::net::IpAddr>, EnvironmentError>")]
pub struct SandboxGateway {
    pub task: String,
}

/// Captures the task's scrollback now; answers how many streams changed (0 when its
/// environment is not running).
#[derive(Message)]
#[rtype(result = "Result<usize, EnvironmentError>")]
pub struct CaptureScrollback {
    pub task: String,
}

/// The scrollback timer's tick: every running environment is captured.
#[derive(Message)]
#[rtype(result = "()")]
struct CaptureAll;

/// Everything the manager knows of.
#[derive(Clone, Debug, actix::MessageResponse)]
pub struct Listing {
    pub environments: Vec<EnvironmentInfo>,
    /// Containers labelled as ours whose task no record knows.
    pub orphans: Vec<TaskContainer>,
    /// Why Docker could not be reached at start, if it could not.
    pub docker_error: Option<String>,
}

pub(super) struct Entry {
    pub(super) info: EnvironmentInfo,
    /// None while the environment cannot be acted in (stopped, failed, Docker down).
    pub(super) sandbox: Option<Arc<dyn Sandbox>>,
}

#[derive(Default)]
pub(super) struct State {
    pub(super) entries: HashMap<String, Entry>,
    orphans: Vec<TaskContainer>,
    /// Tasks whose environment is being made: creates run concurrently, and a second
    /// create of the same task must fail before it touches Docker or git.
    creating: std::collections::HashSet<String>,
    /// Tasks plinth is stopping or removing: their containers' deaths are no failure.
    pub(super) halting: std::collections::HashSet<String>,
}

pub struct EnvironmentManager {
    store: Store,
    settings: Arc<ManagerSettings>,
    docker: DockerLink,
    /// Shared with the handlers' futures, which finish after the handler returns.
    state: Arc<Mutex<State>>,
    scrollback: ScrollbackCapture,
    /// Notices containers that die under plinth while it runs ([`super::watch`]).
    watcher: Option<Watcher>,
}

impl Child for EnvironmentManager {
    fn started(&mut self, ctx: &mut Ctx<'_, Self>) {
        let every = self.settings.config.terminal.scrollback_interval();
        ctx.actix()
            .run_interval(every, |_, ctx| ctx.notify(CaptureAll));
        let statuses =
            scrollback::status_changes(&self.store).map(|task| CaptureScrollback { task });
        ctx.actix().add_message_stream(statuses);
    }

    fn stopping(&mut self, _ctx: &mut Ctx<'_, Self>) {
        if let Some(watcher) = self.watcher.take() {
            watcher.stop();
        }
    }
}

impl EnvironmentManager {
    /// Connects to Docker (a daemon that is down is recorded, not fatal: local mode still
    /// works) and re-adopts what the store and Docker know. Blocks: call it from a
    /// factory or a blocking thread, not from inside an async task.
    pub fn start(store: Store, settings: ManagerSettings) -> Result<Self, EnvironmentError> {
        let address = settings.config.docker.socket.clone();
        let docker = DockerLink {
            address: address.clone(),
            client: Arc::new(Mutex::new(
                blocking(async move { DockerClient::connect_to(&address).await })
                    .map_err(|e| e.to_string()),
            )),
        };
        let mut manager = EnvironmentManager {
            scrollback: ScrollbackCapture::new(store.clone()),
            store,
            settings: Arc::new(settings),
            docker,
            state: Arc::default(),
            watcher: None,
        };
        manager.readopt()?;
        manager.watcher = Watcher::start(Watched {
            address: manager.docker.address.clone(),
            store: manager.store.clone(),
            state: manager.state.clone(),
            link: manager.docker.clone(),
        })
        .map_err(|e| tracing::warn!(%e, "containers that die are noticed only at the next start"))
        .ok();
        Ok(manager)
    }

    fn readopt(&self) -> Result<(), EnvironmentError> {
        let records: HashMap<String, EnvironmentV1> = self
            .store
            .list_state::<EnvironmentRecord>(record::KEY_PREFIX)?
            .into_iter()
            .map(|(_, r)| (r.task.clone(), r))
            .collect();
        let mut state = State::default();
        let mut events = Vec::new();
        let mut changed = Vec::new();

        let docker = self.docker.current();
        let containers = match &docker {
            Ok(client) => {
                let c = client.clone();
                let home = self.settings.home.clone();
                match blocking(async move { find_mine(&c, &home, None).await }) {
                    Ok(found) => Some(found),
                    // Treated as Docker down: the records stay as they were, and the next
                    // manager looks again, rather than a failing start taking the tree down.
                    Err(err) => {
                        tracing::warn!(%err, "cannot list plinth's containers");
                        None
                    }
                }
            }
            Err(_) => None,
        };
        if let (Some(containers), Ok(client)) = (&containers, &docker) {
            for found in containers {
                match records.get(&found.task) {
                    Some(r) if r.kind == EnvironmentKind::Docker => {}
                    _ => {
                        // No task id on the event: plinth knows no such task.
                        events.push(NewEvent::new(
                            "environment.orphaned",
                            json!({"task": found.task, "container": found.id,
                                   "name": found.name, "state": found.state}),
                        ));
                        state.orphans.push(found.clone());
                    }
                }
            }
            let by_task: HashMap<&str, &TaskContainer> =
                containers.iter().map(|c| (c.task.as_str(), c)).collect();
            for r in records
                .values()
                .filter(|r| r.kind == EnvironmentKind::Docker)
            {
                let mut info = r.clone();
                let mut sandbox: Option<Arc<dyn Sandbox>> = None;
                match (by_task.get(r.task.as_str()), &r.status) {
                    (Some(c), EnvironmentStatus::Running) if c.is_running() => {
                        // One container that cannot be reached must not keep the manager,
                        // and every other environment, from starting.
                        match DockerSandbox::new(client, &c.id, &r.task) {
                            Ok(adopted) => {
                                sandbox = Some(adopted as Arc<dyn Sandbox>);
                                events.push(
                                    NewEvent::new(
                                        "environment.adopted",
                                        json!({"task": r.task, "container": c.id}),
                                    )
                                    .for_task(&r.task),
                                );
                            }
                            Err(err) => {
                                info.status = EnvironmentStatus::Failed {
                                    reason: format!("cannot re-adopt its container: {err}"),
                                };
                            }
                        }
                    }
                    (Some(c), EnvironmentStatus::Running) => {
                        info.status = EnvironmentStatus::Failed {
                            reason: format!("its container is {}", c.state),
                        };
                    }
                    (None, EnvironmentStatus::Running | EnvironmentStatus::Stopped) => {
                        info.status = EnvironmentStatus::Failed {
                            reason: "its container is gone".into(),
                        };
                    }
                    _ => {}
                }
                self.note_failure(r, &info, &mut events, &mut changed);
                state
                    .entries
                    .insert(info.task.clone(), Entry { info, sandbox });
            }
        }
        for r in records.values() {
            match r.kind {
                EnvironmentKind::Local => {
                    let mut info = r.clone();
                    let sandbox = self.local_sandbox(r);
                    if sandbox.is_none() && r.status == EnvironmentStatus::Running {
                        info.status = EnvironmentStatus::Failed {
                            reason: "its worktree is gone".into(),
                        };
                    }
                    self.note_failure(r, &info, &mut events, &mut changed);
                    state
                        .entries
                        .insert(info.task.clone(), Entry { info, sandbox });
                }
                // Docker down: the records stay as they were until a manager can look.
                EnvironmentKind::Docker if containers.is_none() => {
                    state.entries.insert(
                        r.task.clone(),
                        Entry {
                            info: r.clone(),
                            sandbox: None,
                        },
                    );
                }
                EnvironmentKind::Docker => {}
            }
        }
        let store = self.store.clone();
        blocking(async move {
            for info in changed {
                store
                    .put_state(
                        &record::key(&info.task),
                        &EnvironmentRecord::from_latest(info),
                    )
                    .await?;
            }
            if !events.is_empty() {
                store.append_all(events).await?;
            }
            Ok::<_, StoreError>(())
        })?;
        *self.state.lock().expect("environment state poisoned") = state;
        Ok(())
    }

    fn note_failure(
        &self,
        before: &EnvironmentV1,
        after: &EnvironmentV1,
        events: &mut Vec<NewEvent>,
        changed: &mut Vec<EnvironmentV1>,
    ) {
        if before.status == after.status {
            return;
        }
        if let EnvironmentStatus::Failed { reason } = &after.status {
            events.push(
                NewEvent::new(
                    "environment.failed",
                    json!({"task": after.task, "reason": reason}),
                )
                .for_task(&after.task),
            );
        }
        changed.push(after.clone());
    }

    fn local_sandbox(&self, r: &EnvironmentV1) -> Option<Arc<dyn Sandbox>> {
        let (Some(worktree), Some(home)) = (&r.worktree, &r.home) else {
            return None;
        };
        if !worktree.is_dir() {
            return None;
        }
        Some(LocalSandbox::new(
            &r.task,
            worktree,
            home,
            self.settings.tmux(),
        ))
    }
}

/// The manager's connection to Docker, shared with its handlers' work. A daemon that was
/// down is asked again on the next use, so Docker environments work once it is back
/// without restarting plinth.
#[derive(Clone)]
pub(super) struct DockerLink {
    address: String,
    client: Arc<Mutex<Result<DockerClient, String>>>,
}

impl DockerLink {
    pub(super) fn current(&self) -> Result<DockerClient, String> {
        self.client.lock().expect("docker link poisoned").clone()
    }

    /// The client, reconnecting first if the daemon was down. Blocks: call it off the
    /// actor's thread.
    pub(super) fn get(&self) -> Result<DockerClient, EnvironmentError> {
        if let Ok(client) = self.current() {
            return Ok(client);
        }
        let address = self.address.clone();
        let fresh = blocking(async move { DockerClient::connect_to(&address).await })
            .map_err(|e| e.to_string());
        *self.client.lock().expect("docker link poisoned") = fresh.clone();
        fresh.map_err(EnvironmentError::DockerDown)
    }
}

/// Runs `work` on a thread of its own, where it may block on the Docker runtime.
async fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, EnvironmentError> + Send + 'static,
) -> Result<T, EnvironmentError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| EnvironmentError::Join(e.to_string()))?
}

/// The environment's record and the event that tells of its change, in one transaction.
async fn save(store: &Store, info: &EnvironmentV1, event: &str) -> Result<(), StoreError> {
    let event =
        NewEvent::new(event, serde_json::to_value(info).unwrap_or_default()).for_task(&info.task);
    store
        .put_state_and_append(
            &record::key(&info.task),
            &EnvironmentRecord::from_latest(info.clone()),
            vec![event],
        )
        .await?;
    Ok(())
}

fn create_docker(
    client: DockerClient,
    store: Store,
    settings: &ManagerSettings,
    msg: &CreateEnvironment,
    root: PathBuf,
    project: String,
) -> Result<(String, Arc<dyn Sandbox>), EnvironmentError> {
    let plan = ImagePlan::for_project(&root, &settings.config);
    let images = Images::new(client.clone()).with_labels(settings.labels.clone());
    let mut spec = ContainerSpec {
        task: msg.task.clone(),
        project,
        image: String::new(),
        limits: Limits {
            cpus: settings.config.docker.cpus,
            memory_bytes: settings.config.docker.memory.bytes(),
            ..Limits::default()
        },
        labels: settings
            .labels
            .iter()
            .cloned()
            .chain([(LABEL_HOME.to_string(), home_label(&settings.home))])
            .collect(),
        env: Vec::new(),
    };
    let copy = RepoCopy {
        repo: root,
        base: msg.base_branch.clone(),
        task: msg.task.clone(),
        include_uncommitted: msg.include_uncommitted,
    };
    let c = client.clone();
    let task = msg.task.clone();
    let network = settings.config.docker.network.clone();
    let id = blocking(async move {
        spec.image = ensure_image(&images, plan, &store, &task).await?.tag;
        let network = network::ensure(&c, &network).await?;
        // By id: two networks may share the name (see `network::find`).
        let made = container::create_on(&c, &spec, Some(&network.id)).await?;
        if let Err(e) = copy_repo(&c, &made.id, &copy).await {
            // A container without the repository is no environment: don't leave it.
            let _ = container::remove(&c, &made.id).await;
            return Err(EnvironmentError::from(e));
        }
        Ok::<_, EnvironmentError>(made.id)
    })?;
    let sandbox: Arc<dyn Sandbox> = DockerSandbox::new(&client, &id, &msg.task)?;
    Ok((id, sandbox))
}

/// Makes the task's image ready, publishing the build's progress as the task's events
/// (`image.build.*`), so a browser can show what a first task is waiting for.
async fn ensure_image(
    images: &Images,
    plan: ImagePlan,
    store: &Store,
    task: &str,
) -> Result<ImageRef, EnvironmentError> {
    let mut events = images.ensure_stream(plan);
    while let Some(item) = events.next().await {
        let (kind, data) = match &item {
            Ok(BuildEvent::CacheHit { .. }) => continue,
            Ok(BuildEvent::Started { tag }) => ("image.build.started", json!({"tag": tag})),
            Ok(BuildEvent::Step {
                step,
                total,
                instruction,
            }) => (
                "image.build.step",
                json!({"step": step, "total": total, "instruction": instruction}),
            ),
            Ok(BuildEvent::Output { line }) => ("image.build.output", json!({"line": line})),
            Ok(BuildEvent::Ready(image)) => (
                "image.build.ready",
                json!({"tag": image.tag, "cached": image.cached}),
            ),
            Err(err) => ("image.build.failed", json!({"error": err.to_string()})),
        };
        // Progress is for watching; a store that cannot take it must not fail the build.
        if let Err(err) = store.append(NewEvent::new(kind, data).for_task(task)).await {
            tracing::warn!(%err, task, "cannot record the image build's progress");
        }
        match item {
            Ok(BuildEvent::Ready(image)) => return Ok(image),
            Err(err) => return Err(err.into()),
            Ok(_) => {}
        }
    }
    Err(EnvironmentError::Join(
        "the image build ended without a result".into(),
    ))
}

impl Handle<CreateEnvironment> for EnvironmentManager {
    type Result = ResponseFuture<Result<Environment, EnvironmentError>>;

    fn handle(&mut self, msg: CreateEnvironment, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let store = self.store.clone();
        let settings = self.settings.clone();
        let state = self.state.clone();
        let docker = self.docker.clone();
        let taken = {
            let mut state = state.lock().expect("environment state poisoned");
            state.entries.contains_key(&msg.task) || !state.creating.insert(msg.task.clone())
        };
        Box::pin(async move {
            if taken {
                return Err(EnvironmentError::Exists(msg.task));
            }
            let task = msg.task.clone();
            let made = create(msg, store, settings, docker, state.clone()).await;
            state
                .lock()
                .expect("environment state poisoned")
                .creating
                .remove(&task);
            made
        })
    }
}

/// Makes the environment, stores its record and announces it. On a failure nothing is
/// stored; a container made before the failure is removed where it can be (and is an
/// orphan for `plinth gc` where it cannot).
async fn create(
    msg: CreateEnvironment,
    store: Store,
    settings: Arc<ManagerSettings>,
    docker: DockerLink,
    state: Arc<Mutex<State>>,
) -> Result<Environment, EnvironmentError> {
    if container::container_name(&msg.task).is_err() {
        return Err(EnvironmentError::BadTask(msg.task));
    }
    let root = repository_root(&msg.project_path)?;
    let project = project_id(&root);
    let mut info = EnvironmentV1 {
        task: msg.task.clone(),
        project: project.clone(),
        kind: match msg.sandbox {
            SandboxKind::Docker => EnvironmentKind::Docker,
            SandboxKind::Local => EnvironmentKind::Local,
        },
        container: None,
        worktree: None,
        home: None,
        branch: super::repo_copy::task_branch(&msg.task),
        base_branch: msg.base_branch.clone(),
        status: EnvironmentStatus::Running,
        created_at: Utc::now(),
    };
    let sandbox = match msg.sandbox {
        SandboxKind::Docker => {
            let s = settings.clone();
            let (id, sandbox) = {
                let store = store.clone();
                off_thread(move || create_docker(docker.get()?, store, &s, &msg, root, project))
                    .await?
            };
            info.container = Some(id);
            sandbox
        }
        SandboxKind::Local => {
            let path = settings.worktrees().join(&msg.task);
            let home = settings.home.join("homes").join(&msg.task);
            let (p, h) = (path.clone(), home.clone());
            let s = settings.clone();
            off_thread(move || {
                let base = base::resolve(&root, &msg.base_branch)?;
                worktree::add(&root, &p, &msg.task, &base, msg.include_uncommitted)?;
                if let Err(err) = std::fs::create_dir_all(&h) {
                    // The worktree is no environment without its home: don't leave it.
                    let _ = worktree::remove(&root, &p);
                    return Err(WorktreeError::from(err).into());
                }
                Ok(())
            })
            .await?;
            info.worktree = Some(path.clone());
            info.home = Some(home.clone());
            let sandbox: Arc<dyn Sandbox> = LocalSandbox::new(&info.task, path, home, s.tmux());
            sandbox
        }
    };
    save(&store, &info, "environment.created").await?;
    let env = Environment {
        task: info.task.clone(),
        kind: info.kind,
        container: info.container.clone(),
        worktree: info.worktree.clone(),
        sandbox: sandbox.clone(),
    };
    state
        .lock()
        .expect("environment state poisoned")
        .entries
        .insert(
            info.task.clone(),
            Entry {
                info,
                sandbox: Some(sandbox),
            },
        );
    Ok(env)
}

impl Handle<GetEnvironment> for EnvironmentManager {
    type Result = Option<Environment>;

    fn handle(&mut self, msg: GetEnvironment, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let state = self.state.lock().expect("environment state poisoned");
        let entry = state.entries.get(&msg.task)?;
        Some(Environment {
            task: entry.info.task.clone(),
            kind: entry.info.kind,
            container: entry.info.container.clone(),
            worktree: entry.info.worktree.clone(),
            sandbox: entry.sandbox.clone()?,
        })
    }
}

impl Handle<ListEnvironments> for EnvironmentManager {
    type Result = Listing;

    fn handle(&mut self, _msg: ListEnvironments, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let state = self.state.lock().expect("environment state poisoned");
        let mut environments: Vec<EnvironmentInfo> =
            state.entries.values().map(|e| e.info.clone()).collect();
        environments.sort_by_key(|e| e.created_at);
        Listing {
            environments,
            orphans: state.orphans.clone(),
            docker_error: self.docker.current().err(),
        }
    }
}

impl Handle<SandboxGateway> for EnvironmentManager {
    type Result = ResponseFuture<Result<Option<std::net::IpAddr>, EnvironmentError>>;

    fn handle(&mut self, msg: SandboxGateway, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let found = self.lookup(&msg.task);
        let docker = self.docker.clone();
        let network = self.settings.config.docker.network.clone();
        Box::pin(async move {
            let info = found?;
            let Some(id) = info
                .container
                .filter(|_| info.kind == EnvironmentKind::Docker)
            else {
                return Ok(None);
            };
            off_thread(move || {
                let client = docker.get()?;
                let gateway = blocking(async move {
                    network::container_gateway(&client, &id, &network)
                        .await
                        .map_err(|source| ContainerError::Docker { id, source })
                })?;
                Ok(gateway)
            })
            .await
        })
    }
}

impl Handle<CaptureAll> for EnvironmentManager {
    type Result = ();

    fn handle(&mut self, _msg: CaptureAll, _ctx: &mut Ctx<'_, Self>) {
        let running = self
            .state
            .lock()
            .expect("environment state poisoned")
            .entries
            .iter()
            .filter_map(|(task, e)| Some((task.clone(), e.sandbox.clone()?)))
            .collect();
        self.scrollback.round(running);
    }
}

impl Handle<CaptureScrollback> for EnvironmentManager {
    type Result = ResponseFuture<Result<usize, EnvironmentError>>;

    fn handle(&mut self, msg: CaptureScrollback, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let sandbox = self.sandbox(&msg.task);
        let capture = self.scrollback.clone();
        Box::pin(async move {
            let Some(sandbox) = sandbox? else {
                return Ok(0);
            };
            off_thread(move || Ok(capture.capture(&msg.task, sandbox.as_ref())?)).await
        })
    }
}

impl EnvironmentManager {
    /// The task's sandbox; `None` when its environment is not running.
    fn sandbox(&self, task: &str) -> Result<Option<Arc<dyn Sandbox>>, EnvironmentError> {
        self.state
            .lock()
            .expect("environment state poisoned")
            .entries
            .get(task)
            .map(|e| e.sandbox.clone())
            .ok_or_else(|| EnvironmentError::Unknown(task.to_string()))
    }

    fn lookup(&self, task: &str) -> Result<EnvironmentInfo, EnvironmentError> {
        self.state
            .lock()
            .expect("environment state poisoned")
            .entries
            .get(task)
            .map(|e| e.info.clone())
            .ok_or_else(|| EnvironmentError::Unknown(task.to_string()))
    }
}

/// Ends the environment's processes: the container stops, or the task's local tmux
/// sessions are killed. What is on disk stays.
fn halt(
    info: &EnvironmentV1,
    docker: DockerLink,
    settings: &ManagerSettings,
    remove: bool,
) -> Result<(), EnvironmentError> {
    match info.kind {
        EnvironmentKind::Docker => {
            let Some(id) = info.container.clone() else {
                return Ok(());
            };
            let client = docker.get()?;
            blocking(async move {
                if remove {
                    container::remove(&client, &id).await
                } else {
                    container::stop(&client, &id, STOP_GRACE).await
                }
            })?;
        }
        EnvironmentKind::Local => {
            // No tmux server running means no session to end.
            let _ = settings.tmux().kill_task(&info.task);
            if remove {
                if let Some(path) = &info.worktree {
                    let repo = worktree::owner_repository(path);
                    if let Some(repo) = repo {
                        worktree::remove(&repo, path)?;
                    } else if path.exists() {
                        std::fs::remove_dir_all(path).map_err(WorktreeError::from)?;
                    }
                }
                if let Some(home) = info.home.as_deref().filter(|h| h.exists()) {
                    std::fs::remove_dir_all(home).map_err(WorktreeError::from)?;
                }
            }
        }
    }
    Ok(())
}

impl EnvironmentManager {
    /// Captures the task's last screen, then ends its processes (and with `remove` its
    /// container or worktree) off the actor's thread. Answers the environment as it was,
    /// with the guard that marks the halt as plinth's own: the watcher must not take the
    /// container's death for a failure while the caller records the outcome.
    fn halt_later(
        &self,
        task: &str,
        remove: bool,
    ) -> impl Future<Output = Result<(EnvironmentInfo, Halting), EnvironmentError>> + 'static {
        let found = self.lookup(task);
        let (sandbox, capture) = (self.sandbox(task), self.scrollback.clone());
        let (docker, settings) = (self.docker.clone(), self.settings.clone());
        let halting = Halting::begin(&self.state, task);
        async move {
            let info = found?;
            let i = info.clone();
            off_thread(move || {
                capture.last_capture(&i.task, sandbox.ok().flatten().as_deref());
                if remove {
                    capture.forget(&i.task);
                }
                halt(&i, docker, &settings, remove)
            })
            .await?;
            Ok((info, halting))
        }
    }
}

impl Handle<StopEnvironment> for EnvironmentManager {
    type Result = ResponseFuture<Result<(), EnvironmentError>>;

    fn handle(&mut self, msg: StopEnvironment, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let halted = self.halt_later(&msg.task, false);
        let (store, state) = (self.store.clone(), self.state.clone());
        Box::pin(async move {
            let (mut info, _halting) = halted.await?;
            info.status = EnvironmentStatus::Stopped;
            save(&store, &info, "environment.stopped").await?;
            if let Some(entry) = state
                .lock()
                .expect("environment state poisoned")
                .entries
                .get_mut(&msg.task)
            {
                entry.info = info;
                entry.sandbox = None;
            }
            Ok(())
        })
    }
}

impl Handle<RemoveEnvironment> for EnvironmentManager {
    type Result = ResponseFuture<Result<(), EnvironmentError>>;

    fn handle(&mut self, msg: RemoveEnvironment, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let halted = self.halt_later(&msg.task, true);
        let (store, state) = (self.store.clone(), self.state.clone());
        Box::pin(async move {
            let (info, _halting) = halted.await?;
            store.delete_state(&record::key(&info.task)).await?;
            store
                .append(
                    NewEvent::new(
                        "environment.removed",
                        json!({"task": info.task, "kind": info.kind}),
                    )
                    .for_task(&info.task),
                )
                .await?;
            state
                .lock()
                .expect("environment state poisoned")
                .entries
                .remove(&msg.task);
            Ok(())
        })
    }
}

impl Handle<StartEnvironment> for EnvironmentManager {
    type Result = ResponseFuture<Result<Environment, EnvironmentError>>;

    fn handle(&mut self, msg: StartEnvironment, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let found = self.lookup(&msg.task);
        let docker = self.docker.clone();
        let (store, settings, state) = (
            self.store.clone(),
            self.settings.clone(),
            self.state.clone(),
        );
        Box::pin(async move {
            let mut info = found?;
            let i = info.clone();
            let s = settings.clone();
            let sandbox = off_thread(move || resume(&i, docker, &s)).await?;
            info.status = EnvironmentStatus::Running;
            save(&store, &info, "environment.started").await?;
            let env = Environment {
                task: info.task.clone(),
                kind: info.kind,
                container: info.container.clone(),
                worktree: info.worktree.clone(),
                sandbox: sandbox.clone(),
            };
            if let Some(entry) = state
                .lock()
                .expect("environment state poisoned")
                .entries
                .get_mut(&msg.task)
            {
                entry.info = info;
                entry.sandbox = Some(sandbox);
            }
            Ok(env)
        })
    }
}

/// The environment's processes back, and a sandbox over them.
fn resume(
    info: &EnvironmentV1,
    docker: DockerLink,
    settings: &ManagerSettings,
) -> Result<Arc<dyn Sandbox>, EnvironmentError> {
    match info.kind {
        EnvironmentKind::Docker => {
            let id = info
                .container
                .clone()
                .ok_or_else(|| EnvironmentError::Unknown(info.task.clone()))?;
            let client = docker.get()?;
            let c = client.clone();
            let started = id.clone();
            let network = settings.config.docker.network.clone();
            blocking(async move {
                // Its network may have been removed (and made again) while it was stopped.
                let network = network::ensure(&c, &network).await?;
                network::reattach(&c, &started, &network)
                    .await
                    .map_err(|source| ContainerError::Docker {
                        id: started.clone(),
                        source,
                    })?;
                container::start(&c, &started).await?;
                Ok::<_, EnvironmentError>(())
            })?;
            Ok(DockerSandbox::new(&client, &id, &info.task)? as Arc<dyn Sandbox>)
        }
        EnvironmentKind::Local => {
            let gone = || {
                EnvironmentError::Worktree(WorktreeError::from(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!("the worktree of task {} is gone", info.task),
                )))
            };
            let (Some(worktree), Some(home)) = (&info.worktree, &info.home) else {
                return Err(gone());
            };
            if !worktree.is_dir() {
                return Err(gone());
            }
            Ok(LocalSandbox::new(&info.task, worktree, home, settings.tmux()) as Arc<dyn Sandbox>)
        }
    }
}
