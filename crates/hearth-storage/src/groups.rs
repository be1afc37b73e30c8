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

/// How people become members of a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JoinMode {
    /// Any follow is accepted at once.
    #[default]
    Open,
    /// Follows wait for a moderator's approval, optionally with questions to answer.
    Approval,
    /// Only invited actors are accepted; other follows are rejected.
    Invite,
}

impl JoinMode {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            JoinMode::Open => "open",
            JoinMode::Approval => "approval",
            JoinMode::Invite => "invite",
        }
    }

    /// Whether follows wait for a decision (`manuallyApprovesFollowers`).
    pub fn manually_approves(self) -> bool {
        self != JoinMode::Open
    }
}

impl fmt::Display for JoinMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JoinMode {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "open" => Ok(JoinMode::Open),
            "approval" => Ok(JoinMode::Approval),
            "invite" => Ok(JoinMode::Invite),
            other => Err(format!(
                "unknown join mode {other:?} (expected open, approval or invite)"
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
    /// How people join.
    pub join_mode: JoinMode,
    /// Whether the group is listed in directories.
    pub discoverable: bool,
    /// Language of the group (BCP 47 tag).
    pub language: String,
    /// SubjectPublicKeyInfo PEM.
    pub public_key_pem: String,
    /// PKCS#8 PEM.
    pub private_key_pem: String,
}

/// An edit of a group's profile and settings; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct GroupEdit {
    /// Display name.
    pub title: Option<String>,
    /// Description (Markdown).
    pub summary: Option<String>,
    /// Who may post.
    pub posting_policy: Option<PostingPolicy>,
    /// How people join.
    pub join_mode: Option<JoinMode>,
    /// Questions shown to people asking to join.
    pub join_questions: Option<Vec<String>>,
    /// Whether the group is listed.
    pub discoverable: Option<bool>,
    /// Language (BCP 47 tag).
    pub language: Option<String>,
    /// Avatar URL (`Some(None)` removes it).
    pub icon_url: Option<Option<String>>,
    /// Banner URL (`Some(None)` removes it).
    pub banner_url: Option<Option<String>>,
    /// Hold every post for a moderator's review.
    pub premoderation: Option<bool>,
    /// Hold each member's first N posts for review (0: none).
    pub hold_first_posts: Option<i64>,
    /// Send new members a welcome message.
    pub welcome_enabled: Option<bool>,
    /// The welcome message (Markdown; empty: the default one).
    pub welcome_text: Option<String>,
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
    /// Banner image URL, when set.
    pub banner_url: Option<String>,
    posting_policy: String,
    /// Whether follows wait for approval.
    pub manually_approves_followers: bool,
    /// Whether the group is listed in directories.
    pub discoverable: bool,
    /// Language (BCP 47 tag).
    pub language: String,
    join_mode: String,
    join_questions: String,
    /// When the group was archived (ms): it keeps its content but takes no new members or posts.
    pub archived_at: Option<i64>,
    /// Whether every post waits for a moderator's review.
    pub premoderation: bool,
    /// How many of a member's first posts wait for review (0: none).
    pub hold_first_posts: i64,
    /// Whether new members are sent a welcome message.
    pub welcome_enabled: bool,
    /// The welcome message (Markdown); empty for the default one.
    pub welcome_text: String,
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

    /// How people join.
    pub fn join_mode(&self) -> JoinMode {
        self.join_mode.parse().unwrap_or(JoinMode::Approval)
    }

    /// Questions for people asking to join.
    pub fn join_questions(&self) -> Vec<String> {
        serde_json::from_str(&self.join_questions).unwrap_or_default()
    }

    /// Whether the group is archived.
    pub fn is_archived(&self) -> bool {
        self.archived_at.is_some()
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
    /// When it was archived (ms).
    pub archived_at: Option<i64>,
    /// Avatar URL, when set.
    pub icon_url: Option<String>,
    /// Accepted followers.
    pub followers: i64,
    /// Top-level threads (not deleted).
    pub threads: i64,
    /// All posts, replies included (not deleted).
    pub posts: i64,
    /// Creation time (ms).
    pub created_at: i64,
}

const GROUP_COLUMNS: &str = "id, name, title, summary, icon_url, banner_url, posting_policy, \
    manually_approves_followers, discoverable, language, join_mode, join_questions, archived_at, \
    premoderation, hold_first_posts, public_key_pem, private_key_pem, created_at, updated_at, \
    welcome_enabled, welcome_text";

impl Store {
    /// Creates a group. A taken name is a [`crate::StoreError::Conflict`].
    pub async fn create_group(&self, new: &NewGroup) -> Result<Group> {
        let now = crate::now_ms();
        let sql = format!(
            "INSERT INTO groups (name, title, summary, posting_policy, manually_approves_followers, \
             discoverable, public_key_pem, private_key_pem, created_at, updated_at, join_mode, language) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11) RETURNING {GROUP_COLUMNS}"
        );
        on_pool!(self, pool => Ok(sqlx::query_as(&sql)
            .bind(&new.name)
            .bind(&new.title)
            .bind(&new.summary)
            .bind(new.posting_policy.as_str())
            .bind(new.join_mode.manually_approves())
            .bind(new.discoverable)
            .bind(&new.public_key_pem)
            .bind(&new.private_key_pem)
            .bind(now)
            .bind(new.join_mode.as_str())
            .bind(&new.language)
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
        let sql = "SELECT g.id, g.name, g.title, g.summary, g.discoverable, g.archived_at, g.icon_url, g.created_at, \
            (SELECT COUNT(*) FROM follows f WHERE f.group_id = g.id AND f.state = 'accepted') AS followers, \
            (SELECT COUNT(*) FROM posts p WHERE p.group_id = g.id AND p.in_reply_to IS NULL AND p.deleted_at IS NULL) AS threads, \
            (SELECT COUNT(*) FROM posts p WHERE p.group_id = g.id AND p.deleted_at IS NULL) AS posts \
            FROM groups g ORDER BY g.name";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).fetch_all(pool).await?))
    }

    /// Applies an edit; returns the group as it now is.
    pub async fn update_group(&self, group_id: i64, edit: &GroupEdit) -> Result<Group> {
        let questions = edit
            .join_questions
            .as_ref()
            .map(|q| serde_json::to_string(q).unwrap_or_else(|_| "[]".into()));
        let sql = format!(
            "UPDATE groups SET \
             title = COALESCE($2, title), summary = COALESCE($3, summary), \
             posting_policy = COALESCE($4, posting_policy), join_mode = COALESCE($5, join_mode), \
             manually_approves_followers = COALESCE($6, manually_approves_followers), \
             join_questions = COALESCE($7, join_questions), discoverable = COALESCE($8, discoverable), \
             language = COALESCE($9, language), \
             icon_url = CASE WHEN $10 THEN $11 ELSE icon_url END, \
             banner_url = CASE WHEN $12 THEN $13 ELSE banner_url END, \
             premoderation = COALESCE($15, premoderation), hold_first_posts = COALESCE($16, hold_first_posts), \
             welcome_enabled = COALESCE($17, welcome_enabled), welcome_text = COALESCE($18, welcome_text), \
             updated_at = $14 WHERE id = $1 RETURNING {GROUP_COLUMNS}"
        );
        on_pool!(self, pool => Ok(sqlx::query_as(&sql)
            .bind(group_id)
            .bind(edit.title.as_deref())
            .bind(edit.summary.as_deref())
            .bind(edit.posting_policy.map(PostingPolicy::as_str))
            .bind(edit.join_mode.map(JoinMode::as_str))
            .bind(edit.join_mode.map(JoinMode::manually_approves))
            .bind(questions)
            .bind(edit.discoverable)
            .bind(edit.language.as_deref())
            .bind(edit.icon_url.is_some())
            .bind(edit.icon_url.clone().flatten())
            .bind(edit.banner_url.is_some())
            .bind(edit.banner_url.clone().flatten())
            .bind(crate::now_ms())
            .bind(edit.premoderation)
            .bind(edit.hold_first_posts)
            .bind(edit.welcome_enabled)
            .bind(edit.welcome_text.as_deref())
            .fetch_one(pool)
            .await?))
    }

    /// Archives a group (or brings it back with `archived = false`).
    pub async fn set_group_archived(&self, group_id: i64, archived: bool) -> Result<Group> {
        let now = crate::now_ms();
        let sql = format!(
            "UPDATE groups SET archived_at = CASE WHEN $2 THEN COALESCE(archived_at, $3) ELSE NULL END, \
             updated_at = $3 WHERE id = $1 RETURNING {GROUP_COLUMNS}"
        );
        on_pool!(self, pool => Ok(sqlx::query_as(&sql)
            .bind(group_id)
            .bind(archived)
            .bind(now)
            .fetch_one(pool)
            .await?))
    }
}
