//! A group's posts held for review (posts from silenced instances): read each, publish it
//! (the group announces it) or reject it (its author is told why).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::Form;
use hearth_federation::html::sanitize;
use hearth_federation::review::{decide_held_post, ReviewError};
use hearth_storage::{Group, HeldPost};
use minijinja::{context, Value};
use serde::Deserialize;

use super::forms::{done, group_path, staff_actor, when, Cx, Flash, Notice, Reply};
use crate::accounts::Permission;
use crate::http::auth::PageStaff;
use crate::http::AppState;

/// Longest reason sent to an author.
const MAX_REASON_CHARS: usize = 1000;

fn handle(held: &HeldPost) -> String {
    match &held.author_username {
        Some(user) => format!("@{user}@{}", held.author_host),
        None => held.author_ap_id.clone(),
    }
}

fn web_link(url: &str) -> Option<String> {
    Some(url.to_owned()).filter(|u| u.starts_with("https://") || u.starts_with("http://"))
}

fn held_view(held: &HeldPost) -> Value {
    let object = serde_json::from_str::<serde_json::Value>(&held.object).unwrap_or_default();
    let text = |field: &str| {
        object
            .get(field)
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .unwrap_or_default()
    };
    let content = sanitize(&text("content"));
    context! {
        id => held.id,
        handle => handle(held),
        link => web_link(&held.author_ap_id),
        host => held.author_host.clone(),
        received => when(held.created_at),
        reason => held.reason.clone(),
        warning => text("summary"),
        content => (!content.trim().is_empty()).then(|| Value::from_safe_string(content)),
        original => web_link(&held.object_ap_id),
    }
}

async fn page(cx: &Cx<'_>, group: &Group, notice: Notice) -> Response {
    let held = match cx.state.fed.store().open_held_posts(group.id).await {
        Ok(held) => held,
        Err(err) => return cx.unavailable(err),
    };
    let ctx = context! {
        group => cx.group_view(group),
        section => "held",
        posts => held.iter().map(held_view).collect::<Vec<_>>(),
        decide_url => group_path(&group.name, "/held/decide"),
        max_reason => MAX_REASON_CHARS,
    };
    cx.page("admin/held.html", notice, ctx)
}

/// `GET /admin/groups/{name}/held`.
pub(super) async fn show(
    State(state): State<AppState>,
    who: PageStaff,
    flash: Flash,
    Path(name): Path<String>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    let group = cx.group(&name).await?;
    cx.require(Permission::ReviewPosts, Some(&group))?;
    Ok(page(&cx, &group, flash.notice()).await)
}

/// The publish/reject form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct DecideForm {
    csrf: Option<String>,
    id: String,
    decision: String,
    reason: String,
}

/// `POST /admin/groups/{name}/held/decide`: publishes or rejects a held post.
pub(super) async fn decide(
    State(state): State<AppState>,
    who: PageStaff,
    Path(name): Path<String>,
    Form(form): Form<DecideForm>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.csrf(form.csrf.as_deref())?;
    let group = cx.group(&name).await?;
    cx.require(Permission::ReviewPosts, Some(&group))?;
    let refuse =
        |status: StatusCode, message: String| page(&cx, &group, Notice::alert(status, message));
    let approve = match form.decision.as_str() {
        "publish" => true,
        "reject" => false,
        _ => {
            let message = "Choose whether to publish or reject the post.".to_owned();
            return Err(refuse(StatusCode::UNPROCESSABLE_ENTITY, message).await);
        }
    };
    let Ok(id) = form.id.trim().parse::<i64>() else {
        let message = "Choose a post from the list.".to_owned();
        return Err(refuse(StatusCode::UNPROCESSABLE_ENTITY, message).await);
    };
    let reason = form.reason.trim();
    if reason.chars().count() > MAX_REASON_CHARS {
        let message = format!("The reason may be at most {MAX_REASON_CHARS} characters.");
        return Err(refuse(StatusCode::UNPROCESSABLE_ENTITY, message).await);
    }
    match decide_held_post(&state.fed, &group, id, approve, &staff_actor(&who), reason).await {
        Ok(held) => {
            tracing::info!(group = %group.name, id, approve, by = %who.staff.account.username, "held post decided");
            let author = handle(&held);
            let message = if approve {
                format!("Published the post by {author}: the group shares it with its members.")
            } else if reason.is_empty() {
                format!("Rejected the post by {author}. They were sent a message saying it was not published.")
            } else {
                format!("Rejected the post by {author}. They were sent a message with your reason.")
            };
            Ok(done(&group_path(&group.name, "/held"), &message))
        }
        Err(err @ ReviewError::NotFound(_)) => {
            let message = format!("{err}: it may have been decided already.");
            Err(refuse(StatusCode::CONFLICT, message).await)
        }
        Err(ReviewError::Store(err)) => Err(cx.unavailable(err)),
        Err(err @ ReviewError::Corrupt(..)) => {
            tracing::error!(error = %err, group = %group.name, "a held post cannot be read");
            let message = "This post cannot be read, so it cannot be published. Reject it instead."
                .to_owned();
            Err(refuse(StatusCode::INTERNAL_SERVER_ERROR, message).await)
        }
    }
}
