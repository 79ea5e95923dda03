//! `GET /api/tasks/{id}/ttyd/{session}/…`: when `terminal.ttyd` is configured, a session's
//! terminal as ttyd serves it (its page, its `token` and its `ws` WebSocket), proxied from
//! a ttyd process on a Unix socket, behind the same guard as every route. ttyd's own origin
//! check is off: the guard has already refused foreign origins, and ttyd would compare the
//! browser's Origin with the Host the proxy sends.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{self, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, Request, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use hyper_util::rt::TokioIo;
use plinth_actors::terminal::{self, TerminalError};
use tokio::net::UnixStream;
use tokio::sync::OwnedSemaphorePermit;
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};

use super::terminal::{environment, terminal_error};
use crate::api_error::ApiError;
use crate::app_state::AppState;
use crate::limits::{TERMINAL_MAX_MESSAGE, TERMINAL_SEND_TIMEOUT};

pub async fn proxy(
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    uri: Uri,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let Some(pool) = state.ttyd.clone() else {
        return Err(ApiError::not_found("ttyd is not configured")
            .with_hint("set terminal.ttyd in config.toml, or use /api/tasks/{id}/terminal"));
    };
    let (task, session) = (params["id"].clone(), params["session"].clone());
    let env = environment(&state, &task).await?;
    let picking = env.clone();
    let requested = session.clone();
    let full =
        tokio::task::spawn_blocking(move || terminal::pick_session(&picking, Some(&requested)))
            .await
            .map_err(ApiError::internal)?
            .map_err(|err| terminal_error(&task, err))?;
    let base = format!("/api/tasks/{task}/ttyd/{session}");
    let socket = pool
        .socket(&env, &full, &base)
        .await
        .map_err(|err| match err {
            TerminalError::TtydLocalOnly => {
                ApiError::new(StatusCode::NOT_IMPLEMENTED, err.to_string())
            }
            other => terminal_error(&task, other),
        })?;
    let rest = uri.path().strip_prefix(&base).unwrap_or("/");
    match upgrade.ok() {
        Some(upgrade) if rest == "/ws" => {
            let permit = Arc::clone(&state.terminals)
                .try_acquire_owned()
                .map_err(|_| {
                    ApiError::unavailable("too many terminals are open")
                        .with_hint("close a terminal tab and retry")
                })?;
            let target = format!("{base}/ws");
            Ok(upgrade
                .protocols(["tty"])
                .max_message_size(TERMINAL_MAX_MESSAGE)
                .max_frame_size(TERMINAL_MAX_MESSAGE)
                .on_upgrade(move |browser| bridge(browser, socket, target, state, permit)))
        }
        _ => forward(&socket, uri.path_and_query().map_or("/", |p| p.as_str())).await,
    }
}

/// Forwards a GET of `path` (ttyd's page and token) and streams the answer back.
async fn forward(socket: &PathBuf, path: &str) -> Result<Response, ApiError> {
    let unreachable = |e: &dyn std::fmt::Display| ApiError::unavailable(format!("ttyd: {e}"));
    let stream = UnixStream::connect(socket)
        .await
        .map_err(|e| unreachable(&e))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| unreachable(&e))?;
    tokio::spawn(connection);
    let request = Request::get(path)
        .header(header::HOST, "localhost")
        .body(Body::empty())
        .map_err(ApiError::internal)?;
    let answer = sender
        .send_request(request)
        .await
        .map_err(|e| unreachable(&e))?;
    let (parts, body) = answer.into_parts();
    let mut response = Body::new(body).into_response();
    *response.status_mut() = parts.status;
    for name in [
        header::CONTENT_TYPE,
        header::CONTENT_ENCODING,
        header::LOCATION,
    ] {
        if let Some(value) = parts.headers.get(&name) {
            response.headers_mut().insert(name, value.clone());
        }
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Pumps WebSocket messages between the browser and ttyd, one at a time each way.
async fn bridge(
    browser: WebSocket,
    socket: PathBuf,
    target: String,
    state: AppState,
    _permit: OwnedSemaphorePermit,
) {
    let Ok(stream) = UnixStream::connect(&socket).await else {
        return;
    };
    let Ok(mut request) = format!("ws://localhost{target}").into_client_request() else {
        return;
    };
    request.headers_mut().insert(
        header::SEC_WEBSOCKET_PROTOCOL,
        HeaderValue::from_static("tty"),
    );
    let Ok((ttyd, _)) = tokio_tungstenite::client_async(request, stream).await else {
        tracing::warn!(socket = %socket.display(), "cannot open ttyd's WebSocket");
        return;
    };
    let (mut to_ttyd, mut from_ttyd) = ttyd.split();
    let (mut to_browser, mut from_browser) = browser.split();
    let up = async {
        while let Some(Ok(message)) = from_browser.next().await {
            let message = match message {
                ws::Message::Text(t) => tungstenite::Message::text(t.as_str()),
                ws::Message::Binary(b) => tungstenite::Message::Binary(b),
                ws::Message::Close(_) => return,
                ws::Message::Ping(_) | ws::Message::Pong(_) => continue,
            };
            if to_ttyd.send(message).await.is_err() {
                return;
            }
        }
    };
    let down = async {
        while let Some(Ok(message)) = from_ttyd.next().await {
            let message = match message {
                tungstenite::Message::Text(t) => ws::Message::Text(t.as_str().into()),
                tungstenite::Message::Binary(b) => ws::Message::Binary(b),
                tungstenite::Message::Close(_) => return,
                _ => continue,
            };
            let sent = tokio::time::timeout(TERMINAL_SEND_TIMEOUT, to_browser.send(message)).await;
            if !matches!(sent, Ok(Ok(()))) {
                return;
            }
        }
    };
    tokio::select! {
        _ = up => {}
        _ = down => {}
        _ = state.shutdown.cancelled() => {}
    }
    // Closing ttyd's side makes it hang up this viewer's tmux client.
    let _ = to_ttyd.send(tungstenite::Message::Close(None)).await;
    let _ = to_browser.send(ws::Message::Close(None)).await;
}
