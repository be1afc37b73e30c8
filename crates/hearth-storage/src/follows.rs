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

    pub(crate) fn parse(s: &str) -> FollowState {
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

/// A member of a group, or someone asking to be one, with where they come from.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Member {
    /// The actor's row id.
    pub actor_id: i64,
    /// The actor's id.
    pub ap_id: String,
    /// Username, when known.
    pub preferred_username: Option<String>,
    /// Display name, when known.
    pub name: Option<String>,
    /// Their instance.
    pub host: String,
    /// Their profile page, when given.
    pub url: Option<String>,
    /// Their instance's software (from NodeInfo), when known.
    pub software: Option<String>,
    /// `accepted` or `pending`.
    pub state: String,
    /// Answers to the group's questions (requests only).
    pub answers: String,
    /// Since when (ms).
    pub created_at: i64,
}

/// An invitation to an invite-only group.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Invite {
    /// Who is invited.
    pub actor_ap_id: String,
    /// The staff account that invited them, if it still exists.
    pub invited_by: Option<String>,
    /// When (ms).
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

    /// Members (accepted follows) of a group matching `search` (in username, display name or
    /// host; empty matches all), newest first, with the total that match.
    pub async fn members_page(
        &self,
        group_id: i64,
        search: &str,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<Member>, i64)> {
        self.follows_page(group_id, "accepted", search, offset, limit)
            .await
    }

    /// Follow requests waiting for a decision, oldest first, with their answers.
    pub async fn join_requests(&self, group_id: i64) -> Result<Vec<Member>> {
        Ok(self
            .follows_page(group_id, "pending", "", 0, i64::MAX)
            .await?
            .0)
    }

    async fn follows_page(
        &self,
        group_id: i64,
        state: &str,
        search: &str,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<Member>, i64)> {
        let pattern = format!(
            "%{}%",
            search
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let filter = "FROM follows f JOIN actors a ON a.id = f.actor_id \
            LEFT JOIN instances i ON i.host = a.host \
            WHERE f.group_id = $1 AND f.state = $2 AND (lower(COALESCE(a.preferred_username, '')) LIKE $3 ESCAPE '\\' \
            OR lower(COALESCE(a.name, '')) LIKE $3 ESCAPE '\\' OR lower(a.host) LIKE $3 ESCAPE '\\')";
        let order = if state == "pending" { "ASC" } else { "DESC" };
        let sql = format!(
            "SELECT a.id AS actor_id, a.ap_id, a.preferred_username, a.name, a.host, a.url, i.software, \
             f.state, f.answers, f.created_at {filter} ORDER BY f.created_at {order}, a.id LIMIT $4 OFFSET $5"
        );
        let count_sql = format!("SELECT COUNT(*) {filter}");
        on_pool!(self, pool => {
            let rows = sqlx::query_as(&sql)
                .bind(group_id)
                .bind(state)
                .bind(&pattern)
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await?;
            let total = sqlx::query_scalar(&count_sql)
                .bind(group_id)
                .bind(state)
                .bind(&pattern)
                .fetch_one(pool)
                .await?;
            Ok((rows, total))
        })
    }

    /// Invites `actor_ap_id` to an invite-only group.
    pub async fn add_invite(
        &self,
        group_id: i64,
        actor_ap_id: &str,
        created_by: Option<i64>,
    ) -> Result<()> {
        let sql = "INSERT INTO invites (group_id, actor_ap_id, created_by, created_at) VALUES ($1, $2, $3, $4) \
                   ON CONFLICT (group_id, actor_ap_id) DO NOTHING";
        on_pool!(self, pool => sqlx::query(sql)
            .bind(group_id)
            .bind(actor_ap_id)
            .bind(created_by)
            .bind(crate::now_ms())
            .execute(pool).await.map(drop))?;
        Ok(())
    }

    /// Withdraws an invitation; false when there was none.
    pub async fn remove_invite(&self, group_id: i64, actor_ap_id: &str) -> Result<bool> {
        let sql = "DELETE FROM invites WHERE group_id = $1 AND actor_ap_id = $2";
        let done = on_pool!(self, pool => sqlx::query(sql).bind(group_id).bind(actor_ap_id).execute(pool).await?.rows_affected());
        Ok(done == 1)
    }

    /// The actors invited to a group, newest first.
    pub async fn invites(&self, group_id: i64) -> Result<Vec<Invite>> {
        let sql = "SELECT i.actor_ap_id, a.username AS invited_by, i.created_at FROM invites i \
                   LEFT JOIN accounts a ON a.id = i.created_by WHERE i.group_id = $1 ORDER BY i.created_at DESC";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).bind(group_id).fetch_all(pool).await?))
    }

    /// Whether `actor_ap_id` is invited to the group.
    pub async fn is_invited(&self, group_id: i64, actor_ap_id: &str) -> Result<bool> {
        let sql = "SELECT COUNT(*) FROM invites WHERE group_id = $1 AND actor_ap_id = $2";
        let n: i64 = on_pool!(self, pool => sqlx::query_scalar(sql).bind(group_id).bind(actor_ap_id).fetch_one(pool).await?);
        Ok(n > 0)
    }
}
