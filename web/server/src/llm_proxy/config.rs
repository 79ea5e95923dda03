//! What the proxy forwards to and with which credentials: the upstream API's URL, the
//! user's real credentials (never seen by the sandbox), and the timeouts of a call.

use std::fmt;
use std::time::Duration;

use crate::limits::{UPSTREAM_CONNECT, UPSTREAM_IDLE, UPSTREAM_RESPONSE};

/// Anthropic's API, where calls go unless told otherwise.
pub const DEFAULT_UPSTREAM: &str = "https://api.anthropic.com";

/// The `anthropic-beta` flag Anthropic's API requires on requests authenticated with an
/// OAuth access token (Claude subscriptions, `claude setup-token`); Anthropic's SDKs add
/// it when they are given an auth token instead of an API key.
pub const OAUTH_BETA: &str = "oauth-2025-04-20";

/// The user's credentials, added to every upstream request in place of the task's token.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// An API key, sent as `x-api-key`.
    ApiKey(String),
    /// An OAuth access token, sent as `Authorization: Bearer …` with [`OAUTH_BETA`] added
    /// to `anthropic-beta`.
    OAuth(String),
    /// Nothing: for an upstream that needs no credentials, such as the mock model server.
    None,
}

impl Credentials {
    /// The credentials in the process environment: `ANTHROPIC_API_KEY`, else
    /// `CLAUDE_CODE_OAUTH_TOKEN`, else `ANTHROPIC_AUTH_TOKEN`; empty values count as unset.
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`Credentials::from_env`] over any lookup, so the order can be tested without
    /// touching the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        if let Some(key) = get("ANTHROPIC_API_KEY") {
            return Credentials::ApiKey(key.trim().to_string());
        }
        match get("CLAUDE_CODE_OAUTH_TOKEN").or_else(|| get("ANTHROPIC_AUTH_TOKEN")) {
            Some(token) => Credentials::OAuth(token.trim().to_string()),
            None => Credentials::None,
        }
    }
}

/// Secrets stay out of logs and Debug output.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::ApiKey(_) => f.write_str("ApiKey(<redacted>)"),
            Credentials::OAuth(_) => f.write_str("OAuth(<redacted>)"),
            Credentials::None => f.write_str("None"),
        }
    }
}

/// How long a call may take at each stage before the proxy gives up on the upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To open the TCP (and TLS) connection.
    pub connect: Duration,
    /// From sending the request to the response's status and headers. A non-streamed
    /// call sends nothing until the whole reply is written, so this is long (Claude
    /// Code's own default request timeout is ten minutes).
    pub response: Duration,
    /// The longest silence between two pieces of the response body. The API sends
    /// `ping` events in quiet stretches of a stream, so a long silence means it is gone.
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: UPSTREAM_CONNECT,
            response: UPSTREAM_RESPONSE,
            idle: UPSTREAM_IDLE,
        }
    }
}

/// Everything [`super::router`] needs to know about the upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyConfig {
    /// The API's base URL, without `/v1`: `https://api.anthropic.com`, or the mock's
    /// `http://127.0.0.1:PORT`.
    pub upstream: String,
    pub credentials: Credentials,
    pub timeouts: Timeouts,
}

impl ProxyConfig {
    pub fn new(upstream: impl Into<String>, credentials: Credentials) -> Self {
        ProxyConfig {
            upstream: upstream.into(),
            credentials,
            timeouts: Timeouts::default(),
        }
    }

    /// Anthropic's API with the credentials of the process environment
    /// ([`Credentials::from_env`]); `ANTHROPIC_BASE_URL`, when set, replaces the upstream
    /// so a user who routes through a gateway keeps doing so.
    pub fn from_env() -> Self {
        let upstream = std::env::var("ANTHROPIC_BASE_URL")
            .ok()
            .filter(|url| !url.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_UPSTREAM.to_string());
        ProxyConfig::new(upstream, Credentials::from_env())
    }
}

impl Default for ProxyConfig {
    fn default() -> Self {
        ProxyConfig::new(DEFAULT_UPSTREAM, Credentials::None)
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
    fn debug_output_never_shows_a_secret() {
        let shown = format!(
            "{:?}",
            ProxyConfig::new("http://x", Credentials::ApiKey("sk-secret".into()))
        );
        assert!(!shown.contains("sk-secret"), "{shown}");
    }
}
