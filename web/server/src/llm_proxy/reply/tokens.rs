//! Usage and stop reasons in one vocabulary, whichever API reported them. Tokens are
//! Anthropic's four counts, which price separately: `input` (not read from a cache),
//! `output` (reasoning included), `cache_read`, `cache_creation`. OpenAI and Google count
//! cached tokens inside their prompt count, so they are taken out of `input`. Stop reasons
//! are the Messages API's (`end_turn`, `tool_use`, `max_tokens`), or the API's own word
//! when it has no counterpart.

use crate::llm_proxy::call::TokenCounts;

/// OpenAI's counts: `prompt` (Chat's `prompt_tokens`, Responses' `input_tokens`) includes
/// `cached`.
pub(super) fn openai_tokens(prompt: u64, cached: u64, completion: u64) -> TokenCounts {
    TokenCounts {
        input: prompt.saturating_sub(cached),
        output: completion,
        cache_read: cached,
        cache_creation: 0,
    }
}

/// Google's `usageMetadata`: the prompt includes the cached part; tool-use prompts are
/// input, thoughts are output.
pub(super) fn gemini_tokens(
    prompt: u64,
    cached: u64,
    tool_prompt: u64,
    candidates: u64,
    thoughts: u64,
) -> TokenCounts {
    TokenCounts {
        input: prompt.saturating_sub(cached) + tool_prompt,
        output: candidates + thoughts,
        cache_read: cached,
        cache_creation: 0,
    }
}

/// A Chat Completions `finish_reason` in the Messages API's words.
pub(super) fn chat_stop_reason(reason: &str) -> String {
    match reason {
        "stop" => "end_turn",
        "tool_calls" | "function_call" => "tool_use",
        "length" => "max_tokens",
        "content_filter" => "refusal",
        other => other,
    }
    .to_string()
}

/// A Gemini `finishReason` in the Messages API's words; `STOP` after a function call is a
/// stop to use it.
pub(super) fn gemini_stop_reason(reason: &str, made_tool_calls: bool) -> String {
    match reason {
        "STOP" if made_tool_calls => "tool_use".to_string(),
        "STOP" => "end_turn".to_string(),
        "MAX_TOKENS" => "max_tokens".to_string(),
        "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII" => {
            "refusal".to_string()
        }
        other => other.to_ascii_lowercase(),
    }
}

/// A Responses API end: `completed` (with tool calls, a stop to use them), or
/// `incomplete` for a reason.
pub(super) fn responses_stop_reason(
    status: &str,
    incomplete_reason: Option<&str>,
    made_tool_calls: bool,
) -> String {
    match (status, incomplete_reason) {
        ("completed", _) if made_tool_calls => "tool_use".to_string(),
        ("completed", _) => "end_turn".to_string(),
        (_, Some("max_output_tokens")) => "max_tokens".to_string(),
        (_, Some("content_filter")) => "refusal".to_string(),
        (_, Some(reason)) => reason.to_string(),
        (status, None) => status.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_tokens_are_taken_out_of_the_prompt_count() {
        let tokens = openai_tokens(100, 30, 7);
        assert_eq!(
            tokens,
            TokenCounts {
                input: 70,
                output: 7,
                cache_read: 30,
                cache_creation: 0
            }
        );
        let tokens = gemini_tokens(100, 40, 5, 7, 3);
        assert_eq!(
            (tokens.input, tokens.output, tokens.cache_read),
            (65, 10, 40)
        );
    }

    #[test]
    fn stop_reasons_are_told_in_the_messages_apis_words() {
        assert_eq!(chat_stop_reason("tool_calls"), "tool_use");
        assert_eq!(chat_stop_reason("length"), "max_tokens");
        assert_eq!(gemini_stop_reason("STOP", true), "tool_use");
        assert_eq!(gemini_stop_reason("STOP", false), "end_turn");
        assert_eq!(
            gemini_stop_reason("MALFORMED_FUNCTION_CALL", false),
            "malformed_function_call"
        );
        assert_eq!(responses_stop_reason("completed", None, false), "end_turn");
        assert_eq!(
            responses_stop_reason("incomplete", Some("max_output_tokens"), false),
            "max_tokens"
        );
    }
}
