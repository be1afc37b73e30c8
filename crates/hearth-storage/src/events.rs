//! Events a group organises and the answers (RSVPs) of the people taking part.

use crate::error::Result;
use crate::store::{on_pool, Store};

/// An event of a group.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct GroupEvent {
    /// Row id.
    pub id: i64,
    /// The organising group.
    pub group_id: i64,
    /// The `Event` object's id.
    pub ap_id: String,
    /// Title.
    pub title: String,
    /// Description, in Markdown.
    pub description: String,
    /// Start (ms, UTC).
    pub starts_at: i64,
    /// End (ms, UTC).
    pub ends_at: i64,
    /// IANA time zone name the times were given in.
    pub timezone: String,
    /// Address, for events in a place.
    pub location: Option<String>,
    /// Link, for online events.
    pub online_url: Option<String>,
    /// Most people going; `None` for no limit.
    pub capacity: Option<i64>,
    /// `open` (answers are accepted) or `approval` (they stay pending).
    pub join_mode: String,
    /// `scheduled` or `cancelled`.
    pub state: String,
    /// Revision number, bumped on each edit (iCalendar `SEQUENCE`).
    pub sequence: i64,
    /// Who created it.
    pub created_by: String,
    /// Created (ms).
    pub created_at: i64,
    /// Last changed (ms).
    pub updated_at: i64,
}

impl GroupEvent {
    /// Whether the event was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.state == EVENT_CANCELLED
    }

    /// Whether answers wait for a moderator's approval.
    pub fn needs_approval(&self) -> bool {
        self.join_mode == "approval"
    }
}

/// State of a cancelled event.
pub const EVENT_CANCELLED: &str = "cancelled";

/// What an event is, as created or edited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFields {
    /// Title.
    pub title: String,
    /// Description, in Markdown.
    pub description: String,
    /// Start (ms, UTC).
    pub starts_at: i64,
    /// End (ms, UTC).
    pub ends_at: i64,
    /// IANA time zone name.
    pub timezone: String,
    /// Address.
    pub location: Option<String>,
    /// Link for online events.
    pub online_url: Option<String>,
    /// Most people going.
    pub capacity: Option<i64>,
    /// `open` or `approval`.
    pub join_mode: String,
}

/// One person's answer to an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RsvpStatus {
    /// Taking a seat.
    Going,
    /// Perhaps.
    Maybe,
    /// Not coming.
    Declined,
    /// Wants a seat, the event is full.
    Waitlist,
    /// Waits for a moderator's approval.
    Pending,
}

impl RsvpStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RsvpStatus::Going => "going",
            RsvpStatus::Maybe => "maybe",
            RsvpStatus::Declined => "declined",
            RsvpStatus::Waitlist => "waitlist",
            RsvpStatus::Pending => "pending",
        }
    }
}

impl std::str::FromStr for RsvpStatus {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Self, String> {
        Ok(match text {
            "going" => RsvpStatus::Going,
            "maybe" => RsvpStatus::Maybe,
            "declined" => RsvpStatus::Declined,
            "waitlist" => RsvpStatus::Waitlist,
            "pending" => RsvpStatus::Pending,
            other => return Err(format!("unknown RSVP status {other:?}")),
        })
    }
}

/// Someone who answered an event.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Participant {
    /// The event.
    pub event_id: i64,
    /// The actor's row id.
    pub actor_id: i64,
    /// The actor's id.
    pub ap_id: String,
    /// The actor's username, when known.
    pub username: Option<String>,
    /// The actor's instance.
    pub host: String,
    /// `going`, `maybe`, `declined`, `waitlist` or `pending`.
    pub status: String,
    /// The answering activity's id.
    pub activity_id: String,
    /// First answer (ms).
    pub created_at: i64,
    /// Latest answer (ms).
    pub updated_at: i64,
}

impl Participant {
    /// `@user@host` when the username is known, else the id.
    pub fn handle(&self) -> String {
        match &self.username {
            Some(user) => format!("@{user}@{}", self.host),
            None => self.ap_id.clone(),
        }
    }
}

/// How many people gave each answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RsvpCounts {
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

/// A change to events, applied inside a [`crate::UnitOfWork`] (see [`crate::Change::Event`]).
#[derive(Debug, Clone)]
pub enum EventChange {
    /// A new event, with its id minted in advance.
    Create {
        /// The group.
        group_id: i64,
        /// The `Event` id.
        ap_id: String,
        /// What it is.
        fields: EventFields,
        /// Who created it.
        created_by: String,
    },
    /// New fields for an event; bumps its sequence.
    Edit {
        /// Row id.
        event_id: i64,
        /// What it is now.
        fields: EventFields,
    },
    /// Cancel an event; bumps its sequence.
    Cancel {
        /// Row id.
        event_id: i64,
    },
    /// Record (or change) someone's answer. `Going` takes a seat: the event's row is locked
    /// first, so concurrent answers count the seats one at a time, and when none is left the
    /// whole unit of work fails with [`crate::StoreError::Conflict`] (answer again to go on the
    /// waiting list).
    Rsvp {
        /// The event.
        event_id: i64,
        /// Who answers.
        actor_id: i64,
        /// Their answer.
        status: RsvpStatus,
        /// The answering activity's id.
        activity_id: String,
    },
    /// Move someone up from the waiting list into a freed seat. Fails with
    /// [`crate::StoreError::Conflict`] when no seat is left or they are no longer waiting (a
    /// concurrent change moved them up first), so that the next one waiting gets the seat.
    MoveUp {
        /// The event.
        event_id: i64,
        /// Who moves up.
        actor_id: i64,
    },
    /// Forget someone's answer (they left).
    Withdraw {
        /// The event.
        event_id: i64,
        /// Who leaves.
        actor_id: i64,
    },
    /// Mark a participant as reminded that the event starts soon.
    Reminded {
        /// The event.
        event_id: i64,
        /// Who was reminded.
        actor_id: i64,
    },
}

/// Returns [`crate::StoreError::Conflict`] from the enclosing function (so `$tx` rolls back)
/// unless the event `$event_id` has a seat left for `$actor_id`. Takes the event row's lock before counting
/// (on PostgreSQL an `UPDATE` waits for concurrent holders; SQLite has one writer anyway), so
/// the count includes every seat taken by transactions that committed first.
macro_rules! take_seat_in_tx {
    ($tx:ident, $event_id:expr, $actor_id:expr) => {{
        let capacity: Option<Option<i64>> = sqlx::query_scalar(
            "UPDATE group_events SET updated_at = updated_at WHERE id = $1 RETURNING capacity",
        )
        .bind($event_id)
        .fetch_optional(&mut *$tx)
        .await?;
        if let Some(Some(capacity)) = capacity {
            // A statement of its own: it sees what committed while this one waited for the lock.
            let others: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM event_participants \
                 WHERE event_id = $1 AND actor_id <> $2 AND status = 'going'",
            )
            .bind($event_id)
            .bind($actor_id)
            .fetch_one(&mut *$tx)
            .await?;
            if others >= capacity {
                return Err($crate::StoreError::Conflict(format!(
                    "no seat is left at event {}",
                    $event_id
                )));
            }
        }
    }};
}
pub(crate) use take_seat_in_tx;

/// Applies one [`EventChange`] inside the transaction `$tx` at time `$now`.
macro_rules! event_change_in_tx {
    ($tx:ident, $change:expr, $now:expr) => {{
        use $crate::events::EventChange;
        match $change {
            EventChange::Create { group_id, ap_id, fields, created_by } => {
                sqlx::query(
                    "INSERT INTO group_events (group_id, ap_id, title, description, starts_at, ends_at, \
                     timezone, location, online_url, capacity, join_mode, created_by, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)",
                )
                .bind(group_id).bind(ap_id).bind(&fields.title).bind(&fields.description)
                .bind(fields.starts_at).bind(fields.ends_at).bind(&fields.timezone)
                .bind(&fields.location).bind(&fields.online_url).bind(fields.capacity)
                .bind(&fields.join_mode).bind(created_by).bind($now)
                .execute(&mut *$tx).await?;
            }
            EventChange::Edit { event_id, fields } => {
                // A new start time deserves a new reminder.
                sqlx::query(
                    "UPDATE event_participants SET reminded_at = NULL WHERE event_id = $1 \
                     AND (SELECT starts_at FROM group_events WHERE id = $1) <> $2",
                )
                .bind(event_id).bind(fields.starts_at)
                .execute(&mut *$tx).await?;
                sqlx::query(
                    "UPDATE group_events SET title = $2, description = $3, starts_at = $4, ends_at = $5, \
                     timezone = $6, location = $7, online_url = $8, capacity = $9, join_mode = $10, \
                     sequence = sequence + 1, updated_at = $11 WHERE id = $1",
                )
                .bind(event_id).bind(&fields.title).bind(&fields.description).bind(fields.starts_at)
                .bind(fields.ends_at).bind(&fields.timezone).bind(&fields.location)
                .bind(&fields.online_url).bind(fields.capacity).bind(&fields.join_mode).bind($now)
                .execute(&mut *$tx).await?;
            }
            EventChange::Cancel { event_id } => {
                sqlx::query(
                    "UPDATE group_events SET state = 'cancelled', sequence = sequence + 1, updated_at = $2 \
                     WHERE id = $1",
                )
                .bind(event_id).bind($now)
                .execute(&mut *$tx).await?;
            }
            EventChange::Rsvp { event_id, actor_id, status, activity_id } => {
                if *status == $crate::events::RsvpStatus::Going {
                    $crate::events::take_seat_in_tx!($tx, event_id, actor_id);
                }
                sqlx::query(
                    "INSERT INTO event_participants (event_id, actor_id, status, activity_id, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (event_id, actor_id) DO UPDATE \
                     SET status = excluded.status, activity_id = excluded.activity_id, updated_at = excluded.updated_at",
                )
                .bind(event_id).bind(actor_id).bind(status.as_str()).bind(activity_id).bind($now)
                .execute(&mut *$tx).await?;
            }
            EventChange::MoveUp { event_id, actor_id } => {
                $crate::events::take_seat_in_tx!($tx, event_id, actor_id);
                let moved = sqlx::query(
                    "UPDATE event_participants SET status = 'going', updated_at = $3 \
                     WHERE event_id = $1 AND actor_id = $2 AND status = 'waitlist'",
                )
                .bind(event_id).bind(actor_id).bind($now)
                .execute(&mut *$tx).await?
                .rows_affected();
                if moved == 0 {
                    return Err($crate::StoreError::Conflict(format!(
                        "actor {actor_id} is no longer waiting for event {event_id}"
                    )));
                }
            }
            EventChange::Withdraw { event_id, actor_id } => {
                sqlx::query("DELETE FROM event_participants WHERE event_id = $1 AND actor_id = $2")
                    .bind(event_id).bind(actor_id)
                    .execute(&mut *$tx).await?;
            }
            EventChange::Reminded { event_id, actor_id } => {
                sqlx::query(
                    "UPDATE event_participants SET reminded_at = $3 WHERE event_id = $1 AND actor_id = $2",
                )
                .bind(event_id).bind(actor_id).bind($now)
                .execute(&mut *$tx).await?;
            }
        }
    }};
}
pub(crate) use event_change_in_tx;

/// An `Event` someone else organised and posted to the group (Mobilizon, Gancio…), as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RemoteEvent {
    /// The object's id.
    pub ap_id: String,
    /// Its name.
    pub title: Option<String>,
    /// Its page.
    pub url: Option<String>,
    /// The object JSON as received (times and place are read from it).
    pub raw: String,
}

const PARTICIPANT_COLUMNS: &str = "p.event_id, p.actor_id, a.ap_id, \
    a.preferred_username AS username, a.host, p.status, p.activity_id, p.created_at, p.updated_at";

impl Store {
    /// One event by row id.
    pub async fn event_by_id(&self, id: i64) -> Result<Option<GroupEvent>> {
        let sql = "SELECT * FROM group_events WHERE id = $1";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).bind(id).fetch_optional(pool).await?))
    }

    /// One event by its `Event` id.
    pub async fn event_by_ap_id(&self, ap_id: &str) -> Result<Option<GroupEvent>> {
        let sql = "SELECT * FROM group_events WHERE ap_id = $1";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).bind(ap_id).fetch_optional(pool).await?))
    }

    /// A group's events ending at or after `since` (ms), soonest first.
    pub async fn group_events(&self, group_id: i64, since: i64) -> Result<Vec<GroupEvent>> {
        let sql = "SELECT * FROM group_events WHERE group_id = $1 AND ends_at >= $2 \
                   ORDER BY starts_at, id";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).bind(group_id).bind(since).fetch_all(pool).await?))
    }

    /// The latest `Event` posts others made to a group, newest first (hidden ones left out).
    pub async fn remote_events(&self, group_id: i64, limit: i64) -> Result<Vec<RemoteEvent>> {
        let sql = "SELECT ap_id, title, url, raw FROM posts WHERE group_id = $1 AND kind = 'Event' \
                   AND deleted_at IS NULL AND removed_at IS NULL ORDER BY published DESC, id DESC LIMIT $2";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).bind(group_id).bind(limit).fetch_all(pool).await?))
    }

    /// Scheduled events starting between `from` and `until` (ms) with going participants
    /// not reminded yet.
    pub async fn events_to_remind(&self, from: i64, until: i64) -> Result<Vec<GroupEvent>> {
        let sql = "SELECT * FROM group_events e WHERE state = 'scheduled' \
                   AND starts_at > $1 AND starts_at <= $2 AND EXISTS (SELECT 1 FROM event_participants p \
                   WHERE p.event_id = e.id AND p.status = 'going' AND p.reminded_at IS NULL) \
                   ORDER BY starts_at, id";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).bind(from).bind(until).fetch_all(pool).await?))
    }

    /// The going participants of an event not reminded yet.
    pub async fn participants_to_remind(&self, event_id: i64) -> Result<Vec<Participant>> {
        let sql = format!(
            "SELECT {PARTICIPANT_COLUMNS} FROM event_participants p JOIN actors a ON a.id = p.actor_id \
             WHERE p.event_id = $1 AND p.status = 'going' AND p.reminded_at IS NULL ORDER BY p.id"
        );
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(event_id).fetch_all(pool).await?))
    }

    /// Everyone who answered an event, in the order they first answered.
    pub async fn event_participants(&self, event_id: i64) -> Result<Vec<Participant>> {
        let sql = format!(
            "SELECT {PARTICIPANT_COLUMNS} FROM event_participants p JOIN actors a ON a.id = p.actor_id \
             WHERE p.event_id = $1 ORDER BY p.created_at, p.id"
        );
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(event_id).fetch_all(pool).await?))
    }

    /// One person's answer to an event.
    pub async fn event_participant(
        &self,
        event_id: i64,
        actor_id: i64,
    ) -> Result<Option<Participant>> {
        let sql = format!(
            "SELECT {PARTICIPANT_COLUMNS} FROM event_participants p JOIN actors a ON a.id = p.actor_id \
             WHERE p.event_id = $1 AND p.actor_id = $2"
        );
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(event_id).bind(actor_id).fetch_optional(pool).await?))
    }

    /// Who has waited longest on an event's waiting list.
    pub async fn first_waiting(&self, event_id: i64) -> Result<Option<Participant>> {
        let sql = format!(
            "SELECT {PARTICIPANT_COLUMNS} FROM event_participants p JOIN actors a ON a.id = p.actor_id \
             WHERE p.event_id = $1 AND p.status = 'waitlist' ORDER BY p.updated_at, p.id LIMIT 1"
        );
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(event_id).fetch_optional(pool).await?))
    }

    /// How many people gave each answer.
    pub async fn rsvp_counts(&self, event_id: i64) -> Result<RsvpCounts> {
        let sql =
            "SELECT status, COUNT(*) FROM event_participants WHERE event_id = $1 GROUP BY status";
        let rows: Vec<(String, i64)> =
            on_pool!(self, pool => sqlx::query_as(sql).bind(event_id).fetch_all(pool).await?);
        let mut counts = RsvpCounts::default();
        for (status, n) in rows {
            match status.as_str() {
                "going" => counts.going = n,
                "maybe" => counts.maybe = n,
                "declined" => counts.declined = n,
                "waitlist" => counts.waitlist = n,
                _ => counts.pending = n,
            }
        }
        Ok(counts)
    }
}
