//! `POST /tasks/{task}/hooks/{name}`: a hook the task's agent ran (Claude Code's hooks post
//! their input here with curl), handed to the task service.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use plinth_actors::tasks::{DeliverHook, TaskError};

use super::SandboxState;
use crate::api_error::ApiError;

pub async fn post(
    State(state): State<SandboxState>,
    Path((task, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let token = crate::guard::bearer_token(&headers).unwrap_or_default();
    if !state.keys.verify(&task, token) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "this endpoint needs the task's own token (PLINTH_HOOK_TOKEN)",
        ));
    }
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ApiError::bad_request(format!(
            "{name:?} is not a hook name"
        )));
    }
    let body = String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::bad_request("a hook's input is JSON text, not binary"))?;
    state
        .tasks
        .send(DeliverHook {
            id: task,
            name,
            body,
        })
        .await?
        .map_err(|err| match err {
            TaskError::Unknown(_) => ApiError::not_found(err.to_string()),
            other => ApiError::internal(other),
        })?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!("no sandbox endpoint {}", uri.path()))
}
