//! Where tasks run: Docker containers made from plinth's agent image or a project's own
//! Dockerfile.
//!
//! - [`manager`]: the actor that owns every task's environment, Docker or local, and
//!   re-adopts them after a restart ([`record`] is what it stores); it notices containers
//!   that die under it while it runs. Its messages are in [`manager::protocol`].
//! - [`docker`]: the Docker plumbing it uses, from the connection to the daemon up to a
//!   task's container with the repository copied in.
//! - [`worktree`]: unsafe local mode's working copy, a git worktree on the host.
//! - [`base`]: the branch, tag or commit a task starts from, resolved before git sees it
//!   (both kinds use it); `git_cli` runs git's own commands on the host's repository.
//! - [`scrollback`]: what the manager does to keep each task's terminal scrollback in the
//!   store past the life of its container.
//! - [`gc`]: what `plinth gc` removes.

pub mod base;
pub mod docker;
pub mod gc;
mod git_cli;
pub mod manager;
pub mod record;
pub mod scrollback;
pub mod worktree;

pub use docker::build::{BuildEvent, ImageError, ImageRef, Images};
pub use docker::image::{CLAUDE_CODE_VERSION, DEFAULT_BASE_IMAGE, ImageRecipe};
pub use docker::image_plan::ImagePlan;
pub use docker::{DEFAULT_DOCKER_HOST, DockerClient, DockerError};
pub use manager::{
    CaptureScrollback, CreateEnvironment, Environment, EnvironmentError, EnvironmentManager,
    GetEnvironment, ListEnvironments, Listing, ManagerSettings, RemoveEnvironment, SandboxGateway,
    StartEnvironment, StopEnvironment,
};
