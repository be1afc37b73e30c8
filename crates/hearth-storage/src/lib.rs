//! Hearth's storage: one [`Store`] API over SQLite (the default) and PostgreSQL.
//!
//! The backend is chosen once, from the database URL, in [`Store::connect`]. Every query is
//! written once with `$N` placeholders (sqlx maps them on SQLite too) and run on whichever
//! pool is active through the `on_pool!` macro; the few statements that differ between the
//! backends have one arm each. This crate knows nothing of HTTP or ActivityPub.

mod accounts;
mod activities;
mod actors;
pub mod admin;
mod automod;
pub mod copy;
mod domains;
mod error;
mod events;
mod follows;
mod group_posts;
mod groups;
mod held;
mod insight_freeze;
mod insight_rollup;
mod insights;
mod instances;
mod keys;
mod media;
mod moderation;
mod moderators;
mod monitoring;
mod posting;
mod posts;
mod queue;
mod reporters;
mod reports;
mod rules;
mod scheduled;
mod staff;
mod stats;
mod store;
mod subscriptions;
mod unit_of_work;

pub use accounts::{Account, ApiToken, Session};
pub use activities::OutboxItem;
pub use actors::{Actor, NewActor};
pub use automod::{AutomodRule, NewAutomodRule};
pub use copy::{copy_database, CopyError, CopyProgress, CopyReport, TableCount};
pub use domains::{DomainChange, DomainPolicy, ModlogEntry};
pub use error::StoreError;
pub use events::{
    EventChange, EventFields, GroupEvent, Participant, RemoteEvent, RsvpCounts, RsvpStatus,
    EVENT_CANCELLED,
};
pub use follows::{FollowState, Follower, Invite, Member, PendingFollow};
pub use group_posts::{GroupPost, GroupPostKind, NewGroupPost, NewVote, PollTally, VoteOutcome};
pub use groups::{Group, GroupEdit, GroupSummary, JoinMode, NewGroup, PostingPolicy};
pub use held::{HeldPost, NewHeldPost};
pub use insight_rollup::INSIGHTS_KEPT_DAYS;
pub use insights::{
    ActiveWindows, Cohort, DayInsight, DeliveryInsight, InsightRange, InsightScope, InsightTotals,
    InstanceMembers, ModerationInsight, RangeError, Tally, ThreadInsight, UnansweredThread,
};
pub use instances::{Instance, InstanceFailure, InstanceHealth};
pub use keys::LocalKeys;
pub use media::Media;
pub use moderation::{Ban, ModlogFilter, NewBan, NewModlogEntry, Note};
pub use moderators::RemoteModerator;
pub use monitoring::{PoolStats, QueueDepth};
pub use posting::PostingContext;
pub use posts::{Post, ThreadSummary};
pub use queue::{ClaimedDelivery, OutboundActivity, QueueStats};
pub use reporters::IgnoredReporter;
pub use reports::{EscalatedCase, NewReport, Report, ReportCase};
pub use rules::{Rule, RuleInput};
pub use staff::{GroupRole, StaffMember};
pub use stats::InstanceStats;
pub use store::{redact, Backend, Store, StoreOptions};
pub use subscriptions::{
    subscription_job, subscription_of_source, subscription_source, BlocklistSubscription,
    FetchedList, NewSubscription, PlannedChange, PolicySources, SubscriptionEntry,
    SubscriptionOutcome, SubscriptionUpdate,
};
pub use unit_of_work::{
    Change, CommitOutcome, FollowerFlavor, NewOutbound, NewPost, Recipients, UnitOfWork,
};

/// Milliseconds since the Unix epoch: the timestamp unit of every stored time.
pub fn now_ms() -> i64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}
