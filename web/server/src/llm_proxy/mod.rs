//! The LLM proxy: what a sandboxed agent talks to instead of its model API.
//!
//! Mounted per task (the server nests [`router`] at [`MOUNT`]), it speaks four APIs:
//! Anthropic's Messages (`POST /v1/messages`, and `count_tokens`), OpenAI's Responses and
//! Chat Completions (`POST /openai/v1/responses`, `POST /openai/v1/chat/completions`, and
//! the model list) and Google's Gemini (`POST /gemini/{version}/models/{model}:
//! generateContent`, `:streamGenerateContent`, `:countTokens`, and the model list). It
//! admits the client by its task's token (asking [`ProxyHost::authorize`]), sends the
//! request on to the provider's upstream with the user's real [`Credentials`] instead, and
//! streams the answer back byte for byte, reading it on the way into [`ProxyEvent`]s for
//! the host. The sandbox never sees the real credentials; the upstream never sees the
//! task's token.
//!
//! One concept per file: `api` (the APIs and their providers), `config` (upstreams,
//! timeouts), `credentials`, `host` (what the server implements), `event` (what it is
//! told), `forward` (the routes), `headers` (what crosses), `body` (the reply passing
//! through), `sse` (reading a stream), `reply` (reading each API's replies), `call` (one
//! call's start and end), `api_error` (errors in each API's shape), `usage_asked` (the one
//! change made to a request). The design is in
//! docs/architecture.md ("LLM proxy").

mod api;
mod api_error;
mod body;
mod call;
mod config;
mod credentials;
mod event;
mod forward;
mod headers;
mod host;
mod reply;
mod sse;
mod upstream_error;
mod usage_asked;

use std::sync::Arc;

pub use crate::limits::MAX_REQUEST_BYTES;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post};

pub use crate::limits::TEXT_FLUSH_INTERVAL;
pub use api::{Api, Provider};
pub use config::{
    DEFAULT_GEMINI_UPSTREAM, DEFAULT_OPENAI_UPSTREAM, DEFAULT_UPSTREAM, ProxyConfig, Timeouts,
    Upstream,
};
pub use credentials::{Credentials, OAUTH_BETA};
pub use event::ProxyEvent;
pub use host::ProxyHost;

/// Where the server nests the proxy: `ANTHROPIC_BASE_URL` for a task is
/// `http://HOST:PORT/tasks/<task>/llm`, `OPENAI_BASE_URL` that plus `/openai/v1`,
/// `GOOGLE_GEMINI_BASE_URL` that plus `/gemini`.
pub const MOUNT: &str = "/tasks/{task}/llm";

#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error(
        "the LLM proxy's {provider} upstream {url:?} is not an http(s) URL: {reason} (set it to e.g. {example})"
    )]
    Upstream {
        provider: &'static str,
        url: String,
        reason: String,
        example: &'static str,
    },
    #[error("the LLM proxy could not set up its HTTP client: {0}")]
    Client(#[source] reqwest::Error),
}

/// The proxy's routes, to nest at [`MOUNT`]. Its handlers read the task from the
/// `{task}` path parameter.
pub fn try_router(mut config: ProxyConfig, host: Arc<dyn ProxyHost>) -> Result<Router, ProxyError> {
    for (provider, example) in [
        (Provider::Anthropic, DEFAULT_UPSTREAM),
        (Provider::OpenAi, DEFAULT_OPENAI_UPSTREAM),
        (Provider::Google, DEFAULT_GEMINI_UPSTREAM),
    ] {
        let upstream = config.upstream_mut(provider);
        let invalid = |reason: String| ProxyError::Upstream {
            provider: provider.label(),
            url: upstream.url.clone(),
            reason,
            example,
        };
        let trimmed = upstream.url.trim().trim_end_matches('/').to_string();
        let url = reqwest::Url::parse(&trimmed).map_err(|err| invalid(err.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(invalid("it needs http:// or https:// and a host".into()));
        }
        upstream.url = trimmed;
    }
    let client = reqwest::Client::builder()
        .connect_timeout(config.timeouts.connect)
        // Redirects reach the client as the upstream sent them, like every other answer.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(ProxyError::Client)?;
    let proxy = Arc::new(forward::Proxy {
        host,
        client,
        config,
    });
    Ok(Router::new()
        .route("/v1/messages", post(forward::messages))
        .route("/v1/messages/count_tokens", post(forward::count_tokens))
        .route("/openai/v1/responses", post(forward::responses))
        .route(
            "/openai/v1/chat/completions",
            post(forward::chat_completions),
        )
        .route("/openai/v1/models", get(forward::openai_models))
        .route("/openai/v1/models/{model}", get(forward::openai_models))
        .route("/gemini/{version}/models", get(forward::gemini_models))
        .route(
            "/gemini/{version}/models/{target}",
            post(forward::gemini).get(forward::gemini_models),
        )
        .fallback(forward::not_found)
        .method_not_allowed_fallback(forward::not_found)
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .with_state(proxy))
}

/// [`try_router`] that cannot fail: with a config it cannot use, every request is
/// answered with a 502 error (in the shape of the API the path is for) that says why (and the error is logged), so a bad
/// setting shows up in the agent instead of taking the server down.
pub fn router(config: ProxyConfig, host: Arc<dyn ProxyHost>) -> Router {
    match try_router(config, host) {
        Ok(router) => router,
        Err(err) => {
            tracing::error!("{err}");
            let message = err.to_string();
            Router::new().fallback(move |uri: axum::http::Uri| {
                let message = message.clone();
                async move {
                    let provider = Provider::of_path(uri.path());
                    api_error::api_error(provider, StatusCode::BAD_GATEWAY, message)
                }
            })
        }
    }
}
