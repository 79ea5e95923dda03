//! The capabilities that live in the store, not the sandbox: the task's transcript, status,
//! notifications and log as events, and the adapter's saved state as versioned state.
//!
//! Adapters call these from their guest thread, which has no async runtime: each call waits
//! for the store's writer, so when the call returns the event is durable.

use plinth_store::{NewEvent, Store, Versioned};
use plinth_wasm::wit::{CapError, Level, Role, Status, TranscriptEntry, Urgency};
use plinth_wasm::{EventsCap, LogCap, StateCap};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The event kinds an adapter writes.
pub mod kind {
    pub const TRANSCRIPT: &str = "task.transcript";
    pub const STATUS: &str = "task.status";
    /// Not under `task.`: the UI and `tasks.notify_command` take notifications from any source.
    pub const NOTIFICATION: &str = "notification";
    pub const LOG: &str = "task.log";
}

#[derive(Clone)]
pub struct TaskEvents {
    store: Store,
    task: String,
}

impl TaskEvents {
    pub fn new(store: Store, task: impl Into<String>) -> Self {
        TaskEvents {
            store,
            task: task.into(),
        }
    }

    fn append(&self, kind: &str, data: Value) -> Result<u64, CapError> {
        let event = NewEvent::new(kind, data).for_task(&self.task);
        futures::executor::block_on(self.store.append(event))
            .map(|e| e.seq)
            .map_err(|e| CapError::Failed(format!("the event log: {e}")))
    }
}

impl EventsCap for TaskEvents {
    fn append_transcript(&self, entry: TranscriptEntry) -> Result<u64, CapError> {
        // A tool's input is kept as JSON when it is JSON, so the UI can show its fields.
        let data = entry
            .data
            .map(|d| serde_json::from_str::<Value>(&d).unwrap_or(Value::String(d)));
        self.append(
            kind::TRANSCRIPT,
            json!({
                "role": role_name(entry.role),
                "text": entry.text,
                "tool": entry.tool,
                "data": data,
            }),
        )
    }

    fn set_status(&self, status: Status, detail: &str) -> Result<(), CapError> {
        self.append(
            kind::STATUS,
            json!({ "status": status_name(status), "detail": detail }),
        )
        .map(|_| ())
    }

    fn notify(&self, title: &str, body: &str, urgency: Urgency) -> Result<(), CapError> {
        let urgency = match urgency {
            Urgency::Info => "info",
            Urgency::NeedsAttention => "needs-attention",
        };
        self.append(
            kind::NOTIFICATION,
            json!({ "title": title, "body": body, "urgency": urgency }),
        )
        .map(|_| ())
    }
}

impl LogCap for TaskEvents {
    /// Logs to tracing and, from info up, to the task's log in the store.
    fn log(&self, level: Level, message: &str) {
        let name = match level {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        };
        match level {
            Level::Trace => tracing::trace!(task = %self.task, "{message}"),
            Level::Debug => tracing::debug!(task = %self.task, "{message}"),
            Level::Info => tracing::info!(task = %self.task, "{message}"),
            Level::Warn => tracing::warn!(task = %self.task, "{message}"),
            Level::Error => tracing::error!(task = %self.task, "{message}"),
        }
        if matches!(level, Level::Info | Level::Warn | Level::Error) {
            let _ = self.append(kind::LOG, json!({ "level": name, "message": message }));
        }
    }
}

pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::User => "user",
        Role::Agent => "agent",
        Role::Tool => "tool",
        Role::System => "system",
    }
}

pub fn status_name(status: Status) -> &'static str {
    match status {
        Status::Starting => "starting",
        Status::Working => "working",
        Status::WaitingForUser => "waiting-for-user",
        Status::Idle => "idle",
        Status::Finished => "finished",
        Status::Failed => "failed",
    }
}

/// The blob an adapter saved, kept outside its memory so a restart can give it back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AdapterStateV1 {
    /// The blob, hex-encoded.
    pub blob: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "version")]
pub enum AdapterStateRecord {
    #[serde(rename = "1")]
    V1(AdapterStateV1),
}

impl Versioned for AdapterStateRecord {
    const KIND: &'static str = "adapter-state";
    type Latest = AdapterStateV1;

    fn into_latest(self) -> AdapterStateV1 {
        match self {
            AdapterStateRecord::V1(s) => s,
        }
    }

    fn from_latest(latest: AdapterStateV1) -> Self {
        AdapterStateRecord::V1(latest)
    }

    fn version(&self) -> u32 {
        match self {
            AdapterStateRecord::V1(_) => 1,
        }
    }

    fn schemas() -> Vec<(u32, schemars::Schema)> {
        vec![(1, schemars::schema_for!(AdapterStateV1))]
    }
}

#[derive(Clone)]
pub struct TaskState {
    store: Store,
    key: String,
}

impl TaskState {
    pub fn new(store: Store, task: &str) -> Self {
        TaskState {
            store,
            key: format!("adapter-state/{task}"),
        }
    }
}

impl StateCap for TaskState {
    fn save(&self, blob: &[u8]) -> Result<(), CapError> {
        let record = AdapterStateRecord::from_latest(AdapterStateV1 {
            blob: hex::encode(blob),
        });
        futures::executor::block_on(self.store.put_state(&self.key, &record))
            .map_err(|e| CapError::Failed(format!("the store: {e}")))
    }

    fn load(&self) -> Option<Vec<u8>> {
        match self.store.get_state::<AdapterStateRecord>(&self.key) {
            Ok(Some(state)) => hex::decode(state.blob).ok(),
            Ok(None) => None,
            Err(err) => {
                tracing::warn!(key = %self.key, %err, "cannot read the adapter's saved state");
                None
            }
        }
    }
}
