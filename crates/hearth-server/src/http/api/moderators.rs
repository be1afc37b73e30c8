//! `/api/v1/groups/{name}/moderators`: moderators from other instances, listed in the group's
//! moderators collection and announced to its followers with `Add` and `Remove`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use hearth_federation::moderators::{add_moderator, remove_moderator, ModeratorError};
use hearth_storage::RemoteModerator;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{group_for, Body};
use super::schema::ErrorBody;
use crate::accounts::Permission;
use crate::http::auth::ApiStaff;
use crate::http::error::ApiError;
use crate::http::AppState;

/// A moderator from another instance.
#[derive(Serialize, ToSchema)]
pub struct ModeratorView {
    /// The actor's id.
    pub actor: String,
    /// `@user@host`, or the id when the username is unknown.
    pub handle: String,
    /// Who appointed them (`cli` or `staff:USERNAME`).
    pub added_by: String,
    /// Since when.
    pub added_at: String,
}

impl From<RemoteModerator> for ModeratorView {
    fn from(m: RemoteModerator) -> Self {
        ModeratorView {
            handle: m.handle(),
            actor: m.ap_id,
            added_by: m.added_by,
            added_at: hearth_federation::vocab::documents::format_time(m.created_at),
        }
    }
}

/// The actor to appoint or remove.
#[derive(Deserialize, ToSchema, IntoParams)]
pub struct ModeratorActor {
    /// The actor's id, e.g. `https://lemmy.example/u/alice`.
    pub actor: String,
}

fn moderator_error(e: ModeratorError) -> ApiError {
    match e {
        ModeratorError::Actor(_) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_actor", e.to_string())
        }
        ModeratorError::NotModerator(_) => ApiError::not_found(e.to_string()),
        ModeratorError::Store(store) => ApiError::from(store),
    }
}

/// The group's moderators from other instances.
#[utoipa::path(get, path = "/api/v1/groups/{name}/moderators", tag = "staff",
    params(("name" = String, Path, description = "The group's name")),
    responses((status = 200, body = Vec<ModeratorView>), (status = 403, body = ErrorBody)))]
pub async fn list_moderators(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
) -> Result<Json<Vec<ModeratorView>>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ManageStaff).await?;
    let list = state.fed.store().group_moderators(group.id).await?;
    Ok(Json(list.into_iter().map(ModeratorView::from).collect()))
}

/// Make an actor of another instance a moderator (fetched if unknown); the group's followers
/// are sent an `Add`.
#[utoipa::path(post, path = "/api/v1/groups/{name}/moderators", tag = "staff",
    request_body = ModeratorActor,
    params(("name" = String, Path, description = "The group's name")),
    responses((status = 200, body = Vec<ModeratorView>), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn add(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
    Body(body): Body<ModeratorActor>,
) -> Result<Json<Vec<ModeratorView>>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ManageStaff).await?;
    let by = format!("staff:{}", staff.account.username);
    add_moderator(&state.fed, &group, &body.actor, &by)
        .await
        .map_err(moderator_error)?;
    let list = state.fed.store().group_moderators(group.id).await?;
    Ok(Json(list.into_iter().map(ModeratorView::from).collect()))
}

/// Remove a moderator from another instance; the group's followers are sent a `Remove`.
#[utoipa::path(delete, path = "/api/v1/groups/{name}/moderators", tag = "staff",
    params(("name" = String, Path, description = "The group's name"), ModeratorActor),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
    Query(query): Query<ModeratorActor>,
) -> Result<StatusCode, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ManageStaff).await?;
    remove_moderator(&state.fed, &group, &query.actor)
        .await
        .map_err(moderator_error)?;
    Ok(StatusCode::NO_CONTENT)
}
