//! Errors of HTTP handlers. ActivityPub and discovery endpoints answer
//! `{"error": {"code", "message"}}`; pages render an HTML error page instead (see `pages`).
//! Internal failures are logged with their cause and reach clients only as "unavailable".

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::negotiate::json_with_type;

/// A JSON error response.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    /// A 404 with a message.
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: message.into(),
        }
    }

    /// A 400 with a message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
            message: message.into(),
        }
    }

    /// Any status, with a code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
}

impl From<hearth_storage::StoreError> for ApiError {
    fn from(err: hearth_storage::StoreError) -> Self {
        tracing::error!(error = %err, "store failure");
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "unavailable",
            message: "temporarily unavailable; try again later".into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        json_with_type(self.status, &body, "application/json")
    }
}
