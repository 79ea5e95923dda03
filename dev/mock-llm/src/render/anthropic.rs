//! A reply as the Anthropic Messages API sends it: one JSON message, or the SSE events
//! of a stream (message_start, ping, per block content_block_start / _delta... / _stop,
//! message_delta, message_stop), shaped as the API shapes them.

use serde_json::{Value, json};

use super::{Answer, Frame, JSON_CHUNK_CHARS, Rendered, SseEvent, TEXT_CHUNK_CHARS, chunks};
use crate::script::ErrorReply;

/// A reply as a Messages API answer.
pub struct Messages<'a>(pub &'a Rendered);

impl Answer for Messages<'_> {
    fn body(&self) -> Value {
        self.0.message()
    }

    fn frames(&self) -> Vec<Frame> {
        self.0.events().into_iter().map(Frame::Event).collect()
    }
}

impl Rendered {
    fn usage(&self, output_tokens: u64) -> Value {
        json!({
            "input_tokens": self.input_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": output_tokens,
        })
    }

    /// The non-streaming response body.
    pub fn message(&self) -> Value {
        let mut message = json!({
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": self.content,
            "stop_reason": self.stop_reason,
            "stop_sequence": null,
            "usage": self.usage(self.output_tokens),
        });
        if let Some(results) = &self.safeguard_results {
            message["safeguard_results"] = results.clone();
        }
        message
    }

    /// The streamed response, event by event. With an in-stream error the content is
    /// followed by an `error` event and the stream ends there, without message_delta.
    pub fn events(&self) -> Vec<SseEvent> {
        let mut events = vec![
            SseEvent::new(
                "message_start",
                json!({"type": "message_start", "message": {
                    "id": self.id,
                    "type": "message",
                    "role": "assistant",
                    "model": self.model,
                    "content": [],
                    "stop_reason": null,
                    "stop_sequence": null,
                    "usage": self.usage(1),
                }}),
            ),
            SseEvent::new("ping", json!({"type": "ping"})),
        ];
        for (index, block) in self.content.iter().enumerate() {
            block_events(index, block, &mut events);
        }
        if let Some(error) = self.stream_error() {
            events.push(SseEvent::new("error", error_body(error)));
            return events;
        }
        let mut delta = json!({"stop_reason": self.stop_reason, "stop_sequence": null});
        if let Some(results) = &self.safeguard_results {
            delta["safeguard_results"] = results.clone();
        }
        events.push(SseEvent::new(
            "message_delta",
            json!({"type": "message_delta", "delta": delta,
                   "usage": self.usage(self.output_tokens)}),
        ));
        events.push(SseEvent::new(
            "message_stop",
            json!({"type": "message_stop"}),
        ));
        events
    }
}

/// A block starts empty (tool input `{}`), its content arrives in deltas, then it stops.
fn block_events(index: usize, block: &Value, events: &mut Vec<SseEvent>) {
    let (start, deltas) = match block["type"].as_str() {
        Some("tool_use") => {
            let input = block["input"].to_string();
            // The API opens a tool's input with an empty piece; clients must cope.
            let pieces = std::iter::once(String::new()).chain(chunks(&input, JSON_CHUNK_CHARS));
            let deltas: Vec<Value> = pieces
                .map(|piece| json!({"type": "input_json_delta", "partial_json": piece}))
                .collect();
            let start = json!({"type": "tool_use", "id": block["id"], "name": block["name"],
                               "input": {}});
            (start, deltas)
        }
        _ => {
            let text = block["text"].as_str().unwrap_or("");
            let deltas = chunks(text, TEXT_CHUNK_CHARS)
                .into_iter()
                .map(|piece| json!({"type": "text_delta", "text": piece}))
                .collect();
            (json!({"type": "text", "text": ""}), deltas)
        }
    };
    events.push(SseEvent::new(
        "content_block_start",
        json!({"type": "content_block_start", "index": index, "content_block": start}),
    ));
    for delta in deltas {
        events.push(SseEvent::new(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": index, "delta": delta}),
        ));
    }
    events.push(SseEvent::new(
        "content_block_stop",
        json!({"type": "content_block_stop", "index": index}),
    ));
}

/// `{"type":"error","error":{"type":…,"message":…}}`, the body of the API's errors and
/// the data of its `error` event.
pub fn error_body(error: &ErrorReply) -> Value {
    json!({"type": "error", "error": {"type": error.kind, "message": error.message}})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::testing;
    use crate::script::{Block, Reply, Usage};

    fn render(reply: &Reply) -> Rendered {
        testing::rendered(reply, "claude-test")
    }

    #[test]
    fn a_text_reply_streams_the_api_event_sequence_with_exact_json() {
        let reply = Reply {
            usage: Usage {
                input_tokens: Some(10),
                output_tokens: Some(3),
            },
            ..Reply::text("Hello")
        };
        let events = render(&reply).events();
        let usage = |output: u64| {
            json!({"input_tokens": 10, "cache_creation_input_tokens": 0,
                   "cache_read_input_tokens": 0, "output_tokens": output})
        };
        let expected = [
            (
                "message_start",
                json!({"type": "message_start", "message": {
                "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-test",
                "content": [], "stop_reason": null, "stop_sequence": null, "usage": usage(1)}}),
            ),
            ("ping", json!({"type": "ping"})),
            (
                "content_block_start",
                json!({"type": "content_block_start", "index": 0,
                "content_block": {"type": "text", "text": ""}}),
            ),
            (
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0,
                "delta": {"type": "text_delta", "text": "Hello"}}),
            ),
            (
                "content_block_stop",
                json!({"type": "content_block_stop", "index": 0}),
            ),
            (
                "message_delta",
                json!({"type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": null},
                "usage": usage(3)}),
            ),
            ("message_stop", json!({"type": "message_stop"})),
        ];
        let wire: String = events.iter().map(SseEvent::encode).collect();
        let expected_wire: String = expected
            .iter()
            .map(|(name, data)| format!("event: {name}\ndata: {data}\n\n"))
            .collect();
        assert_eq!(wire, expected_wire);
        assert!(wire.starts_with("event: message_start\ndata: {"));
        for event in &events {
            assert_eq!(event.data["type"], event.name, "each event's data names it");
        }
    }

    #[test]
    fn tool_input_streams_as_json_pieces_that_concatenate_to_the_input() {
        let input = json!({"file_path": "/workspace/hello.txt", "content": "héllo wörld\n",
                           "nested": {"list": [1, 2, 3]}});
        let reply = Reply {
            content: vec![
                Block::Text {
                    text: "I will write the file now, as asked.".into(),
                },
                Block::ToolUse {
                    name: "Write".into(),
                    input: input.clone(),
                    flagged: None,
                },
            ],
            ..Reply::default()
        };
        let rendered = render(&reply);
        let events = rendered.events();
        let names: Vec<&str> = events.iter().map(|e| e.name).collect();
        assert_eq!(names[..3], ["message_start", "ping", "content_block_start"]);
        assert_eq!(
            names[names.len() - 2..],
            ["message_delta", "message_stop"],
            "{names:?}"
        );

        let start = events
            .iter()
            .find(|e| e.name == "content_block_start" && e.data["index"] == 1)
            .unwrap();
        assert_eq!(
            start.data["content_block"],
            json!({"type": "tool_use", "id": "toolu_1", "name": "Write", "input": {}})
        );
        let pieces: Vec<&str> = events
            .iter()
            .filter(|e| e.name == "content_block_delta" && e.data["index"] == 1)
            .map(|e| {
                assert_eq!(e.data["delta"]["type"], "input_json_delta");
                e.data["delta"]["partial_json"].as_str().unwrap()
            })
            .collect();
        assert!(pieces.len() > 3, "the input is streamed in several pieces");
        let joined: String = pieces.concat();
        assert_eq!(serde_json::from_str::<Value>(&joined).unwrap(), input);

        let text: String = events
            .iter()
            .filter(|e| e.name == "content_block_delta" && e.data["index"] == 0)
            .map(|e| e.data["delta"]["text"].as_str().unwrap())
            .collect();
        assert_eq!(text, "I will write the file now, as asked.");
        let delta = events.iter().find(|e| e.name == "message_delta").unwrap();
        assert_eq!(delta.data["delta"]["stop_reason"], "tool_use");
        assert!(delta.data["usage"]["output_tokens"].as_u64().unwrap() > 1);

        let message = rendered.message();
        assert_eq!(message["content"][1]["input"], input);
        assert_eq!(message["content"][1]["id"], "toolu_1");
        assert_eq!(message["stop_reason"], "tool_use");
        assert_eq!(
            message["usage"]["input_tokens"], 42,
            "estimated when unscripted"
        );
    }

    #[test]
    fn an_in_stream_error_follows_the_content_and_ends_the_stream() {
        let reply = Reply {
            error: Some(ErrorReply {
                in_stream: true,
                ..ErrorReply::new("overloaded_error", "Overloaded")
            }),
            ..Reply::text("partial")
        };
        let events = render(&reply).events();
        let last = events.last().unwrap();
        assert_eq!(last.name, "error");
        assert_eq!(
            last.data,
            json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
        );
        assert!(events.iter().all(|e| e.name != "message_stop"));
        assert!(events.iter().any(|e| e.name == "content_block_delta"));
    }

    #[test]
    fn verdicts_on_the_tool_calls_ride_in_the_final_message_delta_or_the_message() {
        let reply = Reply {
            content: vec![
                Block::ToolUse {
                    name: "Bash".into(),
                    input: json!({"command": "ls"}),
                    flagged: None,
                },
                Block::ToolUse {
                    name: "Bash".into(),
                    input: json!({"command": "rm -rf .git"}),
                    flagged: Some("it deletes the repository".into()),
                },
            ],
            ..Reply::default()
        };
        let asking = json!({"safeguards": [{"type": "dangerous_tool_use"}]});
        let expected = json!([{"type": "dangerous_tool_use", "status": {"type": "available",
            "tool_uses": {
                "toolu_1": {"type": "evaluated", "outcome": "not_flagged"},
                "toolu_2": {"type": "evaluated", "outcome": "flagged",
                            "explanation": "it deletes the repository"}}}}]);
        let rendered = render(&reply).judged(&asking);
        let events = rendered.events();
        let delta = events.iter().find(|e| e.name == "message_delta").unwrap();
        assert_eq!(delta.data["delta"]["safeguard_results"], expected);
        assert_eq!(delta.data["delta"]["stop_reason"], "tool_use");
        assert!(
            events
                .iter()
                .filter(|e| e.name != "message_delta")
                .all(|e| !e.encode().contains("safeguard_results")),
            "only the final message_delta carries them"
        );
        assert_eq!(rendered.message()["safeguard_results"], expected);

        // A request that does not ask gets none, as from the API.
        let plain = render(&reply).judged(&json!({"model": "m"}));
        assert!(
            !plain
                .message()
                .as_object()
                .unwrap()
                .contains_key("safeguard_results")
        );
        let delta = plain
            .events()
            .into_iter()
            .find(|e| e.name == "message_delta")
            .unwrap();
        assert!(!delta.encode().contains("safeguard_results"));
    }
}
