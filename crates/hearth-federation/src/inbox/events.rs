//! RSVPs to the group's own events: Mobilizon's `Join`/`Leave`, `Accept`/`TentativeAccept`/
//! `Reject` of the `Event` (Friendica and others), and replies saying "going" or "not going".
//!
//! A `Join` that gets a seat is answered with `Accept` (Mobilizon counts the participant
//! then). When the event is full the person goes on the waiting list and is sent the `Accept`
//! once a seat frees up (someone leaves or declines). Events that need approval keep answers
//! pending. Cancelled and past events refuse answers with 422. When two answers race for the
//! last seat, the store lets one take it and refuses the other's commit (503): its sender's
//! retry then finds the event full and goes on the waiting list.

use hearth_storage::{Change, EventChange, Group, GroupEvent, NewOutbound, RsvpStatus, UnitOfWork};
use serde_json::Value;
use url::Url;

use super::{Handled, Inbound, Rejection};
use crate::announce;
use crate::events::parse_event_url;
use crate::notices::inbox_of;
use crate::vocab::inbound::{id_of, kind_of};
use crate::Federation;

/// Phrases in replies that answer an event, by language. Checked in order, so the negative
/// phrases come before the positive ones they contain ("not going" before "going").
const REPLY_KEYWORDS: &[(&str, &str, RsvpStatus)] = &[
    ("en", "not going", RsvpStatus::Declined),
    ("en", "can't make it", RsvpStatus::Declined),
    ("en", "cannot make it", RsvpStatus::Declined),
    ("en", "can't come", RsvpStatus::Declined),
    ("en", "maybe", RsvpStatus::Maybe),
    ("en", "i'm going", RsvpStatus::Going),
    ("en", "count me in", RsvpStatus::Going),
    ("en", "going", RsvpStatus::Going),
    ("de", "nicht dabei", RsvpStatus::Declined),
    ("de", "kann nicht", RsvpStatus::Declined),
    ("de", "vielleicht", RsvpStatus::Maybe),
    ("de", "bin dabei", RsvpStatus::Going),
    ("de", "ich komme", RsvpStatus::Going),
    ("fr", "je ne viens pas", RsvpStatus::Declined),
    ("fr", "pas dispo", RsvpStatus::Declined),
    ("fr", "peut être", RsvpStatus::Maybe),
    ("fr", "je viens", RsvpStatus::Going),
    ("fr", "j'y serai", RsvpStatus::Going),
    ("es", "no voy", RsvpStatus::Declined),
    ("es", "no puedo", RsvpStatus::Declined),
    ("es", "tal vez", RsvpStatus::Maybe),
    ("es", "quizás", RsvpStatus::Maybe),
    ("es", "cuenta conmigo", RsvpStatus::Going),
    ("es", "voy", RsvpStatus::Going),
];

/// What someone answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// Going, maybe or declined.
    Says(RsvpStatus),
    /// Withdrew their answer altogether (`Leave`).
    Leaves,
}

/// The answer a reply's text gives, in English or the group's language (`lang`).
fn reply_answer(html: &str, lang: &str) -> Option<RsvpStatus> {
    let text = crate::html::to_text(html)
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace(['\u{2019}', '`'], "'")
        .to_lowercase();
    let words: Vec<String> = text
        .split_whitespace()
        .filter(|word| !word.starts_with('@'))
        .map(|word| {
            word.chars()
                .map(|c| {
                    if c.is_alphanumeric() || c == '\'' {
                        c
                    } else {
                        ' '
                    }
                })
                .collect()
        })
        .collect();
    let padded = format!(
        " {} ",
        words
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    );
    let lang = lang.split('-').next().unwrap_or_default();
    REPLY_KEYWORDS
        .iter()
        .filter(|(language, _, _)| *language == "en" || *language == lang)
        .find(|(_, phrase, _)| padded.contains(&format!(" {phrase} ")))
        .map(|(_, _, status)| *status)
}

/// The local event `id` names and its group, if it is one.
async fn local_event(fed: &Federation, id: &str) -> Result<Option<(Group, GroupEvent)>, Rejection> {
    let Some((name, _)) = Url::parse(id)
        .ok()
        .and_then(|url| parse_event_url(fed.urls(), &url))
    else {
        return Ok(None);
    };
    let Some(event) = fed.store().event_by_ap_id(id).await? else {
        return Ok(None);
    };
    match fed.store().group_by_id(event.group_id).await? {
        Some(group) if group.name == name => Ok(Some((group, event))),
        _ => Ok(None),
    }
}

/// Whether `activity`'s object is one of this server's events.
pub(super) fn concerns_event(fed: &Federation, activity: &Value) -> bool {
    activity
        .get("object")
        .and_then(id_of)
        .and_then(|id| Url::parse(id).ok())
        .is_some_and(|url| parse_event_url(fed.urls(), &url).is_some())
}

/// An RSVP activity (`Join`, `Leave`, `Accept`, `TentativeAccept`, `Reject`) about an event.
pub(super) async fn rsvp(
    fed: &Federation,
    inbound: &Inbound<'_>,
) -> Result<Option<Handled>, Rejection> {
    let object = inbound
        .activity
        .get("object")
        .and_then(id_of)
        .ok_or_else(|| Rejection::bad_request("the activity has no object"))?;
    let (group, event) = local_event(fed, object)
        .await?
        .ok_or_else(|| Rejection::not_found(format!("there is no event {object} here")))?;
    let kind = kind_of(inbound.activity).unwrap_or_default();
    let answer = match kind {
        "Join" | "Accept" => Answer::Says(RsvpStatus::Going),
        "TentativeAccept" => Answer::Says(RsvpStatus::Maybe),
        "Reject" => Answer::Says(RsvpStatus::Declined),
        _ => Answer::Leaves,
    };
    let handled = answer_event(fed, inbound, &group, &event, answer, kind == "Join").await?;
    Ok(Some(handled))
}

/// An RSVP by reply, when `object` answers one of the group's events (`parent` is its id);
/// `None` when `parent` is not an event of this server. Replies without an answer in them
/// are comments: acknowledged, not stored.
pub(super) async fn reply(
    fed: &Federation,
    inbound: &Inbound<'_>,
    object: &Value,
    parent: &str,
) -> Result<Option<Handled>, Rejection> {
    let Some((group, event)) = local_event(fed, parent).await? else {
        return Ok(None);
    };
    let content = object.get("content").and_then(Value::as_str).unwrap_or("");
    match reply_answer(content, &group.language) {
        Some(status) => {
            let handled =
                answer_event(fed, inbound, &group, &event, Answer::Says(status), false).await?;
            Ok(Some(handled))
        }
        None => {
            let work = UnitOfWork {
                received: Some(inbound.dedupe_key.clone()),
                ..UnitOfWork::default()
            };
            let summary = format!("a comment on event {} (not stored)", event.id);
            Ok(Some(Handled::new(work, summary)))
        }
    }
}

/// Records `answer` by the sender, respecting approval, capacity and the waiting list, and
/// moves the first waiting person up when a seat frees. `accept_join` answers a `Join` that
/// got a seat with `Accept`.
async fn answer_event(
    fed: &Federation,
    inbound: &Inbound<'_>,
    group: &Group,
    event: &GroupEvent,
    answer: Answer,
    accept_join: bool,
) -> Result<Handled, Rejection> {
    if event.is_cancelled() {
        return Err(Rejection::unprocessable(format!(
            "the event {:?} was cancelled",
            event.title
        )));
    }
    let now = hearth_storage::now_ms();
    if event.ends_at < now {
        return Err(Rejection::unprocessable(format!(
            "the event {:?} is over",
            event.title
        )));
    }
    let store = fed.store();
    let banned = store
        .group_ban(group.id, inbound.actor.id)
        .await?
        .is_some_and(|ban| ban.in_force(now));
    if banned {
        return Err(Rejection::forbidden("the person is banned from the group"));
    }
    let previous = store.event_participant(event.id, inbound.actor.id).await?;
    let was_going = previous.as_ref().is_some_and(|p| p.status == "going");
    let going = store.rsvp_counts(event.id).await?.going;
    let mut work = UnitOfWork {
        received: Some(inbound.dedupe_key.clone()),
        ..UnitOfWork::default()
    };
    let status = match answer {
        Answer::Leaves => None,
        Answer::Says(RsvpStatus::Going) if was_going => Some(RsvpStatus::Going),
        Answer::Says(RsvpStatus::Going) if event.needs_approval() => Some(RsvpStatus::Pending),
        Answer::Says(RsvpStatus::Going) if event.capacity.is_some_and(|c| going >= c) => {
            Some(RsvpStatus::Waitlist)
        }
        Answer::Says(status) => Some(status),
    };
    // Saying the same again changes nothing (and keeps one's place on the waiting list).
    let unchanged = previous.as_ref().map(|p| p.status.as_str()) == status.map(RsvpStatus::as_str);
    if !unchanged {
        work.changes.push(Change::Event(match status {
            Some(status) => EventChange::Rsvp {
                event_id: event.id,
                actor_id: inbound.actor.id,
                status,
                activity_id: inbound.id.to_owned(),
            },
            None => EventChange::Withdraw {
                event_id: event.id,
                actor_id: inbound.actor.id,
            },
        }));
    }
    if accept_join && status == Some(RsvpStatus::Going) {
        let accept = announce::answer(
            "Accept",
            fed.urls(),
            group,
            inbound.activity,
            &inbound.actor.ap_id,
        );
        work.outbound.push(to_one(group, accept, &inbound.actor));
    }
    let frees_seat = was_going && status != Some(RsvpStatus::Going);
    let mut summary = format!(
        "{} is {} for event {}",
        inbound.actor.ap_id,
        status.map_or("no longer answering", RsvpStatus::as_str),
        event.id
    );
    // After a cut in capacity the event may still be full without this seat.
    let seat_left = event.capacity.is_some_and(|capacity| going <= capacity);
    if frees_seat && seat_left {
        if let Some(moved) = move_up_first_waiting(fed, group, event, &mut work).await? {
            summary.push_str(&format!("; {moved} moved up from the waiting list"));
        }
    }
    Ok(Handled::new(work, summary))
}

/// Gives the freed seat to who has waited longest and sends them the `Accept` of their
/// answer; returns their id, `None` when nobody waits. Should a concurrent answer move them up
/// first, the commit fails and the sender's retry gives the seat to the next one.
async fn move_up_first_waiting(
    fed: &Federation,
    group: &Group,
    event: &GroupEvent,
    work: &mut UnitOfWork,
) -> Result<Option<String>, Rejection> {
    let store = fed.store();
    let Some(next) = store.first_waiting(event.id).await? else {
        return Ok(None);
    };
    let Some(actor) = store.actor_by_id(next.actor_id).await? else {
        return Ok(None);
    };
    work.changes.push(Change::Event(EventChange::MoveUp {
        event_id: event.id,
        actor_id: next.actor_id,
    }));
    let accept = announce::answer(
        "Accept",
        fed.urls(),
        group,
        &Value::String(next.activity_id),
        &actor.ap_id,
    );
    work.outbound.push(to_one(group, accept, &actor));
    Ok(Some(actor.ap_id))
}

/// An answer from the group to one actor's inbox.
fn to_one(group: &Group, answer: announce::Outgoing, actor: &hearth_storage::Actor) -> NewOutbound {
    NewOutbound {
        ap_id: answer.id,
        group_id: Some(group.id),
        kind: "Accept".into(),
        public: false,
        body: answer.body,
        recipients: vec![inbox_of(actor)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_read_for_answers() {
        let mention = "<p><span class=\"h-card\"><a href=\"x\">@meetup</a></span> ";
        let cases = [
            ("I&#39;m going!", "en", Some(RsvpStatus::Going)),
            ("Count me in.", "en", Some(RsvpStatus::Going)),
            (
                "Sorry, not going this time",
                "en",
                Some(RsvpStatus::Declined),
            ),
            ("I can\u{2019}t make it", "en", Some(RsvpStatus::Declined)),
            ("Maybe!", "en", Some(RsvpStatus::Maybe)),
            ("Bin dabei", "de", Some(RsvpStatus::Going)),
            ("Bin dabei", "en", None),
            ("Peut-être", "fr", Some(RsvpStatus::Maybe)),
            ("No voy", "es", Some(RsvpStatus::Declined)),
            ("What time does it start?", "en", None),
            ("Ongoing discussion", "en", None),
        ];
        for (text, lang, expected) in cases {
            let html = format!("{mention}{text}</p>");
            assert_eq!(reply_answer(&html, lang), expected, "{text} ({lang})");
        }
    }
}
