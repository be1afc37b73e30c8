//! The `/metrics` route: on the public router when only a token guards it, or alone on a
//! listener of its own when `metrics_bind` is set.

use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::Exposure;
use crate::http::AppState;

/// The OpenMetrics text format's content type.
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// `/metrics` for the public router, when it is to be served there; otherwise no route.
pub fn public_routes(state: &AppState) -> Router<AppState> {
    match state.metrics.exposure() {
        Exposure::Public => Router::new().route("/metrics", get(scrape)),
        Exposure::Off | Exposure::Separate(_) => Router::new(),
    }
}

/// The whole app of the separate metrics listener: `/metrics`, and 404 for anything else.
pub fn listener_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(state)
}

/// `GET /metrics`.
async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let authorization = headers.get(AUTHORIZATION).map(|value| value.as_bytes());
    if !state.metrics.authorized(authorization) {
        return (
            StatusCode::UNAUTHORIZED,
            [(WWW_AUTHENTICATE, "Bearer")],
            "metrics need the header Authorization: Bearer <metrics_token>\n",
        )
            .into_response();
    }
    match state.metrics.render(state.fed.store()).await {
        Ok(text) => ([(CONTENT_TYPE, OPENMETRICS)], text).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "cannot encode metrics");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
