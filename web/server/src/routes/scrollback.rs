//! A task's persisted terminal scrollback: what each of its tmux sessions last showed, as
//! captured into the store by the environment manager. It is there after the task's
//! container is gone, which is its point.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use plinth_actors::tasks::{GetTask, TaskError};
use plinth_store::Scrollback;
use serde::Deserialize;

use crate::api_error::ApiError;
use crate::app_state::AppState;

#[derive(Deserialize)]
pub struct ScrollbackQuery {
    /// Only this stream (a session's short name, e.g. `agent`).
    stream: Option<String>,
}

/// Every stream of the task, ordered by name; empty when nothing was captured (yet). An id
/// that is no task's and has nothing captured is 404: a wrong id is not an empty screen.
pub async fn show(
    State(state): State<AppState>,
    Path(task): Path<String>,
    query: Result<Query<ScrollbackQuery>, QueryRejection>,
) -> Result<Json<Vec<Scrollback>>, ApiError> {
    let Query(query) = query.map_err(|err| ApiError::bad_request(err.body_text()))?;
    let store = state.store.clone();
    let id = task.clone();
    let rows = tokio::task::spawn_blocking(move || match query.stream {
        Some(stream) => store
            .scrollback_stream(&id, &stream)
            .map(|row| row.into_iter().collect()),
        None => store.scrollback(&id),
    })
    .await
    .map_err(ApiError::internal)??;
    if rows.is_empty() {
        let known = state.tasks.send(GetTask { id: task.clone() }).await?;
        if let Err(TaskError::Unknown(_)) = known {
            return Err(ApiError::not_found(format!("no task {task}"))
                .with_hint("`plinth task list` (or GET /api/tasks) shows the tasks"));
        }
    }
    Ok(Json(rows))
}
