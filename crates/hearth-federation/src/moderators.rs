//! Moderators from other instances: listed in the group's moderators collection (its
//! `attributedTo`), announced to followers as `Add`/`Remove` with the collection as `target`
//! (Lemmy's shape), and allowed to start threads in groups where only moderators may.

use hearth_storage::{
    Change, FollowerFlavor, Group, NewOutbound, Recipients, RemoteModerator, StoreError, UnitOfWork,
};
use serde_json::json;
use url::Url;

use crate::actors::{ActorError, Refresh};
use crate::vocab::documents::format_time;
use crate::vocab::PUBLIC;
use crate::Federation;

/// Why a moderator could not be added or removed.
#[derive(Debug, thiserror::Error)]
pub enum ModeratorError {
    /// The actor id is unusable, local, or could not be fetched.
    #[error("{0}")]
    Actor(String),
    /// Removing someone who is not a moderator.
    #[error("{0} is not a moderator of this group")]
    NotModerator(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `Add` or `Remove` of `actor` to or from the group's moderators collection.
fn collection_activity(
    fed: &Federation,
    group: &Group,
    kind: &str,
    actor: &str,
) -> (String, String) {
    let urls = fed.urls();
    let id = urls.new_activity().to_string();
    let group_id = urls.group(&group.name).to_string();
    let body = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id,
        "type": kind,
        "actor": group_id,
        "to": [PUBLIC],
        "cc": [urls.group_followers(&group.name).to_string(), actor],
        "audience": group_id,
        "object": actor,
        "target": urls.group_moderators(&group.name).to_string(),
        "published": format_time(hearth_storage::now_ms()),
    });
    (id, body.to_string())
}

async fn resolve(fed: &Federation, actor: &str) -> Result<hearth_storage::Actor, ModeratorError> {
    let url = Url::parse(actor.trim())
        .map_err(|_| ModeratorError::Actor(format!("{actor:?} is not an actor URL")))?;
    if fed.urls().is_local(&url) {
        return Err(ModeratorError::Actor(format!(
            "{actor} is on this server: appoint local accounts as staff instead"
        )));
    }
    fed.resolve_actor(&url, Refresh::IfStale)
        .await
        .map_err(|e| match e {
            ActorError::Store(err) => ModeratorError::Store(err),
            other => ModeratorError::Actor(format!("cannot fetch the actor {actor}: {other}")),
        })
}

fn outbound(
    group: &Group,
    kind: &str,
    (id, body): (String, String),
    actor: &hearth_storage::Actor,
) -> NewOutbound {
    NewOutbound {
        ap_id: id,
        group_id: Some(group.id),
        kind: kind.into(),
        public: true,
        body,
        recipients: vec![
            Recipients::Followers {
                group_id: group.id,
                flavor: FollowerFlavor::All,
            },
            crate::notices::shared_inbox_of(actor),
        ],
    }
}

/// Makes the actor with id `actor` (fetched if unknown) a moderator of `group` and sends
/// `Add` to the group's followers and to them. Adding a moderator again changes nothing.
pub async fn add_moderator(
    fed: &Federation,
    group: &Group,
    actor: &str,
    added_by: &str,
) -> Result<RemoteModerator, ModeratorError> {
    let actor = resolve(fed, actor).await?;
    let existing = fed.store().group_moderators(group.id).await?;
    if let Some(m) = existing.into_iter().find(|m| m.actor_id == actor.id) {
        return Ok(m);
    }
    let activity = collection_activity(fed, group, "Add", &actor.ap_id);
    let work = UnitOfWork {
        received: None,
        changes: vec![Change::AddModerator {
            group_id: group.id,
            actor_id: actor.id,
            added_by: added_by.to_owned(),
        }],
        outbound: vec![outbound(group, "Add", activity, &actor)],
    };
    fed.store().commit(&work).await?;
    fed.notify_work_queued();
    let added = fed.store().group_moderators(group.id).await?;
    added
        .into_iter()
        .find(|m| m.actor_id == actor.id)
        .ok_or_else(|| ModeratorError::Store(StoreError::NotFound))
}

/// Removes the remote moderator with id `actor` from `group` and sends `Remove`.
pub async fn remove_moderator(
    fed: &Federation,
    group: &Group,
    actor: &str,
) -> Result<(), ModeratorError> {
    let actor = actor.trim();
    let existing = fed.store().group_moderators(group.id).await?;
    let Some(moderator) = existing.into_iter().find(|m| m.ap_id == actor) else {
        return Err(ModeratorError::NotModerator(actor.to_owned()));
    };
    let cached = fed
        .store()
        .actor_by_id(moderator.actor_id)
        .await?
        .ok_or(ModeratorError::Store(StoreError::NotFound))?;
    let activity = collection_activity(fed, group, "Remove", &cached.ap_id);
    let work = UnitOfWork {
        received: None,
        changes: vec![Change::RemoveModerator {
            group_id: group.id,
            actor_id: moderator.actor_id,
        }],
        outbound: vec![outbound(group, "Remove", activity, &cached)],
    };
    fed.store().commit(&work).await?;
    fed.notify_work_queued();
    Ok(())
}
