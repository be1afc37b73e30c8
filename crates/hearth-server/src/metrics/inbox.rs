//! Inbox counters: activities received by type and outcome, and how long handling took.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use serde::Deserialize;

/// Activity types given a series of their own; anything else is counted as `other`, so a
/// peer cannot grow the output by sending made-up types.
const KNOWN_TYPES: [&str; 17] = [
    "Accept",
    "Add",
    "Announce",
    "Block",
    "Create",
    "Delete",
    "Dislike",
    "EmojiReact",
    "Flag",
    "Follow",
    "Like",
    "Move",
    "Reject",
    "Remove",
    "Undo",
    "Update",
    "View",
];

/// How an inbox POST ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxOutcome {
    /// Processed.
    Accepted,
    /// Already processed before.
    Duplicate,
    /// Valid but of no concern to this server.
    Ignored,
    /// Refused, with the HTTP status it was answered with.
    Refused(u16),
}

impl InboxOutcome {
    fn label(self) -> &'static str {
        match self {
            InboxOutcome::Accepted => "accepted",
            InboxOutcome::Duplicate => "duplicate",
            InboxOutcome::Ignored => "ignored",
            InboxOutcome::Refused(_) => "refused",
        }
    }

    fn status(self) -> u16 {
        match self {
            InboxOutcome::Refused(status) => status,
            _ => 202,
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActivityLabels {
    r#type: &'static str,
    outcome: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

fn latency_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// Counters of the inbox endpoints.
#[derive(Clone)]
pub struct InboxMetrics {
    activities: Family<ActivityLabels, Counter>,
    latency: Family<OutcomeLabels, Histogram, fn() -> Histogram>,
}

impl InboxMetrics {
    /// New counters, registered in `registry`.
    pub fn new(registry: &mut Registry) -> Self {
        let metrics = InboxMetrics {
            activities: Family::default(),
            latency: Family::new_with_constructor(latency_histogram),
        };
        registry.register(
            "inbox_activities",
            "Activities POSTed to inboxes, by type, outcome (accepted, duplicate, ignored, \
             refused) and HTTP status",
            metrics.activities.clone(),
        );
        registry.register(
            "inbox_duration_seconds",
            "Time to handle an inbox POST once its body is read, by outcome",
            metrics.latency.clone(),
        );
        metrics
    }

    /// Counts one inbox POST with body `body` that ended in `outcome` after `elapsed`.
    pub fn record(&self, body: &[u8], outcome: InboxOutcome, elapsed: Duration) {
        self.count(activity_type(body), outcome);
        self.latency
            .get_or_create(&OutcomeLabels {
                outcome: outcome.label(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// Counts one inbox POST refused with `status` before its body could be read (e.g. too
    /// large); it was not handled, so it takes no part in the latency.
    pub fn unreadable(&self, status: u16) {
        self.count("unknown", InboxOutcome::Refused(status));
    }

    fn count(&self, r#type: &'static str, outcome: InboxOutcome) {
        self.activities
            .get_or_create(&ActivityLabels {
                r#type,
                outcome: outcome.label(),
                status: outcome.status(),
            })
            .inc();
    }
}

/// The activity's `type` if it is one of [`KNOWN_TYPES`]; `other` for any other type and
/// `unknown` when the body is not an activity.
fn activity_type(body: &[u8]) -> &'static str {
    #[derive(Deserialize)]
    struct TypeOnly {
        r#type: Option<serde_json::Value>,
    }
    let Ok(TypeOnly { r#type: Some(kind) }) = serde_json::from_slice::<TypeOnly>(body) else {
        return "unknown";
    };
    let Some(kind) = kind.as_str() else {
        return "other";
    };
    KNOWN_TYPES
        .iter()
        .find(|known| **known == kind)
        .copied()
        .unwrap_or("other")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_bounded() {
        assert_eq!(activity_type(br#"{"type":"Follow"}"#), "Follow");
        assert_eq!(activity_type(br#"{"type":"MadeUp"}"#), "other");
        assert_eq!(activity_type(br#"{"type":["Create"]}"#), "other");
        assert_eq!(activity_type(b"not json"), "unknown");
        assert_eq!(activity_type(br#"{"id":"x"}"#), "unknown");
    }
}
