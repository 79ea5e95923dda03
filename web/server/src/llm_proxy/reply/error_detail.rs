//! An API's error put into words for the call's `error`, whichever provider wrote it:
//! Anthropic's `{"type","message"}`, OpenAI's `{"message","type","code"}`, Google's
//! `{"code","message","status"}`, each the value of the body's `error`.

use serde_json::Value;

/// `KIND: MESSAGE`, the kind being the error's `type`, else its `status`, else its `code`.
pub fn describe_error(error: &Value) -> String {
    let kind = ["type", "status", "code"]
        .iter()
        .find_map(|key| match &error[key] {
            Value::String(text) if !text.is_empty() => Some(text.clone()),
            Value::Number(number) => Some(number.to_string()),
            _ => None,
        })
        .unwrap_or_else(|| "error".to_string());
    let message = error["message"].as_str().unwrap_or("(no message)");
    format!("{kind}: {message}")
}

/// The detail of an HTTP error's body: its `error` described, or (a body that is not an
/// API's error) its first bytes. Google may answer a batch with a list; its first entry
/// counts.
pub fn describe_body(body: &[u8]) -> String {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let parsed = match parsed {
        Some(Value::Array(mut items)) if !items.is_empty() => Some(items.swap_remove(0)),
        other => other,
    };
    match parsed.as_ref().map(|value| &value["error"]) {
        Some(error) if error.is_object() => describe_error(error),
        _ => String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_providers_error_is_described_by_its_kind_and_message() {
        let anthropic = json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}});
        assert_eq!(
            describe_body(anthropic.to_string().as_bytes()),
            "overloaded_error: Overloaded"
        );
        let openai =
            json!({"error": {"message": "Bad key", "type": null, "code": "invalid_api_key"}});
        assert_eq!(
            describe_body(openai.to_string().as_bytes()),
            "invalid_api_key: Bad key"
        );
        let google =
            json!([{"error": {"code": 429, "message": "Quota", "status": "RESOURCE_EXHAUSTED"}}]);
        assert_eq!(
            describe_body(google.to_string().as_bytes()),
            "RESOURCE_EXHAUSTED: Quota"
        );
        assert_eq!(describe_body(b"<html>oops"), "<html>oops");
    }
}
