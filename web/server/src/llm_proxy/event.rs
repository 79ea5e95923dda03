//! What the proxy reports about a task's model calls, read off the traffic as it passes.

use serde::Serialize;

/// One fact about one upstream call, identified by `id` (plinth's id for the call, not
/// the API's message id).
///
/// Every `POST /v1/messages` that passes authorization yields exactly one `CallStarted`
/// first and exactly one `CallFinished` last, whatever happens in between (upstream
/// error, timeout, a client that hangs up mid-stream). In between, in the order the reply
/// gives them: `Usage` (at `message_start`, and again with the final counts at
/// `message_delta`; for a JSON reply once), `TextDelta`s and `ToolUse`s.
///
/// `TextDelta`s are coalesced: text is buffered per content block and sent when the block
/// ends, when another block starts, when 16 KiB have gathered, or at most
/// [`crate::limits::TEXT_FLUSH_INTERVAL`] after its first unsent piece arrived, so a UI sees text
/// at a steady pace without an event per token. `ToolUse` comes once per tool call, when
/// its block ends, with the whole input assembled from the `input_json_delta` pieces.
/// Thinking blocks are not reported. `count_tokens` calls are passed through without
/// events.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProxyEvent {
    /// The request is on its way upstream. `model` is the one the request asks for.
    CallStarted { id: String, model: String },
    /// Text the model wrote, in order; `index` is the content block's.
    TextDelta {
        id: String,
        index: usize,
        text: String,
    },
    /// A complete tool call (`tool_use` or the API's own `server_tool_use`). `input` is
    /// JSON `null` when the assembled input is not valid JSON or exceeded the proxy's
    /// limit (32 MiB).
    ToolUse {
        id: String,
        tool_id: String,
        name: String,
        input: serde_json::Value,
    },
    /// Token counts so far, cumulative (each one replaces the previous).
    Usage {
        id: String,
        input_tokens: u64,
        output_tokens: u64,
        cache_read: u64,
        cache_creation: u64,
    },
    /// The call is over. `model` is the one that answered (the request's if no reply came).
    /// `error` is set when the call did not complete normally: an HTTP error from the API
    /// (`"529 overloaded_error: Overloaded"`), an `error` event in the stream, an upstream
    /// that could not be reached, timed out or broke off, or a client that hung up.
    CallFinished {
        id: String,
        model: String,
        stop_reason: Option<String>,
        /// The HTTP status the client got (0 when the proxy never answered, i.e. the
        /// client hung up before the response head was sent).
        status: u16,
        input_tokens: u64,
        output_tokens: u64,
        cache_read: u64,
        cache_creation: u64,
        error: Option<String>,
        duration_ms: u64,
    },
}

impl ProxyEvent {
    /// The call the event belongs to.
    pub fn call_id(&self) -> &str {
        match self {
            ProxyEvent::CallStarted { id, .. }
            | ProxyEvent::TextDelta { id, .. }
            | ProxyEvent::ToolUse { id, .. }
            | ProxyEvent::Usage { id, .. }
            | ProxyEvent::CallFinished { id, .. } => id,
        }
    }
}
