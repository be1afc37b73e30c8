//! What moderators keep about a group's people and content: bans, private notes on members,
//! notes on cases, pinned posts, and the group's modlog. The actions themselves are applied
//! through [`crate::Change`] so that each one commits together with its modlog line and the
//! activities that federate it.

use crate::domains::{ModlogEntry, MODLOG_COLUMNS};
use crate::error::Result;
use crate::posts::{Post, POST_COLUMNS};
use crate::store::{on_pool, BeginWrite, Store};

/// Inserts one [`NewModlogEntry`] on the open transaction `$tx` at time `$now`.
macro_rules! log_in_tx {
    ($tx:ident, $entry:expr, $now:expr) => {{
        let entry: &$crate::moderation::NewModlogEntry = $entry;
        sqlx::query(
            "INSERT INTO modlog (at, actor, action, target, reason, details, group_id, rule_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind($now)
        .bind(&entry.actor)
        .bind(&entry.action)
        .bind(&entry.target)
        .bind(&entry.reason)
        .bind(&entry.details)
        .bind(entry.group_id)
        .bind(entry.rule_id)
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use log_in_tx;

/// A ban to record (see [`crate::Change::Ban`]).
#[derive(Debug, Clone)]
pub struct NewBan {
    /// The group.
    pub group_id: i64,
    /// The banned actor.
    pub actor_id: i64,
    /// Why.
    pub reason: String,
    /// The group rule cited.
    pub rule_id: Option<i64>,
    /// When the ban lifts by itself (ms); `None` until lifted.
    pub expires_at: Option<i64>,
    /// Who banned.
    pub banned_by: String,
}

/// A ban in force (or expired but not yet swept).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Ban {
    /// The group.
    pub group_id: i64,
    /// The banned actor's row id.
    pub actor_id: i64,
    /// The banned actor's id.
    pub actor_ap_id: String,
    /// Why.
    pub reason: String,
    /// The group rule cited.
    pub rule_id: Option<i64>,
    /// When it lifts (ms).
    pub expires_at: Option<i64>,
    /// Who banned.
    pub banned_by: String,
    /// When (ms).
    pub created_at: i64,
}

impl Ban {
    /// Whether the ban still holds at `now` (ms).
    pub fn in_force(&self, now: i64) -> bool {
        self.expires_at.is_none_or(|at| at > now)
    }
}

/// A line to add to the modlog (see [`crate::Change::Log`]).
#[derive(Debug, Clone, Default)]
pub struct NewModlogEntry {
    /// The group acted in; `None` for instance-wide decisions.
    pub group_id: Option<i64>,
    /// Who: `staff:NAME`, `cli:USER`, `automod`, or a remote actor's id.
    pub actor: String,
    /// What, e.g. `post.remove`, `member.ban`.
    pub action: String,
    /// On what (an object or actor id).
    pub target: String,
    /// Why.
    pub reason: String,
    /// The group rule cited.
    pub rule_id: Option<i64>,
    /// Anything else worth keeping.
    pub details: String,
}

/// A private note, on a member or on a case.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Note {
    /// Row id.
    pub id: i64,
    /// Who wrote it.
    pub author: String,
    /// The note.
    pub text: String,
    /// When (ms).
    pub created_at: i64,
}

/// Which modlog lines to read.
#[derive(Debug, Clone, Default)]
pub struct ModlogFilter {
    /// Only this group's lines; `None` for every line.
    pub group_id: Option<i64>,
    /// Only actions starting with this (e.g. `member.` or `post.remove`).
    pub action: Option<String>,
    /// Only lines whose target is this.
    pub target: Option<String>,
    /// Only lines by this actor.
    pub actor: Option<String>,
}

impl Store {
    /// The ban of `actor_id` from the group, in force or not yet swept.
    pub async fn group_ban(&self, group_id: i64, actor_id: i64) -> Result<Option<Ban>> {
        let sql = "SELECT b.group_id, b.actor_id, a.ap_id AS actor_ap_id, b.reason, b.rule_id, \
            b.expires_at, b.banned_by, b.created_at FROM group_bans b JOIN actors a ON a.id = b.actor_id \
            WHERE b.group_id = $1 AND b.actor_id = $2";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).bind(group_id).bind(actor_id).fetch_optional(pool).await?))
    }

    /// The group's bans in force at `now`, newest first.
    pub async fn group_bans(&self, group_id: i64, now: i64) -> Result<Vec<Ban>> {
        let sql = "SELECT b.group_id, b.actor_id, a.ap_id AS actor_ap_id, b.reason, b.rule_id, \
            b.expires_at, b.banned_by, b.created_at FROM group_bans b JOIN actors a ON a.id = b.actor_id \
            WHERE b.group_id = $1 AND (b.expires_at IS NULL OR b.expires_at > $2) ORDER BY b.created_at DESC";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).bind(group_id).bind(now).fetch_all(pool).await?))
    }

    /// Removes every ban that expired by `now`, logging each as `member.ban_expired`; returns
    /// the bans lifted.
    pub async fn sweep_expired_bans(&self, now: i64) -> Result<Vec<Ban>> {
        let select = "SELECT b.group_id, b.actor_id, a.ap_id AS actor_ap_id, b.reason, b.rule_id, \
            b.expires_at, b.banned_by, b.created_at FROM group_bans b JOIN actors a ON a.id = b.actor_id \
            WHERE b.expires_at IS NOT NULL AND b.expires_at <= $1";
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let expired: Vec<Ban> = sqlx::query_as(select).bind(now).fetch_all(&mut *tx).await?;
            for ban in &expired {
                let gone = sqlx::query("DELETE FROM group_bans WHERE group_id = $1 AND actor_id = $2 AND expires_at <= $3")
                    .bind(ban.group_id).bind(ban.actor_id).bind(now).execute(&mut *tx).await?.rows_affected();
                if gone > 0 {
                    sqlx::query("INSERT INTO modlog (at, actor, action, target, reason, details, group_id, rule_id) \
                                 VALUES ($1, 'hearth', 'member.ban_expired', $2, '', '', $3, NULL)")
                        .bind(now).bind(&ban.actor_ap_id).bind(ban.group_id).execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
            Ok(expired)
        })
    }

    /// The group's pinned posts (its featured collection), newest pin first.
    pub async fn pinned_posts(&self, group_id: i64) -> Result<Vec<Post>> {
        let sql = format!(
            "SELECT {POST_COLUMNS} FROM posts p JOIN actors a ON a.id = p.author_id \
             WHERE p.group_id = $1 AND p.pinned_at IS NOT NULL AND p.deleted_at IS NULL AND p.removed_at IS NULL \
             ORDER BY p.pinned_at DESC"
        );
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(group_id).fetch_all(pool).await?))
    }

    /// An actor's posts in a group, newest first (removed and deleted ones too).
    pub async fn posts_by_author(
        &self,
        group_id: i64,
        actor_id: i64,
        limit: i64,
    ) -> Result<Vec<Post>> {
        let sql = format!(
            "SELECT {POST_COLUMNS} FROM posts p JOIN actors a ON a.id = p.author_id \
             WHERE p.group_id = $1 AND p.author_id = $2 ORDER BY p.published DESC, p.id DESC LIMIT $3"
        );
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(group_id).bind(actor_id).bind(limit).fetch_all(pool).await?))
    }

    /// How many posts an actor has in a group (removed ones included).
    pub async fn count_posts_by_author(&self, group_id: i64, actor_id: i64) -> Result<i64> {
        let sql = "SELECT COUNT(*) FROM posts WHERE group_id = $1 AND author_id = $2";
        on_pool!(self, pool => Ok(sqlx::query_scalar(sql).bind(group_id).bind(actor_id).fetch_one(pool).await?))
    }

    /// Posts in a group since `since_ms`: by `actor_id` when given, else by any actor of `host`.
    pub async fn count_recent_posts(
        &self,
        group_id: Option<i64>,
        actor_id: Option<i64>,
        host: &str,
        since_ms: i64,
    ) -> Result<i64> {
        let sql = "SELECT COUNT(*) FROM posts p JOIN actors a ON a.id = p.author_id \
            WHERE ($1 IS NULL OR p.group_id = $1) AND p.created_at >= $2 \
            AND (($3 IS NOT NULL AND p.author_id = $3) OR ($3 IS NULL AND a.host = $4))";
        on_pool!(self, pool => Ok(sqlx::query_scalar(sql).bind(group_id).bind(since_ms).bind(actor_id).bind(host).fetch_one(pool).await?))
    }

    /// Adds a private note about a member of a group.
    pub async fn add_member_note(
        &self,
        group_id: i64,
        actor_id: i64,
        author: &str,
        text: &str,
    ) -> Result<i64> {
        let sql = "INSERT INTO member_notes (group_id, actor_id, author, text, created_at) \
            VALUES ($1, $2, $3, $4, $5) RETURNING id";
        on_pool!(self, pool => Ok(sqlx::query_scalar(sql).bind(group_id).bind(actor_id).bind(author)
            .bind(text).bind(crate::now_ms()).fetch_one(pool).await?))
    }

    /// The notes about a member, oldest first.
    pub async fn member_notes(&self, group_id: i64, actor_id: i64) -> Result<Vec<Note>> {
        let sql = "SELECT id, author, text, created_at FROM member_notes \
            WHERE group_id = $1 AND actor_id = $2 ORDER BY id";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).bind(group_id).bind(actor_id).fetch_all(pool).await?))
    }

    /// Adds an internal note to a case.
    pub async fn add_case_note(&self, case_id: i64, author: &str, text: &str) -> Result<i64> {
        let sql = "INSERT INTO case_notes (case_id, author, text, created_at) VALUES ($1, $2, $3, $4) RETURNING id";
        on_pool!(self, pool => Ok(sqlx::query_scalar(sql).bind(case_id).bind(author).bind(text)
            .bind(crate::now_ms()).fetch_one(pool).await?))
    }

    /// A case's notes, oldest first.
    pub async fn case_notes(&self, case_id: i64) -> Result<Vec<Note>> {
        let sql =
            "SELECT id, author, text, created_at FROM case_notes WHERE case_id = $1 ORDER BY id";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).bind(case_id).fetch_all(pool).await?))
    }

    /// Assigns an open case to an account (or to nobody).
    pub async fn assign_case(
        &self,
        group_id: i64,
        case_id: i64,
        account_id: Option<i64>,
    ) -> Result<bool> {
        let sql = "UPDATE report_cases SET assignee_id = $3 WHERE group_id = $1 AND id = $2";
        on_pool!(self, pool => Ok(sqlx::query(sql).bind(group_id).bind(case_id).bind(account_id)
            .execute(pool).await?.rows_affected() > 0))
    }

    /// Adds one modlog line on its own (for decisions that change nothing else).
    pub async fn log(&self, entry: &NewModlogEntry) -> Result<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            log_in_tx!(tx, entry, crate::now_ms());
            tx.commit().await?;
        });
        Ok(())
    }

    /// A page of the modlog, newest first, and how many lines match the filter.
    pub async fn modlog_page(
        &self,
        filter: &ModlogFilter,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<ModlogEntry>, i64)> {
        let action = filter.action.as_deref().map(|a| {
            format!(
                "{}%",
                a.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            )
        });
        let filter_sql = "FROM modlog WHERE ($1 IS NULL OR group_id = $1) \
            AND ($2 IS NULL OR action LIKE $2 ESCAPE '\\') AND ($3 IS NULL OR target = $3) \
            AND ($4 IS NULL OR actor = $4)";
        let page =
            format!("SELECT {MODLOG_COLUMNS} {filter_sql} ORDER BY id DESC LIMIT $5 OFFSET $6");
        let count = format!("SELECT COUNT(*) {filter_sql}");
        on_pool!(self, pool => {
            let rows: Vec<ModlogEntry> = sqlx::query_as(&page)
                .bind(filter.group_id).bind(&action).bind(&filter.target).bind(&filter.actor)
                .bind(limit).bind(offset).fetch_all(pool).await?;
            let total: i64 = sqlx::query_scalar(&count)
                .bind(filter.group_id).bind(&action).bind(&filter.target).bind(&filter.actor)
                .fetch_one(pool).await?;
            Ok((rows, total))
        })
    }
}
