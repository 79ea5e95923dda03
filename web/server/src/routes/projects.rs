use std::path::PathBuf;

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use plinth_actors::projects::{ListProjects, Project, RegisterProject};
use serde::Deserialize;

use crate::api_error::ApiError;
use crate::app_state::AppState;

pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<Project>>, ApiError> {
    let projects = state.projects.send(ListProjects).await?;
    Ok(Json(projects.map_err(ApiError::internal)?))
}

#[derive(Deserialize)]
pub struct RegisterBody {
    path: PathBuf,
}

pub async fn register(
    State(state): State<AppState>,
    body: Result<Json<RegisterBody>, JsonRejection>,
) -> Result<Json<Project>, ApiError> {
    let Json(body) = body.map_err(ApiError::from)?;
    let project = state
        .projects
        .send(RegisterProject { path: body.path })
        .await?
        .map_err(|err| ApiError::bad_request(err.to_string()))?;
    Ok(Json(project))
}
