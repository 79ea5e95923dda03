//! A reply as OpenAI's Responses API sends it (what Codex CLI reads): the final
//! `response` object, or a stream of named events, each data carrying its `type` and an
//! increasing `sequence_number`: `response.created`, `response.in_progress`, per output
//! item `response.output_item.added`, its deltas, `response.output_item.done`, and
//! `response.completed` (`response.incomplete` when the reply stopped at max_tokens).
//!
//! A call to a tool the request declares `"type": "custom"` (Codex's freeform
//! `apply_patch`) is a `custom_tool_call` with a string `input`; other calls are
//! `function_call`s with JSON `arguments`.

use serde_json::{Value, json};

use super::{
    Answer, Frame, JSON_CHUNK_CHARS, Part, Rendered, SseEvent, TEXT_CHUNK_CHARS, chunks, id_suffix,
    openai_error,
};
use crate::request::ResponsesRequest;

/// A reply as a Responses answer.
pub struct Response<'a> {
    rendered: &'a Rendered,
    created: u64,
    /// The request's freeform tools, called with a string.
    custom_tools: Vec<String>,
}

/// An output item, in progress and done, with the events that stream its content.
struct Item {
    added: Value,
    done: Value,
    /// (event name, data without type/sequence_number/output_index).
    deltas: Vec<(&'static str, Value)>,
}

impl<'a> Response<'a> {
    pub fn new(rendered: &'a Rendered, request: &Value, created: u64) -> Self {
        let custom_tools = ResponsesRequest::new(request)
            .custom_tools()
            .into_iter()
            .map(str::to_string)
            .collect();
        Response {
            rendered,
            created,
            custom_tools,
        }
    }

    fn id(&self) -> String {
        format!("resp_{}", id_suffix(&self.rendered.id))
    }

    fn usage(&self) -> Value {
        let (input, output) = (self.rendered.input_tokens, self.rendered.output_tokens);
        json!({
            "input_tokens": input,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": input + output,
        })
    }

    /// The response object with this status, output and usage.
    fn response(&self, status: &str, output: Vec<Value>, usage: Value) -> Value {
        json!({
            "id": self.id(),
            "object": "response",
            "created_at": self.created,
            "status": status,
            "error": null,
            "incomplete_details": null,
            "model": self.rendered.model,
            "output": output,
            "parallel_tool_calls": true,
            "tool_choice": "auto",
            "usage": usage,
        })
    }

    /// The finished response: `completed`, or `incomplete` when it stopped at max_tokens.
    fn finished(&self) -> (&'static str, Value) {
        let output = self.items().into_iter().map(|item| item.done).collect();
        let mut response = self.response("completed", output, self.usage());
        if self.rendered.stop_reason == "max_tokens" {
            response["status"] = json!("incomplete");
            response["incomplete_details"] = json!({"reason": "max_output_tokens"});
            return ("response.incomplete", response);
        }
        ("response.completed", response)
    }

    fn items(&self) -> Vec<Item> {
        self.rendered
            .parts()
            .enumerate()
            .map(|(index, part)| match part {
                Part::Text(text) => self.message(index, text),
                Part::Call { id, name, input } if self.custom_tools.iter().any(|t| t == name) => {
                    call(&CUSTOM_TOOL_CALL, id, name, custom_input(input))
                }
                Part::Call { id, name, input } => call(&FUNCTION_CALL, id, name, input.to_string()),
            })
            .collect()
    }

    fn message(&self, index: usize, text: &str) -> Item {
        let id = format!("msg_{}_{index}", id_suffix(&self.rendered.id));
        let part = json!({"type": "output_text", "text": text, "annotations": []});
        let item = |status: &str, content: Value| {
            json!({"id": id, "type": "message", "status": status, "role": "assistant",
                   "content": content})
        };
        let at = json!({"item_id": id, "content_index": 0});
        let mut deltas = vec![(
            "response.content_part.added",
            with(
                &at,
                "part",
                json!({"type": "output_text", "text": "", "annotations": []}),
            ),
        )];
        for piece in chunks(text, TEXT_CHUNK_CHARS) {
            deltas.push((
                "response.output_text.delta",
                with(&at, "delta", json!(piece)),
            ));
        }
        deltas.push(("response.output_text.done", with(&at, "text", json!(text))));
        deltas.push((
            "response.content_part.done",
            with(&at, "part", part.clone()),
        ));
        Item {
            added: item("in_progress", json!([])),
            done: item("completed", json!([part])),
            deltas,
        }
    }
}

/// `base` with `key: value` added.
fn with(base: &Value, key: &str, value: Value) -> Value {
    let mut out = base.clone();
    out[key] = value;
    out
}

/// A kind of tool call item: how it is named and carries its input.
struct CallKind {
    item: &'static str,
    id_prefix: &'static str,
    /// The field holding the input: `arguments` (JSON text) or `input` (free text).
    field: &'static str,
    delta: &'static str,
    done: &'static str,
    piece: usize,
}

const FUNCTION_CALL: CallKind = CallKind {
    item: "function_call",
    id_prefix: "fc",
    field: "arguments",
    delta: "response.function_call_arguments.delta",
    done: "response.function_call_arguments.done",
    piece: JSON_CHUNK_CHARS,
};

const CUSTOM_TOOL_CALL: CallKind = CallKind {
    item: "custom_tool_call",
    id_prefix: "ctc",
    field: "input",
    delta: "response.custom_tool_call_input.delta",
    done: "response.custom_tool_call_input.done",
    piece: TEXT_CHUNK_CHARS,
};

/// A freeform tool's input: the script's input when it is a string, else its `input`
/// field when that is one, else its JSON.
fn custom_input(input: &Value) -> String {
    match (input, &input["input"]) {
        (Value::String(text), _) | (_, Value::String(text)) => text.clone(),
        _ => input.to_string(),
    }
}

/// The item of the call `id` (a `toolu_…` id) with `input` streamed in pieces.
fn call(kind: &CallKind, id: &str, name: &str, input: String) -> Item {
    let item_id = format!("{}_{}", kind.id_prefix, id_suffix(id));
    let item = |status: &str, input: &str| {
        let mut item = json!({"id": item_id, "type": kind.item, "status": status,
                              "call_id": format!("call_{}", id_suffix(id)), "name": name});
        item[kind.field] = json!(input);
        item
    };
    let at = json!({"item_id": item_id});
    let mut deltas: Vec<(&'static str, Value)> = chunks(&input, kind.piece)
        .into_iter()
        .map(|piece| (kind.delta, with(&at, "delta", json!(piece))))
        .collect();
    deltas.push((kind.done, with(&at, kind.field, json!(input))));
    Item {
        added: item("in_progress", ""),
        done: item("completed", &input),
        deltas,
    }
}

/// Numbers the events as they are made: each data gets its `type` and `sequence_number`.
struct Sequence(Vec<Frame>);

impl Sequence {
    fn push(&mut self, name: &'static str, mut data: Value) {
        data["type"] = json!(name);
        data["sequence_number"] = json!(self.0.len());
        self.0.push(Frame::Event(SseEvent::new(name, data)));
    }
}

impl Answer for Response<'_> {
    fn body(&self) -> Value {
        self.finished().1
    }

    fn frames(&self) -> Vec<Frame> {
        let mut events = Sequence(Vec::new());
        let started = self.response("in_progress", Vec::new(), Value::Null);
        events.push("response.created", json!({"response": started}));
        events.push("response.in_progress", json!({"response": started}));
        let mut output = Vec::new();
        for (index, item) in self.items().into_iter().enumerate() {
            events.push(
                "response.output_item.added",
                json!({"output_index": index, "item": item.added}),
            );
            for (name, data) in item.deltas {
                events.push(name, with(&data, "output_index", json!(index)));
            }
            events.push(
                "response.output_item.done",
                json!({"output_index": index, "item": item.done}),
            );
            output.push(item.done);
        }
        if let Some(error) = self.rendered.stream_error() {
            let (kind, code) = openai_error::type_and_code(&error.kind);
            let mut failed = self.response("failed", output, Value::Null);
            failed["error"] = json!({"code": code.unwrap_or(kind), "message": error.message});
            events.push("response.failed", json!({"response": failed}));
            return events.0;
        }
        let (name, response) = self.finished();
        events.push(name, json!({"response": response}));
        events.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::testing::{self, events};
    use crate::script::{Block, ErrorReply, Reply};

    fn render(reply: &Reply) -> Rendered {
        testing::rendered(reply, "gpt-test")
    }

    #[test]
    fn a_text_reply_streams_the_event_sequence_with_exact_json() {
        let reply = testing::counted("Hello");
        let rendered = render(&reply);
        let answer = Response::new(&rendered, &json!({"input": "hi"}), 1700000000);
        let response = |status: &str, output: Value, usage: Value| {
            json!({"id": "resp_1", "object": "response", "created_at": 1700000000,
                   "status": status, "error": null, "incomplete_details": null,
                   "model": "gpt-test", "output": output, "parallel_tool_calls": true,
                   "tool_choice": "auto", "usage": usage})
        };
        let part = json!({"type": "output_text", "text": "Hello", "annotations": []});
        let empty_part = json!({"type": "output_text", "text": "", "annotations": []});
        let item = |status: &str, content: Value| {
            json!({"id": "msg_1_0", "type": "message", "status": status, "role": "assistant",
                   "content": content})
        };
        let usage = json!({"input_tokens": 10, "input_tokens_details": {"cached_tokens": 0},
                           "output_tokens": 3, "output_tokens_details": {"reasoning_tokens": 0},
                           "total_tokens": 13});
        let at = |extra: Value| {
            let mut data = json!({"item_id": "msg_1_0", "output_index": 0, "content_index": 0});
            data.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            data
        };
        let expected = [
            (
                "response.created",
                json!({"response": response("in_progress", json!([]), Value::Null)}),
            ),
            (
                "response.in_progress",
                json!({"response": response("in_progress", json!([]), Value::Null)}),
            ),
            (
                "response.output_item.added",
                json!({"output_index": 0, "item": item("in_progress", json!([]))}),
            ),
            (
                "response.content_part.added",
                at(json!({"part": empty_part})),
            ),
            ("response.output_text.delta", at(json!({"delta": "Hello"}))),
            ("response.output_text.done", at(json!({"text": "Hello"}))),
            ("response.content_part.done", at(json!({"part": part}))),
            (
                "response.output_item.done",
                json!({"output_index": 0, "item": item("completed", json!([part]))}),
            ),
            (
                "response.completed",
                json!({"response": response("completed", json!([item("completed", json!([part]))]),
                                         usage)}),
            ),
        ];
        let expected: Vec<(&str, Value)> = expected
            .into_iter()
            .enumerate()
            .map(|(n, (name, mut data))| {
                data["type"] = json!(name);
                data["sequence_number"] = json!(n);
                (name, data)
            })
            .collect();
        assert_eq!(events(&answer.frames()), expected);
        assert_eq!(answer.body(), expected.last().unwrap().1["response"]);
    }

    #[test]
    fn function_calls_stream_arguments_and_custom_tools_get_a_string_input() {
        let patch = "*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** End Patch\n";
        let reply = Reply {
            content: vec![
                Block::ToolUse {
                    name: "shell".into(),
                    input: json!({"command": ["bash", "-lc", "echo hello > hello.txt"]}),
                    flagged: None,
                },
                Block::ToolUse {
                    name: "apply_patch".into(),
                    input: json!({"input": patch}),
                    flagged: None,
                },
            ],
            ..Reply::default()
        };
        let rendered = render(&reply);
        let request = json!({"tools": [{"type": "function", "name": "shell"},
                                       {"type": "custom", "name": "apply_patch"}]});
        let answer = Response::new(&rendered, &request, 0);
        let events = events(&answer.frames());
        let added: Vec<&Value> = events
            .iter()
            .filter(|(n, _)| *n == "response.output_item.added")
            .map(|(_, d)| &d["item"])
            .collect();
        assert_eq!(
            added[0],
            &json!({"id": "fc_1", "type": "function_call", "status": "in_progress",
                    "call_id": "call_1", "name": "shell", "arguments": ""})
        );
        assert_eq!(
            added[1],
            &json!({"id": "ctc_2", "type": "custom_tool_call", "status": "in_progress",
                    "call_id": "call_2", "name": "apply_patch", "input": ""})
        );
        let joined = |name: &str, item: &str| -> String {
            events
                .iter()
                .filter(|(n, d)| *n == name && d["item_id"] == item)
                .map(|(_, d)| d["delta"].as_str().unwrap())
                .collect()
        };
        let arguments = joined("response.function_call_arguments.delta", "fc_1");
        assert_eq!(
            serde_json::from_str::<Value>(&arguments).unwrap(),
            json!({"command": ["bash", "-lc", "echo hello > hello.txt"]})
        );
        assert_eq!(
            joined("response.custom_tool_call_input.delta", "ctc_2"),
            patch
        );
        let done = events
            .iter()
            .find(|(n, _)| *n == "response.custom_tool_call_input.done")
            .unwrap();
        assert_eq!(done.1["input"], patch);
        assert_eq!(done.1["output_index"], 1);
        let (last, data) = events.last().unwrap();
        assert_eq!(*last, "response.completed");
        assert_eq!(data["response"]["output"][0]["arguments"], arguments);
        assert_eq!(data["response"]["output"][1]["input"], patch);
        assert_eq!(data["response"]["output"][1]["status"], "completed");
        let numbers: Vec<u64> = events
            .iter()
            .map(|(_, d)| d["sequence_number"].as_u64().unwrap())
            .collect();
        assert_eq!(numbers, (0..events.len() as u64).collect::<Vec<_>>());
        assert_eq!(custom_input(&json!("raw")), "raw");
        assert_eq!(custom_input(&json!({"patch": 1})), r#"{"patch":1}"#);
    }

    #[test]
    fn max_tokens_ends_incomplete_and_an_in_stream_error_fails_the_response() {
        let reply = Reply {
            stop_reason: Some("max_tokens".into()),
            ..Reply::text("cut")
        };
        let rendered = render(&reply);
        let answer = Response::new(&rendered, &json!({}), 0);
        let (name, data) = events(&answer.frames()).pop().unwrap();
        assert_eq!(name, "response.incomplete");
        assert_eq!(data["response"]["status"], "incomplete");
        assert_eq!(
            data["response"]["incomplete_details"],
            json!({"reason": "max_output_tokens"})
        );
        assert_eq!(answer.body()["status"], "incomplete");

        let reply = Reply {
            error: Some(ErrorReply {
                in_stream: true,
                ..ErrorReply::new("rate_limit_error", "slow down")
            }),
            ..Reply::text("partial")
        };
        let rendered = render(&reply);
        let events = events(&Response::new(&rendered, &json!({}), 0).frames());
        let (name, data) = events.last().unwrap();
        assert_eq!(*name, "response.failed");
        assert_eq!(data["response"]["status"], "failed");
        assert_eq!(
            data["response"]["error"],
            json!({"code": "rate_limit_exceeded", "message": "slow down"})
        );
        assert_eq!(
            data["response"]["output"][0]["content"][0]["text"],
            "partial"
        );
        assert!(!events.iter().any(|(n, _)| *n == "response.completed"));
    }
}
