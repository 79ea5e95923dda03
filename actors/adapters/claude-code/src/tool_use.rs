//! A tool call as a transcript entry: a one-line summary to read, and the input as data,
//! kept small (a `Write` of a large file would otherwise copy the file into the event log).

use serde_json::{Map, Value};

/// A tool's result longer than this is cut.
const MAX_RESULT_CHARS: usize = 4000;
/// Strings in the input longer than this are cut.
const MAX_STRING_CHARS: usize = 2000;
/// An input still larger than this once strings are cut is replaced by a note of its size.
const MAX_DATA_BYTES: usize = 16 * 1024;
const MAX_SUMMARY_CHARS: usize = 200;

/// "Bash: cargo test", "Edit: src/lib.rs", or the tool's name alone.
pub fn summary(tool: &str, input: &Value) -> String {
    let detail = [
        "command",
        "file_path",
        "path",
        "pattern",
        "url",
        "query",
        "description",
        "prompt",
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

/// The input as a JSON object's text, with long strings cut.
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
    serde_json::json!({ "truncated": true, "bytes": text.len() }).to_string()
}

/// A tool's result as data for the UI to fold under its call: `{tool_use_id, result}`,
/// the result as text (a command's output, a file's text) cut to a few thousand characters.
pub fn result_data(id: &str, response: &Value) -> String {
    serde_json::json!({ "tool_use_id": id, "result": result_text(response) }).to_string()
}

/// The first line of a result, for the entry's one-line text.
pub fn result_summary(tool: &str, response: &Value) -> String {
    let text = result_text(response);
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let line: String = line.chars().take(MAX_SUMMARY_CHARS).collect();
    let tool = if tool.is_empty() { "tool" } else { tool };
    if line.is_empty() {
        format!("{tool} done")
    } else {
        format!("{tool} → {line}")
    }
}

fn result_text(response: &Value) -> String {
    let text = match response {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        // A command's output, as a terminal would show it.
        Value::Object(fields) if fields.contains_key("stdout") => {
            let part = |key: &str| fields.get(key).and_then(Value::as_str).unwrap_or("");
            [part("stdout"), part("stderr")]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("\n")
        }
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    };
    if text.chars().count() <= MAX_RESULT_CHARS {
        return text;
    }
    let kept: String = text.chars().take(MAX_RESULT_CHARS).collect();
    format!("{kept}… ({} chars)", text.chars().count())
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
    use serde_json::json;

    use super::*;

    #[test]
    fn summaries_name_the_tool_and_its_main_argument() {
        assert_eq!(
            summary(
                "Bash",
                &json!({"command": "cargo test", "description": "x"})
            ),
            "Bash: cargo test"
        );
        assert_eq!(
            summary("Edit", &json!({"file_path": "/w/src/lib.rs"})),
            "Edit: /w/src/lib.rs"
        );
        assert_eq!(summary("TodoWrite", &json!({"todos": []})), "TodoWrite");
        assert_eq!(summary("", &json!(null)), "tool");
        assert_eq!(summary("Bash", &json!({"command": "a\nb"})), "Bash: a…");
    }

    #[test]
    fn data_is_an_object_with_long_strings_cut() {
        let input = json!({"file_path": "a.txt", "content": "z".repeat(5000), "n": 3});
        let v: Value = serde_json::from_str(&data(&input)).unwrap();
        assert_eq!(v["file_path"], "a.txt");
        assert_eq!(v["n"], 3);
        let content = v["content"].as_str().unwrap();
        assert!(content.ends_with("… (5000 chars)"));
        assert!(content.len() < 2100);
        let v: Value = serde_json::from_str(&data(&json!("bare"))).unwrap();
        assert_eq!(v, json!({"input": "bare"}));
    }

    #[test]
    fn a_result_is_text_with_its_call_id_and_cut_when_long() {
        let v: Value = serde_json::from_str(&result_data(
            "toolu_1",
            &json!({"stdout": "42\n", "stderr": "warn", "interrupted": false}),
        ))
        .unwrap();
        assert_eq!(v, json!({"tool_use_id": "toolu_1", "result": "42\n\nwarn"}));
        let v: Value = serde_json::from_str(&result_data("t", &json!("z".repeat(9000)))).unwrap();
        assert!(v["result"].as_str().unwrap().ends_with("… (9000 chars)"));
        assert_eq!(
            result_summary("Bash", &json!({"stdout": "\n42\n"})),
            "Bash → 42"
        );
        assert_eq!(result_summary("Write", &Value::Null), "Write done");
    }

    #[test]
    fn huge_inputs_become_a_note() {
        let many: Vec<String> = (0..100).map(|_| "q".repeat(1000)).collect();
        let v: Value = serde_json::from_str(&data(&json!({ "edits": many }))).unwrap();
        assert_eq!(v["truncated"], true);
    }
}
