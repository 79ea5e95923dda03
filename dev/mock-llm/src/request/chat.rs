//! The OpenAI Chat Completions request (`POST /v1/chat/completions`): `messages` with
//! roles system/developer/user/assistant/tool; the last user turn is every message after
//! the last assistant one, the user's texts and the `tool` messages' contents (the tool
//! results).

use std::borrow::Cow;

use serde_json::Value;

use super::{
    ModelRequest, Turn, after_last, body_model, body_stream, content_texts, estimate_keys,
    non_empty,
};

/// A parsed `POST /v1/chat/completions` body.
pub struct ChatRequest<'a> {
    body: &'a Value,
}

impl<'a> ChatRequest<'a> {
    pub fn new(body: &'a Value) -> Self {
        ChatRequest { body }
    }

    /// `stream_options.include_usage`: the stream ends with a usage chunk.
    pub fn include_usage(&self) -> bool {
        self.body["stream_options"]["include_usage"]
            .as_bool()
            .unwrap_or(false)
    }
}

impl ModelRequest for ChatRequest<'_> {
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
        let Some(messages) = self.body["messages"].as_array() else {
            return turn;
        };
        for message in after_last(messages, |m| m["role"] == "assistant") {
            let texts = content_texts(&message["content"])
                .into_iter()
                .map(Cow::Borrowed);
            match message["role"].as_str() {
                Some("user") => turn.texts.extend(texts),
                Some("tool") => turn.tool_results.extend(texts),
                _ => {}
            }
        }
        turn
    }

    fn estimate_input_tokens(&self) -> u64 {
        estimate_keys(self.body, &["messages", "tools"])
    }

    /// `response_format`: `{"type": "json_schema", "json_schema": {"schema"}}` or
    /// `{"type": "json_object"}`.
    fn output_schema(&self) -> Option<Value> {
        let format = &self.body["response_format"];
        match format["type"].as_str()? {
            "json_schema" => Some(format["json_schema"]["schema"].clone()),
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

    fn after_a_tool_call() -> Value {
        json!({
            "model": "gpt-4.1",
            "stream": true,
            "stream_options": {"include_usage": true},
            "tools": [{"type": "function", "function": {"name": "write", "parameters": {}}}],
            "messages": [
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": "make a file"},
                {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1",
                    "type": "function", "function": {"name": "write", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "call_1", "content": "File created"},
                {"role": "user", "content": [{"type": "text", "text": "and now?"}]}
            ]
        })
    }

    #[test]
    fn the_turn_after_the_last_assistant_message_holds_tool_outputs_and_user_texts() {
        let body = after_a_tool_call();
        let request = ChatRequest::new(&body);
        assert_eq!(
            request.last_turn(),
            Turn {
                texts: vec!["and now?".into()],
                tool_results: vec!["File created".into()],
            }
        );
        assert!(request.matches(&When::tool_result("created")));
        assert!(request.matches(&When::contains("now?")));
        assert!(!request.matches(&When::contains("make a file")));
        assert!(request.stream() && request.include_usage() && request.has_tools());
        assert_eq!(request.model(), "gpt-4.1");
    }

    #[test]
    fn a_first_prompt_is_every_user_message_and_without_tools_only_any_matches() {
        let body = json!({"model": "gpt-5", "messages": [
            {"role": "developer", "content": "rules"},
            {"role": "user", "content": "hello there"}]});
        let request = ChatRequest::new(&body);
        assert_eq!(request.last_turn().texts, ["hello there"]);
        assert!(!request.stream() && !request.include_usage());
        assert!(!request.matches(&When::contains("hello")));
        assert!(request.matches(&When {
            tools: None,
            ..When::contains("hello")
        }));
        assert!(request.estimate_input_tokens() >= 1);
        assert_eq!(request.output_schema(), None);
    }

    #[test]
    fn a_response_format_names_the_schema_of_the_answer() {
        let schema = json!({"type": "object", "properties": {"title": {"type": "string"}}});
        let body = json!({"response_format": {"type": "json_schema",
                                              "json_schema": {"name": "t", "schema": schema}}});
        assert_eq!(ChatRequest::new(&body).output_schema(), Some(schema));
        let body = json!({"response_format": {"type": "json_object"}});
        assert_eq!(ChatRequest::new(&body).output_schema(), Some(json!({})));
        let body = json!({"response_format": {"type": "text"}});
        assert_eq!(ChatRequest::new(&body).output_schema(), None);
    }
}
