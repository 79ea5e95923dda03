//! The `events` capability: the task's transcript, status and notifications, as events in
//! the store. Adapters call it from their guest thread, which has no async runtime: each
//! call waits for the store's writer, so when the call returns the event is durable.

use plinth_store::{NewEvent, Store};
use plinth_wasm::EventsCap;
use plinth_wasm::wit::{CapError, ChoiceKind, Question, Role, Status, TranscriptEntry, Urgency};
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
    pub(super) task: String,
}

impl TaskEvents {
    pub fn new(store: Store, task: impl Into<String>) -> Self {
        TaskEvents {
            store,
            task: task.into(),
        }
    }

    pub(super) fn append(&self, kind: &str, data: Value) -> Result<u64, CapError> {
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

    /// A status that waits on `question`: its text is the detail anyone reading statuses
    /// shows; the task service keeps the question until the next status.
    fn ask(&self, question: Question) -> Result<(), CapError> {
        let choices: Vec<Value> = question
            .choices
            .iter()
            .map(|c| json!({ "id": c.id, "label": c.label, "kind": choice_kind_name(c.kind) }))
            .collect();
        self.append(
            kind::STATUS,
            json!({
                "status": status_name(Status::WaitingForUser),
                "detail": question.text,
                "question": {
                    "text": question.text,
                    "detail": question.detail,
                    "choices": choices,
                },
            }),
        )
        .map(|_| ())
    }
}

pub fn choice_kind_name(kind: ChoiceKind) -> &'static str {
    match kind {
        ChoiceKind::Allow => "allow",
        ChoiceKind::AllowAlways => "allow-always",
        ChoiceKind::Deny => "deny",
        ChoiceKind::Other => "other",
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
