//! Reporters whose reports are ignored: an admin's answer to someone abusing reports.

use crate::error::Result;
use crate::moderation::{log_in_tx, NewModlogEntry};
use crate::store::{on_pool, BeginWrite, Store};

/// A reporter whose reports are dropped.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IgnoredReporter {
    /// The reporter's actor id.
    pub ap_id: String,
    /// Why.
    pub reason: String,
    /// Who decided.
    pub created_by: String,
    /// When (ms).
    pub created_at: i64,
}

impl Store {
    /// Whether reports from the actor with row id `actor_id` are ignored.
    pub async fn is_ignored_reporter(&self, actor_id: i64) -> Result<bool> {
        let sql = "SELECT COUNT(*) FROM ignored_reporters WHERE actor_id = $1";
        on_pool!(self, pool => {
            let n: i64 = sqlx::query_scalar(sql).bind(actor_id).fetch_one(pool).await?;
            Ok(n > 0)
        })
    }

    /// Every ignored reporter, newest first.
    pub async fn ignored_reporters(&self) -> Result<Vec<IgnoredReporter>> {
        let sql = "SELECT a.ap_id, i.reason, i.created_by, i.created_at FROM ignored_reporters i \
            JOIN actors a ON a.id = i.actor_id ORDER BY i.created_at DESC";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).fetch_all(pool).await?))
    }

    /// Ignores (or, with `ignore = false`, stops ignoring) reports from an actor; logged in
    /// the modlog as `by`. Returns whether anything changed.
    pub async fn set_ignored_reporter(
        &self,
        actor_id: i64,
        ap_id: &str,
        ignore: bool,
        by: &str,
        reason: &str,
    ) -> Result<bool> {
        let now = crate::now_ms();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let changed = if ignore {
                sqlx::query("INSERT INTO ignored_reporters (actor_id, reason, created_by, created_at) \
                             VALUES ($1, $2, $3, $4) ON CONFLICT (actor_id) DO NOTHING")
                    .bind(actor_id).bind(reason).bind(by).bind(now).execute(&mut *tx).await?.rows_affected()
            } else {
                sqlx::query("DELETE FROM ignored_reporters WHERE actor_id = $1")
                    .bind(actor_id).execute(&mut *tx).await?.rows_affected()
            };
            if changed > 0 {
                let entry = NewModlogEntry {
                    actor: by.to_owned(),
                    action: if ignore { "reporter.ignore" } else { "reporter.heed" }.into(),
                    target: ap_id.to_owned(),
                    reason: reason.to_owned(),
                    ..NewModlogEntry::default()
                };
                log_in_tx!(tx, &entry, now);
            }
            tx.commit().await?;
            Ok(changed > 0)
        })
    }
}
