//! The task's side of the capabilities an adapter imports (`plinth_wasm`'s `TmuxCap`,
//! `EnvironmentCap`, ...), one file each, and where the others live:
//!
//! - `tmux`: `TaskSessions` (`sandbox/task_sessions.rs`), for both sandboxes.
//! - `environment`: one file per sandbox: `LocalSandbox` (`sandbox/local.rs`) and
//!   `DockerSandbox` (`environments/docker/sandbox.rs`); the [`TaskSandbox`](super::TaskSandbox)
//!   trait hands out both sandbox capabilities.
//! - `events`, `log`, `state`: here. They live in the store, not the sandbox.
//!
//! [`gather`] puts them together into each instance's `plinth_wasm::Capabilities`, so
//! adding a capability on the task's side touches this folder only.

use std::sync::Arc;

use plinth_wasm::{Capabilities, EventsCap};

use super::spec::AgentSpec;
use super::start_watch::{StartWatch, Watched};

mod events;
mod log;
mod state;

pub use events::{TaskEvents, kind, status_name};
pub use state::{AdapterStateRecord, AdapterStateV1, TaskState};

/// What the guest thread gives a new instance of the task's adapter.
pub(super) fn gather(
    spec: &AgentSpec,
    events: &TaskEvents,
    state: &TaskState,
    watch: Option<&Arc<StartWatch>>,
) -> Capabilities {
    let events_cap: Arc<dyn EventsCap> = match watch {
        Some(watch) => Arc::new(Watched {
            inner: events.clone(),
            watch: watch.clone(),
        }),
        None => Arc::new(events.clone()),
    };
    Capabilities {
        task_id: spec.task.id.clone(),
        tmux: Some(spec.sandbox.clone().tmux()),
        environment: Some(spec.sandbox.clone().environment()),
        events: Some(events_cap),
        log: Some(Arc::new(events.clone())),
        state: Some(Arc::new(state.clone())),
    }
}
