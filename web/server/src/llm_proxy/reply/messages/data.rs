//! The Messages API's JSON as far as the reader needs it, and how its usage counts
//! reach the call.

use serde::Deserialize;
use serde_json::Value;

use crate::llm_proxy::call::Call;

#[derive(Debug, Default, Deserialize)]
pub(in crate::llm_proxy::reply) struct UsageData {
    pub(in crate::llm_proxy::reply) input_tokens: Option<u64>,
    pub(in crate::llm_proxy::reply) output_tokens: Option<u64>,
    pub(in crate::llm_proxy::reply) cache_read_input_tokens: Option<u64>,
    pub(in crate::llm_proxy::reply) cache_creation_input_tokens: Option<u64>,
}

#[derive(Debug, Deserialize)]
pub(in crate::llm_proxy::reply) struct BlockData {
    #[serde(rename = "type")]
    pub(in crate::llm_proxy::reply) kind: String,
    pub(in crate::llm_proxy::reply) id: Option<String>,
    pub(in crate::llm_proxy::reply) name: Option<String>,
    pub(in crate::llm_proxy::reply) text: Option<String>,
    pub(in crate::llm_proxy::reply) input: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub(in crate::llm_proxy::reply) struct DeltaData {
    #[serde(rename = "type")]
    pub(in crate::llm_proxy::reply) kind: Option<String>,
    pub(in crate::llm_proxy::reply) text: Option<String>,
    pub(in crate::llm_proxy::reply) partial_json: Option<String>,
    pub(in crate::llm_proxy::reply) stop_reason: Option<String>,
}

/// `message_start`'s message (a non-streamed reply has the same fields at the top).
#[derive(Debug, Deserialize)]
pub(in crate::llm_proxy::reply) struct MessageData {
    pub(in crate::llm_proxy::reply) model: Option<String>,
    pub(in crate::llm_proxy::reply) usage: Option<UsageData>,
}

/// One SSE event's data, or a JSON body (a message, or `{"type":"error",...}`).
#[derive(Debug, Deserialize)]
pub(in crate::llm_proxy::reply) struct Data {
    #[serde(rename = "type")]
    pub(in crate::llm_proxy::reply) kind: String,
    #[serde(default)]
    pub(in crate::llm_proxy::reply) index: usize,
    pub(in crate::llm_proxy::reply) message: Option<MessageData>,
    pub(in crate::llm_proxy::reply) content_block: Option<BlockData>,
    pub(in crate::llm_proxy::reply) delta: Option<DeltaData>,
    pub(in crate::llm_proxy::reply) usage: Option<UsageData>,
    pub(in crate::llm_proxy::reply) error: Option<Value>,
    // A non-streamed message has these at the top level.
    pub(in crate::llm_proxy::reply) model: Option<String>,
    pub(in crate::llm_proxy::reply) stop_reason: Option<String>,
    #[serde(default)]
    pub(in crate::llm_proxy::reply) content: Vec<BlockData>,
}

/// Counts present in `usage` replace the call's; absent ones keep theirs (message_delta
/// carries only some of them).
pub(in crate::llm_proxy::reply) fn merge_usage(call: &mut Call, usage: &UsageData) {
    let tokens = &mut call.tokens;
    tokens.input = usage.input_tokens.unwrap_or(tokens.input);
    tokens.output = usage.output_tokens.unwrap_or(tokens.output);
    tokens.cache_read = usage.cache_read_input_tokens.unwrap_or(tokens.cache_read);
    tokens.cache_creation = usage
        .cache_creation_input_tokens
        .unwrap_or(tokens.cache_creation);
}
