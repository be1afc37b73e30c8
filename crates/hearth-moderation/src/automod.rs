//! Automod: rules that every post into a group must pass, per group or for every group.
//!
//! A rule looks at one fact of a post (its words, its links, its mentions, its author's
//! account age or posting rate) and, when it matches, rejects the post, holds it for a
//! moderator's review, or takes it in and reports it to the moderators. This module only
//! decides: federation gathers the [`PostFacts`] and acts on the rule that fired.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use hearth_storage::{AutomodRule, NewAutomodRule};
use regex::{Regex, RegexBuilder};

/// Longest pattern a rule may have, in characters.
pub const MAX_PATTERN_CHARS: usize = 4000;

/// Most memory a rule's compiled regular expression may take, in bytes.
const REGEX_SIZE_LIMIT: usize = 256 * 1024;

/// A day in milliseconds.
const DAY_MS: i64 = 86_400_000;

/// What a rule checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// Any of the pattern's words or phrases (separated by commas or new lines) appears in the
    /// text as a whole word, whatever the case.
    Keyword,
    /// The pattern, a regular expression, matches the text (add `(?i)` to ignore case).
    Regex,
    /// A link goes to one of the pattern's domains or their subdomains.
    LinkDomain,
    /// The post mentions more than `threshold` people.
    MaxMentions,
    /// The post has more than `threshold` links.
    MaxLinks,
    /// The author's account is younger than `threshold` days (an account that does not say
    /// its age never matches).
    MinAccountAgeDays,
    /// The author already posted `threshold` posts in the last hour.
    ActorRate,
    /// The author's instance already posted `threshold` posts in the last hour.
    InstanceRate,
}

impl RuleKind {
    /// Every kind, in the order the documentation lists them.
    pub const ALL: [RuleKind; 8] = [
        RuleKind::Keyword,
        RuleKind::Regex,
        RuleKind::LinkDomain,
        RuleKind::MaxMentions,
        RuleKind::MaxLinks,
        RuleKind::MinAccountAgeDays,
        RuleKind::ActorRate,
        RuleKind::InstanceRate,
    ];

    /// The stored name, e.g. `link_domain`.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::Keyword => "keyword",
            RuleKind::Regex => "regex",
            RuleKind::LinkDomain => "link_domain",
            RuleKind::MaxMentions => "max_mentions",
            RuleKind::MaxLinks => "max_links",
            RuleKind::MinAccountAgeDays => "min_account_age_days",
            RuleKind::ActorRate => "actor_rate",
            RuleKind::InstanceRate => "instance_rate",
        }
    }

    /// Whether the rule is about a pattern (otherwise it is about a threshold).
    fn takes_pattern(self) -> bool {
        matches!(
            self,
            RuleKind::Keyword | RuleKind::Regex | RuleKind::LinkDomain
        )
    }

    /// The smallest threshold that makes sense (0 mentions or links is a real limit; an age
    /// or a rate of 0 would match every post or none).
    fn least_threshold(self) -> i64 {
        match self {
            RuleKind::MaxMentions | RuleKind::MaxLinks => 0,
            _ => 1,
        }
    }
}

impl fmt::Display for RuleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RuleKind {
    type Err = RuleError;

    /// Reads a kind's name; `link-domain` is read as `link_domain`.
    fn from_str(text: &str) -> Result<Self, RuleError> {
        let name = text.trim().to_ascii_lowercase().replace('-', "_");
        RuleKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
            .ok_or_else(|| RuleError::UnknownKind(text.to_owned()))
    }
}

/// What happens to a post that matches a rule, from the mildest to the strictest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Take the post in, and open a case about it for the moderators.
    Report,
    /// Hold the post until a moderator approves it.
    Hold,
    /// Refuse the post; its sender is told why.
    Reject,
}

impl Outcome {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Report => "report",
            Outcome::Hold => "hold",
            Outcome::Reject => "reject",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Outcome {
    type Err = RuleError;

    fn from_str(text: &str) -> Result<Self, RuleError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "report" => Ok(Outcome::Report),
            "hold" => Ok(Outcome::Hold),
            "reject" => Ok(Outcome::Reject),
            _ => Err(RuleError::UnknownOutcome(text.to_owned())),
        }
    }
}

/// Why a rule cannot be added (or a stored one used).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// No such kind.
    #[error("unknown automod rule kind {0:?}: use keyword, regex, link_domain, max_mentions, max_links, min_account_age_days, actor_rate or instance_rate")]
    UnknownKind(String),
    /// No such outcome.
    #[error("unknown automod outcome {0:?}: use reject, hold or report")]
    UnknownOutcome(String),
    /// A pattern rule without a pattern.
    #[error("{0} rules need a pattern ({hint})", hint = pattern_hint(.0))]
    MissingPattern(RuleKind),
    /// A pattern given to a threshold rule, or a threshold to a pattern rule.
    #[error("{kind} rules take {takes}, not {not}", takes = takes(.kind), not = not_takes(.kind))]
    Misplaced {
        /// The rule's kind.
        kind: RuleKind,
    },
    /// A threshold below what the kind allows.
    #[error("{kind} rules need a threshold of {least} or more")]
    Threshold {
        /// The rule's kind.
        kind: RuleKind,
        /// The smallest allowed.
        least: i64,
    },
    /// A pattern over [`MAX_PATTERN_CHARS`].
    #[error("the pattern is longer than {MAX_PATTERN_CHARS} characters")]
    PatternTooLong,
    /// The regular expression does not compile.
    #[error("the pattern is not a valid regular expression: {0}")]
    BadRegex(String),
    /// The regular expression compiles to more than the size limit.
    #[error("the regular expression is too large (its compiled form exceeds {REGEX_SIZE_LIMIT} bytes); split it into several rules")]
    RegexTooLarge,
    /// A link_domain entry that is not a domain.
    #[error(
        "{0:?} is not a domain: write domains like spam.example, separated by commas or new lines"
    )]
    BadDomain(String),
}

fn pattern_hint(kind: &RuleKind) -> &'static str {
    match kind {
        RuleKind::Keyword => "words or phrases separated by commas or new lines",
        RuleKind::Regex => "a regular expression",
        _ => "domains separated by commas or new lines",
    }
}

fn takes(kind: &RuleKind) -> &'static str {
    if kind.takes_pattern() {
        "a pattern"
    } else {
        "a threshold"
    }
}

fn not_takes(kind: &RuleKind) -> &'static str {
    if kind.takes_pattern() {
        "a threshold"
    } else {
        "a pattern"
    }
}

/// Whose recent posts a rate rule counts, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RateScope {
    /// The author's own posts; `false` counts every post from the author's instance.
    pub by_actor: bool,
    /// Posts in every group (for an instance-wide rule); `false` counts this group's only.
    pub every_group: bool,
}

/// What automod knows about a post and its author.
#[derive(Debug, Clone, Default)]
pub struct PostFacts {
    /// The plain text: content warning, title and body.
    pub text: String,
    /// The host of each distinct link in the post (mentions and hashtags are not links).
    pub link_hosts: Vec<String>,
    /// How many people the post mentions (the group itself not counted).
    pub mentions: usize,
    /// How old the author's account is (ms), when its actor says.
    pub account_age_ms: Option<i64>,
    /// Posts in the last hour, before this one, for each scope a rate rule asks about (see
    /// [`Rule::rate_scope`]); a scope left out never matches.
    pub recent_posts: HashMap<RateScope, i64>,
}

/// How a rule tests a post.
#[derive(Debug, Clone)]
enum Matcher {
    /// Keyword and regex rules.
    Text(Regex),
    /// Link domain rules: lowercase domains.
    Domains(Vec<String>),
    /// Threshold rules.
    Threshold,
}

/// A rule ready to test posts.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The stored rule's id.
    pub id: i64,
    /// What it checks.
    pub kind: RuleKind,
    /// What happens on a match.
    pub outcome: Outcome,
    /// The count or age of threshold rules.
    pub threshold: i64,
    /// Whether it applies to every group.
    pub instance_wide: bool,
    /// Why the rule exists.
    pub note: String,
    matcher: Matcher,
}

impl Rule {
    /// Compiles a stored rule.
    pub fn compile(stored: &AutomodRule) -> Result<Rule, RuleError> {
        let kind: RuleKind = stored.kind.parse()?;
        Ok(Rule {
            id: stored.id,
            kind,
            outcome: stored.outcome.parse()?,
            threshold: stored.threshold,
            instance_wide: stored.group_id.is_none(),
            note: stored.note.clone(),
            matcher: matcher(kind, &stored.pattern, stored.threshold)?,
        })
    }

    /// `rule 3 (keyword)`: how modlog lines and messages name the rule.
    pub fn describe(&self) -> String {
        format!("rule {} ({})", self.id, self.kind)
    }

    /// Whose recent posts this rule needs counted, for rate rules.
    pub fn rate_scope(&self) -> Option<RateScope> {
        let by_actor = match self.kind {
            RuleKind::ActorRate => true,
            RuleKind::InstanceRate => false,
            _ => return None,
        };
        Some(RateScope {
            by_actor,
            every_group: self.instance_wide,
        })
    }

    /// Whether the post matches.
    pub fn matches(&self, facts: &PostFacts) -> bool {
        let over = |count: usize| i64::try_from(count).unwrap_or(i64::MAX) > self.threshold;
        match (&self.matcher, self.kind) {
            (Matcher::Text(regex), _) => regex.is_match(&facts.text),
            (Matcher::Domains(domains), _) => facts.link_hosts.iter().any(|host| {
                let host = host.to_ascii_lowercase();
                domains.iter().any(|domain| {
                    host == *domain
                        || host
                            .strip_suffix(domain.as_str())
                            .is_some_and(|rest| rest.ends_with('.'))
                })
            }),
            (Matcher::Threshold, RuleKind::MaxMentions) => over(facts.mentions),
            (Matcher::Threshold, RuleKind::MaxLinks) => over(facts.link_hosts.len()),
            (Matcher::Threshold, RuleKind::MinAccountAgeDays) => facts
                .account_age_ms
                .is_some_and(|age| age < self.threshold.saturating_mul(DAY_MS)),
            (Matcher::Threshold, _) => self
                .rate_scope()
                .and_then(|scope| facts.recent_posts.get(&scope))
                .is_some_and(|&recent| recent >= self.threshold),
        }
    }
}

/// Checks a rule before it is stored, and returns it tidied: kind and outcome in their
/// stored spelling, pattern and note trimmed.
pub fn validate(rule: NewAutomodRule) -> Result<NewAutomodRule, RuleError> {
    let kind: RuleKind = rule.kind.parse()?;
    let outcome: Outcome = rule.outcome.parse()?;
    let pattern = rule.pattern.trim().to_owned();
    matcher(kind, &pattern, rule.threshold)?;
    Ok(NewAutomodRule {
        kind: kind.as_str().to_owned(),
        outcome: outcome.as_str().to_owned(),
        pattern,
        note: rule.note.trim().to_owned(),
        ..rule
    })
}

/// The rule that decides the post's fate: of the rules it matches, the strictest (reject,
/// then hold, then report), and among equals the first.
pub fn evaluate<'a>(rules: &'a [Rule], facts: &PostFacts) -> Option<&'a Rule> {
    rules
        .iter()
        .filter(|rule| rule.matches(facts))
        .min_by_key(|rule| std::cmp::Reverse(rule.outcome))
}

/// Builds how a rule of `kind` tests posts, refusing what does not fit the kind.
fn matcher(kind: RuleKind, pattern: &str, threshold: i64) -> Result<Matcher, RuleError> {
    if !kind.takes_pattern() {
        if !pattern.trim().is_empty() {
            return Err(RuleError::Misplaced { kind });
        }
        let least = kind.least_threshold();
        if threshold < least {
            return Err(RuleError::Threshold { kind, least });
        }
        return Ok(Matcher::Threshold);
    }
    if threshold != 0 {
        return Err(RuleError::Misplaced { kind });
    }
    if pattern.chars().count() > MAX_PATTERN_CHARS {
        return Err(RuleError::PatternTooLong);
    }
    let entries: Vec<&str> = pattern
        .split([',', '\n'])
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .collect();
    if entries.is_empty() {
        return Err(RuleError::MissingPattern(kind));
    }
    match kind {
        RuleKind::Keyword => {
            // A phrase's words may be separated by any run of spaces; a match must not be
            // part of a longer word.
            let alternatives: Vec<String> = entries
                .iter()
                .map(|entry| {
                    entry
                        .split_whitespace()
                        .map(regex::escape)
                        .collect::<Vec<_>>()
                        .join(r"\s+")
                })
                .collect();
            let source = format!(r"(?i)(?:^|\W)(?:{})(?:\W|$)", alternatives.join("|"));
            compile(&source).map(Matcher::Text)
        }
        RuleKind::Regex => compile(pattern).map(Matcher::Text),
        _ => entries
            .iter()
            .flat_map(|entry| entry.split_whitespace())
            .map(domain)
            .collect::<Result<_, _>>()
            .map(Matcher::Domains),
    }
}

fn compile(source: &str) -> Result<Regex, RuleError> {
    RegexBuilder::new(source)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(_) => RuleError::RegexTooLarge,
            other => RuleError::BadRegex(other.to_string()),
        })
}

/// A link_domain entry as a lowercase domain (`*.` and a final dot are dropped, and
/// international names are written in ASCII, as link hosts are).
fn domain(entry: &str) -> Result<String, RuleError> {
    let bare = entry.trim_start_matches("*.").trim_end_matches('.');
    match url::Host::parse(bare) {
        Ok(host) if !bare.is_empty() => Ok(host.to_string().to_ascii_lowercase()),
        _ => Err(RuleError::BadDomain(entry.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(id: i64, kind: &str, pattern: &str, threshold: i64, outcome: &str) -> AutomodRule {
        AutomodRule {
            id,
            group_id: Some(1),
            kind: kind.into(),
            pattern: pattern.into(),
            threshold,
            outcome: outcome.into(),
            note: String::new(),
            created_by: "cli".into(),
            created_at: 0,
        }
    }

    fn rule(kind: &str, pattern: &str, threshold: i64) -> Rule {
        Rule::compile(&stored(1, kind, pattern, threshold, "hold")).unwrap()
    }

    fn text(text: &str) -> PostFacts {
        PostFacts {
            text: text.into(),
            ..PostFacts::default()
        }
    }

    fn new_rule(kind: &str, pattern: &str, threshold: i64, outcome: &str) -> NewAutomodRule {
        NewAutomodRule {
            kind: kind.into(),
            pattern: pattern.into(),
            threshold,
            outcome: outcome.into(),
            ..NewAutomodRule::default()
        }
    }

    #[test]
    fn kinds_and_outcomes_parse_with_clear_errors() {
        for kind in RuleKind::ALL {
            assert_eq!(kind.as_str().parse::<RuleKind>(), Ok(kind));
        }
        assert_eq!("Link-Domain".parse::<RuleKind>(), Ok(RuleKind::LinkDomain));
        let err = "swearing".parse::<RuleKind>().unwrap_err().to_string();
        assert!(
            err.contains("\"swearing\"") && err.contains("keyword, regex"),
            "{err}"
        );
        assert_eq!(" HOLD ".parse::<Outcome>(), Ok(Outcome::Hold));
        let err = "ban".parse::<Outcome>().unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown automod outcome \"ban\": use reject, hold or report"
        );
    }

    #[test]
    fn keywords_match_whole_words_whatever_the_case() {
        let words = rule("keyword", "cheap, gear  sale\nc++", 0);
        assert!(words.matches(&text("Really CHEAP boots")));
        assert!(words.matches(&text("cheap")));
        assert!(words.matches(&text("big gear\nsale today")));
        assert!(words.matches(&text("I write C++.")));
        assert!(!words.matches(&text("a cheapskate")));
        assert!(!words.matches(&text("gear is on sale")));
    }

    #[test]
    fn regexes_match_and_bad_ones_are_refused() {
        let regex = rule("regex", r"(?i)buy\s+now", 0);
        assert!(regex.matches(&text("Buy   NOW!")));
        assert!(!regex.matches(&text("buying now")));
        let err = validate(new_rule("regex", "(unclosed", 0, "reject")).unwrap_err();
        assert!(matches!(err, RuleError::BadRegex(_)), "{err:?}");
        assert!(err
            .to_string()
            .starts_with("the pattern is not a valid regular expression"));
        let huge = validate(new_rule("regex", r"\w{1000}\w{1000}", 0, "reject")).unwrap_err();
        assert_eq!(huge, RuleError::RegexTooLarge);
    }

    #[test]
    fn link_domains_cover_their_subdomains() {
        let domains = rule("link_domain", "Spam.Example, *.ads.example.", 0);
        let links = |hosts: &[&str]| PostFacts {
            link_hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
            ..PostFacts::default()
        };
        assert!(domains.matches(&links(&["spam.example"])));
        assert!(domains.matches(&links(&["ok.example", "www.spam.example"])));
        assert!(domains.matches(&links(&["x.ads.example"])));
        assert!(!domains.matches(&links(&["notspam.example"])));
        assert!(!domains.matches(&links(&[])));
        let err = validate(new_rule("link_domain", "https://spam.example/", 0, "hold"));
        assert!(matches!(err, Err(RuleError::BadDomain(_))), "{err:?}");
    }

    #[test]
    fn thresholds_count_mentions_links_age_and_rate() {
        let mentions = rule("max_mentions", "", 2);
        let facts = |mentions, links: usize| PostFacts {
            mentions,
            link_hosts: vec!["a.example".into(); links],
            ..PostFacts::default()
        };
        assert!(!mentions.matches(&facts(2, 0)));
        assert!(mentions.matches(&facts(3, 0)));
        let no_links = rule("max_links", "", 0);
        assert!(!no_links.matches(&facts(5, 0)));
        assert!(no_links.matches(&facts(0, 1)));

        let young = rule("min_account_age_days", "", 7);
        let aged = |days: i64| PostFacts {
            account_age_ms: Some(days * DAY_MS),
            ..PostFacts::default()
        };
        assert!(young.matches(&aged(6)));
        assert!(!young.matches(&aged(7)));
        assert!(
            !young.matches(&PostFacts::default()),
            "unknown age never matches"
        );

        let rate = rule("actor_rate", "", 3);
        let scope = rate.rate_scope().unwrap();
        assert_eq!(
            scope,
            RateScope {
                by_actor: true,
                every_group: false
            }
        );
        let recent = |n: i64| PostFacts {
            recent_posts: HashMap::from([(scope, n)]),
            ..PostFacts::default()
        };
        assert!(!rate.matches(&recent(2)));
        assert!(rate.matches(&recent(3)));
        assert!(!rate.matches(&PostFacts::default()));
        let mut everywhere = stored(1, "instance_rate", "", 3, "hold");
        everywhere.group_id = None;
        let scope = Rule::compile(&everywhere).unwrap().rate_scope().unwrap();
        assert!(!scope.by_actor && scope.every_group);
    }

    #[test]
    fn the_strictest_match_wins_then_the_first() {
        let rules: Vec<Rule> = [
            stored(1, "keyword", "spam", 0, "report"),
            stored(2, "keyword", "spam", 0, "hold"),
            stored(3, "keyword", "ham", 0, "reject"),
            stored(4, "keyword", "spam", 0, "hold"),
        ]
        .iter()
        .map(|r| Rule::compile(r).unwrap())
        .collect();
        assert_eq!(evaluate(&rules, &text("spam")).map(|r| r.id), Some(2));
        assert_eq!(
            evaluate(&rules, &text("spam and ham")).map(|r| r.id),
            Some(3)
        );
        assert!(evaluate(&rules, &text("eggs")).is_none());
        assert_eq!(rules[0].describe(), "rule 1 (keyword)");
    }

    #[test]
    fn validation_tidies_and_refuses_what_does_not_fit() {
        let tidy = validate(NewAutomodRule {
            note: " no sales ".into(),
            ..new_rule("Keyword", "  cheap ", 0, "Hold")
        })
        .unwrap();
        assert_eq!(
            (
                tidy.kind.as_str(),
                tidy.pattern.as_str(),
                tidy.outcome.as_str()
            ),
            ("keyword", "cheap", "hold")
        );
        assert_eq!(tidy.note, "no sales");
        let cases = [
            (
                new_rule("keyword", " , ", 0, "hold"),
                "keyword rules need a pattern",
            ),
            (
                new_rule("keyword", "x", 3, "hold"),
                "keyword rules take a pattern, not a threshold",
            ),
            (
                new_rule("max_links", "x", 3, "hold"),
                "max_links rules take a threshold, not a pattern",
            ),
            (
                new_rule("max_links", "", -1, "hold"),
                "max_links rules need a threshold of 0 or more",
            ),
            (
                new_rule("actor_rate", "", 0, "hold"),
                "actor_rate rules need a threshold of 1 or more",
            ),
            (
                new_rule("keyword", "x", 0, "ban"),
                "unknown automod outcome",
            ),
        ];
        for (rule, message) in cases {
            let err = validate(rule).unwrap_err().to_string();
            assert!(err.starts_with(message), "{err}");
        }
        let long = "a".repeat(MAX_PATTERN_CHARS + 1);
        assert_eq!(
            validate(new_rule("keyword", &long, 0, "hold")),
            Err(RuleError::PatternTooLong)
        );
    }
}
