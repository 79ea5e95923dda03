//! Google's Gemini API: a stream of `data:` chunks (`alt=sse`) that ends when the body
//! does, the last candidate carrying a `finishReason`; or one `GenerateContentResponse`
//! (a list of them for a stream asked for without `alt=sse`). Text comes in `text` parts
//! (thoughts are skipped); a function call comes whole, in one part. Every chunk repeats
//! the usage so far, so usage is reported only when it changed.

use serde::Deserialize;
use serde_json::Value;

use super::ReplyReader;
use super::error_detail::describe_error;
use super::tokens::{gemini_stop_reason, gemini_tokens};
use crate::llm_proxy::call::Call;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Chunk {
    #[serde(default)]
    candidates: Vec<Candidate>,
    usage_metadata: Option<Usage>,
    model_version: Option<String>,
    error: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    #[serde(default)]
    index: usize,
    content: Option<Content>,
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Content {
    #[serde(default)]
    parts: Vec<Part>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Part {
    text: Option<String>,
    #[serde(default)]
    thought: bool,
    function_call: Option<FunctionCall>,
}

#[derive(Debug, Deserialize)]
struct FunctionCall {
    id: Option<String>,
    name: Option<String>,
    args: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Usage {
    #[serde(default)]
    prompt_token_count: u64,
    #[serde(default)]
    cached_content_token_count: u64,
    #[serde(default)]
    tool_use_prompt_token_count: u64,
    #[serde(default)]
    candidates_token_count: u64,
    #[serde(default)]
    thoughts_token_count: u64,
}

impl ReplyReader {
    /// One `data:` chunk of a streamed reply.
    pub(super) fn gemini_event(&mut self, call: &mut Call, data: &[u8]) {
        match serde_json::from_slice::<Chunk>(data) {
            Ok(chunk) => self.gemini_chunk(call, chunk),
            Err(err) => tracing::debug!(%err, "LLM proxy: a chunk that is not Gemini JSON"),
        }
    }

    /// A whole reply: one response, or a list of them.
    pub(super) fn gemini_body(&mut self, call: &mut Call, body: &[u8]) {
        let chunks: Vec<Chunk> = match serde_json::from_slice::<Value>(body) {
            Ok(Value::Array(items)) => items
                .into_iter()
                .filter_map(|item| serde_json::from_value(item).ok())
                .collect(),
            Ok(value) => serde_json::from_value(value).into_iter().collect(),
            Err(_) => return,
        };
        for chunk in chunks {
            self.gemini_chunk(call, chunk);
        }
        self.flush_text(call);
    }

    fn gemini_chunk(&mut self, call: &mut Call, chunk: Chunk) {
        if let Some(error) = &chunk.error {
            self.ended_with_error(call, describe_error(error));
            return;
        }
        if chunk.model_version.is_some() {
            call.model = chunk.model_version;
        }
        let mut finish = None;
        for candidate in chunk.candidates.into_iter().filter(|c| c.index == 0) {
            let parts = candidate.content.map(|c| c.parts).unwrap_or_default();
            for part in parts {
                if let Some(function) = part.function_call {
                    self.flush_text(call);
                    self.whole_tool(
                        call,
                        function.id.unwrap_or_default(),
                        function.name.unwrap_or_default(),
                        function.args.unwrap_or(Value::Null),
                    );
                } else if let Some(text) = part.text.filter(|t| !t.is_empty() && !part.thought) {
                    self.push_text(call, 0, &text);
                }
            }
            finish = finish.or(candidate.finish_reason);
        }
        if let Some(usage) = chunk.usage_metadata {
            let tokens = gemini_tokens(
                usage.prompt_token_count,
                usage.cached_content_token_count,
                usage.tool_use_prompt_token_count,
                usage.candidates_token_count,
                usage.thoughts_token_count,
            );
            if tokens != call.tokens {
                call.tokens = tokens;
                call.emit_usage();
            }
        }
        if let Some(reason) = finish {
            self.flush_text(call);
            call.stop_reason = Some(gemini_stop_reason(&reason, self.tool_calls > 0));
            self.ended = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm_proxy::api::Api;
    use crate::llm_proxy::event::ProxyEvent;
    use crate::llm_proxy::host::Recorder;
    use serde_json::json;
    use std::sync::Arc;

    fn read(chunks: &[Value]) -> Vec<ProxyEvent> {
        let host = Arc::new(Recorder::default());
        let mut call = Call::start("t", host.clone(), "gemini-req".into());
        let mut reader = ReplyReader::new(Api::Gemini);
        for chunk in chunks {
            reader.sse_event(&mut call, "message", chunk.to_string().as_bytes());
        }
        reader.end_of_stream(&mut call);
        call.finish();
        host.0.lock().unwrap().clone()
    }

    fn chunk(parts: Value, finish: Option<&str>, candidates_tokens: u64) -> Value {
        let mut candidate = json!({"index": 0, "content": {"role": "model", "parts": parts}});
        if let Some(reason) = finish {
            candidate["finishReason"] = json!(reason);
        }
        json!({"candidates": [candidate], "modelVersion": "gemini-2.5-pro",
               "usageMetadata": {"promptTokenCount": 40, "cachedContentTokenCount": 10,
                                 "candidatesTokenCount": candidates_tokens}})
    }

    #[test]
    fn a_streamed_reply_yields_text_a_function_call_and_changed_usage_only() {
        let events = read(&[
            chunk(json!([{"text": "thinking", "thought": true}]), None, 0),
            chunk(json!([{"text": "I'll "}]), None, 2),
            chunk(json!([{"text": "write it."}]), None, 2),
            chunk(
                json!([{"functionCall": {"name": "write_file", "args": {"file_path": "a"}}}]),
                Some("STOP"),
                9,
            ),
        ]);
        let kinds: Vec<&str> = events
            .iter()
            .map(|e| match e {
                ProxyEvent::CallStarted { .. } => "started",
                ProxyEvent::TextDelta { .. } => "text",
                ProxyEvent::ToolUse { .. } => "tool",
                ProxyEvent::Usage { .. } => "usage",
                ProxyEvent::CallFinished { .. } => "finished",
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "started", "usage", "usage", "text", "tool", "usage", "finished"
            ]
        );
        assert!(
            events.iter().any(
                |e| matches!(e, ProxyEvent::TextDelta { text, .. } if text == "I'll write it.")
            )
        );
        assert!(
            events
                .iter()
                .any(|e| matches!(e, ProxyEvent::ToolUse { name, input, .. }
            if name == "write_file" && *input == json!({"file_path": "a"})))
        );
        assert!(
            matches!(events.last().unwrap(), ProxyEvent::CallFinished { error: None, model, stop_reason: Some(r),
                input_tokens: 30, cache_read: 10, output_tokens: 9, .. }
                if model == "gemini-2.5-pro" && r == "tool_use"),
            "{:?}",
            events.last()
        );
    }

    #[test]
    fn a_stream_without_a_finish_reason_was_cut_and_an_error_chunk_fails_it() {
        let events = read(&[chunk(json!([{"text": "par"}]), None, 1)]);
        assert!(
            matches!(events.last().unwrap(), ProxyEvent::CallFinished { error: Some(e), .. } if e.contains("finishReason"))
        );
        let events =
            read(&[json!({"error": {"code": 503, "message": "busy", "status": "UNAVAILABLE"}})]);
        assert!(
            matches!(events.last().unwrap(), ProxyEvent::CallFinished { error: Some(e), .. } if e == "UNAVAILABLE: busy")
        );
    }

    #[test]
    fn a_whole_reply_or_a_list_of_them_is_read_at_once() {
        let host = Arc::new(Recorder::default());
        let mut call = Call::start("t", host.clone(), "g".into());
        let body = json!([
            chunk(json!([{"text": "Hel"}]), None, 1),
            chunk(json!([{"text": "lo"}]), Some("STOP"), 2)
        ]);
        ReplyReader::new(Api::Gemini).json_body(&mut call, 200, body.to_string().as_bytes());
        call.finish();
        let events = host.0.lock().unwrap().clone();
        assert!(
            events
                .iter()
                .any(|e| matches!(e, ProxyEvent::TextDelta { text, .. } if text == "Hello"))
        );
        assert!(
            matches!(events.last().unwrap(), ProxyEvent::CallFinished { stop_reason: Some(r), .. } if r == "end_turn")
        );
    }
}
