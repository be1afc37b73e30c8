//! What the inbox needs to know about a sender before taking a post into a group, read in one
//! query so that screening adds a single round trip to each post.

use crate::error::Result;
use crate::follows::FollowState;
use crate::store::{on_pool, Store};

/// The sender's standing in a group, and whether the post may go in at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostingContext {
    /// The sender's follow of the group, if any.
    pub follow: Option<FollowState>,
    /// Whether the sender is one of the group's remote moderators.
    pub is_moderator: bool,
    /// Whether a ban of the sender from the group is in force.
    pub banned: bool,
    /// Whether the thread replied to is locked.
    pub thread_locked: bool,
    /// Whether any automod rule applies to the group (its own or instance-wide).
    pub has_automod_rules: bool,
}

impl Store {
    /// The standing of actor `actor_id` in group `group_id` at `now`; `thread_id` is the root of
    /// the thread replied to, if the post is a reply.
    pub async fn posting_context(
        &self,
        group_id: i64,
        actor_id: i64,
        thread_id: Option<i64>,
        now: i64,
    ) -> Result<PostingContext> {
        let sql = "SELECT \
            (SELECT state FROM follows WHERE group_id = $1 AND actor_id = $2), \
            EXISTS (SELECT 1 FROM group_moderators WHERE group_id = $1 AND actor_id = $2), \
            EXISTS (SELECT 1 FROM group_bans WHERE group_id = $1 AND actor_id = $2 \
                AND (expires_at IS NULL OR expires_at > $4)), \
            EXISTS (SELECT 1 FROM posts WHERE id = $3 AND locked_at IS NOT NULL), \
            EXISTS (SELECT 1 FROM automod_rules WHERE group_id = $1 OR group_id IS NULL)";
        type Row = (Option<String>, bool, bool, bool, bool);
        let (follow, is_moderator, banned, thread_locked, has_automod_rules): Row = on_pool!(self, pool => sqlx::query_as(sql)
                .bind(group_id).bind(actor_id).bind(thread_id).bind(now)
                .fetch_one(pool).await?);
        Ok(PostingContext {
            follow: follow.as_deref().map(FollowState::parse),
            is_moderator,
            banned,
            thread_locked,
            has_automod_rules,
        })
    }
}
