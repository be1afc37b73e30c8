//! `Flag`: reports from other instances, gathered into cases for the group's moderators.
//!
//! Shapes taken: Mastodon and GoToSocial (from the instance actor, `object` a list of account
//! and status ids or a bare id, the reason in `content`, addressed with `to`, `bto` or not at
//! all), Lemmy and Mbin (from the reporting user to the group, `object` a post id, the reason
//! in `summary`, `audience` the group), Misskey (status URLs inside `content`). `Undo` of a
//! `Flag` (NodeBB) withdraws the report; see [`withdraw`].

use hearth_storage::{Change, Group, NewReport, UnitOfWork};
use serde_json::Value;
use url::Url;

use super::{Handled, Inbound, Rejection};
use crate::vocab::inbound::{ids_of, str_of};
use crate::Federation;

/// Reports one actor may file per hour; more are refused with 429.
pub const REPORTS_PER_HOUR: i64 = 10;

/// Longest reason kept, in characters.
const MAX_REASON_CHARS: usize = 5_000;

/// The `http(s)://` URLs in a text (Misskey names the reported notes in the comment).
fn urls_in(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>'))
        .filter(|word| word.starts_with("https://") || word.starts_with("http://"))
        .map(|word| word.trim_end_matches(['.', ',', ')', ';']).to_owned())
        .filter(|word| Url::parse(word).is_ok())
        .collect()
}

/// The reason given: `content`, else `summary`, cut to a sane length.
fn reason(activity: &Value) -> String {
    let text = str_of(activity, "content")
        .filter(|t| !t.trim().is_empty())
        .or_else(|| str_of(activity, "summary"))
        .unwrap_or_default();
    text.chars().take(MAX_REASON_CHARS).collect()
}

/// Files the report, or explains why not.
pub(super) async fn flag(
    fed: &Federation,
    inbound: &Inbound<'_>,
) -> Result<Option<Handled>, Rejection> {
    let activity = inbound.activity;
    let reporter = &inbound.actor;
    if let hearth_moderation::Verdict::Federate {
        reject_reports: true,
        ..
    } = fed.judge_host(&reporter.host)
    {
        let work = UnitOfWork {
            received: Some(inbound.dedupe_key.clone()),
            ..UnitOfWork::default()
        };
        return Ok(Some(Handled::new(
            work,
            format!("reports from {} are not taken here", reporter.host),
        )));
    }
    if fed.store().is_ignored_reporter(reporter.id).await? {
        let work = UnitOfWork {
            received: Some(inbound.dedupe_key.clone()),
            ..UnitOfWork::default()
        };
        return Ok(Some(Handled::new(
            work,
            format!("reports from {} are ignored here", reporter.ap_id),
        )));
    }
    let since = hearth_storage::now_ms() - 3_600_000;
    if fed.store().count_reports_since(reporter.id, since).await? >= REPORTS_PER_HOUR {
        return Err(Rejection::new(
            429,
            format!(
                "{} has sent {REPORTS_PER_HOUR} reports in the last hour; send more later",
                reporter.ap_id
            ),
        ));
    }

    let mut addresses: Vec<String> = ids_of(activity.get("object"))
        .into_iter()
        .map(str::to_owned)
        .collect();
    for key in ["content", "summary"] {
        if let Some(text) = str_of(activity, key) {
            addresses.extend(urls_in(text));
        }
    }
    let mut group_named: Option<Group> = None;
    let mut post = None;
    let mut reported: Option<String> = None;
    for address in &addresses {
        let Ok(url) = Url::parse(address) else {
            continue;
        };
        if let Some(name) = fed.urls().group_name_of(&url) {
            if group_named.is_none() {
                group_named = fed.store().group_by_name(&name).await?;
            }
            continue;
        }
        if fed.urls().is_local(&url) {
            continue;
        }
        if post.is_none() {
            if let Some(id) = fed.store().post_id_by_address(address).await? {
                post = fed.store().post_by_id(id).await?;
                continue;
            }
        }
        if reported.is_none() {
            if let Some(actor) = fed.store().actor_by_ap_id(address).await? {
                reported = Some(actor.ap_id);
            }
        }
    }
    if let Some(post) = &post {
        if reported.is_none() {
            reported = Some(post.author_ap_id.clone());
        }
    }

    let group = match (&post, group_named, inbound.inbox_group.clone()) {
        (Some(post), _, _) => fed.store().group_by_id(post.group_id).await?,
        (None, Some(group), _) | (None, None, Some(group)) => Some(group),
        (None, None, None) => fed.addressed_groups(&[activity]).await?.into_iter().next(),
    };
    let subject = match (&post, &reported, &group) {
        (Some(post), _, _) => post.ap_id.clone(),
        (None, Some(actor), _) => actor.clone(),
        (None, None, Some(group)) if addresses.iter().any(|a| *a == fed.urls().group(&group.name).as_str()) => {
            fed.urls().group(&group.name).to_string()
        }
        _ => {
            return Err(Rejection::unprocessable(format!(
                "the report names nothing this server holds (no post, member or group among {}); it was not filed",
                if addresses.is_empty() { "its objects".to_owned() } else { addresses.join(", ") }
            )))
        }
    };
    let Some(group) = group else {
        return Err(Rejection::unprocessable(
            "the report does not say which group it concerns: address it to the group or name one of its posts",
        ));
    };
    // The reporter's software decides whether it is told of the outcome (Lemmy's `Resolve`).
    fed.learn_instance_soon(&reporter.host, &reporter.ap_id);
    let content = reason(activity);
    let outbound = crate::actions::cases::moderator_copies(
        fed,
        &group,
        &subject,
        reported.as_deref(),
        &content,
    )
    .await?;
    let report = NewReport {
        ap_id: inbound.id.to_owned(),
        reporter_id: reporter.id,
        group_id: group.id,
        post_id: post.as_ref().map(|p| p.id),
        reported_ap_id: reported,
        subject_ap_id: subject.clone(),
        content,
        raw: inbound.raw.to_owned(),
    };
    let work = UnitOfWork {
        received: Some(inbound.dedupe_key.clone()),
        changes: vec![Change::Report(report)],
        outbound,
    };
    Ok(Some(Handled::new(
        work,
        format!(
            "report about {subject} filed for the moderators of {}",
            group.name
        ),
    )))
}

/// `Undo` of a `Flag` (`inner`, embedded or by id): withdraws the report when its sender
/// filed it.
pub(super) async fn withdraw(
    fed: &Federation,
    inbound: &Inbound<'_>,
    flag_id: &str,
) -> Result<Option<Handled>, Rejection> {
    if !fed.store().report_exists(flag_id, inbound.actor.id).await? {
        return Ok(None);
    }
    let work = UnitOfWork {
        received: Some(inbound.dedupe_key.clone()),
        changes: vec![Change::WithdrawReport {
            ap_id: flag_id.to_owned(),
            reporter_id: inbound.actor.id,
        }],
        outbound: Vec::new(),
    };
    Ok(Some(Handled::new(
        work,
        format!("report {flag_id} withdrawn"),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_found_in_a_comment() {
        assert_eq!(
            urls_in("Spam: https://a.example/notes/1, and <https://b.example/p/2>."),
            vec!["https://a.example/notes/1", "https://b.example/p/2"]
        );
        assert!(urls_in("nothing here").is_empty());
    }
}
