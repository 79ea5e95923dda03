//! The agent host: one actor per task that runs the task's adapter component. The adapter
//! runs on a guest thread of its own (a WASM call can block in a capability for as long as
//! a command runs); a trap, a deadline or a memory cap fails the actor, and its supervisor
//! builds a new instance that starts again from the state the adapter last saved.

mod actor;
mod guest_thread;
mod sandbox;
mod start_watch;
mod task_caps;

pub use actor::{AgentHost, AgentSpec, Deliver, StopAgent, TaskSpec};
pub use sandbox::Sandbox;
pub use task_caps::{AdapterStateRecord, AdapterStateV1, TaskEvents, TaskState, kind, status_name};
