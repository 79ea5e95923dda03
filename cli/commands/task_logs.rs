//! `plinth task logs` for people: the task's events as a transcript, one line per thing that
//! happened (time, what, its text), as the browser's transcript shows them. `--json` keeps
//! the raw events.
//!
//! What is left out is in the raw form: `task.updated` repeats the status just shown, the
//! model proxy's stream (`task.llm.*`) repeats what the adapter records in the transcript,
//! and hooks are the agent's raw input to its adapter.

use plinth_actors::agent_host::kind;
use plinth_store::Event;
use serde_json::Value;

/// Wide enough for the longest label, so the texts line up.
const LABEL_WIDTH: usize = 11;
/// A tool's result is cut to this many lines; the raw form has it whole.
const RESULT_LINES: usize = 5;

/// Renders a task's events in order; it remembers the last status, so a status said again
/// (after a restart, say) is not shown twice.
#[derive(Default)]
pub struct Transcript {
    last_status: Option<(String, String)>,
}

impl Transcript {
    /// The lines `event` shows as (ending in a newline), or `None` when it shows nothing.
    pub fn render(&mut self, event: &Event) -> Option<String> {
        let (label, text) = self.describe(event)?;
        Some(lines(
            &event.at.format("%H:%M:%S").to_string(),
            &label,
            &text,
        ))
    }

    fn describe(&mut self, event: &Event) -> Option<(String, String)> {
        let d = &event.data;
        let name = event.kind.as_str();
        let described = match name {
            kind::TRANSCRIPT => transcript_entry(d),
            kind::STATUS => {
                let status = (text(d, "status"), text(d, "detail"));
                if self.last_status.as_ref() == Some(&status) {
                    return None;
                }
                self.last_status = Some(status.clone());
                let (status, detail) = status;
                ("status".into(), joined(&status, &detail))
            }
            kind::NOTIFICATION => {
                let label = if text(d, "urgency") == "needs-attention" {
                    "attention"
                } else {
                    "notice"
                };
                (label.into(), joined(&text(d, "title"), &text(d, "body")))
            }
            kind::LOG => {
                let level = text(d, "level");
                let label = if level == "info" { "log".into() } else { level };
                (label, text(d, "message"))
            }
            "task.created" => ("created".into(), created(d)),
            "task.failed" => {
                let reason = d["lifecycle"]["reason"].as_str().unwrap_or_default();
                ("failed".into(), reason.to_string())
            }
            // Its detail is the status just shown.
            "task.finished" => ("finished".into(), String::new()),
            "task.synced" => ("synced".into(), text(d, "message")),
            "task.sync-failed" => ("sync failed".into(), text(d, "error")),
            "task.llm.finished" => match d["error"].as_str() {
                Some(error) => ("error".into(), format!("model call failed: {error}")),
                None => return None,
            },
            "task.updated" | "task.hook" => return None,
            _ if name.starts_with("task.llm.") => return None,
            _ => match name.split_once('.') {
                // The other moves of the task (`running`, `stopped`, `resumed`, ...) and of
                // its environment (`environment started`, ...) are their name.
                Some(("task", what)) => (what.to_string(), String::new()),
                Some(("environment", what)) => {
                    ("environment".into(), joined(what, &text(d, "reason")))
                }
                _ => (name.to_string(), String::new()),
            },
        };
        Some(described)
    }
}

/// An adapter's `append-transcript` entry: who said it and what, or the tool it ran.
fn transcript_entry(d: &Value) -> (String, String) {
    let role = d["role"].as_str().unwrap_or("agent");
    let said = text(d, "text");
    if role != "tool" {
        return (role.to_string(), said);
    }
    let tool = d["tool"].as_str().unwrap_or("tool");
    let data = &d["data"];
    // A finished call's result, recorded apart from the call (`{tool_use_id, result}`).
    if data.get("tool_use_id").is_some()
        && let Some(result) = data.get("result")
    {
        return ("result".into(), joined(tool, &clip(&plain(result))));
    }
    let about = if said.is_empty() { summary(data) } else { said };
    ("tool".into(), joined(tool, &about))
}

/// `agent on plinth/<id> from <base>: <prompt>`, the prompt as the event previews it.
fn created(d: &Value) -> String {
    let inputs = &d["inputs"];
    let head = format!(
        "{} ({}) on {} from {}",
        text(inputs, "agent"),
        text(inputs, "sandbox"),
        text(d, "branch"),
        text(d, "base_branch"),
    );
    joined(&head, &text(inputs, "prompt_preview"))
}

/// What a tool call is about, from its input, as the browser's transcript says it.
fn summary(input: &Value) -> String {
    if let Some(fields) = input.as_object() {
        for key in [
            "command",
            "file_path",
            "path",
            "pattern",
            "url",
            "description",
            "prompt",
        ] {
            if let Some(value) = fields.get(key).and_then(Value::as_str) {
                return value.lines().next().unwrap_or_default().to_string();
            }
        }
    }
    match input {
        Value::Null => String::new(),
        other => plain(other).lines().next().unwrap_or_default().to_string(),
    }
}

/// A string as itself, anything else as JSON.
fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn clip(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= RESULT_LINES {
        return text.to_string();
    }
    format!(
        "{}\n… ({} more lines)",
        lines[..RESULT_LINES].join("\n"),
        lines.len() - RESULT_LINES
    )
}

fn text(value: &Value, key: &str) -> String {
    value[key].as_str().unwrap_or_default().to_string()
}

/// `head: rest`, or whichever of them there is.
fn joined(head: &str, rest: &str) -> String {
    match (head.is_empty(), rest.is_empty()) {
        (_, true) => head.to_string(),
        (true, false) => rest.to_string(),
        (false, false) if rest.contains('\n') => format!("{head}:\n{rest}"),
        (false, false) => format!("{head}: {rest}"),
    }
}

/// `time  label  text`, a text of several lines indented under its first.
fn lines(time: &str, label: &str, text: &str) -> String {
    let indent = " ".repeat(time.len() + 2 + LABEL_WIDTH + 1);
    let mut out = format!("{time}  {label:<LABEL_WIDTH$}");
    let mut rest = text.lines();
    match rest.next() {
        Some(first) => out.push_str(&format!(" {first}")),
        None => out.truncate(out.trim_end().len()),
    }
    for line in rest {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&indent);
            out.push_str(line);
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    use super::*;

    fn event(kind: &str, data: Value) -> Event {
        Event {
            seq: 1,
            kind: kind.into(),
            task: Some("t".into()),
            at: Utc.with_ymd_and_hms(2026, 12, 3, 21, 59, 23).unwrap(),
            data,
        }
    }

    fn render(events: &[Event]) -> String {
        let mut transcript = Transcript::default();
        events.iter().filter_map(|e| transcript.render(e)).collect()
    }

    #[test]
    fn messages_tools_and_statuses_read_as_a_transcript() {
        let shown = render(&[
            event(
                "task.created",
                json!({"branch": "plinth/t", "base_branch": "main",
                       "inputs": {"agent": "claude-code", "sandbox": "docker", "prompt_preview": "fix it"}}),
            ),
            event(
                "task.status",
                json!({"status": "working", "detail": "thinking"}),
            ),
            event(
                "task.transcript",
                json!({"role": "user", "text": "also the docs"}),
            ),
            event(
                "task.transcript",
                json!({"role": "agent", "text": "Done.\nTwo files."}),
            ),
            event(
                "task.transcript",
                json!({"role": "tool", "text": "", "tool": "Bash", "data": {"command": "cargo test\n--all"}}),
            ),
            event(
                "task.transcript",
                json!({"role": "tool", "text": "", "tool": "Bash",
                       "data": {"tool_use_id": "toolu_1", "result": "ok"}}),
            ),
            event(
                "notification",
                json!({"title": "Needs you", "body": "a permission", "urgency": "needs-attention"}),
            ),
            event("task.log", json!({"level": "warn", "message": "slow"})),
            event(
                "task.failed",
                json!({"lifecycle": {"state": "failed", "reason": "it crashed"}}),
            ),
        ]);
        assert_eq!(
            shown,
            "21:59:23  created     claude-code (docker) on plinth/t from main: fix it\n\
             21:59:23  status      working: thinking\n\
             21:59:23  user        also the docs\n\
             21:59:23  agent       Done.\n\
             \x20                     Two files.\n\
             21:59:23  tool        Bash: cargo test\n\
             21:59:23  result      Bash: ok\n\
             21:59:23  attention   Needs you: a permission\n\
             21:59:23  warn        slow\n\
             21:59:23  failed      it crashed\n"
        );
    }

    #[test]
    fn a_status_said_again_and_the_raw_streams_are_left_out() {
        let status = json!({"status": "idle", "detail": "turn finished"});
        let shown = render(&[
            event("task.status", status.clone()),
            event("task.updated", json!({"agent_status": "idle"})),
            event("task.llm.text", json!({"text": "Done"})),
            event("task.llm.finished", json!({"id": "c1"})),
            event("task.hook", json!({"name": "Stop"})),
            event("task.status", status),
            event("task.stopped", json!({})),
            event("environment.failed", json!({"reason": "killed"})),
            event(
                "task.llm.finished",
                json!({"id": "c2", "error": "401 unauthorized"}),
            ),
        ]);
        assert_eq!(
            shown,
            "21:59:23  status      idle: turn finished\n\
             21:59:23  stopped\n\
             21:59:23  environment failed: killed\n\
             21:59:23  error       model call failed: 401 unauthorized\n"
        );
    }

    #[test]
    fn a_long_tool_result_is_cut_saying_how_much_is_left() {
        let result = (1..=8)
            .map(|n| format!("line {n}"))
            .collect::<Vec<_>>()
            .join("\n");
        let shown = render(&[event(
            "task.transcript",
            json!({"role": "tool", "tool": "Read", "text": "",
                   "data": {"tool_use_id": "toolu_2", "result": result}}),
        )]);
        assert!(shown.contains("line 5\n"), "{shown}");
        assert!(!shown.contains("line 6"), "{shown}");
        assert!(shown.ends_with("… (3 more lines)\n"), "{shown}");
    }
}
