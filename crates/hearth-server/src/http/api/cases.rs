//! `/api/v1/groups/{name}/cases…`: reports (`Flag`s) from other instances, one case per
//! reported post (or actor) in a group, for its moderators to close.

use axum::extract::{Path, State};
use axum::Json;
use hearth_storage::{Report, ReportCase, Store};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{group_for, Body};
use super::schema::ErrorBody;
use crate::accounts::Permission;
use crate::http::auth::ApiStaff;
use crate::http::error::ApiError;
use crate::http::AppState;

fn time(ms: i64) -> String {
    hearth_federation::vocab::documents::format_time(ms)
}

/// One report in a case.
#[derive(Serialize, ToSchema)]
pub struct ReportView {
    /// The `Flag`'s id.
    pub id: String,
    /// Who reported (often the reporting instance's actor).
    pub reporter: String,
    /// The reported actor, when known.
    pub reported: Option<String>,
    /// The reason given.
    pub reason: String,
    /// When it arrived.
    pub received_at: String,
    /// When its sender withdrew it.
    pub withdrawn_at: Option<String>,
}

impl From<Report> for ReportView {
    fn from(r: Report) -> Self {
        ReportView {
            id: r.ap_id,
            reporter: r.reporter_ap_id,
            reported: r.reported_ap_id,
            reason: r.content,
            received_at: time(r.created_at),
            withdrawn_at: r.withdrawn_at.map(time),
        }
    }
}

/// A case: the reports about one post or actor.
#[derive(Serialize, ToSchema)]
pub struct CaseView {
    /// Id, for deciding.
    pub id: i64,
    /// The reported post's id, or the reported actor's.
    pub subject: String,
    /// `open`, `resolved`, `dismissed` or `escalated`.
    pub state: String,
    /// Reports not withdrawn.
    pub active_reports: i64,
    /// When the first report arrived.
    pub opened_at: String,
    /// When it was closed.
    pub closed_at: Option<String>,
    /// Who closed it.
    pub closed_by: Option<String>,
    /// Why.
    pub decision_reason: String,
    /// Its reports, oldest first.
    pub reports: Vec<ReportView>,
}

async fn view(store: &Store, case: ReportCase) -> Result<CaseView, ApiError> {
    let reports = store.case_reports(case.id).await?;
    Ok(CaseView {
        id: case.id,
        subject: case.subject_ap_id,
        state: case.state,
        active_reports: case.active_reports,
        opened_at: time(case.created_at),
        closed_at: case.closed_at.map(time),
        closed_by: case.closed_by,
        decision_reason: case.decision_reason,
        reports: reports.into_iter().map(ReportView::from).collect(),
    })
}

/// How a case is closed.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CaseDecision {
    /// Handled.
    Resolved,
    /// No action needed.
    Dismissed,
    /// Handed to the instance's admins.
    Escalated,
}

/// A decision on a case.
#[derive(Deserialize, ToSchema)]
pub struct CaseDecisionBody {
    /// How the case is closed.
    pub decision: CaseDecision,
    /// Why, for the record.
    #[serde(default)]
    pub reason: String,
}

/// The group's open cases, oldest first, with their reports.
#[utoipa::path(get, path = "/api/v1/groups/{name}/cases", tag = "members",
    params(("name" = String, Path, description = "The group's name")),
    responses((status = 200, body = Vec<CaseView>), (status = 403, body = ErrorBody)))]
pub async fn list_cases(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
) -> Result<Json<Vec<CaseView>>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ReviewPosts).await?;
    let store = state.fed.store();
    let mut out = Vec::new();
    for case in store.open_cases(group.id).await? {
        out.push(view(store, case).await?);
    }
    Ok(Json(out))
}

/// Close an open case: resolved, dismissed or escalated.
#[utoipa::path(post, path = "/api/v1/groups/{name}/cases/{id}/decision", tag = "members",
    request_body = CaseDecisionBody,
    params(("name" = String, Path, description = "The group's name"),
        ("id" = i64, Path, description = "The case")),
    responses((status = 200, body = CaseView), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn decide_case(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path((name, id)): Path<(String, i64)>,
    Body(body): Body<CaseDecisionBody>,
) -> Result<Json<CaseView>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ReviewPosts).await?;
    let store = state.fed.store();
    let decision = match body.decision {
        CaseDecision::Resolved => "resolved",
        CaseDecision::Dismissed => "dismissed",
        CaseDecision::Escalated => "escalated",
    };
    let by = format!("staff:{}", staff.account.username);
    if !store
        .decide_case(group.id, id, decision, &by, &body.reason)
        .await?
    {
        return Err(ApiError::not_found(format!(
            "{} has no open case {id}",
            group.name
        )));
    }
    let case = store
        .report_case(group.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("{} has no case {id}", group.name)))?;
    Ok(Json(view(store, case).await?))
}
