//! Reading the Messages API's reply as it passes: the SSE events of a stream, or the
//! JSON of a plain reply or of an error, into the call's state and [`ProxyEvent`]s.
//! Only what the events need is parsed; every other field is ignored, so new API
//! fields and event types pass without harm.

use std::collections::HashMap;
use std::time::Instant;

use serde::Deserialize;
use serde_json::Value;

use super::call::Call;
use super::event::ProxyEvent;
use crate::limits::MAX_TOOL_INPUT_BYTES;
use crate::limits::TEXT_FLUSH_BYTES;
use crate::limits::TEXT_FLUSH_INTERVAL;

#[derive(Debug, Default, Deserialize)]
struct UsageData {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct BlockData {
    #[serde(rename = "type")]
    kind: String,
    id: Option<String>,
    name: Option<String>,
    text: Option<String>,
    input: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct DeltaData {
    #[serde(rename = "type")]
    kind: Option<String>,
    text: Option<String>,
    partial_json: Option<String>,
    stop_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ErrorData {
    #[serde(rename = "type")]
    kind: Option<String>,
    message: Option<String>,
}

impl ErrorData {
    fn describe(&self) -> String {
        format!(
            "{}: {}",
            self.kind.as_deref().unwrap_or("error"),
            self.message.as_deref().unwrap_or("(no message)")
        )
    }
}

/// `message_start`'s message (a non-streamed reply has the same fields at the top).
#[derive(Debug, Deserialize)]
struct MessageData {
    model: Option<String>,
    usage: Option<UsageData>,
}

/// One SSE event's data, or a JSON body (a message, or `{"type":"error",...}`).
#[derive(Debug, Deserialize)]
struct Data {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    index: usize,
    message: Option<MessageData>,
    content_block: Option<BlockData>,
    delta: Option<DeltaData>,
    usage: Option<UsageData>,
    error: Option<ErrorData>,
    // A non-streamed message has these at the top level.
    model: Option<String>,
    stop_reason: Option<String>,
    #[serde(default)]
    content: Vec<BlockData>,
}

/// A tool call whose input is still arriving.
struct ToolBuild {
    tool_id: String,
    name: String,
    /// The input in the block's start (`{}` when it is streamed in pieces).
    start_input: Value,
    json: String,
    oversized: bool,
}

struct PendingText {
    index: usize,
    text: String,
    since: Instant,
}

/// The state of one reply being read.
#[derive(Default)]
pub struct ReplyReader {
    text: Option<PendingText>,
    tools: HashMap<usize, ToolBuild>,
    /// `message_stop` or an `error` event came: the stream ended as the API ends it.
    ended: bool,
}

impl ReplyReader {
    pub fn new() -> Self {
        ReplyReader::default()
    }

    /// `message_stop` or an `error` event has come: nothing more is expected.
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// When unsent text must go out, if there is any.
    pub fn flush_deadline(&self) -> Option<Instant> {
        self.text.as_ref().map(|t| t.since + TEXT_FLUSH_INTERVAL)
    }

    /// Sends the text gathered so far.
    pub fn flush_text(&mut self, call: &Call) {
        if let Some(pending) = self.text.take() {
            call.emit(ProxyEvent::TextDelta {
                id: call.id().to_string(),
                index: pending.index,
                text: pending.text,
            });
        }
    }

    /// One SSE event of a streamed reply.
    pub fn sse_event(&mut self, call: &mut Call, name: &str, data: &[u8]) {
        let data: Data = match serde_json::from_slice(data) {
            Ok(data) => data,
            Err(err) => {
                tracing::debug!(event = name, %err, "LLM proxy: an SSE event that is not the API's JSON");
                return;
            }
        };
        match data.kind.as_str() {
            "message_start" => {
                if let Some(message) = data.message {
                    if message.model.is_some() {
                        call.model = message.model;
                    }
                    if let Some(usage) = message.usage {
                        merge_usage(call, &usage);
                        call.emit_usage();
                    }
                }
            }
            "content_block_start" => {
                self.flush_text(call);
                if let Some(block) = data.content_block {
                    self.block_start(call, data.index, block);
                }
            }
            "content_block_delta" => {
                if let Some(delta) = data.delta {
                    self.block_delta(call, data.index, delta);
                }
            }
            "content_block_stop" => {
                self.flush_text(call);
                self.block_stop(call, data.index);
            }
            "message_delta" => {
                if let Some(reason) = data.delta.and_then(|d| d.stop_reason) {
                    call.stop_reason = Some(reason);
                }
                if let Some(usage) = data.usage {
                    merge_usage(call, &usage);
                    call.emit_usage();
                }
            }
            "message_stop" => {
                self.flush_text(call);
                self.ended = true;
            }
            "error" => {
                self.flush_text(call);
                let error = data.error.map(|e| e.describe());
                call.fail(error.unwrap_or_else(|| "error event without details".into()));
                self.ended = true;
            }
            _ => {} // ping, and event types newer than this code
        }
    }

    fn block_start(&mut self, call: &Call, index: usize, block: BlockData) {
        match block.kind.as_str() {
            "text" => {
                if let Some(text) = block.text.filter(|t| !t.is_empty()) {
                    self.push_text(call, index, &text);
                }
            }
            "tool_use" | "server_tool_use" => {
                self.tools.insert(
                    index,
                    ToolBuild {
                        tool_id: block.id.unwrap_or_default(),
                        name: block.name.unwrap_or_default(),
                        start_input: block.input.unwrap_or(Value::Null),
                        json: String::new(),
                        oversized: false,
                    },
                );
            }
            _ => {}
        }
    }

    fn block_delta(&mut self, call: &Call, index: usize, delta: DeltaData) {
        match delta.kind.as_deref() {
            Some("text_delta") => {
                if let Some(text) = delta.text {
                    self.push_text(call, index, &text);
                }
            }
            Some("input_json_delta") => {
                let (Some(tool), Some(piece)) = (self.tools.get_mut(&index), delta.partial_json)
                else {
                    return;
                };
                if tool.json.len() + piece.len() > MAX_TOOL_INPUT_BYTES {
                    tool.oversized = true;
                    tool.json = String::new();
                } else if !tool.oversized {
                    tool.json.push_str(&piece);
                }
            }
            _ => {} // thinking, signatures, citations
        }
    }

    fn block_stop(&mut self, call: &Call, index: usize) {
        let Some(tool) = self.tools.remove(&index) else {
            return;
        };
        let input = if tool.oversized {
            tracing::warn!(tool = %tool.name, "LLM proxy: a tool input over {MAX_TOOL_INPUT_BYTES} bytes is reported as null");
            Value::Null
        } else if tool.json.trim().is_empty() {
            tool.start_input
        } else {
            serde_json::from_str(&tool.json).unwrap_or_else(|err| {
                tracing::warn!(tool = %tool.name, %err, "LLM proxy: a tool input that is not JSON is reported as null");
                Value::Null
            })
        };
        call.emit(ProxyEvent::ToolUse {
            id: call.id().to_string(),
            tool_id: tool.tool_id,
            name: tool.name,
            input,
        });
    }

    fn push_text(&mut self, call: &Call, index: usize, text: &str) {
        if self.text.as_ref().is_some_and(|t| t.index != index) {
            self.flush_text(call);
        }
        let pending = self.text.get_or_insert_with(|| PendingText {
            index,
            text: String::new(),
            since: Instant::now(),
        });
        pending.text.push_str(text);
        if pending.text.len() >= TEXT_FLUSH_BYTES {
            self.flush_text(call);
        }
    }

    /// The stream is over (the upstream closed it). A stream that stops without
    /// `message_stop` was cut off.
    pub fn end_of_stream(&mut self, call: &mut Call) {
        self.flush_text(call);
        if !self.ended {
            call.fail("the upstream ended the stream before message_stop");
        }
    }

    /// A whole JSON body: a non-streamed message, or an HTTP error's body.
    pub fn json_body(&mut self, call: &mut Call, status: u16, body: &[u8]) {
        let parsed: Option<Data> = serde_json::from_slice(body).ok();
        if status >= 400 {
            let detail = match parsed.and_then(|d| d.error) {
                Some(error) => error.describe(),
                None => String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned(),
            };
            call.fail(format!("{status} {detail}"));
            return;
        }
        let Some(message) = parsed.filter(|d| d.kind == "message") else {
            return;
        };
        if message.model.is_some() {
            call.model = message.model;
        }
        call.stop_reason = message.stop_reason;
        for (index, block) in message.content.into_iter().enumerate() {
            let is_tool = matches!(block.kind.as_str(), "tool_use" | "server_tool_use");
            if block.kind == "text" {
                if let Some(text) = block.text.filter(|t| !t.is_empty()) {
                    self.push_text(call, index, &text);
                    self.flush_text(call);
                }
            } else if is_tool {
                self.block_start(call, index, block);
                self.block_stop(call, index);
            }
        }
        if let Some(usage) = message.usage {
            merge_usage(call, &usage);
            call.emit_usage();
        }
    }
}

/// Counts present in `usage` replace the call's; absent ones keep theirs (message_delta
/// carries only some of them).
fn merge_usage(call: &mut Call, usage: &UsageData) {
    let tokens = &mut call.tokens;
    tokens.input = usage.input_tokens.unwrap_or(tokens.input);
    tokens.output = usage.output_tokens.unwrap_or(tokens.output);
    tokens.cache_read = usage.cache_read_input_tokens.unwrap_or(tokens.cache_read);
    tokens.cache_creation = usage
        .cache_creation_input_tokens
        .unwrap_or(tokens.cache_creation);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm_proxy::host::Recorder;
    use serde_json::json;
    use std::sync::Arc;

    fn feed(reader: &mut ReplyReader, call: &mut Call, events: &[Value]) {
        for data in events {
            let name = data["type"].as_str().unwrap().to_string();
            reader.sse_event(call, &name, data.to_string().as_bytes());
        }
    }

    #[test]
    fn text_of_a_block_is_coalesced_and_tool_input_is_assembled() {
        let host = Arc::new(Recorder::default());
        let mut call = Call::start("t", host.clone(), "req-model".into());
        let mut reader = ReplyReader::new();
        feed(
            &mut reader,
            &mut call,
            &[
                json!({"type": "message_start", "message": {"model": "claude-x", "usage": {
                "input_tokens": 10, "output_tokens": 1, "cache_read_input_tokens": 4,
                "cache_creation_input_tokens": 2}}}),
                json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hel"}}),
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "lo"}}),
                json!({"type": "content_block_stop", "index": 0}),
                json!({"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "toolu_1", "name": "Write", "input": {}}}),
                json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": ""}}),
                json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\"a\": [1,"}}),
                json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": " 2]}"}}),
                json!({"type": "content_block_stop", "index": 1}),
                json!({"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 7}}),
                json!({"type": "message_stop"}),
            ],
        );
        reader.end_of_stream(&mut call);
        call.finish();
        let events = host.0.lock().unwrap().clone();
        let id = events[0].call_id().to_string();
        assert_eq!(
            events[1..],
            [
                ProxyEvent::Usage {
                    id: id.clone(),
                    input_tokens: 10,
                    output_tokens: 1,
                    cache_read: 4,
                    cache_creation: 2
                },
                ProxyEvent::TextDelta {
                    id: id.clone(),
                    index: 0,
                    text: "Hello".into()
                },
                ProxyEvent::ToolUse {
                    id: id.clone(),
                    tool_id: "toolu_1".into(),
                    name: "Write".into(),
                    input: json!({"a": [1, 2]})
                },
                ProxyEvent::Usage {
                    id: id.clone(),
                    input_tokens: 10,
                    output_tokens: 7,
                    cache_read: 4,
                    cache_creation: 2
                },
                match &events[5] {
                    ProxyEvent::CallFinished { duration_ms, .. } => ProxyEvent::CallFinished {
                        id: id.clone(),
                        model: "claude-x".into(),
                        stop_reason: Some("tool_use".into()),
                        status: 0,
                        input_tokens: 10,
                        output_tokens: 7,
                        cache_read: 4,
                        cache_creation: 2,
                        error: None,
                        duration_ms: *duration_ms,
                    },
                    other => panic!("expected CallFinished, got {other:?}"),
                },
            ]
        );
    }

    #[test]
    fn a_stream_cut_off_before_message_stop_finishes_with_an_error() {
        let host = Arc::new(Recorder::default());
        let mut call = Call::start("t", host.clone(), "m".into());
        let mut reader = ReplyReader::new();
        feed(
            &mut reader,
            &mut call,
            &[
                json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "par"}}),
            ],
        );
        assert!(
            reader.flush_deadline().is_some(),
            "unsent text has a deadline"
        );
        reader.end_of_stream(&mut call);
        assert!(reader.flush_deadline().is_none(), "the end sends the text");
        call.finish();
        let events = host.0.lock().unwrap().clone();
        assert!(matches!(&events[1], ProxyEvent::TextDelta { text, .. } if text == "par"));
        assert!(
            matches!(&events[2], ProxyEvent::CallFinished { error: Some(e), .. } if e.contains("before message_stop"))
        );
    }

    #[test]
    fn a_plain_reply_and_an_error_body_are_read_whole() {
        let host = Arc::new(Recorder::default());
        let mut call = Call::start("t", host.clone(), "m".into());
        let body = json!({"type": "message", "model": "claude-y", "stop_reason": "end_turn",
            "content": [{"type": "text", "text": "Hi"},
                        {"type": "tool_use", "id": "toolu_2", "name": "Bash", "input": {"command": "ls"}}],
            "usage": {"input_tokens": 3, "output_tokens": 2}});
        ReplyReader::new().json_body(&mut call, 200, body.to_string().as_bytes());
        call.finish();
        let events = host.0.lock().unwrap().clone();
        assert!(matches!(&events[1], ProxyEvent::TextDelta { text, .. } if text == "Hi"));
        assert!(
            matches!(&events[2], ProxyEvent::ToolUse { input, .. } if *input == json!({"command": "ls"}))
        );
        assert!(matches!(
            &events[3],
            ProxyEvent::Usage {
                input_tokens: 3,
                output_tokens: 2,
                ..
            }
        ));
        assert!(
            matches!(&events[4], ProxyEvent::CallFinished { error: None, model, stop_reason: Some(r), .. } if model == "claude-y" && r == "end_turn")
        );

        let mut call = Call::start("t", host.clone(), "m".into());
        let body = json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}});
        ReplyReader::new().json_body(&mut call, 529, body.to_string().as_bytes());
        call.finish();
        let events = host.0.lock().unwrap().clone();
        assert!(
            matches!(events.last().unwrap(), ProxyEvent::CallFinished { error: Some(e), .. } if e == "529 overloaded_error: Overloaded")
        );
    }
}
