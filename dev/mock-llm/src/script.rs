//! What the mock answers: an ordered list of scripted replies plus a default for requests
//! none of them is meant for. The JSON file format is documented in docs/mock-llm.md.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The text of the default reply when a script names none.
pub const DEFAULT_TEXT: &str = "OK.";

/// Replies in the order they are to be given, and the reply for everything else.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// Consumed front to back: a request gets the next reply only when it matches it.
    #[serde(default)]
    pub replies: Vec<Reply>,
    /// For requests the next reply does not match (and all once the script is used up):
    /// side traffic such as titles and summaries must not consume the script.
    #[serde(default = "Reply::default_text")]
    pub default: Reply,
}

impl Default for Script {
    fn default() -> Self {
        Script {
            replies: Vec::new(),
            default: Reply::default_text(),
        }
    }
}

/// One answer: content blocks with a stop reason, or an error.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    /// Which requests this reply is for; see [`When`] for what an absent `when` means.
    #[serde(default)]
    pub when: When,
    #[serde(default)]
    pub content: Vec<Block>,
    /// `end_turn`, `tool_use`, `max_tokens`, ...; by default `tool_use` when the content
    /// has a tool_use block, else `end_turn`.
    #[serde(default)]
    pub stop_reason: Option<String>,
    #[serde(default)]
    pub usage: Usage,
    /// Wait this long before sending anything (the response head included).
    #[serde(default)]
    pub delay_ms: u64,
    /// Wait this long between the events of a streamed reply.
    #[serde(default)]
    pub chunk_delay_ms: u64,
    /// Answer with an error instead of (or, `in_stream`, after) the content.
    #[serde(default)]
    pub error: Option<ErrorReply>,
}

impl Reply {
    /// A reply of one text block.
    pub fn text(text: impl Into<String>) -> Self {
        Reply {
            content: vec![Block::Text { text: text.into() }],
            ..Reply::default()
        }
    }

    /// A reply of one tool_use block.
    pub fn tool_use(name: impl Into<String>, input: Value) -> Self {
        Reply {
            content: vec![Block::ToolUse {
                name: name.into(),
                input,
                flagged: None,
            }],
            ..Reply::default()
        }
    }

    fn default_text() -> Self {
        Reply::text(DEFAULT_TEXT)
    }

    pub fn when(mut self, when: When) -> Self {
        self.when = when;
        self
    }

    /// The stop reason the reply ends with.
    pub fn effective_stop_reason(&self) -> String {
        if let Some(reason) = &self.stop_reason {
            return reason.clone();
        }
        let uses_tool = self
            .content
            .iter()
            .any(|block| matches!(block, Block::ToolUse { .. }));
        if uses_tool { "tool_use" } else { "end_turn" }.to_string()
    }
}

/// Conditions on the request, all of which must hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct When {
    /// The last user message (its text, or the content of a tool_result in it) contains
    /// this string.
    #[serde(default)]
    pub contains: Option<String>,
    /// A tool_result block in the last user message contains this string.
    #[serde(default)]
    pub tool_result: Option<String>,
    /// `true`: the request offers tools; `false`: it offers none; `null`: either. Absent
    /// means `true`: an agent's turns carry tools, its side requests (titles, summaries)
    /// do not, so by default side traffic never consumes the script.
    #[serde(default = "some_true")]
    pub tools: Option<bool>,
    /// The request's model contains this string (e.g. `haiku`).
    #[serde(default)]
    pub model: Option<String>,
}

fn some_true() -> Option<bool> {
    Some(true)
}

impl Default for When {
    fn default() -> Self {
        When {
            contains: None,
            tool_result: None,
            tools: some_true(),
            model: None,
        }
    }
}

impl When {
    /// Any request at all.
    pub fn any() -> Self {
        When {
            tools: None,
            ..When::default()
        }
    }

    pub fn contains(text: impl Into<String>) -> Self {
        When {
            contains: Some(text.into()),
            ..When::default()
        }
    }

    pub fn tool_result(text: impl Into<String>) -> Self {
        When {
            tool_result: Some(text.into()),
            ..When::default()
        }
    }
}

/// A content block of a reply. tool_use ids are made by the mock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Block {
    Text {
        text: String,
    },
    ToolUse {
        name: String,
        input: Value,
        /// When the request asks for `safeguards`, the API's check flags this call, with
        /// this explanation; unflagged calls pass (see `safeguards.rs`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        flagged: Option<String>,
    },
}

/// Token counts to report; absent ones are estimated from the request and the reply.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Usage {
    #[serde(default)]
    pub input_tokens: Option<u64>,
    #[serde(default)]
    pub output_tokens: Option<u64>,
}

/// An API error: an HTTP error response, or (`in_stream`) an `error` event after the
/// reply's content has been streamed, the way overloads surface mid-response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorReply {
    /// The HTTP status; by default the one the API uses for `type`.
    #[serde(default)]
    pub status: Option<u16>,
    /// `invalid_request_error`, `authentication_error`, `permission_error`,
    /// `not_found_error`, `request_too_large`, `rate_limit_error`, `api_error`,
    /// `overloaded_error`.
    #[serde(rename = "type")]
    pub kind: String,
    pub message: String,
    /// Send it as an SSE `error` event inside a 200 stream instead of an HTTP error (only
    /// for streamed requests; others get the HTTP error).
    #[serde(default)]
    pub in_stream: bool,
    /// A `retry-after` header, in seconds.
    #[serde(default)]
    pub retry_after: Option<u64>,
    /// An `x-should-retry` header: `false` makes Anthropic's SDKs give up at once.
    #[serde(default)]
    pub should_retry: Option<bool>,
}

impl ErrorReply {
    pub fn new(kind: impl Into<String>, message: impl Into<String>) -> Self {
        ErrorReply {
            status: None,
            kind: kind.into(),
            message: message.into(),
            in_stream: false,
            retry_after: None,
            should_retry: None,
        }
    }

    /// The status given, or the one the API sends with this error type.
    pub fn http_status(&self) -> u16 {
        self.status.unwrap_or(match self.kind.as_str() {
            "invalid_request_error" => 400,
            "authentication_error" => 401,
            "permission_error" => 403,
            "not_found_error" => 404,
            "request_too_large" => 413,
            "rate_limit_error" => 429,
            "overloaded_error" => 529,
            _ => 500,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    #[error("cannot read the mock-llm script {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "the mock-llm script {path} is not valid: {source} (the format is in docs/mock-llm.md)"
    )]
    Parse {
        path: String,
        source: serde_json::Error,
    },
}

impl Script {
    pub fn new(replies: Vec<Reply>) -> Self {
        Script {
            replies,
            ..Script::default()
        }
    }

    pub fn with_default(mut self, default: Reply) -> Self {
        self.default = default;
        self
    }

    /// Reads a JSON script file.
    pub fn from_file(path: &Path) -> Result<Self, ScriptError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ScriptError::Read {
            path: shown.clone(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| ScriptError::Parse {
            path: shown,
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_script_file_parses_with_defaults_filled_in() {
        let script: Script = serde_json::from_value(json!({
            "replies": [
                {"content": [{"type": "tool_use", "name": "Write",
                              "input": {"file_path": "/workspace/a", "content": "x"}},
                             {"type": "tool_use", "name": "Bash",
                              "input": {"command": "rm -rf /"}, "flagged": "destroys the disk"}]},
                {"when": {"tool_result": "created", "tools": null},
                 "content": [{"type": "text", "text": "done"}], "delay_ms": 5},
                {"error": {"type": "overloaded_error", "message": "busy", "in_stream": true}}
            ]
        }))
        .unwrap();
        assert_eq!(script.default, Reply::text(DEFAULT_TEXT));
        assert_eq!(script.replies[0].when.tools, Some(true));
        assert_eq!(script.replies[0].effective_stop_reason(), "tool_use");
        assert!(matches!(
            &script.replies[0].content[0],
            Block::ToolUse { flagged: None, .. }
        ));
        assert!(matches!(&script.replies[0].content[1],
                         Block::ToolUse { flagged: Some(why), .. } if why == "destroys the disk"));
        assert_eq!(script.replies[1].when.tools, None);
        assert_eq!(script.replies[1].effective_stop_reason(), "end_turn");
        let error = script.replies[2].error.as_ref().unwrap();
        assert_eq!(error.http_status(), 529);
        assert!(error.in_stream);
    }

    #[test]
    fn unknown_fields_are_rejected_so_typos_do_not_pass_silently() {
        let err = serde_json::from_value::<Script>(json!({
            "replies": [{"contents": []}]
        }))
        .unwrap_err();
        assert!(err.to_string().contains("contents"), "{err}");
    }
}
