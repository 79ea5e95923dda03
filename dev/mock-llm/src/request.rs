//! What the mock reads from a Messages request: enough to match it against a script and
//! to estimate its size in tokens.

use serde_json::Value;

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
        self.body["model"].as_str().unwrap_or("")
    }

    pub fn stream(&self) -> bool {
        self.body["stream"].as_bool().unwrap_or(false)
    }

    pub fn has_tools(&self) -> bool {
        self.body["tools"].as_array().is_some_and(|t| !t.is_empty())
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
                        Some("tool_result") => collect_texts(&block["content"], &mut texts),
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
                collect_texts(&block["content"], &mut texts);
            }
        }
        texts
    }

    pub fn matches(&self, when: &When) -> bool {
        if let Some(tools) = when.tools
            && tools != self.has_tools()
        {
            return false;
        }
        if let Some(model) = &when.model
            && !self.model().contains(model.as_str())
        {
            return false;
        }
        if let Some(needle) = &when.contains
            && !self
                .last_user_texts()
                .iter()
                .any(|t| t.contains(needle.as_str()))
        {
            return false;
        }
        if let Some(needle) = &when.tool_result
            && !self
                .last_tool_results()
                .iter()
                .any(|t| t.contains(needle.as_str()))
        {
            return false;
        }
        true
    }

    /// A plausible input token count: about four bytes of prompt per token, the rule of
    /// thumb for English and code. Only the prompt's parts count, not the JSON around them.
    pub fn estimate_input_tokens(&self) -> u64 {
        let mut bytes = 0;
        for key in ["system", "messages", "tools"] {
            bytes += text_bytes(&self.body[key]);
        }
        estimate_tokens(bytes)
    }
}

/// Tokens for this many bytes of text (at least one).
pub fn estimate_tokens(bytes: usize) -> u64 {
    (bytes as u64).div_ceil(4).max(1)
}

/// The bytes of every string in `value`, object keys included (tool schemas are mostly
/// keys).
fn text_bytes(value: &Value) -> usize {
    match value {
        Value::String(s) => s.len(),
        Value::Array(items) => items.iter().map(text_bytes).sum(),
        Value::Object(map) => map.iter().map(|(k, v)| k.len() + text_bytes(v)).sum(),
        Value::Number(n) => n.to_string().len(),
        _ => 0,
    }
}

/// A tool_result's content is a string or a list of blocks, of which text ones count.
fn collect_texts<'a>(content: &'a Value, out: &mut Vec<&'a str>) {
    match content {
        Value::String(text) => out.push(text),
        Value::Array(blocks) => out.extend(blocks.iter().filter_map(|b| b["text"].as_str())),
        _ => {}
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
