//! A group's events in public: the `Event` documents (HTML for browsers), the events page
//! with events others posted to the group, and iCalendar feeds.

use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use hearth_federation::events::{event_document, event_url, LISTED_AFTER_END_MS};
use hearth_storage::{Group, GroupEvent, RemoteEvent, StoreError};
use minijinja::context;
use serde::Serialize;
use serde_json::Value;

use super::error::ApiError;
use super::event_calendar::{calendar, TEXT_CALENDAR};
use super::negotiate::{activity_json, wants_html};
use super::pages::{unavailable, when};
use super::AppState;

/// Events posted by others, most listed.
const REMOTE_LISTED: i64 = 50;

/// The public event routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/groups/{name}/events", get(events_page))
        .route("/groups/{name}/events.ics", get(group_calendar))
        .route("/groups/{name}/events/{file}", get(event))
}

/// One line of a group's events listing.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ListedEvent {
    /// `group` for the group's own events, `remote` for events others posted to it.
    pub origin: &'static str,
    /// Row id of the group's own events.
    pub id: Option<i64>,
    /// The `Event` id.
    pub ap_id: String,
    /// Title.
    pub title: String,
    /// Start (RFC 3339), when known.
    pub starts_at: Option<String>,
    /// End (RFC 3339), when known.
    pub ends_at: Option<String>,
    /// `scheduled` or `cancelled`.
    pub state: String,
    /// People going (the group's own events).
    pub going: Option<i64>,
    /// Address or online link.
    pub location: Option<String>,
    /// Where to read more.
    pub url: String,
}

fn listed_remote(event: RemoteEvent) -> ListedEvent {
    let raw: Value = serde_json::from_str(&event.raw).unwrap_or_default();
    let text = |key: &str| raw.get(key).and_then(Value::as_str).map(str::to_owned);
    let location = raw.get("location").and_then(|l| {
        let place = if l.is_array() { l.get(0)? } else { l };
        place
            .get("name")
            .or_else(|| place.get("url"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let cancelled = text("ical:status").as_deref() == Some("CANCELLED");
    ListedEvent {
        origin: "remote",
        id: None,
        title: event.title.or_else(|| text("name")).unwrap_or_default(),
        starts_at: text("startTime"),
        ends_at: text("endTime"),
        state: if cancelled { "cancelled" } else { "scheduled" }.into(),
        going: raw.get("participantCount").and_then(Value::as_i64),
        location,
        url: event.url.unwrap_or_else(|| event.ap_id.clone()),
        ap_id: event.ap_id,
    }
}

/// A group's upcoming and recent events, its own and those posted to it, by start time.
pub async fn listing(state: &AppState, group: &Group) -> Result<Vec<ListedEvent>, StoreError> {
    let store = state.fed.store();
    let since = hearth_storage::now_ms() - LISTED_AFTER_END_MS;
    let mut listed = Vec::new();
    for event in store.group_events(group.id, since).await? {
        let going = store.rsvp_counts(event.id).await?.going;
        listed.push(ListedEvent {
            origin: "group",
            id: Some(event.id),
            title: event.title.clone(),
            starts_at: Some(when(event.starts_at).1),
            ends_at: Some(when(event.ends_at).1),
            state: event.state.clone(),
            going: Some(going),
            location: event.location.clone().or(event.online_url.clone()),
            url: event.ap_id.clone(),
            ap_id: event.ap_id,
        });
    }
    let remote = store.remote_events(group.id, REMOTE_LISTED).await?;
    listed.extend(remote.into_iter().map(listed_remote));
    listed.sort_by(|a, b| a.starts_at.cmp(&b.starts_at));
    Ok(listed)
}

async fn find_group(state: &AppState, name: &str) -> Result<Group, ApiError> {
    state
        .fed
        .store()
        .group_by_name(name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("there is no group named {name} here")))
}

/// `GET /groups/{name}/events`: the events page for browsers, else the listing as JSON.
async fn events_page(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let group = find_group(&state, &name).await?;
    let events = match listing(&state, &group).await {
        Ok(events) => events,
        Err(err) if wants_html(&headers) => return Ok(unavailable(&state, err)),
        Err(err) => return Err(err.into()),
    };
    if !wants_html(&headers) {
        return Ok(axum::Json(events).into_response());
    }
    let group_url = state.fed.urls().group(&group.name).to_string();
    let ctx = context! {
        group => context! { title => group.title, name => group.name, url => group_url },
        events => events.iter().map(|e| context! {
            title => e.title, url => e.url, remote => e.origin == "remote",
            cancelled => e.state == "cancelled", going => e.going, location => e.location,
            starts => e.starts_at.as_deref().and_then(display_time),
        }).collect::<Vec<_>>(),
    };
    Ok(state.pages.render(&state, "events.html", ctx))
}

/// An RFC 3339 time as shown on pages.
fn display_time(rfc3339: &str) -> Option<String> {
    let t = chrono::DateTime::parse_from_rfc3339(rfc3339).ok()?;
    Some(when(t.timestamp_millis()).0)
}

/// `GET /groups/{name}/events.ics`: the group's upcoming and recent events as iCalendar.
async fn group_calendar(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let group = find_group(&state, &name).await?;
    let since = hearth_storage::now_ms() - LISTED_AFTER_END_MS;
    let events = state.fed.store().group_events(group.id, since).await?;
    Ok(ics(calendar(&group, &events)))
}

fn ics(body: String) -> Response {
    ([(CONTENT_TYPE, TEXT_CALENDAR)], body).into_response()
}

/// `GET /groups/{name}/events/{key}`: the `Event` (its page for browsers);
/// `…/{key}.ics`: the event as iCalendar.
async fn event(
    State(state): State<AppState>,
    Path((name, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let group = find_group(&state, &name).await?;
    let (key, as_ics) = match file.strip_suffix(".ics") {
        Some(key) => (key, true),
        None => (file.as_str(), false),
    };
    let ap_id = event_url(state.fed.urls(), &group.name, key).to_string();
    let event = state
        .fed
        .store()
        .event_by_ap_id(&ap_id)
        .await?
        .filter(|e| e.group_id == group.id)
        .ok_or_else(|| ApiError::not_found(format!("{name} has no event {key}")))?;
    if as_ics {
        return Ok(ics(calendar(&group, std::slice::from_ref(&event))));
    }
    let counts = state.fed.store().rsvp_counts(event.id).await?;
    if wants_html(&headers) {
        return Ok(event_page(&state, &group, &event, counts.going));
    }
    Ok(activity_json(&event_document(
        state.fed.urls(),
        &group,
        &event,
        counts,
    )))
}

fn event_page(state: &AppState, group: &Group, event: &GroupEvent, going: i64) -> Response {
    let tz: chrono_tz::Tz = event.timezone.parse().unwrap_or(chrono_tz::UTC);
    let local = |ms: i64| {
        use chrono::TimeZone;
        tz.timestamp_millis_opt(ms)
            .single()
            .map(|t| t.format("%-d %b %Y, %H:%M").to_string())
            .unwrap_or_default()
    };
    let ctx = context! {
        group => context! {
            title => group.title, name => group.name,
            url => state.fed.urls().group(&group.name).to_string(),
        },
        event => context! {
            title => event.title,
            description => minijinja::Value::from_safe_string(
                hearth_federation::html::markdown(&event.description)),
            starts => local(event.starts_at), ends => local(event.ends_at),
            starts_iso => when(event.starts_at).1, timezone => event.timezone,
            location => event.location, online_url => event.online_url,
            capacity => event.capacity, going => going,
            cancelled => event.is_cancelled(), ics => format!("{}.ics", event.ap_id),
        },
    };
    state.pages.render(state, "event.html", ctx)
}
