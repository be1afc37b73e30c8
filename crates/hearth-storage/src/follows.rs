//! Follows of local groups by remote actors.

use crate::error::Result;
use crate::store::{on_pool, Store};

/// Where a follow stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowState {
    /// Waiting for a moderator.
    Pending,
    /// Accepted: the actor is a member and receives the group's announces.
    Accepted,
}

impl FollowState {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            FollowState::Pending => "pending",
            FollowState::Accepted => "accepted",
        }
    }

    fn parse(s: &str) -> FollowState {
        if s == "accepted" {
            FollowState::Accepted
        } else {
            FollowState::Pending
        }
    }
}

/// One follower of a group, for listings.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Follower {
    /// The follower's actor id.
    pub ap_id: String,
    /// `@user@host`-ready username.
    pub preferred_username: Option<String>,
    /// The follower's host.
    pub host: String,
    /// Where deliveries go.
    pub delivery_inbox: String,
    /// Since when (ms).
    pub created_at: i64,
}

/// A follow request waiting for a moderator.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingFollow {
    /// The follower's row id.
    pub actor_id: i64,
    /// The follower's actor id.
    pub ap_id: String,
    /// Username, when known.
    pub preferred_username: Option<String>,
    /// The follower's host.
    pub host: String,
    /// The follower's personal inbox.
    pub inbox: String,
    /// The `Follow` activity's id.
    pub follow_activity_id: String,
    /// When it was asked (ms).
    pub created_at: i64,
}

impl Store {
    /// Follow requests of a group still waiting for approval, oldest first.
    pub async fn pending_follows(&self, group_id: i64) -> Result<Vec<PendingFollow>> {
        let sql = "SELECT a.id AS actor_id, a.ap_id, a.preferred_username, a.host, a.inbox, f.follow_activity_id, \
                   f.created_at FROM follows f JOIN actors a ON a.id = f.actor_id \
                   WHERE f.group_id = $1 AND f.state = 'pending' ORDER BY f.created_at, a.id";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).bind(group_id).fetch_all(pool).await?))
    }

    /// How `actor_id` follows `group_id`, if at all.
    pub async fn follow_state(&self, group_id: i64, actor_id: i64) -> Result<Option<FollowState>> {
        let sql = "SELECT state FROM follows WHERE group_id = $1 AND actor_id = $2";
        let state: Option<String> = on_pool!(self, pool => sqlx::query_scalar(sql)
            .bind(group_id)
            .bind(actor_id)
            .fetch_optional(pool)
            .await?);
        Ok(state.as_deref().map(FollowState::parse))
    }

    /// The group whose follow by `actor_id` was made with the `Follow` activity `activity_id`.
    pub async fn group_followed_by_activity(
        &self,
        actor_id: i64,
        activity_id: &str,
    ) -> Result<Option<i64>> {
        let sql = "SELECT group_id FROM follows WHERE actor_id = $1 AND follow_activity_id = $2";
        on_pool!(self, pool => Ok(sqlx::query_scalar(sql).bind(actor_id).bind(activity_id).fetch_optional(pool).await?))
    }

    /// Accepted followers of a group.
    pub async fn count_followers(&self, group_id: i64) -> Result<i64> {
        let sql = "SELECT COUNT(*) FROM follows WHERE group_id = $1 AND state = 'accepted'";
        on_pool!(self, pool => Ok(sqlx::query_scalar(sql).bind(group_id).fetch_one(pool).await?))
    }

    /// Distinct delivery inboxes (shared where offered) of a group's accepted followers.
    pub async fn count_follower_inboxes(&self, group_id: i64) -> Result<i64> {
        let sql = "SELECT COUNT(DISTINCT COALESCE(a.shared_inbox, a.inbox)) FROM follows f \
                   JOIN actors a ON a.id = f.actor_id WHERE f.group_id = $1 AND f.state = 'accepted'";
        on_pool!(self, pool => Ok(sqlx::query_scalar(sql).bind(group_id).fetch_one(pool).await?))
    }

    /// A page of accepted followers, oldest first.
    pub async fn followers_page(
        &self,
        group_id: i64,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<Follower>> {
        let sql = "SELECT a.ap_id, a.preferred_username, a.host, COALESCE(a.shared_inbox, a.inbox) AS delivery_inbox, \
                   f.created_at FROM follows f JOIN actors a ON a.id = f.actor_id \
                   WHERE f.group_id = $1 AND f.state = 'accepted' ORDER BY f.created_at, a.id LIMIT $2 OFFSET $3";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).bind(group_id).bind(limit).bind(offset).fetch_all(pool).await?))
    }
}
