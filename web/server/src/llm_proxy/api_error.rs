//! Errors the proxy itself answers with, in the shape of the API the client speaks, so
//! each agent shows and retries them as it would the API's own: Anthropic's
//! `{"type":"error","error":{"type","message"}}`, OpenAI's
//! `{"error":{"message","type","param","code"}}`, Google's
//! `{"error":{"code","message","status"}}`. The error's kind follows from its HTTP status.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::api::{Api, Provider};

/// Anthropic's error type for a status.
fn anthropic_kind(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "invalid_request_error",
        401 => "authentication_error",
        402 | 403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    }
}

/// OpenAI's error type and code for a status.
fn openai_kind(status: StatusCode) -> (&'static str, Option<&'static str>) {
    match status.as_u16() {
        401 => ("invalid_request_error", Some("invalid_api_key")),
        402 | 403 => ("insufficient_quota", Some("insufficient_quota")),
        404 => ("invalid_request_error", Some("not_found")),
        413 => ("invalid_request_error", Some("request_too_large")),
        429 => ("requests", Some("rate_limit_exceeded")),
        400..=499 => ("invalid_request_error", None),
        _ => ("server_error", None),
    }
}

/// Google's status name for an HTTP status.
fn google_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 | 413 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        402 | 403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        502 | 503 | 529 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "INTERNAL",
    }
}

/// The body of an error response from `provider`'s API.
pub fn error_body(provider: Provider, status: StatusCode, message: &str) -> Value {
    match provider {
        Provider::Anthropic => {
            json!({"type": "error", "error": {"type": anthropic_kind(status), "message": message}})
        }
        Provider::OpenAi => {
            let (kind, code) = openai_kind(status);
            json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
        }
        Provider::Google => json!({"error": {
            "code": status.as_u16(), "message": message, "status": google_status(status)
        }}),
    }
}

/// An error response in `provider`'s shape.
pub fn api_error(provider: Provider, status: StatusCode, message: impl AsRef<str>) -> Response {
    (status, Json(error_body(provider, status, message.as_ref()))).into_response()
}

/// The bytes that end a stream with an error, the way `api` reports a failure after a
/// stream has begun: Anthropic's `error` event, the Responses API's `response.failed`, a
/// Chat Completions chunk holding only the error, Gemini's error JSON on a line of its own
/// (Google's SDK reads an error only from a read that is one JSON object, not from a
/// `data:` line). It starts with a blank line so it stands apart even after a half-sent
/// event.
pub fn stream_error(api: Api, status: StatusCode, message: &str) -> String {
    let body = error_body(api.provider(), status, message);
    match api {
        Api::Messages => format!("\n\nevent: error\ndata: {body}\n\n"),
        Api::Responses => {
            let (kind, _) = openai_kind(status);
            let failed = json!({"type": "response.failed", "response": {
                "status": "failed", "error": {"code": kind, "message": message}
            }});
            format!("\n\nevent: response.failed\ndata: {failed}\n\n")
        }
        Api::ChatCompletions => format!("\n\ndata: {body}\n\n"),
        Api::Gemini => format!("\n\n{body}\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_provider_gets_its_own_error_shape() {
        let status = StatusCode::UNAUTHORIZED;
        assert_eq!(
            error_body(Provider::Anthropic, status, "no"),
            json!({"type": "error", "error": {"type": "authentication_error", "message": "no"}})
        );
        assert_eq!(
            error_body(Provider::OpenAi, status, "no"),
            json!({"error": {"message": "no", "type": "invalid_request_error", "param": null,
                             "code": "invalid_api_key"}})
        );
        assert_eq!(
            error_body(Provider::Google, status, "no"),
            json!({"error": {"code": 401, "message": "no", "status": "UNAUTHENTICATED"}})
        );
    }

    #[test]
    fn a_stream_ends_with_the_apis_own_failure() {
        let status = StatusCode::BAD_GATEWAY;
        let messages = stream_error(Api::Messages, status, "gone");
        assert!(
            messages.starts_with("\n\nevent: error\ndata: {"),
            "{messages}"
        );
        assert!(messages.contains(r#""type":"api_error""#), "{messages}");
        let responses = stream_error(Api::Responses, status, "gone");
        assert!(
            responses.contains("event: response.failed\ndata: "),
            "{responses}"
        );
        assert!(responses.contains(r#""status":"failed""#), "{responses}");
        let chat = stream_error(Api::ChatCompletions, status, "gone");
        assert!(chat.starts_with("\n\ndata: {\"error\""), "{chat}");
        let gemini = stream_error(Api::Gemini, status, "gone");
        assert!(gemini.contains(r#""status":"UNAVAILABLE""#), "{gemini}");
        assert!(gemini.starts_with("\n\n{\"error\""), "{gemini}");
    }
}
