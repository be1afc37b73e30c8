//! Community insights as people read them: a [`Report`] for a group (or the instance) over a
//! date range, its headline numbers compared with the period before, and its charts as
//! [`Table`]s that render as SVG, HTML tables, CSV or JSON.

mod range;
mod svg;
mod tables;

pub use range::RangeQuery;
pub use svg::render as render_chart;

use hearth_storage::{
    now_ms, ActiveWindows, Cohort, DayInsight, DeliveryInsight, InsightRange, InsightScope,
    InsightTotals, InstanceMembers, ModerationInsight, Store, StoreError, Tally, ThreadInsight,
    UnansweredThread,
};
use serde::Serialize;

/// Threads listed in each top list.
const TOP_THREADS: i64 = 10;
/// A thread with no reply after this many hours counts as unanswered.
pub const UNANSWERED_HOURS: i64 = 24;
/// Unanswered threads listed.
const UNANSWERED_LISTED: i64 = 20;
/// Instances listed for delivery health.
const DELIVERY_HOSTS: i64 = 50;
/// Insights are refreshed on reading when the rollups are older than this (ms).
const STALE_MS: i64 = 60 * 1000;

/// One headline number, with the previous period's for comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Headline {
    /// Stable key, e.g. `members`.
    pub key: &'static str,
    /// What it is, for people.
    pub label: &'static str,
    /// This period.
    pub value: f64,
    /// The period before, when its data is kept.
    pub previous: Option<f64>,
    /// Change in percent (`None` without a previous period or from zero).
    pub change_percent: Option<f64>,
}

/// Unanswered threads: how many, and the newest.
#[derive(Debug, Clone, Serialize)]
pub struct Unanswered {
    /// Hours without a reply that make a thread unanswered.
    pub after_hours: i64,
    /// How many threads of the period.
    pub count: i64,
    /// The newest of them.
    pub threads: Vec<UnansweredThread>,
}

/// Everything the insights page shows.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The group's name, or `None` for the whole instance.
    pub group: Option<String>,
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day, included.
    pub to: String,
    /// Days in the range.
    pub days_in_range: i64,
    /// The headline numbers.
    pub headlines: Vec<Headline>,
    /// This period's totals.
    pub totals: InsightTotals,
    /// People active on the last day, and in the week and month up to it.
    pub active_windows: ActiveWindows,
    /// The previous period's, when kept.
    pub previous_totals: Option<InsightTotals>,
    /// Day by day.
    pub days: Vec<DayInsight>,
    /// Weekly join cohorts and their retention.
    pub cohorts: Vec<Cohort>,
    /// Threads with the most replies in the period.
    pub top_threads_by_replies: Vec<ThreadInsight>,
    /// Threads with the most distinct repliers in the period.
    pub top_threads_by_participants: Vec<ThreadInsight>,
    /// Threads nobody answered.
    pub unanswered: Unanswered,
    /// Posts, replies and reactions by hour of the day (UTC).
    pub busiest_hours: Vec<Tally>,
    /// Members by instance.
    pub instances: Vec<InstanceMembers>,
    /// Members by server software.
    pub software: Vec<Tally>,
    /// Instances whose first member joined in the period.
    pub new_instances: Vec<String>,
    /// Reports and moderators' actions.
    pub moderation: ModerationInsight,
    /// Delivery to the instances hosting members.
    pub delivery: Vec<DeliveryInsight>,
}

/// The date (`YYYY-MM-DD`) of a day number.
pub fn date_of(day: i64) -> String {
    chrono::DateTime::from_timestamp(day * 86_400, 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Today's day number (UTC).
pub fn today() -> i64 {
    now_ms().div_euclid(86_400_000)
}

/// Brings the rollups up to date unless they were refreshed in the last minute.
pub async fn refresh_if_stale(store: &Store) -> Result<(), StoreError> {
    let now = now_ms();
    if now - store.insights_refreshed_at().await? >= STALE_MS {
        store.refresh_insights(now).await?;
    }
    Ok(())
}

fn change(value: f64, previous: Option<f64>) -> Option<f64> {
    previous
        .filter(|p| *p != 0.0)
        .map(|p| ((value - p) * 1000.0 / p).round() / 10.0)
}

/// A headline's key, label and how to read it from totals.
type Pick = (&'static str, &'static str, fn(&InsightTotals) -> f64);

fn headlines(now: &InsightTotals, before: Option<&InsightTotals>) -> Vec<Headline> {
    let pick: [Pick; 9] = [
        ("members", "Members", |t| t.members as f64),
        ("net_growth", "Net growth", |t| t.net_growth as f64),
        ("joins", "Joined", |t| t.joins as f64),
        ("leaves", "Left", |t| t.leaves as f64),
        ("active", "Active people", |t| t.active as f64),
        (
            "engagement_percent",
            "Engagement (% of members active)",
            |t| t.engagement_percent,
        ),
        ("posts", "New threads", |t| t.posts as f64),
        ("replies", "Replies", |t| t.replies as f64),
        ("reports", "Reports", |t| t.reports as f64),
    ];
    pick.into_iter()
        .map(|(key, label, f)| {
            let value = f(now);
            let previous = before.map(f);
            Headline {
                key,
                label,
                value,
                previous,
                change_percent: change(value, previous),
            }
        })
        .collect()
}

fn by_software(instances: &[InstanceMembers]) -> Vec<Tally> {
    let mut tally: Vec<Tally> = Vec::new();
    for i in instances {
        let label = i.software.clone().unwrap_or_else(|| "unknown".into());
        match tally.iter_mut().find(|t| t.label == label) {
            Some(t) => t.count += i.members,
            None => tally.push(Tally {
                label,
                count: i.members,
            }),
        }
    }
    tally.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
    tally
}

impl Report {
    /// Builds the report of `scope` over `range` (refreshing stale rollups first).
    pub async fn build(
        store: &Store,
        group: Option<&str>,
        scope: InsightScope,
        range: InsightRange,
    ) -> Result<Report, StoreError> {
        refresh_if_stale(store).await?;
        let (now, today) = (now_ms(), today());
        let days = store.insight_days(scope, range).await?;
        let totals = store.insight_totals(scope, range, &days).await?;
        let previous_totals = match range.previous(today) {
            Some(before) => {
                let days = store.insight_days(scope, before).await?;
                Some(store.insight_totals(scope, before, &days).await?)
            }
            None => None,
        };
        let (count, threads) = store
            .insight_unanswered(scope, range, UNANSWERED_HOURS, now, UNANSWERED_LISTED)
            .await?;
        let instances = store.insight_instances(scope, range).await?;
        Ok(Report {
            group: group.map(str::to_owned),
            from: date_of(range.from_day),
            to: date_of(range.to_day),
            days_in_range: range.days(),
            headlines: headlines(&totals, previous_totals.as_ref()),
            cohorts: store.insight_cohorts(scope, range).await?,
            top_threads_by_replies: store
                .insight_top_threads(scope, range, false, TOP_THREADS)
                .await?,
            top_threads_by_participants: store
                .insight_top_threads(scope, range, true, TOP_THREADS)
                .await?,
            unanswered: Unanswered {
                after_hours: UNANSWERED_HOURS,
                count,
                threads,
            },
            busiest_hours: store.insight_hours_of_day(scope, range).await?,
            active_windows: store.insight_active_windows(scope, range.to_day).await?,
            software: by_software(&instances),
            new_instances: instances
                .iter()
                .filter(|i| i.new)
                .map(|i| i.host.clone())
                .collect(),
            instances,
            moderation: store.insight_moderation(scope, range).await?,
            delivery: store.insight_delivery(scope, now, DELIVERY_HOSTS).await?,
            totals,
            previous_totals,
            days,
        })
    }
}

/// A headline number for people: whole numbers without decimals, others to one decimal.
pub fn format_number(value: f64) -> String {
    tables::cell(Some(value))
}
