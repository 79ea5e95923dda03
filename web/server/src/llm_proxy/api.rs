//! The model APIs the proxy speaks, and the providers behind them. An API decides how a
//! reply is read and how the proxy's own errors are shaped; a provider decides where a call
//! goes, with which credentials.

use serde::Serialize;

/// One model API: what a request's path asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Api {
    /// Anthropic's Messages API (`POST /v1/messages`): Claude Code.
    Messages,
    /// OpenAI's Responses API (`POST /v1/responses`): Codex CLI.
    Responses,
    /// OpenAI's Chat Completions API (`POST /v1/chat/completions`): Aider, OpenCode and
    /// most others.
    ChatCompletions,
    /// Google's Gemini API (`models/{model}:generateContent` and
    /// `:streamGenerateContent`): Gemini CLI.
    Gemini,
}

/// Who serves an API: one upstream and one set of credentials each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Anthropic,
    OpenAi,
    Google,
}

impl Api {
    pub fn provider(self) -> Provider {
        match self {
            Api::Messages => Provider::Anthropic,
            Api::Responses | Api::ChatCompletions => Provider::OpenAi,
            Api::Gemini => Provider::Google,
        }
    }
}

impl Provider {
    /// The provider whose routes `path` (below the proxy's mount) is under: its errors are
    /// shaped for that provider's clients even when no route matched.
    pub fn of_path(path: &str) -> Provider {
        // The mount's own prefix may still be on the path, so look for the segment.
        if path.contains(OPENAI_PREFIX) {
            Provider::OpenAi
        } else if path.contains(GOOGLE_PREFIX) {
            Provider::Google
        } else {
            Provider::Anthropic
        }
    }

    /// How the provider is named to a user.
    pub fn label(self) -> &'static str {
        match self {
            Provider::Anthropic => "Anthropic",
            Provider::OpenAi => "OpenAI",
            Provider::Google => "Gemini",
        }
    }

    /// What the proxy serves for this provider, for a 404 that says what would work.
    pub fn routes(self) -> &'static str {
        match self {
            Provider::Anthropic => "POST /v1/messages and POST /v1/messages/count_tokens",
            Provider::OpenAi => {
                "POST /openai/v1/responses, POST /openai/v1/chat/completions and \
                 GET /openai/v1/models"
            }
            Provider::Google => {
                "POST /gemini/{version}/models/{model}:generateContent, \
                 :streamGenerateContent and :countTokens, and GET /gemini/{version}/models"
            }
        }
    }
}

/// OpenAI's routes are below this part of the proxy's path (`OPENAI_BASE_URL` ends in it,
/// plus `/v1`).
pub const OPENAI_PREFIX: &str = "/openai/";
/// Gemini's routes are below this part (`GOOGLE_GEMINI_BASE_URL` ends in `/gemini`).
pub const GOOGLE_PREFIX: &str = "/gemini/";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_belongs_to_the_provider_of_its_prefix() {
        assert_eq!(
            Provider::of_path("/tasks/t/llm/openai/v1/nope"),
            Provider::OpenAi
        );
        assert_eq!(Provider::of_path("/gemini/v1beta/models"), Provider::Google);
        assert_eq!(Provider::of_path("/v1/complete"), Provider::Anthropic);
    }
}
