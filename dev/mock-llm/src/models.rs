//! The model lists the mock offers, for CLIs that ask which models exist before they
//! start: OpenAI's and Anthropic's `GET /v1/models` (one body both SDKs parse) and
//! Gemini's `GET /v1beta/models`. Any model name works in a model call; these are only
//! plausible answers to the question.

use serde_json::{Value, json};

/// OpenAI and Anthropic model ids listed by `GET /v1/models`.
pub const MODELS: [&str; 6] = [
    "gpt-5",
    "gpt-5-codex",
    "gpt-4.1",
    "claude-sonnet-4-5",
    "claude-opus-4-1",
    "claude-haiku-4-5",
];

/// Gemini models listed by `GET /v1beta/models`.
pub const GEMINI_MODELS: [&str; 3] = [
    "gemini-2.5-pro",
    "gemini-2.5-flash",
    "gemini-2.5-flash-lite",
];

/// When the listed models were made: 2025-01-01.
const CREATED: u64 = 1_735_689_600;
const CREATED_AT: &str = "2025-01-01T00:00:00Z";

/// One model with both SDKs' fields: OpenAI's `object`, `created`, `owned_by` and
/// Anthropic's `type`, `created_at`, `display_name`.
pub fn model(id: &str) -> Value {
    json!({
        "id": id,
        "object": "model",
        "type": "model",
        "created": CREATED,
        "created_at": CREATED_AT,
        "owned_by": "mock-llm",
        "display_name": id,
    })
}

/// `GET /v1/models`: OpenAI's `{"object": "list", "data"}` and Anthropic's page
/// (`data`, `has_more`, `first_id`, `last_id`) in one.
pub fn list() -> Value {
    json!({
        "object": "list",
        "data": MODELS.iter().map(|id| model(id)).collect::<Vec<_>>(),
        "has_more": false,
        "first_id": MODELS[0],
        "last_id": MODELS[MODELS.len() - 1],
    })
}

/// One Gemini model; `name` without the `models/` prefix.
pub fn gemini_model(name: &str) -> Value {
    json!({
        "name": format!("models/{name}"),
        "version": "001",
        "displayName": name,
        "description": "A scripted stand-in (mock-llm).",
        "inputTokenLimit": 1_048_576,
        "outputTokenLimit": 65_536,
        "supportedGenerationMethods": ["generateContent", "countTokens"],
    })
}

/// `GET /v1beta/models`.
pub fn gemini_list() -> Value {
    json!({"models": GEMINI_MODELS.iter().map(|name| gemini_model(name)).collect::<Vec<_>>()})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_carries_both_openai_and_anthropic_fields() {
        let list = list();
        assert_eq!(list["object"], "list");
        assert_eq!(list["has_more"], false);
        assert_eq!(list["first_id"], "gpt-5");
        assert_eq!(list["data"].as_array().unwrap().len(), MODELS.len());
        assert_eq!(
            list["data"][1],
            json!({"id": "gpt-5-codex", "object": "model", "type": "model",
                   "created": 1735689600, "created_at": "2025-01-01T00:00:00Z",
                   "owned_by": "mock-llm", "display_name": "gpt-5-codex"})
        );
        assert_eq!(gemini_list()["models"][0]["name"], "models/gemini-2.5-pro");
        assert_eq!(
            gemini_model("gemini-2.5-flash")["supportedGenerationMethods"],
            json!(["generateContent", "countTokens"])
        );
    }
}
