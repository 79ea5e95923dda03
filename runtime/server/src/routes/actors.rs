use axum::Json;
use axum::extract::{Path, State};
use plinth_kernel::ActorInfo;

use crate::api_error::ApiError;
use crate::app_state::AppState;

pub async fn list(State(state): State<AppState>) -> Json<Vec<ActorInfo>> {
    Json(state.registry.snapshot())
}

/// By id (`7`) or by name (`root/projects`).
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ActorInfo>, ApiError> {
    state.registry.get(&id).map(Json).ok_or_else(|| {
        ApiError::not_found(format!("no actor {id:?}"))
            .with_hint("`plinth ps` lists the actors by id and name")
    })
}
