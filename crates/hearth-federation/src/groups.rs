//! Creating groups: a name WebFinger can carry, and a key pair of their own.

use hearth_storage::{
    Change, FollowState, Group, NewGroup, NewOutbound, PostingPolicy, Recipients, Store,
    StoreError, UnitOfWork,
};

use crate::keys::generate_keys;
use crate::urls::authority;
use crate::{announce, Federation};

/// What a new group needs.
#[derive(Debug, Clone)]
pub struct GroupRequest {
    /// WebFinger name.
    pub name: String,
    /// Display name; the name when empty.
    pub title: Option<String>,
    /// Description.
    pub summary: Option<String>,
    /// Who may post.
    pub posting_policy: PostingPolicy,
    /// Whether follows wait for approval.
    pub manually_approves_followers: bool,
    /// Whether the group is listed.
    pub discoverable: bool,
}

/// Why a group could not be created.
#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    /// The name cannot be used.
    #[error("{0}")]
    InvalidName(String),
    /// The name is taken.
    #[error("a group named {0} already exists")]
    Taken(String),
    /// Key generation failed.
    #[error("cannot generate the group's keys: {0}")]
    Keys(String),
    /// No pending follow request from that actor.
    #[error("{0} has no pending follow request for this group")]
    NoRequest(String),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

/// Checks that `name` is a lowercase WebFinger-safe name: 1 to 64 of `a-z 0-9 _`, starting
/// with a letter or digit.
pub fn validate_name(name: &str) -> Result<(), GroupError> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if name.is_empty() || name.len() > 64 {
        return Err(GroupError::InvalidName(
            "a group name has 1 to 64 characters".into(),
        ));
    }
    if !ok_chars || name.starts_with('_') {
        return Err(GroupError::InvalidName(format!(
            "{name:?} is not a usable group name: use lowercase letters, digits and _ (not first), as in @{}@host",
            name.to_ascii_lowercase()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        )));
    }
    Ok(())
}

/// Creates a group with a fresh RSA key pair.
pub async fn create_group(store: &Store, request: GroupRequest) -> Result<Group, GroupError> {
    validate_name(&request.name)?;
    if store
        .group_by_name(&request.name)
        .await
        .map_err(GroupError::Store)?
        .is_some()
    {
        return Err(GroupError::Taken(request.name));
    }
    let keys = generate_keys().map_err(|e| GroupError::Keys(e.to_string()))?;
    let new = NewGroup {
        title: request
            .title
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| request.name.clone()),
        name: request.name,
        summary: request.summary.unwrap_or_default(),
        posting_policy: request.posting_policy,
        manually_approves_followers: request.manually_approves_followers,
        discoverable: request.discoverable,
        public_key_pem: keys.public_key_pem,
        private_key_pem: keys.private_key_pem,
    };
    store.create_group(&new).await.map_err(|e| match e {
        StoreError::Conflict(_) => GroupError::Taken(new.name.clone()),
        other => GroupError::Store(other),
    })
}

/// Approves (`Accept`) or refuses (`Reject`) a pending follow of `group` by `actor_ap_id`,
/// and queues the answer to the follower.
pub async fn decide_follow(
    fed: &Federation,
    group: &Group,
    actor_ap_id: &str,
    approve: bool,
) -> Result<(), GroupError> {
    let pending = fed
        .store()
        .pending_follows(group.id)
        .await
        .map_err(GroupError::Store)?;
    let request = pending
        .into_iter()
        .find(|p| p.ap_id == actor_ap_id)
        .ok_or_else(|| GroupError::NoRequest(actor_ap_id.to_owned()))?;
    let follow = serde_json::json!({
        "id": request.follow_activity_id,
        "type": "Follow",
        "actor": request.ap_id,
        "object": fed.urls().group(&group.name),
    });
    let (kind, change) = if approve {
        let change = Change::Follow {
            group_id: group.id,
            actor_id: request.actor_id,
            activity_id: request.follow_activity_id.clone(),
            state: FollowState::Accepted,
        };
        ("Accept", change)
    } else {
        let change = Change::Unfollow {
            group_id: group.id,
            actor_id: request.actor_id,
        };
        ("Reject", change)
    };
    let answer = announce::answer(kind, fed.urls(), group, &follow, &request.ap_id);
    let host = url::Url::parse(&request.inbox)
        .map(|u| authority(&u))
        .unwrap_or(request.host);
    let work = UnitOfWork {
        received: None,
        changes: vec![change],
        outbound: vec![NewOutbound {
            ap_id: answer.id,
            group_id: Some(group.id),
            kind: kind.into(),
            public: false,
            body: answer.body,
            recipients: vec![Recipients::Inbox {
                inbox: request.inbox,
                host,
            }],
        }],
    };
    fed.store().commit(&work).await.map_err(GroupError::Store)?;
    fed.notify_work_queued();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_fit_webfinger() {
        assert!(validate_name("climbing").is_ok());
        assert!(validate_name("rust_2024").is_ok());
        for bad in ["", "Climbing", "a b", "café", "_x", "a@b", &"x".repeat(65)] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
    }
}
