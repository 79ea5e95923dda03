//! Where tasks run: Docker containers made from plinth's agent image or a project's own
//! Dockerfile.
//!
//! - [`base`]: the branch, tag or commit a task starts from, resolved before git sees it.
//! - [`docker`]: the negotiated connection to the daemon, and the error when it is down.
//! - [`image`]: what an image is made from, and the tag its inputs give it.
//! - [`build`]: building an image once per set of inputs, with progress events;
//!   `build_context` is the reproducible archive sent to the daemon.
//! - [`image_plan`]: which image a project's environments run in.
//! - `dockerignore`: what a project's build context leaves out.
//! - [`manager`]: the actor that owns every task's environment, Docker or local, and
//!   re-adopts them after a restart ([`record`] is what it stores); it notices containers
//!   that die under it while it runs. Its messages are in [`manager::protocol`].
//! - [`network`]: plinth's own Docker network, which every task container is on.
//! - [`scrollback`]: what the manager does to keep each task's terminal scrollback in the
//!   store past the life of its container.

pub mod base;
pub mod build;
mod build_context;
pub mod container;
pub mod docker;
pub mod docker_exec;
pub mod docker_sandbox;
mod dockerignore;
pub mod gc;
mod git_cli;
pub mod image;
pub mod image_plan;
pub mod manager;
pub mod network;
pub mod ownership;
pub mod record;
pub mod repo_copy;
pub mod scrollback;
pub mod worktree;

pub use build::{BuildEvent, ImageError, ImageRef, Images};
pub use docker::{DEFAULT_DOCKER_HOST, DockerClient, DockerError};
pub use image::{CLAUDE_CODE_VERSION, DEFAULT_BASE_IMAGE, ImageRecipe};
pub use image_plan::ImagePlan;
pub use manager::{
    CaptureScrollback, CreateEnvironment, Environment, EnvironmentError, EnvironmentManager,
    GetEnvironment, ListEnvironments, Listing, ManagerSettings, RemoveEnvironment, SandboxGateway,
    StartEnvironment, StopEnvironment,
};
