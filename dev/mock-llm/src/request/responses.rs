//! The OpenAI Responses request (`POST /v1/responses`, what Codex CLI sends): `input` is a
//! string or a list of items (messages, function calls and their outputs, reasoning); the
//! last user turn is the items after the model's last output: the user's texts and the
//! tool outputs (the tool results). `instructions` is the system prompt.

use std::borrow::Cow;

use serde_json::Value;

use super::{
    ModelRequest, Turn, after_last, body_model, body_stream, content_texts, estimate_keys,
    non_empty,
};

/// A parsed `POST /v1/responses` body.
pub struct ResponsesRequest<'a> {
    body: &'a Value,
}

impl<'a> ResponsesRequest<'a> {
    pub fn new(body: &'a Value) -> Self {
        ResponsesRequest { body }
    }

    /// The names of the request's freeform tools (`"type": "custom"`, such as Codex's
    /// `apply_patch`): a call to one is a `custom_tool_call` with a string input.
    pub fn custom_tools(&self) -> Vec<&'a str> {
        self.body["tools"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|tool| tool["type"] == "custom")
            .filter_map(|tool| tool["name"].as_str())
            .collect()
    }
}

/// An item the model wrote: the turn before it is over.
fn from_the_model(item: &Value) -> bool {
    let kind = item["type"].as_str().unwrap_or("message");
    match kind {
        "message" => item["role"] == "assistant",
        "reasoning" => true,
        _ => kind.ends_with("_call"),
    }
}

impl ModelRequest for ResponsesRequest<'_> {
    fn model(&self) -> &str {
        body_model(self.body)
    }

    fn stream(&self) -> bool {
        body_stream(self.body)
    }

    fn has_tools(&self) -> bool {
        non_empty(self.body, "tools")
    }

    fn last_turn(&self) -> Turn<'_> {
        let mut turn = Turn::default();
        let items = match &self.body["input"] {
            Value::String(text) => {
                turn.texts.push(Cow::Borrowed(text));
                return turn;
            }
            Value::Array(items) => items,
            _ => return turn,
        };
        for item in after_last(items, from_the_model) {
            let kind = item["type"].as_str().unwrap_or("message");
            if kind == "message" && item["role"] == "user" {
                turn.texts.extend(
                    content_texts(&item["content"])
                        .into_iter()
                        .map(Cow::Borrowed),
                );
            } else if kind.ends_with("_call_output") {
                turn.tool_results.extend(
                    content_texts(&item["output"])
                        .into_iter()
                        .map(Cow::Borrowed),
                );
            }
        }
        turn
    }

    fn estimate_input_tokens(&self) -> u64 {
        estimate_keys(self.body, &["instructions", "input", "tools"])
    }

    /// `text.format`: `{"type": "json_schema", "schema"}` (Codex's title request) or
    /// `{"type": "json_object"}`.
    fn output_schema(&self) -> Option<Value> {
        let format = &self.body["text"]["format"];
        match format["type"].as_str()? {
            "json_schema" => Some(format["schema"].clone()),
            "json_object" => Some(Value::Object(Default::default())),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::When;
    use serde_json::json;

    #[test]
    fn a_string_input_is_the_users_text() {
        let body = json!({"model": "gpt-5-codex", "input": "hello", "stream": true});
        let request = ResponsesRequest::new(&body);
        assert_eq!(request.last_turn().texts, ["hello"]);
        assert!(request.stream() && !request.has_tools());
        assert_eq!(request.model(), "gpt-5-codex");
    }

    #[test]
    fn tool_outputs_after_the_models_last_call_are_the_tool_results() {
        let body = json!({
            "model": "gpt-5-codex",
            "instructions": "You are Codex.",
            "tools": [{"type": "function", "name": "shell", "parameters": {}},
                      {"type": "custom", "name": "apply_patch", "format": {"type": "grammar"}}],
            "input": [
                {"type": "message", "role": "developer",
                 "content": [{"type": "input_text", "text": "sandbox rules"}]},
                {"type": "message", "role": "user",
                 "content": [{"type": "input_text", "text": "write hello.txt"}]},
                {"type": "reasoning", "summary": []},
                {"type": "custom_tool_call", "call_id": "call_1", "name": "apply_patch",
                 "input": "*** Begin Patch"},
                {"type": "custom_tool_call_output", "call_id": "call_1",
                 "output": "Success. Updated the following files:\nA hello.txt"},
                {"type": "function_call", "call_id": "call_2", "name": "shell",
                 "arguments": "{}"},
                {"type": "function_call_output", "call_id": "call_2",
                 "output": [{"type": "input_text", "text": "exit 0"}]},
                {"role": "user", "content": "more"}
            ]
        });
        let request = ResponsesRequest::new(&body);
        assert_eq!(
            request.last_turn(),
            Turn {
                texts: vec!["more".into()],
                tool_results: vec!["exit 0".into()],
            }
        );
        assert!(request.matches(&When::tool_result("exit 0")));
        assert!(!request.matches(&When::tool_result("hello.txt")));
        assert!(!request.matches(&When::contains("write hello")));
        assert_eq!(request.custom_tools(), ["apply_patch"]);
        assert!(request.estimate_input_tokens() > 5);
    }
}
