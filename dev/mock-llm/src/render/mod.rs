//! A scripted reply made concrete (ids, model, token counts: [`Rendered`]), and turned
//! into what each API sends, one renderer per API: [`anthropic`] (Messages), [`chat`]
//! (Chat Completions), [`responses`] (Responses), [`gemini`]. Each gives the
//! non-streamed body and the stream's [`Frame`]s, and its API's error shape.

pub mod anthropic;
pub mod chat;
pub mod gemini;
mod openai_error;
pub mod responses;

use serde_json::{Value, json};

use crate::api::Api;
use crate::request::estimate_tokens;
use crate::safeguards::{self, Judged};
use crate::script::{Block, ErrorReply, Reply};

/// Text is streamed in deltas of at most this many characters, as the API streams a few
/// tokens at a time.
pub const TEXT_CHUNK_CHARS: usize = 24;
/// Tool input JSON is streamed in pieces of at most this many characters.
pub const JSON_CHUNK_CHARS: usize = 16;

/// One server-sent event: its name and its JSON data (whose `type` is the name).
#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    pub name: &'static str,
    pub data: Value,
}

impl SseEvent {
    fn new(name: &'static str, data: Value) -> Self {
        SseEvent { name, data }
    }

    /// The bytes on the wire: `event: NAME`, `data: JSON`, a blank line.
    pub fn encode(&self) -> String {
        format!("event: {}\ndata: {}\n\n", self.name, self.data)
    }
}

/// One piece of a stream on the wire.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// A named event (Anthropic, OpenAI Responses).
    Event(SseEvent),
    /// A `data:` line alone (OpenAI Chat Completions, Gemini).
    Data(Value),
    /// `data: [DONE]`, how a Chat Completions stream ends.
    Done,
    /// JSON with no `data:` before it, in a network read of its own: how Gemini's API
    /// reports an error mid-stream. Google's SDK looks for an error only in a read that is
    /// one JSON object, and skips an error sent as a `data:` line.
    Bare(Value),
}

impl Frame {
    pub fn encode(&self) -> String {
        match self {
            Frame::Event(event) => event.encode(),
            Frame::Data(data) => format!("data: {data}\n\n"),
            Frame::Done => "data: [DONE]\n\n".to_string(),
            Frame::Bare(data) => format!("{data}\n"),
        }
    }

    /// The frame must reach the client apart from those before it, so the sender pauses
    /// before it rather than let them share a network read.
    pub fn alone(&self) -> bool {
        matches!(self, Frame::Bare(_))
    }
}

/// A reply in one API's shape.
pub trait Answer {
    /// The response body when the request does not stream.
    fn body(&self) -> Value;
    /// The stream, frame by frame; with an in-stream error the content is followed by
    /// the API's error and the stream ends there.
    fn frames(&self) -> Vec<Frame>;
}

/// An error response: its HTTP status and body.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpError {
    pub status: u16,
    pub body: Value,
}

/// `rendered` in `api`'s shape; `request` is the body it answers (some APIs echo parts
/// of it or let it choose how to answer), `created` the time in Unix seconds.
pub fn answer<'a>(
    api: Api,
    rendered: &'a Rendered,
    request: &'a Value,
    created: u64,
) -> Box<dyn Answer + 'a> {
    match api {
        Api::Anthropic => Box::new(anthropic::Messages(rendered)),
        Api::OpenaiChat => Box::new(chat::Completion::new(rendered, request, created)),
        Api::OpenaiResponses => Box::new(responses::Response::new(rendered, request, created)),
        Api::Gemini => Box::new(gemini::Generation(rendered)),
    }
}

/// `error` as `api` sends it over HTTP.
pub fn http_error(api: Api, error: &ErrorReply) -> HttpError {
    match api {
        Api::Anthropic => HttpError {
            status: error.http_status(),
            body: anthropic::error_body(error),
        },
        Api::OpenaiChat | Api::OpenaiResponses => HttpError {
            status: error.http_status(),
            body: openai_error::body(error),
        },
        Api::Gemini => gemini::http_error(error),
    }
}

/// A content block of a [`Rendered`] reply, read back.
pub(crate) enum Part<'a> {
    Text(&'a str),
    Call {
        id: &'a str,
        name: &'a str,
        input: &'a Value,
    },
}

/// The part of a mock id after its prefix (`msg_01mock…` → `01mock…`), for the ids of
/// APIs that name things differently (`chatcmpl-…`, `call_…`, `resp_…`).
pub(crate) fn id_suffix(id: &str) -> &str {
    id.split_once('_').map_or(id, |(_, rest)| rest)
}

/// A reply with everything the script leaves to the mock decided: ids, model, tokens. It
/// is shaped as Anthropic's message (the mock's first API); the other renderers read its
/// blocks back (`Part`) and derive their ids from its (`toolu_X` → `call_X`).
#[derive(Debug, Clone)]
pub struct Rendered {
    pub id: String,
    pub model: String,
    /// Content blocks as the Messages API returns them (tool_use with its id).
    pub content: Vec<Value>,
    pub stop_reason: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub error: Option<ErrorReply>,
    /// What the script says the API's check makes of each tool call: (its id, flagged why).
    pub flags: Vec<(String, Option<String>)>,
    /// The API's verdicts on the tool calls, when the request asked for them
    /// ([`Rendered::judged`]).
    pub safeguard_results: Option<Value>,
}

impl Rendered {
    /// `next_id` makes ids unique across the server's life (`msg_…`, `toolu_…`).
    pub fn new(
        reply: &Reply,
        model: &str,
        estimated_input: u64,
        mut next_id: impl FnMut(&str) -> String,
    ) -> Self {
        let mut output_bytes = 0;
        let mut flags = Vec::new();
        let content = reply
            .content
            .iter()
            .map(|block| match block {
                Block::Text { text } => {
                    output_bytes += text.len();
                    json!({"type": "text", "text": text})
                }
                Block::ToolUse {
                    name,
                    input,
                    flagged,
                } => {
                    output_bytes += name.len() + input.to_string().len();
                    let id = next_id("toolu");
                    flags.push((id.clone(), flagged.clone()));
                    json!({"type": "tool_use", "id": id, "name": name, "input": input})
                }
            })
            .collect();
        Rendered {
            id: next_id("msg"),
            model: model.to_string(),
            content,
            stop_reason: reply.effective_stop_reason(),
            input_tokens: reply.usage.input_tokens.unwrap_or(estimated_input),
            output_tokens: reply
                .usage
                .output_tokens
                .unwrap_or_else(|| estimate_tokens(output_bytes)),
            error: reply.error.clone(),
            flags,
            safeguard_results: None,
        }
    }

    /// With the API's verdicts on its tool calls when `request` asks for `safeguards`.
    pub fn judged(mut self, request: &Value) -> Self {
        let calls: Vec<Judged<'_>> = self
            .flags
            .iter()
            .map(|(id, flagged)| Judged {
                tool_use_id: id,
                flagged: flagged.as_deref(),
            })
            .collect();
        self.safeguard_results = safeguards::results(request, &calls);
        self
    }

    /// The content blocks, read back.
    pub(crate) fn parts(&self) -> impl Iterator<Item = Part<'_>> {
        self.content
            .iter()
            .map(|block| match block["type"].as_str() {
                Some("tool_use") => Part::Call {
                    id: block["id"].as_str().unwrap_or(""),
                    name: block["name"].as_str().unwrap_or(""),
                    input: &block["input"],
                },
                _ => Part::Text(block["text"].as_str().unwrap_or("")),
            })
    }

    /// The in-stream error, if the reply ends in one.
    pub(crate) fn stream_error(&self) -> Option<&ErrorReply> {
        self.error.as_ref().filter(|e| e.in_stream)
    }
}

/// `text` cut into pieces of at most `size` characters (never inside a character).
fn chunks(text: &str, size: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(size).map(|c| c.iter().collect()).collect()
}

/// What the renderers' tests share: a reply rendered with ids counted from 1 and 42
/// estimated input tokens, and a stream's frames taken apart.
#[cfg(test)]
pub(crate) mod testing {
    use super::{Frame, Rendered};
    use crate::script::{Reply, Usage};
    use serde_json::Value;

    /// A text reply whose usage is scripted: 10 tokens in, 3 out.
    pub fn counted(text: &str) -> Reply {
        Reply {
            usage: Usage {
                input_tokens: Some(10),
                output_tokens: Some(3),
            },
            ..Reply::text(text)
        }
    }

    pub fn rendered(reply: &Reply, model: &str) -> Rendered {
        let mut n = 0;
        Rendered::new(reply, model, 42, |prefix| {
            n += 1;
            format!("{prefix}_{n}")
        })
    }

    /// The data of data-only frames (Chat Completions without its `[DONE]`, Gemini).
    pub fn data(frames: &[Frame]) -> Vec<Value> {
        frames
            .iter()
            .map(|f| match f {
                Frame::Data(data) => data.clone(),
                other => panic!("not a data frame: {other:?}"),
            })
            .collect()
    }

    /// The (name, data) of named events (Responses).
    pub fn events(frames: &[Frame]) -> Vec<(&'static str, Value)> {
        frames
            .iter()
            .map(|f| match f {
                Frame::Event(event) => (event.name, event.data.clone()),
                other => panic!("not an event: {other:?}"),
            })
            .collect()
    }
}
