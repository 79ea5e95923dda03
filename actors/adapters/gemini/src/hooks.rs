//! Gemini CLI's hooks, as their bodies read (captured with 0.61.0): SessionStart carries
//! the session id to resume by, BeforeAgent the prompt, AfterAgent the turn's reply,
//! Notification (`ToolPermission`) an approval about to be asked, BeforeTool/AfterTool the
//! tool calls, SessionEnd the exit.

use serde_json::Value;
use terminal_agent::profile::{HookBody, HookMeaning};
use terminal_agent::question::{Choice, ChoiceKind, Question};

pub fn read(name: &str, body: &str) -> HookMeaning {
    let body = HookBody::parse(body);
    match name {
        "SessionStart" => HookMeaning::SessionStarted {
            session: body.optional("session_id"),
        },
        "BeforeAgent" => HookMeaning::PromptSubmitted {
            prompt: body.text("prompt"),
        },
        "AfterAgent" => HookMeaning::TurnEnded {
            reply: body.optional("prompt_response"),
        },
        "BeforeTool" => HookMeaning::ToolStarted {
            tool: body.text("tool_name"),
            input: body.value("tool_input"),
        },
        "AfterTool" => HookMeaning::ToolFinished {
            tool: body.text("tool_name"),
            id: body.text("tool_call_id"),
            response: body.value("tool_response"),
        },
        "Notification" if body.text("notification_type") == "ToolPermission" => {
            HookMeaning::Asking(permission(&body))
        }
        // `/clear` starts a new conversation in the same process: no end.
        "SessionEnd" if body.text("reason") != "clear" => HookMeaning::SessionEnded {
            reason: body.text("reason"),
        },
        other => HookMeaning::Nothing(other.to_string()),
    }
}

/// The approval a `ToolPermission` notification announces, with Gemini CLI's usual menu
/// (the screen's reading replaces it once the dialog is drawn).
fn permission(body: &HookBody) -> Question {
    let details = body.value("details");
    let field = |key: &str| {
        details
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let title = field("title");
    let what = ["command", "fileName", "filePath", "url"]
        .iter()
        .map(|k| field(k))
        .find(|v| !v.is_empty())
        .unwrap_or_default();
    let message = body.text("message");
    Question {
        text: if title.is_empty() {
            message
        } else {
            format!("{title}?")
        },
        detail: what,
        choices: vec![
            Choice::new("allow", "Allow once", ChoiceKind::Allow, &["1"]),
            Choice::new(
                "allow-always",
                "Allow for this session",
                ChoiceKind::AllowAlways,
                &["2"],
            ),
            Choice::new(
                "deny",
                "No, suggest changes (esc)",
                ChoiceKind::Deny,
                &["Escape"],
            ),
        ],
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
                r#"{"session_id":"6c08","transcript_path":"x","cwd":"/w","hook_event_name":"SessionStart","source":"startup"}"#
            ),
            HookMeaning::SessionStarted {
                session: Some("6c08".into())
            }
        );
        assert_eq!(
            read(
                "BeforeAgent",
                r#"{"hook_event_name":"BeforeAgent","prompt":"hi there"}"#
            ),
            HookMeaning::PromptSubmitted {
                prompt: "hi there".into()
            }
        );
        assert_eq!(
            read(
                "AfterAgent",
                r#"{"prompt":"hi there","prompt_response":"Hello from mock.","stop_hook_active":false}"#
            ),
            HookMeaning::TurnEnded {
                reply: Some("Hello from mock.".into())
            }
        );
        assert_eq!(
            read(
                "BeforeTool",
                r#"{"tool_name":"run_shell_command","tool_input":{"command":"ls","description":"d"}}"#
            ),
            HookMeaning::ToolStarted {
                tool: "run_shell_command".into(),
                input: json!({"command":"ls","description":"d"})
            }
        );
        assert!(
            matches!(read("AfterTool", r#"{"tool_name":"write_file","tool_response":{"llmContent":"ok"}}"#),
            HookMeaning::ToolFinished { tool, .. } if tool == "write_file")
        );
        assert_eq!(
            read("SessionEnd", r#"{"reason":"exit"}"#),
            HookMeaning::SessionEnded {
                reason: "exit".into()
            }
        );
        assert_eq!(
            read("SessionEnd", r#"{"reason":"clear"}"#),
            HookMeaning::Nothing("SessionEnd".into())
        );
        assert_eq!(
            read("BeforeModel", "not json"),
            HookMeaning::Nothing("BeforeModel".into())
        );
    }

    #[test]
    fn a_tool_permission_notification_is_a_question() {
        let body = r#"{"hook_event_name":"Notification","notification_type":"ToolPermission","message":"Tool Confirm Shell Command requires execution",
            "details":{"type":"exec","title":"Confirm Shell Command","command":"echo from-shell > shell.txt && ls","rootCommand":"echo, redirection (>), ls"}}"#;
        let HookMeaning::Asking(q) = read("Notification", body) else {
            panic!()
        };
        assert_eq!(q.text, "Confirm Shell Command?");
        assert_eq!(q.detail, "echo from-shell > shell.txt && ls");
        assert_eq!(q.choices[0].keys, ["1"]);
        assert_eq!(q.choices[2].keys, ["Escape"]);
        assert_eq!(
            read(
                "Notification",
                r#"{"notification_type":"Other","message":"x"}"#
            ),
            HookMeaning::Nothing("Notification".into())
        );
    }
}
