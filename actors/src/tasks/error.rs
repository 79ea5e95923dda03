//! What goes wrong with a task ([`TaskError`]), and with bringing its work back or showing
//! it ([`SyncError`]).

use plinth_store::StoreError;

use super::git_sync::{GitSyncError, short};
use super::sandbox_git::SandboxGitError;
use crate::environments::base::BaseError;
use crate::projects::ProjectError;

#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    #[error("no task {0}")]
    Unknown(String),
    #[error("the prompt is empty; say what the agent should do")]
    EmptyPrompt,
    #[error("a budget of {0} is not one: give an amount above 0, e.g. 2.50")]
    InvalidBudget(f64),
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
    #[error("task {id}'s agent offers no choice {given:?}: answer one of {choices}")]
    UnknownChoice {
        id: String,
        given: String,
        /// The choices offered, as a person reads them.
        choices: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Actor(String),
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Task(#[from] TaskError),
    #[error(
        "task {task}'s container is not running, so nothing new can be copied out of it{}",
        last.as_ref().map(|c| format!("; plinth/{task} has what was synced last ({})", short(c))).unwrap_or_default()
    )]
    NotRunning { task: String, last: Option<String> },
    #[error(
        "task {task} has nothing synced yet and its environment is not running: there is no diff to show"
    )]
    NothingSynced { task: String },
    #[error("the branch {branch} is gone{where_}; plinth cannot sync task {task}")]
    NoBranch {
        task: String,
        branch: String,
        where_: &'static str,
    },
    #[error(transparent)]
    Git(#[from] GitSyncError),
    #[error("task {task}: {source}")]
    Sandbox {
        task: String,
        #[source]
        source: SandboxGitError,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Actor(String),
}
