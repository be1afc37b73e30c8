//! A group's reports: the open cases, and each case's page with the reported post in its
//! thread, its author's history in the group, every report, the staff's notes and who handles
//! it, with the forms that close it (see `case_forms`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use hearth_federation::html::{sanitize, to_text};
use hearth_storage::{Group, Post, ReportCase, Store, StoreError};
use minijinja::{context, Value};
use serde::{Deserialize, Serialize};

use super::forms::{actor_text, group_path, when, Cx, Flash, Notice, Reply};
use crate::accounts::Permission;
use crate::http::auth::PageStaff;
use crate::http::AppState;
use crate::moderation::case_file::CaseFile;

/// Longest excerpt of a post in lists.
const EXCERPT_CHARS: usize = 140;

/// The close-a-case form, as submitted (and shown again when refused).
#[derive(Debug, Deserialize, Serialize)]
#[serde(default)]
pub(super) struct DecideForm {
    #[serde(skip_serializing)]
    pub(super) csrf: Option<String>,
    /// `resolved`, `dismissed` or `escalated`.
    pub(super) state: String,
    /// `on` to remove the reported post.
    pub(super) remove_post: Option<String>,
    /// `on` to ban the reported person.
    pub(super) ban: Option<String>,
    /// Days the ban lasts; blank: until lifted.
    pub(super) ban_days: String,
    /// `on` to remove everything the banned person posted in the group.
    pub(super) remove_data: Option<String>,
    /// The rule cited, by id; blank for none.
    pub(super) rule: String,
    /// Why.
    pub(super) reason: String,
}

impl Default for DecideForm {
    fn default() -> Self {
        DecideForm {
            csrf: None,
            state: "resolved".into(),
            remove_post: None,
            ban: None,
            ban_days: String::new(),
            remove_data: None,
            rule: String::new(),
            reason: String::new(),
        }
    }
}

/// `/admin/groups/{name}/cases/{id}`.
pub(super) fn case_path(group: &str, id: i64) -> String {
    group_path(group, &format!("/cases/{id}"))
}

fn handle(post: &Post) -> String {
    match &post.author_username {
        Some(user) => format!("@{user}@{}", post.author_host),
        None => post.author_ap_id.clone(),
    }
}

fn web_link(url: &str) -> Option<String> {
    Some(url.to_owned()).filter(|u| u.starts_with("https://") || u.starts_with("http://"))
}

/// The first words of a post, on one line.
fn excerpt(post: &Post) -> String {
    let text = to_text(&post.content)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if text.chars().count() <= EXCERPT_CHARS {
        return text;
    }
    format!("{}…", text.chars().take(EXCERPT_CHARS).collect::<String>())
}

/// A post as the case page shows it.
fn post_view(cx: &Cx<'_>, group: &Group, post: &Post) -> Value {
    let page = cx
        .state
        .fed
        .urls()
        .thread_page(&group.name, post.thread_id.unwrap_or(post.id));
    let content = sanitize(&post.content);
    context! {
        id => post.ap_id.clone(),
        author => handle(post),
        author_link => web_link(&post.author_ap_id),
        when => when(post.published),
        title => post.title.clone().filter(|_| post.in_reply_to.is_none()),
        content => (!content.trim().is_empty()).then(|| Value::from_safe_string(content)),
        excerpt => excerpt(post),
        removed => post.removed_at.is_some(),
        deleted => post.deleted_at.is_some(),
        locked => post.locked_at.is_some(),
        page => page.to_string(),
        original => post.url.as_deref().and_then(web_link),
    }
}

/// The thread around a reported reply: its root, and the post it answers when that is not the
/// root.
async fn thread_context(store: &Store, post: &Post) -> Result<Vec<Post>, StoreError> {
    let Some(parent_id) = &post.in_reply_to else {
        return Ok(Vec::new());
    };
    let mut around = Vec::new();
    if let Some(root) = post.thread_id.filter(|root| *root != post.id) {
        around.extend(store.post_by_id(root).await?);
    }
    if around.first().is_none_or(|root| root.ap_id != *parent_id) {
        around.extend(store.post_by_ap_id(parent_id).await?);
    }
    Ok(around)
}

/// One open case in the list.
async fn case_summary(cx: &Cx<'_>, group: &Group, case: &ReportCase) -> Result<Value, StoreError> {
    let store = cx.state.fed.store();
    let reports = store.case_reports(case.id).await?;
    let post = match case.post_id {
        Some(id) => store.post_by_id(id).await?,
        None => None,
    };
    let assignee = match case.assignee_id {
        Some(id) => store.account_by_id(id).await?.map(|a| a.username),
        None => None,
    };
    let reason = reports
        .iter()
        .find(|r| r.withdrawn_at.is_none() && !r.content.trim().is_empty())
        .map(|r| r.content.clone());
    Ok(context! {
        id => case.id,
        url => case_path(&group.name, case.id),
        subject => case.subject_ap_id.clone(),
        post => post.as_ref().map(|p| context! { author => handle(p), excerpt => excerpt(p) }),
        reports => case.active_reports,
        reason,
        opened => when(case.created_at),
        assignee,
    })
}

/// `GET /admin/groups/{name}/cases`: the open cases, oldest first.
pub(super) async fn list(
    State(state): State<AppState>,
    who: PageStaff,
    flash: Flash,
    Path(name): Path<String>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    let group = cx.group(&name).await?;
    cx.require(Permission::ReviewPosts, Some(&group))?;
    let loaded = async {
        let mut cases = Vec::new();
        for case in state.fed.store().open_cases(group.id).await? {
            cases.push(case_summary(&cx, &group, &case).await?);
        }
        Ok::<_, StoreError>(cases)
    }
    .await;
    let cases = loaded.map_err(|err| cx.unavailable(err))?;
    let ctx = context! { group => cx.group_view(&group), section => "cases", cases };
    Ok(cx.page("admin/cases.html", flash.notice(), ctx))
}

/// `GET /admin/groups/{name}/cases/{id}`: one case, with the forms that act on it.
pub(super) async fn show(
    State(state): State<AppState>,
    who: PageStaff,
    flash: Flash,
    Path((name, id)): Path<(String, i64)>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    let group = cx.group(&name).await?;
    cx.require(Permission::ReviewPosts, Some(&group))?;
    Ok(page(&cx, &group, id, flash.notice(), &DecideForm::default()).await)
}

/// The case page with `notice`, the close form filled with `form`.
pub(super) async fn page(
    cx: &Cx<'_>,
    group: &Group,
    id: i64,
    notice: Notice,
    form: &DecideForm,
) -> Response {
    let store = cx.state.fed.store();
    let loaded = async {
        let Some(file) = CaseFile::load(store, group, id).await? else {
            return Ok(None);
        };
        let around = match &file.post {
            Some(post) => thread_context(store, post).await?,
            None => Vec::new(),
        };
        let rules = store.group_rules(group.id).await?;
        Ok::<_, StoreError>(Some((file, around, rules)))
    }
    .await;
    let (file, around, rules) = match loaded {
        Ok(Some(found)) => found,
        Ok(None) => {
            return cx.failure(
                StatusCode::NOT_FOUND,
                "No such case",
                "This group has no case with that number.",
            )
        }
        Err(err) => return cx.unavailable(err),
    };
    let case = &file.case;
    let me = &cx.who.staff.account.username;
    let ctx = context! {
        group => cx.group_view(group),
        section => "cases",
        case => context! {
            id => case.id,
            open => matches!(case.state.as_str(), "open" | "escalated"),
            state => case.state.clone(),
            opened => when(case.created_at),
            active_reports => case.active_reports,
            closed => case.closed_at.map(when),
            closed_by => case.closed_by.as_deref().map(actor_text),
            decision_reason => case.decision_reason.clone(),
            subject => case.subject_ap_id.clone(),
        },
        post => file.post.as_ref().map(|p| post_view(cx, group, p)),
        around => around.iter().map(|p| post_view(cx, group, p)).collect::<Vec<_>>(),
        person => file.person.clone(),
        person_link => file.person.as_deref().and_then(web_link),
        history => file.history.iter().map(|p| post_view(cx, group, p)).collect::<Vec<_>>(),
        reports => file.reports.iter().map(|r| context! {
            reporter => r.reporter_ap_id.clone(),
            reason => r.content.clone(),
            received => when(r.created_at),
            withdrawn => r.withdrawn_at.is_some(),
        }).collect::<Vec<_>>(),
        notes => file.notes.iter().map(|n| context! {
            author => actor_text(&n.author),
            text => n.text.clone(),
            when => when(n.created_at),
        }).collect::<Vec<_>>(),
        assignee => file.assignee.clone(),
        mine => file.assignee.as_ref() == Some(me),
        rules => rules.iter().map(|r| context! { id => r.id.to_string(), name => r.short_name.clone() }).collect::<Vec<_>>(),
        form => Value::from_serialize(form),
        url => case_path(&group.name, case.id),
    };
    cx.page("admin/case.html", notice, ctx)
}
