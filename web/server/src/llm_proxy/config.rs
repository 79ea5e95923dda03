//! What the proxy forwards to and with which credentials: each provider's upstream URL
//! and the user's real credentials for it (never seen by the sandbox), and the timeouts
//! of a call.

use std::time::Duration;

use super::api::Provider;
use super::credentials::Credentials;
use crate::limits::{UPSTREAM_CONNECT, UPSTREAM_IDLE, UPSTREAM_RESPONSE};

/// Anthropic's API, where Messages calls go unless told otherwise.
pub const DEFAULT_UPSTREAM: &str = "https://api.anthropic.com";
/// OpenAI's API, with its `/v1` (as `OPENAI_BASE_URL` is written).
pub const DEFAULT_OPENAI_UPSTREAM: &str = "https://api.openai.com/v1";
/// Google's Gemini API, without a version (as `GOOGLE_GEMINI_BASE_URL` is written).
pub const DEFAULT_GEMINI_UPSTREAM: &str = "https://generativelanguage.googleapis.com";

/// How long a call may take at each stage before the proxy gives up on the upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To open the TCP (and TLS) connection.
    pub connect: Duration,
    /// From sending the request to the response's status and headers. A non-streamed
    /// call sends nothing until the whole reply is written, so this is long (Claude
    /// Code's own default request timeout is ten minutes).
    pub response: Duration,
    /// The longest silence between two pieces of the response body. The APIs send
    /// keep-alives in quiet stretches of a stream, so a long silence means it is gone.
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

/// Where one provider's calls go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    /// The base URL, in the provider's own convention: Anthropic's without `/v1`
    /// (`https://api.anthropic.com`), OpenAI's with it (`https://api.openai.com/v1`),
    /// Gemini's without a version. The path after the proxy's prefix is appended.
    pub url: String,
    pub credentials: Credentials,
}

impl Upstream {
    pub fn new(url: impl Into<String>, credentials: Credentials) -> Self {
        Upstream {
            url: url.into(),
            credentials,
        }
    }
}

/// Everything [`super::router`] needs to know about the upstreams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyConfig {
    pub anthropic: Upstream,
    pub openai: Upstream,
    pub gemini: Upstream,
    pub timeouts: Timeouts,
}

impl ProxyConfig {
    /// Anthropic at `upstream` with `credentials`; the other providers at their public
    /// APIs without credentials.
    pub fn new(upstream: impl Into<String>, credentials: Credentials) -> Self {
        ProxyConfig {
            anthropic: Upstream::new(upstream, credentials),
            ..ProxyConfig::default()
        }
    }

    /// Every provider served by one server (the mock model server answers them all at
    /// its root), without credentials.
    pub fn all_at(base: &str) -> Self {
        let base = base.trim_end_matches('/');
        ProxyConfig {
            anthropic: Upstream::new(base, Credentials::None),
            openai: Upstream::new(format!("{base}/v1"), Credentials::None),
            gemini: Upstream::new(base, Credentials::None),
            timeouts: Timeouts::default(),
        }
    }

    pub fn upstream(&self, provider: Provider) -> &Upstream {
        match provider {
            Provider::Anthropic => &self.anthropic,
            Provider::OpenAi => &self.openai,
            Provider::Google => &self.gemini,
        }
    }

    pub fn upstream_mut(&mut self, provider: Provider) -> &mut Upstream {
        match provider {
            Provider::Anthropic => &mut self.anthropic,
            Provider::OpenAi => &mut self.openai,
            Provider::Google => &mut self.gemini,
        }
    }
}

impl Default for ProxyConfig {
    fn default() -> Self {
        ProxyConfig {
            anthropic: Upstream::new(DEFAULT_UPSTREAM, Credentials::None),
            openai: Upstream::new(DEFAULT_OPENAI_UPSTREAM, Credentials::None),
            gemini: Upstream::new(DEFAULT_GEMINI_UPSTREAM, Credentials::None),
            timeouts: Timeouts::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_a_secret() {
        let shown = format!(
            "{:?}",
            ProxyConfig::new("http://x", Credentials::ApiKey("sk-secret".into()))
        );
        assert!(!shown.contains("sk-secret"), "{shown}");
    }

    #[test]
    fn one_server_for_all_providers_gets_openai_its_v1() {
        let config = ProxyConfig::all_at("http://127.0.0.1:9/");
        assert_eq!(config.anthropic.url, "http://127.0.0.1:9");
        assert_eq!(config.openai.url, "http://127.0.0.1:9/v1");
        assert_eq!(config.gemini.url, "http://127.0.0.1:9");
    }
}
