//! Keeping the insights rollups current: membership events written with each follow change,
//! and an incremental job that folds rows newer than its high-water marks into hourly counts
//! (`insight_hours`), daily activity (`insight_activity`), each person's last active day
//! (`insight_members`), per-thread counts (`insight_threads`) and members per instance
//! (`insight_instances`). Ingest pays one small insert per join or leave; everything else is
//! read later, in bulk, by the job.

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
    "INSERT INTO membership_events (group_id, actor_id, kind, at, host) \
    SELECT $1, $2, 'join', $3, (SELECT host FROM actors WHERE id = $2) WHERE NOT EXISTS \
    (SELECT 1 FROM follows WHERE group_id = $1 AND actor_id = $2 AND state = 'accepted')";
/// Records that a member leaves a group (nothing for a pending request). Binds: group, actor, now.
pub(crate) const RECORD_LEAVE: &str =
    "INSERT INTO membership_events (group_id, actor_id, kind, at, host) \
    SELECT f.group_id, f.actor_id, 'leave', $3, a.host FROM follows f JOIN actors a ON a.id = f.actor_id \
    WHERE f.group_id = $1 AND f.actor_id = $2 AND f.state = 'accepted'";
/// Records that an actor leaves every group it is a member of. Binds: actor, now.
pub(crate) const RECORD_LEAVES: &str =
    "INSERT INTO membership_events (group_id, actor_id, kind, at, host) \
    SELECT f.group_id, f.actor_id, 'leave', $2, a.host FROM follows f JOIN actors a ON a.id = f.actor_id \
    WHERE f.actor_id = $1 AND f.state = 'accepted'";
/// Records that every member on an instance leaves. Binds: host, now.
pub(crate) const RECORD_HOST_LEAVES: &str =
    "INSERT INTO membership_events (group_id, actor_id, kind, at, host) \
    SELECT f.group_id, f.actor_id, 'leave', $2, a.host FROM follows f JOIN actors a ON a.id = f.actor_id \
    WHERE a.host = $1 AND f.state = 'accepted'";
/// Marks the thread rooted at a post hidden or shown again, after it was deleted, removed or
/// restored. Binds: the root's id.
pub(crate) const SYNC_THREAD_HIDDEN: &str = "UPDATE insight_threads SET hidden = \
    (SELECT deleted_at IS NOT NULL OR removed_at IS NOT NULL FROM posts WHERE posts.id = insight_threads.thread_id) \
    WHERE thread_id = $1";
/// [`SYNC_THREAD_HIDDEN`] for every thread an author started in a group. Binds: group, author.
pub(crate) const SYNC_AUTHOR_THREADS_HIDDEN: &str = "UPDATE insight_threads SET hidden = \
    (SELECT deleted_at IS NOT NULL OR removed_at IS NOT NULL FROM posts WHERE posts.id = insight_threads.thread_id) \
    WHERE thread_id IN (SELECT id FROM posts WHERE group_id = $1 AND author_id = $2 AND in_reply_to IS NULL)";

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

/// Moves people's last active day forward. `{select}` yields (scope_id, actor_id, day) rows.
fn advance_last_days(select: &str) -> String {
    format!(
        "INSERT INTO insight_members (scope_id, actor_id, last_day) {select} \
         ON CONFLICT (scope_id, actor_id) DO UPDATE SET last_day = CASE \
         WHEN excluded.last_day > insight_members.last_day THEN excluded.last_day ELSE insight_members.last_day END"
    )
}

/// The statements of one pass, each with the source window it reads.
struct Statements {
    /// Read new posts (by id).
    posts: Vec<String>,
    /// Read new reactions (by time).
    reactions: Vec<String>,
    /// Read new reports (by id).
    reports: Vec<String>,
    /// Read new membership events (by id).
    events: Vec<String>,
}

fn statements() -> Statements {
    let per_hour = |table: &str, time: &str, filter: &str| {
        format!(
            "SELECT group_id, {time} / {HOUR_MS}, COUNT(*) FROM {table} \
             WHERE id > $1 AND id <= $2{filter} GROUP BY group_id, {time} / {HOUR_MS}"
        )
    };
    let new_reactions = "FROM reactions r JOIN posts p ON p.id = r.post_id \
        WHERE r.created_at >= $1 AND r.created_at < $2";
    let event_hours = |kind: &str| {
        add_hours(
            &format!("{kind}s"),
            &per_hour("membership_events", "at", &format!(" AND kind = '{kind}'")),
        )
    };
    Statements {
        posts: vec![
            add_hours("posts", &per_hour("posts", "created_at", " AND in_reply_to IS NULL")),
            add_hours("replies", &per_hour("posts", "created_at", " AND in_reply_to IS NOT NULL")),
            format!(
                "INSERT INTO insight_activity (group_id, day, actor_id) \
                 SELECT DISTINCT group_id, created_at / {DAY_MS}, author_id FROM posts \
                 WHERE id > $1 AND id <= $2 ON CONFLICT DO NOTHING"
            ),
            advance_last_days(&format!(
                "SELECT group_id, author_id, MAX(created_at / {DAY_MS}) FROM posts \
                 WHERE id > $1 AND id <= $2 GROUP BY group_id, author_id"
            )),
            advance_last_days(&format!(
                "SELECT 0, author_id, MAX(created_at / {DAY_MS}) FROM posts \
                 WHERE id > $1 AND id <= $2 GROUP BY author_id"
            )),
            // Threads with a new post: recounted whole, so the counts never drift.
            "INSERT INTO insight_threads (thread_id, group_id, published, replies, participants, hidden) \
             SELECT t.id, t.group_id, t.published, \
             (SELECT COUNT(*) FROM posts r WHERE r.thread_id = t.id AND r.in_reply_to IS NOT NULL), \
             (SELECT COUNT(DISTINCT r.author_id) FROM posts r WHERE r.thread_id = t.id AND r.in_reply_to IS NOT NULL), \
             t.deleted_at IS NOT NULL OR t.removed_at IS NOT NULL \
             FROM posts t WHERE t.in_reply_to IS NULL \
             AND t.id IN (SELECT thread_id FROM posts WHERE id > $1 AND id <= $2) \
             ON CONFLICT (thread_id) DO UPDATE SET replies = excluded.replies, \
             participants = excluded.participants, hidden = excluded.hidden"
                .to_owned(),
        ],
        reactions: vec![
            add_hours(
                "reactions",
                &format!(
                    "SELECT p.group_id, r.created_at / {HOUR_MS}, COUNT(*) {new_reactions} \
                     GROUP BY p.group_id, r.created_at / {HOUR_MS}"
                ),
            ),
            format!(
                "INSERT INTO insight_activity (group_id, day, actor_id) \
                 SELECT DISTINCT p.group_id, r.created_at / {DAY_MS}, r.actor_id {new_reactions} \
                 ON CONFLICT DO NOTHING"
            ),
            advance_last_days(&format!(
                "SELECT p.group_id, r.actor_id, MAX(r.created_at / {DAY_MS}) {new_reactions} \
                 GROUP BY p.group_id, r.actor_id"
            )),
            advance_last_days(&format!(
                "SELECT 0, r.actor_id, MAX(r.created_at / {DAY_MS}) {new_reactions} GROUP BY r.actor_id"
            )),
        ],
        reports: vec![add_hours("reports", &per_hour("reports", "created_at", ""))],
        events: vec![
            event_hours("join"),
            event_hours("leave"),
            "INSERT INTO insight_instances (group_id, host, members, first_joined) \
             SELECT group_id, COALESCE(host, 'unknown'), SUM(CASE WHEN kind = 'join' THEN 1 ELSE -1 END), MIN(at) \
             FROM membership_events WHERE id > $1 AND id <= $2 GROUP BY group_id, COALESCE(host, 'unknown') \
             ON CONFLICT (group_id, host) DO UPDATE SET members = insight_instances.members + excluded.members, \
             first_joined = CASE WHEN excluded.first_joined < insight_instances.first_joined \
             THEN excluded.first_joined ELSE insight_instances.first_joined END"
                .to_owned(),
        ],
    }
}

impl Store {
    /// Folds everything recorded since the last pass into the rollups and, once a day, fixes
    /// the figures of the days that ended (see `insight_freeze`). Cheap when little happened
    /// since; safe to run from several processes at once (passes queue on the marks row).
    pub async fn refresh_insights(&self, now: i64) -> Result<()> {
        self.fold_insights(now).await?;
        self.freeze_insight_days(now).await
    }

    /// Folds rows newer than the high-water marks into the rollups.
    async fn fold_insights(&self, now: i64) -> Result<()> {
        let statements = statements();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(CLAIM).bind(now).execute(&mut *tx).await?;
            let (posts_id, reports_id, events_id, reactions_at): (i64, i64, i64, i64) =
                sqlx::query_as(MARKS).fetch_one(&mut *tx).await?;
            let max = |table: &str| format!("SELECT COALESCE(MAX(id), 0) FROM {table}");
            let posts = (posts_id, sqlx::query_scalar(&max("posts")).fetch_one(&mut *tx).await?);
            let reports = (reports_id, sqlx::query_scalar(&max("reports")).fetch_one(&mut *tx).await?);
            let events = (events_id, sqlx::query_scalar(&max("membership_events")).fetch_one(&mut *tx).await?);
            let reactions = (reactions_at, now);
            for (sqls, (from, to)) in [
                (&statements.posts, posts),
                (&statements.reactions, reactions),
                (&statements.reports, reports),
                (&statements.events, events),
            ] {
                if from < to {
                    for sql in sqls {
                        sqlx::query(sql).bind(from).bind(to).execute(&mut *tx).await?;
                    }
                }
            }
            sqlx::query(SAVE_MARKS)
                .bind(posts.1)
                .bind(reports.1)
                .bind(events.1)
                .bind(reactions.1)
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
