//! iCalendar (RFC 5545) feeds of a group's events: one `VEVENT` per event, its `UID` the
//! event's ActivityPub id, local times with the event's `TZID`, and `SEQUENCE` bumped on
//! every edit so calendar apps replace what they had.

use chrono::TimeZone;
use hearth_storage::{Group, GroupEvent};
use icalendar::{Calendar, CalendarDateTime, Component, Event, EventLike, EventStatus};

/// The media type of iCalendar files.
pub const TEXT_CALENDAR: &str = "text/calendar; charset=utf-8";

/// The event's time `ms` as a local time in its time zone.
fn local(ms: i64, timezone: &str) -> CalendarDateTime {
    let tz: chrono_tz::Tz = timezone.parse().unwrap_or(chrono_tz::UTC);
    let utc = chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default();
    CalendarDateTime::WithTimezone {
        date_time: tz.from_utc_datetime(&utc.naive_utc()).naive_local(),
        tzid: tz.name().to_owned(),
    }
}

/// One event as a `VEVENT`.
fn vevent(event: &GroupEvent) -> Event {
    let mut vevent = Event::new();
    vevent
        .uid(&event.ap_id)
        .summary(&event.title)
        .starts(local(event.starts_at, &event.timezone))
        .ends(local(event.ends_at, &event.timezone))
        .sequence(u32::try_from(event.sequence).unwrap_or_default())
        .timestamp(chrono::DateTime::from_timestamp_millis(event.updated_at).unwrap_or_default())
        .status(if event.is_cancelled() {
            EventStatus::Cancelled
        } else {
            EventStatus::Confirmed
        })
        .url(event.online_url.as_deref().unwrap_or(&event.ap_id));
    if !event.description.is_empty() {
        vevent.description(&event.description);
    }
    match (&event.location, &event.online_url) {
        (Some(address), _) => vevent.location(address),
        (None, Some(link)) => vevent.location(link),
        (None, None) => &mut vevent,
    };
    vevent.done()
}

/// A calendar of `events`, named after the group.
pub fn calendar(group: &Group, events: &[GroupEvent]) -> String {
    let mut calendar = Calendar::new();
    calendar.name(&group.title);
    for event in events {
        calendar.push(vevent(event));
    }
    calendar.done().to_string()
}
