//! `/api/v1/groups/{name}/announcements`, `…/polls` and `…/welcome`: posts by the group
//! itself (sent to every follower as `Create`), poll results, and the message new members get.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use hearth_federation::group_posts::{
    announce, create_poll, document, results, set_welcome, tally, welcome_html, when, Announcement,
    GroupPostError, Poll, WelcomeChange,
};
use hearth_federation::vocab::documents::format_time;
use hearth_federation::Urls;
use hearth_storage::{Group, GroupPost, GroupPostKind, PollTally};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{group_for, Body};
use super::schema::ErrorBody;
use crate::accounts::Permission;
use crate::http::auth::ApiStaff;
use crate::http::error::ApiError;
use crate::http::AppState;

/// An announcement by the group.
#[derive(Serialize, ToSchema)]
pub struct AnnouncementView {
    /// Row id.
    pub id: i64,
    /// Its ActivityPub id.
    pub object: String,
    /// Markdown source.
    pub text: String,
    /// Rendered HTML.
    pub html: String,
    /// Whether it is pinned to the group's featured collection.
    pub pinned: bool,
    /// When it is (or was) to be published.
    pub publish_at: String,
    /// When it was published; absent while scheduled.
    pub published_at: Option<String>,
}

impl AnnouncementView {
    fn new(urls: &Urls, group: &Group, post: GroupPost) -> Self {
        AnnouncementView {
            id: post.id,
            object: document::object_id(urls, group, post.id),
            pinned: post.pinned_at.is_some(),
            publish_at: format_time(post.publish_at),
            published_at: post.published_at.map(format_time),
            text: post.source,
            html: post.content,
        }
    }
}

/// One option of a poll with its votes.
#[derive(Serialize, ToSchema)]
pub struct OptionView {
    /// The option's text.
    pub name: String,
    /// Votes for it.
    pub votes: i64,
}

/// A poll by the group, with its results.
#[derive(Serialize, ToSchema)]
pub struct PollView {
    /// Row id.
    pub id: i64,
    /// Its ActivityPub id.
    pub object: String,
    /// The question (Markdown).
    pub question: String,
    /// Whether voters may pick several options.
    pub multiple: bool,
    /// The options and their votes.
    pub options: Vec<OptionView>,
    /// Distinct voters.
    pub voters: i64,
    /// When voting ends.
    pub ends_at: Option<String>,
    /// Whether voting has ended.
    pub closed: bool,
}

impl PollView {
    fn new(urls: &Urls, group: &Group, post: GroupPost, tally: PollTally) -> Self {
        let closed = post.poll_ended(hearth_storage::now_ms());
        let options = post
            .options()
            .into_iter()
            .zip(tally.counts.iter().copied().chain(std::iter::repeat(0)))
            .map(|(name, votes)| OptionView { name, votes })
            .collect();
        PollView {
            id: post.id,
            object: document::object_id(urls, group, post.id),
            question: post.source,
            multiple: post.multiple,
            options,
            voters: tally.voters,
            ends_at: post.ends_at.map(format_time),
            closed,
        }
    }
}

/// A new announcement.
#[derive(Deserialize, ToSchema)]
pub struct NewAnnouncement {
    /// Markdown.
    pub text: String,
    /// Pin it to the group's featured collection.
    #[serde(default)]
    pub pin: bool,
    /// Publish later: RFC 3339, or `2026-12-01 09:00` (UTC) with an optional offset.
    pub publish_at: Option<String>,
}

/// A new poll.
#[derive(Deserialize, ToSchema)]
pub struct NewPoll {
    /// The question (Markdown).
    pub question: String,
    /// At least two options.
    pub options: Vec<String>,
    /// Whether voters may pick several options.
    #[serde(default)]
    pub multiple: bool,
    /// When voting ends: a duration (`3d`, `12h`) or a time (RFC 3339 or `2026-12-01 09:00`).
    pub ends: String,
}

/// The welcome message new members are sent.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct WelcomeSettings {
    /// Whether it is sent.
    pub enabled: Option<bool>,
    /// Its Markdown; empty for the default message naming the group and linking its rules.
    pub text: Option<String>,
}

/// The welcome message as it is now.
#[derive(Serialize, ToSchema)]
pub struct WelcomeView {
    /// Whether it is sent.
    pub enabled: bool,
    /// The group's own text (Markdown); empty when the default is used.
    pub text: String,
    /// The HTML sent after the mention of the new member.
    pub html: String,
}

fn invalid(message: String) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
}

impl From<GroupPostError> for ApiError {
    fn from(err: GroupPostError) -> Self {
        match err {
            GroupPostError::Invalid(message) => invalid(message),
            GroupPostError::NotFound(message) => ApiError::not_found(message),
            GroupPostError::Store(store) => ApiError::from(store),
        }
    }
}

/// The group's announcements, pinned first, then newest first; scheduled ones included.
#[utoipa::path(get, path = "/api/v1/groups/{name}/announcements", tag = "groups",
    params(("name" = String, Path, description = "The group's name")),
    responses((status = 200, body = Vec<AnnouncementView>), (status = 403, body = ErrorBody)))]
pub async fn list_announcements(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
) -> Result<Json<Vec<AnnouncementView>>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::PostAsGroup).await?;
    let posts = state
        .fed
        .store()
        .group_posts(group.id, Some(GroupPostKind::Note), true)
        .await?;
    let urls = state.fed.urls();
    Ok(Json(
        posts
            .into_iter()
            .map(|p| AnnouncementView::new(urls, &group, p))
            .collect(),
    ))
}

/// Post an announcement as the group (sent to every follower as `Create(Note)`), or schedule it.
#[utoipa::path(post, path = "/api/v1/groups/{name}/announcements", tag = "groups",
    request_body = NewAnnouncement,
    params(("name" = String, Path, description = "The group's name")),
    responses((status = 201, body = AnnouncementView), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn post_announcement(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
    Body(body): Body<NewAnnouncement>,
) -> Result<(StatusCode, Json<AnnouncementView>), ApiError> {
    let group = group_for(&state, &staff, &name, Permission::PostAsGroup).await?;
    let publish_at = body
        .publish_at
        .as_deref()
        .map(when::parse_time)
        .transpose()
        .map_err(invalid)?;
    let request = Announcement {
        text: body.text,
        pin: body.pin,
        publish_at,
    };
    let by = format!("staff:{}", staff.account.username);
    let post = announce(&state.fed, &group, request, &by).await?;
    let view = AnnouncementView::new(state.fed.urls(), &group, post);
    Ok((StatusCode::CREATED, Json(view)))
}

/// The group's polls with their results, newest first.
#[utoipa::path(get, path = "/api/v1/groups/{name}/polls", tag = "groups",
    params(("name" = String, Path, description = "The group's name")),
    responses((status = 200, body = Vec<PollView>), (status = 403, body = ErrorBody)))]
pub async fn list_polls(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
) -> Result<Json<Vec<PollView>>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::PostAsGroup).await?;
    let posts = state
        .fed
        .store()
        .group_posts(group.id, Some(GroupPostKind::Question), true)
        .await?;
    let mut views = Vec::with_capacity(posts.len());
    for post in posts {
        let tally = tally(&state.fed, &post).await?;
        views.push(PollView::new(state.fed.urls(), &group, post, tally));
    }
    Ok(Json(views))
}

/// Post a poll as the group (sent to every follower as `Create(Question)`).
#[utoipa::path(post, path = "/api/v1/groups/{name}/polls", tag = "groups",
    request_body = NewPoll,
    params(("name" = String, Path, description = "The group's name")),
    responses((status = 201, body = PollView), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn post_poll(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
    Body(body): Body<NewPoll>,
) -> Result<(StatusCode, Json<PollView>), ApiError> {
    let group = group_for(&state, &staff, &name, Permission::PostAsGroup).await?;
    let ends_at = when::parse_end(&body.ends, hearth_storage::now_ms()).map_err(invalid)?;
    let request = Poll {
        question: body.question,
        options: body.options,
        multiple: body.multiple,
        ends_at,
    };
    let by = format!("staff:{}", staff.account.username);
    let post = create_poll(&state.fed, &group, request, &by).await?;
    let tally = tally(&state.fed, &post).await?;
    let view = PollView::new(state.fed.urls(), &group, post, tally);
    Ok((StatusCode::CREATED, Json(view)))
}

/// One poll's results.
#[utoipa::path(get, path = "/api/v1/groups/{name}/polls/{id}", tag = "groups",
    params(("name" = String, Path, description = "The group's name"),
        ("id" = i64, Path, description = "The poll's id")),
    responses((status = 200, body = PollView), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn get_poll(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path((name, id)): Path<(String, i64)>,
) -> Result<Json<PollView>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::PostAsGroup).await?;
    let (post, tally) = results(&state.fed, &group, id).await?;
    if post.kind() != GroupPostKind::Question {
        return Err(ApiError::not_found(format!("{id} is not a poll of {name}")));
    }
    Ok(Json(PollView::new(state.fed.urls(), &group, post, tally)))
}

fn welcome_view(state: &AppState, group: &Group) -> WelcomeView {
    WelcomeView {
        enabled: group.welcome_enabled,
        text: group.welcome_text.clone(),
        html: welcome_html(&state.fed, group),
    }
}

/// The welcome message new members are sent.
#[utoipa::path(get, path = "/api/v1/groups/{name}/welcome", tag = "groups",
    params(("name" = String, Path, description = "The group's name")),
    responses((status = 200, body = WelcomeView), (status = 403, body = ErrorBody)))]
pub async fn get_welcome(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
) -> Result<Json<WelcomeView>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::PostAsGroup).await?;
    Ok(Json(welcome_view(&state, &group)))
}

/// Change the welcome message: its text, and whether it is sent.
#[utoipa::path(put, path = "/api/v1/groups/{name}/welcome", tag = "groups",
    request_body = WelcomeSettings,
    params(("name" = String, Path, description = "The group's name")),
    responses((status = 200, body = WelcomeView), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn put_welcome(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
    Body(body): Body<WelcomeSettings>,
) -> Result<Json<WelcomeView>, ApiError> {
    let mut group = group_for(&state, &staff, &name, Permission::PostAsGroup).await?;
    if let Some(text) = body.text {
        group = set_welcome(&state.fed, &group, WelcomeChange::Text(text)).await?;
    }
    match body.enabled {
        Some(true) => group = set_welcome(&state.fed, &group, WelcomeChange::On).await?,
        Some(false) => group = set_welcome(&state.fed, &group, WelcomeChange::Off).await?,
        None => {}
    }
    Ok(Json(welcome_view(&state, &group)))
}
