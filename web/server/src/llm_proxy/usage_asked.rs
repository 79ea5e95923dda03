//! The one change the proxy makes to a request: a streamed Chat Completions request is
//! made to ask for its usage, so that every call is counted.

use axum::body::Bytes;

/// A streamed Chat Completions request that does not ask for usage, made to: without
/// `stream_options.include_usage` the API reports no tokens in a stream, and the task's cost
/// would miss the call (Aider never asks). The client gets one more chunk, with no choices
/// and the usage, which OpenAI's clients expect when they ask for it themselves. Anything
/// else passes unchanged.
pub fn with_usage_asked(body: Bytes) -> Bytes {
    let Ok(serde_json::Value::Object(mut request)) = serde_json::from_slice(&body) else {
        return body;
    };
    let streamed = request.get("stream").and_then(|s| s.as_bool()) == Some(true);
    let asked = request
        .get("stream_options")
        .and_then(|o| o.get("include_usage"))
        .and_then(|u| u.as_bool())
        == Some(true);
    if !streamed || asked {
        return body;
    }
    let options = request
        .entry("stream_options")
        .or_insert_with(|| serde_json::json!({}));
    match options.as_object_mut() {
        Some(options) => {
            options.insert("include_usage".into(), serde_json::Value::Bool(true));
        }
        None => return body,
    }
    serde_json::to_vec(&request)
        .map(Bytes::from)
        .unwrap_or(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_streamed_chat_request_is_made_to_ask_for_usage_and_others_pass_unchanged() {
        let asked = |body: serde_json::Value| -> serde_json::Value {
            serde_json::from_slice(&with_usage_asked(Bytes::from(body.to_string()))).unwrap()
        };
        let out = asked(serde_json::json!({"model": "m", "stream": true, "messages": []}));
        assert_eq!(out["stream_options"]["include_usage"], true);
        let out = asked(serde_json::json!({"stream": true, "stream_options": {"x": 1}}));
        assert_eq!(
            out["stream_options"],
            serde_json::json!({"x": 1, "include_usage": true})
        );
        let plain = Bytes::from(r#"{"stream":false,"model":"m"}"#);
        assert_eq!(with_usage_asked(plain.clone()), plain);
        let already = Bytes::from(r#"{"stream":true,"stream_options":{"include_usage":true}}"#);
        assert_eq!(with_usage_asked(already.clone()), already);
        let garbage = Bytes::from_static(b"not json");
        assert_eq!(with_usage_asked(garbage.clone()), garbage);
    }
}
