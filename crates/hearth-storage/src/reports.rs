//! Reports (`Flag`s) from other instances and the cases that gather them.

use crate::error::Result;
use crate::store::{on_pool, Store};

/// A report to store (see [`crate::Change::Report`]).
#[derive(Debug, Clone)]
pub struct NewReport {
    /// The `Flag`'s id.
    pub ap_id: String,
    /// Who reported (the reporting instance's actor, often).
    pub reporter_id: i64,
    /// The group it concerns.
    pub group_id: i64,
    /// The post reported, when one is named and held here.
    pub post_id: Option<i64>,
    /// The reported actor, when known.
    pub reported_ap_id: Option<String>,
    /// What the case is about: the post's id, else the reported actor's.
    pub subject_ap_id: String,
    /// The reason given.
    pub content: String,
    /// The `Flag` as received.
    pub raw: String,
}

/// One stored report.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Report {
    /// Row id.
    pub id: i64,
    /// The `Flag`'s id.
    pub ap_id: String,
    /// The reporter's actor id.
    pub reporter_ap_id: String,
    /// The reported actor, when known.
    pub reported_ap_id: Option<String>,
    /// The reason given.
    pub content: String,
    /// When it arrived (ms).
    pub created_at: i64,
    /// When the reporter withdrew it (ms).
    pub withdrawn_at: Option<i64>,
    /// Its case.
    pub case_id: i64,
}

/// A case: the reports about one post (or one actor) in one group.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReportCase {
    /// Row id.
    pub id: i64,
    /// The group.
    pub group_id: i64,
    /// The post, when the case is about one.
    pub post_id: Option<i64>,
    /// The post's id, or the reported actor's.
    pub subject_ap_id: String,
    /// `open`, `resolved`, `dismissed` or `escalated`.
    pub state: String,
    /// The account handling it.
    pub assignee_id: Option<i64>,
    /// When the first report arrived (ms).
    pub created_at: i64,
    /// When it was closed (ms).
    pub closed_at: Option<i64>,
    /// Who closed it.
    pub closed_by: Option<String>,
    /// Why.
    pub decision_reason: String,
    /// The group rule the decision cited.
    pub rule_id: Option<i64>,
    /// Reports not withdrawn.
    pub active_reports: i64,
}

const CASE_SELECT: &str = "SELECT c.id, c.group_id, c.post_id, c.subject_ap_id, c.state, \
    c.assignee_id, c.created_at, c.closed_at, c.closed_by, c.decision_reason, c.rule_id, \
    (SELECT COUNT(*) FROM reports r WHERE r.case_id = c.id AND r.withdrawn_at IS NULL) AS active_reports \
    FROM report_cases c";

/// An escalated case with its group, for the instance's admins.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EscalatedCase {
    /// The case.
    pub id: i64,
    /// Its group's name.
    pub group_name: String,
    /// Its group's title.
    pub group_title: String,
    /// The post's id, or the reported actor's.
    pub subject_ap_id: String,
    /// When it was escalated (ms).
    pub closed_at: Option<i64>,
    /// Who escalated it.
    pub closed_by: Option<String>,
    /// Why.
    pub decision_reason: String,
}

impl Store {
    /// A group's open cases, oldest first.
    pub async fn open_cases(&self, group_id: i64) -> Result<Vec<ReportCase>> {
        let sql = format!(
            "{CASE_SELECT} WHERE c.group_id = $1 AND c.state = 'open' ORDER BY c.created_at, c.id"
        );
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(group_id).fetch_all(pool).await?))
    }

    /// How many cases of a group are open.
    pub async fn count_open_cases(&self, group_id: i64) -> Result<i64> {
        let sql = "SELECT COUNT(*) FROM report_cases WHERE group_id = $1 AND state = 'open'";
        on_pool!(self, pool => Ok(sqlx::query_scalar(sql).bind(group_id).fetch_one(pool).await?))
    }

    /// One case of a group.
    pub async fn report_case(&self, group_id: i64, id: i64) -> Result<Option<ReportCase>> {
        let sql = format!("{CASE_SELECT} WHERE c.group_id = $1 AND c.id = $2");
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(group_id).bind(id).fetch_optional(pool).await?))
    }

    /// The reports of a case, oldest first (withdrawn ones included).
    pub async fn case_reports(&self, case_id: i64) -> Result<Vec<Report>> {
        let sql = "SELECT r.id, r.ap_id, a.ap_id AS reporter_ap_id, r.reported_ap_id, r.content, \
            r.created_at, r.withdrawn_at, r.case_id FROM reports r JOIN actors a ON a.id = r.reporter_id \
            WHERE r.case_id = $1 ORDER BY r.created_at, r.id";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).bind(case_id).fetch_all(pool).await?))
    }

    /// Reports sent by an actor since `since_ms`, for rate limiting.
    pub async fn count_reports_since(&self, reporter_id: i64, since_ms: i64) -> Result<i64> {
        let sql = "SELECT COUNT(*) FROM reports WHERE reporter_id = $1 AND created_at >= $2";
        on_pool!(self, pool => Ok(sqlx::query_scalar(sql).bind(reporter_id).bind(since_ms).fetch_one(pool).await?))
    }

    /// Whether a report with this id, by this reporter, is stored.
    pub async fn report_exists(&self, ap_id: &str, reporter_id: i64) -> Result<bool> {
        let sql = "SELECT COUNT(*) FROM reports WHERE ap_id = $1 AND reporter_id = $2";
        on_pool!(self, pool => {
            let n: i64 = sqlx::query_scalar(sql).bind(ap_id).bind(reporter_id).fetch_one(pool).await?;
            Ok(n > 0)
        })
    }

    /// The row id of the post whose id or human-facing URL is `address`.
    pub async fn post_id_by_address(&self, address: &str) -> Result<Option<i64>> {
        let sql = "SELECT id FROM posts WHERE ap_id = $1 OR url = $1 ORDER BY id LIMIT 1";
        on_pool!(self, pool => Ok(sqlx::query_scalar(sql).bind(address).fetch_optional(pool).await?))
    }

    /// Cases handed to the instance's admins, oldest first, across every group.
    pub async fn escalated_cases(&self) -> Result<Vec<EscalatedCase>> {
        let sql = "SELECT c.id, g.name AS group_name, g.title AS group_title, c.subject_ap_id, c.closed_at, \
            c.closed_by, c.decision_reason FROM report_cases c JOIN groups g ON g.id = c.group_id \
            WHERE c.state = 'escalated' ORDER BY c.closed_at, c.id";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).fetch_all(pool).await?))
    }

    /// A report's `Flag` exactly as received.
    pub async fn report_raw(&self, report_id: i64) -> Result<Option<String>> {
        let sql = "SELECT raw FROM reports WHERE id = $1";
        on_pool!(self, pool => Ok(sqlx::query_scalar(sql).bind(report_id).fetch_optional(pool).await?))
    }
}
