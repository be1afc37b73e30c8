//! `/api/v1/groups/{name}/members`, `…/requests` and `…/invites`: who is in a group, who is
//! asking to join, and who is invited.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use hearth_federation::groups::{decide_follow, invitation_actor};

use super::extract::{group_for, Body};
use super::schema::{
    next_offset, ActorBody, DecisionBody, ErrorBody, InviteView, ListQuery, MemberPage, MemberView,
};
use crate::accounts::Permission;
use crate::http::auth::ApiStaff;
use crate::http::error::ApiError;
use crate::http::AppState;

/// Members of a group, newest first, searchable by username, display name or instance.
#[utoipa::path(get, path = "/api/v1/groups/{name}/members", tag = "members",
    params(("name" = String, Path, description = "The group's name"), ListQuery),
    responses((status = 200, body = MemberPage), (status = 403, body = ErrorBody)))]
pub async fn list_members(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Json<MemberPage>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ViewGroup).await?;
    let (limit, offset) = query.window();
    let (members, total) = state
        .fed
        .store()
        .members_page(group.id, query.q.as_deref().unwrap_or(""), offset, limit)
        .await?;
    let items: Vec<MemberView> = members.into_iter().map(MemberView::from).collect();
    Ok(Json(MemberPage {
        next_offset: next_offset(offset, items.len(), total),
        items,
        total,
    }))
}

/// Join requests waiting for a decision, oldest first, with their answers.
#[utoipa::path(get, path = "/api/v1/groups/{name}/requests", tag = "members",
    params(("name" = String, Path, description = "The group's name")),
    responses((status = 200, body = Vec<MemberView>), (status = 403, body = ErrorBody)))]
pub async fn list_requests(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
) -> Result<Json<Vec<MemberView>>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ViewGroup).await?;
    let requests = state.fed.store().join_requests(group.id).await?;
    Ok(Json(requests.into_iter().map(MemberView::from).collect()))
}

/// Accept or reject a join request; the requester's server receives `Accept` or `Reject`.
#[utoipa::path(post, path = "/api/v1/groups/{name}/requests/decision", tag = "members",
    request_body = DecisionBody,
    params(("name" = String, Path, description = "The group's name")),
    responses((status = 204), (status = 404, body = ErrorBody, description = "No such pending request"),
        (status = 403, body = ErrorBody)))]
pub async fn decide_request(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
    Body(body): Body<DecisionBody>,
) -> Result<StatusCode, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ManageMembers).await?;
    decide_follow(&state.fed, &group, &body.actor, body.approve).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Actors invited to the group (for invite-only groups).
#[utoipa::path(get, path = "/api/v1/groups/{name}/invites", tag = "members",
    params(("name" = String, Path, description = "The group's name")),
    responses((status = 200, body = Vec<InviteView>), (status = 403, body = ErrorBody)))]
pub async fn list_invites(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
) -> Result<Json<Vec<InviteView>>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ViewGroup).await?;
    let invites = state.fed.store().invites(group.id).await?;
    Ok(Json(invites.into_iter().map(InviteView::from).collect()))
}

/// Invite an actor: their follow of an invite-only group is then accepted.
#[utoipa::path(post, path = "/api/v1/groups/{name}/invites", tag = "members",
    request_body = ActorBody,
    params(("name" = String, Path, description = "The group's name")),
    responses((status = 204), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_invite(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
    Body(body): Body<ActorBody>,
) -> Result<StatusCode, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ManageMembers).await?;
    let actor = invitation_actor(&body.actor)?;
    state
        .fed
        .store()
        .add_invite(group.id, &actor, Some(staff.account.id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Withdraw an invitation.
#[utoipa::path(delete, path = "/api/v1/groups/{name}/invites", tag = "members",
    params(("name" = String, Path, description = "The group's name"), ActorBody),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn delete_invite(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
    Query(query): Query<ActorBody>,
) -> Result<StatusCode, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ManageMembers).await?;
    if state
        .fed
        .store()
        .remove_invite(group.id, &query.actor)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!(
            "{} is not invited to {}",
            query.actor, group.name
        )))
    }
}
