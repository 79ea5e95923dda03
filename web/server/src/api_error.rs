//! Errors as the API returns them: a status and a JSON body that says what failed and,
//! where there is one, what to do about it.

use crate::limits::API_BODY_LIMIT;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct ApiError {
    #[serde(skip)]
    pub status: StatusCode,
    pub error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, error: impl Into<String>) -> Self {
        ApiError {
            status,
            error: error.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn bad_request(error: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, error)
    }

    pub fn not_found(error: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, error)
    }

    pub fn internal(error: impl std::fmt::Display) -> Self {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
    }

    pub fn unavailable(error: impl std::fmt::Display) -> Self {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, error.to_string())
    }
}

impl From<JsonRejection> for ApiError {
    /// A body over [`API_BODY_LIMIT`] is 413 naming the limit; any other unreadable body is 400
    /// with what serde or axum found wrong.
    fn from(err: JsonRejection) -> Self {
        if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the request body is over plinth's limit of {} MiB",
                    API_BODY_LIMIT / (1024 * 1024)
                ),
            )
            .with_hint(
                "send less: a long prompt or message can point at a file in the repository instead",
            );
        }
        ApiError::bad_request(err.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(&self)).into_response()
    }
}

impl From<plinth_store::StoreError> for ApiError {
    fn from(err: plinth_store::StoreError) -> Self {
        ApiError::unavailable(format!("the store failed: {err}"))
    }
}

impl From<plinth_kernel::SendError> for ApiError {
    fn from(err: plinth_kernel::SendError) -> Self {
        ApiError::unavailable(err).with_hint(
            "the actor is being restarted by its supervisor; retry in a moment, or see `plinth ps`",
        )
    }
}
