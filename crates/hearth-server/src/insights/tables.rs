//! The report's charts as tables of numbers: what the SVG charts draw, what the HTML tables
//! beside them show, and what CSV and JSON exports carry.

use serde::Serialize;

use super::{date_of, Report};

/// How a chart is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChartKind {
    /// Lines over time.
    Line,
    /// Bars, one group per row.
    Bar,
    /// Only the table.
    Table,
}

/// Named columns of numbers, one row per label (a day, a thread, an instance…).
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    /// The first column's heading.
    pub label_column: &'static str,
    /// Each row's label.
    pub labels: Vec<String>,
    /// The number columns: heading, and one value per row (`None`: not known yet).
    pub series: Vec<(&'static str, Vec<Option<f64>>)>,
}

/// One chart of the report.
#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    /// Its name in export URLs, e.g. `members`.
    pub name: &'static str,
    /// Its heading.
    pub title: &'static str,
    /// How it is drawn.
    pub kind: ChartKind,
    /// Its data.
    pub table: Table,
}

/// A number for a table cell or CSV: integers without decimals, nothing for unknown.
pub fn cell(value: Option<f64>) -> String {
    match value {
        None => String::new(),
        Some(v) if v.fract() == 0.0 => format!("{}", v as i64),
        Some(v) => format!("{v:.1}"),
    }
}

impl Table {
    /// The table as CSV, with a header row.
    pub fn to_csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let header = std::iter::once(self.label_column).chain(self.series.iter().map(|s| s.0));
        // Writing to memory cannot fail.
        let _ = writer.write_record(header);
        for (i, label) in self.labels.iter().enumerate() {
            let row = std::iter::once(label.clone()).chain(
                self.series
                    .iter()
                    .map(|s| cell(s.1.get(i).copied().flatten())),
            );
            let _ = writer.write_record(row);
        }
        String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
    }

    /// Each row as cells, for an HTML table.
    pub fn rows(&self) -> Vec<Vec<String>> {
        self.labels
            .iter()
            .enumerate()
            .map(|(i, label)| {
                std::iter::once(label.clone())
                    .chain(
                        self.series
                            .iter()
                            .map(|s| cell(s.1.get(i).copied().flatten())),
                    )
                    .collect()
            })
            .collect()
    }
}

/// A column heading and how to read the column's value from an item.
type Column<'a, T> = (&'static str, &'a dyn Fn(&T) -> Option<f64>);

fn table<T>(
    label_column: &'static str,
    items: &[T],
    label: impl Fn(&T) -> String,
    series: &[Column<'_, T>],
) -> Table {
    Table {
        label_column,
        labels: items.iter().map(label).collect(),
        series: series
            .iter()
            .map(|(name, f)| (*name, items.iter().map(f).collect()))
            .collect(),
    }
}

fn n(v: i64) -> Option<f64> {
    Some(v as f64)
}

/// Sums of `days` per week of seven days from the range's start.
fn weekly(report: &Report) -> Table {
    let weeks: Vec<&[hearth_storage::DayInsight]> = report.days.chunks(7).collect();
    let sum = |w: &&[hearth_storage::DayInsight], f: fn(&hearth_storage::DayInsight) -> i64| {
        n(w.iter().map(f).sum())
    };
    table(
        "week",
        &weeks,
        |w| w.first().map(|d| date_of(d.day)).unwrap_or_default(),
        &[
            ("joins", &|w| sum(w, |d| d.joins)),
            ("leaves", &|w| sum(w, |d| d.leaves)),
            ("net_growth", &|w| sum(w, |d| d.joins - d.leaves)),
            ("reports", &|w| sum(w, |d| d.reports)),
        ],
    )
}

fn thread_label(t: &hearth_storage::ThreadInsight) -> String {
    t.title
        .clone()
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| t.ap_id.clone())
}

impl Report {
    /// Every chart of the report, in page order.
    pub fn charts(&self) -> Vec<Chart> {
        let day = |d: &hearth_storage::DayInsight| date_of(d.day);
        let chart = |name, title, kind, table| Chart {
            name,
            title,
            kind,
            table,
        };
        let tally = |label_column, items: &[hearth_storage::Tally]| {
            table(
                label_column,
                items,
                |t| t.label.clone(),
                &[("count", &|t| n(t.count))],
            )
        };
        let threads = |items: &[hearth_storage::ThreadInsight]| {
            table(
                "thread",
                items,
                thread_label,
                &[
                    ("replies", &|t| n(t.replies)),
                    ("participants", &|t| n(t.participants)),
                ],
            )
        };
        let now_day = super::today();
        vec![
            chart(
                "members",
                "Members",
                ChartKind::Line,
                table("date", &self.days, day, &[("members", &|d| n(d.members))]),
            ),
            chart(
                "activity",
                "Activity per day",
                ChartKind::Line,
                table(
                    "date",
                    &self.days,
                    day,
                    &[
                        ("posts", &|d| n(d.posts)),
                        ("replies", &|d| n(d.replies)),
                        ("reactions", &|d| n(d.reactions)),
                        ("active", &|d| n(d.active)),
                    ],
                ),
            ),
            chart(
                "growth",
                "Joins and leaves per day",
                ChartKind::Bar,
                table(
                    "date",
                    &self.days,
                    day,
                    &[("joins", &|d| n(d.joins)), ("leaves", &|d| n(d.leaves))],
                ),
            ),
            chart("weekly", "Per week", ChartKind::Bar, weekly(self)),
            chart(
                "cohorts",
                "Weekly join cohorts: % still active after 1, 4 and 12 weeks",
                ChartKind::Table,
                table(
                    "week",
                    &self.cohorts,
                    |c| date_of(c.week_day),
                    &[
                        ("joined", &|c| n(c.joined)),
                        ("week_1_percent", &|c| c.week_1),
                        ("week_4_percent", &|c| c.week_4),
                        ("week_12_percent", &|c| c.week_12),
                    ],
                ),
            ),
            chart(
                "threads",
                "Threads with the most replies",
                ChartKind::Bar,
                threads(&self.top_threads_by_replies),
            ),
            chart(
                "participants",
                "Threads with the most participants",
                ChartKind::Bar,
                threads(&self.top_threads_by_participants),
            ),
            chart(
                "unanswered",
                "Unanswered threads",
                ChartKind::Table,
                table(
                    "thread",
                    &self.unanswered.threads,
                    |t| {
                        t.title
                            .clone()
                            .filter(|t| !t.is_empty())
                            .unwrap_or_else(|| t.ap_id.clone())
                    },
                    &[("age_days", &|t| {
                        n(now_day - t.published.div_euclid(86_400_000))
                    })],
                ),
            ),
            chart(
                "hours",
                "Busiest hours (UTC)",
                ChartKind::Bar,
                tally("hour", &self.busiest_hours),
            ),
            chart(
                "instances",
                "Members by instance",
                ChartKind::Bar,
                table(
                    "instance",
                    &self.instances,
                    |i| i.host.clone(),
                    &[("members", &|i| n(i.members))],
                ),
            ),
            chart(
                "software",
                "Members by server software",
                ChartKind::Bar,
                tally("software", &self.software),
            ),
            chart(
                "rules",
                "Reports by rule cited",
                ChartKind::Bar,
                tally("rule", &self.moderation.by_rule),
            ),
            chart(
                "actions",
                "Moderation actions by type",
                ChartKind::Bar,
                tally("action", &self.moderation.by_action),
            ),
            chart(
                "moderators",
                "Moderation actions by moderator",
                ChartKind::Bar,
                tally("moderator", &self.moderation.by_moderator),
            ),
            chart(
                "delivery",
                "Delivery to members' instances",
                ChartKind::Table,
                table(
                    "instance",
                    &self.delivery,
                    |d| d.host.clone(),
                    &[
                        ("members", &|d| n(d.members)),
                        ("delivered", &|d| n(d.delivered)),
                        ("dead", &|d| n(d.dead)),
                        ("queued", &|d| n(d.queued)),
                        ("success_percent", &|d| d.success_percent),
                        ("lag_seconds", &|d| d.lag_ms.map(|ms| (ms / 1000) as f64)),
                    ],
                ),
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_has_a_header_and_blank_unknowns() {
        let t = Table {
            label_column: "week",
            labels: vec!["2026-11-02".into(), "2026-11-09".into()],
            series: vec![
                ("joined", vec![Some(3.0), Some(1.0)]),
                ("week_1_percent", vec![Some(33.3), None]),
            ],
        };
        assert_eq!(
            t.to_csv(),
            "week,joined,week_1_percent\n2026-11-02,3,33.3\n2026-11-09,1,\n"
        );
    }
}
