//! Content negotiation: ActivityPub JSON for fediverse software, HTML for browsers.

use axum::http::header::{ACCEPT, CONTENT_TYPE, VARY};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// Whether the client prefers an HTML page to ActivityPub JSON.
pub fn wants_html(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    accept.contains("text/html") && !accept.contains("activity+json") && !accept.contains("ld+json")
}

/// An ActivityPub JSON response.
pub fn activity_json(doc: &Value) -> Response {
    json_with_type(
        StatusCode::OK,
        doc,
        "application/activity+json; charset=utf-8",
    )
}

/// A JSON response with a given media type, varying on `Accept`.
pub fn json_with_type(status: StatusCode, doc: &Value, media_type: &'static str) -> Response {
    let mut response = (status, doc.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(media_type));
    headers.insert(VARY, HeaderValue::from_static("Accept"));
    response
}
