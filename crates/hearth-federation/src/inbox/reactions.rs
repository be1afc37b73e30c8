//! `Like` and `Dislike` of posts in a group: stored, then announced to the group's followers.

use hearth_storage::{Change, UnitOfWork};

use super::{Handled, Inbound, Rejection};
use crate::announce::{self, announce_to_threaded};
use crate::vocab::inbound::{id_of, kind_of};
use crate::Federation;

/// Records a reaction to a post Hearth holds; reactions to anything else are ignored.
pub(super) async fn react(
    fed: &Federation,
    inbound: &Inbound<'_>,
) -> Result<Option<Handled>, Rejection> {
    let kind = kind_of(inbound.activity).unwrap_or("Like");
    let object = inbound
        .activity
        .get("object")
        .and_then(id_of)
        .ok_or_else(|| Rejection::bad_request("the reaction has no object"))?;
    let Some(post) = fed.store().post_by_ap_id(object).await? else {
        return Ok(None);
    };
    if post.deleted_at.is_some() {
        return Ok(None);
    }
    let Some(group) = fed.store().group_by_id(post.group_id).await? else {
        return Ok(None);
    };
    let announce = announce::announce_activity(fed.urls(), &group, inbound.raw);
    let work = UnitOfWork {
        received: Some(inbound.dedupe_key.clone()),
        changes: vec![Change::React {
            activity_ap_id: inbound.id.to_owned(),
            post_id: post.id,
            actor_id: inbound.actor.id,
            kind: kind.to_owned(),
        }],
        outbound: vec![announce_to_threaded(&group, announce, kind)],
    };
    Ok(Some(Handled::new(
        work,
        format!("{kind} of {object} in {}", group.name),
    )))
}

/// The reaction an `Undo` withdraws: the post and kind, from the embedded reaction or from
/// the stored one with that id.
pub(super) async fn undone_reaction(
    fed: &Federation,
    inner: &serde_json::Value,
) -> Result<Option<(i64, String)>, Rejection> {
    if let (Some(kind @ ("Like" | "Dislike")), Some(object)) =
        (kind_of(inner), inner.get("object").and_then(id_of))
    {
        return Ok(fed
            .store()
            .post_by_ap_id(object)
            .await?
            .map(|p| (p.id, kind.to_owned())));
    }
    match id_of(inner) {
        Some(id) => Ok(fed.store().reaction_by_activity(id).await?),
        None => Ok(None),
    }
}
