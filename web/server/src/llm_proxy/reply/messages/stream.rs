//! The SSE events of a streamed Messages reply.

use super::data::{BlockData, Data, DeltaData, merge_usage};
use crate::llm_proxy::call::Call;
use crate::llm_proxy::reply::ReplyReader;
use crate::llm_proxy::reply::error_detail::describe_error;

impl ReplyReader {
    /// One SSE event of a streamed Messages reply.
    pub(in crate::llm_proxy::reply) fn messages_event(
        &mut self,
        call: &mut Call,
        name: &str,
        data: &[u8],
    ) {
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
                self.finish_tool(call, data.index);
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
                let error = data.error.as_ref().map(describe_error);
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
            "tool_use" | "server_tool_use" => self.start_tool(
                index,
                block.id.unwrap_or_default(),
                block.name.unwrap_or_default(),
                block.input.unwrap_or(serde_json::Value::Null),
            ),
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
                if let Some(piece) = delta.partial_json {
                    self.tool_input_piece(index, &piece);
                }
            }
            _ => {} // thinking, signatures, citations
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm_proxy::api::Api;
    use crate::llm_proxy::event::ProxyEvent;
    use crate::llm_proxy::host::Recorder;
    use serde_json::{Value, json};
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
        let mut reader = ReplyReader::new(Api::Messages);
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
        let mut reader = ReplyReader::new(Api::Messages);
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
}
