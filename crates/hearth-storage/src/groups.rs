//! Local groups: the `Group` actors Hearth hosts.

use std::fmt;
use std::str::FromStr;

use crate::error::Result;
use crate::store::{on_pool, Store};

/// Who may post into a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostingPolicy {
    /// Anyone whose instance federates with us.
    Anyone,
    /// Accepted followers (members) only. The default.
    Followers,
    /// The group's moderators only (`postingRestrictedToMods`).
    Moderators,
}

impl PostingPolicy {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PostingPolicy::Anyone => "anyone",
            PostingPolicy::Followers => "followers",
            PostingPolicy::Moderators => "moderators",
        }
    }
}

impl fmt::Display for PostingPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PostingPolicy {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "anyone" => Ok(PostingPolicy::Anyone),
            "followers" => Ok(PostingPolicy::Followers),
            "moderators" => Ok(PostingPolicy::Moderators),
            other => Err(format!(
                "unknown posting policy {other:?} (expected anyone, followers or moderators)"
            )),
        }
    }
}

/// What it takes to create a group.
#[derive(Debug, Clone)]
pub struct NewGroup {
    /// The WebFinger name (`climbing` in `@climbing@host`).
    pub name: String,
    /// Display name.
    pub title: String,
    /// Short description (HTML allowed; sanitised when rendered).
    pub summary: String,
    /// Who may post.
    pub posting_policy: PostingPolicy,
    /// Whether follows wait for a moderator's approval.
    pub manually_approves_followers: bool,
    /// Whether the group is listed in directories.
    pub discoverable: bool,
    /// SubjectPublicKeyInfo PEM.
    pub public_key_pem: String,
    /// PKCS#8 PEM.
    pub private_key_pem: String,
}

/// A stored group.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Group {
    /// Row id.
    pub id: i64,
    /// The WebFinger name.
    pub name: String,
    /// Display name.
    pub title: String,
    /// Description as stored.
    pub summary: String,
    /// Avatar URL, when set.
    pub icon_url: Option<String>,
    posting_policy: String,
    /// Whether follows wait for approval.
    pub manually_approves_followers: bool,
    /// Whether the group is listed in directories.
    pub discoverable: bool,
    /// SubjectPublicKeyInfo PEM.
    pub public_key_pem: String,
    /// PKCS#8 PEM.
    pub private_key_pem: String,
    /// Creation time (ms).
    pub created_at: i64,
    /// Last edit (ms).
    pub updated_at: i64,
}

impl Group {
    /// Who may post into the group.
    pub fn posting_policy(&self) -> PostingPolicy {
        self.posting_policy
            .parse()
            .unwrap_or(PostingPolicy::Followers)
    }
}

/// A group with its headline numbers, for listings.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GroupSummary {
    /// Row id.
    pub id: i64,
    /// The WebFinger name.
    pub name: String,
    /// Display name.
    pub title: String,
    /// Description as stored.
    pub summary: String,
    /// Whether the group is listed in directories.
    pub discoverable: bool,
    /// Accepted followers.
    pub followers: i64,
    /// Top-level threads (not deleted).
    pub threads: i64,
    /// All posts, replies included (not deleted).
    pub posts: i64,
    /// Creation time (ms).
    pub created_at: i64,
}

const GROUP_COLUMNS: &str = "id, name, title, summary, icon_url, posting_policy, \
    manually_approves_followers, discoverable, public_key_pem, private_key_pem, created_at, updated_at";

impl Store {
    /// Creates a group. A taken name is a [`crate::StoreError::Conflict`].
    pub async fn create_group(&self, new: &NewGroup) -> Result<Group> {
        let now = crate::now_ms();
        let sql = format!(
            "INSERT INTO groups (name, title, summary, posting_policy, manually_approves_followers, \
             discoverable, public_key_pem, private_key_pem, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING {GROUP_COLUMNS}"
        );
        on_pool!(self, pool => Ok(sqlx::query_as(&sql)
            .bind(&new.name)
            .bind(&new.title)
            .bind(&new.summary)
            .bind(new.posting_policy.as_str())
            .bind(new.manually_approves_followers)
            .bind(new.discoverable)
            .bind(&new.public_key_pem)
            .bind(&new.private_key_pem)
            .bind(now)
            .fetch_one(pool)
            .await?))
    }

    /// The group called `name` (names are compared case-insensitively).
    pub async fn group_by_name(&self, name: &str) -> Result<Option<Group>> {
        let sql = format!("SELECT {GROUP_COLUMNS} FROM groups WHERE lower(name) = lower($1)");
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(name).fetch_optional(pool).await?))
    }

    /// The group with row id `id`.
    pub async fn group_by_id(&self, id: i64) -> Result<Option<Group>> {
        let sql = format!("SELECT {GROUP_COLUMNS} FROM groups WHERE id = $1");
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?))
    }

    /// Every group with its counts, by name.
    pub async fn list_groups(&self) -> Result<Vec<GroupSummary>> {
        let sql = "SELECT g.id, g.name, g.title, g.summary, g.discoverable, g.created_at, \
            (SELECT COUNT(*) FROM follows f WHERE f.group_id = g.id AND f.state = 'accepted') AS followers, \
            (SELECT COUNT(*) FROM posts p WHERE p.group_id = g.id AND p.in_reply_to IS NULL AND p.deleted_at IS NULL) AS threads, \
            (SELECT COUNT(*) FROM posts p WHERE p.group_id = g.id AND p.deleted_at IS NULL) AS posts \
            FROM groups g ORDER BY g.name";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).fetch_all(pool).await?))
    }
}
