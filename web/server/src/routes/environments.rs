//! Every task's environment, the containers labelled as ours that no task owns, whether
//! Docker can be reached, and which sandbox a new task gets by default: what a browser needs
//! to say where tasks run before it starts one.

use axum::Json;
use axum::extract::State;
use plinth_actors::environments::ListEnvironments;
use plinth_actors::environments::docker::container::TaskContainer;
use plinth_actors::environments::record::EnvironmentInfo;
use plinth_actors::task_inputs::Sandbox;
use serde::Serialize;

use crate::api_error::ApiError;
use crate::app_state::AppState;

#[derive(Serialize)]
pub struct EnvironmentsView {
    environments: Vec<EnvironmentInfo>,
    orphans: Vec<TaskContainer>,
    /// Why Docker cannot be reached, when it cannot (tasks can still run `--sandbox local`).
    docker_error: Option<String>,
    default_sandbox: Sandbox,
}

pub async fn list(State(state): State<AppState>) -> Result<Json<EnvironmentsView>, ApiError> {
    let listing = state.environments.send(ListEnvironments).await?;
    Ok(Json(EnvironmentsView {
        environments: listing.environments,
        orphans: listing.orphans,
        docker_error: listing.docker_error,
        default_sandbox: state.config.sandbox.default,
    }))
}
