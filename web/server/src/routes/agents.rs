//! The agent adapters a task can name, for the browser's new-task form: built in first, then
//! those added with `plinth agents add`, each saying whether it loads.

use axum::Json;
use axum::extract::State;
use plinth_actors::agents::AgentView;

use crate::api_error::ApiError;
use crate::app_state::AppState;

pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<AgentView>>, ApiError> {
    // The first listing compiles the built-in components (cached on disk after that).
    let catalog = state.agents.clone();
    let listings = tokio::task::spawn_blocking(move || catalog.list())
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    Ok(Json(listings.into_iter().map(AgentView::from).collect()))
}
