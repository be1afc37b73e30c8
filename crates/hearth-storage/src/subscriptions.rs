//! Subscriptions to shared blocklists: the lists, the last good copy of each (entry by entry),
//! and the one transaction that turns them into domain rules.
//!
//! Which rules the lists should give is decided by the caller (see
//! `hearth_moderation::subscriptions`): [`Store::update_subscriptions`] hands it every source
//! — the rules in force, the subscriptions and their entries — read inside the same write
//! transaction that then stores the list and applies the planned changes, so concurrent
//! refreshes and manual changes never work from a stale picture.

use crate::domains::{apply_in_tx, DomainChange, DomainPolicy, POLICY_COLUMNS};
use crate::error::{Result, StoreError};
use crate::store::{on_pool, BeginWrite, Store};

/// A subscription to a shared list.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BlocklistSubscription {
    /// Row id.
    pub id: i64,
    /// Where the list is fetched from.
    pub url: String,
    /// Between lists listing the same domain, the higher priority wins (ties: the lower id).
    pub priority: i64,
    /// A draft is fetched and stored but applies nothing.
    pub draft: bool,
    /// Domains never applied from this list (nor their subdomains), one per line.
    pub excludes: String,
    /// How often it is fetched, in seconds.
    pub refresh_secs: i64,
    /// The `ETag` of the last good copy.
    pub etag: Option<String>,
    /// The `Last-Modified` of the last good copy.
    pub last_modified: Option<String>,
    /// How the last good copy was read: `csv`, `json` or `plain`.
    pub format: Option<String>,
    /// Last fetch, good or not (ms).
    pub last_fetch_at: Option<i64>,
    /// Last good fetch (ms).
    pub last_success_at: Option<i64>,
    /// Why the last fetch failed, if it did.
    pub last_error: Option<String>,
    /// Who subscribed.
    pub created_by: String,
    /// When (ms).
    pub created_at: i64,
    /// Entries in the last good copy.
    pub entries: i64,
}

impl BlocklistSubscription {
    /// The excluded domains.
    pub fn exclude_list(&self) -> Vec<String> {
        self.excludes
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// What its rules record as their source: `subscription:<id>`.
    pub fn source(&self) -> String {
        subscription_source(self.id)
    }
}

/// The `source` of the domain rules a subscription gives.
pub fn subscription_source(id: i64) -> String {
    format!("subscription:{id}")
}

/// The subscription a rule's `source` names, if it names one.
pub fn subscription_of_source(source: &str) -> Option<i64> {
    source.strip_prefix("subscription:")?.parse().ok()
}

/// One entry of a list's last good copy.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SubscriptionEntry {
    /// The subscription.
    pub subscription_id: i64,
    /// Normalised domain.
    pub domain: String,
    /// `suspend`, `silence`, `noop` or `allow`.
    pub severity: String,
    /// Drop media.
    pub reject_media: bool,
    /// Ignore reports.
    pub reject_reports: bool,
    /// Whether the list shows the domain obfuscated.
    pub obfuscate: bool,
    /// Public reason.
    pub public_comment: String,
}

/// A subscription to create.
#[derive(Debug, Clone)]
pub struct NewSubscription {
    /// Where the list is fetched from.
    pub url: String,
    /// Priority between lists.
    pub priority: i64,
    /// Store it without applying it.
    pub draft: bool,
    /// Normalised domains never applied from it.
    pub excludes: Vec<String>,
    /// Refresh interval in seconds.
    pub refresh_secs: i64,
    /// Who subscribes.
    pub created_by: String,
}

/// A good copy of a list, just fetched.
#[derive(Debug, Clone)]
pub struct FetchedList {
    /// Its entries (their `subscription_id` is ignored); `None` when the server answered that
    /// the list did not change.
    pub entries: Option<Vec<SubscriptionEntry>>,
    /// `csv`, `json` or `plain`.
    pub format: Option<String>,
    /// The `ETag` answered.
    pub etag: Option<String>,
    /// The `Last-Modified` answered.
    pub last_modified: Option<String>,
    /// When it was fetched (ms).
    pub at: i64,
}

/// What happens to the subscriptions before the rules are brought in line with them.
#[derive(Debug, Clone)]
pub enum SubscriptionUpdate {
    /// Subscribe, with the list's first good copy.
    Create(NewSubscription, FetchedList),
    /// A good copy of subscription `id` was fetched.
    Fetched(i64, FetchedList),
    /// A draft takes effect.
    Activate(i64),
    /// Unsubscribe: the subscription and its entries are deleted.
    Remove(i64),
    /// Nothing: only bring the rules in line (e.g. after a manual rule was lifted).
    Nothing,
}

/// Everything the rules come from, as read inside the transaction.
#[derive(Debug, Clone, Default)]
pub struct PolicySources {
    /// The rules in force, manual or not.
    pub policies: Vec<DomainPolicy>,
    /// Every subscription (drafts included), after the update.
    pub subscriptions: Vec<BlocklistSubscription>,
    /// Every stored entry of every subscription, after the update.
    pub entries: Vec<SubscriptionEntry>,
}

/// A change to the rules with the reason logged for it.
#[derive(Debug, Clone)]
pub struct PlannedChange {
    /// The change.
    pub change: DomainChange,
    /// The modlog reason.
    pub reason: String,
    /// The rule it replaces or lifts, if any.
    pub before: Option<DomainPolicy>,
}

/// What [`Store::update_subscriptions`] did.
#[derive(Debug, Clone)]
pub struct SubscriptionOutcome {
    /// The subscription concerned (the new one for `Create`; 0 for `Nothing`).
    pub id: i64,
    /// The rule changes applied.
    pub applied: Vec<PlannedChange>,
}

const SUBSCRIPTION_COLUMNS: &str = "s.id, s.url, s.priority, s.draft, s.excludes, s.refresh_secs, \
    s.etag, s.last_modified, s.format, s.last_fetch_at, s.last_success_at, s.last_error, \
    s.created_by, s.created_at, \
    (SELECT COUNT(*) FROM blocklist_subscription_entries e WHERE e.subscription_id = s.id) AS entries";

const ENTRY_COLUMNS: &str =
    "subscription_id, domain, severity, reject_media, reject_reports, obfuscate, public_comment";

/// The scheduled job that refreshes subscription `id` (see `Store::claim_scheduled_job`).
pub fn subscription_job(id: i64) -> String {
    format!("blocklist-subscription:{id}")
}

impl Store {
    /// Every subscription, by id.
    pub async fn blocklist_subscriptions(&self) -> Result<Vec<BlocklistSubscription>> {
        let sql =
            format!("SELECT {SUBSCRIPTION_COLUMNS} FROM blocklist_subscriptions s ORDER BY s.id");
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).fetch_all(pool).await?))
    }

    /// One subscription.
    pub async fn blocklist_subscription(&self, id: i64) -> Result<Option<BlocklistSubscription>> {
        let sql =
            format!("SELECT {SUBSCRIPTION_COLUMNS} FROM blocklist_subscriptions s WHERE s.id = $1");
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?))
    }

    /// The subscription to `url`, if there is one.
    pub async fn blocklist_subscription_by_url(
        &self,
        url: &str,
    ) -> Result<Option<BlocklistSubscription>> {
        let sql = format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM blocklist_subscriptions s WHERE s.url = $1"
        );
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(url).fetch_optional(pool).await?))
    }

    /// The stored entries of subscription `id`, by domain.
    pub async fn subscription_entries(&self, id: i64) -> Result<Vec<SubscriptionEntry>> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM blocklist_subscription_entries WHERE subscription_id = $1 ORDER BY domain"
        );
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(id).fetch_all(pool).await?))
    }

    /// Every source of the rules, read outside any transaction (for previews).
    pub async fn policy_sources(&self) -> Result<PolicySources> {
        let policies = format!("SELECT {POLICY_COLUMNS} FROM domain_policies ORDER BY domain");
        let subscriptions =
            format!("SELECT {SUBSCRIPTION_COLUMNS} FROM blocklist_subscriptions s ORDER BY s.id");
        let entries = format!(
            "SELECT {ENTRY_COLUMNS} FROM blocklist_subscription_entries ORDER BY subscription_id, domain"
        );
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let sources = PolicySources {
                policies: sqlx::query_as(&policies).fetch_all(&mut *tx).await?,
                subscriptions: sqlx::query_as(&subscriptions).fetch_all(&mut *tx).await?,
                entries: sqlx::query_as(&entries).fetch_all(&mut *tx).await?,
            };
            tx.rollback().await?;
            Ok(sources)
        })
    }

    /// Records a failed fetch of subscription `id`: the last good copy stays in force.
    pub async fn record_subscription_failure(&self, id: i64, at: i64, error: &str) -> Result<()> {
        let sql =
            "UPDATE blocklist_subscriptions SET last_fetch_at = $2, last_error = $3 WHERE id = $1";
        on_pool!(self, pool => {
            sqlx::query(sql).bind(id).bind(at).bind(error).execute(pool).await?;
        });
        Ok(())
    }

    /// In one transaction: applies `update` to the subscriptions, reads every source of the
    /// rules, lets `plan` decide what the rules should become, and applies its changes through
    /// the same path as every rule change (logged in the modlog as `actor`, each with its
    /// reason). Fails with [`StoreError::NotFound`] when the subscription does not exist and
    /// with [`StoreError::Conflict`] when `Create` names a URL already subscribed to; nothing
    /// changes then.
    pub async fn update_subscriptions<F>(
        &self,
        update: SubscriptionUpdate,
        actor: &str,
        plan: F,
    ) -> Result<SubscriptionOutcome>
    where
        F: FnOnce(&PolicySources) -> Vec<PlannedChange>,
    {
        let now = crate::now_ms();
        let lock = self.policy_lock_sql();
        let policies_sql = format!("SELECT {POLICY_COLUMNS} FROM domain_policies ORDER BY domain");
        let subscriptions_sql =
            format!("SELECT {SUBSCRIPTION_COLUMNS} FROM blocklist_subscriptions s ORDER BY s.id");
        let entries_sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM blocklist_subscription_entries ORDER BY subscription_id, domain"
        );
        let insert_entry = format!(
            "INSERT INTO blocklist_subscription_entries ({ENTRY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        );
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(lock).execute(&mut *tx).await?;
            let (id, store_copy) = match &update {
                SubscriptionUpdate::Create(new, fetched) => {
                    let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM blocklist_subscriptions WHERE url = $1")
                        .bind(&new.url).fetch_optional(&mut *tx).await?;
                    if let Some(taken) = taken {
                        return Err(StoreError::Conflict(format!(
                            "{} is already subscribed to (subscription {taken})", new.url
                        )));
                    }
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO blocklist_subscriptions (url, priority, draft, excludes, refresh_secs, \
                         etag, last_modified, format, last_fetch_at, last_success_at, created_by, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11) RETURNING id")
                        .bind(&new.url).bind(new.priority).bind(new.draft).bind(new.excludes.join("\n"))
                        .bind(new.refresh_secs).bind(&fetched.etag).bind(&fetched.last_modified)
                        .bind(&fetched.format).bind(fetched.at).bind(&new.created_by).bind(now)
                        .fetch_one(&mut *tx).await?;
                    (id, fetched.entries.as_ref())
                }
                SubscriptionUpdate::Fetched(id, fetched) => {
                    let rows = sqlx::query(
                        "UPDATE blocklist_subscriptions SET etag = $2, last_modified = $3, \
                         format = COALESCE($4, format), last_fetch_at = $5, last_success_at = $5, \
                         last_error = NULL WHERE id = $1")
                        .bind(id).bind(&fetched.etag).bind(&fetched.last_modified).bind(&fetched.format)
                        .bind(fetched.at)
                        .execute(&mut *tx).await?.rows_affected();
                    if rows == 0 {
                        return Err(StoreError::NotFound);
                    }
                    (*id, fetched.entries.as_ref())
                }
                SubscriptionUpdate::Activate(id) => {
                    let rows = sqlx::query("UPDATE blocklist_subscriptions SET draft = FALSE WHERE id = $1")
                        .bind(id).execute(&mut *tx).await?.rows_affected();
                    if rows == 0 {
                        return Err(StoreError::NotFound);
                    }
                    (*id, None)
                }
                SubscriptionUpdate::Remove(id) => {
                    sqlx::query("DELETE FROM blocklist_subscription_entries WHERE subscription_id = $1")
                        .bind(id).execute(&mut *tx).await?;
                    let rows = sqlx::query("DELETE FROM blocklist_subscriptions WHERE id = $1")
                        .bind(id).execute(&mut *tx).await?.rows_affected();
                    if rows == 0 {
                        return Err(StoreError::NotFound);
                    }
                    sqlx::query("DELETE FROM scheduled_jobs WHERE name = $1")
                        .bind(subscription_job(*id)).execute(&mut *tx).await?;
                    (*id, None)
                }
                SubscriptionUpdate::Nothing => (0, None),
            };
            if let Some(entries) = store_copy {
                sqlx::query("DELETE FROM blocklist_subscription_entries WHERE subscription_id = $1")
                    .bind(id).execute(&mut *tx).await?;
                for e in entries {
                    sqlx::query(&insert_entry)
                        .bind(id).bind(&e.domain).bind(&e.severity).bind(e.reject_media)
                        .bind(e.reject_reports).bind(e.obfuscate).bind(&e.public_comment)
                        .execute(&mut *tx).await?;
                }
            }
            let sources = PolicySources {
                policies: sqlx::query_as(&policies_sql).fetch_all(&mut *tx).await?,
                subscriptions: sqlx::query_as(&subscriptions_sql).fetch_all(&mut *tx).await?,
                entries: sqlx::query_as(&entries_sql).fetch_all(&mut *tx).await?,
            };
            let mut applied = Vec::new();
            for planned in plan(&sources) {
                if apply_in_tx!(tx, &planned.change, actor, &planned.reason, now) > 0 {
                    applied.push(planned);
                }
            }
            tx.commit().await?;
            Ok(SubscriptionOutcome { id, applied })
        })
    }
}
