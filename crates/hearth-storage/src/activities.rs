//! The groups' outboxes: public activities they have sent.

use crate::error::Result;
use crate::store::{on_pool, Store};

/// One outbox entry.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxItem {
    /// Row id (the pagination cursor).
    pub id: i64,
    /// The activity JSON as sent.
    pub body: String,
}

impl Store {
    /// Public activities sent by a group.
    pub async fn count_outbox(&self, group_id: i64) -> Result<i64> {
        let sql = "SELECT COUNT(*) FROM outbound_activities WHERE group_id = $1 AND public";
        on_pool!(self, pool => Ok(sqlx::query_scalar(sql).bind(group_id).fetch_one(pool).await?))
    }

    /// A page of a group's outbox, newest first, starting below `before` when given.
    pub async fn outbox_page(
        &self,
        group_id: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<OutboxItem>> {
        let sql =
            "SELECT id, body FROM outbound_activities WHERE group_id = $1 AND public AND id < $2 \
                   ORDER BY id DESC LIMIT $3";
        let before = before.unwrap_or(i64::MAX);
        on_pool!(self, pool => Ok(sqlx::query_as(sql).bind(group_id).bind(before).bind(limit).fetch_all(pool).await?))
    }

    /// Whether an inbound activity with this id was already processed.
    pub async fn was_received(&self, ap_id: &str) -> Result<bool> {
        let sql = "SELECT COUNT(*) FROM received_activities WHERE ap_id = $1";
        let n: i64 =
            on_pool!(self, pool => sqlx::query_scalar(sql).bind(ap_id).fetch_one(pool).await?);
        Ok(n > 0)
    }

    /// Forgets dedupe marks older than `older_than` (ms). Returns how many were removed.
    pub async fn prune_received(&self, older_than: i64) -> Result<u64> {
        let sql = "DELETE FROM received_activities WHERE received_at < $1";
        on_pool!(self, pool => Ok(sqlx::query(sql).bind(older_than).execute(pool).await?.rows_affected()))
    }
}
