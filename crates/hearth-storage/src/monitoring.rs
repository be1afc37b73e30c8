//! Cheap readings for monitoring: delivery queue depth and connection pool usage.

use crate::error::Result;
use crate::store::{on_pool, Store};

/// The delivery queue at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct QueueDepth {
    /// Jobs waiting or in flight.
    pub queued: i64,
    /// Waiting jobs whose next attempt is due.
    pub due: i64,
    /// Jobs given up on (kept for inspection until pruned).
    pub dead: i64,
    /// Creation time (ms) of the oldest waiting job.
    pub oldest_queued_at: Option<i64>,
}

/// The database connection pool at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections open, busy or idle.
    pub open: u32,
    /// Open connections not in use.
    pub idle: u32,
    /// Most connections the pool may open.
    pub max: u32,
}

impl Store {
    /// Queue depth at `now` (ms), in one pass over the queue.
    pub async fn queue_depth(&self, now: i64) -> Result<QueueDepth> {
        let sql = "SELECT \
            COALESCE(SUM(CASE WHEN state = 'queued' THEN 1 ELSE 0 END), 0) AS queued, \
            COALESCE(SUM(CASE WHEN state = 'queued' AND next_attempt_at <= $1 THEN 1 ELSE 0 END), 0) AS due, \
            COALESCE(SUM(CASE WHEN state = 'dead' THEN 1 ELSE 0 END), 0) AS dead, \
            MIN(CASE WHEN state = 'queued' THEN created_at END) AS oldest_queued_at FROM deliveries";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).bind(now).fetch_one(pool).await?))
    }

    /// The connection pool's usage; reads no data.
    pub fn pool_stats(&self) -> PoolStats {
        on_pool!(self, pool => PoolStats {
            open: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
        })
    }
}
