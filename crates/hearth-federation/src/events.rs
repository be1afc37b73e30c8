//! Events a group organises: the `Event` document (the shape Mobilizon and Gancio read, with
//! FEP-8a8e's time zone and location), `Create`/`Update` of it to every follower when staff
//! create, edit or cancel one, and reminders to the people going.

use chrono::{NaiveDateTime, TimeZone};
use hearth_storage::{
    Change, EventChange, EventFields, FollowerFlavor, Group, GroupEvent, NewOutbound, Recipients,
    RsvpCounts, RsvpStatus, StoreError, UnitOfWork,
};
use serde_json::{json, Value};
use url::Url;

use crate::urls::Urls;
use crate::vocab::documents::format_time;
use crate::vocab::PUBLIC;
use crate::Federation;

/// Events that ended less than this long ago are still listed and in calendars (ms).
pub const LISTED_AFTER_END_MS: i64 = 30 * 24 * 3600 * 1000;
/// Longest event title, in characters.
const MAX_TITLE_CHARS: usize = 200;
/// Longest description, in characters.
const MAX_DESCRIPTION_CHARS: usize = 20_000;

/// Why an event could not be created or changed.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// The input is unusable; nothing was changed.
    #[error("{0}")]
    Invalid(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An event as staff describe it: local wall times in a named time zone.
#[derive(Debug, Clone, Default)]
pub struct EventRequest {
    /// Title.
    pub title: String,
    /// Description, in Markdown.
    pub description: String,
    /// Start, `YYYY-MM-DD HH:MM` in `timezone`.
    pub start: String,
    /// End, `YYYY-MM-DD HH:MM` in `timezone`.
    pub end: String,
    /// IANA time zone name, e.g. `Europe/Berlin`.
    pub timezone: String,
    /// Address, for events in a place.
    pub location: Option<String>,
    /// Link, for online events.
    pub online_url: Option<String>,
    /// Most people going.
    pub capacity: Option<i64>,
    /// Answers wait for a moderator's approval.
    pub approval: bool,
}

/// Parses a local wall time such as `2026-12-12 18:00` (or `2026-12-12T18:00:00`) in `tz`,
/// as ms since the epoch.
pub fn local_time_ms(text: &str, tz: chrono_tz::Tz) -> Result<i64, EventError> {
    let text = text.trim();
    let naive = [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
    .ok_or_else(|| {
        EventError::Invalid(format!("{text:?} is not a time like \"2026-12-12 18:00\""))
    })?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.timestamp_millis())
        .ok_or_else(|| EventError::Invalid(format!("{text} does not exist in {tz}")))
}

/// Parses an IANA time zone name.
pub fn parse_timezone(name: &str) -> Result<chrono_tz::Tz, EventError> {
    name.trim().parse().map_err(|_| {
        EventError::Invalid(format!(
            "unknown time zone {name:?}: use an IANA name such as Europe/Berlin"
        ))
    })
}

/// Checks `request` and turns it into what is stored.
pub fn validate(request: &EventRequest) -> Result<EventFields, EventError> {
    let invalid = |msg: String| Err(EventError::Invalid(msg));
    let title = request.title.trim();
    if title.is_empty() {
        return invalid("an event needs a title".into());
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return invalid(format!(
            "the title is longer than {MAX_TITLE_CHARS} characters"
        ));
    }
    if request.description.chars().count() > MAX_DESCRIPTION_CHARS {
        return invalid(format!(
            "the description is longer than {MAX_DESCRIPTION_CHARS} characters"
        ));
    }
    let tz = parse_timezone(&request.timezone)?;
    let starts_at = local_time_ms(&request.start, tz)?;
    let ends_at = local_time_ms(&request.end, tz)?;
    if ends_at <= starts_at {
        return invalid(format!(
            "the event ends ({}) before it starts ({})",
            request.end.trim(),
            request.start.trim()
        ));
    }
    let location = request
        .location
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned);
    let online_url = match request.online_url.as_deref().map(str::trim) {
        Some(link) if !link.is_empty() => {
            let url = Url::parse(link)
                .map_err(|_| EventError::Invalid(format!("{link:?} is not a URL")))?;
            if !matches!(url.scheme(), "http" | "https") {
                return invalid(format!("the online link {link} is not http(s)"));
            }
            Some(url.to_string())
        }
        _ => None,
    };
    if let Some(capacity) = request.capacity {
        if capacity < 1 {
            return invalid("the capacity must be at least 1".into());
        }
    }
    Ok(EventFields {
        title: title.to_owned(),
        description: request.description.trim().to_owned(),
        starts_at,
        ends_at,
        timezone: tz.name().to_owned(),
        location,
        online_url,
        capacity: request.capacity,
        join_mode: if request.approval { "approval" } else { "open" }.to_owned(),
    })
}

/// The URL of an event: `/groups/{name}/events/{key}`.
pub fn event_url(urls: &Urls, group: &str, key: &str) -> Url {
    let mut url = urls.group(group);
    url.set_path(&format!("/groups/{group}/events/{key}"));
    url
}

/// The group name and key in a local event URL, if `url` is one.
pub fn parse_event_url(urls: &Urls, url: &Url) -> Option<(String, String)> {
    if !urls.is_local(url) {
        return None;
    }
    let mut segments = url.path_segments()?;
    match (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) {
        (Some("groups"), Some(name), Some("events"), Some(key), None)
            if !name.is_empty() && !key.is_empty() =>
        {
            Some((name.to_owned(), key.to_owned()))
        }
        _ => None,
    }
}

/// The JSON-LD context of `Event` documents.
fn event_context() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        {
            "ical": "http://www.w3.org/2002/12/cal/ical#",
            "mz": "https://joinmobilizon.org/ns#",
            "sc": "http://schema.org#",
            "fep8a8e": "https://w3id.org/fep/8a8e/",
            "pt": "https://joinpeertube.org/ns#",
            "joinMode": "mz:joinMode",
            "participantCount": "mz:participantCount",
            "anonymousParticipationEnabled": "mz:anonymousParticipationEnabled",
            "isOnline": "mz:isOnline",
            "timezone": "fep8a8e:timezone",
            "eventStatus": "fep8a8e:eventStatus",
            "maximumAttendeeCapacity": "sc:maximumAttendeeCapacity",
            "remainingAttendeeCapacity": "sc:remainingAttendeeCapacity",
            "commentsEnabled": "pt:commentsEnabled",
            "address": "sc:address",
            "VirtualLocation": "sc:VirtualLocation"
        }
    ])
}

/// The `Event` object of `event`, attributed to `group`, with `counts` as its participation.
pub fn event_document(urls: &Urls, group: &Group, event: &GroupEvent, counts: RsvpCounts) -> Value {
    let group_id = urls.group(&group.name).to_string();
    let followers = urls.group_followers(&group.name).to_string();
    let cancelled = event.is_cancelled();
    let mut locations = Vec::new();
    if let Some(address) = &event.location {
        locations.push(json!({"type": "Place", "name": address, "address": address}));
    }
    if let Some(link) = &event.online_url {
        locations.push(json!({"type": "VirtualLocation", "name": event.title, "url": link}));
    }
    let mut doc = json!({
        "@context": event_context(),
        "id": event.ap_id,
        "type": "Event",
        "name": event.title,
        "content": crate::html::markdown(&event.description),
        "mediaType": "text/html",
        "source": {"content": event.description, "mediaType": "text/markdown"},
        "startTime": format_time(event.starts_at),
        "endTime": format_time(event.ends_at),
        "timezone": event.timezone,
        "attributedTo": group_id,
        "actor": group_id,
        "audience": group_id,
        "to": [PUBLIC],
        "cc": [followers],
        "url": event.ap_id,
        "published": format_time(event.created_at),
        "updated": format_time(event.updated_at),
        "joinMode": if event.needs_approval() { "restricted" } else { "free" },
        "participantCount": counts.going,
        "ical:status": if cancelled { "CANCELLED" } else { "CONFIRMED" },
        "eventStatus": if cancelled { "fep8a8e:EventCancelled" } else { "fep8a8e:EventScheduled" },
        "commentsEnabled": true,
        "anonymousParticipationEnabled": false,
        "isOnline": event.location.is_none() && event.online_url.is_some(),
    });
    match locations.len() {
        0 => {}
        1 => doc["location"] = locations.remove(0),
        _ => doc["location"] = Value::Array(locations),
    }
    if let Some(capacity) = event.capacity {
        doc["maximumAttendeeCapacity"] = json!(capacity);
        doc["remainingAttendeeCapacity"] = json!((capacity - counts.going).max(0));
    }
    doc
}

/// `Create` or `Update` of an event document from the group to all its followers.
fn to_followers(urls: &Urls, group: &Group, kind: &str, document: Value) -> NewOutbound {
    let id = urls.new_activity().to_string();
    let group_id = urls.group(&group.name).to_string();
    let body = json!({
        "@context": document["@context"].clone(),
        "id": id,
        "type": kind,
        "actor": group_id,
        "to": [PUBLIC],
        "cc": [urls.group_followers(&group.name).to_string()],
        "audience": group_id,
        "published": format_time(hearth_storage::now_ms()),
        "object": document,
    });
    NewOutbound {
        ap_id: id,
        group_id: Some(group.id),
        kind: kind.to_owned(),
        public: true,
        body: body.to_string(),
        recipients: vec![Recipients::Followers {
            group_id: group.id,
            flavor: FollowerFlavor::All,
        }],
    }
}

/// Creates an event and sends `Create(Event)` to every follower of the group.
pub async fn create_event(
    fed: &Federation,
    group: &Group,
    request: &EventRequest,
    created_by: &str,
) -> Result<GroupEvent, EventError> {
    let fields = validate(request)?;
    if group.is_archived() {
        return Err(EventError::Invalid(format!(
            "{} is archived: it cannot organise events",
            group.name
        )));
    }
    let key = uuid::Uuid::new_v4().simple().to_string();
    let ap_id = event_url(fed.urls(), &group.name, &key).to_string();
    let now = hearth_storage::now_ms();
    let draft = GroupEvent {
        id: 0,
        group_id: group.id,
        ap_id: ap_id.clone(),
        title: fields.title.clone(),
        description: fields.description.clone(),
        starts_at: fields.starts_at,
        ends_at: fields.ends_at,
        timezone: fields.timezone.clone(),
        location: fields.location.clone(),
        online_url: fields.online_url.clone(),
        capacity: fields.capacity,
        join_mode: fields.join_mode.clone(),
        state: "scheduled".into(),
        sequence: 0,
        created_by: created_by.to_owned(),
        created_at: now,
        updated_at: now,
    };
    let document = event_document(fed.urls(), group, &draft, RsvpCounts::default());
    let work = UnitOfWork {
        received: None,
        changes: vec![Change::Event(EventChange::Create {
            group_id: group.id,
            ap_id: ap_id.clone(),
            fields,
            created_by: created_by.to_owned(),
        })],
        outbound: vec![to_followers(fed.urls(), group, "Create", document)],
    };
    commit(fed, &work).await?;
    stored(fed, &ap_id).await
}

/// Replaces an event's details and sends `Update(Event)` to every follower.
pub async fn edit_event(
    fed: &Federation,
    group: &Group,
    event: &GroupEvent,
    request: &EventRequest,
) -> Result<GroupEvent, EventError> {
    if event.is_cancelled() {
        return Err(EventError::Invalid(format!(
            "event {} was cancelled and cannot be edited",
            event.id
        )));
    }
    let fields = validate(request)?;
    let mut edited = event.clone();
    edited.title = fields.title.clone();
    edited.description = fields.description.clone();
    edited.starts_at = fields.starts_at;
    edited.ends_at = fields.ends_at;
    edited.timezone = fields.timezone.clone();
    edited.location = fields.location.clone();
    edited.online_url = fields.online_url.clone();
    edited.capacity = fields.capacity;
    edited.join_mode = fields.join_mode.clone();
    edited.updated_at = hearth_storage::now_ms();
    let change = EventChange::Edit {
        event_id: event.id,
        fields,
    };
    publish_change(fed, group, &edited, change).await
}

/// Cancels an event and sends `Update(Event)` with `ical:status` `CANCELLED` to every follower.
pub async fn cancel_event(
    fed: &Federation,
    group: &Group,
    event: &GroupEvent,
) -> Result<GroupEvent, EventError> {
    if event.is_cancelled() {
        return Err(EventError::Invalid(format!(
            "event {} is already cancelled",
            event.id
        )));
    }
    let mut cancelled = event.clone();
    cancelled.state = hearth_storage::EVENT_CANCELLED.into();
    cancelled.updated_at = hearth_storage::now_ms();
    let change = EventChange::Cancel { event_id: event.id };
    publish_change(fed, group, &cancelled, change).await
}

/// Decides a pending answer to an event that needs approval. Approved, the person takes a
/// seat (and is sent the `Accept` of their `Join`) or, when the event is full, goes on the
/// waiting list; refused, their answer becomes `declined` and they are sent a `Reject`.
pub async fn decide_participant(
    fed: &Federation,
    group: &Group,
    event: &GroupEvent,
    actor: &str,
    approve: bool,
) -> Result<RsvpStatus, EventError> {
    let store = fed.store();
    let person = store
        .actor_by_ap_id(actor.trim())
        .await?
        .ok_or_else(|| EventError::Invalid(format!("{actor} has not answered this event")))?;
    let pending = store
        .event_participant(event.id, person.id)
        .await?
        .filter(|p| p.status == RsvpStatus::Pending.as_str())
        .ok_or_else(|| {
            EventError::Invalid(format!("{actor} has no answer waiting for approval"))
        })?;
    if event.is_cancelled() {
        return Err(EventError::Invalid(format!(
            "event {} was cancelled",
            event.id
        )));
    }
    let going = store.rsvp_counts(event.id).await?.going;
    let status = match (approve, event.capacity) {
        (false, _) => RsvpStatus::Declined,
        (true, Some(capacity)) if going >= capacity => RsvpStatus::Waitlist,
        (true, _) => RsvpStatus::Going,
    };
    let decide = |status| decision(fed, group, event, &person, &pending.activity_id, status);
    match commit(fed, &decide(status)).await {
        // Someone else took the last seat meanwhile.
        Err(StoreError::Conflict(_)) if status == RsvpStatus::Going => {
            commit(fed, &decide(RsvpStatus::Waitlist)).await?;
            Ok(RsvpStatus::Waitlist)
        }
        outcome => outcome.map(|()| status).map_err(EventError::from),
    }
}

/// Records `status` as `person`'s answer (given by `activity_id`), with the `Accept` of a seat
/// or the `Reject` of a refusal.
fn decision(
    fed: &Federation,
    group: &Group,
    event: &GroupEvent,
    person: &hearth_storage::Actor,
    activity_id: &str,
    status: RsvpStatus,
) -> UnitOfWork {
    let mut work = UnitOfWork {
        received: None,
        changes: vec![Change::Event(EventChange::Rsvp {
            event_id: event.id,
            actor_id: person.id,
            status,
            activity_id: activity_id.to_owned(),
        })],
        outbound: Vec::new(),
    };
    let answer = match status {
        RsvpStatus::Going => Some("Accept"),
        RsvpStatus::Declined => Some("Reject"),
        _ => None,
    };
    if let Some(kind) = answer {
        let request = Value::String(activity_id.to_owned());
        let outgoing = crate::announce::answer(kind, fed.urls(), group, &request, &person.ap_id);
        work.outbound.push(NewOutbound {
            ap_id: outgoing.id,
            group_id: Some(group.id),
            kind: kind.to_owned(),
            public: false,
            body: outgoing.body,
            recipients: vec![crate::notices::inbox_of(person)],
        });
    }
    work
}

/// Applies `change` and sends `Update` of the changed event (`after`) to followers.
async fn publish_change(
    fed: &Federation,
    group: &Group,
    after: &GroupEvent,
    change: EventChange,
) -> Result<GroupEvent, EventError> {
    let counts = fed.store().rsvp_counts(after.id).await?;
    let document = event_document(fed.urls(), group, after, counts);
    let work = UnitOfWork {
        received: None,
        changes: vec![Change::Event(change)],
        outbound: vec![to_followers(fed.urls(), group, "Update", document)],
    };
    commit(fed, &work).await?;
    stored(fed, &after.ap_id).await
}

async fn commit(fed: &Federation, work: &UnitOfWork) -> Result<(), StoreError> {
    let outcome = fed.store().commit(work).await?;
    if outcome.deliveries > 0 {
        fed.notify_work_queued();
    }
    Ok(())
}

async fn stored(fed: &Federation, ap_id: &str) -> Result<GroupEvent, EventError> {
    fed.store()
        .event_by_ap_id(ap_id)
        .await?
        .ok_or_else(|| EventError::Store(StoreError::Conflict(format!("event {ap_id} is gone"))))
}

impl Federation {
    /// Sends each going participant of events starting within the reminder time a direct
    /// message from the group, once. Runs at most once a minute across all processes.
    pub async fn send_event_reminders(&self, owner: &str) {
        const EVERY_MS: i64 = 60_000;
        let now = hearth_storage::now_ms();
        let store = self.store();
        match store
            .claim_scheduled_job("event-reminders", owner, now, now + EVERY_MS, EVERY_MS)
            .await
        {
            Ok(true) => {}
            Ok(false) => return,
            Err(err) => {
                tracing::warn!(error = %err, "cannot claim event reminders");
                return;
            }
        }
        let before = self.settings().event_reminder.as_millis() as i64;
        let due = match store.events_to_remind(now, now + before).await {
            Ok(due) => due,
            Err(err) => {
                tracing::warn!(error = %err, "cannot list events to remind");
                return;
            }
        };
        for event in due {
            if let Err(err) = self.remind(&event).await {
                tracing::warn!(event = %event.ap_id, error = %err, "event reminder failed");
            }
        }
    }

    async fn remind(&self, event: &GroupEvent) -> Result<(), StoreError> {
        let Some(group) = self.store().group_by_id(event.group_id).await? else {
            return Ok(());
        };
        let tz: chrono_tz::Tz = event.timezone.parse().unwrap_or(chrono_tz::UTC);
        let when = tz
            .timestamp_millis_opt(event.starts_at)
            .single()
            .map(|t| t.format("%Y-%m-%d %H:%M %Z").to_string())
            .unwrap_or_default();
        let text = format!(
            "Reminder: <a href=\"{}\">{}</a> starts {}.",
            escape(&event.ap_id),
            escape(&event.title),
            escape(&when)
        );
        let mut work = UnitOfWork::default();
        for participant in self.store().participants_to_remind(event.id).await? {
            work.changes.push(Change::Event(EventChange::Reminded {
                event_id: event.id,
                actor_id: participant.actor_id,
            }));
            if let Some(actor) = self.store().actor_by_id(participant.actor_id).await? {
                work.outbound
                    .push(crate::notices::direct_message(self, &group, &actor, &text));
            }
        }
        commit(self, &work).await
    }
}

/// `text` safe inside HTML text and attribute values.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> EventRequest {
        EventRequest {
            title: "Meetup".into(),
            start: "2026-12-12 18:00".into(),
            end: "2026-12-12 21:00".into(),
            timezone: "Europe/Berlin".into(),
            ..EventRequest::default()
        }
    }

    #[test]
    fn wall_times_become_utc() {
        let fields = validate(&request()).unwrap();
        assert_eq!(format_time(fields.starts_at), "2026-12-12T17:00:00Z");
        assert_eq!(fields.timezone, "Europe/Berlin");
        assert_eq!(fields.join_mode, "open");
    }

    #[test]
    fn bad_input_is_refused() {
        let ends_early = EventRequest {
            end: "2026-12-12 17:00".into(),
            ..request()
        };
        assert!(validate(&ends_early)
            .unwrap_err()
            .to_string()
            .contains("ends"));
        let unknown_zone = EventRequest {
            timezone: "Mars/Olympus".into(),
            ..request()
        };
        assert!(validate(&unknown_zone)
            .unwrap_err()
            .to_string()
            .contains("unknown time zone"));
        let no_capacity = EventRequest {
            capacity: Some(0),
            ..request()
        };
        assert!(validate(&no_capacity).is_err());
    }

    #[test]
    fn event_urls_round_trip() {
        let urls = Urls::new(&Url::parse("http://127.0.0.1:8080/").unwrap());
        let url = event_url(&urls, "climbing", "abc");
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:8080/groups/climbing/events/abc"
        );
        assert_eq!(
            parse_event_url(&urls, &url),
            Some(("climbing".into(), "abc".into()))
        );
        assert_eq!(parse_event_url(&urls, &urls.group("climbing")), None);
    }
}
