//! What goes wrong with registering or listing a project.

use plinth_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error(
        "{path} is not inside a git repository: run `git init` there, or run plinth from your repository"
    )]
    NotARepository { path: String },
    #[error("{path} is a bare repository: plinth needs a repository with a working tree")]
    Bare { path: String },
    #[error("cannot read {path}: {detail}")]
    Unreadable { path: String, detail: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}
