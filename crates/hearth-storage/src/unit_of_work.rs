//! Everything one inbound activity (or one staff action) changes, applied in one transaction:
//! the dedupe mark, the data changes, and the outbound activities with their delivery jobs.
//! Either all of it is stored or none of it, so a crash never leaves an accepted post without
//! its announces, nor an announce without its post.

use crate::error::Result;
use crate::follows::FollowState;
use crate::store::{on_pool, BeginWrite, Store};

/// A new post to store.
#[derive(Debug, Clone)]
pub struct NewPost {
    /// The object's id.
    pub ap_id: String,
    /// Owning group.
    pub group_id: i64,
    /// Author row id.
    pub author_id: i64,
    /// Object type.
    pub kind: String,
    /// The parent's id, for replies.
    pub in_reply_to: Option<String>,
    /// Row id of the thread root, for replies; `None` starts a thread.
    pub thread_id: Option<i64>,
    /// Title.
    pub title: Option<String>,
    /// HTML as received.
    pub content: String,
    /// Human-facing URL.
    pub url: Option<String>,
    /// The object JSON as received.
    pub raw: String,
    /// Publication time (ms).
    pub published: i64,
}

/// One data change.
#[derive(Debug, Clone)]
pub enum Change {
    /// Record (or re-record) a follow.
    Follow {
        /// The group followed.
        group_id: i64,
        /// The follower.
        actor_id: i64,
        /// The `Follow` activity's id, for `Accept`/`Reject` and `Undo`.
        activity_id: String,
        /// Pending or accepted.
        state: FollowState,
    },
    /// Record a requester's answers to the group's questions (after its `Follow`).
    FollowAnswers {
        /// The group.
        group_id: i64,
        /// The requester.
        actor_id: i64,
        /// What they answered.
        answers: String,
    },
    /// Hold a post for review (ignored if the group already holds it).
    HoldPost(crate::held::NewHeldPost),
    /// Record a moderator's decision on a held post; only an open one is decided.
    DecideHeldPost {
        /// The held post.
        id: i64,
        /// `approved` or `rejected`.
        decision: String,
        /// Who decided.
        decided_by: String,
        /// Why.
        reason: String,
    },
    /// Remove a follow.
    Unfollow {
        /// The group.
        group_id: i64,
        /// The former follower.
        actor_id: i64,
    },
    /// Remove every follow by an actor (its account was deleted).
    RemoveFollows {
        /// The actor.
        actor_id: i64,
    },
    /// Store a post or reply.
    CreatePost(NewPost),
    /// Replace a post's content after an `Update`.
    UpdatePost {
        /// Row id.
        post_id: i64,
        /// New title.
        title: Option<String>,
        /// New HTML.
        content: String,
        /// New object JSON.
        raw: String,
        /// Edit time (ms).
        updated: i64,
    },
    /// Mark a post deleted (its row stays as a tombstone).
    DeletePost {
        /// Row id.
        post_id: i64,
    },
    /// Record a `Like` or `Dislike`.
    React {
        /// The reaction activity's id.
        activity_ap_id: String,
        /// The post reacted to.
        post_id: i64,
        /// Who reacted.
        actor_id: i64,
        /// `Like` or `Dislike`.
        kind: String,
    },
    /// Withdraw a reaction.
    Unreact {
        /// The post.
        post_id: i64,
        /// Who withdraws.
        actor_id: i64,
        /// `Like` or `Dislike`.
        kind: String,
    },
    /// Appoint a remote actor as a moderator of a group (nothing if they already are).
    AddModerator {
        /// The group.
        group_id: i64,
        /// The actor.
        actor_id: i64,
        /// Who appointed them.
        added_by: String,
    },
    /// Remove a remote moderator.
    RemoveModerator {
        /// The group.
        group_id: i64,
        /// The actor.
        actor_id: i64,
    },
    /// Store a report, joining the open case about the same subject in the group (or opening
    /// one).
    Report(crate::reports::NewReport),
    /// A report made here (by staff, or by an automod rule): opens the case about a post or
    /// person (or joins the open one), with the report as a case note by `author`. After a
    /// post's `CreatePost` when it reports that post.
    LocalReport {
        /// The group.
        group_id: i64,
        /// The post's or person's id.
        subject_ap_id: String,
        /// Who reports: `automod`, `staff:NAME`, `cli:USER`.
        author: String,
        /// Why.
        note: String,
    },
    /// Withdraw a report (its sender's `Undo`).
    WithdrawReport {
        /// The `Flag`'s id.
        ap_id: String,
        /// Its sender.
        reporter_id: i64,
    },
    /// Close an open case as `resolved`, `dismissed` or `escalated`.
    CloseCase {
        /// The group.
        group_id: i64,
        /// The case.
        case_id: i64,
        /// The new state.
        state: String,
        /// Who decided.
        by: String,
        /// Why.
        reason: String,
        /// The group rule cited.
        rule_id: Option<i64>,
    },
    /// A moderator removes a post (it stays stored, hidden from readers).
    RemovePost {
        /// Row id.
        post_id: i64,
        /// When (ms); it names the federated removal, so that a restore can undo it.
        at: i64,
        /// Who removed it.
        by: String,
        /// Why.
        reason: String,
    },
    /// A moderator restores a removed post.
    RestorePost {
        /// Row id.
        post_id: i64,
    },
    /// Remove every post an actor made in a group (a ban with `removeData`).
    RemoveAuthorPosts {
        /// The group.
        group_id: i64,
        /// The author.
        actor_id: i64,
        /// Who removed them.
        by: String,
        /// Why.
        reason: String,
    },
    /// Lock (or unlock) a thread against new replies.
    LockThread {
        /// The thread's root post.
        post_id: i64,
        /// When it was locked (ms; it names the federated `Lock`); `None` unlocks.
        locked_at: Option<i64>,
    },
    /// Pin (or unpin) a post to the group's featured collection.
    PinPost {
        /// Row id.
        post_id: i64,
        /// Pinned or not.
        pinned: bool,
    },
    /// Ban an actor from a group (replacing an earlier ban).
    Ban(crate::moderation::NewBan),
    /// Lift a ban.
    Unban {
        /// The group.
        group_id: i64,
        /// The actor.
        actor_id: i64,
    },
    /// Add a modlog line.
    Log(crate::moderation::NewModlogEntry),
    /// Create, edit or cancel an event, or record an answer to one.
    Event(crate::events::EventChange),
}

/// Which followers of a group receive an outbound activity, by what their software understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowerFlavor {
    /// Every accepted follower.
    All,
    /// Followers whose software understands group `Announce`s of activities (FEP-1b12), or is unknown.
    Threaded,
    /// Followers on microblog software (which shows a boost of the bare object), or unknown.
    Microblog,
}

/// Who receives an outbound activity. One delivery job is queued per distinct inbox.
#[derive(Debug, Clone)]
pub enum Recipients {
    /// One inbox.
    Inbox {
        /// Inbox URL.
        inbox: String,
        /// Its host, for per-instance accounting.
        host: String,
    },
    /// A group's accepted followers, one job per shared inbox.
    Followers {
        /// The group.
        group_id: i64,
        /// Which followers.
        flavor: FollowerFlavor,
    },
}

/// An activity to store and deliver.
#[derive(Debug, Clone)]
pub struct NewOutbound {
    /// The activity's id.
    pub ap_id: String,
    /// The signing group; `None` signs as the instance actor.
    pub group_id: Option<i64>,
    /// Activity type.
    pub kind: String,
    /// Whether it belongs in the group's public outbox.
    pub public: bool,
    /// The JSON body, exactly as it will be sent.
    pub body: String,
    /// Who gets it.
    pub recipients: Vec<Recipients>,
}

/// A set of changes applied atomically by [`Store::commit`].
#[derive(Debug, Clone, Default)]
pub struct UnitOfWork {
    /// Inbound activity id to mark as processed; a second commit with the same id is a no-op.
    pub received: Option<String>,
    /// Data changes, applied in order.
    pub changes: Vec<Change>,
    /// Activities to send.
    pub outbound: Vec<NewOutbound>,
}

/// What a commit did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitOutcome {
    /// The inbound activity had already been processed; nothing was changed.
    pub duplicate: bool,
    /// Delivery jobs queued.
    pub deliveries: u64,
    /// Row id of the post created, if any.
    pub created_post: Option<i64>,
}

const FOLLOWER_TARGETS: &str =
    "INSERT INTO deliveries (activity_id, inbox, host, next_attempt_at, created_at) \
    SELECT DISTINCT $1, COALESCE(a.shared_inbox, a.inbox), a.host, $2, $2 FROM follows f \
    JOIN actors a ON a.id = f.actor_id LEFT JOIN instances i ON i.host = a.host \
    WHERE f.group_id = $3 AND f.state = 'accepted'";

impl Store {
    /// Applies `work` in one transaction. See the module docs.
    pub async fn commit(&self, work: &UnitOfWork) -> Result<CommitOutcome> {
        let now = crate::now_ms();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut outcome = CommitOutcome::default();
            if let Some(id) = &work.received {
                let inserted = sqlx::query(
                    "INSERT INTO received_activities (ap_id, received_at) VALUES ($1, $2) ON CONFLICT (ap_id) DO NOTHING",
                )
                .bind(id)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if inserted == 0 {
                    tx.rollback().await?;
                    outcome.duplicate = true;
                    return Ok(outcome);
                }
            }
            for change in &work.changes {
                match change {
                    Change::Follow { group_id, actor_id, activity_id, state } => {
                        if *state == FollowState::Accepted {
                            sqlx::query(crate::insight_rollup::RECORD_JOIN)
                                .bind(group_id).bind(actor_id).bind(now).execute(&mut *tx).await?;
                        }
                        sqlx::query(
                            "INSERT INTO follows (group_id, actor_id, follow_activity_id, state, created_at) \
                             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (group_id, actor_id) DO UPDATE \
                             SET follow_activity_id = excluded.follow_activity_id, state = excluded.state",
                        )
                        .bind(group_id).bind(actor_id).bind(activity_id).bind(state.as_str()).bind(now)
                        .execute(&mut *tx).await?;
                    }
                    Change::FollowAnswers { group_id, actor_id, answers } => {
                        sqlx::query("UPDATE follows SET answers = $3 WHERE group_id = $1 AND actor_id = $2")
                            .bind(group_id).bind(actor_id).bind(answers).execute(&mut *tx).await?;
                    }
                    Change::HoldPost(held) => {
                        sqlx::query(
                            "INSERT INTO held_posts (group_id, author_id, object_ap_id, activity, object, reason, created_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (group_id, object_ap_id) DO NOTHING",
                        )
                        .bind(held.group_id).bind(held.author_id).bind(&held.object_ap_id)
                        .bind(&held.activity).bind(&held.object).bind(&held.reason).bind(now)
                        .execute(&mut *tx).await?;
                    }
                    Change::DecideHeldPost { id, decision, decided_by, reason } => {
                        sqlx::query(
                            "UPDATE held_posts SET decided_at = $2, decision = $3, decided_by = $4, decision_reason = $5 \
                             WHERE id = $1 AND decided_at IS NULL",
                        )
                        .bind(id).bind(now).bind(decision).bind(decided_by).bind(reason)
                        .execute(&mut *tx).await?;
                    }
                    Change::Unfollow { group_id, actor_id } => {
                        sqlx::query(crate::insight_rollup::RECORD_LEAVE)
                            .bind(group_id).bind(actor_id).bind(now).execute(&mut *tx).await?;
                        sqlx::query("DELETE FROM follows WHERE group_id = $1 AND actor_id = $2")
                            .bind(group_id).bind(actor_id).execute(&mut *tx).await?;
                    }
                    Change::RemoveFollows { actor_id } => {
                        sqlx::query(crate::insight_rollup::RECORD_LEAVES)
                            .bind(actor_id).bind(now).execute(&mut *tx).await?;
                        sqlx::query("DELETE FROM follows WHERE actor_id = $1")
                            .bind(actor_id).execute(&mut *tx).await?;
                    }
                    Change::CreatePost(post) => {
                        let id: Option<i64> = sqlx::query_scalar(
                            "INSERT INTO posts (ap_id, group_id, author_id, kind, in_reply_to, thread_id, title, content, \
                             url, raw, published, last_activity_at, created_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12) \
                             ON CONFLICT (ap_id) DO NOTHING RETURNING id",
                        )
                        .bind(&post.ap_id).bind(post.group_id).bind(post.author_id).bind(&post.kind)
                        .bind(&post.in_reply_to).bind(post.thread_id).bind(&post.title).bind(&post.content)
                        .bind(&post.url).bind(&post.raw).bind(post.published).bind(now)
                        .fetch_optional(&mut *tx).await?;
                        if let Some(id) = id {
                            outcome.created_post = Some(id);
                            match post.thread_id {
                                None => {
                                    sqlx::query("UPDATE posts SET thread_id = id WHERE id = $1")
                                        .bind(id).execute(&mut *tx).await?;
                                }
                                Some(root) => {
                                    sqlx::query(
                                        "UPDATE posts SET reply_count = reply_count + 1, \
                                         last_activity_at = CASE WHEN last_activity_at < $2 THEN $2 ELSE last_activity_at END \
                                         WHERE id = $1",
                                    )
                                    .bind(root).bind(post.published)
                                    .execute(&mut *tx).await?;
                                }
                            }
                        }
                    }
                    Change::UpdatePost { post_id, title, content, raw, updated } => {
                        sqlx::query("UPDATE posts SET title = COALESCE($2, title), content = $3, raw = $4, updated = $5 WHERE id = $1")
                            .bind(post_id).bind(title).bind(content).bind(raw).bind(updated)
                            .execute(&mut *tx).await?;
                    }
                    Change::DeletePost { post_id } => {
                        sqlx::query("UPDATE posts SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL")
                            .bind(post_id).bind(now).execute(&mut *tx).await?;
                        sqlx::query(crate::insight_rollup::SYNC_THREAD_HIDDEN)
                            .bind(post_id).execute(&mut *tx).await?;
                    }
                    Change::React { activity_ap_id, post_id, actor_id, kind } => {
                        sqlx::query(
                            "INSERT INTO reactions (activity_ap_id, post_id, actor_id, kind, created_at) \
                             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                        )
                        .bind(activity_ap_id).bind(post_id).bind(actor_id).bind(kind).bind(now)
                        .execute(&mut *tx).await?;
                    }
                    Change::Unreact { post_id, actor_id, kind } => {
                        sqlx::query("DELETE FROM reactions WHERE post_id = $1 AND actor_id = $2 AND kind = $3")
                            .bind(post_id).bind(actor_id).bind(kind).execute(&mut *tx).await?;
                    }
                    Change::AddModerator { group_id, actor_id, added_by } => {
                        sqlx::query(
                            "INSERT INTO group_moderators (group_id, actor_id, added_by, created_at) \
                             VALUES ($1, $2, $3, $4) ON CONFLICT (group_id, actor_id) DO NOTHING",
                        )
                        .bind(group_id).bind(actor_id).bind(added_by).bind(now)
                        .execute(&mut *tx).await?;
                    }
                    Change::RemoveModerator { group_id, actor_id } => {
                        sqlx::query("DELETE FROM group_moderators WHERE group_id = $1 AND actor_id = $2")
                            .bind(group_id).bind(actor_id).execute(&mut *tx).await?;
                    }
                    Change::Report(report) => {
                        sqlx::query(
                            "INSERT INTO report_cases (group_id, post_id, subject_ap_id, state, created_at) \
                             VALUES ($1, $2, $3, 'open', $4) \
                             ON CONFLICT (group_id, subject_ap_id) WHERE state = 'open' DO NOTHING",
                        )
                        .bind(report.group_id).bind(report.post_id).bind(&report.subject_ap_id).bind(now)
                        .execute(&mut *tx).await?;
                        let case_id: i64 = sqlx::query_scalar(
                            "SELECT id FROM report_cases WHERE group_id = $1 AND subject_ap_id = $2 AND state = 'open'",
                        )
                        .bind(report.group_id).bind(&report.subject_ap_id)
                        .fetch_one(&mut *tx).await?;
                        sqlx::query(
                            "INSERT INTO reports (ap_id, reporter_id, group_id, post_id, reported_ap_id, content, raw, \
                             created_at, case_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                             ON CONFLICT (ap_id) DO NOTHING",
                        )
                        .bind(&report.ap_id).bind(report.reporter_id).bind(report.group_id).bind(report.post_id)
                        .bind(&report.reported_ap_id).bind(&report.content).bind(&report.raw).bind(now).bind(case_id)
                        .execute(&mut *tx).await?;
                    }
                    Change::LocalReport { group_id, subject_ap_id, author, note } => {
                        sqlx::query(
                            "INSERT INTO report_cases (group_id, post_id, subject_ap_id, state, created_at) \
                             VALUES ($1, (SELECT id FROM posts WHERE ap_id = $2), $2, 'open', $3) \
                             ON CONFLICT (group_id, subject_ap_id) WHERE state = 'open' DO NOTHING",
                        )
                        .bind(group_id).bind(subject_ap_id).bind(now)
                        .execute(&mut *tx).await?;
                        sqlx::query(
                            "INSERT INTO case_notes (case_id, author, text, created_at) \
                             SELECT id, $5, $3, $4 FROM report_cases \
                             WHERE group_id = $1 AND subject_ap_id = $2 AND state = 'open'",
                        )
                        .bind(group_id).bind(subject_ap_id).bind(note).bind(now).bind(author)
                        .execute(&mut *tx).await?;
                    }
                    Change::CloseCase { group_id, case_id, state, by, reason, rule_id } => {
                        sqlx::query(
                            "UPDATE report_cases SET state = $3, closed_at = $4, closed_by = $5, decision_reason = $6, \
                             rule_id = $7 WHERE group_id = $1 AND id = $2 AND state IN ('open', 'escalated')",
                        )
                        .bind(group_id).bind(case_id).bind(state).bind(now).bind(by).bind(reason).bind(rule_id)
                        .execute(&mut *tx).await?;
                    }
                    Change::RemovePost { post_id, at, by, reason } => {
                        sqlx::query("UPDATE posts SET removed_at = $2, removed_by = $3, removed_reason = $4 WHERE id = $1")
                            .bind(post_id).bind(at).bind(by).bind(reason).execute(&mut *tx).await?;
                        sqlx::query(crate::insight_rollup::SYNC_THREAD_HIDDEN)
                            .bind(post_id).execute(&mut *tx).await?;
                    }
                    Change::RestorePost { post_id } => {
                        sqlx::query("UPDATE posts SET removed_at = NULL, removed_by = NULL, removed_reason = '' WHERE id = $1")
                            .bind(post_id).execute(&mut *tx).await?;
                        sqlx::query(crate::insight_rollup::SYNC_THREAD_HIDDEN)
                            .bind(post_id).execute(&mut *tx).await?;
                    }
                    Change::RemoveAuthorPosts { group_id, actor_id, by, reason } => {
                        sqlx::query(
                            "UPDATE posts SET removed_at = $3, removed_by = $4, removed_reason = $5 \
                             WHERE group_id = $1 AND author_id = $2 AND removed_at IS NULL",
                        )
                        .bind(group_id).bind(actor_id).bind(now).bind(by).bind(reason).execute(&mut *tx).await?;
                        sqlx::query(crate::insight_rollup::SYNC_AUTHOR_THREADS_HIDDEN)
                            .bind(group_id).bind(actor_id).execute(&mut *tx).await?;
                    }
                    Change::LockThread { post_id, locked_at } => {
                        sqlx::query("UPDATE posts SET locked_at = $2 WHERE id = $1")
                            .bind(post_id).bind(locked_at).execute(&mut *tx).await?;
                    }
                    Change::PinPost { post_id, pinned } => {
                        sqlx::query("UPDATE posts SET pinned_at = $2 WHERE id = $1")
                            .bind(post_id).bind(pinned.then_some(now)).execute(&mut *tx).await?;
                    }
                    Change::Ban(ban) => {
                        sqlx::query(
                            "INSERT INTO group_bans (group_id, actor_id, reason, rule_id, expires_at, banned_by, created_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (group_id, actor_id) DO UPDATE \
                             SET reason = excluded.reason, rule_id = excluded.rule_id, expires_at = excluded.expires_at, \
                             banned_by = excluded.banned_by, created_at = excluded.created_at",
                        )
                        .bind(ban.group_id).bind(ban.actor_id).bind(&ban.reason).bind(ban.rule_id)
                        .bind(ban.expires_at).bind(&ban.banned_by).bind(now)
                        .execute(&mut *tx).await?;
                        sqlx::query(crate::insight_rollup::RECORD_LEAVE)
                            .bind(ban.group_id).bind(ban.actor_id).bind(now).execute(&mut *tx).await?;
                        sqlx::query("DELETE FROM follows WHERE group_id = $1 AND actor_id = $2")
                            .bind(ban.group_id).bind(ban.actor_id).execute(&mut *tx).await?;
                    }
                    Change::Unban { group_id, actor_id } => {
                        sqlx::query("DELETE FROM group_bans WHERE group_id = $1 AND actor_id = $2")
                            .bind(group_id).bind(actor_id).execute(&mut *tx).await?;
                    }
                    Change::Log(entry) => {
                        crate::moderation::log_in_tx!(tx, entry, now);
                    }
                    Change::Event(change) => {
                        crate::events::event_change_in_tx!(tx, change, now);
                    }
                    Change::WithdrawReport { ap_id, reporter_id } => {
                        sqlx::query(
                            "UPDATE reports SET withdrawn_at = $3 WHERE ap_id = $1 AND reporter_id = $2 AND withdrawn_at IS NULL",
                        )
                        .bind(ap_id).bind(reporter_id).bind(now)
                        .execute(&mut *tx).await?;
                    }
                }
            }
            for out in &work.outbound {
                let activity_id: i64 = sqlx::query_scalar(
                    "INSERT INTO outbound_activities (ap_id, group_id, kind, public, body, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(&out.ap_id).bind(out.group_id).bind(&out.kind).bind(out.public).bind(&out.body).bind(now)
                .fetch_one(&mut *tx).await?;
                for recipients in &out.recipients {
                    let queued = match recipients {
                        Recipients::Inbox { inbox, host } => sqlx::query(
                            "INSERT INTO deliveries (activity_id, inbox, host, next_attempt_at, created_at) \
                             VALUES ($1, $2, $3, $4, $4) ON CONFLICT (activity_id, inbox) DO NOTHING",
                        )
                        .bind(activity_id).bind(inbox).bind(host).bind(now)
                        .execute(&mut *tx).await?,
                        Recipients::Followers { group_id, flavor } => {
                            let sql = match flavor {
                                FollowerFlavor::All => format!("{FOLLOWER_TARGETS} ON CONFLICT (activity_id, inbox) DO NOTHING"),
                                FollowerFlavor::Threaded => format!("{FOLLOWER_TARGETS} AND (i.flavor IS NULL OR i.flavor <> 'microblog') ON CONFLICT (activity_id, inbox) DO NOTHING"),
                                FollowerFlavor::Microblog => format!("{FOLLOWER_TARGETS} AND (i.flavor IS NULL OR i.flavor = 'microblog') ON CONFLICT (activity_id, inbox) DO NOTHING"),
                            };
                            sqlx::query(&sql).bind(activity_id).bind(now).bind(group_id)
                                .execute(&mut *tx).await?
                        }
                    };
                    outcome.deliveries += queued.rows_affected();
                }
            }
            tx.commit().await?;
            Ok(outcome)
        })
    }
}
