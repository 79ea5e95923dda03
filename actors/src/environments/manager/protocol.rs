//! What the environment manager takes and what it answers: read this first.
//!
//! | message              | answers                                                      |
//! |----------------------|--------------------------------------------------------------|
//! | [`CreateEnvironment`] | the new [`Environment`], or why none was made               |
//! | [`GetEnvironment`]    | the task's [`Environment`] while it can be acted in          |
//! | [`StopEnvironment`]   | once its processes ended (its files stay)                    |
//! | [`StartEnvironment`]  | the [`Environment`] of a stopped task, running again         |
//! | [`RemoveEnvironment`] | once its container or worktree is gone and its record with it |
//! | [`ListEnvironments`]  | a [`Listing`] of everything the manager knows of             |
//! | [`SandboxGateway`]    | the address the task's sandbox reaches plinth on, if any     |
//! | [`CaptureScrollback`] | how many scrollback streams changed                          |
//!
//! `CaptureAll` is the manager's own timer tick.

use std::path::PathBuf;
use std::sync::Arc;

use actix::Message;
use plinth_store::StoreError;

use crate::agent_host::TaskSandbox;
use crate::environments::base::BaseError;
use crate::environments::docker::DockerError;
use crate::environments::docker::build::ImageError;
use crate::environments::docker::container::{ContainerError, TaskContainer};
use crate::environments::docker::network::NetworkError;
use crate::environments::docker::repo_copy::RepoCopyError;
use crate::environments::record::{EnvironmentInfo, EnvironmentKind};
use crate::environments::scrollback::ScrollbackError;
use crate::environments::worktree::WorktreeError;
use crate::projects::ProjectError;
use crate::task_inputs::Sandbox;

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

/// A task's environment, as its users get it: what it is and the sandbox to act in it.
#[derive(Clone)]
pub struct Environment {
    pub task: String,
    pub kind: EnvironmentKind,
    /// The container's id (Docker).
    pub container: Option<String>,
    /// The worktree on the host (local).
    pub worktree: Option<PathBuf>,
    pub sandbox: Arc<dyn TaskSandbox>,
}

impl Environment {
    /// The environment `info` describes, acted in through `sandbox`.
    pub(super) fn of(info: &EnvironmentInfo, sandbox: Arc<dyn TaskSandbox>) -> Self {
        Environment {
            task: info.task.clone(),
            kind: info.kind,
            container: info.container.clone(),
            worktree: info.worktree.clone(),
            sandbox,
        }
    }
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

/// Makes the task's environment: a container from the project's image with the repository
/// copied in (Docker), or a git worktree and a home on the host (local). Handled in
/// `create`.
#[derive(Message)]
#[rtype(result = "Result<Environment, EnvironmentError>")]
pub struct CreateEnvironment {
    pub task: String,
    pub project_path: PathBuf,
    pub base_branch: String,
    pub sandbox: Sandbox,
    pub include_uncommitted: bool,
    /// The task's agent: its image gets the agent's CLI when it is one plinth installs
    /// (see `docker::agent_tools`).
    pub agent: String,
}

/// The task's environment; `None` when it has none or it cannot be acted in (stopped,
/// failed, Docker down). Handled in `query`.
#[derive(Message)]
#[rtype(result = "Option<Environment>")]
pub struct GetEnvironment {
    pub task: String,
}

/// Ends the environment's processes after a last scrollback capture: the container stops,
/// or the task's local tmux sessions are killed. What is on disk stays. Handled in `halt`.
#[derive(Message)]
#[rtype(result = "Result<(), EnvironmentError>")]
pub struct StopEnvironment {
    pub task: String,
}

/// Starts a stopped environment again: its container (or, in local mode, nothing: the
/// worktree is there) comes back with a fresh sandbox; its files are as they were.
/// Handled in `resume`.
#[derive(Message)]
#[rtype(result = "Result<Environment, EnvironmentError>")]
pub struct StartEnvironment {
    pub task: String,
}

/// Ends the environment and removes its container (or worktree and home) and its record.
/// Handled in `halt`.
#[derive(Message)]
#[rtype(result = "Result<(), EnvironmentError>")]
pub struct RemoveEnvironment {
    pub task: String,
}

/// Everything the manager knows of. Handled in `query`.
#[derive(Message)]
#[rtype(result = "Listing")]
pub struct ListEnvironments;

/// Where the task's sandbox reaches plinth, when that is an address plinth must listen on:
/// for a Docker environment, the gateway of the network its container is on (plinth's own
/// network, see [`crate::environments::docker::network`]); `None` for a local one (loopback) and for a
/// container on no network with a gateway. Handled in `query`.
#[derive(Message)]
#[rtype(result = "Result<Option<std::net::IpAddr>, EnvironmentError>")]
pub struct SandboxGateway {
    pub task: String,
}

/// Captures the task's scrollback now; answers how many streams changed (0 when its
/// environment is not running). Handled in `capture`.
#[derive(Message)]
#[rtype(result = "Result<usize, EnvironmentError>")]
pub struct CaptureScrollback {
    pub task: String,
}

/// The scrollback timer's tick: every running environment is captured. Handled in
/// `capture`.
#[derive(Message)]
#[rtype(result = "()")]
pub(super) struct CaptureAll;

/// What [`ListEnvironments`] answers.
#[derive(Clone, Debug, actix::MessageResponse)]
pub struct Listing {
    pub environments: Vec<EnvironmentInfo>,
    /// Containers labelled as ours whose task no record knows.
    pub orphans: Vec<TaskContainer>,
    /// Why Docker could not be reached at start, if it could not.
    pub docker_error: Option<String>,
}
