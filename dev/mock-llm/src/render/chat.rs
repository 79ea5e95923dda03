//! A reply as OpenAI's Chat Completions API sends it: one `chat.completion`, or a stream
//! of `chat.completion.chunk`s as bare `data:` lines ending in `data: [DONE]`. Text
//! arrives in `delta.content` pieces; a tool call opens with its id and name in
//! `delta.tool_calls` and its arguments follow as string pieces.

use serde_json::{Value, json};

use super::{
    Answer, Frame, JSON_CHUNK_CHARS, Part, Rendered, TEXT_CHUNK_CHARS, chunks, id_suffix,
    openai_error,
};
use crate::request::ChatRequest;

/// A reply as a Chat Completions answer.
pub struct Completion<'a> {
    rendered: &'a Rendered,
    created: u64,
    /// `stream_options.include_usage`: a last chunk carries the usage.
    include_usage: bool,
}

impl<'a> Completion<'a> {
    pub fn new(rendered: &'a Rendered, request: &Value, created: u64) -> Self {
        Completion {
            rendered,
            created,
            include_usage: ChatRequest::new(request).include_usage(),
        }
    }

    fn id(&self) -> String {
        format!("chatcmpl-{}", id_suffix(&self.rendered.id))
    }

    /// `finish_reason` for the script's stop reason.
    fn finish_reason(&self) -> &str {
        match self.rendered.stop_reason.as_str() {
            "tool_use" => "tool_calls",
            "max_tokens" => "length",
            "refusal" => "content_filter",
            _ => "stop",
        }
    }

    fn usage(&self) -> Value {
        let (input, output) = (self.rendered.input_tokens, self.rendered.output_tokens);
        json!({
            "prompt_tokens": input,
            "completion_tokens": output,
            "total_tokens": input + output,
            "prompt_tokens_details": {"cached_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0},
        })
    }

    fn chunk(&self, choices: Value) -> Frame {
        Frame::Data(json!({
            "id": self.id(),
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.rendered.model,
            "choices": choices,
        }))
    }

    fn delta(&self, delta: Value) -> Frame {
        self.chunk(json!([{"index": 0, "delta": delta, "finish_reason": null}]))
    }
}

/// `call_…` for a tool_use id.
fn call_id(id: &str) -> String {
    format!("call_{}", id_suffix(id))
}

impl Answer for Completion<'_> {
    fn body(&self) -> Value {
        let mut text = String::new();
        let mut calls = Vec::new();
        for part in self.rendered.parts() {
            match part {
                Part::Text(piece) => text.push_str(piece),
                Part::Call { id, name, input } => calls.push(json!({
                    "id": call_id(id),
                    "type": "function",
                    "function": {"name": name, "arguments": input.to_string()},
                })),
            }
        }
        let mut message = json!({"role": "assistant", "content": null});
        if !text.is_empty() {
            message["content"] = json!(text);
        }
        if !calls.is_empty() {
            message["tool_calls"] = json!(calls);
        }
        json!({
            "id": self.id(),
            "object": "chat.completion",
            "created": self.created,
            "model": self.rendered.model,
            "choices": [{"index": 0, "message": message, "finish_reason": self.finish_reason()}],
            "usage": self.usage(),
        })
    }

    fn frames(&self) -> Vec<Frame> {
        let mut frames = vec![self.delta(json!({"role": "assistant", "content": ""}))];
        let mut call_index = 0;
        for part in self.rendered.parts() {
            match part {
                Part::Text(text) => {
                    for piece in chunks(text, TEXT_CHUNK_CHARS) {
                        frames.push(self.delta(json!({"content": piece})));
                    }
                }
                Part::Call { id, name, input } => {
                    let index = call_index;
                    call_index += 1;
                    frames.push(self.delta(json!({"tool_calls": [{
                        "index": index, "id": call_id(id), "type": "function",
                        "function": {"name": name, "arguments": ""}}]})));
                    for piece in chunks(&input.to_string(), JSON_CHUNK_CHARS) {
                        frames.push(self.delta(json!({"tool_calls": [{
                            "index": index, "function": {"arguments": piece}}]})));
                    }
                }
            }
        }
        if let Some(error) = self.rendered.stream_error() {
            frames.push(Frame::Data(openai_error::body(error)));
            return frames;
        }
        frames.push(self.chunk(json!([{"index": 0, "delta": {},
                                       "finish_reason": self.finish_reason()}])));
        if self.include_usage {
            let mut last = self.chunk(json!([]));
            if let Frame::Data(data) = &mut last {
                data["usage"] = self.usage();
            }
            frames.push(last);
        }
        frames.push(Frame::Done);
        frames
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::testing::{self, data};
    use crate::script::{Block, ErrorReply, Reply};

    fn render(reply: &Reply) -> Rendered {
        testing::rendered(reply, "gpt-test")
    }

    #[test]
    fn a_text_reply_streams_chunks_then_usage_then_done_with_exact_json() {
        let reply = testing::counted("Hello");
        let rendered = render(&reply);
        let request = json!({"stream": true, "stream_options": {"include_usage": true}});
        let frames = Completion::new(&rendered, &request, 1700000000).frames();
        assert_eq!(frames.last(), Some(&Frame::Done));
        let chunk = |choices: Value| {
            json!({"id": "chatcmpl-1", "object": "chat.completion.chunk",
                   "created": 1700000000, "model": "gpt-test", "choices": choices})
        };
        let mut usage_chunk = chunk(json!([]));
        usage_chunk["usage"] = json!({"prompt_tokens": 10, "completion_tokens": 3,
            "total_tokens": 13, "prompt_tokens_details": {"cached_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0}});
        assert_eq!(
            data(&frames[..frames.len() - 1]),
            [
                chunk(
                    json!([{"index": 0, "delta": {"role": "assistant", "content": ""},
                              "finish_reason": null}])
                ),
                chunk(json!([{"index": 0, "delta": {"content": "Hello"}, "finish_reason": null}])),
                chunk(json!([{"index": 0, "delta": {}, "finish_reason": "stop"}])),
                usage_chunk,
            ]
        );
        let wire: String = frames.iter().map(Frame::encode).collect();
        assert!(wire.starts_with("data: {"), "{wire}");
        assert!(wire.ends_with("}\n\ndata: [DONE]\n\n"));
        assert!(!wire.contains("event:"));

        // Without include_usage there is no usage chunk.
        let plain = Completion::new(&rendered, &json!({"stream": true}), 1).frames();
        assert_eq!(plain.len(), frames.len() - 1);
    }

    #[test]
    fn tool_calls_open_with_id_and_name_and_stream_their_arguments() {
        let input = json!({"path": "hello.txt", "content": "héllo wörld, a longer text\n"});
        let reply = Reply {
            content: vec![
                Block::Text {
                    text: "Writing.".into(),
                },
                Block::ToolUse {
                    name: "write".into(),
                    input: input.clone(),
                    flagged: None,
                },
            ],
            ..Reply::default()
        };
        let rendered = render(&reply);
        let completion = Completion::new(&rendered, &json!({}), 5);
        let frames = completion.frames();
        let chunks = data(&frames[..frames.len() - 1]);
        let deltas: Vec<&Value> = chunks.iter().map(|c| &c["choices"][0]["delta"]).collect();
        assert_eq!(deltas[1], &json!({"content": "Writing."}));
        assert_eq!(
            deltas[2],
            &json!({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                                    "function": {"name": "write", "arguments": ""}}]})
        );
        let arguments: String = deltas[3..]
            .iter()
            .filter_map(|d| d["tool_calls"][0]["function"]["arguments"].as_str())
            .collect();
        assert_eq!(serde_json::from_str::<Value>(&arguments).unwrap(), input);
        assert!(
            deltas[3..]
                .iter()
                .filter(|d| d["tool_calls"].is_array())
                .count()
                > 2
        );
        let last = &chunks[chunks.len() - 1]["choices"][0];
        assert_eq!(last["finish_reason"], "tool_calls");

        assert_eq!(
            completion.body(),
            json!({"id": "chatcmpl-2", "object": "chat.completion", "created": 5,
                   "model": "gpt-test",
                   "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                       "role": "assistant", "content": "Writing.",
                       "tool_calls": [{"id": "call_1", "type": "function", "function": {
                           "name": "write", "arguments": input.to_string()}}]}}],
                   "usage": {"prompt_tokens": 42,
                             "completion_tokens": rendered.output_tokens,
                             "total_tokens": 42 + rendered.output_tokens,
                             "prompt_tokens_details": {"cached_tokens": 0},
                             "completion_tokens_details": {"reasoning_tokens": 0}}})
        );
    }

    #[test]
    fn a_tool_call_only_reply_has_null_content_and_max_tokens_is_length() {
        let reply = Reply {
            stop_reason: Some("max_tokens".into()),
            ..Reply::tool_use("t", json!({}))
        };
        let rendered = render(&reply);
        let body = Completion::new(&rendered, &json!({}), 0).body();
        assert_eq!(body["choices"][0]["message"]["content"], Value::Null);
        assert_eq!(body["choices"][0]["finish_reason"], "length");
    }

    #[test]
    fn an_in_stream_error_is_an_error_data_line_and_the_stream_ends() {
        let reply = Reply {
            error: Some(ErrorReply {
                in_stream: true,
                ..ErrorReply::new("overloaded_error", "Overloaded")
            }),
            ..Reply::text("partial")
        };
        let rendered = render(&reply);
        let frames = Completion::new(&rendered, &json!({}), 0).frames();
        assert_eq!(
            frames.last(),
            Some(&Frame::Data(json!({"error": {"message": "Overloaded",
                "type": "server_error", "param": null, "code": "server_is_overloaded"}})))
        );
        assert_eq!(frames.len(), 3, "role, text, error: {frames:?}");
    }
}
