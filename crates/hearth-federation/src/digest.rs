//! The weekly insights digest for a group's managers: the last seven days against the seven
//! before (members, joins, leaves, activity, reports, open report cases). Staff read it on
//! the group's digest page; once a week the group sends it as a direct message to each of its
//! moderators on other instances. (There is no email: Hearth has no mail settings.)

use hearth_storage::{
    now_ms, Group, InsightRange, InsightScope, InsightTotals, StoreError, UnitOfWork,
};

use crate::notices::direct_message;
use crate::Federation;

/// The name of the scheduled job that sends digests.
const JOB: &str = "insights-digest";
/// Digests go out this often.
const EVERY_MS: i64 = 7 * 24 * 3600 * 1000;
/// How long a process may take to send them before another may try.
const LEASE_MS: i64 = 10 * 60 * 1000;

/// One line of a digest.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestLine {
    /// What is counted.
    pub label: &'static str,
    /// The last seven days.
    pub value: i64,
    /// The seven days before.
    pub previous: i64,
}

/// A group's week in numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Digest {
    /// First day of the week (days since the Unix epoch).
    pub from_day: i64,
    /// Last day, included (today).
    pub to_day: i64,
    /// The numbers, with last week's.
    pub lines: Vec<DigestLine>,
    /// Report cases waiting for a decision now.
    pub open_cases: i64,
}

/// A digest line's label and how to read it from totals.
type Line = (&'static str, fn(&InsightTotals) -> i64);

/// The headline numbers a digest compares.
const LINES: [Line; 8] = [
    ("Members", |t| t.members),
    ("Joined", |t| t.joins),
    ("Left", |t| t.leaves),
    ("Active people", |t| t.active),
    ("New threads", |t| t.posts),
    ("Replies", |t| t.replies),
    ("Reactions", |t| t.reactions),
    ("Reports", |t| t.reports),
];

async fn totals(
    fed: &Federation,
    scope: InsightScope,
    range: InsightRange,
) -> Result<InsightTotals, StoreError> {
    let store = fed.store();
    let days = store.insight_days(scope, range).await?;
    store.insight_totals(scope, range, &days).await
}

/// `group`'s digest for the seven days up to today (bringing the rollups up to date first).
pub async fn weekly_digest(fed: &Federation, group: &Group) -> Result<Digest, StoreError> {
    let store = fed.store();
    let now = now_ms();
    store.refresh_insights(now).await?;
    let today = now.div_euclid(24 * 3600 * 1000);
    let scope = InsightScope::Group(group.id);
    let week = InsightRange {
        from_day: today - 6,
        to_day: today,
    };
    let before = InsightRange {
        from_day: today - 13,
        to_day: today - 7,
    };
    let (now_totals, before_totals) = (
        totals(fed, scope, week).await?,
        totals(fed, scope, before).await?,
    );
    Ok(Digest {
        from_day: week.from_day,
        to_day: week.to_day,
        lines: LINES
            .iter()
            .map(|(label, f)| DigestLine {
                label,
                value: f(&now_totals),
                previous: f(&before_totals),
            })
            .collect(),
        open_cases: store.count_open_cases(group.id).await?,
    })
}

/// The digest as the HTML of a direct message (after the mention of its reader).
pub fn digest_html(fed: &Federation, group: &Group, digest: &Digest) -> String {
    let lines: Vec<String> = digest
        .lines
        .iter()
        .map(|l| format!("{}: {} (the week before: {})", l.label, l.value, l.previous))
        .collect();
    let page = fed.urls().group(&group.name);
    format!(
        "This week in {} — {}. Open reports: {}. <a href=\"{page}\">{page}</a>",
        ammonia::clean_text(&group.title),
        ammonia::clean_text(&lines.join("; ")),
        digest.open_cases,
    )
}

/// Sends `group`'s digest to each of its moderators on other instances; returns how many.
pub async fn send_digest(fed: &Federation, group: &Group) -> Result<usize, StoreError> {
    let store = fed.store();
    let moderators = store.group_moderators(group.id).await?;
    if moderators.is_empty() {
        return Ok(0);
    }
    let html = digest_html(fed, group, &weekly_digest(fed, group).await?);
    let mut work = UnitOfWork::default();
    for moderator in &moderators {
        if let Some(actor) = store.actor_by_id(moderator.actor_id).await? {
            work.outbound
                .push(direct_message(fed, group, &actor, &html));
        }
    }
    let sent = work.outbound.len();
    store.commit(&work).await?;
    Ok(sent)
}

/// Once a week across all processes: sends every group's digest to its remote moderators.
pub async fn send_weekly_digests(fed: &Federation, owner: &str) {
    let store = fed.store();
    let now = now_ms();
    match store
        .claim_scheduled_job(JOB, owner, now, now + LEASE_MS, EVERY_MS)
        .await
    {
        Ok(true) => {}
        Ok(false) => return,
        Err(err) => {
            tracing::warn!(error = %err, "cannot claim the weekly digest");
            return;
        }
    }
    let groups = match store.list_groups().await {
        Ok(groups) => groups,
        Err(err) => {
            tracing::warn!(error = %err, "cannot list groups for the weekly digest");
            return;
        }
    };
    for summary in groups {
        let group = match store.group_by_name(&summary.name).await {
            Ok(Some(group)) if !group.is_archived() => group,
            Ok(_) => continue,
            Err(err) => {
                tracing::warn!(error = %err, group = %summary.name, "cannot read a group for its digest");
                continue;
            }
        };
        match send_digest(fed, &group).await {
            Ok(0) => {}
            Ok(sent) => tracing::info!(group = %group.name, sent, "weekly digest sent"),
            Err(err) => tracing::warn!(error = %err, group = %group.name, "weekly digest failed"),
        }
    }
}
