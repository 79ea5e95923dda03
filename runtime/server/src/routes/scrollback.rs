//! A task's persisted terminal scrollback: what each of its tmux sessions last showed, as
//! captured into the store by the environment manager. It is there after the task's
//! container is gone, which is its point.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use plinth_store::Scrollback;
use serde::Deserialize;

use crate::api_error::ApiError;
use crate::app_state::AppState;

#[derive(Deserialize)]
pub struct ScrollbackQuery {
    /// Only this stream (a session's short name, e.g. `agent`).
    stream: Option<String>,
}

/// Every stream of the task, ordered by name; empty when nothing was captured (yet).
pub async fn show(
    State(state): State<AppState>,
    Path(task): Path<String>,
    query: Result<Query<ScrollbackQuery>, QueryRejection>,
) -> Result<Json<Vec<Scrollback>>, ApiError> {
    let Query(query) = query.map_err(|err| ApiError::bad_request(err.body_text()))?;
    let store = state.store.clone();
    let rows = tokio::task::spawn_blocking(move || match query.stream {
        Some(stream) => store
            .scrollback_stream(&task, &stream)
            .map(|row| row.into_iter().collect()),
        None => store.scrollback(&task),
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(Json(rows))
}
