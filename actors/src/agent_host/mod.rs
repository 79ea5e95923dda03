//! The agent host: one actor per task that runs the task's adapter component. The adapter
//! runs on a guest thread of its own (a WASM call can block in a capability for as long as
//! a command runs); a trap, a deadline or a memory cap fails the actor, and its supervisor
//! builds a new instance that starts again from the state the adapter last saved.
//!
//! Read in this order: [`protocol`] (the messages and their answers), `spec` (what a host
//! is built from), `state`, then the handlers: `lifecycle` (start, stop, a dead guest) and
//! `relay` (signals and the final stop). `guest_thread` runs the adapter; `start_watch`,
//! `capabilities` and `task_sandbox` are what it is given.

mod capabilities;
mod guest_thread;
mod lifecycle;
pub mod protocol;
mod relay;
mod spec;
mod start_watch;
mod starts;
mod state;
mod task_sandbox;

pub use capabilities::{
    AdapterStateRecord, AdapterStateV1, TaskEvents, TaskState, kind, status_name,
};
pub use protocol::{Deliver, StopAgent};
pub use spec::{AgentSpec, TaskSpec};
pub use starts::{AdapterStartsRecord, AdapterStartsV1};
pub use state::AgentHost;
pub use task_sandbox::TaskSandbox;
