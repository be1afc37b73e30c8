//! Who may post into a group.

use hearth_storage::{FollowState, PostingPolicy};

/// The outcome of a moderation check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allow,
    /// Refuse, with a reason fit to show the sender.
    Refuse(String),
}

impl Decision {
    /// Whether the decision allows the action.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow)
    }
}

/// Whether a post starts a thread or joins one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostKind {
    /// A new top-level post.
    Thread,
    /// A reply at any depth in an existing thread.
    Reply,
}

/// What we know of the person posting.
#[derive(Debug, Clone, Copy)]
pub struct Poster {
    /// Their follow of the group, if any.
    pub follow: Option<FollowState>,
    /// Whether they moderate the group.
    pub is_moderator: bool,
}

/// Decides whether `poster` may post `kind` into a group with `policy`.
///
/// Moderators may always post. Under `Moderators`, nobody else may start a thread, but
/// members may reply. Under `Followers` (the default), a new thread needs an accepted
/// follow; replies in an existing thread are open to anyone, as on Lemmy, so that people
/// answering a boosted post from their microblog account stay in the conversation.
/// Under `Anyone`, everything is allowed.
pub fn may_post(policy: PostingPolicy, kind: PostKind, poster: Poster) -> Decision {
    if poster.is_moderator {
        return Decision::Allow;
    }
    let member = poster.follow == Some(FollowState::Accepted);
    match (policy, kind) {
        (PostingPolicy::Anyone, _) => Decision::Allow,
        (PostingPolicy::Followers, PostKind::Reply) => Decision::Allow,
        (PostingPolicy::Followers, PostKind::Thread) if member => Decision::Allow,
        (PostingPolicy::Followers, PostKind::Thread) => Decision::Refuse(match poster.follow {
            Some(FollowState::Pending) => {
                "your follow of this group is still waiting for approval".into()
            }
            _ => "only followers of this group may start threads in it: follow it first".into(),
        }),
        (PostingPolicy::Moderators, PostKind::Thread) => {
            Decision::Refuse("only moderators may start threads in this group".into())
        }
        (PostingPolicy::Moderators, PostKind::Reply) if member => Decision::Allow,
        (PostingPolicy::Moderators, PostKind::Reply) => {
            Decision::Refuse("only members may reply in this group: follow it first".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poster(follow: Option<FollowState>) -> Poster {
        Poster {
            follow,
            is_moderator: false,
        }
    }

    #[test]
    fn followers_policy_needs_an_accepted_follow_for_threads() {
        let p = PostingPolicy::Followers;
        assert!(may_post(p, PostKind::Thread, poster(Some(FollowState::Accepted))).is_allowed());
        assert!(!may_post(p, PostKind::Thread, poster(None)).is_allowed());
        let pending = may_post(p, PostKind::Thread, poster(Some(FollowState::Pending)));
        assert!(matches!(pending, Decision::Refuse(r) if r.contains("waiting")));
        assert!(may_post(p, PostKind::Reply, poster(None)).is_allowed());
    }

    #[test]
    fn moderators_policy_reserves_threads() {
        let p = PostingPolicy::Moderators;
        let member = poster(Some(FollowState::Accepted));
        assert!(!may_post(p, PostKind::Thread, member).is_allowed());
        assert!(may_post(p, PostKind::Reply, member).is_allowed());
        assert!(!may_post(p, PostKind::Reply, poster(None)).is_allowed());
        let moderator = Poster {
            follow: None,
            is_moderator: true,
        };
        assert!(may_post(p, PostKind::Thread, moderator).is_allowed());
    }

    #[test]
    fn anyone_policy_allows_strangers() {
        assert!(may_post(PostingPolicy::Anyone, PostKind::Thread, poster(None)).is_allowed());
    }
}
