//! The routes: admit the client by its task token, send its request upstream to the
//! provider of its API with the real credentials, and hand back the upstream's answer (or
//! the error, in the API's shape, the proxy answers with when there is none). Model calls
//! are read on the way into events; model lists and token counts pass through unread.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::Response;
use futures::StreamExt;
use serde::Deserialize;

use super::api::{Api, Provider};
use super::api_error::api_error;
use super::body::ProxyBody;
use super::call::Call;
use super::config::ProxyConfig;
use super::headers::{client_headers, client_token, upstream_headers, upstream_query};
use super::host::ProxyHost;
use super::upstream_error::describe;
use super::usage_asked::with_usage_asked;

/// The router's state: one upstream client (its connection pool shared by all tasks).
pub struct Proxy {
    pub host: Arc<dyn ProxyHost>,
    pub client: reqwest::Client,
    /// Upstream URLs without a trailing `/`.
    pub config: ProxyConfig,
}

/// The task of the URL, its token checked, and the path's other parameters. Runs before
/// the body is read, so a client without a valid token cannot make the proxy buffer
/// anything.
pub struct Admitted {
    task: String,
    params: HashMap<String, String>,
}

impl FromRequestParts<Arc<Proxy>> for Admitted {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, proxy: &Arc<Proxy>) -> Result<Self, Response> {
        let provider = Provider::of_path(parts.uri.path());
        let unmounted = || {
            api_error(
                provider,
                StatusCode::INTERNAL_SERVER_ERROR,
                "plinth's LLM proxy is mounted without a {task} in its path",
            )
        };
        let Ok(Path(params)) =
            Path::<HashMap<String, String>>::from_request_parts(parts, proxy).await
        else {
            return Err(unmounted());
        };
        let Some(task) = params.get("task").cloned() else {
            return Err(unmounted());
        };
        let authorized = client_token(&parts.headers, parts.uri.query())
            .is_some_and(|token| !token.is_empty() && proxy.host.authorize(&task, token));
        if !authorized {
            let (variable, header) = match provider {
                Provider::Anthropic => ("ANTHROPIC_API_KEY", "x-api-key or Authorization: Bearer"),
                Provider::OpenAi => ("OPENAI_API_KEY", "Authorization: Bearer"),
                Provider::Google => ("GEMINI_API_KEY", "x-goog-api-key"),
            };
            return Err(api_error(
                provider,
                StatusCode::UNAUTHORIZED,
                format!(
                    "plinth's LLM proxy: this is not task {task}'s token (send it as {header}; \
                     the sandbox's {variable} holds it)"
                ),
            ));
        }
        Ok(Admitted { task, params })
    }
}

/// Why no upstream response came, as the client is told.
struct NoResponse {
    status: StatusCode,
    message: String,
}

fn body_rejected(provider: Provider, rejection: BytesRejection) -> Response {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return api_error(
            provider,
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "plinth's LLM proxy takes request bodies up to {} MiB",
                super::MAX_REQUEST_BYTES / (1024 * 1024)
            ),
        );
    }
    api_error(
        provider,
        StatusCode::BAD_REQUEST,
        format!(
            "plinth's LLM proxy could not read the request body: {}",
            rejection.body_text()
        ),
    )
}

impl Proxy {
    /// Sends the request to `provider`'s upstream at `path` and waits for the response
    /// head.
    async fn send(
        &self,
        provider: Provider,
        method: Method,
        path: &str,
        uri: &Uri,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<reqwest::Response, NoResponse> {
        let upstream = self.config.upstream(provider);
        let mut url = format!("{}{path}", upstream.url);
        if let Some(query) = upstream_query(uri.query()) {
            url.push('?');
            url.push_str(&query);
        }
        let request = self
            .client
            .request(method, &url)
            .headers(upstream_headers(headers, &upstream.credentials))
            .body(body);
        let waited = self.config.timeouts.response;
        match tokio::time::timeout(waited, request.send()).await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(err)) if err.is_timeout() => Err(NoResponse {
                status: StatusCode::GATEWAY_TIMEOUT,
                message: format!(
                    "plinth's LLM proxy timed out reaching the model API at {}: {}",
                    upstream.url,
                    describe(&err)
                ),
            }),
            Ok(Err(err)) => Err(NoResponse {
                status: StatusCode::BAD_GATEWAY,
                message: format!(
                    "plinth's LLM proxy could not reach the model API at {}: {} (check \
                     that it is up and reachable from plinth's host)",
                    upstream.url,
                    describe(&err)
                ),
            }),
            Err(_) => Err(NoResponse {
                status: StatusCode::GATEWAY_TIMEOUT,
                message: format!(
                    "plinth's LLM proxy got no answer from the model API at {} within {:?}",
                    upstream.url, waited
                ),
            }),
        }
    }
}

/// Just enough of a request to name the call: the Messages, Responses and Chat
/// Completions APIs name the model in the body (Gemini's is in the path).
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

/// One model call of `api`, sent to `path` upstream and reported to the host as it goes.
/// `model` is the model the path names, if it names one.
#[allow(clippy::too_many_arguments)]
async fn model_call(
    proxy: Arc<Proxy>,
    task: String,
    api: Api,
    path: &str,
    model: Option<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let provider = api.provider();
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return body_rejected(provider, rejection),
    };
    let body = match api {
        Api::ChatCompletions => with_usage_asked(body),
        _ => body,
    };
    if let Err(reason) = proxy.host.admit(&task) {
        return api_error(provider, StatusCode::FORBIDDEN, format!("plinth: {reason}"));
    }
    let model = model
        .or_else(|| {
            serde_json::from_slice::<RequestPeek>(&body)
                .ok()
                .and_then(|peek| peek.model)
        })
        .unwrap_or_default();
    let mut call = Call::start(&task, proxy.host.clone(), model);
    match proxy
        .send(provider, Method::POST, path, &uri, &headers, body)
        .await
    {
        Ok(response) => {
            let status = response.status();
            call.status = status.as_u16();
            let streamed = is_event_stream(response.headers());
            let headers = client_headers(response.headers(), streamed);
            let idle = proxy.config.timeouts.idle;
            let body = ProxyBody::new(api, response, call, streamed, idle);
            respond(status, headers, Body::from_stream(body))
        }
        Err(failure) => {
            call.status = failure.status.as_u16();
            call.fail(failure.message.clone());
            call.finish();
            api_error(provider, failure.status, &failure.message)
        }
    }
}

/// A request passed through without events (model lists, token counts).
async fn pass_through(
    proxy: Arc<Proxy>,
    provider: Provider,
    method: Method,
    path: &str,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return body_rejected(provider, rejection),
    };
    match proxy
        .send(provider, method, path, &uri, &headers, body)
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
        Err(failure) => api_error(provider, failure.status, &failure.message),
    }
}

/// `POST /v1/messages`: one Anthropic model call.
pub async fn messages(
    State(proxy): State<Arc<Proxy>>,
    Admitted { task, .. }: Admitted,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    model_call(
        proxy,
        task,
        Api::Messages,
        "/v1/messages",
        None,
        uri,
        headers,
        body,
    )
    .await
}

/// `POST /v1/messages/count_tokens`: passed through.
pub async fn count_tokens(
    State(proxy): State<Arc<Proxy>>,
    _: Admitted,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let path = "/v1/messages/count_tokens";
    pass_through(
        proxy,
        Provider::Anthropic,
        Method::POST,
        path,
        uri,
        headers,
        body,
    )
    .await
}

/// `POST /openai/v1/responses`: one Responses call.
pub async fn responses(
    State(proxy): State<Arc<Proxy>>,
    Admitted { task, .. }: Admitted,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    model_call(
        proxy,
        task,
        Api::Responses,
        "/responses",
        None,
        uri,
        headers,
        body,
    )
    .await
}

/// `POST /openai/v1/chat/completions`: one Chat Completions call.
pub async fn chat_completions(
    State(proxy): State<Arc<Proxy>>,
    Admitted { task, .. }: Admitted,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let api = Api::ChatCompletions;
    model_call(
        proxy,
        task,
        api,
        "/chat/completions",
        None,
        uri,
        headers,
        body,
    )
    .await
}

/// `GET /openai/v1/models` and `GET /openai/v1/models/{model}`: passed through.
pub async fn openai_models(
    State(proxy): State<Arc<Proxy>>,
    Admitted { params, .. }: Admitted,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let path = match params.get("model") {
        Some(model) if is_name(model) => format!("/models/{model}"),
        Some(_) => return not_found(Method::GET, uri).await,
        None => "/models".to_string(),
    };
    pass_through(
        proxy,
        Provider::OpenAi,
        Method::GET,
        &path,
        uri,
        headers,
        Ok(Bytes::new()),
    )
    .await
}

/// `POST /gemini/{version}/models/{model}:{action}`: `generateContent` and
/// `streamGenerateContent` are model calls, `countTokens` passes through.
pub async fn gemini(
    State(proxy): State<Arc<Proxy>>,
    Admitted { task, params }: Admitted,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let version = params.get("version").map(String::as_str).unwrap_or("");
    let target = params.get("target").map(String::as_str).unwrap_or("");
    let Some((model, action)) = target.split_once(':') else {
        return not_found(Method::POST, uri).await;
    };
    if !is_version(version) || !is_name(model) {
        return not_found(Method::POST, uri).await;
    }
    let path = format!("/{version}/models/{model}:{action}");
    match action {
        "generateContent" | "streamGenerateContent" => {
            let model = Some(model.to_string());
            model_call(proxy, task, Api::Gemini, &path, model, uri, headers, body).await
        }
        "countTokens" => {
            pass_through(
                proxy,
                Provider::Google,
                Method::POST,
                &path,
                uri,
                headers,
                body,
            )
            .await
        }
        _ => not_found(Method::POST, uri).await,
    }
}

/// `GET /gemini/{version}/models` and `GET /gemini/{version}/models/{model}`: passed
/// through.
pub async fn gemini_models(
    State(proxy): State<Arc<Proxy>>,
    Admitted { params, .. }: Admitted,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let version = params.get("version").map(String::as_str).unwrap_or("");
    if !is_version(version) {
        return not_found(Method::GET, uri).await;
    }
    let path = match params.get("target") {
        Some(model) if is_name(model) => format!("/{version}/models/{model}"),
        Some(_) => return not_found(Method::GET, uri).await,
        None => format!("/{version}/models"),
    };
    pass_through(
        proxy,
        Provider::Google,
        Method::GET,
        &path,
        uri,
        headers,
        Ok(Bytes::new()),
    )
    .await
}

/// A model's name as it may appear in a path: nothing that could step out of it.
fn is_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A Gemini API version: `v1`, `v1beta`, `v1alpha`, ….
fn is_version(version: &str) -> bool {
    version.starts_with('v')
        && version.len() <= 16
        && version.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Anything else under the proxy's prefix (another path, or another method on ours), in
/// the shape of the provider the path is under.
pub async fn not_found(method: Method, uri: Uri) -> Response {
    let provider = Provider::of_path(uri.path());
    api_error(
        provider,
        StatusCode::NOT_FOUND,
        format!(
            "plinth's LLM proxy serves {}, not {method} {}",
            provider.routes(),
            uri.path()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parts_that_could_step_out_of_the_path_are_refused() {
        assert!(is_name("gemini-2.5-pro"));
        assert!(is_name("gpt-4.1"));
        assert!(!is_name(".."));
        assert!(!is_name("a/b"));
        assert!(!is_name("a%2Fb"));
        assert!(is_version("v1beta"));
        assert!(!is_version(".."));
        assert!(!is_version("beta"));
    }
}
