//! A tool call as a transcript entry: a one-line summary to read, and its input or result
//! as data, kept small.

use serde_json::{Map, Value, json};

const MAX_STRING_CHARS: usize = 2000;
const MAX_DATA_BYTES: usize = 16 * 1024;
const MAX_SUMMARY_CHARS: usize = 200;
const MAX_REPLY_CHARS: usize = 8000;

/// "run_shell_command: git commit …", or the tool's name alone.
pub fn summary(tool: &str, input: &Value) -> String {
    let detail = [
        "command",
        "cmd",
        "file_path",
        "path",
        "absolute_path",
        "pattern",
        "url",
        "query",
        "description",
    ]
    .iter()
    .find_map(|key| input.get(*key).and_then(Value::as_str));
    let tool = if tool.is_empty() { "tool" } else { tool };
    match detail {
        Some(detail) => {
            let line = detail.lines().next().unwrap_or("");
            let mut text = format!("{tool}: {line}");
            if text.chars().count() > MAX_SUMMARY_CHARS || detail.lines().nth(1).is_some() {
                text = text.chars().take(MAX_SUMMARY_CHARS).collect::<String>() + "…";
            }
            text
        }
        None => tool.to_string(),
    }
}

/// The input as a JSON object's text, long strings cut.
pub fn data(input: &Value) -> String {
    let object = match input {
        Value::Object(_) => shrink(input),
        other => {
            let mut wrapper = Map::new();
            wrapper.insert("input".into(), shrink(other));
            Value::Object(wrapper)
        }
    };
    let text = object.to_string();
    if text.len() <= MAX_DATA_BYTES {
        return text;
    }
    json!({ "truncated": true, "bytes": text.len() }).to_string()
}

/// A tool's result as data: `{tool_use_id, result}`, the result shrunk.
pub fn result_data(id: &str, response: &Value) -> String {
    let result = match response {
        Value::String(s) => Value::String(clip_chars(s, MAX_STRING_CHARS * 2)),
        other => shrink(other),
    };
    json!({ "tool_use_id": id, "result": result }).to_string()
}

pub fn result_summary(tool: &str, response: &Value) -> String {
    let text = match response {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other
            .get("output")
            .or_else(|| other.get("llmContent"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_default(),
    };
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    if line.is_empty() {
        format!("{tool} done")
    } else {
        clip_chars(&format!("{tool} → {line}"), MAX_SUMMARY_CHARS)
    }
}

/// An agent's reply, cut when very long.
pub fn clip_reply(text: &str) -> String {
    clip_chars(text, MAX_REPLY_CHARS)
}

fn clip_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max).collect();
    format!("{kept}…")
}

fn shrink(value: &Value) -> Value {
    match value {
        Value::String(s) if s.chars().count() > MAX_STRING_CHARS => {
            let kept: String = s.chars().take(MAX_STRING_CHARS).collect();
            Value::String(format!("{kept}… ({} chars)", s.chars().count()))
        }
        Value::Array(items) => Value::Array(items.iter().map(shrink).collect()),
        Value::Object(fields) => {
            Value::Object(fields.iter().map(|(k, v)| (k.clone(), shrink(v))).collect())
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_name_the_tool_and_its_main_argument() {
        assert_eq!(
            summary(
                "run_shell_command",
                &json!({"command": "ls", "description": "x"})
            ),
            "run_shell_command: ls"
        );
        assert_eq!(
            summary("exec_command", &json!({"cmd": "a\nb"})),
            "exec_command: a…"
        );
        assert_eq!(
            summary("write_file", &json!({"file_path": "a.txt"})),
            "write_file: a.txt"
        );
        assert_eq!(summary("", &Value::Null), "tool");
    }

    #[test]
    fn results_are_data_with_their_id_and_a_line() {
        let v: Value = serde_json::from_str(&result_data("c1", &json!("hello\n"))).unwrap();
        assert_eq!(v, json!({"tool_use_id": "c1", "result": "hello\n"}));
        assert_eq!(result_summary("Bash", &json!("\nhello\n")), "Bash → hello");
        assert_eq!(
            result_summary("run_shell_command", &json!({"llmContent": "Output: x"})),
            "run_shell_command → Output: x"
        );
        assert_eq!(
            result_summary("write_file", &Value::Null),
            "write_file done"
        );
        let v: Value = serde_json::from_str(&data(&json!({"content": "z".repeat(5000)}))).unwrap();
        assert!(v["content"].as_str().unwrap().ends_with("(5000 chars)"));
    }
}
