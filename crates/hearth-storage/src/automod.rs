//! Automod rules: checks that every post into a group passes before the group takes it in,
//! per group or for every group. This crate stores them as written; what they mean, and
//! whether a new one is valid, is `hearth_moderation::automod`'s business.

use crate::error::Result;
use crate::moderation::{log_in_tx, NewModlogEntry};
use crate::store::{on_pool, BeginWrite, Store};

/// A stored automod rule.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AutomodRule {
    /// Row id, for removing it and in modlog lines.
    pub id: i64,
    /// The group it applies to; `None` for every group.
    pub group_id: Option<i64>,
    /// What it checks, e.g. `keyword` or `max_links`.
    pub kind: String,
    /// Words, a regular expression or domains, by kind.
    pub pattern: String,
    /// A count or an age, by kind.
    pub threshold: i64,
    /// `reject`, `hold` or `report`.
    pub outcome: String,
    /// Why the rule exists, shown with its decisions.
    pub note: String,
    /// Who added it.
    pub created_by: String,
    /// When (ms).
    pub created_at: i64,
}

/// A rule to add (see [`Store::add_automod_rule`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewAutomodRule {
    /// The group; `None` for every group.
    pub group_id: Option<i64>,
    /// What it checks.
    pub kind: String,
    /// Words, a regular expression or domains, by kind.
    pub pattern: String,
    /// A count or an age, by kind.
    pub threshold: i64,
    /// `reject`, `hold` or `report`.
    pub outcome: String,
    /// Why the rule exists.
    pub note: String,
    /// Who adds it: `cli`, `staff:NAME`.
    pub created_by: String,
}

const AUTOMOD_COLUMNS: &str =
    "id, group_id, kind, pattern, threshold, outcome, note, created_by, created_at";

impl AutomodRule {
    /// The rule as one line for the modlog: `keyword "a, b" → hold`.
    fn summary(&self) -> String {
        let what = if self.pattern.is_empty() {
            self.threshold.to_string()
        } else {
            format!("{:?}", self.pattern)
        };
        format!("{} {what} → {}", self.kind, self.outcome)
    }
}

impl Store {
    /// The rules a post into the group must pass: the group's own and the instance-wide ones,
    /// oldest first.
    pub async fn automod_rules_for(&self, group_id: i64) -> Result<Vec<AutomodRule>> {
        let sql = format!(
            "SELECT {AUTOMOD_COLUMNS} FROM automod_rules WHERE group_id = $1 OR group_id IS NULL ORDER BY id"
        );
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(group_id).fetch_all(pool).await?))
    }

    /// Only the group's rules (`Some`), or only the instance-wide ones (`None`), oldest first.
    pub async fn automod_rules(&self, group_id: Option<i64>) -> Result<Vec<AutomodRule>> {
        let sql = format!(
            "SELECT {AUTOMOD_COLUMNS} FROM automod_rules \
             WHERE group_id = $1 OR ($1 IS NULL AND group_id IS NULL) ORDER BY id"
        );
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(group_id).fetch_all(pool).await?))
    }

    /// Adds a rule, logged in the modlog as `automod.rule_add`. The rule is stored as given:
    /// validate it first.
    pub async fn add_automod_rule(&self, rule: &NewAutomodRule) -> Result<AutomodRule> {
        let now = crate::now_ms();
        let sql = format!(
            "INSERT INTO automod_rules (group_id, kind, pattern, threshold, outcome, note, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {AUTOMOD_COLUMNS}"
        );
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let added: AutomodRule = sqlx::query_as(&sql)
                .bind(rule.group_id).bind(&rule.kind).bind(&rule.pattern).bind(rule.threshold)
                .bind(&rule.outcome).bind(&rule.note).bind(&rule.created_by).bind(now)
                .fetch_one(&mut *tx).await?;
            let entry = NewModlogEntry {
                group_id: rule.group_id,
                actor: rule.created_by.clone(),
                action: "automod.rule_add".into(),
                target: format!("automod rule {}", added.id),
                reason: rule.note.clone(),
                details: added.summary(),
                ..NewModlogEntry::default()
            };
            log_in_tx!(tx, &entry, now);
            tx.commit().await?;
            Ok(added)
        })
    }

    /// Removes rule `id` of the group (`Some`) or an instance-wide one (`None`), logged in the
    /// modlog as `automod.rule_remove` by `by`; `None` when there is no such rule there.
    pub async fn remove_automod_rule(
        &self,
        group_id: Option<i64>,
        id: i64,
        by: &str,
    ) -> Result<Option<AutomodRule>> {
        let now = crate::now_ms();
        let sql = format!(
            "DELETE FROM automod_rules WHERE id = $1 \
             AND (group_id = $2 OR ($2 IS NULL AND group_id IS NULL)) RETURNING {AUTOMOD_COLUMNS}"
        );
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let removed: Option<AutomodRule> = sqlx::query_as(&sql)
                .bind(id).bind(group_id).fetch_optional(&mut *tx).await?;
            if let Some(rule) = &removed {
                let entry = NewModlogEntry {
                    group_id,
                    actor: by.to_owned(),
                    action: "automod.rule_remove".into(),
                    target: format!("automod rule {id}"),
                    details: rule.summary(),
                    ..NewModlogEntry::default()
                };
                log_in_tx!(tx, &entry, now);
            }
            tx.commit().await?;
            Ok(removed)
        })
    }
}
