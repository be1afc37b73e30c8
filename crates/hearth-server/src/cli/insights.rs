//! `hearth insights [GROUP]`: a group's (or, without GROUP, the whole instance's) insights in
//! the terminal: headline numbers with their change since the previous period, moderation
//! speed, top threads, where members come from and join cohorts. `--json` prints the full
//! report as the API gives it; `--send-digest` sends the group's weekly digest to its remote
//! moderators now.

use anyhow::bail;
use clap::Args;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use hearth_federation::digest::send_digest;
use hearth_federation::Federation;
use hearth_storage::{now_ms, InsightScope};

use super::group::find;
use crate::config::Config;
use crate::insights::{date_of, format_number, today, RangeQuery, Report};

/// Rows printed per list.
const LISTED: usize = 10;

/// `hearth insights`.
#[derive(Args, Debug)]
pub struct InsightsArgs {
    /// The group's name; without it, every group together.
    pub group: Option<String>,
    /// The last N days, e.g. 7d, 30d, 90d.
    #[arg(long, default_value = "30d", conflicts_with = "from")]
    pub period: String,
    /// First day, YYYY-MM-DD (UTC), instead of --period.
    #[arg(long)]
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD (default: today).
    #[arg(long, requires = "from")]
    pub to: Option<String>,
    /// Bring the rollups up to date first (otherwise they are refreshed when more than a
    /// minute old).
    #[arg(long)]
    pub refresh: bool,
    /// Print the whole report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Send the group's weekly digest to its moderators on other instances now (the running
    /// server delivers it), instead of waiting for the weekly run.
    #[arg(long, requires = "group")]
    pub send_digest: bool,
}

fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_header(header.to_vec());
    table
}

fn print_report(report: &Report) {
    let whose = report.group.as_deref().unwrap_or("all groups");
    println!(
        "Insights for {whose}, {} to {} ({} days)",
        report.from, report.to, report.days_in_range
    );
    let mut headlines = table(&["", "this period", "period before", "change"]);
    for h in &report.headlines {
        headlines.add_row(vec![
            h.label.to_owned(),
            format_number(h.value),
            h.previous.map(format_number).unwrap_or_default(),
            h.change_percent
                .map(|c| format!("{c:+.1}%"))
                .unwrap_or_default(),
        ]);
    }
    println!("{headlines}");
    let m = &report.moderation;
    let hours = |ms: Option<i64>| {
        ms.map_or("–".into(), |ms| {
            format!("{:.1} h", ms as f64 / 3_600_000.0)
        })
    };
    println!(
        "Reports: {} cases opened, {} closed; first action median {}, p90 {}; resolution median {}, p90 {}",
        m.cases,
        m.closed,
        hours(m.first_action_median_ms),
        hours(m.first_action_p90_ms),
        hours(m.resolution_median_ms),
        hours(m.resolution_p90_ms)
    );
    println!(
        "Unanswered threads (no reply after {} h): {}",
        report.unanswered.after_hours, report.unanswered.count
    );
    if !report.top_threads_by_replies.is_empty() {
        let mut threads = table(&["thread", "replies", "participants"]);
        for t in report.top_threads_by_replies.iter().take(LISTED) {
            threads.add_row(vec![
                t.title
                    .clone()
                    .filter(|t| !t.is_empty())
                    .unwrap_or_else(|| t.ap_id.clone()),
                t.replies.to_string(),
                t.participants.to_string(),
            ]);
        }
        println!("{threads}");
    }
    if !report.instances.is_empty() {
        let mut instances = table(&["instance", "software", "members"]);
        for i in report.instances.iter().take(LISTED) {
            let new = if i.new { " (new)" } else { "" };
            instances.add_row(vec![
                format!("{}{new}", i.host),
                i.software.clone().unwrap_or_else(|| "unknown".into()),
                i.members.to_string(),
            ]);
        }
        println!("{instances}");
    }
    if !report.cohorts.is_empty() {
        let mut cohorts = table(&[
            "joined in week of",
            "joined",
            "after 1 week",
            "after 4",
            "after 12",
        ]);
        let share = |p: Option<f64>| p.map_or("–".into(), |p| format!("{p:.1}%"));
        for c in &report.cohorts {
            cohorts.add_row(vec![
                date_of(c.week_day),
                c.joined.to_string(),
                share(c.week_1),
                share(c.week_4),
                share(c.week_12),
            ]);
        }
        println!("{cohorts}");
    }
}

/// Runs `hearth insights`.
pub async fn run(config: Config, args: InsightsArgs) -> anyhow::Result<()> {
    let store = super::open_store(&config).await?;
    let query = RangeQuery {
        from: args.from.clone(),
        to: args.to.clone(),
        period: Some(args.period.clone()),
    };
    let range = match query.range(today()) {
        Ok(range) => range,
        Err(message) => bail!("{message}"),
    };
    let group = match &args.group {
        Some(name) => Some(find(&store, name).await?),
        None => None,
    };
    if let (true, Some(group)) = (args.send_digest, &group) {
        let fed = Federation::new(store.clone(), config.federation()?).await?;
        let sent = send_digest(&fed, group).await?;
        println!("Weekly digest queued for {sent} remote moderator(s).");
    }
    let scope = group
        .as_ref()
        .map_or(InsightScope::Instance, |g| InsightScope::Group(g.id));
    if args.refresh {
        store.refresh_insights(now_ms()).await?;
    }
    let report = Report::build(&store, args.group.as_deref(), scope, range).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    Ok(())
}
