//! The user's credentials for each provider, added to every upstream request in place of
//! the task's token. The sandbox never sees them.

use std::fmt;

use super::api::Provider;

/// The `anthropic-beta` flag Anthropic's API requires on requests authenticated with an
/// OAuth access token (Claude subscriptions, `claude setup-token`); Anthropic's SDKs add
/// it when they are given an auth token instead of an API key.
pub const OAUTH_BETA: &str = "oauth-2025-04-20";

#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// An Anthropic API key, sent as `x-api-key`.
    ApiKey(String),
    /// An Anthropic OAuth access token, sent as `Authorization: Bearer …` with
    /// [`OAUTH_BETA`] added to `anthropic-beta`.
    OAuth(String),
    /// A bearer token (OpenAI's API keys), sent as `Authorization: Bearer …`.
    Bearer(String),
    /// A Google API key, sent as `x-goog-api-key`.
    GoogleApiKey(String),
    /// Nothing: for an upstream that needs no credentials, such as the mock model server.
    None,
}

impl Credentials {
    /// Anthropic's credentials in the process environment ([`Credentials::from_lookup`]).
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Anthropic's credentials: `ANTHROPIC_API_KEY`, else `CLAUDE_CODE_OAUTH_TOKEN`, else
    /// `ANTHROPIC_AUTH_TOKEN`; empty values count as unset. Over any lookup, so the order
    /// can be tested without touching the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        Self::for_provider(Provider::Anthropic, lookup)
    }

    /// A provider's credentials from the user's usual variables: Anthropic's (see
    /// [`Credentials::from_lookup`]), OpenAI's `OPENAI_API_KEY`, Gemini's `GEMINI_API_KEY`
    /// else `GOOGLE_API_KEY`.
    pub fn for_provider(provider: Provider, lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| {
            lookup(name)
                .map(|value| value.trim().to_string())
                .filter(|value| !value.is_empty())
        };
        match provider {
            Provider::Anthropic => {
                if let Some(key) = get("ANTHROPIC_API_KEY") {
                    return Credentials::ApiKey(key);
                }
                match get("CLAUDE_CODE_OAUTH_TOKEN").or_else(|| get("ANTHROPIC_AUTH_TOKEN")) {
                    Some(token) => Credentials::OAuth(token),
                    None => Credentials::None,
                }
            }
            Provider::OpenAi => {
                get("OPENAI_API_KEY").map_or(Credentials::None, Credentials::Bearer)
            }
            Provider::Google => get("GEMINI_API_KEY")
                .or_else(|| get("GOOGLE_API_KEY"))
                .map_or(Credentials::None, Credentials::GoogleApiKey),
        }
    }
}

/// Secrets stay out of logs and Debug output.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::ApiKey(_) => f.write_str("ApiKey(<redacted>)"),
            Credentials::OAuth(_) => f.write_str("OAuth(<redacted>)"),
            Credentials::Bearer(_) => f.write_str("Bearer(<redacted>)"),
            Credentials::GoogleApiKey(_) => f.write_str("GoogleApiKey(<redacted>)"),
            Credentials::None => f.write_str("None"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn an_api_key_wins_over_oauth_tokens() {
        let creds = Credentials::from_lookup(lookup(&[
            ("ANTHROPIC_API_KEY", "sk-key"),
            ("CLAUDE_CODE_OAUTH_TOKEN", "oat"),
        ]));
        assert_eq!(creds, Credentials::ApiKey("sk-key".into()));
    }

    #[test]
    fn the_claude_code_oauth_token_wins_over_the_auth_token_and_empty_values_are_unset() {
        let creds = Credentials::from_lookup(lookup(&[
            ("ANTHROPIC_API_KEY", "  "),
            ("CLAUDE_CODE_OAUTH_TOKEN", "oat\n"),
            ("ANTHROPIC_AUTH_TOKEN", "auth"),
        ]));
        assert_eq!(creds, Credentials::OAuth("oat".into()));
        let creds = Credentials::from_lookup(lookup(&[("ANTHROPIC_AUTH_TOKEN", "auth")]));
        assert_eq!(creds, Credentials::OAuth("auth".into()));
        assert_eq!(Credentials::from_lookup(lookup(&[])), Credentials::None);
    }

    #[test]
    fn openai_and_gemini_keys_come_from_their_usual_variables() {
        let vars = lookup(&[
            ("OPENAI_API_KEY", "sk-openai "),
            ("GOOGLE_API_KEY", "g-key"),
            ("ANTHROPIC_API_KEY", "sk-ant"),
        ]);
        assert_eq!(
            Credentials::for_provider(Provider::OpenAi, &vars),
            Credentials::Bearer("sk-openai".into())
        );
        assert_eq!(
            Credentials::for_provider(Provider::Google, &vars),
            Credentials::GoogleApiKey("g-key".into())
        );
        let both = lookup(&[("GEMINI_API_KEY", "gem"), ("GOOGLE_API_KEY", "g-key")]);
        assert_eq!(
            Credentials::for_provider(Provider::Google, &both),
            Credentials::GoogleApiKey("gem".into())
        );
        assert_eq!(
            Credentials::for_provider(Provider::OpenAi, &both),
            Credentials::None
        );
    }

    #[test]
    fn debug_output_never_shows_a_secret() {
        for creds in [
            Credentials::ApiKey("sk-secret".into()),
            Credentials::Bearer("sk-secret".into()),
            Credentials::GoogleApiKey("sk-secret".into()),
        ] {
            let shown = format!("{creds:?}");
            assert!(!shown.contains("sk-secret"), "{shown}");
        }
    }
}
