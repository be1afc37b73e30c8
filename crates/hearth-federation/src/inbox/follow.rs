//! `Follow` (and Mobilizon's `Join`) of a group, and leaving it (`Undo(Follow)`, `Leave`).

use hearth_storage::{Change, FollowState, JoinMode, NewOutbound, UnitOfWork};
use url::Url;

use super::{Handled, Inbound, Rejection};
use crate::announce;
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

/// How a group answers a follow request.
enum Decision {
    Accept,
    Wait,
    Refuse(&'static str),
}

/// Records the follow and answers it as the group's join mode says: open groups accept at
/// once, approval-required groups keep it pending (with any answers the request carried),
/// invite-only groups accept invited actors and reject the rest, archived groups reject all,
/// and people banned from the group are rejected.
pub(super) async fn follow(
    fed: &Federation,
    inbound: &Inbound<'_>,
) -> Result<Option<Handled>, Rejection> {
    let group = followed_group(fed, inbound).await?;
    let banned = fed
        .store()
        .group_ban(group.id, inbound.actor.id)
        .await?
        .is_some_and(|ban| ban.in_force(hearth_storage::now_ms()));
    let decision = if group.is_archived() {
        Decision::Refuse("the group is archived")
    } else if banned {
        Decision::Refuse("the person is banned from the group")
    } else {
        match group.join_mode() {
            JoinMode::Open => Decision::Accept,
            JoinMode::Approval => Decision::Wait,
            JoinMode::Invite => {
                if fed
                    .store()
                    .is_invited(group.id, &inbound.actor.ap_id)
                    .await?
                {
                    Decision::Accept
                } else {
                    Decision::Refuse("the group is invite-only")
                }
            }
        }
    };
    let mut work = UnitOfWork {
        received: Some(inbound.dedupe_key.clone()),
        changes: Vec::new(),
        outbound: Vec::new(),
    };
    let state = match decision {
        Decision::Accept => FollowState::Accepted,
        Decision::Wait => FollowState::Pending,
        Decision::Refuse(_) => {
            // A refused request leaves no follow behind.
            work.changes.push(Change::Unfollow {
                group_id: group.id,
                actor_id: inbound.actor.id,
            });
            FollowState::Pending
        }
    };
    if !matches!(decision, Decision::Refuse(_)) {
        work.changes.push(Change::Follow {
            group_id: group.id,
            actor_id: inbound.actor.id,
            activity_id: inbound.id.to_owned(),
            state,
        });
    }
    if matches!(decision, Decision::Wait) {
        let answers = answers_of(inbound.activity);
        if !answers.is_empty() {
            work.changes.push(Change::FollowAnswers {
                group_id: group.id,
                actor_id: inbound.actor.id,
                answers,
            });
        }
    }
    let kind = match decision {
        Decision::Accept => Some("Accept"),
        Decision::Wait => None,
        Decision::Refuse(_) => Some("Reject"),
    };
    if let Some(kind) = kind {
        let answer = announce::answer(
            kind,
            fed.urls(),
            &group,
            inbound.activity,
            &inbound.actor.ap_id,
        );
        work.outbound.push(NewOutbound {
            ap_id: answer.id,
            group_id: Some(group.id),
            kind: kind.into(),
            public: false,
            body: answer.body,
            recipients: vec![crate::notices::inbox_of(&inbound.actor)],
        });
    }
    if matches!(decision, Decision::Accept) {
        work.outbound
            .extend(crate::group_posts::welcome(fed, &group, &inbound.actor));
    }
    fed.learn_instance_soon(&inbound.actor.host, &inbound.actor.ap_id);
    let outcome = match decision {
        Decision::Accept => "now follows".to_owned(),
        Decision::Wait => "asked to follow".to_owned(),
        Decision::Refuse(why) => format!("was refused ({why}) by"),
    };
    Ok(Some(Handled::new(
        work,
        format!("{} {outcome} {}", inbound.actor.ap_id, group.name),
    )))
}

/// Longest answer text kept from a join request.
const MAX_ANSWERS_CHARS: usize = 4000;

/// Answers to a group's questions that a join request carries: the `content` (or `summary`)
/// some software sends with `Follow`/`Join`, as plain text.
fn answers_of(activity: &serde_json::Value) -> String {
    let text = ["content", "summary"]
        .iter()
        .find_map(|key| activity.get(*key).and_then(|v| v.as_str()))
        .map(crate::html::to_text)
        .unwrap_or_default();
    text.chars().take(MAX_ANSWERS_CHARS).collect()
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
