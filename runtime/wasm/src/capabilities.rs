//! What the embedder provides to one adapter instance: an implementation per capability
//! interface, each optional.
//!
//! The traits are synchronous because an instance runs on its caller's thread; a slow call
//! (an `exec`) blocks only that task's adapter, and its time is not charged to the guest's
//! deadline. Implementations are the task's own: scoping sessions, paths and state to the
//! task is their job, not the host's.

use std::fmt;
use std::sync::Arc;

use crate::wit::{
    CapError, ExecOutput, ExecRequest, Level, Screen, SessionSpec, Status, TranscriptEntry, Urgency,
};

/// `plinth:agent/tmux`.
pub trait TmuxCap: Send + Sync {
    fn create(&self, spec: SessionSpec) -> Result<(), CapError>;
    fn paste(&self, session: &str, text: &str) -> Result<(), CapError>;
    fn send_keys(&self, session: &str, keys: &[String]) -> Result<(), CapError>;
    fn capture_screen(&self, session: &str) -> Result<Screen, CapError>;
    fn capture_history(&self, session: &str, max_lines: u32) -> Result<String, CapError>;
    fn foreground_command(&self, session: &str) -> Result<String, CapError>;
    fn is_alive(&self, session: &str) -> Result<bool, CapError>;
    fn kill(&self, session: &str) -> Result<(), CapError>;
}

/// `plinth:agent/environment`. `exec` receives a request whose `timeout_ms` the host has
/// already capped at [`EXEC_TIMEOUT_CAP`](crate::EXEC_TIMEOUT_CAP).
pub trait EnvironmentCap: Send + Sync {
    fn exec(&self, request: ExecRequest) -> Result<ExecOutput, CapError>;
    fn read_file(&self, path: &str) -> Result<Vec<u8>, CapError>;
    fn write_file(&self, path: &str, contents: &[u8]) -> Result<(), CapError>;
}

/// `plinth:agent/events`.
pub trait EventsCap: Send + Sync {
    fn append_transcript(&self, entry: TranscriptEntry) -> Result<u64, CapError>;
    fn set_status(&self, status: Status, detail: &str) -> Result<(), CapError>;
    fn notify(&self, title: &str, body: &str, urgency: Urgency) -> Result<(), CapError>;
}

/// `plinth:agent/log`. Also receives the guest's WASI stdout (as `info`) and stderr (as
/// `warn`), a line at a time.
pub trait LogCap: Send + Sync {
    fn log(&self, level: Level, message: &str);
}

/// `plinth:agent/state`. `save` is only called with blobs within
/// [`STATE_BLOB_LIMIT`](crate::STATE_BLOB_LIMIT).
pub trait StateCap: Send + Sync {
    fn save(&self, blob: &[u8]) -> Result<(), CapError>;
    fn load(&self) -> Option<Vec<u8>>;
}

/// The implementations handed to one instance. A capability that was granted (and so
/// linked) but is `None` here answers every call with `access-denied`; `log` and
/// `state.load`, which cannot fail in WIT, go to `tracing` and answer `none` instead.
#[derive(Clone, Default)]
pub struct Capabilities {
    /// Names the task in host-side logs.
    pub task_id: String,
    pub tmux: Option<Arc<dyn TmuxCap>>,
    pub environment: Option<Arc<dyn EnvironmentCap>>,
    pub events: Option<Arc<dyn EventsCap>>,
    pub log: Option<Arc<dyn LogCap>>,
    pub state: Option<Arc<dyn StateCap>>,
}

impl Capabilities {
    /// No implementations: every linked capability denies.
    pub fn none(task_id: impl Into<String>) -> Self {
        Capabilities {
            task_id: task_id.into(),
            ..Capabilities::default()
        }
    }
}

impl fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Capabilities")
            .field("task_id", &self.task_id)
            .field("tmux", &self.tmux.is_some())
            .field("environment", &self.environment.is_some())
            .field("events", &self.events.is_some())
            .field("log", &self.log.is_some())
            .field("state", &self.state.is_some())
            .finish()
    }
}
