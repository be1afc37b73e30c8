//! What visitors may learn about the instance's federation decisions: nothing (the default),
//! the limited domains obfuscated, or the domains in full, each with its public reason only.

use std::fmt;
use std::str::FromStr;

use crate::blocklists::obfuscate;

/// The instance setting that holds the [`Visibility`].
pub const VISIBILITY_SETTING: &str = "blocklist_visibility";

/// How much of the instance's domain rules is public.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Visibility {
    /// Nothing is published.
    #[default]
    Hidden,
    /// Domains are shown with the middle of their name replaced by `*`.
    Obfuscated,
    /// Domains are shown in full.
    Public,
}

impl Visibility {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Hidden => "hidden",
            Visibility::Obfuscated => "obfuscated",
            Visibility::Public => "public",
        }
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Visibility {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "hidden" => Ok(Visibility::Hidden),
            "obfuscated" => Ok(Visibility::Obfuscated),
            "public" => Ok(Visibility::Public),
            other => Err(format!(
                "unknown visibility {other:?} (expected hidden, obfuscated or public)"
            )),
        }
    }
}

/// A domain rule as the public sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PublishedRule {
    /// The domain, obfuscated when asked.
    pub domain: String,
    /// `suspend`, `silence` or `noop`.
    pub severity: String,
    /// Media from it is not shown.
    pub reject_media: bool,
    /// Reports from it are ignored.
    pub reject_reports: bool,
    /// The admin's public reason.
    pub reason: String,
}

/// A stored rule, as far as publishing needs it.
pub struct RuleFacts<'a> {
    /// Domain.
    pub domain: &'a str,
    /// Stored severity.
    pub severity: &'a str,
    /// Flag.
    pub reject_media: bool,
    /// Flag.
    pub reject_reports: bool,
    /// Public comment (never the private one).
    pub public_comment: &'a str,
    /// Expiry (ms), if any.
    pub expires_at: Option<i64>,
}

/// The rules to publish under `visibility` at time `now` (ms): limiting rules in force, most
/// severe first, then by domain. Allows, and noops without flags, limit nothing and are left out.
pub fn published<'a>(
    rules: impl IntoIterator<Item = RuleFacts<'a>>,
    visibility: Visibility,
    now: i64,
) -> Vec<PublishedRule> {
    if visibility == Visibility::Hidden {
        return Vec::new();
    }
    let mut out: Vec<PublishedRule> = rules
        .into_iter()
        .filter(|r| r.expires_at.is_none_or(|t| t > now))
        .filter(|r| match r.severity {
            "suspend" | "silence" => true,
            "noop" => r.reject_media || r.reject_reports,
            _ => false,
        })
        .map(|r| PublishedRule {
            domain: match visibility {
                Visibility::Obfuscated => obfuscate(r.domain),
                _ => r.domain.to_owned(),
            },
            severity: r.severity.to_owned(),
            reject_media: r.reject_media,
            reject_reports: r.reject_reports,
            reason: r.public_comment.to_owned(),
        })
        .collect();
    let rank = |s: &str| match s {
        "suspend" => 0,
        "silence" => 1,
        _ => 2,
    };
    out.sort_by(|a, b| {
        rank(&a.severity)
            .cmp(&rank(&b.severity))
            .then_with(|| a.domain.cmp(&b.domain))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule<'a>(domain: &'a str, severity: &'a str, expires_at: Option<i64>) -> RuleFacts<'a> {
        RuleFacts {
            domain,
            severity,
            reject_media: false,
            reject_reports: false,
            public_comment: "spam",
            expires_at,
        }
    }

    #[test]
    fn only_limits_in_force_are_published_as_asked() {
        let rules = || {
            vec![
                rule("quiet.example", "silence", None),
                rule("friend.example", "allow", None),
                rule("nothing.example", "noop", None),
                rule("old.example", "suspend", Some(10)),
                rule("spam.example", "suspend", None),
            ]
        };
        assert!(published(rules(), Visibility::Hidden, 100).is_empty());
        let public = published(rules(), Visibility::Public, 100);
        let domains: Vec<&str> = public.iter().map(|r| r.domain.as_str()).collect();
        assert_eq!(domains, ["spam.example", "quiet.example"]);
        assert_eq!(public[0].reason, "spam");
        let hidden = published(rules(), Visibility::Obfuscated, 100);
        assert!(hidden.iter().all(|r| r.domain.contains('*')), "{hidden:?}");
    }
}
