//! Posts in groups: threads (top-level posts) and their replies at any depth.

use crate::error::Result;
use crate::store::{on_pool, Store};

/// A stored post with its author's display fields.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Post {
    /// Row id.
    pub id: i64,
    /// The object's id.
    pub ap_id: String,
    /// Owning group.
    pub group_id: i64,
    /// Author row id.
    pub author_id: i64,
    /// Author's actor id.
    pub author_ap_id: String,
    /// Author's username.
    pub author_username: Option<String>,
    /// Author's display name.
    pub author_name: Option<String>,
    /// Author's host.
    pub author_host: String,
    /// `Note`, `Page`, `Article`, `Question`, `Event`.
    pub kind: String,
    /// The parent's id, for replies.
    pub in_reply_to: Option<String>,
    /// Row id of the thread's root post.
    pub thread_id: Option<i64>,
    /// Title (`name`), or one derived from the first line.
    pub title: Option<String>,
    /// HTML as received; sanitise before rendering.
    pub content: String,
    /// The object's human-facing URL.
    pub url: Option<String>,
    /// The object JSON as received.
    pub raw: String,
    /// Publication time (ms).
    pub published: i64,
    /// Last edit (ms).
    pub updated: Option<i64>,
    /// Removal time (ms), when deleted.
    pub deleted_at: Option<i64>,
    /// Replies in the thread (roots only).
    pub reply_count: i64,
    /// Latest post in the thread (roots only).
    pub last_activity_at: i64,
    /// When a moderator removed it (ms).
    pub removed_at: Option<i64>,
    /// The moderator's reason for removing it.
    pub removed_reason: String,
    /// When its thread was locked (ms; roots only).
    pub locked_at: Option<i64>,
    /// When it was pinned to the group (ms).
    pub pinned_at: Option<i64>,
}

impl Post {
    /// Whether readers may see it: neither deleted by its author nor removed by a moderator.
    pub fn is_visible(&self) -> bool {
        self.deleted_at.is_none() && self.removed_at.is_none()
    }
}

/// A thread for group listings.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ThreadSummary {
    /// Root post row id.
    pub id: i64,
    /// Root post id.
    pub ap_id: String,
    /// Title.
    pub title: Option<String>,
    /// Root content (HTML as received).
    pub content: String,
    /// Author's username.
    pub author_username: Option<String>,
    /// Author's host.
    pub author_host: String,
    /// Author's actor id.
    pub author_ap_id: String,
    /// Replies.
    pub reply_count: i64,
    /// Publication time (ms).
    pub published: i64,
    /// Latest activity (ms).
    pub last_activity_at: i64,
    /// When it was pinned to the group (ms).
    pub pinned_at: Option<i64>,
    /// When it was locked (ms).
    pub locked_at: Option<i64>,
}

pub(crate) const POST_COLUMNS: &str = "p.id, p.ap_id, p.group_id, p.author_id, a.ap_id AS author_ap_id, \
    a.preferred_username AS author_username, a.name AS author_name, a.host AS author_host, p.kind, \
    p.in_reply_to, p.thread_id, p.title, p.content, p.url, p.raw, p.published, p.updated, p.deleted_at, \
    p.reply_count, p.last_activity_at, p.removed_at, p.removed_reason, p.locked_at, p.pinned_at";

impl Store {
    /// The post with this object id, deleted or not.
    pub async fn post_by_ap_id(&self, ap_id: &str) -> Result<Option<Post>> {
        let sql = format!(
            "SELECT {POST_COLUMNS} FROM posts p JOIN actors a ON a.id = p.author_id WHERE p.ap_id = $1"
        );
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(ap_id).fetch_optional(pool).await?))
    }

    /// The post with row id `id`.
    pub async fn post_by_id(&self, id: i64) -> Result<Option<Post>> {
        let sql = format!(
            "SELECT {POST_COLUMNS} FROM posts p JOIN actors a ON a.id = p.author_id WHERE p.id = $1"
        );
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?))
    }

    /// Every post of a thread, root first, then by publication time.
    pub async fn thread_posts(&self, thread_id: i64) -> Result<Vec<Post>> {
        let sql = format!(
            "SELECT {POST_COLUMNS} FROM posts p JOIN actors a ON a.id = p.author_id \
             WHERE p.thread_id = $1 ORDER BY (p.id = $1) DESC, p.published, p.id"
        );
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(thread_id).fetch_all(pool).await?))
    }

    /// A group's threads that are neither deleted nor removed: pinned ones first (newest pin
    /// first), then the most recently active.
    pub async fn recent_threads(&self, group_id: i64, limit: i64) -> Result<Vec<ThreadSummary>> {
        let sql = "SELECT p.id, p.ap_id, p.title, p.content, a.preferred_username AS author_username, \
                   a.host AS author_host, a.ap_id AS author_ap_id, p.reply_count, p.published, p.last_activity_at, \
                   p.pinned_at, p.locked_at FROM posts p JOIN actors a ON a.id = p.author_id \
                   WHERE p.group_id = $1 AND p.in_reply_to IS NULL AND p.deleted_at IS NULL AND p.removed_at IS NULL \
                   ORDER BY CASE WHEN p.pinned_at IS NULL THEN 0 ELSE 1 END DESC, p.pinned_at DESC, \
                   p.last_activity_at DESC, p.id DESC LIMIT $2";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).bind(group_id).bind(limit).fetch_all(pool).await?))
    }

    /// The post and kind of the reaction made by activity `activity_ap_id`, if stored.
    pub async fn reaction_by_activity(
        &self,
        activity_ap_id: &str,
    ) -> Result<Option<(i64, String)>> {
        let sql = "SELECT post_id, kind FROM reactions WHERE activity_ap_id = $1";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).bind(activity_ap_id).fetch_optional(pool).await?))
    }

    /// Likes and dislikes of a post, as (likes, dislikes).
    pub async fn reaction_counts(&self, post_id: i64) -> Result<(i64, i64)> {
        let sql = "SELECT \
                   COALESCE(SUM(CASE WHEN kind = 'Like' THEN 1 ELSE 0 END), 0), \
                   COALESCE(SUM(CASE WHEN kind = 'Dislike' THEN 1 ELSE 0 END), 0) \
                   FROM reactions WHERE post_id = $1";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).bind(post_id).fetch_one(pool).await?))
    }
}
