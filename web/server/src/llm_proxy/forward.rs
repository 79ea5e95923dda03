//! The two routes: admit the client by its task token, send its request upstream with
//! the real credentials, and hand back the upstream's answer (or the API-shaped error the
//! proxy answers with when there is none).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde::Deserialize;

use super::api_error::api_error;
use super::body::ProxyBody;
use super::call::Call;
use super::config::{Credentials, Timeouts};
use super::headers::{client_headers, client_token, upstream_headers};
use super::host::ProxyHost;
use super::upstream_error::describe;

/// The router's state: one upstream client (its connection pool shared by all tasks).
pub struct Proxy {
    pub host: Arc<dyn ProxyHost>,
    pub client: reqwest::Client,
    /// The upstream's base URL without a trailing `/`.
    pub upstream: String,
    pub credentials: Credentials,
    pub timeouts: Timeouts,
}

/// The task of the URL, its token checked. Runs before the body is read, so a client
/// without a valid token cannot make the proxy buffer anything.
pub struct Admitted {
    task: String,
}

impl FromRequestParts<Arc<Proxy>> for Admitted {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, proxy: &Arc<Proxy>) -> Result<Self, Response> {
        let Ok(Path(params)) =
            Path::<HashMap<String, String>>::from_request_parts(parts, proxy).await
        else {
            return Err(api_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "api_error",
                "plinth's LLM proxy is mounted without a {task} in its path",
            ));
        };
        let Some(task) = params.get("task") else {
            return Err(api_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "api_error",
                "plinth's LLM proxy is mounted without a {task} in its path",
            ));
        };
        let authorized = client_token(&parts.headers)
            .is_some_and(|token| !token.is_empty() && proxy.host.authorize(task, token));
        if !authorized {
            return Err(api_error(
                StatusCode::UNAUTHORIZED,
                "authentication_error",
                format!(
                    "plinth's LLM proxy: this is not task {task}'s token (send it as x-api-key \
                     or Authorization: Bearer; the sandbox's ANTHROPIC_API_KEY holds it)"
                ),
            ));
        }
        Ok(Admitted { task: task.clone() })
    }
}

/// Why no upstream response came, as the client is told.
struct NoResponse {
    status: StatusCode,
    message: String,
}

impl NoResponse {
    fn into_response(self) -> Response {
        api_error(self.status, "api_error", &self.message)
    }
}

fn body_rejected(rejection: BytesRejection) -> Response {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return api_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_too_large",
            format!(
                "plinth's LLM proxy takes request bodies up to {} MiB",
                super::MAX_REQUEST_BYTES / (1024 * 1024)
            ),
        );
    }
    api_error(
        StatusCode::BAD_REQUEST,
        "invalid_request_error",
        format!(
            "plinth's LLM proxy could not read the request body: {}",
            rejection.body_text()
        ),
    )
}

impl Proxy {
    /// Sends the request upstream and waits for the response head.
    async fn send(
        &self,
        path: &str,
        uri: &Uri,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<reqwest::Response, NoResponse> {
        let mut url = format!("{}{path}", self.upstream);
        if let Some(query) = uri.query() {
            url.push('?');
            url.push_str(query);
        }
        let request = self
            .client
            .post(&url)
            .headers(upstream_headers(headers, &self.credentials))
            .body(body);
        let waited = self.timeouts.response;
        match tokio::time::timeout(waited, request.send()).await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(err)) if err.is_timeout() => Err(NoResponse {
                status: StatusCode::GATEWAY_TIMEOUT,
                message: format!(
                    "plinth's LLM proxy timed out reaching the model API at {}: {}",
                    self.upstream,
                    describe(&err)
                ),
            }),
            Ok(Err(err)) => Err(NoResponse {
                status: StatusCode::BAD_GATEWAY,
                message: format!(
                    "plinth's LLM proxy could not reach the model API at {}: {} (check that \
                     it is up and reachable from plinth's host)",
                    self.upstream,
                    describe(&err)
                ),
            }),
            Err(_) => Err(NoResponse {
                status: StatusCode::GATEWAY_TIMEOUT,
                message: format!(
                    "plinth's LLM proxy got no answer from the model API at {} within {:?}",
                    self.upstream, waited
                ),
            }),
        }
    }
}

/// Just enough of a Messages request to name the call.
#[derive(Deserialize)]
struct RequestPeek {
    model: Option<String>,
}

fn is_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("text/event-stream"))
}

fn respond(status: StatusCode, headers: HeaderMap, body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// `POST /v1/messages`: one model call, reported to the host as it goes.
pub async fn messages(
    State(proxy): State<Arc<Proxy>>,
    Admitted { task }: Admitted,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return body_rejected(rejection),
    };
    let model = serde_json::from_slice::<RequestPeek>(&body)
        .ok()
        .and_then(|peek| peek.model)
        .unwrap_or_default();
    let mut call = Call::start(&task, proxy.host.clone(), model);
    match proxy.send("/v1/messages", &uri, &headers, body).await {
        Ok(response) => {
            let status = response.status();
            call.status = status.as_u16();
            let streamed = is_event_stream(response.headers());
            let headers = client_headers(response.headers(), streamed);
            let body = ProxyBody::new(response, call, streamed, proxy.timeouts.idle);
            respond(status, headers, Body::from_stream(body))
        }
        Err(failure) => {
            call.status = failure.status.as_u16();
            call.fail(failure.message.clone());
            call.finish();
            failure.into_response()
        }
    }
}

/// `POST /v1/messages/count_tokens`: passed through, no events.
pub async fn count_tokens(
    State(proxy): State<Arc<Proxy>>,
    _: Admitted,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return body_rejected(rejection),
    };
    match proxy
        .send("/v1/messages/count_tokens", &uri, &headers, body)
        .await
    {
        Ok(response) => {
            let status = response.status();
            let headers = client_headers(response.headers(), false);
            let body = response
                .bytes_stream()
                .map(|piece| piece.map_err(|err| std::io::Error::other(describe(&err))));
            respond(status, headers, Body::from_stream(body))
        }
        Err(failure) => failure.into_response(),
    }
}

/// Anything else under the proxy's prefix (another path, or another method on ours).
pub async fn not_found(method: Method, uri: Uri) -> Response {
    api_error(
        StatusCode::NOT_FOUND,
        "not_found_error",
        format!(
            "plinth's LLM proxy serves POST /v1/messages and POST /v1/messages/count_tokens, \
             not {method} {}",
            uri.path()
        ),
    )
    .into_response()
}
