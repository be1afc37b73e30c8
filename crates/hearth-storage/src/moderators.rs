//! Moderators of a group from other instances (listed in its moderators collection).

use crate::error::Result;
use crate::store::{on_pool, Store};

/// A remote actor who moderates a group.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RemoteModerator {
    /// The group's row id.
    pub group_id: i64,
    /// The actor's row id.
    pub actor_id: i64,
    /// The actor's id.
    pub ap_id: String,
    /// The actor's username, when known.
    pub username: Option<String>,
    /// The actor's instance.
    pub host: String,
    /// Who appointed them.
    pub added_by: String,
    /// When (ms).
    pub created_at: i64,
}

impl RemoteModerator {
    /// `@user@host` when the username is known, else the id.
    pub fn handle(&self) -> String {
        match &self.username {
            Some(user) => format!("@{user}@{}", self.host),
            None => self.ap_id.clone(),
        }
    }
}

impl Store {
    /// A group's remote moderators, in the order they were appointed.
    pub async fn group_moderators(&self, group_id: i64) -> Result<Vec<RemoteModerator>> {
        let sql = "SELECT m.group_id, m.actor_id, a.ap_id, a.preferred_username AS username, \
            a.host, m.added_by, m.created_at FROM group_moderators m \
            JOIN actors a ON a.id = m.actor_id WHERE m.group_id = $1 ORDER BY m.created_at, m.id";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).bind(group_id).fetch_all(pool).await?))
    }

    /// Whether the actor with row id `actor_id` moderates the group.
    pub async fn is_group_moderator(&self, group_id: i64, actor_id: i64) -> Result<bool> {
        let sql = "SELECT COUNT(*) FROM group_moderators WHERE group_id = $1 AND actor_id = $2";
        on_pool!(self, pool => {
            let n: i64 = sqlx::query_scalar(sql).bind(group_id).bind(actor_id).fetch_one(pool).await?;
            Ok(n > 0)
        })
    }
}
