use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::app_state::AppState;

/// Exchanges the bearer token (already checked by the guard) for the session cookie, so a
/// page can drop the token from its address bar and rely on the HttpOnly cookie.
pub async fn create(State(state): State<AppState>) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, state.guard.session_cookie());
    response
}
