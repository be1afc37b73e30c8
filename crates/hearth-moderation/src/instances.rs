//! Instance policy: which other instances Hearth federates with, and how.
//!
//! Admins give each domain a severity: `suspend` (refuse everything), `silence` (accept, but
//! hold posts for review), `noop` (only the media/report flags apply) or `allow`. A rule for
//! `example.com` also covers its subdomains; `*.example.com` covers only subdomains. The most
//! specific matching rule wins. In `allowlist` mode only allowed domains federate; in the
//! default `open` mode an admin's explicit allow overrides a block that came from a
//! subscribed list.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// How strongly a domain is limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Federate normally (used for allowlists and overrides).
    Allow,
    /// Only the flags (reject media, reject reports) apply.
    Noop,
    /// Accept, but hold its posts for moderator review and leave it out of discovery.
    Silence,
    /// Refuse everything, stop delivering, drop its follows.
    Suspend,
}

impl Severity {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Allow => "allow",
            Severity::Noop => "noop",
            Severity::Silence => "silence",
            Severity::Suspend => "suspend",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "allow" => Ok(Severity::Allow),
            "noop" | "none" => Ok(Severity::Noop),
            "silence" | "limit" => Ok(Severity::Silence),
            "suspend" | "block" => Ok(Severity::Suspend),
            other => Err(format!(
                "unknown severity {other:?} (expected suspend, silence, noop or allow)"
            )),
        }
    }
}

/// Whether Hearth federates with everyone but the blocked, or only with the allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FederationMode {
    /// Everyone but blocked domains (the default).
    #[default]
    Open,
    /// Only allowed domains.
    Allowlist,
}

impl FederationMode {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            FederationMode::Open => "open",
            FederationMode::Allowlist => "allowlist",
        }
    }
}

impl FromStr for FederationMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "open" | "blocklist" => Ok(FederationMode::Open),
            "allowlist" => Ok(FederationMode::Allowlist),
            other => Err(format!(
                "unknown federation mode {other:?} (expected open or allowlist)"
            )),
        }
    }
}

/// One domain rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainRule {
    /// Normalised domain, possibly `*.`-prefixed (see [`normalize_domain`]).
    pub domain: String,
    /// Severity.
    pub severity: Severity,
    /// Drop media attachments from this domain.
    pub reject_media: bool,
    /// Ignore reports from this domain.
    pub reject_reports: bool,
    /// Where the rule came from: `manual`, or a subscription's URL.
    pub source: String,
    /// The reason shown to the public.
    pub public_comment: String,
}

impl DomainRule {
    fn matches(&self, host: &str) -> bool {
        match self.domain.strip_prefix("*.") {
            Some(parent) => host.ends_with(&format!(".{parent}")),
            None => host == self.domain || host.ends_with(&format!(".{}", self.domain)),
        }
    }

    fn specificity(&self) -> usize {
        self.domain.trim_start_matches("*.").len() + usize::from(!self.domain.starts_with("*."))
    }

    fn is_manual(&self) -> bool {
        self.source == "manual"
    }
}

/// What the policy says about one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Federate, with these limits.
    Federate {
        /// Hold posts for review.
        silenced: bool,
        /// Drop media.
        reject_media: bool,
        /// Ignore reports.
        reject_reports: bool,
    },
    /// Refuse: no activity in, no delivery out, no fetch.
    Refuse(String),
}

impl Verdict {
    /// Whether anything may be exchanged with the host.
    pub fn federates(&self) -> bool {
        matches!(self, Verdict::Federate { .. })
    }
}

/// The whole instance policy, ready to judge hosts.
#[derive(Debug, Clone, Default)]
pub struct InstancePolicy {
    mode: FederationMode,
    rules: Vec<DomainRule>,
}

impl InstancePolicy {
    /// A policy from the mode and the rules in force.
    pub fn new(mode: FederationMode, mut rules: Vec<DomainRule>) -> Self {
        rules.sort_by_key(|r| std::cmp::Reverse(r.specificity()));
        InstancePolicy { mode, rules }
    }

    /// The federation mode.
    pub fn mode(&self) -> FederationMode {
        self.mode
    }

    /// Judges `host` (`name`, `name:port` or an IP literal).
    pub fn judge(&self, host: &str) -> Verdict {
        let host = hostname_of(host);
        let matching: Vec<&DomainRule> = self.rules.iter().filter(|r| r.matches(&host)).collect();
        let allowed_by_admin = matching
            .iter()
            .any(|r| r.severity == Severity::Allow && r.is_manual());
        let allowed = matching.iter().any(|r| r.severity == Severity::Allow);
        // The most specific rule decides; an admin's allow beats a subscribed block.
        let winner = matching
            .iter()
            .find(|r| !(allowed_by_admin && !r.is_manual() && r.severity != Severity::Allow));
        if let Some(rule) = winner {
            if rule.severity == Severity::Suspend {
                let reason = if rule.public_comment.is_empty() {
                    format!("{} is suspended by this server's admins", rule.domain)
                } else {
                    format!(
                        "{} is suspended by this server's admins: {}",
                        rule.domain, rule.public_comment
                    )
                };
                return Verdict::Refuse(reason);
            }
        }
        if self.mode == FederationMode::Allowlist && !allowed {
            return Verdict::Refuse(format!("{host} is not on this server's allowlist"));
        }
        match winner {
            Some(rule) => Verdict::Federate {
                silenced: rule.severity == Severity::Silence,
                reject_media: rule.reject_media,
                reject_reports: rule.reject_reports,
            },
            None => Verdict::Federate {
                silenced: false,
                reject_media: false,
                reject_reports: false,
            },
        }
    }
}

/// The host name of `name`, `name:port`, `[v6]:port` or an IP, lower-cased without a trailing dot.
pub fn hostname_of(host: &str) -> String {
    let host = host.trim().to_ascii_lowercase();
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or_default().to_owned();
    }
    let name = match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => {
            name
        }
        _ => host.as_str(),
    };
    name.trim_end_matches('.').to_owned()
}

/// Checks and normalises a domain entry: a host name (IDN allowed), `*.` plus a host name, or
/// an IP address. Refuses obfuscated entries (`ex*mple.com`), URLs and empty strings.
pub fn normalize_domain(input: &str) -> Result<String, String> {
    let trimmed = input.trim().trim_end_matches('.').to_ascii_lowercase();
    if trimmed.is_empty() {
        return Err("an empty domain".into());
    }
    if trimmed.contains("://") || trimmed.contains('/') {
        return Err(format!("{input:?} is a URL, not a domain"));
    }
    if let Ok(ip) = trimmed
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        return Ok(ip.to_string());
    }
    let (wildcard, name) = match trimmed.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, trimmed.as_str()),
    };
    if name.contains('*') {
        return Err(format!(
            "{input:?} is obfuscated; only a leading *. wildcard can be used"
        ));
    }
    let ascii = match url::Host::parse(name) {
        Ok(url::Host::Domain(d)) => d,
        Ok(_) => return Err(format!("{input:?} is not a domain")),
        Err(e) => return Err(format!("{input:?} is not a valid domain: {e}")),
    };
    let labels_ok = ascii.len() <= 253
        && ascii.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if !labels_ok {
        return Err(format!("{input:?} is not a valid domain"));
    }
    Ok(if wildcard {
        format!("*.{ascii}")
    } else {
        ascii
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(domain: &str, severity: Severity, source: &str) -> DomainRule {
        DomainRule {
            domain: domain.into(),
            severity,
            reject_media: false,
            reject_reports: false,
            source: source.into(),
            public_comment: String::new(),
        }
    }

    #[test]
    fn a_block_covers_subdomains_and_the_most_specific_rule_wins() {
        let policy = InstancePolicy::new(
            FederationMode::Open,
            vec![
                rule("bad.example", Severity::Suspend, "manual"),
                rule("ok.bad.example", Severity::Noop, "manual"),
                rule("*.noisy.example", Severity::Silence, "manual"),
            ],
        );
        assert!(!policy.judge("bad.example").federates());
        assert!(!policy.judge("a.bad.example:443").federates());
        assert!(policy.judge("ok.bad.example").federates());
        assert!(policy.judge("notbad.example").federates());
        assert_eq!(
            policy.judge("x.noisy.example"),
            Verdict::Federate {
                silenced: true,
                reject_media: false,
                reject_reports: false
            }
        );
        assert!(matches!(
            policy.judge("noisy.example"),
            Verdict::Federate {
                silenced: false,
                ..
            }
        ));
    }

    #[test]
    fn an_admin_allow_overrides_a_subscribed_block() {
        let policy = InstancePolicy::new(
            FederationMode::Open,
            vec![
                rule(
                    "friend.example",
                    Severity::Suspend,
                    "https://lists.example/blocks.csv",
                ),
                rule("friend.example", Severity::Allow, "manual"),
                rule("foe.example", Severity::Suspend, "manual"),
            ],
        );
        assert!(policy.judge("friend.example").federates());
        assert!(!policy.judge("foe.example").federates());
    }

    #[test]
    fn allowlist_mode_refuses_the_unlisted() {
        let policy = InstancePolicy::new(
            FederationMode::Allowlist,
            vec![
                rule("friend.example", Severity::Allow, "manual"),
                rule("127.0.0.2", Severity::Allow, "manual"),
            ],
        );
        assert!(policy.judge("friend.example").federates());
        assert!(policy.judge("sub.friend.example").federates());
        assert!(policy.judge("127.0.0.2:8080").federates());
        assert!(!policy.judge("stranger.example").federates());
        assert!(!policy.judge("127.0.0.3:8080").federates());
    }

    #[test]
    fn domains_are_normalised_or_refused() {
        assert_eq!(normalize_domain(" Example.COM. ").unwrap(), "example.com");
        assert_eq!(normalize_domain("*.Example.com").unwrap(), "*.example.com");
        assert_eq!(normalize_domain("127.0.0.2").unwrap(), "127.0.0.2");
        assert_eq!(normalize_domain("[::1]").unwrap(), "::1");
        assert_eq!(
            normalize_domain("bücher.example").unwrap(),
            "xn--bcher-kva.example"
        );
        for bad in [
            "",
            "ex*mple.com",
            "https://x.example/",
            "a b.example",
            "-x.example",
        ] {
            assert!(normalize_domain(bad).is_err(), "{bad:?}");
        }
        assert_eq!(hostname_of("[::1]:8080"), "::1");
        assert_eq!(hostname_of("Host.Example.:443"), "host.example");
    }
}
