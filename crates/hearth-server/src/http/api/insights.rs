//! `/api/v1/groups/{name}/insights` and `/api/v1/insights`: the insights report as JSON, for a
//! group's staff and for instance admins (the same data as the staff pages' insights).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use hearth_storage::InsightScope;

use super::extract::group_for;
use super::schema::ErrorBody;
use crate::accounts::Permission;
use crate::http::auth::ApiStaff;
use crate::http::error::ApiError;
use crate::http::AppState;
use crate::insights::{today, RangeQuery, Report};

async fn report(
    state: &AppState,
    group: Option<&str>,
    scope: InsightScope,
    query: &RangeQuery,
) -> Result<Json<Report>, ApiError> {
    let range = query.range(today()).map_err(|message| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_range", message)
    })?;
    Ok(Json(
        Report::build(state.fed.store(), group, scope, range).await?,
    ))
}

/// A group's insights for a range of days: headline numbers with their change since the
/// previous period, day-by-day counts, join cohorts, top and unanswered threads, busiest
/// hours, members by instance and software, moderation speed and delivery health.
/// For the group's staff.
#[utoipa::path(get, path = "/api/v1/groups/{name}/insights", tag = "insights",
    params(("name" = String, Path, description = "The group's name"), RangeQuery),
    responses(
        (status = 200, description = "The insights report", body = Object),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "A bad date, or a range outside the data kept", body = ErrorBody)))]
pub async fn group_insights(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
    Query(query): Query<RangeQuery>,
) -> Result<Json<Report>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ViewGroup).await?;
    report(
        &state,
        Some(&group.name),
        InsightScope::Group(group.id),
        &query,
    )
    .await
}

/// Insights of every group together, for instance admins.
#[utoipa::path(get, path = "/api/v1/insights", tag = "insights",
    params(RangeQuery),
    responses(
        (status = 200, description = "The insights report", body = Object),
        (status = 403, body = ErrorBody),
        (status = 422, description = "A bad date, or a range outside the data kept", body = ErrorBody)))]
pub async fn instance_insights(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Query(query): Query<RangeQuery>,
) -> Result<Json<Report>, ApiError> {
    staff.require(Permission::AdministerInstance, None)?;
    report(&state, None, InsightScope::Instance, &query).await
}
