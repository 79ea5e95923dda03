//! The HTTP side: every API's model call answered from the one script (JSON or SSE),
//! token counts, model lists, a 404 in the API's shape for anything else, and a record of
//! every request for tests to check. Which API a request speaks is [`Route::of`]'s call;
//! what it asks, its [`crate::request`] view's; how the answer looks, its
//! [`crate::render`] renderer's.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use parking_lot::Mutex;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::{broadcast, oneshot};
use tokio::task::JoinHandle;

use crate::api::{Api, Endpoint, Route};
use crate::models;
use crate::render::{self, Rendered};
use crate::request::{self, ModelRequest};
use crate::script::{ErrorReply, Reply, Script};
use crate::structured;

/// Claude Code's requests carry its whole system prompt and tool schemas, and grow with
/// the conversation; axum's 2 MB default would cut long sessions off.
const BODY_LIMIT: usize = 64 * 1024 * 1024;
/// The least pause before a frame that must reach the client in a read of its own
/// ([`crate::render::Frame::alone`]).
const ALONE_PAUSE: Duration = Duration::from_millis(50);
/// How long [`MockLlm::shutdown`] lets open responses finish before cutting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// What answered a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "index")]
pub enum Served {
    /// The script's reply at this index.
    Scripted(usize),
    /// The script's default reply.
    Default,
    CountTokens,
    /// A model list, or one model.
    Models,
    /// Not a route of the mock: a 404 error.
    NotFound,
    /// A body that is not JSON: a 400 error.
    BadRequest,
}

/// A request as the mock received it.
#[derive(Debug, Clone, Serialize)]
pub struct RecordedRequest {
    pub method: String,
    /// The path with its query, e.g. `/v1/messages?beta=true`.
    pub path: String,
    /// Lower-case names; repeated headers joined with `, `.
    pub headers: BTreeMap<String, String>,
    /// The body parsed as JSON (`null` when empty or not JSON).
    pub body: Value,
    /// The API it was answered in.
    pub api: Api,
    pub served: Served,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The request is a model call, of any API (not a token count, a model list or a
    /// stray route).
    pub fn is_messages(&self) -> bool {
        matches!(self.served, Served::Scripted(_) | Served::Default)
    }

    /// Every tool result's text in the request's last user turn: Anthropic's
    /// `tool_result` blocks, OpenAI's `tool` messages and `*_call_output` items, Gemini's
    /// `functionResponse`s.
    pub fn tool_results(&self) -> Vec<String> {
        request::view(self.api, &self.body, None, false)
            .last_turn()
            .tool_results
            .into_iter()
            .map(|text| text.into_owned())
            .collect()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MockError {
    #[error("mock-llm cannot listen on {addr}: {source} (pick another address or port)")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("mock-llm stopped with an error: {0}")]
    Serve(#[source] std::io::Error),
}

struct Progress {
    script: Script,
    /// The index of the next scripted reply.
    next: usize,
    requests: Vec<RecordedRequest>,
}

struct Shared {
    progress: Mutex<Progress>,
    ids: AtomicU64,
    observers: broadcast::Sender<RecordedRequest>,
}

impl Shared {
    fn next_id(&self, prefix: &str) -> String {
        let n = self.ids.fetch_add(1, Ordering::Relaxed) + 1;
        // The API's ids are a prefix and 24 base62 characters; same length here.
        format!("{prefix}_01mock{n:018}")
    }

    fn record(&self, request: RecordedRequest) {
        tracing::debug!(
            method = %request.method, path = %request.path, served = ?request.served,
            "mock-llm request"
        );
        let _ = self.observers.send(request.clone());
        self.progress.lock().requests.push(request);
    }
}

/// A running mock. Dropping it stops the server (without waiting); [`MockLlm::shutdown`]
/// stops it and waits.
pub struct MockLlm {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl MockLlm {
    /// Listens on `bind` (port 0 picks a free one) and serves `script`.
    pub async fn start(bind: SocketAddr, script: Script) -> Result<Self, MockError> {
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .map_err(|source| MockError::Bind { addr: bind, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| MockError::Bind { addr: bind, source })?;
        let shared = Arc::new(Shared {
            progress: Mutex::new(Progress {
                script,
                next: 0,
                requests: Vec::new(),
            }),
            ids: AtomicU64::new(0),
            observers: broadcast::channel(256).0,
        });
        let app = Router::new()
            .fallback(handle)
            .layer(DefaultBodyLimit::max(BODY_LIMIT))
            .with_state(shared.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(MockLlm {
            addr,
            shared,
            stop: Some(stop),
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR:PORT`, what ANTHROPIC_BASE_URL is set to.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Serves `script` from its first reply on; the requests received so far stay.
    pub fn set_script(&self, script: Script) {
        let mut progress = self.shared.progress.lock();
        progress.script = script;
        progress.next = 0;
    }

    /// Every request received, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.progress.lock().requests.clone()
    }

    /// Scripted replies not given yet.
    pub fn remaining(&self) -> usize {
        let progress = self.shared.progress.lock();
        progress.script.replies.len() - progress.next
    }

    /// Each request from now on, as it arrives.
    pub fn subscribe(&self) -> broadcast::Receiver<RecordedRequest> {
        self.shared.observers.subscribe()
    }

    /// Stops accepting, lets open responses finish for a moment, then stops.
    pub async fn shutdown(mut self) -> Result<(), MockError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let Some(mut task) = self.task.take() else {
            return Ok(());
        };
        match tokio::time::timeout(SHUTDOWN_GRACE, &mut task).await {
            Ok(Ok(result)) => result.map_err(MockError::Serve),
            Ok(Err(_)) => Ok(()),
            Err(_) => {
                task.abort();
                Ok(())
            }
        }
    }
}

impl Drop for MockLlm {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| uri.path().to_string());
    let Route { api, endpoint } = Route::of(&method, uri.path(), &headers);
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    let mut recorded = RecordedRequest {
        method: method.to_string(),
        path: path.clone(),
        headers: header_map(&headers),
        body: parsed.clone().unwrap_or(Value::Null),
        api,
        served: Served::NotFound,
    };
    let request_id = shared.next_id("req");
    let response = match (endpoint, parsed) {
        (Endpoint::Generate { .. } | Endpoint::CountTokens, None) => {
            recorded.served = Served::BadRequest;
            shared.record(recorded);
            let error = ErrorReply::new(
                "invalid_request_error",
                "mock-llm: the request body is not JSON",
            );
            return error_response(api, &error, &request_id);
        }
        (
            Endpoint::Generate {
                path_model,
                path_stream,
            },
            Some(body),
        ) => {
            let request = request::view(api, &body, path_model.as_deref(), path_stream);
            model_call(&shared, recorded, api, &*request, &body, &request_id).await
        }
        (Endpoint::CountTokens, Some(body)) => {
            recorded.served = Served::CountTokens;
            shared.record(recorded);
            let tokens = request::view(api, &body, None, false).estimate_input_tokens();
            let count = match api {
                Api::Gemini => json!({"totalTokens": tokens}),
                _ => json!({"input_tokens": tokens}),
            };
            axum::Json(count).into_response()
        }
        (Endpoint::Models, _) => {
            recorded.served = Served::Models;
            shared.record(recorded);
            let list = match api {
                Api::Gemini => models::gemini_list(),
                _ => models::list(),
            };
            axum::Json(list).into_response()
        }
        (Endpoint::Model(id), _) => {
            recorded.served = Served::Models;
            shared.record(recorded);
            let model = match api {
                Api::Gemini => models::gemini_model(id.trim_start_matches("models/")),
                _ => models::model(&id),
            };
            axum::Json(model).into_response()
        }
        (Endpoint::NotFound, _) => {
            shared.record(recorded);
            let message = format!(
                "mock-llm: no route for {method} {path}; it serves POST /v1/messages, \
                 POST /v1/messages/count_tokens, POST /v1/chat/completions, \
                 POST /v1/responses, POST /v1beta/models/MODEL:generateContent \
                 (:streamGenerateContent, :countTokens), GET /v1/models and GET /v1beta/models"
            );
            return error_response(
                api,
                &ErrorReply::new("not_found_error", message),
                &request_id,
            );
        }
    };
    with_request_id(response, &request_id)
}

/// Picks the reply (the next scripted one if it matches, else the default), records the
/// request, waits `delay_ms`, then answers as JSON or as a stream, in `api`'s shape.
async fn model_call(
    shared: &Arc<Shared>,
    mut recorded: RecordedRequest,
    api: Api,
    request: &dyn ModelRequest,
    body: &Value,
    request_id: &str,
) -> Response {
    let reply: Reply = {
        let mut progress = shared.progress.lock();
        let next = progress.next;
        match progress.script.replies.get(next) {
            Some(reply) if request.matches(&reply.when) => {
                let reply = reply.clone();
                progress.next += 1;
                recorded.served = Served::Scripted(next);
                reply
            }
            _ => {
                recorded.served = Served::Default;
                progress.script.default.clone()
            }
        }
    };
    let reply = match request.output_schema() {
        Some(schema) if recorded.served == Served::Default => structured::as_json(reply, &schema),
        _ => reply,
    };
    shared.record(recorded);
    if reply.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(reply.delay_ms)).await;
    }
    let streamed = request.stream();
    if let Some(error) = reply.error.as_ref()
        && !(error.in_stream && streamed)
    {
        return error_response(api, error, request_id);
    }
    let mut rendered = Rendered::new(
        &reply,
        request.model(),
        request.estimate_input_tokens(),
        |prefix| shared.next_id(prefix),
    );
    if api == Api::Anthropic {
        rendered = rendered.judged(body);
    }
    let answer = render::answer(api, &rendered, body, unix_now());
    if !streamed {
        return axum::Json(answer.body()).into_response();
    }
    let pause = Duration::from_millis(reply.chunk_delay_ms);
    let frames = futures::stream::iter(answer.frames().into_iter().enumerate()).then(
        move |(i, frame)| async move {
            let pause = if frame.alone() {
                pause.max(ALONE_PAUSE)
            } else {
                pause
            };
            if i > 0 && !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
            Ok::<_, Infallible>(Bytes::from(frame.encode()))
        },
    );
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(frames))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The API's error response: its status and body (Anthropic's with the `request_id`), and
/// the retry headers the script asks for (OpenAI's SDKs read `x-should-retry` too).
fn error_response(api: Api, error: &ErrorReply, request_id: &str) -> Response {
    let render::HttpError { status, mut body } = render::http_error(api, error);
    if api == Api::Anthropic {
        body["request_id"] = json!(request_id);
    }
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, axum::Json(body)).into_response();
    let headers = response.headers_mut();
    if let Some(seconds) = error.retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    if let Some(retry) = error.should_retry {
        let value = if retry { "true" } else { "false" };
        headers.insert("x-should-retry", HeaderValue::from_static(value));
    }
    with_request_id(response, request_id)
}

fn with_request_id(mut response: Response, request_id: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("request-id", value);
    }
    response
}

fn header_map(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut map: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        map.entry(name.as_str().to_string())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    map
}
