//! What an agent host is built from, cloned into each incarnation; the guest thread reads
//! it too.

use std::sync::Arc;
use std::time::Duration;

use plinth_store::Store;
use plinth_wasm::LoadedAdapter;

use super::task_sandbox::TaskSandbox;

/// What the adapter is told about its task.
#[derive(Clone, Debug)]
pub struct TaskSpec {
    pub id: String,
    pub prompt: String,
    pub branch: String,
    pub env: Vec<(String, String)>,
}

/// Everything an agent host needs; cloned into each incarnation.
#[derive(Clone)]
pub struct AgentSpec {
    pub task: TaskSpec,
    pub adapter: LoadedAdapter,
    pub sandbox: Arc<dyn TaskSandbox>,
    pub store: Store,
    /// How often the adapter gets a tick (and the sandbox is polled).
    pub tick: Duration,
    /// For a task still starting: how long its agent may show no sign of life before the
    /// user is told (`tasks.start_deadline_ms`, see `start_watch`); `None` for none.
    pub start_deadline: Option<Duration>,
}
