//! Votes on the group's own polls: replies to a `Question` the group posted.
//!
//! Mastodon and Misskey both vote with a `Create` of a `Note` whose `name` is the chosen
//! option's text and whose `inReplyTo` is the poll, addressed to the group alone; a vote for
//! several options of an `anyOf` poll is one such `Create` per option. Each counted vote is
//! followed at once by an `Update` of the `Question` with the new totals, to the group's
//! followers and to the voter.

use hearth_storage::{GroupPostKind, NewVote, UnitOfWork, VoteOutcome};
use serde_json::Value;
use url::Url;

use super::{Handled, Inbound, Rejection};
use crate::group_posts::{document, poll_update, tally};
use crate::notices::shared_inbox_of;
use crate::vocab::documents::format_time;
use crate::Federation;

/// A vote, when `object` answers one of the group's polls (`parent` is its id); `None` when
/// `parent` is not a poll of this server.
pub(super) async fn reply(
    fed: &Federation,
    inbound: &Inbound<'_>,
    object: &Value,
    parent: &str,
) -> Result<Option<Handled>, Rejection> {
    let Some((name, id)) = Url::parse(parent)
        .ok()
        .and_then(|url| document::parse_object_id(fed.urls(), &url))
    else {
        return Ok(None);
    };
    let Some(group) = fed.store().group_by_name(&name).await? else {
        return Ok(None);
    };
    let Some(poll) = fed.store().group_post(group.id, id).await? else {
        return Err(Rejection::not_found(format!("{parent} does not exist")));
    };
    if poll.kind() != GroupPostKind::Question {
        return Ok(None);
    }
    // A reply without a `name` is a comment, not a vote.
    let Some(chosen) = object.get("name").and_then(Value::as_str).map(str::trim) else {
        return Ok(None);
    };
    if poll.published_at.is_none() {
        return Err(Rejection::not_found(format!("{parent} does not exist")));
    }
    let now = hearth_storage::now_ms();
    if poll.poll_ended(now) {
        let end = poll.closed_at.or(poll.ends_at).unwrap_or(now);
        return Err(Rejection::unprocessable(format!(
            "the poll closed at {}; votes are no longer counted",
            format_time(end)
        )));
    }
    let options = poll.options();
    let choice = options.iter().position(|o| o == chosen).ok_or_else(|| {
        Rejection::unprocessable(format!(
            "{chosen:?} is not an option of this poll (the options are: {})",
            options.join(", ")
        ))
    })?;
    let vote = NewVote {
        poll_id: poll.id,
        actor_id: inbound.actor.id,
        choice: choice as i64,
        multiple: poll.multiple,
        activity_ap_id: inbound.id.to_owned(),
    };
    match fed.store().record_vote(&vote).await? {
        VoteOutcome::Counted | VoteOutcome::AlreadyCounted => {}
        VoteOutcome::Refused if poll.multiple => {
            return Err(Rejection::unprocessable(format!(
                "{} already voted for {chosen:?} in this poll",
                inbound.actor.ap_id
            )))
        }
        VoteOutcome::Refused => {
            return Err(Rejection::unprocessable(format!(
                "{} already voted in this poll, which allows one choice",
                inbound.actor.ap_id
            )))
        }
    }
    let tally = tally(fed, &poll).await?;
    let update = poll_update(
        fed,
        &group,
        &poll,
        &tally,
        Some(shared_inbox_of(&inbound.actor)),
    );
    let work = UnitOfWork {
        received: Some(inbound.dedupe_key.clone()),
        changes: Vec::new(),
        outbound: vec![update],
    };
    Ok(Some(Handled::new(
        work,
        format!(
            "{} voted {chosen:?} in poll {} of {}",
            inbound.actor.ap_id, poll.id, group.name
        ),
    )))
}
