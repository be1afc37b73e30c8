//! The persistent delivery queue: one job per (outbound activity, inbox).
//!
//! Workers claim due jobs with a lease. While the lease lives no other worker takes the job;
//! if the worker dies, the job is claimable again once the lease expires. On PostgreSQL,
//! claims skip rows other workers are claiming (`FOR UPDATE SKIP LOCKED`).

use crate::error::Result;
use crate::store::{on_pool, Pool, Store};

/// A job a worker holds.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedDelivery {
    /// Job id.
    pub id: i64,
    /// The outbound activity.
    pub activity_id: i64,
    /// Target inbox.
    pub inbox: String,
    /// Target host.
    pub host: String,
    /// Attempts made before this one.
    pub attempts: i64,
}

/// An activity to send, with its signer.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboundActivity {
    /// Row id.
    pub id: i64,
    /// The activity id.
    pub ap_id: String,
    /// Signing group, or `None` for the instance actor.
    pub group_id: Option<i64>,
    /// Body as sent.
    pub body: String,
}

/// Queue depth for health reporting.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct QueueStats {
    /// Jobs waiting or in flight.
    pub queued: i64,
    /// Jobs given up on.
    pub dead: i64,
    /// Creation time (ms) of the oldest waiting job.
    pub oldest_queued_at: Option<i64>,
}

/// Claims due jobs, at most `$6` per host per claim, so that one busy instance cannot take
/// every slot. `$5` bounds how many due rows are considered.
const CLAIM: &str = "UPDATE deliveries SET lease_owner = $1, lease_until = $2 WHERE id IN (\
    SELECT id FROM (\
      SELECT c.id, c.next_attempt_at AS due, \
        ROW_NUMBER() OVER (PARTITION BY c.host ORDER BY c.next_attempt_at, c.id) AS rank_in_host \
      FROM (SELECT d.id, d.host, d.next_attempt_at FROM deliveries d \
        WHERE d.state = 'queued' AND d.next_attempt_at <= $3 \
        AND (d.lease_until IS NULL OR d.lease_until < $3) \
        AND NOT EXISTS (SELECT 1 FROM instances i WHERE i.host = d.host AND i.retry_at > $3) \
        ORDER BY d.next_attempt_at, d.id LIMIT $5 LOCKING) c\
    ) ranked WHERE rank_in_host <= $6 ORDER BY due LIMIT $4) \
    RETURNING id, activity_id, inbox, host, attempts";

impl Store {
    /// Claims up to `limit` due jobs (at most `per_host` per instance) for `owner` until
    /// `lease_until` (ms).
    pub async fn claim_deliveries(
        &self,
        owner: &str,
        now: i64,
        lease_until: i64,
        limit: i64,
        per_host: i64,
    ) -> Result<Vec<ClaimedDelivery>> {
        let sql = match self.pool {
            Pool::Sqlite(_) => CLAIM.replace(" LOCKING", ""),
            Pool::Postgres(_) => CLAIM.replace(" LOCKING", " FOR UPDATE OF d SKIP LOCKED"),
        };
        on_pool!(self, pool => Ok(sqlx::query_as(&sql)
            .bind(owner)
            .bind(lease_until)
            .bind(now)
            .bind(limit)
            .bind((limit * 8).max(256))
            .bind(per_host)
            .fetch_all(pool)
            .await?))
    }

    /// The outbound activity with row id `id`.
    pub async fn outbound_activity(&self, id: i64) -> Result<Option<OutboundActivity>> {
        let sql = "SELECT id, ap_id, group_id, body FROM outbound_activities WHERE id = $1";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).bind(id).fetch_optional(pool).await?))
    }

    /// A job succeeded: drop it and note the instance is healthy.
    pub async fn delivery_succeeded(&self, job: &ClaimedDelivery, now: i64) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM deliveries WHERE id = $1").bind(job.id).execute(pool).await?;
            sqlx::query(
                "UPDATE instances SET consecutive_failures = 0, last_success_at = $2, unreachable_since = NULL, \
                 retry_at = NULL, delivered_count = delivered_count + 1 WHERE host = $1",
            )
            .bind(&job.host).bind(now).execute(pool).await?;
        });
        Ok(())
    }

    /// A job failed and will be retried at `next_attempt_at` (ms), or never when `None`
    /// (the job is kept as dead for inspection).
    pub async fn delivery_failed(
        &self,
        job: &ClaimedDelivery,
        error: &str,
        next_attempt_at: Option<i64>,
    ) -> Result<()> {
        on_pool!(self, pool => {
            match next_attempt_at {
                Some(at) => sqlx::query(
                    "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3, \
                     lease_owner = NULL, lease_until = NULL WHERE id = $1",
                ).bind(job.id).bind(at).bind(error).execute(pool).await?,
                None => sqlx::query(
                    "UPDATE deliveries SET attempts = attempts + 1, state = 'dead', last_error = $2, \
                     lease_owner = NULL, lease_until = NULL WHERE id = $1",
                ).bind(job.id).bind(error).execute(pool).await?,
            };
        });
        Ok(())
    }

    /// Gives back a claimed job without counting an attempt (e.g. on shutdown).
    pub async fn release_delivery(&self, job_id: i64) -> Result<()> {
        let sql = "UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE id = $1";
        on_pool!(self, pool => sqlx::query(sql).bind(job_id).execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// Queue depth, overall.
    pub async fn queue_stats(&self) -> Result<QueueStats> {
        let sql = "SELECT \
            COALESCE(SUM(CASE WHEN state = 'queued' THEN 1 ELSE 0 END), 0) AS queued, \
            COALESCE(SUM(CASE WHEN state = 'dead' THEN 1 ELSE 0 END), 0) AS dead, \
            MIN(CASE WHEN state = 'queued' THEN created_at END) AS oldest_queued_at FROM deliveries";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).fetch_one(pool).await?))
    }

    /// Removes dead jobs older than `older_than` (ms). Returns how many were removed.
    pub async fn prune_dead_deliveries(&self, older_than: i64) -> Result<u64> {
        let sql = "DELETE FROM deliveries WHERE state = 'dead' AND created_at < $1";
        on_pool!(self, pool => Ok(sqlx::query(sql).bind(older_than).execute(pool).await?.rows_affected()))
    }
}
