//! `/api/v1/groups/{name}/staff…`: appointing owners, moderators and community managers.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use super::extract::{group_for, Body};
use super::schema::{ErrorBody, RoleBody, StaffView};
use crate::accounts::Permission;
use crate::http::auth::ApiStaff;
use crate::http::error::ApiError;
use crate::http::AppState;

/// The group's staff, owners first.
#[utoipa::path(get, path = "/api/v1/groups/{name}/staff", tag = "staff",
    params(("name" = String, Path, description = "The group's name")),
    responses((status = 200, body = Vec<StaffView>), (status = 403, body = ErrorBody)))]
pub async fn list_staff(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
) -> Result<Json<Vec<StaffView>>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ViewGroup).await?;
    let list = state.fed.store().group_staff(group.id).await?;
    Ok(Json(list.into_iter().map(StaffView::from).collect()))
}

/// Give an account a role in the group (replacing any role it had there).
#[utoipa::path(put, path = "/api/v1/groups/{name}/staff/{username}", tag = "staff",
    request_body = RoleBody,
    params(("name" = String, Path, description = "The group's name"),
        ("username" = String, Path, description = "The account")),
    responses((status = 200, body = Vec<StaffView>), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn appoint(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path((name, username)): Path<(String, String)>,
    Body(body): Body<RoleBody>,
) -> Result<Json<Vec<StaffView>>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ManageStaff).await?;
    let store = state.fed.store();
    let account = store
        .account_by_username(&username.to_lowercase())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("there is no account named {username}")))?;
    store
        .set_group_role(group.id, account.id, body.role.into())
        .await?;
    let list = store.group_staff(group.id).await?;
    Ok(Json(list.into_iter().map(StaffView::from).collect()))
}

/// Take an account's role in the group away.
#[utoipa::path(delete, path = "/api/v1/groups/{name}/staff/{username}", tag = "staff",
    params(("name" = String, Path, description = "The group's name"),
        ("username" = String, Path, description = "The account")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn dismiss(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path((name, username)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ManageStaff).await?;
    let store = state.fed.store();
    let account = store
        .account_by_username(&username.to_lowercase())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("there is no account named {username}")))?;
    if store.remove_group_role(group.id, account.id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!(
            "{username} has no role in {}",
            group.name
        )))
    }
}
