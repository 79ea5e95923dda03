//! Codex's hooks, as their bodies read (captured with 0.171.0): SessionStart, the prompt
//! (UserPromptSubmit), tool calls (PreToolUse, PostToolUse), an approval about to be asked
//! (PermissionRequest) and the end of a turn with its last message (Stop).

use serde_json::Value;
use terminal_agent::profile::{HookBody, HookMeaning};
use terminal_agent::question::{Choice, ChoiceKind, Question};

pub fn read(name: &str, body: &str) -> HookMeaning {
    let body = HookBody::parse(body);
    match name {
        "SessionStart" => HookMeaning::SessionStarted {
            session: body.optional("session_id"),
        },
        "UserPromptSubmit" => HookMeaning::PromptSubmitted {
            prompt: body.text("prompt"),
        },
        "PreToolUse" => HookMeaning::ToolStarted {
            tool: body.text("tool_name"),
            input: body.value("tool_input"),
        },
        "PostToolUse" => HookMeaning::ToolFinished {
            tool: body.text("tool_name"),
            id: body.text("tool_use_id"),
            response: body.value("tool_response"),
        },
        "PermissionRequest" => {
            let input = body.value("tool_input");
            let command = input.get("command").and_then(Value::as_str).unwrap_or("");
            HookMeaning::Asking(Question {
                text: "Would you like to run the following command?".into(),
                detail: command.to_string(),
                choices: vec![
                    Choice::new("allow", "Yes, proceed (y)", ChoiceKind::Allow, &["y"]),
                    Choice::new(
                        "deny",
                        "No, and tell Codex what to do differently (esc)",
                        ChoiceKind::Deny,
                        &["Escape"],
                    ),
                ],
            })
        }
        "Stop" => HookMeaning::TurnEnded {
            reply: body.optional("last_assistant_message"),
        },
        other => HookMeaning::Nothing(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodies_as_captured_read_as_their_meaning() {
        assert_eq!(
            read(
                "SessionStart",
                r#"{"session_id":"01a2","transcript_path":"/home/agent/.codex/sessions/x.jsonl","cwd":"/workspace","hook_event_name":"SessionStart","model":"mock-model","permission_mode":"default","source":"startup"}"#
            ),
            HookMeaning::SessionStarted {
                session: Some("01a2".into())
            }
        );
        assert_eq!(
            read(
                "UserPromptSubmit",
                r#"{"turn_id":"t","hook_event_name":"UserPromptSubmit","prompt":"ASK please"}"#
            ),
            HookMeaning::PromptSubmitted {
                prompt: "ASK please".into()
            }
        );
        assert_eq!(
            read(
                "PreToolUse",
                r#"{"tool_name":"Bash","tool_input":{"command":"touch asked.txt"},"tool_use_id":"call_9"}"#
            ),
            HookMeaning::ToolStarted {
                tool: "Bash".into(),
                input: json!({"command": "touch asked.txt"})
            }
        );
        assert_eq!(
            read(
                "PostToolUse",
                r#"{"tool_name":"Bash","tool_input":{},"tool_response":"hello\n","tool_use_id":"call_9"}"#
            ),
            HookMeaning::ToolFinished {
                tool: "Bash".into(),
                id: "call_9".into(),
                response: json!("hello\n")
            }
        );
        assert_eq!(
            read(
                "Stop",
                r#"{"hook_event_name":"Stop","stop_hook_active":false,"last_assistant_message":"Tool result received"}"#
            ),
            HookMeaning::TurnEnded {
                reply: Some("Tool result received".into())
            }
        );
        assert_eq!(read("Other", "x"), HookMeaning::Nothing("Other".into()));
    }

    #[test]
    fn a_permission_request_is_the_question_codex_shows() {
        let body = r#"{"tool_name":"Bash","tool_input":{"command":"touch asked.txt","description":"Allow writing asked.txt?"}}"#;
        let HookMeaning::Asking(q) = read("PermissionRequest", body) else {
            panic!()
        };
        assert_eq!(q.text, "Would you like to run the following command?");
        assert_eq!(q.detail, "touch asked.txt");
        assert_eq!(q.choices[0].keys, ["y"]);
        assert_eq!(q.choices[1].kind, ChoiceKind::Deny);
    }
}
