//! The insights pages: `/admin/groups/{name}/insights` for a group's staff and
//! `/admin/insights` for instance admins. Each shows the headline numbers with their change
//! since the previous period, then every chart as SVG with its table, for a chosen date range;
//! `…/insights.json` and `…/insights/{chart}.csv` export the same data. A group's weekly
//! digest is at `/admin/groups/{name}/digest`.

use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use hearth_federation::digest::weekly_digest;
use hearth_storage::{Group, InsightScope, ModerationInsight};
use minijinja::{context, Value};

use super::forms::{group_path, Cx, Notice, Reply};
use crate::accounts::Permission;
use crate::http::auth::PageStaff;
use crate::http::AppState;
use crate::insights::{render_chart, today, RangeQuery, Report};

/// The presets offered beside the date fields.
const PRESETS: [i64; 3] = [7, 30, 90];

/// Whose insights a request is about.
struct Subject {
    group: Option<Group>,
    /// `/admin/groups/{name}/insights` or `/admin/insights`.
    base: String,
}

impl Subject {
    fn scope(&self) -> InsightScope {
        self.group
            .as_ref()
            .map_or(InsightScope::Instance, |g| InsightScope::Group(g.id))
    }
}

/// The group named `name` (for its staff), or the instance (for admins).
async fn subject(cx: &Cx<'_>, name: Option<&str>) -> Result<Subject, Response> {
    match name {
        Some(name) => {
            let group = cx.group(name).await?;
            cx.require(Permission::ViewGroup, Some(&group))?;
            Ok(Subject {
                base: group_path(&group.name, "/insights"),
                group: Some(group),
            })
        }
        None => {
            cx.require(Permission::AdministerInstance, None)?;
            Ok(Subject {
                group: None,
                base: "/admin/insights".into(),
            })
        }
    }
}

async fn report(cx: &Cx<'_>, subject: &Subject, query: &RangeQuery) -> Result<Report, Response> {
    let range = query.range(today()).map_err(|message| {
        cx.failure(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Cannot show that period",
            &message,
        )
    })?;
    let name = subject.group.as_ref().map(|g| g.name.as_str());
    Report::build(cx.state.fed.store(), name, subject.scope(), range)
        .await
        .map_err(|e| cx.unavailable(e))
}

/// A duration in words: `45 s`, `12 min`, `3.5 h`, `2.1 days`.
fn duration(ms: Option<i64>) -> String {
    let Some(ms) = ms else {
        return "–".into();
    };
    let secs = ms as f64 / 1000.0;
    if secs < 60.0 {
        format!("{secs:.0} s")
    } else if secs < 3600.0 {
        format!("{:.0} min", secs / 60.0)
    } else if secs < 86_400.0 {
        format!("{:.1} h", secs / 3600.0)
    } else {
        format!("{:.1} days", secs / 86_400.0)
    }
}

fn moderation_view(m: &ModerationInsight) -> Value {
    context! {
        cases => m.cases,
        closed => m.closed,
        first_action_median => duration(m.first_action_median_ms),
        first_action_p90 => duration(m.first_action_p90_ms),
        resolution_median => duration(m.resolution_median_ms),
        resolution_p90 => duration(m.resolution_p90_ms),
    }
}

/// The query string that asks for the same range (for export links).
fn range_query(report: &Report) -> String {
    format!("?from={}&to={}", report.from, report.to)
}

fn page(cx: &Cx<'_>, subject: &Subject, report: &Report, query: &RangeQuery) -> Response {
    let suffix = range_query(report);
    let headlines: Vec<Value> = report
        .headlines
        .iter()
        .map(|h| {
            context! {
                label => h.label,
                value => crate::insights::format_number(h.value),
                previous => h.previous.map(crate::insights::format_number),
                change => h.change_percent.map(|c| format!("{c:+.1}%")),
                up => h.change_percent.map(|c| c >= 0.0),
            }
        })
        .collect();
    let charts: Vec<Value> = report
        .charts()
        .iter()
        .map(|chart| {
            context! {
                name => chart.name,
                title => chart.title,
                svg => render_chart(chart).map(Value::from_safe_string),
                columns => std::iter::once(chart.table.label_column)
                    .chain(chart.table.series.iter().map(|s| s.0))
                    .collect::<Vec<_>>(),
                rows => chart.table.rows(),
                csv_url => format!("{}/{}.csv{suffix}", subject.base, chart.name),
            }
        })
        .collect();
    let presets: Vec<Value> = PRESETS
        .iter()
        .map(|days| {
            context! {
                label => format!("{days} days"),
                url => format!("{}?period={days}d", subject.base),
                current => query.from.is_none() && report.days_in_range == *days,
            }
        })
        .collect();
    let ctx = context! {
        section => "insights",
        instance_wide => subject.group.is_none(),
        url => subject.base.clone(),
        json_url => format!("{}.json{suffix}", subject.base),
        from => report.from.clone(),
        to => report.to.clone(),
        presets,
        headlines,
        charts,
        moderation => moderation_view(&report.moderation),
        new_instances => report.new_instances.clone(),
        unanswered_hours => report.unanswered.after_hours,
        unanswered_count => report.unanswered.count,
    };
    let ctx = match &subject.group {
        Some(group) => context! { group => cx.group_view(group), ..ctx },
        None => ctx,
    };
    cx.page("admin/insights.html", Notice::None, ctx)
}

async fn show(cx: &Cx<'_>, name: Option<&str>, query: &RangeQuery) -> Reply {
    let subject = subject(cx, name).await?;
    let report = report(cx, &subject, query).await?;
    Ok(page(cx, &subject, &report, query))
}

async fn json(cx: &Cx<'_>, name: Option<&str>, query: &RangeQuery) -> Reply {
    let subject = subject(cx, name).await?;
    let report = report(cx, &subject, query).await?;
    Ok(Json(report).into_response())
}

async fn csv(cx: &Cx<'_>, name: Option<&str>, file: &str, query: &RangeQuery) -> Reply {
    let subject = subject(cx, name).await?;
    let not_found = || {
        cx.failure(
            StatusCode::NOT_FOUND,
            "No such chart",
            &format!("There is no chart called {file}; each chart's export link is on the insights page."),
        )
    };
    let chart_name = file.strip_suffix(".csv").ok_or_else(not_found)?;
    let report = report(cx, &subject, query).await?;
    let chart = report
        .charts()
        .into_iter()
        .find(|c| c.name == chart_name)
        .ok_or_else(not_found)?;
    let who = subject
        .group
        .as_ref()
        .map_or("instance", |g| g.name.as_str());
    let filename = format!("{who}-{chart_name}-{}-{}.csv", report.from, report.to);
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        chart.table.to_csv(),
    )
        .into_response())
}

/// `GET /admin/groups/{name}/insights`.
pub(super) async fn group_page(
    State(state): State<AppState>,
    who: PageStaff,
    Path(name): Path<String>,
    Query(query): Query<RangeQuery>,
) -> Reply {
    show(&Cx::new(&state, &who), Some(&name), &query).await
}

/// `GET /admin/groups/{name}/insights.json`.
pub(super) async fn group_json(
    State(state): State<AppState>,
    who: PageStaff,
    Path(name): Path<String>,
    Query(query): Query<RangeQuery>,
) -> Reply {
    json(&Cx::new(&state, &who), Some(&name), &query).await
}

/// `GET /admin/groups/{name}/insights/{chart}.csv`.
pub(super) async fn group_csv(
    State(state): State<AppState>,
    who: PageStaff,
    Path((name, file)): Path<(String, String)>,
    Query(query): Query<RangeQuery>,
) -> Reply {
    csv(&Cx::new(&state, &who), Some(&name), &file, &query).await
}

/// `GET /admin/insights`: every group together (instance admins).
pub(super) async fn instance_page(
    State(state): State<AppState>,
    who: PageStaff,
    Query(query): Query<RangeQuery>,
) -> Reply {
    show(&Cx::new(&state, &who), None, &query).await
}

/// `GET /admin/insights.json`.
pub(super) async fn instance_json(
    State(state): State<AppState>,
    who: PageStaff,
    Query(query): Query<RangeQuery>,
) -> Reply {
    json(&Cx::new(&state, &who), None, &query).await
}

/// `GET /admin/insights/{chart}.csv`.
pub(super) async fn instance_csv(
    State(state): State<AppState>,
    who: PageStaff,
    Path(file): Path<String>,
    Query(query): Query<RangeQuery>,
) -> Reply {
    csv(&Cx::new(&state, &who), None, &file, &query).await
}

/// `GET /admin/groups/{name}/digest`: the weekly digest, as the group's remote moderators
/// receive it.
pub(super) async fn digest(
    State(state): State<AppState>,
    who: PageStaff,
    Path(name): Path<String>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    let subject = subject(&cx, Some(&name)).await?;
    let Some(group) = &subject.group else {
        return Err(cx.failure(
            StatusCode::NOT_FOUND,
            "No such group",
            "There is no group by that name here.",
        ));
    };
    let store = state.fed.store();
    let (digest, moderators) = match tokio::try_join!(
        weekly_digest(&state.fed, group),
        store.group_moderators(group.id)
    ) {
        Ok(found) => found,
        Err(err) => return Err(cx.unavailable(err)),
    };
    let lines: Vec<Value> = digest
        .lines
        .iter()
        .map(|l| {
            context! {
                label => l.label,
                value => l.value,
                previous => l.previous,
                change => l.value - l.previous,
            }
        })
        .collect();
    Ok(cx.page(
        "admin/digest.html",
        Notice::None,
        context! {
            group => cx.group_view(group),
            section => "insights",
            from => crate::insights::date_of(digest.from_day),
            to => crate::insights::date_of(digest.to_day),
            lines,
            open_cases => digest.open_cases,
            recipients => moderators.iter().map(|m| m.handle()).collect::<Vec<_>>(),
            insights_url => subject.base.clone(),
        },
    ))
}
