//! Posts held for review: a moderator approves one (the group then takes it in and announces
//! the `Create` exactly as it arrived) or rejects it (the author gets a direct message from
//! the group saying why).

use hearth_storage::{Change, Group, HeldPost, NewOutbound, StoreError, UnitOfWork};
use serde_json::Value;

use crate::inbox::content::accepted_post;
use crate::Federation;

/// Why a decision could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// No open held post with that id in that group.
    #[error("there is no post {0} waiting for review in this group")]
    NotFound(i64),
    /// The stored post is unreadable.
    #[error("the held post {0} cannot be read: {1}")]
    Corrupt(i64, String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Approves (`approve`) or rejects held post `id` of `group`, recording who decided and why.
pub async fn decide_held_post(
    fed: &Federation,
    group: &Group,
    id: i64,
    approve: bool,
    decided_by: &str,
    reason: &str,
) -> Result<HeldPost, ReviewError> {
    let store = fed.store();
    let held = store
        .held_post(id)
        .await?
        .filter(|h| h.group_id == group.id && h.decided_at.is_none())
        .ok_or(ReviewError::NotFound(id))?;
    let author = store
        .actor_by_id(held.author_id)
        .await?
        .ok_or(ReviewError::NotFound(id))?;
    let decide = Change::DecideHeldPost {
        id,
        decision: if approve { "approved" } else { "rejected" }.into(),
        decided_by: decided_by.to_owned(),
        reason: reason.to_owned(),
    };
    let mut work = UnitOfWork {
        received: None,
        changes: Vec::new(),
        outbound: Vec::new(),
    };
    if approve {
        let object: Value = serde_json::from_str(&held.object)
            .map_err(|e| ReviewError::Corrupt(id, e.to_string()))?;
        let already = store.post_by_ap_id(&held.object_ap_id).await?.is_some();
        if !already {
            let parent = match object
                .get("inReplyTo")
                .and_then(crate::vocab::inbound::id_of)
            {
                Some(parent_id) => store.post_by_ap_id(parent_id).await?,
                None => None,
            };
            let accepted = accepted_post(
                fed,
                group,
                &object,
                parent.as_ref(),
                &held.activity,
                &author,
            );
            work.changes.push(Change::CreatePost(accepted.post));
            work.outbound = accepted.outbound;
        }
    } else {
        work.outbound
            .push(rejection_notice(fed, group, &held, &author, reason));
    }
    work.changes.push(decide);
    store.commit(&work).await?;
    fed.notify_work_queued();
    Ok(store.held_post(id).await?.unwrap_or(held))
}

/// A direct message from the group telling the author their post was not published, and why.
fn rejection_notice(
    fed: &Federation,
    group: &Group,
    held: &HeldPost,
    author: &hearth_storage::Actor,
    reason: &str,
) -> NewOutbound {
    let why = if reason.trim().is_empty() {
        String::new()
    } else {
        format!(" Reason: {}", ammonia::clean_text(reason.trim()))
    };
    let text = format!(
        "Your post <a href=\"{}\">{}</a> was not published in {}.{why}",
        ammonia::clean_text(&held.object_ap_id),
        ammonia::clean_text(&held.object_ap_id),
        ammonia::clean_text(&group.title),
    );
    crate::notices::direct_message(fed, group, author, &text)
}
