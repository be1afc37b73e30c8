//! `/api/v1/groups…`: creating, reading and editing groups, their rules and images.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use hearth_federation::groups::{self, GroupRequest};
use hearth_storage::{GroupEdit, PostingPolicy, RuleInput};

use super::extract::{group_for, Body};
use super::schema::{
    next_offset, ErrorBody, GroupPage, GroupPatch, GroupView, ListQuery, NewGroupBody, RuleBody,
    RuleView,
};
use crate::accounts::Permission;
use crate::http::auth::ApiStaff;
use crate::http::error::ApiError;
use crate::http::AppState;
use crate::uploads::{set_group_image, ImagePurpose};

/// The groups the caller can manage (all of them, for instance admins), by name.
#[utoipa::path(get, path = "/api/v1/groups", tag = "groups", params(ListQuery),
    responses((status = 200, body = GroupPage), (status = 401, body = ErrorBody)))]
pub async fn list_groups(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Query(query): Query<ListQuery>,
) -> Result<Json<GroupPage>, ApiError> {
    let store = state.fed.store();
    let needle = query.q.as_deref().unwrap_or("").to_lowercase();
    let mut visible = Vec::new();
    for summary in store.list_groups().await? {
        let matches = needle.is_empty()
            || summary.name.contains(&needle)
            || summary.title.to_lowercase().contains(&needle);
        if !matches {
            continue;
        }
        if let Some(group) = store.group_by_id(summary.id).await? {
            if staff.can(Permission::ViewGroup, Some(&group)) {
                visible.push(group);
            }
        }
    }
    let (limit, offset) = query.window();
    let total = visible.len() as i64;
    let items: Vec<GroupView> = visible
        .iter()
        .skip(offset as usize)
        .take(limit as usize)
        .map(|g| GroupView::new(g, state.fed.urls()))
        .collect();
    Ok(Json(GroupPage {
        next_offset: next_offset(offset, items.len(), total),
        items,
        total,
    }))
}

/// Create a group (instance admins only).
#[utoipa::path(post, path = "/api/v1/groups", tag = "groups", request_body = NewGroupBody,
    responses((status = 201, body = GroupView), (status = 409, body = ErrorBody, description = "The name is taken"),
        (status = 422, body = ErrorBody, description = "A name WebFinger cannot carry, or a field out of bounds"),
        (status = 403, body = ErrorBody)))]
pub async fn create_group(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Body(body): Body<NewGroupBody>,
) -> Result<(StatusCode, Json<GroupView>), ApiError> {
    staff.require(Permission::AdministerInstance, None)?;
    let group = groups::create_group(
        state.fed.store(),
        GroupRequest {
            name: body.name,
            title: body.title,
            summary: body.summary,
            posting_policy: body
                .posting
                .map(PostingPolicy::from)
                .unwrap_or(PostingPolicy::Followers),
            join_mode: body.join_mode.map(Into::into).unwrap_or_default(),
            discoverable: body.discoverable.unwrap_or(true),
            language: body.language,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(GroupView::new(&group, state.fed.urls())),
    ))
}

/// One group.
#[utoipa::path(get, path = "/api/v1/groups/{name}", tag = "groups",
    params(("name" = String, Path, description = "The group's name")),
    responses((status = 200, body = GroupView), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn get_group(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
) -> Result<Json<GroupView>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ViewGroup).await?;
    Ok(Json(GroupView::new(&group, state.fed.urls())))
}

/// Edit a group (owners and instance admins). Followers receive `Update` of the Group.
#[utoipa::path(patch, path = "/api/v1/groups/{name}", tag = "groups", request_body = GroupPatch,
    params(("name" = String, Path, description = "The group's name")),
    responses((status = 200, body = GroupView), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn update_group(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
    Body(patch): Body<GroupPatch>,
) -> Result<Json<GroupView>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::EditGroup).await?;
    let edit = GroupEdit {
        title: patch.title,
        summary: patch.summary,
        posting_policy: patch.posting.map(Into::into),
        join_mode: patch.join_mode.map(Into::into),
        join_questions: patch.join_questions,
        discoverable: patch.discoverable,
        language: patch.language,
        premoderation: patch.premoderation,
        hold_first_posts: patch.hold_first_posts.map(i64::from),
        ..GroupEdit::default()
    };
    let group = groups::edit_group(&state.fed, &group, edit).await?;
    Ok(Json(GroupView::new(&group, state.fed.urls())))
}

/// Archive a group: its content stays readable; it takes no new members or posts.
#[utoipa::path(post, path = "/api/v1/groups/{name}/archive", tag = "groups",
    params(("name" = String, Path, description = "The group's name")),
    responses((status = 200, body = GroupView), (status = 403, body = ErrorBody)))]
pub async fn archive_group(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
) -> Result<Json<GroupView>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::EditGroup).await?;
    let group = groups::set_archived(&state.fed, &group, true).await?;
    Ok(Json(GroupView::new(&group, state.fed.urls())))
}

/// Bring an archived group back.
#[utoipa::path(delete, path = "/api/v1/groups/{name}/archive", tag = "groups",
    params(("name" = String, Path, description = "The group's name")),
    responses((status = 200, body = GroupView), (status = 403, body = ErrorBody)))]
pub async fn restore_group(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
) -> Result<Json<GroupView>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::EditGroup).await?;
    let group = groups::set_archived(&state.fed, &group, false).await?;
    Ok(Json(GroupView::new(&group, state.fed.urls())))
}

/// A group's rules, in order.
#[utoipa::path(get, path = "/api/v1/groups/{name}/rules", tag = "groups",
    params(("name" = String, Path, description = "The group's name")),
    responses((status = 200, body = Vec<RuleView>), (status = 404, body = ErrorBody)))]
pub async fn get_rules(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
) -> Result<Json<Vec<RuleView>>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ViewGroup).await?;
    let rules = state.fed.store().group_rules(group.id).await?;
    Ok(Json(rules.into_iter().map(RuleView::from).collect()))
}

/// Replace a group's rules with this list, in this order. Rules given with their `id` keep
/// it (reports and bans citing them stay valid); rules left out are deleted.
#[utoipa::path(put, path = "/api/v1/groups/{name}/rules", tag = "groups", request_body = Vec<RuleBody>,
    params(("name" = String, Path, description = "The group's name")),
    responses((status = 200, body = Vec<RuleView>), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn put_rules(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
    Body(rules): Body<Vec<RuleBody>>,
) -> Result<Json<Vec<RuleView>>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::EditGroup).await?;
    let input = rules
        .into_iter()
        .map(|r| RuleInput {
            id: r.id,
            short_name: r.short_name,
            text: r.text,
        })
        .collect();
    let rules = groups::set_rules(state.fed.store(), &group, input).await?;
    Ok(Json(rules.into_iter().map(RuleView::from).collect()))
}

async fn put_image(
    state: AppState,
    staff: &crate::accounts::Staff,
    name: &str,
    purpose: ImagePurpose,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<GroupView>, ApiError> {
    let group = group_for(&state, staff, name, Permission::EditGroup).await?;
    let bytes = body.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "the file is larger than the limit of {} bytes",
                state.upload_max_bytes
            ),
        )
    })?;
    let group = set_group_image(
        &state.fed,
        &group,
        purpose,
        bytes.to_vec(),
        state.upload_max_bytes,
    )
    .await?;
    Ok(Json(GroupView::new(&group, state.fed.urls())))
}

/// Replace the group's icon. The body is the image itself (PNG, JPEG, GIF or WebP).
#[utoipa::path(put, path = "/api/v1/groups/{name}/icon", tag = "groups",
    request_body(content = Vec<u8>, content_type = "image/*", description = "The image file"),
    params(("name" = String, Path, description = "The group's name")),
    responses((status = 200, body = GroupView), (status = 413, body = ErrorBody, description = "Over the size limit"),
        (status = 415, body = ErrorBody, description = "Not an accepted image"), (status = 403, body = ErrorBody)))]
pub async fn put_icon(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<GroupView>, ApiError> {
    put_image(state, &staff, &name, ImagePurpose::Icon, body).await
}

/// Replace the group's banner. The body is the image itself (PNG, JPEG, GIF or WebP).
#[utoipa::path(put, path = "/api/v1/groups/{name}/banner", tag = "groups",
    request_body(content = Vec<u8>, content_type = "image/*", description = "The image file"),
    params(("name" = String, Path, description = "The group's name")),
    responses((status = 200, body = GroupView), (status = 413, body = ErrorBody, description = "Over the size limit"),
        (status = 415, body = ErrorBody, description = "Not an accepted image"), (status = 403, body = ErrorBody)))]
pub async fn put_banner(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<GroupView>, ApiError> {
    put_image(state, &staff, &name, ImagePurpose::Banner, body).await
}
