//! `/api/v1/groups/{name}/held…`: posts waiting for a moderator's review.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use hearth_federation::review::{decide_held_post, ReviewError};

use super::extract::{group_for, Body};
use super::schema::{ErrorBody, HeldPostView, ReviewBody};
use crate::accounts::Permission;
use crate::http::auth::ApiStaff;
use crate::http::error::ApiError;
use crate::http::AppState;

/// Posts waiting for review, oldest first.
#[utoipa::path(get, path = "/api/v1/groups/{name}/held", tag = "members",
    params(("name" = String, Path, description = "The group's name")),
    responses((status = 200, body = Vec<HeldPostView>), (status = 403, body = ErrorBody)))]
pub async fn list_held(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
) -> Result<Json<Vec<HeldPostView>>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ReviewPosts).await?;
    let held = state.fed.store().open_held_posts(group.id).await?;
    Ok(Json(held.into_iter().map(HeldPostView::from).collect()))
}

/// Publish or reject a held post. Publishing announces it to the group's followers;
/// rejecting sends its author a direct message from the group with the reason.
#[utoipa::path(post, path = "/api/v1/groups/{name}/held/{id}/decision", tag = "members",
    request_body = ReviewBody,
    params(("name" = String, Path, description = "The group's name"),
        ("id" = i64, Path, description = "The held post")),
    responses((status = 200, body = HeldPostView), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn decide_held(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path((name, id)): Path<(String, i64)>,
    Body(body): Body<ReviewBody>,
) -> Result<Json<HeldPostView>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ReviewPosts).await?;
    let by = format!("staff:{}", staff.account.username);
    let held = decide_held_post(&state.fed, &group, id, body.approve, &by, &body.reason)
        .await
        .map_err(|e| match e {
            ReviewError::NotFound(_) => ApiError::not_found(e.to_string()),
            ReviewError::Store(store) => ApiError::from(store),
            ReviewError::Corrupt(..) => {
                tracing::error!(error = %e, "held post");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "corrupt", e.to_string())
            }
        })?;
    Ok(Json(held.into()))
}
