//! Moderation activities from a group's remote moderators (FEP-1b12, Lemmy's shapes): a
//! `Delete` of someone else's post (a removal, reason in `summary`), `Lock`, `Block` with the
//! group as `target` (a ban, with `endTime` and `removeData`), `Add`/`Remove` on the
//! `featured` collection, and `Undo` of each. The sender must be one of the group's
//! moderators; the group then applies the action, logs it and announces the activity exactly
//! as received. An `Announce` of such an activity from anyone else is refused: moderation is
//! only taken first-hand.

use hearth_storage::{Actor, Change, Group, NewBan, NewModlogEntry, Post, UnitOfWork};
use serde_json::Value;
use url::Url;

use super::{Handled, Inbound, Rejection};
use crate::actions::end_time;
use crate::announce::{announce_received, unboost};
use crate::notices::inbox_of;
use crate::vocab::inbound::{id_of, kind_of, str_of};
use crate::Federation;

/// Activity types that carry moderation when they concern a group's content or members.
pub(super) const MODERATION_TYPES: [&str; 6] = ["Delete", "Lock", "Block", "Add", "Remove", "Undo"];

/// Refuses an `Announce` that carries a moderation activity: only the moderator's own,
/// signed activity is trusted.
pub(super) fn refuse_announced(inbound: &Inbound<'_>) -> Result<(), Rejection> {
    let inner = inbound.activity.get("object");
    let inner_kind = inner.and_then(kind_of);
    match inner_kind {
        Some(kind) if MODERATION_TYPES.contains(&kind) => Err(Rejection::forbidden(format!(
            "an Announce of a {kind} by {} is not trusted: moderation is only accepted from the \
             moderator who made it, signed and sent directly",
            inbound.actor.ap_id
        ))),
        _ => Ok(()),
    }
}

/// Checks that `actor` moderates `group`.
async fn require_moderator(
    fed: &Federation,
    group: &Group,
    actor: &Actor,
    what: &str,
) -> Result<(), Rejection> {
    if fed.store().is_group_moderator(group.id, actor.id).await? {
        return Ok(());
    }
    Err(Rejection::forbidden(format!(
        "{} is not a moderator of {}: only its moderators may {what}",
        actor.ap_id, group.name
    )))
}

/// The unit of work for an accepted moderation activity: `changes`, a modlog line, and the
/// group's `Announce` of the activity as received.
fn accepted(
    fed: &Federation,
    inbound: &Inbound<'_>,
    group: &Group,
    changes: Vec<Change>,
    log: NewModlogEntry,
) -> UnitOfWork {
    let announce = announce_received(fed.urls(), group, inbound.activity, inbound.raw);
    let mut changes = changes;
    changes.push(Change::Log(NewModlogEntry {
        group_id: Some(group.id),
        actor: inbound.actor.ap_id.clone(),
        ..log
    }));
    UnitOfWork {
        received: Some(inbound.dedupe_key.clone()),
        changes,
        outbound: vec![announce],
    }
}

/// The reason in an activity's `summary` (Lemmy) or `content`.
fn reason_of(activity: &Value) -> String {
    str_of(activity, "summary")
        .or_else(|| str_of(activity, "content"))
        .unwrap_or_default()
        .chars()
        .take(2_000)
        .collect()
}

/// A moderator's removal of someone else's post (`Delete` with the post as object).
pub(super) async fn remove(
    fed: &Federation,
    inbound: &Inbound<'_>,
    post: Post,
    group: Group,
) -> Result<Option<Handled>, Rejection> {
    require_moderator(fed, &group, &inbound.actor, "remove other people's posts").await?;
    if post.removed_at.is_some() {
        return Ok(None);
    }
    let reason = reason_of(inbound.activity);
    let changes = vec![Change::RemovePost {
        post_id: post.id,
        at: hearth_storage::now_ms(),
        by: inbound.actor.ap_id.clone(),
        reason: reason.clone(),
    }];
    let log = NewModlogEntry {
        action: "post.remove".into(),
        target: post.ap_id.clone(),
        reason,
        ..NewModlogEntry::default()
    };
    let mut work = accepted(fed, inbound, &group, changes, log);
    if post.in_reply_to.is_none() {
        work.outbound.push(unboost(fed.urls(), &group, &post.ap_id));
    }
    Ok(Some(Handled::new(
        work,
        format!("{} removed by a moderator of {}", post.ap_id, group.name),
    )))
}

/// The stored post `id` names, with its group.
async fn post_and_group(
    fed: &Federation,
    id: Option<&str>,
) -> Result<Option<(Post, Group)>, Rejection> {
    let Some(id) = id else {
        return Err(Rejection::bad_request("the activity has no object"));
    };
    let Some(post) = fed.store().post_by_ap_id(id).await? else {
        return Ok(None);
    };
    let Some(group) = fed.store().group_by_id(post.group_id).await? else {
        return Ok(None);
    };
    Ok(Some((post, group)))
}

/// `Lock` of a thread by a moderator, or its `Undo` (`unlock`).
pub(super) async fn lock(
    fed: &Federation,
    inbound: &Inbound<'_>,
    lock: &Value,
    unlock: bool,
) -> Result<Option<Handled>, Rejection> {
    let Some((post, group)) = post_and_group(fed, lock.get("object").and_then(id_of)).await? else {
        return Ok(None);
    };
    require_moderator(fed, &group, &inbound.actor, "lock threads").await?;
    let root = match post.thread_id {
        Some(root) if root != post.id => fed.store().post_by_id(root).await?.unwrap_or(post),
        _ => post,
    };
    let changes = vec![Change::LockThread {
        post_id: root.id,
        locked_at: (!unlock).then(hearth_storage::now_ms),
    }];
    let log = NewModlogEntry {
        action: if unlock {
            "thread.unlock"
        } else {
            "thread.lock"
        }
        .into(),
        target: root.ap_id.clone(),
        reason: reason_of(lock),
        ..NewModlogEntry::default()
    };
    let work = accepted(fed, inbound, &group, changes, log);
    let verb = if unlock { "unlocked" } else { "locked" };
    Ok(Some(Handled::new(
        work,
        format!("{} {verb} by a moderator of {}", root.ap_id, group.name),
    )))
}

/// The local group an activity's `target` names (the group itself or one of its
/// collections), with what the target is.
async fn target_group(
    fed: &Federation,
    activity: &Value,
) -> Result<Option<(Group, String)>, Rejection> {
    let Some(target) = activity.get("target").and_then(id_of) else {
        return Ok(None);
    };
    let group_url = target
        .strip_suffix("/featured")
        .or_else(|| target.strip_suffix("/moderators"))
        .unwrap_or(target);
    let Ok(url) = Url::parse(group_url) else {
        return Ok(None);
    };
    let Some(name) = fed.urls().group_name_of(&url) else {
        return Ok(None);
    };
    Ok(fed
        .store()
        .group_by_name(&name)
        .await?
        .map(|g| (g, target.to_owned())))
}

/// `Add` or `Remove` on a group's `featured` collection by a moderator (pin, unpin).
/// Anything else aimed at a local group's collections is refused.
pub(super) async fn collection(
    fed: &Federation,
    inbound: &Inbound<'_>,
    pin: bool,
) -> Result<Option<Handled>, Rejection> {
    let Some((group, target)) = target_group(fed, inbound.activity).await? else {
        return Ok(None);
    };
    if target != fed.urls().group_featured(&group.name).as_str() {
        return Err(Rejection::forbidden(format!(
            "{target} cannot be changed from other servers: the group's own staff appoint its moderators"
        )));
    }
    require_moderator(fed, &group, &inbound.actor, "pin posts").await?;
    let Some((post, post_group)) =
        post_and_group(fed, inbound.activity.get("object").and_then(id_of)).await?
    else {
        return Err(Rejection::unprocessable(
            "the post to pin is not one this group holds",
        ));
    };
    if post_group.id != group.id || post.in_reply_to.is_some() {
        return Err(Rejection::unprocessable(
            "only the group's own threads can be pinned to it",
        ));
    }
    let changes = vec![Change::PinPost {
        post_id: post.id,
        pinned: pin,
    }];
    let log = NewModlogEntry {
        action: if pin { "post.pin" } else { "post.unpin" }.into(),
        target: post.ap_id.clone(),
        ..NewModlogEntry::default()
    };
    let work = accepted(fed, inbound, &group, changes, log);
    let verb = if pin { "pinned" } else { "unpinned" };
    Ok(Some(Handled::new(
        work,
        format!("{} {verb} in {}", post.ap_id, group.name),
    )))
}

/// `Block`: a moderator's ban of a person from the group (`target` the group), or its `Undo`
/// (`lift`). A `Block` of the group itself (a person blocking it) ends their follow.
pub(super) async fn block(
    fed: &Federation,
    inbound: &Inbound<'_>,
    block: &Value,
    lift: bool,
) -> Result<Option<Handled>, Rejection> {
    let object = block
        .get("object")
        .and_then(id_of)
        .ok_or_else(|| Rejection::bad_request("the Block has no object"))?;
    if let Some(name) = Url::parse(object)
        .ok()
        .and_then(|u| fed.urls().group_name_of(&u))
    {
        let Some(group) = fed.store().group_by_name(&name).await? else {
            return Ok(None);
        };
        if lift {
            return Ok(None);
        }
        return Ok(Some(super::follow::unfollow(
            inbound,
            group.id,
            &group.name,
        )));
    }
    let Some((group, _)) = target_group(fed, block).await? else {
        return Ok(None);
    };
    require_moderator(fed, &group, &inbound.actor, "ban people").await?;
    let banned = fed
        .resolve_actor(
            &Url::parse(object)
                .map_err(|_| Rejection::bad_request("the Block's object is not a URL"))?,
            crate::actors::Refresh::IfStale,
        )
        .await
        .map_err(|e| Rejection::unprocessable(format!("cannot fetch the person to ban: {e}")))?;
    let reason = reason_of(block);
    let mut changes = Vec::new();
    let mut details = String::new();
    if lift {
        changes.push(Change::Unban {
            group_id: group.id,
            actor_id: banned.id,
        });
    } else {
        let expires_at = end_time(block);
        if expires_at.is_some_and(|at| at <= hearth_storage::now_ms()) {
            return Err(Rejection::unprocessable(
                "the ban's endTime is in the past; nothing was changed",
            ));
        }
        if let Some(at) = expires_at {
            details = format!("until {}", crate::vocab::documents::format_time(at));
        }
        if block.get("removeData").and_then(Value::as_bool) == Some(true) {
            changes.push(Change::RemoveAuthorPosts {
                group_id: group.id,
                actor_id: banned.id,
                by: inbound.actor.ap_id.clone(),
                reason: reason.clone(),
            });
            details = format!("{details} content removed").trim().to_owned();
        }
        changes.push(Change::Ban(NewBan {
            group_id: group.id,
            actor_id: banned.id,
            reason: reason.clone(),
            rule_id: None,
            expires_at,
            banned_by: inbound.actor.ap_id.clone(),
        }));
    }
    let log = NewModlogEntry {
        action: if lift { "member.unban" } else { "member.ban" }.into(),
        target: banned.ap_id.clone(),
        reason,
        details,
        ..NewModlogEntry::default()
    };
    let mut work = accepted(fed, inbound, &group, changes, log);
    if let Some(announce) = work.outbound.first_mut() {
        announce.recipients.push(inbox_of(&banned));
    }
    let verb = if lift { "unbanned from" } else { "banned from" };
    Ok(Some(Handled::new(
        work,
        format!("{} {verb} {} by a moderator", banned.ap_id, group.name),
    )))
}

/// `Undo` of a moderator's removal: the post is restored.
pub(super) async fn restore(
    fed: &Federation,
    inbound: &Inbound<'_>,
    delete: &Value,
) -> Result<Option<Handled>, Rejection> {
    let Some((post, group)) = post_and_group(fed, delete.get("object").and_then(id_of)).await?
    else {
        return Ok(None);
    };
    if post.author_ap_id == inbound.actor.ap_id && post.removed_at.is_none() {
        return Ok(None);
    }
    require_moderator(fed, &group, &inbound.actor, "restore removed posts").await?;
    if post.removed_at.is_none() {
        return Ok(None);
    }
    let changes = vec![Change::RestorePost { post_id: post.id }];
    let log = NewModlogEntry {
        action: "post.restore".into(),
        target: post.ap_id.clone(),
        ..NewModlogEntry::default()
    };
    let work = accepted(fed, inbound, &group, changes, log);
    Ok(Some(Handled::new(
        work,
        format!("{} restored in {}", post.ap_id, group.name),
    )))
}
