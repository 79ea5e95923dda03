//! The agent's last reply, from Claude Code's transcript file (JSON lines), for when the
//! `Stop` hook's body does not carry it.

use serde_json::Value;

/// Replies longer than this are cut: the transcript entry is a summary, the full text stays
/// in the terminal's scrollback.
pub const MAX_REPLY_CHARS: usize = 4000;

/// The text of the last assistant message of the last turn, if that turn said anything.
/// The search stops at the turn's prompt, so a turn of tool calls only does not repeat the
/// previous turn's reply.
pub fn last_reply(jsonl: &str) -> Option<String> {
    for line in jsonl.lines().rev() {
        let Ok(entry) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let message = &entry["message"];
        match entry["type"].as_str() {
            Some("assistant") => {
                let text = text_of(&message["content"]);
                if !text.trim().is_empty() {
                    return Some(clip(text.trim()));
                }
            }
            Some("user") if is_prompt(&message["content"]) => return None,
            _ => {}
        }
    }
    None
}

/// A content that is a string, or the text blocks of a list of blocks, joined.
fn text_of(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter(|b| b["type"] == "text")
            .filter_map(|b| b["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// A user entry that is what the user typed, not a tool's result fed back to the model.
fn is_prompt(content: &Value) -> bool {
    match content {
        Value::String(_) => true,
        Value::Array(blocks) => blocks.iter().any(|b| b["type"] == "text"),
        _ => false,
    }
}

pub fn clip(text: &str) -> String {
    if text.chars().count() <= MAX_REPLY_CHARS {
        return text.to_string();
    }
    let kept: String = text.chars().take(MAX_REPLY_CHARS).collect();
    format!("{kept}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(text: &str) -> String {
        format!(r#"{{"type":"user","message":{{"role":"user","content":{text:?}}}}}"#)
    }
    fn tool_result() -> String {
        r#"{"type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"ok"}]}}"#.into()
    }
    fn assistant(blocks: &str) -> String {
        format!(r#"{{"type":"assistant","message":{{"role":"assistant","content":[{blocks}]}}}}"#)
    }

    #[test]
    fn takes_the_last_text_of_the_last_turn() {
        let lines = [
            user("hi"),
            assistant(r#"{"type":"text","text":"Looking."}"#),
            assistant(r#"{"type":"tool_use","id":"t","name":"Bash","input":{}}"#),
            tool_result(),
            assistant(r#"{"type":"text","text":"Done: "},{"type":"text","text":"all green."}"#),
            r#"{"type":"system","subtype":"stop_hook_summary"}"#.to_string(),
            "not json".to_string(),
        ];
        assert_eq!(
            last_reply(&lines.join("\n")).as_deref(),
            Some("Done: \nall green.")
        );
    }

    #[test]
    fn a_turn_without_text_has_no_reply() {
        let lines = [
            user("first"),
            assistant(r#"{"type":"text","text":"Old reply."}"#),
            user("second"),
            assistant(r#"{"type":"tool_use","id":"t","name":"Bash","input":{}}"#),
        ];
        assert_eq!(last_reply(&lines.join("\n")), None);
        assert_eq!(last_reply(""), None);
    }

    #[test]
    fn long_replies_are_clipped() {
        let long = "y".repeat(MAX_REPLY_CHARS + 10);
        let line = assistant(&format!(r#"{{"type":"text","text":"{long}"}}"#));
        let reply = last_reply(&line).unwrap();
        assert_eq!(reply.chars().count(), MAX_REPLY_CHARS + 1);
        assert!(reply.ends_with('…'));
    }
}
