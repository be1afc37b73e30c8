//! A group's join requests (approve or reject) and its members (search, page by page).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::Form;
use hearth_federation::groups::decide_follow;
use hearth_storage::{Group, Member};
use minijinja::{context, Value};
use serde::Deserialize;

use super::forms::{done, group_path, when, Cx, Flash, Notice, Reply};
use super::groups::group_error;
use crate::accounts::Permission;
use crate::http::auth::PageStaff;
use crate::http::AppState;

/// Members per page.
const PAGE_SIZE: i64 = 50;

/// The query of the members page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct MembersQuery {
    q: String,
    page: Option<String>,
}

fn handle(member: &Member) -> String {
    match &member.preferred_username {
        Some(user) => format!("@{user}@{}", member.host),
        None => member.ap_id.clone(),
    }
}

fn member_view(member: &Member) -> Value {
    let link = Some(member.ap_id.clone())
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"));
    context! {
        handle => handle(member),
        name => member.name.clone(),
        ap_id => member.ap_id.clone(),
        link,
        host => member.host.clone(),
        software => member.software.clone(),
        when => when(member.created_at),
        answers => member.answers.clone(),
    }
}

fn page_link(name: &str, q: &str, page: i64) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if !q.is_empty() {
        query.append_pair("q", q);
    }
    if page > 1 {
        query.append_pair("page", &page.to_string());
    }
    let query = query.finish();
    if query.is_empty() {
        group_path(name, "/members")
    } else {
        group_path(name, &format!("/members?{query}"))
    }
}

async fn page(cx: &Cx<'_>, group: &Group, q: &str, page_number: i64, notice: Notice) -> Response {
    let store = cx.state.fed.store();
    let q = q.trim();
    let offset = (page_number - 1).saturating_mul(PAGE_SIZE);
    let (requests, (members, total)) = match (
        store.join_requests(group.id).await,
        store.members_page(group.id, q, offset, PAGE_SIZE).await,
    ) {
        (Ok(requests), Ok(members)) => (requests, members),
        (Err(err), _) | (_, Err(err)) => return cx.unavailable(err),
    };
    let newer = (page_number > 1).then(|| page_link(&group.name, q, page_number - 1));
    let older = (offset + (members.len() as i64) < total)
        .then(|| page_link(&group.name, q, page_number + 1));
    let ctx = context! {
        group => cx.group_view(group),
        section => "members",
        requests => requests.iter().map(member_view).collect::<Vec<_>>(),
        members => members.iter().map(member_view).collect::<Vec<_>>(),
        total,
        q,
        newer,
        older,
        first => offset + 1,
        last => offset + members.len() as i64,
        decide_url => group_path(&group.name, "/requests/decide"),
    };
    cx.page("admin/members.html", notice, ctx)
}

/// `GET /admin/groups/{name}/members?q=&page=`.
pub(super) async fn show(
    State(state): State<AppState>,
    who: PageStaff,
    flash: Flash,
    Path(name): Path<String>,
    Query(query): Query<MembersQuery>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    let group = cx.group(&name).await?;
    cx.require(Permission::ViewGroup, Some(&group))?;
    let page_number = query
        .page
        .as_deref()
        .and_then(|p| p.trim().parse::<i64>().ok())
        .filter(|p| (1..=1_000_000).contains(p))
        .unwrap_or(1);
    Ok(page(&cx, &group, &query.q, page_number, flash.notice()).await)
}

/// The approve/reject form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct DecideForm {
    csrf: Option<String>,
    actor: String,
    decision: String,
}

/// `POST /admin/groups/{name}/requests/decide`: answers a join request (`Accept` or `Reject`
/// to the person's server).
pub(super) async fn decide(
    State(state): State<AppState>,
    who: PageStaff,
    Path(name): Path<String>,
    Form(form): Form<DecideForm>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.csrf(form.csrf.as_deref())?;
    let group = cx.group(&name).await?;
    cx.require(Permission::ManageMembers, Some(&group))?;
    let approve = match form.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            let notice = Notice::alert(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Choose whether to approve or reject the request.",
            );
            return Err(page(&cx, &group, "", 1, notice).await);
        }
    };
    let actor = form.actor.trim();
    let who_asked = match state.fed.store().join_requests(group.id).await {
        Ok(requests) => requests
            .iter()
            .find(|m| m.ap_id == actor)
            .map(handle)
            .unwrap_or_else(|| actor.to_owned()),
        Err(err) => return Err(cx.unavailable(err)),
    };
    match decide_follow(&state.fed, &group, actor, approve).await {
        Ok(()) => {
            tracing::info!(group = %group.name, actor, approve, by = %who.staff.account.username, "join request decided");
            let message = if approve {
                format!("Approved {who_asked}: they are now a member.")
            } else {
                format!("Rejected the request of {who_asked}.")
            };
            Ok(done(&group_path(&group.name, "/members"), &message))
        }
        Err(err) => {
            let (status, message) = group_error(err);
            Err(page(&cx, &group, "", 1, Notice::alert(status, message)).await)
        }
    }
}
