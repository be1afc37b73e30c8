//! `/api/v1/groups/{name}/cases…`: reports (`Flag`s) from other instances, one case per
//! reported post (or actor) in a group. Moderators read a case with what it is about, write
//! notes on it, hand it to one another, forward it to the reported person's server, and close
//! it with the actions it calls for.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use hearth_federation::actions::cases::{self, BanSpec, CaseDecision, CaseState};
use hearth_federation::Urls;
use hearth_storage::{Group, Post, Report, ReportCase, Store};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{group_for, Body};
use super::moderation::{checked_note, NoteBody, NoteView};
use super::schema::ErrorBody;
use crate::accounts::{Permission, Staff};
use crate::http::auth::ApiStaff;
use crate::http::error::ApiError;
use crate::http::AppState;
use crate::moderation::case_file::CaseFile;
use crate::moderation::parse_time;

fn time(ms: i64) -> String {
    hearth_federation::vocab::documents::format_time(ms)
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
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
    /// The username of the account handling it.
    pub assignee: Option<String>,
    /// When the first report arrived.
    pub opened_at: String,
    /// When it was closed.
    pub closed_at: Option<String>,
    /// Who closed it.
    pub closed_by: Option<String>,
    /// Why.
    pub decision_reason: String,
    /// The group rule the decision cited, by id.
    pub rule_id: Option<i64>,
    /// Its reports, oldest first.
    pub reports: Vec<ReportView>,
}

impl CaseView {
    fn new(case: ReportCase, reports: Vec<Report>, assignee: Option<String>) -> Self {
        CaseView {
            id: case.id,
            subject: case.subject_ap_id,
            state: case.state,
            active_reports: case.active_reports,
            assignee,
            opened_at: time(case.created_at),
            closed_at: case.closed_at.map(time),
            closed_by: case.closed_by,
            decision_reason: case.decision_reason,
            rule_id: case.rule_id,
            reports: reports.into_iter().map(ReportView::from).collect(),
        }
    }
}

async fn view(store: &Store, case: ReportCase) -> Result<CaseView, ApiError> {
    let reports = store.case_reports(case.id).await?;
    let assignee = match case.assignee_id {
        Some(id) => store.account_by_id(id).await?.map(|a| a.username),
        None => None,
    };
    Ok(CaseView::new(case, reports, assignee))
}

/// A post, as moderators see it.
#[derive(Serialize, ToSchema)]
pub struct PostView {
    /// The post's id.
    pub id: String,
    /// Its thread's page here.
    pub page: String,
    /// The author's actor id.
    pub author: String,
    /// `@user@host`, when the username is known.
    pub author_handle: Option<String>,
    /// Title, for threads.
    pub title: Option<String>,
    /// Content (HTML, sanitised).
    pub content: String,
    /// Whether it replies to another post.
    pub reply: bool,
    /// When it was published.
    pub published_at: String,
    /// When a moderator removed it.
    pub removed_at: Option<String>,
    /// When its author deleted it.
    pub deleted_at: Option<String>,
    /// When its thread was locked (threads only).
    pub locked_at: Option<String>,
    /// When it was pinned.
    pub pinned_at: Option<String>,
}

impl PostView {
    fn new(post: Post, group: &Group, urls: &Urls) -> Self {
        PostView {
            page: urls
                .thread_page(&group.name, post.thread_id.unwrap_or(post.id))
                .to_string(),
            author_handle: post
                .author_username
                .as_ref()
                .map(|u| format!("@{u}@{}", post.author_host)),
            content: hearth_federation::html::sanitize(&post.content),
            reply: post.in_reply_to.is_some(),
            published_at: time(post.published),
            removed_at: post.removed_at.map(time),
            deleted_at: post.deleted_at.map(time),
            locked_at: post.locked_at.map(time),
            pinned_at: post.pinned_at.map(time),
            id: post.ap_id,
            author: post.author_ap_id,
            title: post.title,
        }
    }
}

/// A case with what it is about.
#[derive(Serialize, ToSchema)]
pub struct CaseFileView {
    /// The case and its reports.
    pub case: CaseView,
    /// The reported post, when the case is about one held here.
    pub post: Option<PostView>,
    /// The reported person's actor id.
    pub person: Option<String>,
    /// The person's latest posts in the group, newest first (the reported one left out).
    pub author_history: Vec<PostView>,
    /// Staff notes on the case, oldest first.
    pub notes: Vec<NoteView>,
}

/// How a case is closed.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CaseStateDto {
    /// Handled.
    Resolved,
    /// No action needed.
    Dismissed,
    /// Handed to the instance's admins.
    Escalated,
}

impl From<CaseStateDto> for CaseState {
    fn from(state: CaseStateDto) -> Self {
        match state {
            CaseStateDto::Resolved => CaseState::Resolved,
            CaseStateDto::Dismissed => CaseState::Dismissed,
            CaseStateDto::Escalated => CaseState::Escalated,
        }
    }
}

/// A ban given while closing a case.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BanBody {
    /// When the ban lifts by itself (RFC 3339); absent: until lifted.
    pub expires_at: Option<String>,
    /// Also remove everything the person posted in the group.
    #[serde(default)]
    pub remove_data: bool,
}

/// A decision on a case, with the actions taken in the same step.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseDecisionBody {
    /// How the case is closed.
    pub decision: CaseStateDto,
    /// Why, for the record (and for the person, when they are banned).
    #[serde(default)]
    pub reason: String,
    /// The group rule cited, by id.
    pub rule_id: Option<i64>,
    /// Remove the reported post.
    #[serde(default)]
    pub remove_post: bool,
    /// Ban the reported person.
    pub ban: Option<BanBody>,
}

/// Who handles a case.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssigneeBody {
    /// A staff account that may moderate the group; `null` for nobody.
    pub username: Option<String>,
}

/// Where a case was forwarded.
#[derive(Serialize, ToSchema)]
pub struct ForwardedView {
    /// The reported person's server.
    pub forwarded_to: String,
}

/// The case `id` of `group`, or a 404.
async fn case_of(store: &Store, group: &Group, id: i64) -> Result<ReportCase, ApiError> {
    store
        .report_case(group.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("{} has no case {id}", group.name)))
}

/// The group's open cases, oldest first, with their reports.
#[utoipa::path(get, path = "/api/v1/groups/{name}/cases", tag = "moderation",
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

/// A case with the reported post, the person's latest posts in the group and the notes.
#[utoipa::path(get, path = "/api/v1/groups/{name}/cases/{id}", tag = "moderation",
    params(("name" = String, Path, description = "The group's name"),
        ("id" = i64, Path, description = "The case")),
    responses((status = 200, body = CaseFileView), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn get_case(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path((name, id)): Path<(String, i64)>,
) -> Result<Json<CaseFileView>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ReviewPosts).await?;
    let file = CaseFile::load(state.fed.store(), &group, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("{} has no case {id}", group.name)))?;
    let urls = state.fed.urls();
    Ok(Json(CaseFileView {
        case: CaseView::new(file.case, file.reports, file.assignee),
        post: file.post.map(|p| PostView::new(p, &group, urls)),
        person: file.person,
        author_history: file
            .history
            .into_iter()
            .map(|p| PostView::new(p, &group, urls))
            .collect(),
        notes: file.notes.into_iter().map(NoteView::from).collect(),
    }))
}

/// Close an open case (resolved, dismissed or escalated), removing the reported post and
/// banning its author in the same step when asked. Nothing changes if an action cannot be
/// taken.
#[utoipa::path(post, path = "/api/v1/groups/{name}/cases/{id}/decision", tag = "moderation",
    request_body = CaseDecisionBody,
    params(("name" = String, Path, description = "The group's name"),
        ("id" = i64, Path, description = "The case")),
    responses((status = 200, body = CaseView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The case is closed already"),
        (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn decide_case(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path((name, id)): Path<(String, i64)>,
    Body(body): Body<CaseDecisionBody>,
) -> Result<Json<CaseView>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ReviewPosts).await?;
    let store = state.fed.store();
    let case = case_of(store, &group, id).await?;
    if !matches!(case.state.as_str(), "open" | "escalated") {
        let message = format!("case {id} was {} already", case.state);
        return Err(ApiError::new(StatusCode::CONFLICT, "closed", message));
    }
    let ban = match body.ban {
        Some(ban) => Some(BanSpec {
            expires_at: ban
                .expires_at
                .as_deref()
                .map(parse_time)
                .transpose()
                .map_err(invalid)?,
            remove_data: ban.remove_data,
        }),
        None => None,
    };
    let decision = CaseDecision {
        state: body.decision.into(),
        reason: body.reason,
        rule_id: body.rule_id,
        remove_post: body.remove_post,
        ban,
    };
    let by = format!("staff:{}", staff.account.username);
    let case = cases::decide_case(&state.fed, &group, case.id, &by, &decision).await?;
    Ok(Json(view(store, case).await?))
}

/// Add a note to a case (only staff read notes).
#[utoipa::path(post, path = "/api/v1/groups/{name}/cases/{id}/notes", tag = "moderation",
    request_body = NoteBody,
    params(("name" = String, Path, description = "The group's name"),
        ("id" = i64, Path, description = "The case")),
    responses((status = 201, body = NoteView), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn add_case_note(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path((name, id)): Path<(String, i64)>,
    Body(body): Body<NoteBody>,
) -> Result<(StatusCode, Json<NoteView>), ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ReviewPosts).await?;
    let store = state.fed.store();
    let case = case_of(store, &group, id).await?;
    let text = checked_note(&body.text)?;
    let author = format!("staff:{}", staff.account.username);
    let note_id = store.add_case_note(case.id, &author, text).await?;
    let note = store
        .case_notes(case.id)
        .await?
        .into_iter()
        .find(|n| n.id == note_id)
        .ok_or_else(|| ApiError::not_found("the note vanished"))?;
    Ok((StatusCode::CREATED, Json(note.into())))
}

/// Give a case to a staff account that may moderate the group, or to nobody.
#[utoipa::path(post, path = "/api/v1/groups/{name}/cases/{id}/assignee", tag = "moderation",
    request_body = AssigneeBody,
    params(("name" = String, Path, description = "The group's name"),
        ("id" = i64, Path, description = "The case")),
    responses((status = 200, body = CaseView), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn assign_case(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path((name, id)): Path<(String, i64)>,
    Body(body): Body<AssigneeBody>,
) -> Result<Json<CaseView>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ReviewPosts).await?;
    let store = state.fed.store();
    let case = case_of(store, &group, id).await?;
    let assignee = match body.username.as_deref() {
        None => None,
        Some(username) => {
            let account = store
                .account_by_username(username)
                .await?
                .ok_or_else(|| invalid(format!("there is no account {username:?}")))?;
            let roles = store.roles_of_account(account.id).await?;
            let moderator = Staff::new(account, roles);
            if !moderator.can(Permission::ReviewPosts, Some(&group)) {
                return Err(invalid(format!(
                    "{username} may not moderate {}",
                    group.name
                )));
            }
            Some(moderator.account.id)
        }
    };
    store.assign_case(group.id, case.id, assignee).await?;
    Ok(Json(view(store, case_of(store, &group, id).await?).await?))
}

/// Forward a case to the reported person's server: a `Flag` from this instance naming the
/// person and the post, with the reasons given but not the reporters' names.
#[utoipa::path(post, path = "/api/v1/groups/{name}/cases/{id}/forward", tag = "moderation",
    params(("name" = String, Path, description = "The group's name"),
        ("id" = i64, Path, description = "The case")),
    responses((status = 200, body = ForwardedView), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn forward_case(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path((name, id)): Path<(String, i64)>,
) -> Result<Json<ForwardedView>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ReviewPosts).await?;
    let case = case_of(state.fed.store(), &group, id).await?;
    let by = format!("staff:{}", staff.account.username);
    let host = cases::forward_case(&state.fed, &group, case.id, &by).await?;
    Ok(Json(ForwardedView { forwarded_to: host }))
}

/// A report filed here by staff.
#[derive(Deserialize, ToSchema)]
pub struct NewReportBody {
    /// The post (object id, URL or row id) or person (actor id) reported.
    pub subject: String,
    /// What is wrong.
    pub reason: String,
}

/// File a report about a post or person of the group: it opens the case about it (or joins
/// the open one) and reaches the group's moderators on other servers.
#[utoipa::path(post, path = "/api/v1/groups/{name}/reports", tag = "moderation",
    request_body = NewReportBody,
    params(("name" = String, Path, description = "The group's name")),
    responses((status = 201, body = CaseView), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn file_report(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
    Body(body): Body<NewReportBody>,
) -> Result<(StatusCode, Json<CaseView>), ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ViewGroup).await?;
    let by = format!("staff:{}", staff.account.username);
    let case = cases::file_report(&state.fed, &group, &by, &body.subject, &body.reason).await?;
    Ok((
        StatusCode::CREATED,
        Json(view(state.fed.store(), case).await?),
    ))
}
