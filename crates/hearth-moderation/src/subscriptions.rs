//! Which domain rules subscribed lists give, and what must change to get there.
//!
//! - A manual rule (any rule whose source is not a subscription) always wins: a subscription
//!   never replaces or lifts it, so an admin's explicit allow overrides a subscribed block.
//! - Only active subscriptions count; a draft applies nothing.
//! - A subscription's excludes (each covering the domain and its subdomains) and this
//!   server's own host are never applied from it.
//! - Between subscriptions listing the same domain, the higher priority wins; on a tie, the
//!   lower id (the older subscription).
//! - A rule a subscription gave is lifted when no active subscription lists its domain any
//!   more; when another still does, that one's entry takes over.

use std::collections::{BTreeMap, HashMap};

use hearth_storage::{
    subscription_of_source, BlocklistSubscription, DomainChange, DomainPolicy, PlannedChange,
    PolicySources, SubscriptionEntry,
};

use crate::instances::hostname_of;

/// Whether an exclude (`example.com` or `*.example.com`) covers `domain`: the same domain or
/// one of its subdomains, wildcard or not.
pub fn excluded_by(exclude: &str, domain: &str) -> bool {
    let exclude = exclude.trim_start_matches("*.");
    let domain = domain.trim_start_matches("*.");
    domain == exclude || domain.ends_with(&format!(".{exclude}"))
}

/// Whether a rule for `domain` would cover `host`.
pub fn covers_host(domain: &str, host: &str) -> bool {
    let host = hostname_of(host);
    match domain.strip_prefix("*.") {
        Some(parent) => host.ends_with(&format!(".{parent}")),
        None => host == domain || host.ends_with(&format!(".{domain}")),
    }
}

/// Why an entry of a list is not applied from it, if it is not.
pub fn skipped_because(
    entry: &SubscriptionEntry,
    subscription: &BlocklistSubscription,
    own_host: &str,
) -> Option<String> {
    if covers_host(&entry.domain, own_host) {
        return Some(format!("it covers this server's own host {own_host}"));
    }
    subscription
        .exclude_list()
        .iter()
        .find(|x| excluded_by(x, &entry.domain))
        .map(|x| format!("excluded ({x})"))
}

/// Whether a rule belongs to the subscriptions (rather than to an admin).
pub fn is_subscribed(policy: &DomainPolicy) -> bool {
    subscription_of_source(&policy.source).is_some()
}

/// The changes that bring the rules in line with the sources at `now` (ms; a manual rule that
/// expired no longer holds its domain). `own_host` is this server's host, which no list may
/// cover. Changes come sorted by domain.
pub fn plan(sources: &PolicySources, own_host: &str, now: i64) -> Vec<PlannedChange> {
    let active: HashMap<i64, &BlocklistSubscription> = sources
        .subscriptions
        .iter()
        .filter(|s| !s.draft)
        .map(|s| (s.id, s))
        .collect();
    // The winning entry of each domain.
    let mut wanted: BTreeMap<&str, (&SubscriptionEntry, &BlocklistSubscription)> = BTreeMap::new();
    for entry in &sources.entries {
        let Some(sub) = active.get(&entry.subscription_id) else {
            continue;
        };
        if entry.severity.parse::<crate::Severity>().is_err()
            || skipped_because(entry, sub, own_host).is_some()
        {
            continue;
        }
        let better = match wanted.get(entry.domain.as_str()) {
            None => true,
            Some((_, held)) => (sub.priority, -sub.id) > (held.priority, -held.id),
        };
        if better {
            wanted.insert(&entry.domain, (entry, sub));
        }
    }
    let current: HashMap<&str, &DomainPolicy> = sources
        .policies
        .iter()
        .map(|p| (p.domain.as_str(), p))
        .collect();
    let mut changes: BTreeMap<String, PlannedChange> = BTreeMap::new();
    for (domain, (entry, sub)) in &wanted {
        let before = current.get(domain).copied();
        if before.is_some_and(|p| !is_subscribed(p) && p.expires_at.is_none_or(|at| at > now)) {
            continue; // an admin's own rule wins
        }
        let rule = DomainPolicy {
            domain: entry.domain.clone(),
            severity: entry.severity.clone(),
            reject_media: entry.reject_media,
            reject_reports: entry.reject_reports,
            public_comment: entry.public_comment.clone(),
            private_comment: format!("listed by {}", sub.url),
            source: sub.source(),
            expires_at: None,
            created_by: format!("subscription:{}", sub.url),
            created_at: 0,
            updated_at: 0,
        };
        let same = before.is_some_and(|p| {
            p.severity == rule.severity
                && p.reject_media == rule.reject_media
                && p.reject_reports == rule.reject_reports
                && p.public_comment == rule.public_comment
                && p.private_comment == rule.private_comment
                && p.source == rule.source
                && p.expires_at.is_none()
        });
        if same {
            continue;
        }
        let reason = if entry.public_comment.is_empty() {
            format!("listed by {}", sub.url)
        } else {
            format!("listed by {}: {}", sub.url, entry.public_comment)
        };
        changes.insert(
            entry.domain.clone(),
            PlannedChange {
                change: DomainChange::Set(rule),
                reason,
                before: before.cloned(),
            },
        );
    }
    for p in &sources.policies {
        if is_subscribed(p) && !wanted.contains_key(p.domain.as_str()) {
            changes.insert(
                p.domain.clone(),
                PlannedChange {
                    change: DomainChange::Remove(p.domain.clone()),
                    reason: "no active subscription lists it any more".into(),
                    before: Some(p.clone()),
                },
            );
        }
    }
    changes.into_values().collect()
}

/// One line describing a planned change: `+ domain severity (source)`, `~ domain old -> new
/// (source)` or `- domain lifted (was severity from source)`.
pub fn describe(change: &PlannedChange) -> String {
    match (&change.change, &change.before) {
        (DomainChange::Set(p), None) => format!("+ {} {} ({})", p.domain, p.severity, p.source),
        (DomainChange::Set(p), Some(old)) => format!(
            "~ {} {} -> {} ({} -> {})",
            p.domain, old.severity, p.severity, old.source, p.source
        ),
        (DomainChange::Remove(domain), Some(old)) => format!(
            "- {domain} lifted (was {} from {})",
            old.severity, old.source
        ),
        (DomainChange::Remove(domain), None) => format!("- {domain} lifted"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(id: i64, priority: i64, draft: bool, excludes: &str) -> BlocklistSubscription {
        BlocklistSubscription {
            id,
            url: format!("https://lists.example/{id}.csv"),
            priority,
            draft,
            excludes: excludes.into(),
            refresh_secs: 21600,
            etag: None,
            last_modified: None,
            format: None,
            last_fetch_at: None,
            last_success_at: None,
            last_error: None,
            created_by: "cli:root".into(),
            created_at: 0,
            entries: 0,
        }
    }

    fn entry(subscription_id: i64, domain: &str, severity: &str) -> SubscriptionEntry {
        SubscriptionEntry {
            subscription_id,
            domain: domain.into(),
            severity: severity.into(),
            reject_media: false,
            reject_reports: false,
            obfuscate: false,
            public_comment: String::new(),
        }
    }

    fn policy(domain: &str, severity: &str, source: &str) -> DomainPolicy {
        DomainPolicy {
            domain: domain.into(),
            severity: severity.into(),
            reject_media: false,
            reject_reports: false,
            public_comment: String::new(),
            private_comment: String::new(),
            source: source.into(),
            expires_at: None,
            created_by: "cli:root".into(),
            created_at: 0,
            updated_at: 0,
        }
    }

    /// Applies the plan to the policies, as the store would.
    fn apply(sources: &mut PolicySources, own: &str) -> Vec<String> {
        let planned = plan(sources, own, 0);
        let lines = planned.iter().map(describe).collect();
        for p in planned {
            match p.change {
                DomainChange::Set(rule) => {
                    sources.policies.retain(|x| x.domain != rule.domain);
                    sources.policies.push(rule);
                }
                DomainChange::Remove(domain) => sources.policies.retain(|x| x.domain != domain),
            }
        }
        sources.policies.sort_by(|a, b| a.domain.cmp(&b.domain));
        assert!(
            plan(sources, own, 0).is_empty(),
            "applying the plan settles it"
        );
        lines
    }

    fn rules(sources: &PolicySources) -> Vec<String> {
        sources
            .policies
            .iter()
            .map(|p| format!("{} {} {}", p.domain, p.severity, p.source))
            .collect()
    }

    #[test]
    fn priorities_excludes_manual_rules_drafts_and_retractions() {
        let mut sources = PolicySources {
            policies: vec![policy("friend.example", "allow", "manual")],
            subscriptions: vec![
                sub(1, 0, false, "skip.example"),
                sub(2, 5, false, ""),
                sub(3, 9, true, ""),
            ],
            entries: vec![
                entry(1, "both.example", "suspend"),
                entry(2, "both.example", "silence"),
                entry(1, "only1.example", "suspend"),
                entry(1, "friend.example", "suspend"),
                entry(1, "a.skip.example", "suspend"),
                entry(1, "*.skip.example", "suspend"),
                entry(1, "hearth.example", "suspend"),
                entry(3, "draft.example", "suspend"),
                entry(3, "both.example", "noop"),
            ],
        };
        let lines = apply(&mut sources, "hearth.example:443");
        assert_eq!(
            lines,
            [
                "+ both.example silence (subscription:2)",
                "+ only1.example suspend (subscription:1)"
            ]
        );
        assert_eq!(
            rules(&sources),
            [
                "both.example silence subscription:2",
                "friend.example allow manual",
                "only1.example suspend subscription:1"
            ]
        );

        // List 2 drops both.example: list 1's entry takes over. List 1 drops only1.example.
        sources.entries.retain(|e| {
            !(e.subscription_id == 2 && e.domain == "both.example") && e.domain != "only1.example"
        });
        let lines = apply(&mut sources, "hearth.example");
        assert_eq!(
            lines,
            [
                "~ both.example silence -> suspend (subscription:2 -> subscription:1)",
                "- only1.example lifted (was suspend from subscription:1)"
            ]
        );

        // The draft takes effect: it has the highest priority.
        sources.subscriptions[2].draft = false;
        let lines = apply(&mut sources, "hearth.example");
        assert_eq!(
            lines,
            [
                "~ both.example suspend -> noop (subscription:1 -> subscription:3)",
                "+ draft.example suspend (subscription:3)"
            ]
        );

        // Unsubscribing from 3 and 1 lifts all they held; the manual rule stays.
        sources.subscriptions.retain(|s| s.id == 2);
        sources.entries.retain(|e| e.subscription_id == 2);
        apply(&mut sources, "hearth.example");
        assert_eq!(rules(&sources), ["friend.example allow manual"]);
    }

    #[test]
    fn excludes_and_own_host() {
        assert!(excluded_by("skip.example", "skip.example"));
        assert!(excluded_by("skip.example", "a.b.skip.example"));
        assert!(excluded_by("*.skip.example", "*.skip.example"));
        assert!(!excluded_by("skip.example", "noskip.example"));
        assert!(covers_host("example.com", "groups.example.com"));
        assert!(covers_host("*.example.com", "groups.example.com:8443"));
        assert!(!covers_host("*.groups.example.com", "groups.example.com"));
        assert!(covers_host("127.0.0.1", "127.0.0.1:8080"));
    }
}
