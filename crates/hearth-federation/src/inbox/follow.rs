//! `Follow` (and Mobilizon's `Join`) of a group, and leaving it (`Undo(Follow)`, `Leave`).

use hearth_storage::{Change, FollowState, NewOutbound, Recipients, UnitOfWork};
use url::Url;

use super::{Handled, Inbound, Rejection};
use crate::announce;
use crate::urls::authority;
use crate::vocab::inbound::id_of;
use crate::Federation;

/// The group a `Follow`/`Join`/`Leave` names.
async fn followed_group(
    fed: &Federation,
    inbound: &Inbound<'_>,
) -> Result<hearth_storage::Group, Rejection> {
    let object = inbound
        .activity
        .get("object")
        .and_then(id_of)
        .ok_or_else(|| Rejection::bad_request("the activity has no object"))?;
    let url = Url::parse(object).map_err(|_| Rejection::bad_request("the object is not a URL"))?;
    if !fed.urls().is_local(&url) {
        return Err(Rejection::unprocessable(format!(
            "{object} is not an actor of this server"
        )));
    }
    let name = fed
        .urls()
        .group_name_of(&url)
        .ok_or_else(|| Rejection::not_found(format!("{object} is not a group")))?;
    fed.store()
        .group_by_name(&name)
        .await?
        .ok_or_else(|| Rejection::not_found(format!("there is no group named {name} here")))
}

/// Records the follow and, unless the group approves followers by hand, accepts it.
pub(super) async fn follow(
    fed: &Federation,
    inbound: &Inbound<'_>,
) -> Result<Option<Handled>, Rejection> {
    let group = followed_group(fed, inbound).await?;
    let state = if group.manually_approves_followers {
        FollowState::Pending
    } else {
        FollowState::Accepted
    };
    let mut work = UnitOfWork {
        received: Some(inbound.dedupe_key.clone()),
        changes: vec![Change::Follow {
            group_id: group.id,
            actor_id: inbound.actor.id,
            activity_id: inbound.id.to_owned(),
            state,
        }],
        outbound: Vec::new(),
    };
    if state == FollowState::Accepted {
        let accept = announce::accept(fed.urls(), &group, inbound.activity, &inbound.actor.ap_id);
        let host = Url::parse(&inbound.actor.inbox)
            .map(|u| authority(&u))
            .unwrap_or_else(|_| inbound.actor.host.clone());
        work.outbound.push(NewOutbound {
            ap_id: accept.id,
            group_id: Some(group.id),
            kind: "Accept".into(),
            public: false,
            body: accept.body,
            recipients: vec![Recipients::Inbox {
                inbox: inbound.actor.inbox.clone(),
                host,
            }],
        });
    }
    fed.learn_instance_soon(&inbound.actor.host, &inbound.actor.ap_id);
    let verb = match state {
        FollowState::Accepted => "now follows",
        FollowState::Pending => "asked to follow",
    };
    Ok(Some(Handled::new(
        work,
        format!("{} {verb} {}", inbound.actor.ap_id, group.name),
    )))
}

/// Removes the follow of the group named by a `Leave` activity.
pub(super) async fn leave(
    fed: &Federation,
    inbound: &Inbound<'_>,
) -> Result<Option<Handled>, Rejection> {
    let group = followed_group(fed, inbound).await?;
    Ok(Some(unfollow(inbound, group.id, &group.name)))
}

/// The changes that end `inbound.actor`'s follow of a group.
pub(super) fn unfollow(inbound: &Inbound<'_>, group_id: i64, name: &str) -> Handled {
    let work = UnitOfWork {
        received: Some(inbound.dedupe_key.clone()),
        changes: vec![Change::Unfollow {
            group_id,
            actor_id: inbound.actor.id,
        }],
        outbound: Vec::new(),
    };
    Handled::new(work, format!("{} left {name}", inbound.actor.ap_id))
}
