//! `/api/v1/groups/{name}/events`: the group's events (created, edited and cancelled here and
//! sent to its followers as `Create`/`Update` of an `Event`) and who answered them.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use hearth_federation::events::{
    cancel_event, create_event, decide_participant, edit_event, EventError, EventRequest,
};
use hearth_federation::vocab::documents::format_time;
use hearth_storage::{Group, GroupEvent, Participant, RsvpCounts};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{group_for, Body};
use super::schema::ErrorBody;
use crate::accounts::Permission;
use crate::http::auth::ApiStaff;
use crate::http::error::ApiError;
use crate::http::events::{listing, ListedEvent};
use crate::http::AppState;

/// An event as created or edited: local times in a named time zone.
#[derive(Deserialize, ToSchema)]
pub struct EventInput {
    /// Title.
    pub title: String,
    /// Description, in Markdown.
    #[serde(default)]
    pub description: String,
    /// Start, `YYYY-MM-DD HH:MM` in `timezone`.
    pub start: String,
    /// End, `YYYY-MM-DD HH:MM` in `timezone`.
    pub end: String,
    /// IANA time zone, e.g. `Europe/Berlin`.
    pub timezone: String,
    /// Address, for events in a place.
    pub location: Option<String>,
    /// Link, for online events.
    pub online_url: Option<String>,
    /// Most people going; none for no limit.
    pub capacity: Option<i64>,
    /// Answers wait for staff approval.
    #[serde(default)]
    pub approval: bool,
}

impl From<EventInput> for EventRequest {
    fn from(input: EventInput) -> Self {
        EventRequest {
            title: input.title,
            description: input.description,
            start: input.start,
            end: input.end,
            timezone: input.timezone,
            location: input.location,
            online_url: input.online_url,
            capacity: input.capacity,
            approval: input.approval,
        }
    }
}

/// How many people gave each answer.
#[derive(Serialize, ToSchema)]
pub struct CountsView {
    /// Going.
    pub going: i64,
    /// Maybe.
    pub maybe: i64,
    /// Declined.
    pub declined: i64,
    /// On the waiting list.
    pub waitlist: i64,
    /// Waiting for approval.
    pub pending: i64,
}

impl From<RsvpCounts> for CountsView {
    fn from(c: RsvpCounts) -> Self {
        CountsView {
            going: c.going,
            maybe: c.maybe,
            declined: c.declined,
            waitlist: c.waitlist,
            pending: c.pending,
        }
    }
}

/// One of the group's events.
#[derive(Serialize, ToSchema)]
pub struct EventView {
    /// Row id.
    pub id: i64,
    /// The `Event` id (also its page, and `….ics` its calendar file).
    pub ap_id: String,
    /// Title.
    pub title: String,
    /// Description, in Markdown.
    pub description: String,
    /// Start (RFC 3339, UTC).
    pub starts_at: String,
    /// End (RFC 3339, UTC).
    pub ends_at: String,
    /// IANA time zone.
    pub timezone: String,
    /// Address.
    pub location: Option<String>,
    /// Online link.
    pub online_url: Option<String>,
    /// Most people going.
    pub capacity: Option<i64>,
    /// `open` or `approval`.
    pub join_mode: String,
    /// `scheduled` or `cancelled`.
    pub state: String,
    /// Revision, bumped on each change.
    pub sequence: i64,
    /// Who created it.
    pub created_by: String,
    /// Answers so far.
    pub counts: CountsView,
}

fn view(event: GroupEvent, counts: RsvpCounts) -> EventView {
    EventView {
        id: event.id,
        starts_at: format_time(event.starts_at),
        ends_at: format_time(event.ends_at),
        ap_id: event.ap_id,
        title: event.title,
        description: event.description,
        timezone: event.timezone,
        location: event.location,
        online_url: event.online_url,
        capacity: event.capacity,
        join_mode: event.join_mode,
        state: event.state,
        sequence: event.sequence,
        created_by: event.created_by,
        counts: counts.into(),
    }
}

/// Someone who answered an event.
#[derive(Serialize, ToSchema)]
pub struct ParticipantView {
    /// The actor's id.
    pub actor: String,
    /// `@user@host`, or the id.
    pub handle: String,
    /// `going`, `maybe`, `declined`, `waitlist` or `pending`.
    pub status: String,
    /// Latest answer (RFC 3339).
    pub answered_at: String,
}

impl From<Participant> for ParticipantView {
    fn from(p: Participant) -> Self {
        ParticipantView {
            handle: p.handle(),
            answered_at: format_time(p.updated_at),
            actor: p.ap_id,
            status: p.status,
        }
    }
}

fn event_error(e: EventError) -> ApiError {
    match e {
        EventError::Invalid(_) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_event", e.to_string())
        }
        EventError::Store(store) => ApiError::from(store),
    }
}

async fn event_of(state: &AppState, group: &Group, id: i64) -> Result<GroupEvent, ApiError> {
    state
        .fed
        .store()
        .event_by_id(id)
        .await?
        .filter(|e| e.group_id == group.id)
        .ok_or_else(|| ApiError::not_found(format!("{} has no event {id}", group.name)))
}

async fn viewed(state: &AppState, event: GroupEvent) -> Result<Json<EventView>, ApiError> {
    let counts = state.fed.store().rsvp_counts(event.id).await?;
    Ok(Json(view(event, counts)))
}

/// Upcoming and recent events: the group's own, and those others posted to it.
#[utoipa::path(get, path = "/api/v1/groups/{name}/events", tag = "groups",
    params(("name" = String, Path, description = "The group's name")),
    responses((status = 200, body = Vec<ListedEvent>), (status = 403, body = ErrorBody)))]
pub async fn list_events(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
) -> Result<Json<Vec<ListedEvent>>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ManageEvents).await?;
    Ok(Json(listing(&state, &group).await?))
}

/// Create an event; the group's followers are sent `Create(Event)`.
#[utoipa::path(post, path = "/api/v1/groups/{name}/events", tag = "groups",
    request_body = EventInput,
    params(("name" = String, Path, description = "The group's name")),
    responses((status = 201, body = EventView), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
    Body(input): Body<EventInput>,
) -> Result<(StatusCode, Json<EventView>), ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ManageEvents).await?;
    let by = format!("staff:{}", staff.account.username);
    let event = create_event(&state.fed, &group, &input.into(), &by)
        .await
        .map_err(event_error)?;
    Ok((StatusCode::CREATED, viewed(&state, event).await?))
}

/// One event with its answer counts.
#[utoipa::path(get, path = "/api/v1/groups/{name}/events/{id}", tag = "groups",
    params(("name" = String, Path, description = "The group's name"),
        ("id" = i64, Path, description = "The event's id")),
    responses((status = 200, body = EventView), (status = 404, body = ErrorBody)))]
pub async fn get_event(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path((name, id)): Path<(String, i64)>,
) -> Result<Json<EventView>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ManageEvents).await?;
    let event = event_of(&state, &group, id).await?;
    viewed(&state, event).await
}

/// Replace an event's details; followers are sent `Update(Event)`.
#[utoipa::path(put, path = "/api/v1/groups/{name}/events/{id}", tag = "groups",
    request_body = EventInput,
    params(("name" = String, Path, description = "The group's name"),
        ("id" = i64, Path, description = "The event's id")),
    responses((status = 200, body = EventView), (status = 422, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn update_event(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path((name, id)): Path<(String, i64)>,
    Body(input): Body<EventInput>,
) -> Result<Json<EventView>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ManageEvents).await?;
    let event = event_of(&state, &group, id).await?;
    let edited = edit_event(&state.fed, &group, &event, &input.into())
        .await
        .map_err(event_error)?;
    viewed(&state, edited).await
}

/// Cancel an event; followers are sent `Update(Event)` with `ical:status` `CANCELLED`.
#[utoipa::path(post, path = "/api/v1/groups/{name}/events/{id}/cancel", tag = "groups",
    params(("name" = String, Path, description = "The group's name"),
        ("id" = i64, Path, description = "The event's id")),
    responses((status = 200, body = EventView), (status = 422, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path((name, id)): Path<(String, i64)>,
) -> Result<Json<EventView>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ManageEvents).await?;
    let event = event_of(&state, &group, id).await?;
    let cancelled = cancel_event(&state.fed, &group, &event)
        .await
        .map_err(event_error)?;
    viewed(&state, cancelled).await
}

/// Everyone who answered an event, in the order they first answered.
#[utoipa::path(get, path = "/api/v1/groups/{name}/events/{id}/participants", tag = "groups",
    params(("name" = String, Path, description = "The group's name"),
        ("id" = i64, Path, description = "The event's id")),
    responses((status = 200, body = Vec<ParticipantView>), (status = 404, body = ErrorBody)))]
pub async fn participants(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path((name, id)): Path<(String, i64)>,
) -> Result<Json<Vec<ParticipantView>>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ManageEvents).await?;
    let event = event_of(&state, &group, id).await?;
    let list = state.fed.store().event_participants(event.id).await?;
    Ok(Json(list.into_iter().map(ParticipantView::from).collect()))
}

/// A decision on a pending answer.
#[derive(Deserialize, ToSchema)]
pub struct ParticipantDecision {
    /// The person's actor id.
    pub actor: String,
    /// `true` to approve (a seat, or the waiting list when full), `false` to refuse.
    pub approve: bool,
}

/// Approve or refuse a pending answer to an event that needs approval; the person is sent
/// `Accept` (when they get a seat) or `Reject`.
#[utoipa::path(post, path = "/api/v1/groups/{name}/events/{id}/participants/decision", tag = "groups",
    request_body = ParticipantDecision,
    params(("name" = String, Path, description = "The group's name"),
        ("id" = i64, Path, description = "The event's id")),
    responses((status = 200, body = Vec<ParticipantView>), (status = 422, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path((name, id)): Path<(String, i64)>,
    Body(body): Body<ParticipantDecision>,
) -> Result<Json<Vec<ParticipantView>>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ManageEvents).await?;
    let event = event_of(&state, &group, id).await?;
    decide_participant(&state.fed, &group, &event, &body.actor, body.approve)
        .await
        .map_err(event_error)?;
    let list = state.fed.store().event_participants(event.id).await?;
    Ok(Json(list.into_iter().map(ParticipantView::from).collect()))
}
