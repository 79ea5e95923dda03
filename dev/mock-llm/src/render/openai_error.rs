//! OpenAI's error shape, shared by Chat Completions and Responses:
//! `{"error": {"message", "type", "param", "code"}}`, with the script's Anthropic-named
//! error kinds mapped to OpenAI's types and codes.

use serde_json::{Value, json};

use crate::script::ErrorReply;

/// OpenAI's `type` and `code` for a script's error kind.
pub(crate) fn type_and_code(kind: &str) -> (&str, Option<&'static str>) {
    match kind {
        "invalid_request_error" | "not_found_error" | "request_too_large" => {
            ("invalid_request_error", None)
        }
        "authentication_error" => ("invalid_request_error", Some("invalid_api_key")),
        "permission_error" => ("invalid_request_error", Some("permission_denied")),
        "rate_limit_error" => ("requests", Some("rate_limit_exceeded")),
        "overloaded_error" => ("server_error", Some("server_is_overloaded")),
        "api_error" => ("server_error", None),
        other => (other, None),
    }
}

/// The body of an HTTP error, and the data of a Chat Completions stream's error.
pub(crate) fn body(error: &ErrorReply) -> Value {
    let (kind, code) = type_and_code(&error.kind);
    json!({"error": {"message": error.message, "type": kind, "param": null, "code": code}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_openai_types_and_codes() {
        assert_eq!(
            body(&ErrorReply::new("authentication_error", "bad key")),
            json!({"error": {"message": "bad key", "type": "invalid_request_error",
                             "param": null, "code": "invalid_api_key"}})
        );
        assert_eq!(
            type_and_code("rate_limit_error"),
            ("requests", Some("rate_limit_exceeded"))
        );
        assert_eq!(type_and_code("api_error"), ("server_error", None));
        assert_eq!(type_and_code("something_else"), ("something_else", None));
    }
}
