//! A group's rules: an ordered list of short names and texts that reports, removals and bans
//! can cite by id.

use crate::error::Result;
use crate::store::{on_pool, Store};

/// One rule of a group.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Rule {
    /// Stable id, kept across edits so citations stay valid.
    pub id: i64,
    /// Place in the list, from 1.
    pub position: i64,
    /// Short name, e.g. "Be kind".
    pub short_name: String,
    /// The rule in full (Markdown).
    pub text: String,
}

/// A rule as an editor submits it: `id` names an existing rule to keep (and edit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInput {
    /// An existing rule of the group, or `None` for a new one.
    pub id: Option<i64>,
    /// Short name.
    pub short_name: String,
    /// Full text.
    pub text: String,
}

impl Store {
    /// The rules of a group, in order.
    pub async fn group_rules(&self, group_id: i64) -> Result<Vec<Rule>> {
        let sql = "SELECT id, position, short_name, text FROM group_rules WHERE group_id = $1 \
                   ORDER BY position, id";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).bind(group_id).fetch_all(pool).await?))
    }

    /// Replaces the rules of a group with `rules`, in that order, in one transaction: rules
    /// named by id are updated in place, new ones inserted, and the others deleted. An id that
    /// is not one of the group's rules is [`crate::StoreError::NotFound`] and changes nothing.
    pub async fn replace_group_rules(
        &self,
        group_id: i64,
        rules: &[RuleInput],
    ) -> Result<Vec<Rule>> {
        let now = crate::now_ms();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let existing: Vec<i64> = sqlx::query_scalar("SELECT id FROM group_rules WHERE group_id = $1")
                .bind(group_id)
                .fetch_all(&mut *tx)
                .await?;
            let kept: Vec<i64> = rules.iter().filter_map(|r| r.id).collect();
            if kept.iter().any(|id| !existing.contains(id)) {
                return Err(crate::StoreError::NotFound);
            }
            for id in existing.iter().filter(|id| !kept.contains(id)) {
                sqlx::query("DELETE FROM group_rules WHERE id = $1").bind(id).execute(&mut *tx).await?;
            }
            for (index, rule) in rules.iter().enumerate() {
                let position = index as i64 + 1;
                match rule.id {
                    Some(id) => {
                        sqlx::query("UPDATE group_rules SET position = $2, short_name = $3, text = $4 WHERE id = $1")
                            .bind(id)
                            .bind(position)
                            .bind(&rule.short_name)
                            .bind(&rule.text)
                            .execute(&mut *tx)
                            .await?;
                    }
                    None => {
                        sqlx::query("INSERT INTO group_rules (group_id, position, short_name, text) VALUES ($1, $2, $3, $4)")
                            .bind(group_id)
                            .bind(position)
                            .bind(&rule.short_name)
                            .bind(&rule.text)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
            }
            sqlx::query("UPDATE groups SET updated_at = $2 WHERE id = $1")
                .bind(group_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        self.group_rules(group_id).await
    }
}
