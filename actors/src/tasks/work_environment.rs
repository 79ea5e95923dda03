//! The environment a sync or a diff reads a task's work from, woken under a lease when the
//! task has ended.

use super::error::SyncError;
use super::record::Task;
use super::state::TaskServiceDeps;
use super::wake::Lease;
use crate::environments::{Environment, GetEnvironment};

/// The task's environment to read its work from, if it has one. An ended task's was
/// stopped once its work was synced, so it is woken, and held by the lease returned for as
/// long as the caller keeps it: even when found running, since the task's release may be
/// stopping it right now. `None` when it cannot be woken: the caller falls back on what was
/// synced.
pub(super) async fn environment_for_work(
    deps: &TaskServiceDeps,
    task: &Task,
    purpose: &str,
) -> Result<(Option<Environment>, Option<Lease>), SyncError> {
    if !task.lifecycle.is_ended() {
        return Ok((environment(deps, &task.id).await?, None));
    }
    match deps.wakes.wake(&deps.environments, &task.id).await {
        Ok((environment, lease)) => Ok((Some(environment), Some(lease))),
        Err(err) => {
            tracing::warn!(task = %task.id, %err, "cannot wake the ended task's environment to {purpose}");
            Ok((None, None))
        }
    }
}

async fn environment(deps: &TaskServiceDeps, task: &str) -> Result<Option<Environment>, SyncError> {
    deps.environments
        .send(GetEnvironment {
            task: task.to_string(),
        })
        .await
        .map_err(|e| SyncError::Actor(e.to_string()))
}
