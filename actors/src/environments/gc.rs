//! What `plinth gc` removes: containers labelled as ours whose task no environment record
//! knows, and worktrees under `$PLINTH_HOME/worktrees` with no record. It reads the store
//! and Docker directly, so it works with no server running.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use plinth_store::{Store, StoreError};
use serde::Serialize;

use super::docker::DockerClient;
use super::docker::container::{self, ContainerError, TaskContainer};
use super::docker::ownership::find_mine;
use super::record::{self, EnvironmentRecord};
use super::worktree::{self, WorktreeError};

#[derive(Debug, thiserror::Error)]
pub enum GcError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Container(#[from] ContainerError),
    #[error("worktree {path}: {source}")]
    Worktree {
        path: PathBuf,
        #[source]
        source: WorktreeError,
    },
}

#[derive(Clone, Debug, Serialize)]
pub struct OrphanContainer {
    pub id: String,
    pub name: String,
    pub task: String,
    pub project: String,
    pub state: String,
}

impl From<&TaskContainer> for OrphanContainer {
    fn from(c: &TaskContainer) -> Self {
        OrphanContainer {
            id: c.id.clone(),
            name: c.name.clone(),
            task: c.task.clone(),
            project: c.project.clone(),
            state: c.state.clone(),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct OrphanWorktree {
    pub task: String,
    pub path: PathBuf,
}

/// What is left over.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Garbage {
    pub containers: Vec<OrphanContainer>,
    pub worktrees: Vec<OrphanWorktree>,
}

impl Garbage {
    pub fn is_empty(&self) -> bool {
        self.containers.is_empty() && self.worktrees.is_empty()
    }
}

/// Finds the leftovers of the plinth home `home`. `docker` is None when the daemon is down
/// (only worktrees are looked at then); `label` narrows the containers looked at (`key` or
/// `key=value`). Containers of another home are never looked at ([`find_mine`]).
pub async fn find(
    store: &Store,
    docker: Option<&DockerClient>,
    home: &Path,
    label: Option<&str>,
) -> Result<Garbage, GcError> {
    let known: HashSet<String> = store
        .list_state::<EnvironmentRecord>(record::KEY_PREFIX)?
        .into_iter()
        .map(|(_, r)| r.task)
        .collect();
    let mut garbage = Garbage::default();
    if let Some(client) = docker {
        let found = find_mine(client, home, label).await?;
        garbage.containers = found
            .iter()
            .filter(|c| !known.contains(&c.task))
            .map(OrphanContainer::from)
            .collect();
    }
    garbage.worktrees = worktree::list(&home.join("worktrees"))
        .into_iter()
        .filter(|(task, _)| !known.contains(task))
        .map(|(task, path)| OrphanWorktree { task, path })
        .collect();
    Ok(garbage)
}

/// Removes what [`find`] found.
pub async fn remove(garbage: &Garbage, docker: Option<&DockerClient>) -> Result<(), GcError> {
    if let Some(client) = docker {
        for c in &garbage.containers {
            container::remove(client, &c.id).await?;
        }
    }
    for w in &garbage.worktrees {
        let failed = |source| GcError::Worktree {
            path: w.path.clone(),
            source,
        };
        match worktree::owner_repository(&w.path) {
            Some(repo) => worktree::remove(&repo, &w.path).map_err(failed)?,
            // Not a worktree (any more): a plain directory plinth left.
            None => std::fs::remove_dir_all(&w.path).map_err(|e| failed(WorktreeError::Io(e)))?,
        }
    }
    Ok(())
}
