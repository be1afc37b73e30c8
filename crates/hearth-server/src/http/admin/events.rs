//! The group's events for its staff: upcoming and recent events with who answered them, a
//! form to create one (sent to followers as `Create(Event)`), and a page per event to edit or
//! cancel it (sent as `Update(Event)`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum_extra::extract::Form;
use chrono::TimeZone;
use hearth_federation::events::{
    cancel_event, create_event, edit_event, EventError, EventRequest, LISTED_AFTER_END_MS,
};
use hearth_storage::{Group, GroupEvent};
use minijinja::{context, Value};
use serde::Deserialize;

use super::forms::{done, group_path, non_blank, staff_actor, when, Cx, Flash, Notice, Reply};
use crate::accounts::Permission;
use crate::http::auth::PageStaff;
use crate::http::AppState;

/// The create and edit form.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default)]
pub(super) struct EventForm {
    csrf: Option<String>,
    title: String,
    start: String,
    end: String,
    timezone: String,
    location: String,
    online_url: String,
    capacity: String,
    approval: Option<String>,
    description: String,
}

impl EventForm {
    /// The form filled with `event` as it is, times local to its time zone.
    fn of(event: &GroupEvent) -> EventForm {
        let tz: chrono_tz::Tz = event.timezone.parse().unwrap_or(chrono_tz::UTC);
        let local = |ms: i64| {
            tz.timestamp_millis_opt(ms)
                .single()
                .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default()
        };
        EventForm {
            csrf: None,
            title: event.title.clone(),
            start: local(event.starts_at),
            end: local(event.ends_at),
            timezone: event.timezone.clone(),
            location: event.location.clone().unwrap_or_default(),
            online_url: event.online_url.clone().unwrap_or_default(),
            capacity: event.capacity.map(|c| c.to_string()).unwrap_or_default(),
            approval: event.needs_approval().then(|| "on".to_owned()),
            description: event.description.clone(),
        }
    }

    /// The request the form makes, or why it makes none.
    fn request(&self) -> Result<EventRequest, String> {
        let capacity = match non_blank(&self.capacity).map(|c| c.parse::<i64>()) {
            None => None,
            Some(Ok(capacity)) => Some(capacity),
            Some(Err(_)) => return Err(format!("{:?} is not a number of places", self.capacity)),
        };
        Ok(EventRequest {
            title: self.title.clone(),
            description: self.description.clone(),
            start: self.start.clone(),
            end: self.end.clone(),
            timezone: self.timezone.clone(),
            location: non_blank(&self.location),
            online_url: non_blank(&self.online_url),
            capacity,
            approval: self.approval.is_some(),
        })
    }
}

/// The cancel form: cancelling needs the box ticked.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct CancelForm {
    csrf: Option<String>,
    confirm: Option<String>,
}

/// A refusal of a form's input.
fn refuse(message: impl std::fmt::Display) -> Notice {
    Notice::alert(StatusCode::UNPROCESSABLE_ENTITY, message)
}

/// `/admin/groups/{name}/events/{id}`.
fn event_path(group: &str, id: i64) -> String {
    group_path(group, &format!("/events/{id}"))
}

async fn page(cx: &Cx<'_>, group: &Group, form: &EventForm, notice: Notice) -> Response {
    let store = cx.state.fed.store();
    let since = hearth_storage::now_ms() - LISTED_AFTER_END_MS;
    let events = match store.group_events(group.id, since).await {
        Ok(events) => events,
        Err(err) => return cx.unavailable(err),
    };
    let mut views = Vec::new();
    for event in events {
        let participants = match store.event_participants(event.id).await {
            Ok(participants) => participants,
            Err(err) => return cx.unavailable(err),
        };
        let going = participants.iter().filter(|p| p.status == "going").count();
        let cancelled = event.is_cancelled();
        views.push(context! {
            id => event.id,
            title => event.title,
            url => event.ap_id,
            starts => when(event.starts_at),
            timezone => event.timezone,
            place => event.location.or(event.online_url),
            capacity => event.capacity,
            cancelled,
            edit => event_path(&group.name, event.id),
            going,
            participants => participants.iter().map(|p| context! {
                who => p.handle(), actor => p.ap_id, status => p.status,
            }).collect::<Vec<Value>>(),
        });
    }
    let form = Value::from_serialize(form);
    cx.page(
        "admin/events.html",
        notice,
        context! { group => cx.group_view(group), section => "events", events => views, form },
    )
}

/// `GET /admin/groups/{name}/events`.
pub(super) async fn show(
    State(state): State<AppState>,
    who: PageStaff,
    flash: Flash,
    Path(name): Path<String>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    let group = cx.group(&name).await?;
    cx.require(Permission::ManageEvents, Some(&group))?;
    let form = EventForm {
        timezone: "UTC".into(),
        ..EventForm::default()
    };
    Ok(page(&cx, &group, &form, flash.notice()).await)
}

/// `POST /admin/groups/{name}/events`.
pub(super) async fn create(
    State(state): State<AppState>,
    who: PageStaff,
    Path(name): Path<String>,
    Form(form): Form<EventForm>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.csrf(form.csrf.as_deref())?;
    let group = cx.group(&name).await?;
    cx.require(Permission::ManageEvents, Some(&group))?;
    let request = match form.request() {
        Ok(request) => request,
        Err(message) => return Err(page(&cx, &group, &form, refuse(message)).await),
    };
    match create_event(&state.fed, &group, &request, &staff_actor(&who)).await {
        Ok(event) => Ok(done(
            &group_path(&group.name, "/events"),
            &format!(
                "Created {:?}; the group's followers are sent it.",
                event.title
            ),
        )),
        Err(EventError::Invalid(message)) => Err(page(&cx, &group, &form, refuse(message)).await),
        Err(EventError::Store(err)) => Err(cx.unavailable(err)),
    }
}

/// The group named `name` and its event `id`, for staff who may manage its events.
async fn group_event(cx: &Cx<'_>, name: &str, id: i64) -> Result<(Group, GroupEvent), Response> {
    let group = cx.group(name).await?;
    cx.require(Permission::ManageEvents, Some(&group))?;
    match cx.state.fed.store().event_by_id(id).await {
        Ok(Some(event)) if event.group_id == group.id => Ok((group, event)),
        Ok(_) => Err(cx.failure(
            StatusCode::NOT_FOUND,
            "No such event",
            "The group has no event by that number.",
        )),
        Err(err) => Err(cx.unavailable(err)),
    }
}

/// The page of one event: its edit form filled with `form`, and the cancel form.
fn event_page(
    cx: &Cx<'_>,
    group: &Group,
    event: &GroupEvent,
    form: &EventForm,
    notice: Notice,
) -> Response {
    let view = context! {
        id => event.id,
        title => event.title,
        url => event.ap_id,
        path => event_path(&group.name, event.id),
        starts => when(event.starts_at),
        timezone => event.timezone,
        cancelled => event.is_cancelled(),
    };
    cx.page(
        "admin/event.html",
        notice,
        context! {
            group => cx.group_view(group),
            section => "events",
            event => view,
            form => Value::from_serialize(form),
        },
    )
}

/// `GET /admin/groups/{name}/events/{id}`.
pub(super) async fn show_event(
    State(state): State<AppState>,
    who: PageStaff,
    flash: Flash,
    Path((name, id)): Path<(String, i64)>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    let (group, event) = group_event(&cx, &name, id).await?;
    let form = EventForm::of(&event);
    Ok(event_page(&cx, &group, &event, &form, flash.notice()))
}

/// `POST /admin/groups/{name}/events/{id}`: saves the edit and sends `Update(Event)`.
pub(super) async fn edit(
    State(state): State<AppState>,
    who: PageStaff,
    Path((name, id)): Path<(String, i64)>,
    Form(form): Form<EventForm>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.csrf(form.csrf.as_deref())?;
    let (group, event) = group_event(&cx, &name, id).await?;
    let request = match form.request() {
        Ok(request) => request,
        Err(message) => return Err(event_page(&cx, &group, &event, &form, refuse(message))),
    };
    match edit_event(&state.fed, &group, &event, &request).await {
        Ok(edited) => Ok(done(
            &event_path(&group.name, event.id),
            &format!(
                "Saved {:?}; the group's followers are sent the update.",
                edited.title
            ),
        )),
        Err(EventError::Invalid(message)) => {
            Err(event_page(&cx, &group, &event, &form, refuse(message)))
        }
        Err(EventError::Store(err)) => Err(cx.unavailable(err)),
    }
}

/// `POST /admin/groups/{name}/events/{id}/cancel`: cancels the event once confirmed and
/// sends `Update(Event)` saying so.
pub(super) async fn cancel(
    State(state): State<AppState>,
    who: PageStaff,
    Path((name, id)): Path<(String, i64)>,
    Form(form): Form<CancelForm>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.csrf(form.csrf.as_deref())?;
    let (group, event) = group_event(&cx, &name, id).await?;
    let refused = |message: &str| {
        let shown = EventForm::of(&event);
        event_page(&cx, &group, &event, &shown, refuse(message))
    };
    if form.confirm.is_none() {
        return Err(refused(
            "Tick “Yes, cancel this event” to confirm: nothing was changed.",
        ));
    }
    match cancel_event(&state.fed, &group, &event).await {
        Ok(cancelled) => Ok(done(
            &group_path(&group.name, "/events"),
            &format!(
                "Cancelled {:?}; the group's followers are told.",
                cancelled.title
            ),
        )),
        Err(EventError::Invalid(message)) => Err(refused(&message)),
        Err(EventError::Store(err)) => Err(cx.unavailable(err)),
    }
}

/// `GET /admin/groups/{name}/events/{id}/cancel`: the event's page, where the form is.
pub(super) async fn to_event(Path((name, id)): Path<(String, i64)>) -> Redirect {
    match hearth_federation::groups::validate_name(&name) {
        Ok(()) => Redirect::to(&event_path(&name, id)),
        Err(_) => Redirect::to("/admin"),
    }
}
