//! `/api/v1/federation/subscriptions…`: shared blocklists kept current (instance admins only).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use hearth_federation::subscriptions::{checked_subscription, SubscriptionError};

use super::extract::Body;
use super::schema::{ErrorBody, NewSubscriptionBody, SubscriptionReportView, SubscriptionView};
use crate::accounts::Permission;
use crate::http::auth::ApiStaff;
use crate::http::error::ApiError;
use crate::http::AppState;

/// Default refresh interval: six hours.
const DEFAULT_REFRESH_SECS: i64 = 6 * 3600;

impl From<SubscriptionError> for ApiError {
    fn from(err: SubscriptionError) -> Self {
        let message = err.to_string();
        match err {
            SubscriptionError::List(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "list_unusable", message)
            }
            SubscriptionError::NotFound(_) => ApiError::not_found(message),
            SubscriptionError::Duplicate(_) => {
                ApiError::new(StatusCode::CONFLICT, "taken", message)
            }
            SubscriptionError::Store(store) => ApiError::from(store),
        }
    }
}

/// Every subscription, with its last fetch and error.
#[utoipa::path(get, path = "/api/v1/federation/subscriptions", tag = "federation",
    responses((status = 200, body = Vec<SubscriptionView>), (status = 403, body = ErrorBody)))]
pub async fn list_subscriptions(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
) -> Result<Json<Vec<SubscriptionView>>, ApiError> {
    staff.require(Permission::AdministerInstance, None)?;
    let subs = state.fed.store().blocklist_subscriptions().await?;
    Ok(Json(subs.into_iter().map(SubscriptionView::from).collect()))
}

/// Subscribe to a list: it is fetched first (a list that cannot be fetched or read is not
/// subscribed to) and, unless it is a draft, applied at once.
#[utoipa::path(post, path = "/api/v1/federation/subscriptions", tag = "federation",
    request_body = NewSubscriptionBody,
    responses((status = 201, body = SubscriptionReportView), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "The list cannot be fetched or read"),
        (status = 403, body = ErrorBody)))]
pub async fn subscribe(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Body(body): Body<NewSubscriptionBody>,
) -> Result<(StatusCode, Json<SubscriptionReportView>), ApiError> {
    staff.require(Permission::AdministerInstance, None)?;
    let new = checked_subscription(
        &body.url,
        body.priority,
        body.draft,
        &body.excludes,
        body.refresh_secs.unwrap_or(DEFAULT_REFRESH_SECS),
        &format!("staff:{}", staff.account.username),
    )?;
    let report = state.fed.subscribe_blocklist(new).await?;
    Ok((StatusCode::CREATED, Json(report.into())))
}

/// Fetch a list now and apply what changed. When it cannot be fetched or read, the last good
/// copy stays in force and the error is recorded.
#[utoipa::path(post, path = "/api/v1/federation/subscriptions/{id}/refresh", tag = "federation",
    params(("id" = i64, Path, description = "The subscription")),
    responses((status = 200, body = SubscriptionReportView), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn refresh(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
) -> Result<Json<SubscriptionReportView>, ApiError> {
    staff.require(Permission::AdministerInstance, None)?;
    Ok(Json(state.fed.refresh_subscription(id).await?.into()))
}

/// Let a draft take effect.
#[utoipa::path(post, path = "/api/v1/federation/subscriptions/{id}/activate", tag = "federation",
    params(("id" = i64, Path, description = "The subscription")),
    responses((status = 200, body = SubscriptionReportView), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn activate(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
) -> Result<Json<SubscriptionReportView>, ApiError> {
    staff.require(Permission::AdministerInstance, None)?;
    Ok(Json(state.fed.activate_subscription(id).await?.into()))
}

/// Unsubscribe: what only this list held is lifted.
#[utoipa::path(delete, path = "/api/v1/federation/subscriptions/{id}", tag = "federation",
    params(("id" = i64, Path, description = "The subscription")),
    responses((status = 200, body = SubscriptionReportView), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn unsubscribe(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
) -> Result<Json<SubscriptionReportView>, ApiError> {
    staff.require(Permission::AdministerInstance, None)?;
    Ok(Json(state.fed.unsubscribe(id).await?.into()))
}
