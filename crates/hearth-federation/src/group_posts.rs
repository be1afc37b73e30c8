//! Posts by the group itself: announcements (a `Note`, optionally pinned, published now or
//! at a scheduled time) and polls (a `Question`), sent as `Create` to every follower; the
//! welcome message for new members. Votes arrive in [`crate::inbox`] (`inbox/polls.rs`).
//!
//! Publishing queues the `Create` (and the `Add` of a pin) first and marks the post published
//! after: the activities have stable ids, so a crash in between, or two processes publishing
//! the same due post, send them once. Scheduled posts and ended polls are handled by
//! [`run_due`], which the delivery worker calls when [`take_due`] says it is time: every
//! [`CHECK_EVERY`], and at the exact due time of anything scheduled that this process knows of.

pub mod document;
mod welcome;
pub mod when;

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use hearth_storage::{
    FollowerFlavor, Group, GroupEdit, GroupPost, GroupPostKind, NewGroupPost, NewOutbound,
    PollTally, Recipients, StoreError, UnitOfWork,
};
use serde_json::Value;

use crate::Federation;

pub use welcome::welcome_html;
pub(crate) use welcome::{welcome, welcome_by_id};

/// How often the worker looks for scheduled posts and ended polls at the latest.
pub const CHECK_EVERY: Duration = Duration::from_secs(30);
/// Longest announcement or question, in characters of Markdown.
const MAX_TEXT_CHARS: usize = 5000;
/// Most options a poll may have.
const MAX_OPTIONS: usize = 20;
/// Longest option, in characters.
const MAX_OPTION_CHARS: usize = 200;
/// How long one process holds the lease on the due-post check.
const LEASE_MS: i64 = 2000;

/// When this process next looks for due posts (ms); 0: at once.
static NEXT_CHECK: AtomicI64 = AtomicI64::new(0);

/// Why a group post was not made.
#[derive(Debug, thiserror::Error)]
pub enum GroupPostError {
    /// The request is not acceptable; the message says why.
    #[error("{0}")]
    Invalid(String),
    /// No such post in the group.
    #[error("{0}")]
    NotFound(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An announcement to post.
#[derive(Debug, Clone)]
pub struct Announcement {
    /// Markdown.
    pub text: String,
    /// Pin it to the group's featured collection.
    pub pin: bool,
    /// Publish at this time (ms) instead of now.
    pub publish_at: Option<i64>,
}

/// A poll to post.
#[derive(Debug, Clone)]
pub struct Poll {
    /// The question (Markdown).
    pub question: String,
    /// The options, in order.
    pub options: Vec<String>,
    /// Whether voters may pick several options.
    pub multiple: bool,
    /// When voting ends (ms).
    pub ends_at: i64,
}

/// Posts an announcement now, or schedules it.
pub async fn announce(
    fed: &Federation,
    group: &Group,
    request: Announcement,
    by: &str,
) -> Result<GroupPost, GroupPostError> {
    let now = hearth_storage::now_ms();
    let text = checked_text(&request.text, "announcement")?;
    if let Some(at) = request.publish_at {
        if at < now {
            return Err(GroupPostError::Invalid(format!(
                "the scheduled time {} is in the past",
                crate::vocab::documents::format_time(at)
            )));
        }
    }
    refuse_archived(group)?;
    let post = fed
        .store()
        .create_group_post(&NewGroupPost {
            group_id: group.id,
            kind: GroupPostKind::Note,
            content: crate::html::markdown(&text),
            source: text,
            options: Vec::new(),
            multiple: false,
            ends_at: None,
            publish_at: request.publish_at.unwrap_or(now),
            pinned: request.pin,
            created_by: by.to_owned(),
        })
        .await?;
    if post.publish_at <= now {
        return publish(fed, group, post).await;
    }
    NEXT_CHECK.fetch_min(post.publish_at, Ordering::SeqCst);
    Ok(post)
}

/// Posts a poll now.
pub async fn create_poll(
    fed: &Federation,
    group: &Group,
    request: Poll,
    by: &str,
) -> Result<GroupPost, GroupPostError> {
    let now = hearth_storage::now_ms();
    let question = checked_text(&request.question, "question")?;
    let options: Vec<String> = request
        .options
        .iter()
        .map(|o| o.trim().to_owned())
        .collect();
    if options.len() < 2 {
        return Err(GroupPostError::Invalid(
            "a poll needs at least 2 options".into(),
        ));
    }
    if options.len() > MAX_OPTIONS {
        return Err(GroupPostError::Invalid(format!(
            "a poll has at most {MAX_OPTIONS} options"
        )));
    }
    for (i, option) in options.iter().enumerate() {
        if option.is_empty() || option.chars().count() > MAX_OPTION_CHARS {
            return Err(GroupPostError::Invalid(format!(
                "each option needs 1 to {MAX_OPTION_CHARS} characters"
            )));
        }
        if options[..i].contains(option) {
            return Err(GroupPostError::Invalid(format!(
                "the option {option:?} is given twice"
            )));
        }
    }
    if request.ends_at <= now {
        return Err(GroupPostError::Invalid(format!(
            "the end time {} is in the past",
            crate::vocab::documents::format_time(request.ends_at)
        )));
    }
    refuse_archived(group)?;
    let post = fed
        .store()
        .create_group_post(&NewGroupPost {
            group_id: group.id,
            kind: GroupPostKind::Question,
            content: crate::html::markdown(&question),
            source: question,
            options,
            multiple: request.multiple,
            ends_at: Some(request.ends_at),
            publish_at: now,
            pinned: false,
            created_by: by.to_owned(),
        })
        .await?;
    NEXT_CHECK.fetch_min(request.ends_at, Ordering::SeqCst);
    publish(fed, group, post).await
}

/// The text of a post, trimmed, or why it is not acceptable.
fn checked_text(text: &str, what: &str) -> Result<String, GroupPostError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(GroupPostError::Invalid(format!("the {what} is empty")));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(GroupPostError::Invalid(format!(
            "the {what} is longer than {MAX_TEXT_CHARS} characters"
        )));
    }
    Ok(text.to_owned())
}

fn refuse_archived(group: &Group) -> Result<(), GroupPostError> {
    if group.is_archived() {
        return Err(GroupPostError::Invalid(format!(
            "{} is archived and takes no new posts",
            group.name
        )));
    }
    Ok(())
}

/// A group activity to store and send to all its followers.
fn to_followers(group: &Group, body: &Value, extra: Vec<Recipients>) -> NewOutbound {
    let mut recipients = vec![Recipients::Followers {
        group_id: group.id,
        flavor: FollowerFlavor::All,
    }];
    recipients.extend(extra);
    NewOutbound {
        ap_id: body["id"].as_str().unwrap_or_default().to_owned(),
        group_id: Some(group.id),
        kind: match body["object"]["type"].as_str() {
            Some(object) => format!("{}({object})", body["type"].as_str().unwrap_or_default()),
            None => body["type"].as_str().unwrap_or_default().to_owned(),
        },
        public: true,
        body: body.to_string(),
        recipients,
    }
}

/// Sends `post`'s `Create` (and its pin's `Add`) to the followers and marks it published.
async fn publish(
    fed: &Federation,
    group: &Group,
    post: GroupPost,
) -> Result<GroupPost, GroupPostError> {
    let urls = fed.urls();
    let tally = PollTally {
        counts: vec![0; post.options().len()],
        voters: 0,
    };
    let mut outbound = vec![to_followers(
        group,
        &document::create(urls, group, &post, &tally),
        Vec::new(),
    )];
    if post.pinned_at.is_some() {
        outbound.push(to_followers(
            group,
            &document::pin(urls, group, &post),
            Vec::new(),
        ));
    }
    let work = UnitOfWork {
        received: None,
        changes: Vec::new(),
        outbound,
    };
    match fed.store().commit(&work).await {
        // Queued already, by another process or before a crash.
        Ok(_) | Err(StoreError::Conflict(_)) => {}
        Err(err) => return Err(err.into()),
    }
    fed.notify_work_queued();
    let now = hearth_storage::now_ms();
    fed.store().mark_group_post_published(post.id, now).await?;
    let mut post = post;
    post.published_at = post.published_at.or(Some(now));
    Ok(post)
}

/// A poll's current results.
pub async fn tally(fed: &Federation, post: &GroupPost) -> Result<PollTally, StoreError> {
    fed.store().poll_tally(post.id, post.options().len()).await
}

/// The group's post `id` with its results, for staff.
pub async fn results(
    fed: &Federation,
    group: &Group,
    id: i64,
) -> Result<(GroupPost, PollTally), GroupPostError> {
    let post = fed
        .store()
        .group_post(group.id, id)
        .await?
        .ok_or_else(|| GroupPostError::NotFound(format!("{} has no post {id}", group.name)))?;
    let tally = tally(fed, &post).await?;
    Ok((post, tally))
}

/// `Update` of a poll with `tally`, to the followers and to `voter`'s inbox, if given.
pub(crate) fn poll_update(
    fed: &Federation,
    group: &Group,
    post: &GroupPost,
    tally: &PollTally,
    voter: Option<Recipients>,
) -> NewOutbound {
    let body = document::update(fed.urls(), group, post, tally);
    to_followers(group, &body, voter.into_iter().collect())
}

/// Whether it is time for this process to look for due posts (and, if so, the next look is
/// put off by [`CHECK_EVERY`]).
pub fn take_due(now: i64) -> bool {
    let next = NEXT_CHECK.load(Ordering::SeqCst);
    next <= now
        && NEXT_CHECK
            .compare_exchange(
                next,
                now + CHECK_EVERY.as_millis() as i64,
                Ordering::SeqCst,
                Ordering::SeqCst,
            )
            .is_ok()
}

/// Publishes scheduled posts whose time has come and sends the final results of ended polls,
/// when this process wins the lease `owner` asks for; then notes when to look next.
pub async fn run_due(fed: &Federation, owner: &str) {
    let now = hearth_storage::now_ms();
    match fed
        .store()
        .claim_scheduled_job("group_posts", owner, now, now + LEASE_MS, 0)
        .await
    {
        Ok(true) => {
            if let Err(err) = publish_due(fed, now).await {
                tracing::warn!(error = %err, "publishing scheduled group posts failed");
            }
        }
        Ok(false) => {}
        Err(err) => tracing::warn!(error = %err, "cannot claim the group posts check"),
    }
    match fed.store().next_group_post_due().await {
        Ok(Some(due)) => {
            NEXT_CHECK.fetch_min(due.max(now + LEASE_MS), Ordering::SeqCst);
        }
        Ok(None) => {}
        Err(err) => tracing::warn!(error = %err, "cannot read when group posts are due"),
    }
}

async fn publish_due(fed: &Federation, now: i64) -> Result<(), GroupPostError> {
    for post in fed.store().due_group_posts(now, 100).await? {
        if let Some(group) = fed.store().group_by_id(post.group_id).await? {
            let id = post.id;
            publish(fed, &group, post).await?;
            tracing::info!(group = %group.name, post = id, "scheduled group post published");
        }
    }
    for poll in fed.store().ended_polls(now, 100).await? {
        if let Some(group) = fed.store().group_by_id(poll.group_id).await? {
            close(fed, &group, poll, now).await?;
        }
    }
    Ok(())
}

/// Sends a poll's final results, marked `closed`, and records it closed.
async fn close(
    fed: &Federation,
    group: &Group,
    poll: GroupPost,
    now: i64,
) -> Result<(), GroupPostError> {
    let tally = tally(fed, &poll).await?;
    let mut closed = poll;
    closed.closed_at = Some(now);
    let work = UnitOfWork {
        received: None,
        changes: Vec::new(),
        outbound: vec![poll_update(fed, group, &closed, &tally, None)],
    };
    fed.store().commit(&work).await?;
    fed.notify_work_queued();
    fed.store().mark_poll_closed(closed.id, now).await?;
    tracing::info!(group = %group.name, poll = closed.id, "poll closed");
    Ok(())
}

/// A change to the welcome message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WelcomeChange {
    /// Use this text (Markdown; empty: the default message).
    Text(String),
    /// Send it (again).
    On,
    /// Send none.
    Off,
}

/// Changes the group's welcome message; returns the group as it now is.
pub async fn set_welcome(
    fed: &Federation,
    group: &Group,
    change: WelcomeChange,
) -> Result<Group, GroupPostError> {
    let edit = match change {
        WelcomeChange::Text(text) => {
            let text = text.trim().to_owned();
            if text.chars().count() > MAX_TEXT_CHARS {
                return Err(GroupPostError::Invalid(format!(
                    "the welcome message is longer than {MAX_TEXT_CHARS} characters"
                )));
            }
            GroupEdit {
                welcome_text: Some(text),
                welcome_enabled: Some(true),
                ..GroupEdit::default()
            }
        }
        WelcomeChange::On => GroupEdit {
            welcome_enabled: Some(true),
            ..GroupEdit::default()
        },
        WelcomeChange::Off => GroupEdit {
            welcome_enabled: Some(false),
            ..GroupEdit::default()
        },
    };
    Ok(fed.store().update_group(group.id, &edit).await?)
}
