//! The Messages API's JSON as far as the reader needs it, and how its usage counts
//! reach the call.

use serde::Deserialize;
use serde_json::Value;

use crate::llm_proxy::call::Call;

#[derive(Debug, Default, Deserialize)]
pub(super) struct UsageData {
    pub(super) input_tokens: Option<u64>,
    pub(super) output_tokens: Option<u64>,
    pub(super) cache_read_input_tokens: Option<u64>,
    pub(super) cache_creation_input_tokens: Option<u64>,
}

#[derive(Debug, Deserialize)]
pub(super) struct BlockData {
    #[serde(rename = "type")]
    pub(super) kind: String,
    pub(super) id: Option<String>,
    pub(super) name: Option<String>,
    pub(super) text: Option<String>,
    pub(super) input: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub(super) struct DeltaData {
    #[serde(rename = "type")]
    pub(super) kind: Option<String>,
    pub(super) text: Option<String>,
    pub(super) partial_json: Option<String>,
    pub(super) stop_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ErrorData {
    #[serde(rename = "type")]
    pub(super) kind: Option<String>,
    pub(super) message: Option<String>,
}

impl ErrorData {
    pub(super) fn describe(&self) -> String {
        format!(
            "{}: {}",
            self.kind.as_deref().unwrap_or("error"),
            self.message.as_deref().unwrap_or("(no message)")
        )
    }
}

/// `message_start`'s message (a non-streamed reply has the same fields at the top).
#[derive(Debug, Deserialize)]
pub(super) struct MessageData {
    pub(super) model: Option<String>,
    pub(super) usage: Option<UsageData>,
}

/// One SSE event's data, or a JSON body (a message, or `{"type":"error",...}`).
#[derive(Debug, Deserialize)]
pub(super) struct Data {
    #[serde(rename = "type")]
    pub(super) kind: String,
    #[serde(default)]
    pub(super) index: usize,
    pub(super) message: Option<MessageData>,
    pub(super) content_block: Option<BlockData>,
    pub(super) delta: Option<DeltaData>,
    pub(super) usage: Option<UsageData>,
    pub(super) error: Option<ErrorData>,
    // A non-streamed message has these at the top level.
    pub(super) model: Option<String>,
    pub(super) stop_reason: Option<String>,
    #[serde(default)]
    pub(super) content: Vec<BlockData>,
}

/// Counts present in `usage` replace the call's; absent ones keep theirs (message_delta
/// carries only some of them).
pub(super) fn merge_usage(call: &mut Call, usage: &UsageData) {
    let tokens = &mut call.tokens;
    tokens.input = usage.input_tokens.unwrap_or(tokens.input);
    tokens.output = usage.output_tokens.unwrap_or(tokens.output);
    tokens.cache_read = usage.cache_read_input_tokens.unwrap_or(tokens.cache_read);
    tokens.cache_creation = usage
        .cache_creation_input_tokens
        .unwrap_or(tokens.cache_creation);
}
