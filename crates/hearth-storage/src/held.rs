//! Posts held for a moderator's review before their group relays them.

use crate::error::Result;
use crate::store::{on_pool, Store};

/// A post waiting for review, or one that was decided.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HeldPost {
    /// Row id.
    pub id: i64,
    /// The group it was posted to.
    pub group_id: i64,
    /// The author's row id.
    pub author_id: i64,
    /// The author's actor id.
    pub author_ap_id: String,
    /// The author's username, when known.
    pub author_username: Option<String>,
    /// The author's instance.
    pub author_host: String,
    /// The post's id.
    pub object_ap_id: String,
    /// The `Create` exactly as received.
    pub activity: String,
    /// The post object.
    pub object: String,
    /// Why it was held.
    pub reason: String,
    /// When it arrived (ms).
    pub created_at: i64,
    /// When it was decided (ms).
    pub decided_at: Option<i64>,
    /// Who decided.
    pub decided_by: Option<String>,
    /// `approved` or `rejected`.
    pub decision: Option<String>,
    /// The reason given with the decision.
    pub decision_reason: String,
}

/// A post to hold.
#[derive(Debug, Clone)]
pub struct NewHeldPost {
    /// The group.
    pub group_id: i64,
    /// The author's row id.
    pub author_id: i64,
    /// The post's id.
    pub object_ap_id: String,
    /// The `Create` as received.
    pub activity: String,
    /// The post object.
    pub object: String,
    /// Why it is held.
    pub reason: String,
}

const HELD_SELECT: &str = "SELECT h.id, h.group_id, h.author_id, a.ap_id AS author_ap_id, \
    a.preferred_username AS author_username, a.host AS author_host, h.object_ap_id, h.activity, \
    h.object, h.reason, h.created_at, h.decided_at, h.decided_by, h.decision, h.decision_reason \
    FROM held_posts h JOIN actors a ON a.id = h.author_id";

impl Store {
    /// Posts of a group waiting for review, oldest first.
    pub async fn open_held_posts(&self, group_id: i64) -> Result<Vec<HeldPost>> {
        let sql = format!(
            "{HELD_SELECT} WHERE h.group_id = $1 AND h.decided_at IS NULL ORDER BY h.created_at, h.id"
        );
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(group_id).fetch_all(pool).await?))
    }

    /// How many posts of a group wait for review.
    pub async fn count_open_held_posts(&self, group_id: i64) -> Result<i64> {
        let sql = "SELECT COUNT(*) FROM held_posts WHERE group_id = $1 AND decided_at IS NULL";
        on_pool!(self, pool => Ok(sqlx::query_scalar(sql).bind(group_id).fetch_one(pool).await?))
    }

    /// One held post.
    pub async fn held_post(&self, id: i64) -> Result<Option<HeldPost>> {
        let sql = format!("{HELD_SELECT} WHERE h.id = $1");
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?))
    }
}
