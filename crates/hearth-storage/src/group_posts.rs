//! Posts by a group itself: announcements and polls, published now or at a scheduled time,
//! optionally pinned; and the votes on its polls.

use std::fmt;
use std::str::FromStr;

use crate::error::Result;
use crate::store::{on_pool, Store};

/// What a group post is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupPostKind {
    /// An announcement (a `Note`).
    Note,
    /// A poll (a `Question`).
    Question,
}

impl GroupPostKind {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupPostKind::Note => "note",
            GroupPostKind::Question => "question",
        }
    }
}

impl fmt::Display for GroupPostKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for GroupPostKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "note" => Ok(GroupPostKind::Note),
            "question" => Ok(GroupPostKind::Question),
            other => Err(format!(
                "unknown group post kind {other:?} (expected note or question)"
            )),
        }
    }
}

/// A group post to store.
#[derive(Debug, Clone)]
pub struct NewGroupPost {
    /// The group.
    pub group_id: i64,
    /// Announcement or poll.
    pub kind: GroupPostKind,
    /// Markdown source (the question, for polls).
    pub source: String,
    /// Rendered, sanitised HTML.
    pub content: String,
    /// A poll's options.
    pub options: Vec<String>,
    /// Whether a poll allows several choices.
    pub multiple: bool,
    /// When a poll ends (ms).
    pub ends_at: Option<i64>,
    /// When to publish (ms).
    pub publish_at: i64,
    /// Whether to pin it to the group's featured collection.
    pub pinned: bool,
    /// Who wrote it (`cli` or `staff:USERNAME`).
    pub created_by: String,
}

/// A stored group post.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GroupPost {
    /// Row id (the last segment of its object id).
    pub id: i64,
    /// The group.
    pub group_id: i64,
    kind: String,
    /// Markdown source.
    pub source: String,
    /// Rendered HTML.
    pub content: String,
    options: String,
    /// Whether a poll allows several choices.
    pub multiple: bool,
    /// When a poll ends (ms).
    pub ends_at: Option<i64>,
    /// When the poll's final results were sent (ms).
    pub closed_at: Option<i64>,
    /// When it is to be published (ms).
    pub publish_at: i64,
    /// When it was published (ms); `None` while scheduled.
    pub published_at: Option<i64>,
    /// When it was pinned (ms).
    pub pinned_at: Option<i64>,
    /// Who wrote it.
    pub created_by: String,
    /// Creation time (ms).
    pub created_at: i64,
}

impl GroupPost {
    /// Announcement or poll.
    pub fn kind(&self) -> GroupPostKind {
        self.kind.parse().unwrap_or(GroupPostKind::Note)
    }

    /// A poll's options, in order.
    pub fn options(&self) -> Vec<String> {
        serde_json::from_str(&self.options).unwrap_or_default()
    }

    /// Whether a poll no longer takes votes at `now` (ms).
    pub fn poll_ended(&self, now: i64) -> bool {
        self.closed_at.is_some() || self.ends_at.is_some_and(|end| end <= now)
    }
}

/// A poll's results.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollTally {
    /// Votes per option, in option order.
    pub counts: Vec<i64>,
    /// Distinct voters.
    pub voters: i64,
}

/// A vote to record.
#[derive(Debug, Clone)]
pub struct NewVote {
    /// The poll.
    pub poll_id: i64,
    /// The voter.
    pub actor_id: i64,
    /// The option's index.
    pub choice: i64,
    /// Whether the poll allows several choices.
    pub multiple: bool,
    /// The voting activity's id.
    pub activity_ap_id: String,
}

/// What recording a vote did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteOutcome {
    /// Counted.
    Counted,
    /// This very activity was counted before (a redelivery).
    AlreadyCounted,
    /// The voter already voted (for this option, or at all in a single-choice poll).
    Refused,
}

const COLUMNS: &str =
    "id, group_id, kind, source, content, options, multiple, ends_at, closed_at, \
    publish_at, published_at, pinned_at, created_by, created_at";

impl Store {
    /// Stores a group post (not yet published).
    pub async fn create_group_post(&self, new: &NewGroupPost) -> Result<GroupPost> {
        let now = crate::now_ms();
        let options = serde_json::to_string(&new.options).unwrap_or_else(|_| "[]".into());
        let sql = format!(
            "INSERT INTO group_posts (group_id, kind, source, content, options, multiple, ends_at, \
             publish_at, pinned_at, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {COLUMNS}"
        );
        on_pool!(self, pool => Ok(sqlx::query_as(&sql)
            .bind(new.group_id)
            .bind(new.kind.as_str())
            .bind(&new.source)
            .bind(&new.content)
            .bind(options)
            .bind(new.multiple)
            .bind(new.ends_at)
            .bind(new.publish_at)
            .bind(new.pinned.then_some(now))
            .bind(&new.created_by)
            .bind(now)
            .fetch_one(pool)
            .await?))
    }

    /// Group post `id` of group `group_id`.
    pub async fn group_post(&self, group_id: i64, id: i64) -> Result<Option<GroupPost>> {
        let sql = format!("SELECT {COLUMNS} FROM group_posts WHERE group_id = $1 AND id = $2");
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(group_id).bind(id).fetch_optional(pool).await?))
    }

    /// A group's posts of `kind` (all kinds when `None`), newest first; scheduled ones only
    /// when `include_scheduled`.
    pub async fn group_posts(
        &self,
        group_id: i64,
        kind: Option<GroupPostKind>,
        include_scheduled: bool,
    ) -> Result<Vec<GroupPost>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM group_posts WHERE group_id = $1 \
             AND ($2 IS NULL OR kind = $2) AND ($3 OR published_at IS NOT NULL) \
             ORDER BY pinned_at IS NULL, publish_at DESC, id DESC"
        );
        on_pool!(self, pool => Ok(sqlx::query_as(&sql)
            .bind(group_id)
            .bind(kind.map(GroupPostKind::as_str))
            .bind(include_scheduled)
            .fetch_all(pool)
            .await?))
    }

    /// A group's published, pinned posts, most recently pinned first.
    pub async fn pinned_group_posts(&self, group_id: i64) -> Result<Vec<GroupPost>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM group_posts WHERE group_id = $1 AND pinned_at IS NOT NULL \
             AND published_at IS NOT NULL ORDER BY pinned_at DESC, id DESC"
        );
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(group_id).fetch_all(pool).await?))
    }

    /// Unpublished posts whose time has come (at most `limit`).
    pub async fn due_group_posts(&self, now: i64, limit: i64) -> Result<Vec<GroupPost>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM group_posts WHERE published_at IS NULL AND publish_at <= $1 \
             ORDER BY publish_at LIMIT $2"
        );
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(now).bind(limit).fetch_all(pool).await?))
    }

    /// Published polls that have ended but whose final results were not yet sent.
    pub async fn ended_polls(&self, now: i64, limit: i64) -> Result<Vec<GroupPost>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM group_posts WHERE kind = 'question' AND closed_at IS NULL \
             AND ends_at <= $1 AND published_at IS NOT NULL ORDER BY ends_at LIMIT $2"
        );
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(now).bind(limit).fetch_all(pool).await?))
    }

    /// The earliest time a scheduled post is due or an open poll ends, if any.
    pub async fn next_group_post_due(&self) -> Result<Option<i64>> {
        let publish = "SELECT MIN(publish_at) FROM group_posts WHERE published_at IS NULL";
        let ends =
            "SELECT MIN(ends_at) FROM group_posts WHERE kind = 'question' AND closed_at IS NULL";
        on_pool!(self, pool => {
            let publish: Option<i64> = sqlx::query_scalar(publish).fetch_one(pool).await?;
            let ends: Option<i64> = sqlx::query_scalar(ends).fetch_one(pool).await?;
            Ok(publish.into_iter().chain(ends).min())
        })
    }

    /// Marks a post published at `at`.
    pub async fn mark_group_post_published(&self, id: i64, at: i64) -> Result<()> {
        let sql = "UPDATE group_posts SET published_at = $2 WHERE id = $1 AND published_at IS NULL";
        on_pool!(self, pool => {
            sqlx::query(sql).bind(id).bind(at).execute(pool).await?;
            Ok(())
        })
    }

    /// Marks a poll closed (its final results sent) at `at`.
    pub async fn mark_poll_closed(&self, id: i64, at: i64) -> Result<()> {
        let sql = "UPDATE group_posts SET closed_at = $2 WHERE id = $1 AND closed_at IS NULL";
        on_pool!(self, pool => {
            sqlx::query(sql).bind(id).bind(at).execute(pool).await?;
            Ok(())
        })
    }

    /// Records a vote; see [`VoteOutcome`].
    pub async fn record_vote(&self, vote: &NewVote) -> Result<VoteOutcome> {
        let slot = if vote.multiple { vote.choice } else { -1 };
        let insert = "INSERT INTO group_poll_votes (poll_id, actor_id, choice, slot, activity_ap_id, created_at) \
                      VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (poll_id, actor_id, slot) DO NOTHING";
        let existing = "SELECT activity_ap_id FROM group_poll_votes \
                        WHERE poll_id = $1 AND actor_id = $2 AND slot = $3";
        on_pool!(self, pool => {
            let inserted = sqlx::query(insert)
                .bind(vote.poll_id)
                .bind(vote.actor_id)
                .bind(vote.choice)
                .bind(slot)
                .bind(&vote.activity_ap_id)
                .bind(crate::now_ms())
                .execute(pool)
                .await?
                .rows_affected();
            if inserted == 1 {
                return Ok(VoteOutcome::Counted);
            }
            let previous: Option<String> = sqlx::query_scalar(existing)
                .bind(vote.poll_id)
                .bind(vote.actor_id)
                .bind(slot)
                .fetch_optional(pool)
                .await?;
            Ok(if previous.as_deref() == Some(vote.activity_ap_id.as_str()) {
                VoteOutcome::AlreadyCounted
            } else {
                VoteOutcome::Refused
            })
        })
    }

    /// A poll's results, for a poll with `options` options.
    pub async fn poll_tally(&self, poll_id: i64, options: usize) -> Result<PollTally> {
        let per_choice =
            "SELECT choice, COUNT(*) FROM group_poll_votes WHERE poll_id = $1 GROUP BY choice";
        let voters = "SELECT COUNT(DISTINCT actor_id) FROM group_poll_votes WHERE poll_id = $1";
        on_pool!(self, pool => {
            let rows: Vec<(i64, i64)> = sqlx::query_as(per_choice).bind(poll_id).fetch_all(pool).await?;
            let voters: i64 = sqlx::query_scalar(voters).bind(poll_id).fetch_one(pool).await?;
            let mut counts = vec![0; options];
            for (choice, count) in rows {
                if let Some(slot) = usize::try_from(choice).ok().and_then(|c| counts.get_mut(c)) {
                    *slot = count;
                }
            }
            Ok(PollTally { counts, voters })
        })
    }
}
