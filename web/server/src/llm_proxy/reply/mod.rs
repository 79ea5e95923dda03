//! Reading the Messages API's reply as it passes: the SSE events of a stream, or the
//! JSON of a plain reply or of an error, into the call's state and [`ProxyEvent`]s.
//! Only what the events need is parsed; every other field is ignored, so new API
//! fields and event types pass without harm.
//!
//! [`ReplyReader`] is the state of one reply; its steps are by concept: `stream` (the SSE
//! events of a streamed reply), `whole` (a plain JSON reply or an error body), `text`
//! (text gathered into fewer, larger deltas), `tools` (a tool call's input assembled from
//! its pieces), and `data` (the API's JSON, as far as it is read).
//!
//! [`ProxyEvent`]: super::ProxyEvent

mod data;
mod stream;
mod text;
mod tools;
mod whole;

use std::collections::HashMap;

use text::PendingText;
use tools::ToolBuild;

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
}
