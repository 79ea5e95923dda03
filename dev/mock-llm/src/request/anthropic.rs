//! The Anthropic Messages request (`POST /v1/messages`): its last user message is the
//! last message with role `user`, whose tool results are its `tool_result` blocks.

use std::borrow::Cow;

use serde_json::Value;

use super::{ModelRequest, Turn, body_model, body_stream, content_texts, estimate_keys, non_empty};
use crate::script::When;

/// A parsed `POST /v1/messages` body, looked at through the fields matching needs.
pub struct MessagesRequest<'a> {
    body: &'a Value,
}

impl<'a> MessagesRequest<'a> {
    pub fn new(body: &'a Value) -> Self {
        MessagesRequest { body }
    }

    pub fn model(&self) -> &str {
        body_model(self.body)
    }

    pub fn stream(&self) -> bool {
        body_stream(self.body)
    }

    pub fn has_tools(&self) -> bool {
        non_empty(self.body, "tools")
    }

    fn last_user_content(&self) -> Option<&'a Value> {
        self.body["messages"]
            .as_array()?
            .iter()
            .rev()
            .find(|m| m["role"] == "user")
            .map(|m| &m["content"])
    }

    /// Every text of the last user message: its text blocks and its tool results.
    pub fn last_user_texts(&self) -> Vec<&'a str> {
        let mut texts = Vec::new();
        match self.last_user_content() {
            Some(Value::String(text)) => texts.push(text.as_str()),
            Some(Value::Array(blocks)) => {
                for block in blocks {
                    match block["type"].as_str() {
                        Some("text") => texts.extend(block["text"].as_str()),
                        Some("tool_result") => texts.extend(content_texts(&block["content"])),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        texts
    }

    /// The contents of the tool_result blocks of the last user message.
    pub fn last_tool_results(&self) -> Vec<&'a str> {
        let mut texts = Vec::new();
        if let Some(Value::Array(blocks)) = self.last_user_content() {
            for block in blocks.iter().filter(|b| b["type"] == "tool_result") {
                texts.extend(content_texts(&block["content"]));
            }
        }
        texts
    }

    pub fn matches(&self, when: &When) -> bool {
        ModelRequest::matches(self, when)
    }

    /// A plausible input token count: about four bytes of prompt per token, the rule of
    /// thumb for English and code. Only the prompt's parts count, not the JSON around them.
    pub fn estimate_input_tokens(&self) -> u64 {
        estimate_keys(self.body, &["system", "messages", "tools"])
    }
}

impl ModelRequest for MessagesRequest<'_> {
    fn model(&self) -> &str {
        MessagesRequest::model(self)
    }

    fn stream(&self) -> bool {
        MessagesRequest::stream(self)
    }

    fn has_tools(&self) -> bool {
        MessagesRequest::has_tools(self)
    }

    fn last_turn(&self) -> Turn<'_> {
        let mut turn = Turn::default();
        if let Some(Value::String(text)) = self.last_user_content() {
            turn.texts.push(Cow::Borrowed(text));
        }
        if let Some(Value::Array(blocks)) = self.last_user_content() {
            for block in blocks.iter().filter(|b| b["type"] == "text") {
                turn.texts.extend(block["text"].as_str().map(Cow::Borrowed));
            }
        }
        turn.tool_results = self
            .last_tool_results()
            .into_iter()
            .map(Cow::Borrowed)
            .collect();
        turn
    }

    fn estimate_input_tokens(&self) -> u64 {
        MessagesRequest::estimate_input_tokens(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn turn_with_tool_result() -> Value {
        json!({
            "model": "claude-sonnet-4-5",
            "stream": true,
            "tools": [{"name": "Write", "input_schema": {"type": "object"}}],
            "messages": [
                {"role": "user", "content": "make a file"},
                {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "Write", "input": {}}]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "t",
                     "content": [{"type": "text", "text": "File created successfully"}]},
                    {"type": "text", "text": "<system-reminder>note</system-reminder>"}
                ]}
            ]
        })
    }

    #[test]
    fn a_tool_result_matches_by_its_text_and_the_prompt_no_longer_does() {
        let body = turn_with_tool_result();
        let request = MessagesRequest::new(&body);
        assert!(request.matches(&When::tool_result("created successfully")));
        assert!(request.matches(&When::contains("created successfully")));
        assert!(request.matches(&When::contains("system-reminder")));
        assert!(!request.matches(&When::tool_result("system-reminder")));
        assert!(!request.matches(&When::contains("make a file")));
    }

    #[test]
    fn by_default_only_requests_with_tools_match() {
        let body = json!({"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "title?"}]});
        let side = MessagesRequest::new(&body);
        assert!(!side.matches(&When::default()));
        assert!(side.matches(&When::any()));
        assert!(side.matches(&When {
            tools: Some(false),
            model: Some("haiku".into()),
            ..When::default()
        }));
        let main = turn_with_tool_result();
        assert!(MessagesRequest::new(&main).matches(&When::default()));
        assert!(!MessagesRequest::new(&main).matches(&When {
            model: Some("haiku".into()),
            ..When::default()
        }));
    }

    #[test]
    fn the_input_estimate_grows_with_the_prompt() {
        let small = json!({"messages": [{"role": "user", "content": "hi"}]});
        let large = json!({"messages": [{"role": "user", "content": "hi ".repeat(400)}]});
        let small = MessagesRequest::new(&small).estimate_input_tokens();
        let large = MessagesRequest::new(&large).estimate_input_tokens();
        assert!(small >= 1);
        assert!(large > 250 && large < 400, "{large}");
    }
}
