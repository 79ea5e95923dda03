//! The HTTP API. Every route sits behind [`crate::guard`].

mod actors;
mod agents;
mod environments;
mod events;
mod health;
mod projects;
mod scrollback;
mod session;
mod task_git;
mod tasks;
mod terminal;
mod ttyd;
pub mod ui;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{get, post};

use crate::api_error::ApiError;
use crate::app_state::AppState;
use crate::guard;

pub use terminal::{all_closed as terminals_closed, slots as terminal_slots};

/// Method and path of every route, with a concrete example path; the auth tests walk this
/// list, and `docs/architecture.md` mirrors it.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/health"),
    ("POST", "/api/session"),
    ("GET", "/api/actors"),
    ("GET", "/api/actors/root"),
    ("GET", "/api/events"),
    ("POST", "/api/events"),
    ("GET", "/api/projects"),
    ("POST", "/api/projects"),
    ("GET", "/api/environments"),
    ("GET", "/api/tasks"),
    ("POST", "/api/tasks"),
    ("GET", "/api/tasks/t-1"),
    ("POST", "/api/tasks/t-1/messages"),
    ("POST", "/api/tasks/t-1/answer"),
    ("POST", "/api/tasks/t-1/stop"),
    ("POST", "/api/tasks/t-1/resume"),
    ("POST", "/api/tasks/t-1/archive"),
    ("POST", "/api/tasks/t-1/budget"),
    ("GET", "/api/tasks/t1/scrollback"),
    ("POST", "/api/tasks/t-1/sync"),
    ("GET", "/api/tasks/t-1/diff"),
    ("GET", "/api/tasks/t1/terminal"),
    ("GET", "/api/tasks/t1/ttyd/agent/"),
];

pub fn router(state: AppState) -> Router {
    let guard = Arc::clone(&state.guard);
    Router::new()
        .route("/api/health", get(health::show))
        .route("/api/session", post(session::create))
        .route("/api/actors", get(actors::list_or_stream))
        .route("/api/agents", get(agents::list))
        .route("/api/actors/{id}", get(actors::show))
        .route(
            "/api/events",
            get(events::list_or_stream).post(events::append),
        )
        .route(
            "/api/projects",
            get(projects::list).post(projects::register),
        )
        .route("/api/environments", get(environments::list))
        .route("/api/tasks", get(tasks::list).post(tasks::create))
        .route("/api/tasks/{id}", get(tasks::show))
        .route("/api/tasks/{id}/messages", post(tasks::message))
        .route("/api/tasks/{id}/answer", post(tasks::answer))
        .route("/api/tasks/{id}/stop", post(tasks::stop))
        .route("/api/tasks/{id}/resume", post(tasks::resume))
        .route("/api/tasks/{id}/archive", post(tasks::archive))
        .route("/api/tasks/{id}/budget", post(tasks::budget))
        .route("/api/tasks/{id}/scrollback", get(scrollback::show))
        .route("/api/tasks/{id}/sync", post(task_git::sync))
        .route("/api/tasks/{id}/diff", get(task_git::diff))
        .route("/api/tasks/{id}/terminal", get(terminal::attach))
        .route("/api/tasks/{id}/ttyd/{session}/", get(ttyd::proxy))
        .route("/api/tasks/{id}/ttyd/{session}/{*rest}", get(ttyd::proxy))
        .fallback(fallback)
        .with_state(state)
        .layer(DefaultBodyLimit::max(crate::limits::API_BODY_LIMIT))
        .layer(middleware::from_fn_with_state(guard, guard::check))
}

/// Outside `/api/`, a GET is the browser UI's (its files, or its page for its own routes).
async fn fallback(method: axum::http::Method, uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    if ui::is_ui_request(&method, &uri) {
        return ui::serve(uri).await;
    }
    not_found(uri).await.into_response()
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!("no route for {}", uri.path()))
        .with_hint("the API lives under /api; see docs/architecture.md")
}
