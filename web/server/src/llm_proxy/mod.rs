//! The LLM proxy: what a sandboxed agent talks to instead of Anthropic's API.
//!
//! Mounted per task (the server nests [`router`] at [`MOUNT`]), it takes the Messages
//! API's `POST /v1/messages` and `POST /v1/messages/count_tokens`, admits the client by
//! its task's token (asking [`ProxyHost::authorize`]), sends the request on to the
//! upstream with the user's real [`Credentials`] instead, and streams the answer back
//! byte for byte, reading it on the way into [`ProxyEvent`]s for the host. The sandbox
//! never sees the real credentials; the upstream never sees the task's token.
//!
//! One concept per file: `config` (upstream, credentials, timeouts), `host` (what the
//! server implements), `event` (what it is told), `forward` (the routes), `headers`
//! (what crosses), `body` (the reply passing through), `sse` (reading a stream),
//! `reply` (reading the API's events), `call` (one call's start and end),
//! `api_error` (errors in the API's shape). The design is in docs/architecture.md
//! ("LLM proxy").

mod api_error;
mod body;
mod call;
mod config;
mod event;
mod forward;
mod headers;
mod host;
mod reply;
mod sse;
mod upstream_error;

use std::sync::Arc;

pub use crate::limits::MAX_REQUEST_BYTES;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::post;

pub use crate::limits::TEXT_FLUSH_INTERVAL;
pub use config::{Credentials, DEFAULT_UPSTREAM, OAUTH_BETA, ProxyConfig, Timeouts};
pub use event::ProxyEvent;
pub use host::ProxyHost;

/// Where the server nests the proxy: `ANTHROPIC_BASE_URL` for a task is
/// `http://HOST:PORT/tasks/<task>/llm`.
pub const MOUNT: &str = "/tasks/{task}/llm";

#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error(
        "the LLM proxy's upstream {url:?} is not an http(s) URL: {reason} (set it to e.g. {DEFAULT_UPSTREAM})"
    )]
    Upstream { url: String, reason: String },
    #[error("the LLM proxy could not set up its HTTP client: {0}")]
    Client(#[source] reqwest::Error),
}

/// The proxy's routes (`/v1/messages`, `/v1/messages/count_tokens`), to nest at
/// [`MOUNT`]. Its handlers read the task from the `{task}` path parameter.
pub fn try_router(config: ProxyConfig, host: Arc<dyn ProxyHost>) -> Result<Router, ProxyError> {
    let upstream = config.upstream.trim().trim_end_matches('/').to_string();
    let invalid = |reason: String| ProxyError::Upstream {
        url: config.upstream.clone(),
        reason,
    };
    let url = reqwest::Url::parse(&upstream).map_err(|err| invalid(err.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid("it needs http:// or https:// and a host".into()));
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
        upstream,
        credentials: config.credentials,
        timeouts: config.timeouts,
    });
    Ok(Router::new()
        .route("/v1/messages", post(forward::messages))
        .route("/v1/messages/count_tokens", post(forward::count_tokens))
        .fallback(forward::not_found)
        .method_not_allowed_fallback(forward::not_found)
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .with_state(proxy))
}

/// [`try_router`] that cannot fail: with a config it cannot use, every request is
/// answered with a 502 `api_error` that says why (and the error is logged), so a bad
/// setting shows up in the agent instead of taking the server down.
pub fn router(config: ProxyConfig, host: Arc<dyn ProxyHost>) -> Router {
    match try_router(config, host) {
        Ok(router) => router,
        Err(err) => {
            tracing::error!("{err}");
            let message = err.to_string();
            Router::new().fallback(move || {
                let message = message.clone();
                async move { api_error::api_error(StatusCode::BAD_GATEWAY, "api_error", message) }
            })
        }
    }
}
