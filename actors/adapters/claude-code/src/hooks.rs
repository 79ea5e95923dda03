//! Claude Code's hook bodies (the JSON its hooks send on stdin, posted on by curl), read
//! into what the adapter acts on. Unknown hooks and fields are tolerated: Claude Code adds
//! both between versions.

use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub enum Hook {
    SessionStart,
    UserPromptSubmit {
        prompt: String,
    },
    PreToolUse {
        tool: String,
        input: Value,
    },
    PostToolUse {
        tool: String,
        /// The model's id for the call (`toolu_…`), when Claude Code sends it.
        id: String,
        response: Value,
    },
    Notification {
        kind: String,
        message: String,
    },
    Stop {
        last_message: Option<String>,
        transcript_path: Option<String>,
    },
    SessionEnd {
        reason: String,
    },
    Other(String),
}

impl Hook {
    /// Reads hook `name`'s `body`; a body that is not a JSON object reads as empty.
    pub fn parse(name: &str, body: &str) -> Hook {
        let fields = match serde_json::from_str::<Value>(body) {
            Ok(Value::Object(fields)) => fields,
            _ => Map::new(),
        };
        let text = |key: &str| {
            fields
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let optional = |key: &str| {
            fields
                .get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        match name {
            "SessionStart" => Hook::SessionStart,
            "UserPromptSubmit" => Hook::UserPromptSubmit {
                prompt: text("prompt"),
            },
            "PreToolUse" => Hook::PreToolUse {
                tool: text("tool_name"),
                input: fields
                    .get("tool_input")
                    .cloned()
                    .unwrap_or(Value::Object(Map::new())),
            },
            "PostToolUse" => Hook::PostToolUse {
                tool: text("tool_name"),
                id: text("tool_use_id"),
                response: fields.get("tool_response").cloned().unwrap_or(Value::Null),
            },
            "Notification" => Hook::Notification {
                kind: text("notification_type"),
                message: text("message"),
            },
            "Stop" => Hook::Stop {
                last_message: optional("last_assistant_message"),
                transcript_path: optional("transcript_path"),
            },
            "SessionEnd" => Hook::SessionEnd {
                reason: text("reason"),
            },
            other => Hook::Other(other.to_string()),
        }
    }
}

/// What a notification asks of the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// A permission prompt, a question, or any other dialog only the user can answer.
    NeedsUser,
    /// Claude Code has waited at its prompt for a while (60 s): its turn is over.
    Idle,
    Nothing,
}

/// Types that tell the user something without asking anything.
const INFORMATIONAL: [&str; 2] = ["auth_success", "idle_prompt"];

pub fn classify_notification(kind: &str, message: &str) -> Ask {
    match kind {
        "idle_prompt" => Ask::Idle,
        _ if INFORMATIONAL.contains(&kind) => Ask::Nothing,
        // Claude Code notifies when it needs the user, and new versions add types
        // (`agent_needs_input` for auto mode's own dialog): a type not known to be
        // informational is taken as a need, since a missed one leaves the user unaware.
        _ if !kind.is_empty() => Ask::NeedsUser,
        // Older versions send no type; the message says what it is.
        _ if message.to_lowercase().contains("permission") => Ask::NeedsUser,
        _ if message.to_lowercase().contains("needs your") => Ask::NeedsUser,
        _ if message.to_lowercase().contains("waiting for your input") => Ask::Idle,
        _ => Ask::Nothing,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_each_hook() {
        assert_eq!(
            Hook::parse(
                "UserPromptSubmit",
                r#"{"prompt":"fix it","session_id":"s"}"#
            ),
            Hook::UserPromptSubmit {
                prompt: "fix it".into()
            }
        );
        assert_eq!(
            Hook::parse(
                "PreToolUse",
                r#"{"tool_name":"Bash","tool_input":{"command":"ls"}}"#
            ),
            Hook::PreToolUse {
                tool: "Bash".into(),
                input: json!({"command": "ls"})
            }
        );
        assert_eq!(
            Hook::parse(
                "Notification",
                r#"{"message":"Claude needs your permission to use Bash","notification_type":"permission_prompt"}"#
            ),
            Hook::Notification {
                kind: "permission_prompt".into(),
                message: "Claude needs your permission to use Bash".into()
            }
        );
        assert_eq!(
            Hook::parse(
                "Stop",
                r#"{"transcript_path":"/h/.claude/p/s.jsonl","stop_hook_active":false}"#
            ),
            Hook::Stop {
                last_message: None,
                transcript_path: Some("/h/.claude/p/s.jsonl".into())
            }
        );
        assert_eq!(
            Hook::parse("Stop", r#"{"last_assistant_message":"Done."}"#),
            Hook::Stop {
                last_message: Some("Done.".into()),
                transcript_path: None
            }
        );
        assert_eq!(
            Hook::parse("SessionEnd", r#"{"reason":"clear"}"#),
            Hook::SessionEnd {
                reason: "clear".into()
            }
        );
        assert_eq!(Hook::parse("SessionStart", "{}"), Hook::SessionStart);
        assert_eq!(
            Hook::parse("PreCompact", "{}"),
            Hook::Other("PreCompact".into())
        );
    }

    #[test]
    fn a_tool_result_is_read_with_its_call_id() {
        assert_eq!(
            Hook::parse(
                "PostToolUse",
                r#"{"tool_name":"Bash","tool_use_id":"toolu_1","tool_response":{"stdout":"hi"}}"#
            ),
            Hook::PostToolUse {
                tool: "Bash".into(),
                id: "toolu_1".into(),
                response: json!({"stdout": "hi"})
            }
        );
    }

    #[test]
    fn a_broken_body_reads_as_empty() {
        assert_eq!(
            Hook::parse("PreToolUse", "not json"),
            Hook::PreToolUse {
                tool: String::new(),
                input: json!({})
            }
        );
    }

    #[test]
    fn notifications_are_classified_by_type_then_by_message() {
        assert_eq!(
            classify_notification("permission_prompt", ""),
            Ask::NeedsUser
        );
        assert_eq!(
            classify_notification("elicitation_dialog", ""),
            Ask::NeedsUser
        );
        assert_eq!(
            classify_notification("idle_prompt", "Claude is waiting for your input"),
            Ask::Idle
        );
        assert_eq!(
            classify_notification("", "Claude needs your Permission to use Edit"),
            Ask::NeedsUser
        );
        assert_eq!(
            classify_notification("", "Claude is waiting for your input"),
            Ask::Idle
        );
        assert_eq!(
            classify_notification("auth_success", "Logged in"),
            Ask::Nothing
        );
        assert_eq!(classify_notification("", "Build finished"), Ask::Nothing);
    }

    #[test]
    fn a_new_notification_type_is_taken_as_needing_the_user() {
        // Claude Code 2.1.332 when auto mode's check cannot reach the server.
        assert_eq!(
            classify_notification(
                "agent_needs_input",
                "Auto mode can't check actions in this session and needs your choice"
            ),
            Ask::NeedsUser
        );
        assert_eq!(
            classify_notification("", "Claude needs your choice"),
            Ask::NeedsUser
        );
    }
}
