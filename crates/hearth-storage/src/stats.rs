//! Instance-wide usage numbers (for NodeInfo).

use crate::error::Result;
use crate::store::{on_pool, Store};

/// Usage figures for the whole instance.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct InstanceStats {
    /// Local groups.
    pub groups: i64,
    /// Distinct accepted followers across all groups.
    pub members: i64,
    /// Distinct authors who posted in the last 30 days.
    pub active_month: i64,
    /// Distinct authors who posted in the last 180 days.
    pub active_halfyear: i64,
    /// Threads (top-level posts), not deleted.
    pub threads: i64,
    /// Replies, not deleted.
    pub replies: i64,
}

impl Store {
    /// Current usage figures; `now` in ms.
    pub async fn instance_stats(&self, now: i64) -> Result<InstanceStats> {
        let month = now - 30 * 24 * 3600 * 1000;
        let halfyear = now - 180 * 24 * 3600 * 1000;
        let sql = "SELECT \
            (SELECT COUNT(*) FROM groups) AS groups, \
            (SELECT COUNT(DISTINCT actor_id) FROM follows WHERE state = 'accepted') AS members, \
            (SELECT COUNT(DISTINCT author_id) FROM posts WHERE published >= $1) AS active_month, \
            (SELECT COUNT(DISTINCT author_id) FROM posts WHERE published >= $2) AS active_halfyear, \
            (SELECT COUNT(*) FROM posts WHERE in_reply_to IS NULL AND deleted_at IS NULL) AS threads, \
            (SELECT COUNT(*) FROM posts WHERE in_reply_to IS NOT NULL AND deleted_at IS NULL) AS replies";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).bind(month).bind(halfyear).fetch_one(pool).await?))
    }
}
