//! Instance admins' decisions about other domains, instance settings, and the modlog that
//! records every change with who, when and why.

use crate::error::Result;
use crate::store::{on_pool, BeginWrite, Store};

/// A stored domain rule.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DomainPolicy {
    /// `example.com` (covers subdomains), `*.example.com`, or an IP.
    pub domain: String,
    /// `suspend`, `silence`, `noop` or `allow`.
    pub severity: String,
    /// Drop media from it.
    pub reject_media: bool,
    /// Ignore its reports.
    pub reject_reports: bool,
    /// Reason shown to the public.
    pub public_comment: String,
    /// Reason for staff only.
    pub private_comment: String,
    /// `manual`, or the list it came from.
    pub source: String,
    /// When it lapses (ms), if ever.
    pub expires_at: Option<i64>,
    /// Who made it.
    pub created_by: String,
    /// When (ms).
    pub created_at: i64,
    /// Last change (ms).
    pub updated_at: i64,
}

/// One modlog line.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ModlogEntry {
    /// Row id.
    pub id: i64,
    /// When (ms).
    pub at: i64,
    /// Who.
    pub actor: String,
    /// What, e.g. `domain.suspend`.
    pub action: String,
    /// On what.
    pub target: String,
    /// Why.
    pub reason: String,
    /// Anything else worth keeping.
    pub details: String,
    /// The group acted in; `None` for instance-wide decisions.
    pub group_id: Option<i64>,
    /// The group rule cited, if any.
    pub rule_id: Option<i64>,
}

/// A change to the domain rules, applied with [`Store::apply_domain_changes`].
#[derive(Debug, Clone)]
pub enum DomainChange {
    /// Create or replace the rule for a domain.
    Set(DomainPolicy),
    /// Remove the rule for a domain.
    Remove(String),
}

/// The columns of [`ModlogEntry`].
pub(crate) const MODLOG_COLUMNS: &str =
    "id, at, actor, action, target, reason, details, group_id, rule_id";

pub(crate) const POLICY_COLUMNS: &str =
    "domain, severity, reject_media, reject_reports, public_comment, private_comment, \
    source, expires_at, created_by, created_at, updated_at";

/// Applies one [`DomainChange`] inside the open transaction `$tx` and logs it in the modlog as
/// `$actor` with `$reason`. Evaluates to the number of rules changed (0 or 1). Every change to
/// the domain rules goes through here.
macro_rules! apply_in_tx {
    ($tx:ident, $change:expr, $actor:expr, $reason:expr, $now:expr) => {{
        let (action, target, details, rows) = match $change {
            $crate::domains::DomainChange::Set(p) => {
                let rows = sqlx::query($crate::domains::UPSERT_POLICY)
                    .bind(&p.domain).bind(&p.severity).bind(p.reject_media).bind(p.reject_reports)
                    .bind(&p.public_comment).bind(&p.private_comment).bind(&p.source).bind(p.expires_at)
                    .bind($actor).bind($now)
                    .execute(&mut *$tx).await?.rows_affected();
                let details = format!(
                    "reject_media={} reject_reports={} source={}{}",
                    p.reject_media, p.reject_reports, p.source,
                    p.expires_at.map(|e| format!(" expires_at={e}")).unwrap_or_default()
                );
                (format!("domain.{}", p.severity), p.domain.clone(), details, rows)
            }
            $crate::domains::DomainChange::Remove(domain) => {
                let rows = sqlx::query("DELETE FROM domain_policies WHERE domain = $1")
                    .bind(domain).execute(&mut *$tx).await?.rows_affected();
                ("domain.lift".to_owned(), domain.clone(), String::new(), rows)
            }
        };
        if rows > 0 {
            sqlx::query("INSERT INTO modlog (at, actor, action, target, reason, details) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind($now).bind($actor).bind(&action).bind(&target).bind($reason).bind(&details)
                .execute(&mut *$tx).await?;
        }
        rows
    }};
}
pub(crate) use apply_in_tx;

/// Creates or replaces a rule; `created_by` and `created_at` are kept when it is replaced.
pub(crate) const UPSERT_POLICY: &str =
    "INSERT INTO domain_policies (domain, severity, reject_media, reject_reports, public_comment, private_comment, \
     source, expires_at, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
     ON CONFLICT (domain) DO UPDATE SET severity = excluded.severity, reject_media = excluded.reject_media, \
     reject_reports = excluded.reject_reports, public_comment = excluded.public_comment, \
     private_comment = excluded.private_comment, source = excluded.source, expires_at = excluded.expires_at, \
     updated_at = excluded.updated_at";

impl Store {
    /// Every domain rule, by domain.
    pub async fn domain_policies(&self) -> Result<Vec<DomainPolicy>> {
        let sql = format!("SELECT {POLICY_COLUMNS} FROM domain_policies ORDER BY domain");
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).fetch_all(pool).await?))
    }

    /// Applies rule changes in one transaction, logging each in the modlog as `actor` with
    /// `reason`. Returns how many rules changed.
    pub async fn apply_domain_changes(
        &self,
        changes: &[DomainChange],
        actor: &str,
        reason: &str,
    ) -> Result<u64> {
        let now = crate::now_ms();
        let lock = self.policy_lock_sql();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(lock).execute(&mut *tx).await?;
            let mut changed = 0;
            for change in changes {
                changed += apply_in_tx!(tx, change, actor, reason, now);
            }
            tx.commit().await?;
            Ok(changed)
        })
    }

    /// The statement that opens every transaction changing domain rules, so that they run one
    /// at a time: SQLite's write lock already does that; on PostgreSQL a transaction-scoped
    /// advisory lock does.
    pub(crate) fn policy_lock_sql(&self) -> &'static str {
        match self.backend() {
            crate::Backend::Sqlite => "SELECT 1",
            crate::Backend::Postgres => "SELECT pg_advisory_xact_lock(4852110)",
        }
    }

    /// An instance setting.
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        let sql = "SELECT value FROM instance_settings WHERE key = $1";
        on_pool!(self, pool => Ok(sqlx::query_scalar(sql).bind(key).fetch_optional(pool).await?))
    }

    /// Changes an instance setting, logged in the modlog.
    pub async fn set_setting(
        &self,
        key: &str,
        value: &str,
        actor: &str,
        reason: &str,
    ) -> Result<()> {
        let now = crate::now_ms();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("INSERT INTO instance_settings (key, value, updated_at) VALUES ($1, $2, $3) \
                         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at")
                .bind(key).bind(value).bind(now).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO modlog (at, actor, action, target, reason, details) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(now).bind(actor).bind(format!("setting.{key}")).bind(value).bind(reason).bind("")
                .execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// A fingerprint of the rules and settings: it changes whenever either does, so every
    /// process can cheaply notice changes made by others.
    pub async fn policy_version(&self) -> Result<String> {
        let sql = "SELECT \
            (SELECT COUNT(*) FROM domain_policies) AS rules, \
            (SELECT COALESCE(MAX(updated_at), 0) FROM domain_policies) AS rules_at, \
            (SELECT COALESCE(MAX(id), 0) FROM modlog) AS log";
        let (rules, at, log): (i64, i64, i64) =
            on_pool!(self, pool => sqlx::query_as(sql).fetch_one(pool).await?);
        Ok(format!("{rules}/{at}/{log}"))
    }

    /// Hosts Hearth knows (actors, queued deliveries, instances).
    pub async fn known_hosts(&self) -> Result<Vec<String>> {
        let sql = "SELECT host FROM actors UNION SELECT host FROM deliveries UNION SELECT host FROM instances";
        on_pool!(self, pool => Ok(sqlx::query_scalar(sql).fetch_all(pool).await?))
    }

    /// Cuts `hosts` off: removes follows by their actors and cancels deliveries to them.
    /// Returns (follows removed, deliveries cancelled).
    pub async fn cut_off_hosts(&self, hosts: &[String]) -> Result<(u64, u64)> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let (mut follows, mut jobs) = (0, 0);
            for host in hosts {
                sqlx::query(crate::insight_rollup::RECORD_HOST_LEAVES)
                    .bind(host).bind(crate::now_ms()).execute(&mut *tx).await?;
                follows += sqlx::query("DELETE FROM follows WHERE actor_id IN (SELECT id FROM actors WHERE host = $1)")
                    .bind(host).execute(&mut *tx).await?.rows_affected();
                jobs += sqlx::query("DELETE FROM deliveries WHERE host = $1")
                    .bind(host).execute(&mut *tx).await?.rows_affected();
            }
            tx.commit().await?;
            Ok((follows, jobs))
        })
    }

    /// The newest modlog lines, newest first.
    pub async fn modlog(&self, limit: i64) -> Result<Vec<ModlogEntry>> {
        let sql = format!("SELECT {MODLOG_COLUMNS} FROM modlog ORDER BY id DESC LIMIT $1");
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(limit).fetch_all(pool).await?))
    }
}
