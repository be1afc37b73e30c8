//! `Undo` of a follow or of a reaction.

use hearth_storage::{Change, UnitOfWork};

use super::reactions::undone_reaction;
use super::{follow, Handled, Inbound, Rejection};
use crate::announce::{self, announce_to_threaded};
use crate::vocab::inbound::{id_of, kind_of};
use crate::Federation;

/// Undoes what the inner activity did, when it was `inbound.actor`'s to undo.
pub(super) async fn undo(
    fed: &Federation,
    inbound: &Inbound<'_>,
) -> Result<Option<Handled>, Rejection> {
    let inner = inbound
        .activity
        .get("object")
        .ok_or_else(|| Rejection::bad_request("the Undo has no object"))?;
    if let Some(inner_actor) = inner.get("actor").and_then(id_of) {
        if inner_actor != inbound.actor.ap_id {
            return Err(Rejection::forbidden(
                "an actor may only undo its own activities",
            ));
        }
    }
    match kind_of(inner) {
        Some("Follow") | Some("Join") => undo_follow(fed, inbound, inner).await,
        Some("Like") | Some("Dislike") => undo_reaction(fed, inbound, inner).await,
        Some("Flag") => match id_of(inner) {
            Some(id) => super::report::withdraw(fed, inbound, id).await,
            None => Ok(None),
        },
        Some("Delete") => super::moderation::restore(fed, inbound, inner).await,
        Some("Lock") => super::moderation::lock(fed, inbound, inner, true).await,
        Some("Block") => super::moderation::block(fed, inbound, inner, true).await,
        Some(_) => Ok(None),
        None => {
            // A bare id: a follow or a reaction we stored under that id.
            let Some(id) = id_of(inner) else {
                return Ok(None);
            };
            if let Some(group_id) = fed
                .store()
                .group_followed_by_activity(inbound.actor.id, id)
                .await?
            {
                let name = fed
                    .store()
                    .group_by_id(group_id)
                    .await?
                    .map(|g| g.name)
                    .unwrap_or_default();
                return Ok(Some(follow::unfollow(inbound, group_id, &name)));
            }
            if fed.store().report_exists(id, inbound.actor.id).await? {
                return super::report::withdraw(fed, inbound, id).await;
            }
            undo_reaction(fed, inbound, inner).await
        }
    }
}

async fn undo_follow(
    fed: &Federation,
    inbound: &Inbound<'_>,
    inner: &serde_json::Value,
) -> Result<Option<Handled>, Rejection> {
    let Some(object) = inner.get("object").and_then(id_of) else {
        return Err(Rejection::bad_request("the undone Follow has no object"));
    };
    let Some(name) = url::Url::parse(object)
        .ok()
        .and_then(|u| fed.urls().group_name_of(&u))
    else {
        return Ok(None);
    };
    let Some(group) = fed.store().group_by_name(&name).await? else {
        return Err(Rejection::not_found(format!(
            "there is no group named {name} here"
        )));
    };
    Ok(Some(follow::unfollow(inbound, group.id, &group.name)))
}

async fn undo_reaction(
    fed: &Federation,
    inbound: &Inbound<'_>,
    inner: &serde_json::Value,
) -> Result<Option<Handled>, Rejection> {
    let Some((post_id, kind)) = undone_reaction(fed, inner).await? else {
        return Ok(None);
    };
    let Some(post) = fed.store().post_by_id(post_id).await? else {
        return Ok(None);
    };
    let Some(group) = fed.store().group_by_id(post.group_id).await? else {
        return Ok(None);
    };
    let announce = announce::announce_activity(fed.urls(), &group, inbound.raw);
    let work = UnitOfWork {
        received: Some(inbound.dedupe_key.clone()),
        changes: vec![Change::Unreact {
            post_id,
            actor_id: inbound.actor.id,
            kind: kind.clone(),
        }],
        outbound: vec![announce_to_threaded(&group, announce, "Undo")],
    };
    Ok(Some(Handled::new(
        work,
        format!("withdrew a {kind} in {}", group.name),
    )))
}
