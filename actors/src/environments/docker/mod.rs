//! The Docker plumbing under the environment manager: everything that talks to the daemon,
//! from the connection up to a task's container with the repository in it. Nothing here
//! keeps state of its own; the manager ([`super::manager`]) decides what is made when.
//!
//! - [`client`]: the negotiated connection to the daemon, and the error when it is down.
//! - [`exec`]: a command run to completion inside a container.
//! - [`image`]: what an image is made from, and the tag its inputs give it;
//!   `build_context` is the reproducible archive sent to the daemon, `dockerignore` what a
//!   project's leaves out.
//! - [`build`]: building an image once per set of inputs, with progress events read from
//!   the builder's output (`build_output`).
//! - [`image_plan`]: which image a project's environments run in.
//! - [`network`]: plinth's own Docker network, which every task container is on.
//! - [`container`]: one container per task, and finding plinth's containers again;
//!   [`ownership`] tells which of them belong to this plinth home.
//! - [`repo_copy`]: the repository copied into a task's container.
//! - [`sandbox`]: a task's container as an agent's sandbox.

pub mod agent_tools;
pub mod build;
mod build_context;
mod build_output;
pub mod client;
pub mod container;
mod dockerignore;
pub mod exec;
pub mod image;
pub mod image_plan;
pub mod network;
pub mod ownership;
pub mod repo_copy;
pub mod sandbox;

pub use client::{DEFAULT_DOCKER_HOST, DockerClient, DockerError};
