//! Reading a model API's reply as it passes: the SSE events of a stream, or the JSON of
//! a plain reply or of an error, into the call's state and [`ProxyEvent`]s. Only what the
//! events need is parsed; every other field is ignored, so new API fields and event types
//! pass without harm.
//!
//! [`ReplyReader`] is the state of one reply. One file per API, each reading that API's
//! shapes into the same few steps: `messages` (Anthropic), `responses` and `chat`
//! (OpenAI's two), `gemini`. The steps, shared: `text` (text gathered into fewer, larger
//! deltas), `tools` (a tool call's input assembled from its pieces), `tokens` (usage and
//! stop reasons in one vocabulary), `error_detail` (an error put into words).
//!
//! [`ProxyEvent`]: super::ProxyEvent

mod chat;
mod error_detail;
mod gemini;
mod messages;
mod responses;
mod text;
mod tokens;
mod tools;

use std::collections::HashMap;

use text::PendingText;
use tools::ToolBuild;

use super::api::Api;
use super::call::Call;

/// The state of one reply being read.
pub struct ReplyReader {
    api: Api,
    text: Option<PendingText>,
    tools: HashMap<usize, ToolBuild>,
    /// Tool calls reported so far (a reply that made some stopped to use them).
    tool_calls: usize,
    /// The stream ended as the API ends it (`message_stop`, `[DONE]`,
    /// `response.completed`, a finish reason, or an error).
    ended: bool,
}

impl ReplyReader {
    pub fn new(api: Api) -> Self {
        ReplyReader {
            api,
            text: None,
            tools: HashMap::new(),
            tool_calls: 0,
            ended: false,
        }
    }

    /// The stream has ended as the API ends it: nothing more is expected.
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// One SSE event of a streamed reply.
    pub fn sse_event(&mut self, call: &mut Call, name: &str, data: &[u8]) {
        match self.api {
            Api::Messages => self.messages_event(call, name, data),
            Api::Responses => self.responses_event(call, data),
            Api::ChatCompletions => self.chat_event(call, data),
            Api::Gemini => self.gemini_event(call, data),
        }
    }

    /// A whole JSON body: a non-streamed reply, or an HTTP error's body.
    pub fn json_body(&mut self, call: &mut Call, status: u16, body: &[u8]) {
        if status >= 400 {
            call.fail(format!("{status} {}", error_detail::describe_body(body)));
            return;
        }
        match self.api {
            Api::Messages => self.messages_body(call, body),
            Api::Responses => self.responses_body(call, body),
            Api::ChatCompletions => self.chat_body(call, body),
            Api::Gemini => self.gemini_body(call, body),
        }
    }

    /// The stream is over (the upstream closed it). A stream that stops before the API's
    /// end was cut off.
    pub fn end_of_stream(&mut self, call: &mut Call) {
        self.flush_text(call);
        if !self.ended {
            let end = match self.api {
                Api::Messages => "message_stop",
                Api::Responses => "response.completed",
                Api::ChatCompletions => "[DONE]",
                Api::Gemini => "a finishReason",
            };
            call.fail(format!("the upstream ended the stream before {end}"));
        }
    }

    /// The reply ended, as the API ends it, with this error.
    fn ended_with_error(&mut self, call: &mut Call, error: String) {
        self.flush_text(call);
        call.fail(error);
        self.ended = true;
    }
}
