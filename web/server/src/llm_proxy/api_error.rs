//! Errors the proxy itself answers with, in the Messages API's shape so Claude Code (and
//! any Anthropic SDK) shows and retries them as it would the API's own.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// `{"type":"error","error":{"type":KIND,"message":MESSAGE}}`
pub fn error_body(kind: &str, message: &str) -> Value {
    json!({"type": "error", "error": {"type": kind, "message": message}})
}

pub fn api_error(status: StatusCode, kind: &str, message: impl AsRef<str>) -> Response {
    (status, Json(error_body(kind, message.as_ref()))).into_response()
}

/// An SSE `error` event, the way the API reports a failure after a stream has begun. It
/// starts with a blank line so it stands apart even after a half-sent event.
pub fn error_event(kind: &str, message: &str) -> String {
    format!("\n\nevent: error\ndata: {}\n\n", error_body(kind, message))
}
