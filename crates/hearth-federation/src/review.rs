//! Posts held for review: a moderator approves one (the group then takes it in and announces
//! the `Create` exactly as it arrived) or rejects it (the author gets a direct message from
//! the group saying why).

use hearth_storage::{Change, Group, HeldPost, NewOutbound, Recipients, StoreError, UnitOfWork};
use serde_json::{json, Value};

use crate::inbox::content::accepted_post;
use crate::urls::authority;
use crate::vocab::documents::format_time;
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
    let urls = fed.urls();
    let group_id = urls.group(&group.name).to_string();
    let activity_id = urls.new_activity().to_string();
    let note_id = format!("{activity_id}/note");
    let handle = match &author.preferred_username {
        Some(user) => format!("@{user}@{}", author.host),
        None => author.ap_id.clone(),
    };
    let why = if reason.trim().is_empty() {
        String::new()
    } else {
        format!(" Reason: {}", ammonia::clean_text(reason.trim()))
    };
    let content = format!(
        "<p><span class=\"h-card\"><a href=\"{}\" class=\"u-url mention\">{}</a></span> \
         Your post <a href=\"{}\">{}</a> was not published in {}.{why}</p>",
        ammonia::clean_text(&author.ap_id),
        ammonia::clean_text(&handle),
        ammonia::clean_text(&held.object_ap_id),
        ammonia::clean_text(&held.object_ap_id),
        ammonia::clean_text(&group.title),
    );
    let now = format_time(hearth_storage::now_ms());
    let body = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": activity_id,
        "type": "Create",
        "actor": group_id,
        "to": [author.ap_id],
        "cc": [],
        "published": now,
        "object": {
            "id": note_id,
            "type": "Note",
            "attributedTo": group_id,
            "to": [author.ap_id],
            "cc": [],
            "content": content,
            "published": now,
            "tag": [{"type": "Mention", "href": author.ap_id, "name": handle}],
        },
    });
    let host = url::Url::parse(&author.inbox)
        .map(|u| authority(&u))
        .unwrap_or_else(|_| author.host.clone());
    NewOutbound {
        ap_id: activity_id,
        group_id: Some(group.id),
        kind: "Create".into(),
        public: false,
        body: body.to_string(),
        recipients: vec![Recipients::Inbox {
            inbox: author.inbox.clone(),
            host,
        }],
    }
}
