//! A task's git: bring its commits into the user's repository now (`POST
//! /api/tasks/{id}/sync`), and its changes against its base (`GET /api/tasks/{id}/diff`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use plinth_actors::tasks::{DiffReport, SyncError, SyncReport, SyncTask, TaskDiff, TaskError};

use crate::api_error::ApiError;
use crate::app_state::AppState;

fn sync_error(err: SyncError) -> ApiError {
    match err {
        SyncError::Task(TaskError::Unknown(_)) => ApiError::not_found(err.to_string())
            .with_hint("`plinth task list` (or GET /api/tasks) shows the tasks"),
        SyncError::NotRunning { .. } => ApiError::new(StatusCode::CONFLICT, err.to_string())
            .with_hint("a task's container is synced while it runs, and when it stops"),
        SyncError::NothingSynced { .. } | SyncError::NoBranch { .. } => {
            ApiError::new(StatusCode::CONFLICT, err.to_string())
        }
        _ => ApiError::internal(err),
    }
}

pub async fn sync(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<SyncReport>, ApiError> {
    let report = state
        .tasks
        .send(SyncTask { id })
        .await?
        .map_err(sync_error)?;
    Ok(Json(report))
}

pub async fn diff(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<DiffReport>, ApiError> {
    let report = state
        .tasks
        .send(TaskDiff { id })
        .await?
        .map_err(sync_error)?;
    Ok(Json(report))
}
