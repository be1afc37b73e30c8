//! Leases on scheduled jobs, so each runs once across all processes sharing the database.

use crate::error::Result;
use crate::store::{on_pool, Store};

impl Store {
    /// Takes the lease of job `name` for `owner` until `until` (ms) if no one holds it and
    /// it did not run in the last `every` ms. Returns whether this caller should run it now.
    pub async fn claim_scheduled_job(
        &self,
        name: &str,
        owner: &str,
        now: i64,
        until: i64,
        every: i64,
    ) -> Result<bool> {
        let insert = "INSERT INTO scheduled_jobs (name) VALUES ($1) ON CONFLICT (name) DO NOTHING";
        let claim = "UPDATE scheduled_jobs SET owner = $2, lease_until = $4, last_run_at = $3 \
                     WHERE name = $1 AND lease_until < $3 AND COALESCE(last_run_at, 0) <= $5";
        on_pool!(self, pool => {
            sqlx::query(insert).bind(name).execute(pool).await?;
            let claimed = sqlx::query(claim)
                .bind(name)
                .bind(owner)
                .bind(now)
                .bind(until)
                .bind(now - every)
                .execute(pool)
                .await?
                .rows_affected();
            Ok(claimed == 1)
        })
    }
}
