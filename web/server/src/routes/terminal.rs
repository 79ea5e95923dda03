//! `GET /api/tasks/{id}/terminal`: a WebSocket bridged to a `tmux attach` client of the
//! task's session, so a browser watches the agent and can type into its terminal.
//!
//! Protocol: binary frames are raw terminal bytes, both ways; text frames are JSON
//! control messages: `{"type":"resize","cols":N,"rows":M}` from the viewer, and
//! `{"type":"error","error":"…"}` from the server before it closes when the terminal
//! cannot be opened. The socket closes (code 1000) when the session ends.
//!
//! Browsers cannot set headers on a WebSocket, so they authenticate with the session
//! cookie; the guard checks it, and the Origin, like for every route. Everything is
//! bounded: frames and messages in, one chunk in flight out, a viewer that stops reading
//! is dropped after [`TERMINAL_SEND_TIMEOUT`], and at most [`MAX_TERMINALS`] are open at once.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use futures::{SinkExt, StreamExt};
use plinth_actors::environments::record::EnvironmentStatus;
use plinth_actors::environments::{Environment, GetEnvironment, ListEnvironments};
use plinth_actors::tasks::{Lease, TaskError, WakeEnvironment};
use plinth_actors::terminal::{self, TermSize, Terminal, TerminalError};
use serde::Deserialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::api_error::ApiError;
use crate::app_state::AppState;
use crate::limits::MAX_TERMINALS;
use crate::limits::TERMINAL_MAX_MESSAGE;
use crate::limits::TERMINAL_SEND_TIMEOUT;

/// Shared by every terminal route: how many terminals may still open.
pub fn slots() -> Arc<Semaphore> {
    Arc::new(Semaphore::new(MAX_TERMINALS))
}

/// Waits (at most `limit`) until every open terminal has ended its tmux client: the
/// server stops them all when it stops, and a client in a container is ended by an exec
/// that must finish before the process exits, or it is left attached.
pub async fn all_closed(slots: &Semaphore, limit: Duration) {
    let _ = tokio::time::timeout(limit, slots.acquire_many(MAX_TERMINALS as u32)).await;
}

#[derive(Deserialize)]
pub struct TerminalQuery {
    /// The session's name as the adapter gave it; the task's first when absent.
    session: Option<String>,
    cols: Option<u32>,
    rows: Option<u32>,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Control {
    Resize { cols: u32, rows: u32 },
}

pub async fn attach(
    State(state): State<AppState>,
    Path(task): Path<String>,
    query: Result<Query<TerminalQuery>, QueryRejection>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let upgrade = upgrade.map_err(|err| {
        ApiError::new(StatusCode::UPGRADE_REQUIRED, err.body_text())
            .with_hint("open this URL as a WebSocket (see docs/architecture.md, web terminal)")
    })?;
    let Query(query) = query.map_err(|err| ApiError::bad_request(err.body_text()))?;
    let (env, lease) = viewed_environment(&state, &task).await?;
    let requested = query.session.clone();
    let picking = env.clone();
    let woken = lease.is_some();
    let session = tokio::task::spawn_blocking(move || {
        if woken {
            terminal::pick_or_open_shell(&picking, requested.as_deref())
        } else {
            terminal::pick_session(&picking, requested.as_deref())
        }
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(|err| terminal_error(&task, err))?;
    let permit = Arc::clone(&state.terminals)
        .try_acquire_owned()
        .map_err(|_| {
            ApiError::unavailable(format!("{MAX_TERMINALS} terminals are open already"))
                .with_hint("close a terminal tab and retry")
        })?;
    let size = match (query.cols, query.rows) {
        (Some(cols), Some(rows)) => TermSize::new(cols, rows),
        _ => TermSize::default(),
    };
    Ok(upgrade
        .max_message_size(TERMINAL_MAX_MESSAGE)
        .max_frame_size(TERMINAL_MAX_MESSAGE)
        .on_upgrade(move |socket| async move {
            serve_terminal(socket, state, env, session, size, permit).await;
            // Held while the viewer is attached: an ended task's environment stops after.
            drop(lease);
        }))
}

/// The environment a viewer attaches to, and for an ended task (whose environment was
/// stopped once its work was synced) the lease that keeps it woken while the viewer is on.
async fn viewed_environment(
    state: &AppState,
    task: &str,
) -> Result<(Environment, Option<Lease>), ApiError> {
    let woken = state
        .tasks
        .send(WakeEnvironment {
            id: task.to_string(),
        })
        .await?;
    match woken {
        Ok(Some((env, lease))) => Ok((env, Some(lease))),
        // Not an ended task (or not a task at all): its environment as it is.
        Ok(None) | Err(TaskError::Unknown(_)) => Ok((environment(state, task).await?, None)),
        Err(err) => Err(ApiError::unavailable(err.to_string())
            .with_hint("the task's environment could not be started again; see `plinth doctor`")),
    }
}

/// The task's environment, if it can be attached to; a 404 for no such environment, a 409
/// for one that is not running.
pub(super) async fn environment(state: &AppState, task: &str) -> Result<Environment, ApiError> {
    if let Some(env) = state
        .environments
        .send(GetEnvironment {
            task: task.to_string(),
        })
        .await?
    {
        return Ok(env);
    }
    let listing = state.environments.send(ListEnvironments).await?;
    match listing.environments.iter().find(|e| e.task == task) {
        None => Err(
            ApiError::not_found(format!("task {task} has no environment"))
                .with_hint("a task's terminal exists once its environment is running"),
        ),
        Some(info) => {
            let status = match &info.status {
                EnvironmentStatus::Failed { reason } => format!("failed ({reason})"),
                EnvironmentStatus::Stopped => "stopped".to_string(),
                EnvironmentStatus::Running => "not reachable".to_string(),
            };
            Err(ApiError::new(
                StatusCode::CONFLICT,
                format!("task {task}'s environment is {status}"),
            )
            .with_hint("start the task again to get a terminal"))
        }
    }
}

pub(super) fn terminal_error(task: &str, err: TerminalError) -> ApiError {
    let text = err.to_string();
    match err {
        TerminalError::NoSession { .. } => {
            ApiError::new(StatusCode::CONFLICT, text).with_hint("retry once the agent has started")
        }
        TerminalError::UnknownSession { .. } => ApiError::not_found(text),
        TerminalError::BadRequest(_) => ApiError::bad_request(text),
        _ => {
            tracing::warn!(task, error = %text, "cannot open a terminal");
            ApiError::unavailable(text)
        }
    }
}

async fn serve_terminal(
    mut socket: WebSocket,
    state: AppState,
    env: Environment,
    session: String,
    size: TermSize,
    _permit: OwnedSemaphorePermit,
) {
    let opened = terminal::open(&env, &state.config.docker.socket, &session, size).await;
    let terminal = match opened {
        Ok(terminal) => terminal,
        Err(err) => {
            tracing::warn!(task = %env.task, error = %err, "cannot open a terminal");
            let body = serde_json::json!({"type": "error", "error": err.to_string()});
            let _ = socket.send(Message::Text(body.to_string().into())).await;
            let _ = socket
                .send(close(close_code::ERROR, "the terminal could not be opened"))
                .await;
            return;
        }
    };
    bridge(socket, terminal, &state).await;
}

/// Pumps bytes both ways until the viewer leaves, the session ends or the server stops,
/// then ends this viewer's tmux client.
async fn bridge(socket: WebSocket, terminal: Terminal, state: &AppState) {
    let Terminal {
        mut output,
        mut input,
        closer,
        ..
    } = terminal;
    let (mut sink, mut stream) = socket.split();
    let outbound = async {
        // One chunk at a time: the next is read only once this one is sent, so a slow
        // viewer holds back tmux (which then skips frames for it), not our memory.
        while let Some(bytes) = output.next().await {
            match tokio::time::timeout(TERMINAL_SEND_TIMEOUT, sink.send(Message::Binary(bytes)))
                .await
            {
                Ok(Ok(())) => {}
                _ => return,
            }
        }
        let _ = tokio::time::timeout(
            TERMINAL_SEND_TIMEOUT,
            sink.send(close(close_code::NORMAL, "the session ended")),
        )
        .await;
    };
    let inbound = async {
        while let Some(Ok(message)) = stream.next().await {
            match message {
                Message::Binary(bytes) => {
                    if input.write(&bytes).await.is_err() {
                        return;
                    }
                }
                Message::Text(text) => match serde_json::from_str::<Control>(&text) {
                    Ok(Control::Resize { cols, rows }) => {
                        if let Err(err) = input.resize(TermSize::new(cols, rows)).await {
                            tracing::debug!(%err, "cannot resize a terminal");
                        }
                    }
                    // An unknown control message from a newer viewer is not worth a close.
                    Err(err) => tracing::debug!(%err, "ignoring a terminal control message"),
                },
                Message::Close(_) => return,
                // axum answers pings itself.
                Message::Ping(_) | Message::Pong(_) => {}
            }
        }
    };
    tokio::select! {
        _ = outbound => {}
        _ = inbound => {}
        _ = state.shutdown.cancelled() => {}
    }
    closer.close().await;
}

fn close(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}
