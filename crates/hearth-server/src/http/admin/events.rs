//! The group's events for its staff: upcoming and recent events with who answered them, and
//! a form to create one (sent to followers as `Create(Event)`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::Form;
use hearth_federation::events::{create_event, EventError, EventRequest, LISTED_AFTER_END_MS};
use hearth_storage::Group;
use minijinja::{context, Value};
use serde::Deserialize;

use super::forms::{done, group_path, non_blank, staff_actor, when, Cx, Flash, Notice, Reply};
use crate::accounts::Permission;
use crate::http::auth::PageStaff;
use crate::http::AppState;

/// The create form.
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
    let refuse = |message: String| Notice::alert(StatusCode::UNPROCESSABLE_ENTITY, message);
    let capacity = match non_blank(&form.capacity).map(|c| c.parse::<i64>()) {
        None => None,
        Some(Ok(capacity)) => Some(capacity),
        Some(Err(_)) => {
            let notice = refuse(format!("{:?} is not a number of places", form.capacity));
            return Err(page(&cx, &group, &form, notice).await);
        }
    };
    let request = EventRequest {
        title: form.title.clone(),
        description: form.description.clone(),
        start: form.start.clone(),
        end: form.end.clone(),
        timezone: form.timezone.clone(),
        location: non_blank(&form.location),
        online_url: non_blank(&form.online_url),
        capacity,
        approval: form.approval.is_some(),
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
