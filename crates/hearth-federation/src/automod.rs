//! Screening of posts before a group takes them in: automod rules (per group and
//! instance-wide), holding a member's first posts, and pre-moderation, in that order. Every
//! automatic decision is logged in the modlog as `automod.reject`, `automod.hold` or
//! `automod.report`, naming the rule that fired. The rules themselves are judged in
//! [`hearth_moderation::automod`]; this module gathers the facts they look at.

use std::collections::{HashMap, HashSet};

use hearth_moderation::automod::{self as rules, PostFacts, Rule};
use hearth_storage::{Actor, Change, Group, NewModlogEntry, PostingContext};
use serde_json::Value;
use url::Url;

use crate::html::to_text;
use crate::inbox::Rejection;
use crate::vocab::inbound::{kind_of, mention_hrefs, str_of};
use crate::Federation;

/// An hour in milliseconds: the window of the rate rules.
const HOUR_MS: i64 = 3_600_000;

/// What happens to a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Take it in.
    Accept,
    /// Hold it for review, with the reason shown to moderators.
    Hold(String),
    /// Refuse it, with the reason told to the sender.
    Reject(String),
}

/// The screening of one post.
#[derive(Debug, Clone)]
pub(crate) struct Screening {
    /// What to do with the post.
    pub outcome: Outcome,
    /// Changes to commit whatever the outcome (modlog lines).
    pub log: Vec<Change>,
    /// Changes to commit after the post is stored, when it is accepted (reports).
    pub after_create: Vec<Change>,
}

/// Screens `object`, posted by `author` into `group`, whose standing there is `context`.
/// Moderators are never screened.
pub(crate) async fn screen(
    fed: &Federation,
    group: &Group,
    author: &Actor,
    object: &Value,
    context: &PostingContext,
) -> Result<Screening, Rejection> {
    let mut screening = Screening {
        outcome: Outcome::Accept,
        log: Vec::new(),
        after_create: Vec::new(),
    };
    if context.is_moderator {
        return Ok(screening);
    }
    let object_id = str_of(object, "id").unwrap_or_default();
    let log = |action: &str, reason: &str, details: String| {
        Change::Log(NewModlogEntry {
            group_id: Some(group.id),
            actor: "automod".into(),
            action: format!("automod.{action}"),
            target: object_id.to_owned(),
            reason: reason.to_owned(),
            details,
            ..NewModlogEntry::default()
        })
    };

    let rules = if context.has_automod_rules {
        group_rules(fed, group).await?
    } else {
        Vec::new()
    };
    let mut report = None;
    if !rules.is_empty() {
        let facts = facts(fed, group, author, object, &rules).await?;
        if let Some(rule) = rules::evaluate(&rules, &facts) {
            let whose = if rule.instance_wide {
                "this server"
            } else {
                group.name.as_str()
            };
            let why = if rule.note.is_empty() {
                String::new()
            } else {
                format!(": {}", rule.note)
            };
            let message = format!("automod {} of {whose}{why}", rule.describe());
            screening
                .log
                .push(log(rule.outcome.as_str(), &rule.note, rule.describe()));
            match rule.outcome {
                rules::Outcome::Reject => {
                    screening.outcome =
                        Outcome::Reject(format!("this post is refused by {message}"));
                    return Ok(screening);
                }
                rules::Outcome::Hold => {
                    screening.outcome = Outcome::Hold(message);
                    return Ok(screening);
                }
                rules::Outcome::Report => report = Some(message),
            }
        }
    }

    let hold = if group.hold_first_posts > 0
        && fed
            .store()
            .count_posts_by_author(group.id, author.id)
            .await?
            < group.hold_first_posts
    {
        Some((
            format!(
                "{} reviews the first {} posts of each member",
                group.name, group.hold_first_posts
            ),
            format!("hold_first_posts {}", group.hold_first_posts),
        ))
    } else if group.premoderation {
        Some((
            format!("{} reviews every post before publishing it", group.name),
            "premoderation".to_owned(),
        ))
    } else {
        None
    };
    match (hold, report) {
        (Some((reason, details)), report) => {
            screening.log.push(log("hold", &reason, details));
            screening.outcome = Outcome::Hold(match report {
                Some(report) => format!("{reason}; reported by {report}"),
                None => reason,
            });
        }
        (None, Some(note)) => screening.after_create.push(Change::LocalReport {
            group_id: group.id,
            subject_ap_id: object_id.to_owned(),
            author: "automod".into(),
            note,
        }),
        (None, None) => {}
    }
    Ok(screening)
}

/// The group's rules and the instance-wide ones, compiled. A stored rule that no longer
/// compiles is skipped with a warning rather than blocking the group.
async fn group_rules(fed: &Federation, group: &Group) -> Result<Vec<Rule>, Rejection> {
    let stored = fed.store().automod_rules_for(group.id).await?;
    Ok(stored
        .iter()
        .filter_map(|rule| match Rule::compile(rule) {
            Ok(compiled) => Some(compiled),
            Err(e) => {
                tracing::warn!(rule = rule.id, error = %e, "skipping an automod rule");
                None
            }
        })
        .collect())
}

/// What the rules look at: the post's text, links and mentions, its author's account age,
/// and recent posts counted for the rate rules among `rules`.
async fn facts(
    fed: &Federation,
    group: &Group,
    author: &Actor,
    object: &Value,
    rules: &[Rule],
) -> Result<PostFacts, Rejection> {
    let now = hearth_storage::now_ms();
    let html = content_of(object);
    let text = ["summary", "name"]
        .into_iter()
        .filter_map(|key| str_of(object, key))
        .map(str::to_owned)
        .chain([to_text(&html)])
        .collect::<Vec<_>>()
        .join("\n");
    let group_id = fed.urls().group(&group.name).to_string();
    let mentions: HashSet<&str> = mention_hrefs(object)
        .into_iter()
        .filter(|href| *href != group_id)
        .collect();
    let mut recent_posts = HashMap::new();
    for scope in rules.iter().filter_map(Rule::rate_scope) {
        if recent_posts.contains_key(&scope) {
            continue;
        }
        let count = fed
            .store()
            .count_recent_posts(
                (!scope.every_group).then_some(group.id),
                scope.by_actor.then_some(author.id),
                &author.host,
                now - HOUR_MS,
            )
            .await?;
        recent_posts.insert(scope, count);
    }
    Ok(PostFacts {
        text,
        link_hosts: link_hosts(object, &html),
        mentions: mentions.len(),
        account_age_ms: author.published.map(|published| now - published),
        recent_posts,
    })
}

/// The HTML of an object's content: `content`, else the first `contentMap` entry.
fn content_of(object: &Value) -> String {
    str_of(object, "content")
        .or_else(|| {
            object
                .get("contentMap")
                .and_then(Value::as_object)
                .and_then(|map| map.values().find_map(Value::as_str))
        })
        .unwrap_or_default()
        .to_owned()
}

/// The host of each distinct link of a post: the `<a href>`s of its content that are not
/// mentions or hashtags, and its `Link` attachments (a Lemmy link post's URL).
fn link_hosts(object: &Value, html: &str) -> Vec<String> {
    let attachments = match object.get("attachment") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(item @ Value::Object(_)) => vec![item],
        _ => Vec::new(),
    };
    let attached = attachments
        .into_iter()
        .filter(|a| kind_of(a) == Some("Link"))
        .filter_map(|a| str_of(a, "href"))
        .map(str::to_owned);
    let links: HashSet<Url> = anchors(html)
        .into_iter()
        .filter(|a| {
            !a.class
                .split_whitespace()
                .any(|c| c == "mention" || c == "hashtag")
        })
        .map(|a| a.href)
        .chain(attached)
        .filter_map(|href| Url::parse(&href).ok())
        .filter(|url| matches!(url.scheme(), "http" | "https"))
        .collect();
    links
        .iter()
        .filter_map(|url| url.host_str().map(str::to_owned))
        .collect()
}

/// A link in HTML: its `href` and `class`.
#[derive(Debug, PartialEq, Eq)]
struct Anchor {
    href: String,
    class: String,
}

/// The `<a>` elements of an HTML fragment that have an `href`.
fn anchors(html: &str) -> Vec<Anchor> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let is_anchor = rest.len() > 1
            && rest.as_bytes()[0].eq_ignore_ascii_case(&b'a')
            && rest.as_bytes()[1].is_ascii_whitespace();
        if !is_anchor {
            continue;
        }
        let (tag, after) = split_tag(&rest[1..]);
        rest = after;
        let attributes = attributes(tag);
        let get = |name: &str| {
            attributes
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.replace("&amp;", "&"))
        };
        if let Some(href) = get("href") {
            found.push(Anchor {
                href,
                class: get("class").unwrap_or_default(),
            });
        }
    }
    found
}

/// Splits at the `>` that ends a tag (one inside a quoted attribute value does not).
fn split_tag(text: &str) -> (&str, &str) {
    let mut quote = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return (&text[..i], &text[i + 1..]),
            _ => {}
        }
    }
    (text, "")
}

/// The attributes of a tag's inside (`href="…" class=x`), names lowercased.
fn attributes(mut tag: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    loop {
        tag = tag.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        let name_end = tag
            .find(|c: char| c.is_whitespace() || c == '=' || c == '/')
            .unwrap_or(tag.len());
        if name_end == 0 {
            // Nothing left, or a stray `=`: skip one character.
            match tag.chars().next() {
                Some(c) => tag = &tag[c.len_utf8()..],
                None => return out,
            }
            continue;
        }
        let name = tag[..name_end].to_ascii_lowercase();
        tag = tag[name_end..].trim_start();
        let value = match tag.strip_prefix('=') {
            Some(after) => {
                let after = after.trim_start();
                let (value, rest) = match after.chars().next() {
                    Some(q @ ('"' | '\'')) => {
                        let inner = &after[1..];
                        let end = inner.find(q).unwrap_or(inner.len());
                        (&inner[..end], inner.get(end + 1..).unwrap_or(""))
                    }
                    _ => {
                        let end = after.find(char::is_whitespace).unwrap_or(after.len());
                        (&after[..end], &after[end..])
                    }
                };
                tag = rest;
                value.to_owned()
            }
            None => String::new(),
        };
        out.push((name, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn anchors_are_read_whatever_the_quoting() {
        let html = r#"<p>See <a href="https://a.example/x?y=1&amp;z=2" rel="nofollow">this</a>,
            <A class='u-url mention' href='https://m.example/@bob'>@bob</A>
            <a   href=https://b.example/>b</a> <abbr title="x">a</abbr> <a name="x">no</a>
            <a title="2 > 1" href="https://c.example">c</a></p>"#;
        assert_eq!(
            anchors(html),
            vec![
                Anchor {
                    href: "https://a.example/x?y=1&z=2".into(),
                    class: String::new()
                },
                Anchor {
                    href: "https://m.example/@bob".into(),
                    class: "u-url mention".into()
                },
                Anchor {
                    href: "https://b.example/".into(),
                    class: String::new()
                },
                Anchor {
                    href: "https://c.example".into(),
                    class: String::new()
                },
            ]
        );
        assert_eq!(
            anchors("<a href=").len(),
            1,
            "an unfinished tag is read to the end"
        );
    }

    #[test]
    fn links_leave_out_mentions_and_hashtags_and_take_link_attachments() {
        let html = r#"<p><a href="https://h.example/groups/g" class="u-url mention">@g</a>
            <a href="https://m.example/tags/x" class="mention hashtag">#x</a>
            <a href="https://Spam.Example/buy">buy</a> <a href="https://spam.example/buy">again</a>
            <a href="mailto:x@y.example">mail</a></p>"#;
        let object = json!({"attachment": [{"type": "Link", "href": "https://link.example/post"},
            {"type": "Image", "url": "https://img.example/a.png"}]});
        let mut hosts = link_hosts(&object, html);
        hosts.sort();
        assert_eq!(hosts, vec!["link.example", "spam.example"]);
    }
}
