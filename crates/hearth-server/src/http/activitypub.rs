//! ActivityPub endpoints: actors, collections and inboxes.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use hearth_federation::inbox::{Accepted, InboxRequest};
use hearth_federation::vocab::collections::{ordered_collection, ordered_collection_page};
use hearth_federation::vocab::documents::{group_actor, instance_actor as instance_doc};
use hearth_storage::Group;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::metrics::inbox::InboxOutcome;

use super::error::ApiError;
use super::negotiate::{activity_json, json_with_type, wants_html};
use super::{pages, AppState};

/// Followers listed per collection page.
const FOLLOWERS_PER_PAGE: i64 = 50;
/// Activities per outbox page.
const OUTBOX_PER_PAGE: i64 = 20;

async fn find_group(state: &AppState, name: &str) -> Result<Group, ApiError> {
    state
        .fed
        .store()
        .group_by_name(name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("there is no group named {name} here")))
}

/// `GET /actor`: the instance actor.
pub async fn instance_actor(State(state): State<AppState>) -> Response {
    activity_json(&instance_doc(
        state.fed.urls(),
        state.fed.instance_public_key_pem(),
    ))
}

/// `GET /groups/{name}`: the Group actor, or its page for browsers.
pub async fn group(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    if wants_html(&headers) {
        return pages::group_page(&state, &name).await;
    }
    match find_group(&state, &name).await {
        Ok(group) => activity_json(&group_actor(&group, state.fed.urls())),
        Err(err) => err.into_response(),
    }
}

/// Pagination parameters of collections.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    page: Option<String>,
    before: Option<i64>,
}

/// `GET /groups/{name}/followers`: accepted followers, paginated, oldest first.
pub async fn followers(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let group = find_group(&state, &name).await?;
    let store = state.fed.store();
    let id = state.fed.urls().group_followers(&group.name).to_string();
    let total = store.count_followers(group.id).await?;
    let Some(page) = query.page else {
        return Ok(activity_json(&ordered_collection(
            &id,
            total,
            Some(format!("{id}?page=1")),
        )));
    };
    let page: i64 = page
        .parse()
        .ok()
        .filter(|p| *p >= 1)
        .ok_or_else(|| ApiError::bad_request("page must be a number from 1"))?;
    let rows = store
        .followers_page(
            group.id,
            (page - 1) * FOLLOWERS_PER_PAGE,
            FOLLOWERS_PER_PAGE,
        )
        .await?;
    let next = (page * FOLLOWERS_PER_PAGE < total).then(|| format!("{id}?page={}", page + 1));
    let items = rows.into_iter().map(|f| Value::String(f.ap_id)).collect();
    Ok(activity_json(&ordered_collection_page(
        &format!("{id}?page={page}"),
        &id,
        total,
        items,
        next,
    )))
}

/// `GET /groups/{name}/outbox`: the group's public activities, newest first.
pub async fn outbox(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let group = find_group(&state, &name).await?;
    let store = state.fed.store();
    let id = state.fed.urls().group_outbox(&group.name).to_string();
    let total = store.count_outbox(group.id).await?;
    if query.page.is_none() && query.before.is_none() {
        return Ok(activity_json(&ordered_collection(
            &id,
            total,
            Some(format!("{id}?page=true")),
        )));
    }
    let rows = store
        .outbox_page(group.id, query.before, OUTBOX_PER_PAGE)
        .await?;
    let next = (rows.len() as i64 == OUTBOX_PER_PAGE)
        .then(|| rows.last().map(|last| format!("{id}?before={}", last.id)))
        .flatten();
    let page_id = match query.before {
        Some(before) => format!("{id}?before={before}"),
        None => format!("{id}?page=true"),
    };
    let items = rows
        .into_iter()
        .filter_map(|row| serde_json::from_str::<Value>(&row.body).ok())
        .map(|mut activity| {
            if let Some(map) = activity.as_object_mut() {
                map.remove("@context");
            }
            activity
        })
        .collect();
    Ok(activity_json(&ordered_collection_page(
        &page_id, &id, total, items, next,
    )))
}

/// `GET /groups/{name}/featured`: the ids of the pinned posts, latest pin first.
pub async fn featured(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let group = find_group(&state, &name).await?;
    let id = state.fed.urls().group_featured(&group.name).to_string();
    let pinned = state.fed.store().pinned_posts(group.id).await?;
    let own = state.fed.store().pinned_group_posts(group.id).await?;
    let own_ids: Vec<String> = own
        .iter()
        .map(|p| {
            hearth_federation::group_posts::document::object_id(state.fed.urls(), &group, p.id)
        })
        .collect();
    let items: Vec<&str> = own_ids
        .iter()
        .map(String::as_str)
        .chain(pinned.iter().map(|p| p.ap_id.as_str()))
        .collect();
    let mut doc = ordered_collection(&id, items.len() as i64, None);
    doc["orderedItems"] = json!(items);
    Ok(activity_json(&doc))
}

/// `GET /groups/{name}/moderators`: the group's moderators (its `attributedTo`).
pub async fn moderators(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let group = find_group(&state, &name).await?;
    let id = state.fed.urls().group_moderators(&group.name).to_string();
    let moderators = state.fed.store().group_moderators(group.id).await?;
    let items: Vec<&str> = moderators.iter().map(|m| m.ap_id.as_str()).collect();
    let mut doc = ordered_collection(&id, items.len() as i64, None);
    doc["orderedItems"] = json!(items);
    Ok(activity_json(&doc))
}

/// `GET /actor/outbox`: the instance actor posts nothing.
pub async fn instance_outbox(State(state): State<AppState>) -> Response {
    let id = format!("{}/outbox", state.fed.urls().instance_actor());
    let mut doc = ordered_collection(&id, 0, None);
    doc["orderedItems"] = json!([]);
    activity_json(&doc)
}

/// The body of an inbox POST; over the limit is a 413 in the JSON error shape.
type InboxBody = Result<Bytes, BytesRejection>;

/// Answers an inbox POST whose body could not be read, and counts it as refused.
fn unreadable_body(state: &AppState, error: ApiError) -> Response {
    let response = error.into_response();
    state.metrics.inbox.unreadable(response.status().as_u16());
    response
}

fn body_or_error(body: InboxBody) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        let status = rejection.status();
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "the body is larger than this server accepts".to_owned()
        } else {
            rejection.body_text()
        };
        ApiError::new(status, "bad_body", message)
    })
}

/// `POST /inbox`: the shared inbox.
pub async fn shared_inbox(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: InboxBody,
) -> Response {
    match body_or_error(body) {
        Ok(body) => receive(&state, None, &method, &uri, &headers, &body).await,
        Err(error) => unreadable_body(&state, error),
    }
}

/// `POST /groups/{name}/inbox`: a group's inbox.
pub async fn group_inbox(
    State(state): State<AppState>,
    Path(name): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: InboxBody,
) -> Response {
    match body_or_error(body) {
        Ok(body) => receive(&state, Some(&name), &method, &uri, &headers, &body).await,
        Err(error) => unreadable_body(&state, error),
    }
}

async fn receive(
    state: &AppState,
    group: Option<&str>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let started = std::time::Instant::now();
    let path_and_query = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/inbox");
    let request = InboxRequest {
        method: method.as_str(),
        path_and_query,
        headers,
        body,
        group,
    };
    match state.fed.receive(request).await {
        Ok(accepted) => {
            let (status, detail, outcome) = match &accepted {
                Accepted::Processed(detail) => {
                    ("accepted", detail.as_str(), InboxOutcome::Accepted)
                }
                Accepted::Duplicate => ("duplicate", "already processed", InboxOutcome::Duplicate),
                Accepted::Ignored(detail) => ("ignored", detail.as_str(), InboxOutcome::Ignored),
            };
            state.metrics.inbox.record(body, outcome, started.elapsed());
            tracing::info!(inbox = path_and_query, status, detail, "inbox");
            json_with_type(
                StatusCode::ACCEPTED,
                &json!({"status": status, "detail": detail}),
                "application/json",
            )
        }
        Err(rejection) => {
            tracing::info!(inbox = path_and_query, status = rejection.status, reason = %rejection.reason, "inbox refused");
            let status = StatusCode::from_u16(rejection.status).unwrap_or(StatusCode::BAD_REQUEST);
            let outcome = InboxOutcome::Refused(status.as_u16());
            state.metrics.inbox.record(body, outcome, started.elapsed());
            let code = match rejection.status {
                400 => "bad_request",
                401 => "unauthorized",
                403 => "forbidden",
                404 => "not_found",
                422 => "unprocessable",
                429 => "rate_limited",
                _ => "unavailable",
            };
            ApiError::new(status, code, rejection.reason).into_response()
        }
    }
}
