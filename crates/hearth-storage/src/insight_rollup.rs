//! Keeping the insights rollups current: membership events written with each follow change,
//! and an incremental job that folds rows newer than its high-water marks into hourly counts
//! (`insight_hours`) and daily activity (`insight_activity`). Ingest pays one small insert per
//! join or leave; everything else is read later, in bulk, by the job.

use crate::error::Result;
use crate::store::{on_pool, BeginWrite, Store};

/// Milliseconds in an hour.
pub(crate) const HOUR_MS: i64 = 3600 * 1000;
/// Milliseconds in a day.
pub(crate) const DAY_MS: i64 = 24 * HOUR_MS;
/// How many days of daily activity are kept; older insight ranges are refused.
pub const INSIGHTS_KEPT_DAYS: i64 = 400;

/// Records that an actor joins a group, unless it is already a member. Binds: group, actor, now.
pub(crate) const RECORD_JOIN: &str =
    "INSERT INTO membership_events (group_id, actor_id, kind, at) \
    SELECT $1, $2, 'join', $3 WHERE NOT EXISTS \
    (SELECT 1 FROM follows WHERE group_id = $1 AND actor_id = $2 AND state = 'accepted')";
/// Records that a member leaves a group (nothing for a pending request). Binds: group, actor, now.
pub(crate) const RECORD_LEAVE: &str =
    "INSERT INTO membership_events (group_id, actor_id, kind, at) \
    SELECT group_id, actor_id, 'leave', $3 FROM follows \
    WHERE group_id = $1 AND actor_id = $2 AND state = 'accepted'";
/// Records that an actor leaves every group it is a member of. Binds: actor, now.
pub(crate) const RECORD_LEAVES: &str =
    "INSERT INTO membership_events (group_id, actor_id, kind, at) \
    SELECT group_id, actor_id, 'leave', $2 FROM follows WHERE actor_id = $1 AND state = 'accepted'";

/// Claims the marks row, creating it on the first pass (taking its row lock on PostgreSQL, so
/// two rollups never overlap). The row is not seeded by the migration, so that a freshly
/// migrated database stays empty (`hearth db copy` needs that).
const CLAIM: &str = "INSERT INTO insight_rollup (id, ran_at) VALUES (1, $1) \
    ON CONFLICT (id) DO UPDATE SET ran_at = excluded.ran_at";
const MARKS: &str =
    "SELECT posts_id, reports_id, events_id, reactions_at FROM insight_rollup WHERE id = 1";
const SAVE_MARKS: &str = "UPDATE insight_rollup SET posts_id = $1, reports_id = $2, \
    events_id = $3, reactions_at = $4 WHERE id = 1";

/// Adds per-hour counts to `insight_hours`. `{select}` yields (group_id, hour, n) rows.
fn add_hours(column: &str, select: &str) -> String {
    format!(
        "INSERT INTO insight_hours (group_id, hour, {column}) {select} \
         ON CONFLICT (group_id, hour) DO UPDATE SET {column} = insight_hours.{column} + excluded.{column}"
    )
}

/// Which rows one rollup pass reads: ids and times past the marks, up to the current maxima.
struct Window {
    posts: (i64, i64),
    reports: (i64, i64),
    events: (i64, i64),
    reactions: (i64, i64),
}

impl Store {
    /// Folds everything recorded since the last pass into the rollups, and forgets daily
    /// activity older than [`INSIGHTS_KEPT_DAYS`]. Cheap when little happened since; safe to
    /// run from several processes at once (passes queue on the marks row).
    pub async fn refresh_insights(&self, now: i64) -> Result<()> {
        let post_hours = add_hours(
            "posts",
            &format!(
                "SELECT group_id, created_at / {HOUR_MS}, COUNT(*) FROM posts \
                 WHERE id > $1 AND id <= $2 AND in_reply_to IS NULL GROUP BY group_id, created_at / {HOUR_MS}"
            ),
        );
        let reply_hours = add_hours(
            "replies",
            &format!(
                "SELECT group_id, created_at / {HOUR_MS}, COUNT(*) FROM posts \
                 WHERE id > $1 AND id <= $2 AND in_reply_to IS NOT NULL GROUP BY group_id, created_at / {HOUR_MS}"
            ),
        );
        let reaction_hours = add_hours(
            "reactions",
            &format!(
                "SELECT p.group_id, r.created_at / {HOUR_MS}, COUNT(*) FROM reactions r \
                 JOIN posts p ON p.id = r.post_id WHERE r.created_at >= $1 AND r.created_at < $2 \
                 GROUP BY p.group_id, r.created_at / {HOUR_MS}"
            ),
        );
        let report_hours = add_hours(
            "reports",
            &format!(
                "SELECT group_id, created_at / {HOUR_MS}, COUNT(*) FROM reports \
                 WHERE id > $1 AND id <= $2 GROUP BY group_id, created_at / {HOUR_MS}"
            ),
        );
        let event_hours = |kind: &str| {
            add_hours(
                &format!("{kind}s"),
                &format!(
                    "SELECT group_id, at / {HOUR_MS}, COUNT(*) FROM membership_events \
                     WHERE id > $1 AND id <= $2 AND kind = '{kind}' GROUP BY group_id, at / {HOUR_MS}"
                ),
            )
        };
        let (join_hours, leave_hours) = (event_hours("join"), event_hours("leave"));
        let post_activity = format!(
            "INSERT INTO insight_activity (group_id, day, actor_id) \
             SELECT DISTINCT group_id, created_at / {DAY_MS}, author_id FROM posts \
             WHERE id > $1 AND id <= $2 ON CONFLICT DO NOTHING"
        );
        let reaction_activity = format!(
            "INSERT INTO insight_activity (group_id, day, actor_id) \
             SELECT DISTINCT p.group_id, r.created_at / {DAY_MS}, r.actor_id FROM reactions r \
             JOIN posts p ON p.id = r.post_id WHERE r.created_at >= $1 AND r.created_at < $2 \
             ON CONFLICT DO NOTHING"
        );
        let oldest_kept_day = now / DAY_MS - INSIGHTS_KEPT_DAYS;
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(CLAIM).bind(now).execute(&mut *tx).await?;
            let (posts_id, reports_id, events_id, reactions_at): (i64, i64, i64, i64) =
                sqlx::query_as(MARKS).fetch_one(&mut *tx).await?;
            let max = |table: &str| format!("SELECT COALESCE(MAX(id), 0) FROM {table}");
            let window = Window {
                posts: (posts_id, sqlx::query_scalar(&max("posts")).fetch_one(&mut *tx).await?),
                reports: (reports_id, sqlx::query_scalar(&max("reports")).fetch_one(&mut *tx).await?),
                events: (events_id, sqlx::query_scalar(&max("membership_events")).fetch_one(&mut *tx).await?),
                reactions: (reactions_at, now),
            };
            for (sql, (from, to)) in [
                (&post_hours, window.posts),
                (&reply_hours, window.posts),
                (&post_activity, window.posts),
                (&reaction_hours, window.reactions),
                (&reaction_activity, window.reactions),
                (&report_hours, window.reports),
                (&join_hours, window.events),
                (&leave_hours, window.events),
            ] {
                if from < to {
                    sqlx::query(sql).bind(from).bind(to).execute(&mut *tx).await?;
                }
            }
            sqlx::query(SAVE_MARKS)
                .bind(window.posts.1)
                .bind(window.reports.1)
                .bind(window.events.1)
                .bind(window.reactions.1)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM insight_activity WHERE day < $1")
                .bind(oldest_kept_day)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// When the rollups were last brought up to date (ms; 0 if never).
    pub async fn insights_refreshed_at(&self) -> Result<i64> {
        on_pool!(self, pool => Ok(sqlx::query_scalar("SELECT ran_at FROM insight_rollup WHERE id = 1")
            .fetch_optional(pool).await?.unwrap_or(0)))
    }
}
