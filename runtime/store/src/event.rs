//! The two shapes of an event: what a caller asks to append, and what the log holds.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An event not yet in the log: the writer gives it a `seq` and a time when it commits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    pub kind: String,
    pub task: Option<String>,
    pub data: serde_json::Value,
}

impl NewEvent {
    pub fn new(kind: impl Into<String>, data: serde_json::Value) -> Self {
        NewEvent {
            kind: kind.into(),
            task: None,
            data,
        }
    }

    pub fn for_task(self, task: impl Into<String>) -> Self {
        NewEvent {
            task: Some(task.into()),
            ..self
        }
    }
}

/// An event as committed. `seq` is global, gapless and increasing across all kinds and tasks,
/// so it doubles as a subscriber's cursor. The field order here is the JSON key order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: u64,
    pub kind: String,
    pub task: Option<String>,
    pub at: DateTime<Utc>,
    pub data: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn for_task_sets_the_task_and_keeps_kind_and_data() {
        let event = NewEvent::new("task.started", json!({"a": 1})).for_task("t1");
        assert_eq!(event.kind, "task.started");
        assert_eq!(event.task.as_deref(), Some("t1"));
        assert_eq!(event.data, json!({"a": 1}));
    }

    #[test]
    fn event_json_has_exactly_seq_kind_task_at_data_with_null_task() {
        let event = Event {
            seq: 7,
            kind: "notification".into(),
            task: None,
            at: DateTime::from_timestamp_millis(1_795_000_000_123).unwrap(),
            data: json!({"text": "hi"}),
        };
        let value = serde_json::to_value(&event).unwrap();
        let keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, ["at", "data", "kind", "seq", "task"]);
        assert_eq!(value["task"], serde_json::Value::Null);
        assert_eq!(value["seq"], json!(7));
        let back: Event = serde_json::from_value(value).unwrap();
        assert_eq!(back, event);
    }
}
