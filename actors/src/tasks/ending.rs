//! What follows a task's end (finished or failed): it is announced, its work is brought
//! back, and what it holds is freed.
//!
//! An ended task holds nothing: once its work is synced its agent host is ended and its
//! environment stopped ([`release`]): an idle Claude Code container is 115–150 MiB, and
//! twenty finished tasks would keep gigabytes for nothing. Its files stay (the container is
//! stopped, not removed) and so does its scrollback (in the store). What still needs the
//! environment afterwards wakes it with a lease ([`super::wake`]).

use plinth_store::Store;

use super::agent_hosts::agent_host_name;
use super::notify;
use super::record::{Lifecycle, Task};
use super::state::TaskServiceDeps;
use super::sync;
use crate::environments::GetEnvironment;

/// A notification when `task` has just ended; nothing otherwise.
pub(super) async fn announce_end(store: &Store, task: &Task) {
    let (title, body, urgency) = match &task.lifecycle {
        Lifecycle::Finished => (
            format!("Task {} finished", task.id),
            format!("Its work is on {}.", task.branch),
            "info",
        ),
        Lifecycle::Failed { reason } => (
            format!("Task {} failed", task.id),
            reason.clone(),
            "needs-attention",
        ),
        _ => return,
    };
    if let Err(err) = notify::notify(store, &task.id, &title, &body, urgency).await {
        tracing::warn!(%err, task = %task.id, "cannot record a notification");
    }
}

/// Frees what an ended task holds: its agent host ends, and its environment stops unless a
/// lease holds it awake. Call it once the task's work is synced.
pub(super) async fn release(deps: &TaskServiceDeps, task: &str) {
    if deps.running.remove(task).is_some() {
        let _ = deps.hosts.terminate_child(&agent_host_name(task)).await;
    }
    deps.wakes.stop_unless_held(&deps.environments, task).await;
}

/// Brings an ended task's work back, then frees what it holds. A sync that fails is
/// recorded and does not keep the environment up: the work stays in the stopped container,
/// and the next sync wakes it.
pub(super) async fn settle(deps: &TaskServiceDeps, task: Task) {
    if let Err(err) = sync::sync(deps, task.clone()).await {
        tracing::warn!(task = %task.id, %err, "cannot sync the ended task's branch");
        sync::record_failure(deps, &task.id, &err).await;
    }
    release(deps, &task.id).await;
}

/// Settles the ended `tasks` whose environment still runs: plinth stopped before it could
/// release them, or an older plinth kept them.
pub(super) async fn settle_left_running(deps: &TaskServiceDeps, tasks: Vec<Task>) {
    for task in tasks {
        let running = deps
            .environments
            .send(GetEnvironment {
                task: task.id.clone(),
            })
            .await;
        if matches!(running, Ok(Some(_))) {
            settle(deps, task).await;
        }
    }
}
