//! Moderators' actions on a group: remove or restore a post, lock or unlock a thread, pin or
//! unpin, ban or unban a person (with an expiry and optionally removing their content), warn.
//! Each is planned as one [`UnitOfWork`]: the change, its modlog line and the activities that
//! federate it, committed together. [`cases`] applies several at once when closing a case.

mod activities;
pub mod cases;

use hearth_storage::{Actor, Change, Group, NewBan, NewModlogEntry, Post, StoreError, UnitOfWork};
use serde_json::Value;
use url::Url;

use crate::actors::{ActorError, Refresh};
use crate::notices::{direct_message, inbox_of};
use crate::Federation;
use activities::BanTerms;

/// One moderation action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Remove a post or comment: hidden here, `Delete` announced to followers.
    Remove {
        /// The post's object id.
        post: String,
    },
    /// Restore a removed post (`Undo` of the removal).
    Restore {
        /// The post's object id.
        post: String,
    },
    /// Lock a thread against new replies.
    Lock {
        /// Any post of the thread; its root is locked.
        post: String,
    },
    /// Unlock a thread.
    Unlock {
        /// Any post of the thread.
        post: String,
    },
    /// Pin a thread to the group (its `featured` collection).
    Pin {
        /// The thread's root post.
        post: String,
    },
    /// Unpin a thread.
    Unpin {
        /// The thread's root post.
        post: String,
    },
    /// Ban a person from the group.
    Ban {
        /// Their actor id.
        person: String,
        /// When the ban lifts by itself (ms); `None` until lifted.
        expires_at: Option<i64>,
        /// Also remove everything they posted in the group.
        remove_data: bool,
    },
    /// Lift a ban.
    Unban {
        /// Their actor id.
        person: String,
    },
    /// Warn a person with a direct message from the group.
    Warn {
        /// Their actor id.
        person: String,
    },
}

impl Action {
    /// The modlog name of the action.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Remove { .. } => "post.remove",
            Action::Restore { .. } => "post.restore",
            Action::Lock { .. } => "thread.lock",
            Action::Unlock { .. } => "thread.unlock",
            Action::Pin { .. } => "post.pin",
            Action::Unpin { .. } => "post.unpin",
            Action::Ban { .. } => "member.ban",
            Action::Unban { .. } => "member.unban",
            Action::Warn { .. } => "member.warn",
        }
    }
}

/// An action with its reason and the group rule it cites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRequest {
    /// What to do.
    pub action: Action,
    /// Why (federated where the activity has a place for it, and logged).
    pub reason: String,
    /// The group rule cited, by id.
    pub rule_id: Option<i64>,
}

/// Why an action could not be taken; nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// The post is not one of the group's.
    #[error("{0} is not a post in this group")]
    NoSuchPost(String),
    /// The person could not be found or fetched.
    #[error("{0}")]
    NoSuchPerson(String),
    /// The action does not fit the current state (already removed, not banned…).
    #[error("{0}")]
    Invalid(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Takes `request` in `group` as `by` (how the modlog names the moderator), and federates it.
/// Returns the modlog line's wording.
pub async fn apply_action(
    fed: &Federation,
    group: &Group,
    by: &str,
    request: &ActionRequest,
) -> Result<String, ActionError> {
    let work = plan(fed, group, by, request).await?;
    fed.store().commit(&work).await?;
    fed.notify_work_queued();
    Ok(format!(
        "{} {}",
        request.action.name(),
        target_of(&request.action)
    ))
}

fn target_of(action: &Action) -> &str {
    match action {
        Action::Remove { post }
        | Action::Restore { post }
        | Action::Lock { post }
        | Action::Unlock { post }
        | Action::Pin { post }
        | Action::Unpin { post } => post,
        Action::Ban { person, .. } | Action::Unban { person } | Action::Warn { person } => person,
    }
}

/// The group's post `post_id`, by object id, URL or row id.
async fn group_post(fed: &Federation, group: &Group, post: &str) -> Result<Post, ActionError> {
    let store = fed.store();
    let found = match post.parse::<i64>() {
        Ok(id) => store.post_by_id(id).await?,
        Err(_) => match store.post_id_by_address(post).await? {
            Some(id) => store.post_by_id(id).await?,
            None => None,
        },
    };
    found
        .filter(|p| p.group_id == group.id)
        .ok_or_else(|| ActionError::NoSuchPost(post.to_owned()))
}

/// The thread root of `post`.
async fn thread_root(fed: &Federation, post: Post) -> Result<Post, ActionError> {
    match post.thread_id {
        Some(root) if root != post.id => Ok(fed.store().post_by_id(root).await?.unwrap_or(post)),
        _ => Ok(post),
    }
}

/// The person `person` (an actor id), fetched if not known yet.
async fn person(fed: &Federation, person: &str) -> Result<Actor, ActionError> {
    if let Some(actor) = fed.store().actor_by_ap_id(person.trim()).await? {
        return Ok(actor);
    }
    let url = Url::parse(person.trim())
        .map_err(|_| ActionError::NoSuchPerson(format!("{person:?} is not an actor id")))?;
    fed.resolve_actor(&url, Refresh::IfStale)
        .await
        .map_err(|e| match e {
            ActorError::Store(err) => ActionError::Store(err),
            other => ActionError::NoSuchPerson(format!("cannot fetch {person}: {other}")),
        })
}

/// The unit of work that takes `request`: the change, its modlog line, its activities.
pub(crate) async fn plan(
    fed: &Federation,
    group: &Group,
    by: &str,
    request: &ActionRequest,
) -> Result<UnitOfWork, ActionError> {
    let urls = fed.urls();
    let now = hearth_storage::now_ms();
    let reason = request.reason.trim().to_owned();
    let mut work = UnitOfWork::default();
    let mut details = String::new();
    match &request.action {
        Action::Remove { post } => {
            let post = group_post(fed, group, post).await?;
            if post.removed_at.is_some() {
                return Err(ActionError::Invalid(format!(
                    "{} is already removed",
                    post.ap_id
                )));
            }
            let delete = activities::removal(urls, group, &post.ap_id, now, &reason);
            work.outbound
                .push(activities::announced(urls, group, &delete));
            if post.in_reply_to.is_none() {
                work.outbound
                    .push(crate::announce::unboost(urls, group, &post.ap_id));
            }
            work.changes.push(Change::RemovePost {
                post_id: post.id,
                at: now,
                by: by.to_owned(),
                reason: reason.clone(),
            });
        }
        Action::Restore { post } => {
            let post = group_post(fed, group, post).await?;
            let Some(removed_at) = post.removed_at else {
                return Err(ActionError::Invalid(format!(
                    "{} is not removed",
                    post.ap_id
                )));
            };
            let undo = activities::restoral(urls, group, &post.ap_id, removed_at);
            work.outbound
                .push(activities::announced(urls, group, &undo));
            work.changes.push(Change::RestorePost { post_id: post.id });
        }
        Action::Lock { post } | Action::Unlock { post } => {
            let unlock = matches!(request.action, Action::Unlock { .. });
            let root = thread_root(fed, group_post(fed, group, post).await?).await?;
            let (locked_at, activity) = match (root.locked_at, unlock) {
                (None, false) => (
                    Some(now),
                    activities::lock(urls, group, &root.ap_id, now, false),
                ),
                (Some(at), true) => (None, activities::lock(urls, group, &root.ap_id, at, true)),
                (Some(_), false) => {
                    return Err(ActionError::Invalid(format!(
                        "{} is already locked",
                        root.ap_id
                    )))
                }
                (None, true) => {
                    return Err(ActionError::Invalid(format!(
                        "{} is not locked",
                        root.ap_id
                    )))
                }
            };
            work.outbound
                .push(activities::announced(urls, group, &activity));
            work.changes.push(Change::LockThread {
                post_id: root.id,
                locked_at,
            });
        }
        Action::Pin { post } | Action::Unpin { post } => {
            let pin = matches!(request.action, Action::Pin { .. });
            let post = group_post(fed, group, post).await?;
            if post.in_reply_to.is_some() {
                return Err(ActionError::Invalid(
                    "only threads can be pinned, not replies".into(),
                ));
            }
            if pin == post.pinned_at.is_some() {
                let state = if pin { "already" } else { "not" };
                return Err(ActionError::Invalid(format!(
                    "{} is {state} pinned",
                    post.ap_id
                )));
            }
            let activity = activities::feature(urls, group, &post.ap_id, pin);
            work.outbound
                .push(activities::announced(urls, group, &activity));
            work.outbound.push(activities::direct(
                group,
                &activity,
                vec![activities::microblog_followers(group)],
            ));
            work.changes.push(Change::PinPost {
                post_id: post.id,
                pinned: pin,
            });
        }
        Action::Ban {
            person: who,
            expires_at,
            remove_data,
        } => {
            if expires_at.is_some_and(|at| at <= now) {
                return Err(ActionError::Invalid(
                    "the ban's expiry is in the past: give a future time, or none".into(),
                ));
            }
            let actor = person(fed, who).await?;
            if fed.urls().is_local(
                &Url::parse(&actor.ap_id).map_err(|_| {
                    ActionError::NoSuchPerson(format!("{who:?} is not an actor id"))
                })?,
            ) {
                return Err(ActionError::Invalid("local actors cannot be banned".into()));
            }
            let terms = BanTerms {
                person: &actor.ap_id,
                reason: &reason,
                expires_at: *expires_at,
                remove_data: *remove_data,
                at: now,
            };
            let block = activities::block(urls, group, &terms, false);
            work.outbound
                .push(activities::announced(urls, group, &block));
            work.outbound
                .push(activities::direct(group, &block, vec![inbox_of(&actor)]));
            if *remove_data {
                for post in fed
                    .store()
                    .posts_by_author(group.id, actor.id, i64::MAX)
                    .await?
                {
                    if post.in_reply_to.is_none() && post.removed_at.is_none() {
                        work.outbound
                            .push(crate::announce::unboost(urls, group, &post.ap_id));
                    }
                }
                work.changes.push(Change::RemoveAuthorPosts {
                    group_id: group.id,
                    actor_id: actor.id,
                    by: by.to_owned(),
                    reason: reason.clone(),
                });
                details.push_str("content removed");
            }
            if let Some(at) = expires_at {
                details = format!(
                    "until {} {details}",
                    crate::vocab::documents::format_time(*at)
                )
                .trim_end()
                .to_owned();
            }
            work.changes.push(Change::Ban(NewBan {
                group_id: group.id,
                actor_id: actor.id,
                reason: reason.clone(),
                rule_id: request.rule_id,
                expires_at: *expires_at,
                banned_by: by.to_owned(),
            }));
        }
        Action::Unban { person: who } => {
            let actor = person(fed, who).await?;
            let Some(ban) = fed.store().group_ban(group.id, actor.id).await? else {
                return Err(ActionError::Invalid(format!(
                    "{} is not banned",
                    actor.ap_id
                )));
            };
            let terms = BanTerms {
                person: &actor.ap_id,
                reason: &ban.reason,
                expires_at: ban.expires_at,
                remove_data: false,
                at: ban.created_at,
            };
            let undo = activities::block(urls, group, &terms, true);
            work.outbound
                .push(activities::announced(urls, group, &undo));
            work.outbound
                .push(activities::direct(group, &undo, vec![inbox_of(&actor)]));
            work.changes.push(Change::Unban {
                group_id: group.id,
                actor_id: actor.id,
            });
        }
        Action::Warn { person: who } => {
            let actor = person(fed, who).await?;
            if reason.is_empty() {
                return Err(ActionError::Invalid(
                    "a warning needs a message: say what the person should change".into(),
                ));
            }
            let rule = match request.rule_id {
                Some(id) => fed
                    .store()
                    .group_rules(group.id)
                    .await?
                    .into_iter()
                    .find(|r| r.id == id)
                    .map(|r| format!(" (rule: {})", ammonia::clean_text(&r.short_name)))
                    .unwrap_or_default(),
                None => String::new(),
            };
            let text = format!(
                "A warning from the moderators of {}: {}{rule}",
                ammonia::clean_text(&group.title),
                ammonia::clean_text(&reason)
            );
            work.outbound
                .push(direct_message(fed, group, &actor, &text));
        }
    }
    if let Some(rule_id) = request.rule_id {
        let known = fed.store().group_rules(group.id).await?;
        if !known.iter().any(|r| r.id == rule_id) {
            return Err(ActionError::Invalid(format!(
                "{} has no rule with id {rule_id}",
                group.name
            )));
        }
    }
    work.changes.push(Change::Log(NewModlogEntry {
        group_id: Some(group.id),
        actor: by.to_owned(),
        action: request.action.name().to_owned(),
        target: canonical_target(fed, group, &request.action).await?,
        reason,
        rule_id: request.rule_id,
        details,
    }));
    Ok(work)
}

/// The object or actor id an action is logged against.
async fn canonical_target(
    fed: &Federation,
    group: &Group,
    action: &Action,
) -> Result<String, ActionError> {
    Ok(match action {
        Action::Ban { person, .. } | Action::Unban { person } | Action::Warn { person } => {
            person.trim().to_owned()
        }
        Action::Lock { post } | Action::Unlock { post } => {
            thread_root(fed, group_post(fed, group, post).await?)
                .await?
                .ap_id
        }
        other => group_post(fed, group, target_of(other)).await?.ap_id,
    })
}

/// The ban expiry in an incoming `Block`: its `endTime`, or `expires` (older Lemmy).
pub(crate) fn end_time(block: &Value) -> Option<i64> {
    crate::vocab::inbound::parse_time(block.get("endTime").or_else(|| block.get("expires")))
}
