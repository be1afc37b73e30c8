//! Hearth's moderation decisions: given who is acting and where, may it happen?
//!
//! The functions here decide; they do not fetch, store or send. Federation asks before it
//! accepts anything into a group, so every entry point (inbox, pages, command line) applies
//! the same rules.

pub mod automod;
pub mod blocklists;
pub mod instances;
mod posting;
pub mod subscriptions;
pub mod transparency;

pub use instances::{DomainRule, FederationMode, InstancePolicy, Severity, Verdict};
pub use posting::{may_post, Decision, PostKind, Poster};
