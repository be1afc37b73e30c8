//! Creating groups: a name WebFinger can carry, and a key pair of their own.

use hearth_storage::{Group, NewGroup, PostingPolicy, Store, StoreError};

use crate::keys::generate_keys;

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
