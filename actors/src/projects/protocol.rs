//! What the [`ProjectService`](super::ProjectService) accepts, and what each message
//! answers: [`RegisterProject`] (handled in `register.rs`) and [`ListProjects`]
//! (`list.rs`), both answering [`Project`]s or a [`ProjectError`] (`error.rs`).

use std::path::PathBuf;

use actix::Message;

use super::error::ProjectError;
use super::record::Project;

/// Registers the repository around `path`; returns the project (the existing one if the
/// repository was registered before).
#[derive(Message)]
#[rtype(result = "Result<Project, ProjectError>")]
pub struct RegisterProject {
    pub path: PathBuf,
}

#[derive(Message)]
#[rtype(result = "Result<Vec<Project>, ProjectError>")]
pub struct ListProjects;
