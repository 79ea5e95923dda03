//! What the mock reads from a model call, whichever API it came in: enough to match it
//! against a script and to estimate its size in tokens. Each API's body shape has its view
//! ([`MessagesRequest`], [`ChatRequest`], [`ResponsesRequest`], [`GeminiRequest`]); the
//! matching against a script's [`When`] is written once, on [`ModelRequest`].

mod anthropic;
mod chat;
mod gemini;
mod responses;

use std::borrow::Cow;

use serde_json::Value;

use crate::api::Api;
use crate::script::When;

pub use anthropic::MessagesRequest;
pub use chat::ChatRequest;
pub use gemini::GeminiRequest;
pub use responses::ResponsesRequest;

/// What the user (and the tools) said since the model last spoke: the part of the
/// conversation a script's `when` looks at.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Turn<'a> {
    /// The user's texts.
    pub texts: Vec<Cow<'a, str>>,
    /// The outputs of the tool calls the model asked for.
    pub tool_results: Vec<Cow<'a, str>>,
}

/// A model call of any API, seen through the fields script matching and usage need.
/// (`Send + Sync`: the server holds one across the reply's delay.)
pub trait ModelRequest: Send + Sync {
    fn model(&self) -> &str;
    fn stream(&self) -> bool;
    /// The request offers the model tools to call.
    fn has_tools(&self) -> bool;
    fn last_turn(&self) -> Turn<'_>;
    /// A plausible input token count (see [`estimate_tokens`]).
    fn estimate_input_tokens(&self) -> u64;

    /// The JSON schema the answer must follow when the request asks for JSON (`{}` when
    /// it asks for JSON of no particular shape): the default reply becomes a value of it
    /// (docs/mock-llm.md, "JSON side requests").
    fn output_schema(&self) -> Option<Value> {
        None
    }

    /// Every condition `when` gives holds for this request.
    fn matches(&self, when: &When) -> bool {
        if let Some(tools) = when.tools
            && tools != self.has_tools()
        {
            return false;
        }
        if let Some(model) = &when.model
            && !self.model().contains(model.as_str())
        {
            return false;
        }
        if when.contains.is_none() && when.tool_result.is_none() {
            return true;
        }
        let turn = self.last_turn();
        let found = |texts: &[Cow<'_, str>], needle: &str| texts.iter().any(|t| t.contains(needle));
        if let Some(needle) = &when.contains
            && !found(&turn.texts, needle)
            && !found(&turn.tool_results, needle)
        {
            return false;
        }
        if let Some(needle) = &when.tool_result
            && !found(&turn.tool_results, needle)
        {
            return false;
        }
        true
    }
}

/// The view of `body` for `api`. Gemini names the model and whether to stream in the
/// path, not the body: `path_model` and `path_stream` carry them.
pub fn view<'a>(
    api: Api,
    body: &'a Value,
    path_model: Option<&'a str>,
    path_stream: bool,
) -> Box<dyn ModelRequest + 'a> {
    match api {
        Api::Anthropic => Box::new(MessagesRequest::new(body)),
        Api::OpenaiChat => Box::new(ChatRequest::new(body)),
        Api::OpenaiResponses => Box::new(ResponsesRequest::new(body)),
        Api::Gemini => Box::new(GeminiRequest::new(
            body,
            path_model.unwrap_or(""),
            path_stream,
        )),
    }
}

/// Tokens for this many bytes of text (at least one): about four bytes per token, the
/// rule of thumb for English and code.
pub fn estimate_tokens(bytes: usize) -> u64 {
    (bytes as u64).div_ceil(4).max(1)
}

/// Tokens for the prompt parts of `body` named by `keys`; only they count, not the JSON
/// around them.
pub(crate) fn estimate_keys(body: &Value, keys: &[&str]) -> u64 {
    estimate_tokens(keys.iter().map(|key| text_bytes(&body[*key])).sum())
}

/// The bytes of every string in `value`, object keys included (tool schemas are mostly
/// keys).
fn text_bytes(value: &Value) -> usize {
    match value {
        Value::String(s) => s.len(),
        Value::Array(items) => items.iter().map(text_bytes).sum(),
        Value::Object(map) => map.iter().map(|(k, v)| k.len() + text_bytes(v)).sum(),
        Value::Number(n) => n.to_string().len(),
        _ => 0,
    }
}

/// The texts of content that is a string or a list of parts, of which those with a
/// `text` count (every API has this shape somewhere: Anthropic's tool_result, OpenAI's
/// message content).
pub(crate) fn content_texts(content: &Value) -> Vec<&str> {
    match content {
        Value::String(text) => vec![text.as_str()],
        Value::Array(parts) => parts.iter().filter_map(|p| p["text"].as_str()).collect(),
        _ => Vec::new(),
    }
}

/// `body["model"]`, where every API but Gemini names it.
pub(crate) fn body_model(body: &Value) -> &str {
    body["model"].as_str().unwrap_or("")
}

/// `body["stream"]`, where every API but Gemini asks for a stream.
pub(crate) fn body_stream(body: &Value) -> bool {
    body["stream"].as_bool().unwrap_or(false)
}

/// The items after the last one `from_the_model` marks: the turn since the model last
/// spoke (all of them when it never did).
pub(crate) fn after_last(items: &[Value], from_the_model: impl Fn(&Value) -> bool) -> &[Value] {
    let start = items.iter().rposition(from_the_model).map_or(0, |i| i + 1);
    &items[start..]
}

/// `body[key]` is a non-empty list (how every API offers tools).
pub(crate) fn non_empty(body: &Value, key: &str) -> bool {
    body[key].as_array().is_some_and(|list| !list.is_empty())
}
