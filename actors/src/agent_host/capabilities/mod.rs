//! The task's side of the capabilities an adapter imports (`plinth_wasm`'s `TmuxCap`,
//! `EnvironmentCap`, ...), one file each, and where the others live:
//!
//! - `tmux`: `TaskSessions` (`sandbox/task_sessions.rs`), for both sandboxes.
//! - `environment`: one file per sandbox: `LocalSandbox` (`sandbox/local.rs`) and
//!   `DockerSandbox` (`environments/docker/sandbox.rs`); the [`Sandbox`](super::Sandbox)
//!   trait hands out both sandbox capabilities.
//! - `events`, `log`, `state`: here. They live in the store, not the sandbox.
//!
//! The guest thread gathers them into each instance's `plinth_wasm::Capabilities`.

mod events;
mod log;
mod state;

pub use events::{TaskEvents, kind, status_name};
pub use state::{AdapterStateRecord, AdapterStateV1, TaskState};
