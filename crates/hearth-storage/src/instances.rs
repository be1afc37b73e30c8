//! Remote instances: what software they run and whether they answer.

use crate::error::Result;
use crate::store::{on_pool, Store};

/// What we know of a remote instance.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Instance {
    /// Host (with port when not default).
    pub host: String,
    /// NodeInfo `software.name`.
    pub software: Option<String>,
    /// NodeInfo `software.version`.
    pub software_version: Option<String>,
    /// `threaded`, `microblog`, or unknown.
    pub flavor: Option<String>,
    /// Failed deliveries since the last success.
    pub consecutive_failures: i64,
    /// Last successful delivery (ms).
    pub last_success_at: Option<i64>,
    /// Last failed delivery (ms).
    pub last_failure_at: Option<i64>,
    /// Why the last delivery failed.
    pub last_error: Option<String>,
    /// Since when it has been unreachable (ms).
    pub unreachable_since: Option<i64>,
    /// While unreachable: no delivery is tried before this time (ms).
    pub retry_at: Option<i64>,
    /// Successful deliveries, all time.
    pub delivered_count: i64,
    /// When we first met it (ms).
    pub first_seen_at: i64,
}

/// How to record a failed delivery at the instance level.
#[derive(Debug, Clone)]
pub struct InstanceFailure<'a> {
    /// The host.
    pub host: &'a str,
    /// When (ms).
    pub at: i64,
    /// Why.
    pub error: &'a str,
    /// Failures (after this one) from which the instance counts as unreachable.
    pub unreachable_after: i64,
    /// When unreachable: hold all its jobs until this time (ms).
    pub hold_until: i64,
}

const INSTANCE_COLUMNS: &str =
    "host, software, software_version, flavor, consecutive_failures, last_success_at, \
    last_failure_at, last_error, unreachable_since, retry_at, delivered_count, first_seen_at";

/// Delivery health of one instance.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InstanceHealth {
    /// Host.
    pub host: String,
    /// NodeInfo software name.
    pub software: Option<String>,
    /// Last successful delivery (ms).
    pub last_success_at: Option<i64>,
    /// Failures since then.
    pub consecutive_failures: i64,
    /// Since when it is unreachable (ms).
    pub unreachable_since: Option<i64>,
    /// Jobs waiting.
    pub queued: i64,
    /// Creation time (ms) of its oldest waiting job.
    pub oldest_queued_at: Option<i64>,
    /// Successful deliveries, all time.
    pub delivered_count: i64,
}

impl Store {
    /// Delivery health of every known instance, worst first.
    pub async fn instance_health(&self) -> Result<Vec<InstanceHealth>> {
        let sql = "SELECT i.host, i.software, i.last_success_at, i.consecutive_failures, i.unreachable_since, \
            COALESCE(q.queued, 0) AS queued, q.oldest_queued_at, i.delivered_count \
            FROM instances i LEFT JOIN (SELECT host, COUNT(*) AS queued, MIN(created_at) AS oldest_queued_at \
              FROM deliveries WHERE state = 'queued' GROUP BY host) q ON q.host = i.host \
            ORDER BY i.consecutive_failures DESC, COALESCE(q.queued, 0) DESC, i.host";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).fetch_all(pool).await?))
    }

    /// The instance at `host`.
    pub async fn instance(&self, host: &str) -> Result<Option<Instance>> {
        let sql = format!("SELECT {INSTANCE_COLUMNS} FROM instances WHERE host = $1");
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(host).fetch_optional(pool).await?))
    }

    /// Every known instance, by host.
    pub async fn list_instances(&self) -> Result<Vec<Instance>> {
        let sql = format!("SELECT {INSTANCE_COLUMNS} FROM instances ORDER BY host");
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).fetch_all(pool).await?))
    }

    /// Records a failed delivery; past the threshold the instance is marked unreachable and
    /// held until `hold_until`. Returns the new consecutive failure count.
    pub async fn record_instance_failure(&self, failure: &InstanceFailure<'_>) -> Result<i64> {
        let sql = "UPDATE instances SET consecutive_failures = consecutive_failures + 1, last_failure_at = $2, \
            last_error = $3, \
            unreachable_since = CASE WHEN consecutive_failures + 1 >= $4 THEN COALESCE(unreachable_since, $2) ELSE unreachable_since END, \
            retry_at = CASE WHEN consecutive_failures + 1 >= $4 THEN $5 ELSE retry_at END \
            WHERE host = $1 RETURNING consecutive_failures";
        on_pool!(self, pool => Ok(sqlx::query_scalar(sql)
            .bind(failure.host)
            .bind(failure.at)
            .bind(failure.error)
            .bind(failure.unreachable_after)
            .bind(failure.hold_until)
            .fetch_optional(pool)
            .await?
            .unwrap_or(0)))
    }

    /// Stores what NodeInfo said about an instance.
    pub async fn set_instance_software(
        &self,
        host: &str,
        software: Option<&str>,
        version: Option<&str>,
        flavor: Option<&str>,
    ) -> Result<()> {
        let sql = "INSERT INTO instances (host, software, software_version, flavor, nodeinfo_fetched_at, first_seen_at) \
            VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (host) DO UPDATE SET software = excluded.software, \
            software_version = excluded.software_version, flavor = excluded.flavor, \
            nodeinfo_fetched_at = excluded.nodeinfo_fetched_at";
        on_pool!(self, pool => sqlx::query(sql)
            .bind(host)
            .bind(software)
            .bind(version)
            .bind(flavor)
            .bind(crate::now_ms())
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Hosts whose NodeInfo was never fetched or is older than `older_than` (ms).
    pub async fn instances_needing_nodeinfo(
        &self,
        older_than: i64,
        limit: i64,
    ) -> Result<Vec<String>> {
        let sql = "SELECT host FROM instances WHERE nodeinfo_fetched_at IS NULL OR nodeinfo_fetched_at < $1 \
                   ORDER BY COALESCE(nodeinfo_fetched_at, 0) LIMIT $2";
        on_pool!(self, pool => Ok(sqlx::query_scalar(sql).bind(older_than).bind(limit).fetch_all(pool).await?))
    }
}
