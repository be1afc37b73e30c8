//! Who runs each group: staff accounts appointed as owner, moderator or community manager.

use std::fmt;
use std::str::FromStr;

use crate::error::Result;
use crate::store::{on_pool, Store};

/// A staff account's role in one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupRole {
    /// Reads insights, writes announcements and events; no removals.
    Manager,
    /// Handles members, join requests and content.
    Moderator,
    /// Everything a moderator does, plus editing the group and appointing its staff.
    Owner,
}

impl GroupRole {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupRole::Owner => "owner",
            GroupRole::Moderator => "moderator",
            GroupRole::Manager => "manager",
        }
    }
}

impl fmt::Display for GroupRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for GroupRole {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "owner" => Ok(GroupRole::Owner),
            "moderator" => Ok(GroupRole::Moderator),
            "manager" => Ok(GroupRole::Manager),
            other => Err(format!(
                "unknown role {other:?} (expected owner, moderator or manager)"
            )),
        }
    }
}

/// One appointment: an account's role in a group.
#[derive(Debug, Clone)]
pub struct StaffMember {
    /// The group's row id.
    pub group_id: i64,
    /// The group's name.
    pub group_name: String,
    /// The account's row id.
    pub account_id: i64,
    /// The account's username.
    pub username: String,
    /// The role.
    pub role: GroupRole,
    /// Since when (ms).
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
struct StaffRow {
    group_id: i64,
    group_name: String,
    account_id: i64,
    username: String,
    role: String,
    created_at: i64,
}

impl From<StaffRow> for StaffMember {
    fn from(row: StaffRow) -> Self {
        StaffMember {
            group_id: row.group_id,
            group_name: row.group_name,
            account_id: row.account_id,
            username: row.username,
            role: row.role.parse().unwrap_or(GroupRole::Manager),
            created_at: row.created_at,
        }
    }
}

const STAFF_SELECT: &str = "SELECT s.group_id, g.name AS group_name, s.account_id, a.username, s.role, \
    s.created_at FROM group_staff s JOIN groups g ON g.id = s.group_id JOIN accounts a ON a.id = s.account_id";

impl Store {
    /// Appoints `account_id` to `group_id` with `role`, replacing any role it had there.
    pub async fn set_group_role(
        &self,
        group_id: i64,
        account_id: i64,
        role: GroupRole,
    ) -> Result<()> {
        let sql = "INSERT INTO group_staff (group_id, account_id, role, created_at) VALUES ($1, $2, $3, $4) \
                   ON CONFLICT (group_id, account_id) DO UPDATE SET role = excluded.role";
        on_pool!(self, pool => sqlx::query(sql)
            .bind(group_id)
            .bind(account_id)
            .bind(role.as_str())
            .bind(crate::now_ms())
            .execute(pool).await.map(drop))?;
        Ok(())
    }

    /// Withdraws any role `account_id` has in `group_id`; false when it had none.
    pub async fn remove_group_role(&self, group_id: i64, account_id: i64) -> Result<bool> {
        let sql = "DELETE FROM group_staff WHERE group_id = $1 AND account_id = $2";
        let done = on_pool!(self, pool => sqlx::query(sql)
            .bind(group_id)
            .bind(account_id)
            .execute(pool)
            .await?.rows_affected());
        Ok(done == 1)
    }

    /// The staff of a group, owners first.
    pub async fn group_staff(&self, group_id: i64) -> Result<Vec<StaffMember>> {
        let sql = format!(
            "{STAFF_SELECT} WHERE s.group_id = $1 ORDER BY CASE s.role WHEN 'owner' THEN 0 \
             WHEN 'moderator' THEN 1 ELSE 2 END, a.username"
        );
        let rows: Vec<StaffRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(group_id).fetch_all(pool).await?);
        Ok(rows.into_iter().map(StaffMember::from).collect())
    }

    /// The roles an account holds, by group name.
    pub async fn roles_of_account(&self, account_id: i64) -> Result<Vec<StaffMember>> {
        let sql = format!("{STAFF_SELECT} WHERE s.account_id = $1 ORDER BY g.name");
        let rows: Vec<StaffRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(account_id).fetch_all(pool).await?);
        Ok(rows.into_iter().map(StaffMember::from).collect())
    }

    /// The role an account holds in a group, if any.
    pub async fn group_role(&self, group_id: i64, account_id: i64) -> Result<Option<GroupRole>> {
        let sql = "SELECT role FROM group_staff WHERE group_id = $1 AND account_id = $2";
        let role: Option<String> = on_pool!(self, pool => sqlx::query_scalar(sql)
            .bind(group_id)
            .bind(account_id)
            .fetch_optional(pool)
            .await?);
        Ok(role.and_then(|r| r.parse().ok()))
    }
}
