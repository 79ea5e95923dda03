//! The Gemini request (`POST /v1beta/models/{model}:generateContent` and
//! `:streamGenerateContent`): the model and whether to stream are in the path; `contents`
//! alternate `user` and `model`; the last user turn is the contents after the last
//! `model` one, its texts and its `functionResponse`s (the tool results).

use std::borrow::Cow;

use serde_json::Value;

use super::{ModelRequest, Turn, after_last, estimate_keys};

/// A parsed Gemini body with what its path said.
pub struct GeminiRequest<'a> {
    body: &'a Value,
    model: &'a str,
    stream: bool,
}

impl<'a> GeminiRequest<'a> {
    pub fn new(body: &'a Value, model: &'a str, stream: bool) -> Self {
        GeminiRequest {
            body,
            model,
            stream,
        }
    }
}

/// A function response as text: its strings (Gemini CLI sends `{"output": "…"}` or
/// `{"error": "…"}`), one a line, so that a script matches what the tool printed; its JSON
/// when it holds no string.
fn response_text(response: &Value) -> Cow<'_, str> {
    fn strings<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
        match value {
            Value::String(s) => out.push(s),
            Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
            Value::Object(map) => map.values().for_each(|v| strings(v, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    strings(response, &mut found);
    match found.as_slice() {
        [] => Cow::Owned(response.to_string()),
        [one] => Cow::Borrowed(one),
        many => Cow::Owned(many.join("\n")),
    }
}

impl ModelRequest for GeminiRequest<'_> {
    fn model(&self) -> &str {
        self.model
    }

    fn stream(&self) -> bool {
        self.stream
    }

    fn has_tools(&self) -> bool {
        self.body["tools"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|tool| {
                tool["functionDeclarations"]
                    .as_array()
                    .is_some_and(|list| !list.is_empty())
            })
    }

    fn last_turn(&self) -> Turn<'_> {
        let mut turn = Turn::default();
        let Some(contents) = self.body["contents"].as_array() else {
            return turn;
        };
        for part in after_last(contents, |c| c["role"] == "model")
            .iter()
            .filter_map(|c| c["parts"].as_array())
            .flatten()
        {
            if let Some(text) = part["text"].as_str() {
                turn.texts.push(Cow::Borrowed(text));
            } else if let Some(response) = part.get("functionResponse") {
                turn.tool_results.push(response_text(&response["response"]));
            }
        }
        turn
    }

    /// `:countTokens` may wrap the request as `{"generateContentRequest": {…}}`.
    fn estimate_input_tokens(&self) -> u64 {
        let request = self.body.get("generateContentRequest").unwrap_or(self.body);
        estimate_keys(request, &["systemInstruction", "contents", "tools"])
    }

    /// `generationConfig`: `responseJsonSchema` or `responseSchema` (Gemini CLI's
    /// next-speaker and routing checks), or just `responseMimeType: application/json`.
    fn output_schema(&self) -> Option<Value> {
        let config = &self.body["generationConfig"];
        ["responseJsonSchema", "responseSchema"]
            .iter()
            .find_map(|key| config.get(*key).filter(|s| s.is_object()).cloned())
            .or_else(|| {
                (config["responseMimeType"] == "application/json")
                    .then(|| Value::Object(Default::default()))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::When;
    use serde_json::json;

    #[test]
    fn function_responses_after_the_models_last_content_are_the_tool_results() {
        let body = json!({
            "systemInstruction": {"parts": [{"text": "You are Gemini CLI."}]},
            "tools": [{"functionDeclarations": [{"name": "write_file", "parameters": {}}]}],
            "contents": [
                {"role": "user", "parts": [{"text": "write hello.txt"}]},
                {"role": "model", "parts": [{"functionCall": {"name": "write_file",
                    "args": {"file_path": "hello.txt", "content": "hi"}}}]},
                {"role": "user", "parts": [{"functionResponse": {"id": "x", "name": "write_file",
                    "response": {"output": "Successfully created and wrote to new file: hello.txt"}}}]}
            ]
        });
        let request = GeminiRequest::new(&body, "gemini-2.5-pro", true);
        let turn = request.last_turn();
        assert!(turn.texts.is_empty());
        assert_eq!(
            turn.tool_results,
            ["Successfully created and wrote to new file: hello.txt"]
        );
        assert!(request.matches(&When::tool_result("hello.txt")));
        assert!(!request.matches(&When::contains("write hello")));
        assert!(request.matches(&When {
            model: Some("2.5-pro".into()),
            ..When::default()
        }));
        assert!(request.stream());
    }

    #[test]
    fn a_response_without_strings_is_matched_as_its_json_and_tools_need_declarations() {
        let body = json!({
            "tools": [{"googleSearch": {}}],
            "contents": [{"role": "user", "parts": [
                {"text": "go"},
                {"functionResponse": {"name": "count", "response": {"n": 3}}}]}]
        });
        let request = GeminiRequest::new(&body, "gemini-2.5-flash", false);
        assert!(!request.has_tools());
        assert_eq!(
            request.last_turn(),
            Turn {
                texts: vec!["go".into()],
                tool_results: vec![r#"{"n":3}"#.into()],
            }
        );
        assert_eq!(request.output_schema(), None);
        let wrapped = json!({"generateContentRequest": body});
        assert_eq!(
            GeminiRequest::new(&wrapped, "m", false).estimate_input_tokens(),
            request.estimate_input_tokens()
        );
    }

    #[test]
    fn the_generation_config_names_the_schema_of_the_answer() {
        let schema = json!({"type": "OBJECT", "properties": {"n": {"type": "INTEGER"}}});
        let body = json!({"generationConfig": {"responseMimeType": "application/json",
                                               "responseSchema": schema}});
        let request = GeminiRequest::new(&body, "m", false);
        assert_eq!(request.output_schema(), Some(schema));
        let body = json!({"generationConfig": {"responseMimeType": "application/json"}});
        let request = GeminiRequest::new(&body, "m", false);
        assert_eq!(request.output_schema(), Some(json!({})));
    }
}
