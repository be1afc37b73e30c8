//! The public moderation logs: `/groups/{name}/modlog` for one group and `/modlog` for the
//! whole instance, newest first, a page at a time, as the public may see them (see
//! [`crate::moderation::modlog`]).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use hearth_storage::{Group, ModlogFilter};
use minijinja::{context, Value};
use serde::Deserialize;

use super::pages::{unavailable, when};
use super::AppState;
use crate::moderation::modlog::{present, Audience, LogLine, Reasons};

/// Lines per page.
const PAGE_SIZE: i64 = 50;
/// The deepest page served.
const MAX_PAGE: i64 = 10_000;

/// The query of a modlog page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PageQuery {
    page: Option<String>,
}

impl PageQuery {
    fn number(&self) -> i64 {
        self.page
            .as_deref()
            .and_then(|p| p.trim().parse().ok())
            .filter(|p| (1..=MAX_PAGE).contains(p))
            .unwrap_or(1)
    }
}

/// `GET /groups/{name}/modlog?page=`: one group's moderation log.
pub async fn group_modlog(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<PageQuery>,
) -> Response {
    let group = match state.fed.store().group_by_name(&name).await {
        Ok(Some(group)) => group,
        Ok(None) => {
            return state.pages.error(
                &state,
                StatusCode::NOT_FOUND,
                "No such group",
                &format!("There is no group named {name} here."),
            )
        }
        Err(err) => return unavailable(&state, err),
    };
    render(&state, Some(&group), query.number()).await
}

/// `GET /modlog?page=`: the moderation log of the whole instance.
pub async fn instance_modlog(
    State(state): State<AppState>,
    Query(query): Query<PageQuery>,
) -> Response {
    render(&state, None, query.number()).await
}

async fn render(state: &AppState, group: Option<&Group>, page: i64) -> Response {
    let store = state.fed.store();
    let filter = ModlogFilter {
        group_id: group.map(|g| g.id),
        ..ModlogFilter::default()
    };
    let offset = (page - 1) * PAGE_SIZE;
    let loaded = async {
        let (entries, total) = store.modlog_page(&filter, offset, PAGE_SIZE).await?;
        let lines = present(store, entries, Audience::Public).await?;
        Ok::<_, hearth_storage::StoreError>((lines, total, Reasons::of(store).await?))
    }
    .await;
    let (lines, total, reasons) = match loaded {
        Ok(loaded) => loaded,
        Err(err) => return unavailable(state, err),
    };
    let path = match group {
        Some(g) => format!("/groups/{}/modlog", g.name),
        None => "/modlog".to_owned(),
    };
    let link = |page: i64| match page {
        1 => path.clone(),
        n => format!("{path}?page={n}"),
    };
    let urls = state.fed.urls();
    let ctx = context! {
        group => group.map(|g| context! {
            title => g.title.clone(),
            url => urls.group(&g.name).to_string(),
        }),
        lines => lines.iter().map(line_view).collect::<Vec<_>>(),
        total,
        reasons_hidden => reasons == Reasons::Hidden,
        newer => (page > 1).then(|| link(page - 1)),
        older => (offset + (lines.len() as i64) < total).then(|| link(page + 1)),
    };
    state.pages.render(state, "modlog.html", ctx)
}

fn line_view(line: &LogLine) -> Value {
    let (when, iso) = when(line.at);
    let link =
        Some(line.target.clone()).filter(|t| t.starts_with("https://") || t.starts_with("http://"));
    context! {
        when, iso,
        group => line.group.clone(),
        who => line.actor.clone(),
        what => describe(&line.action),
        code => line.action.clone(),
        target => line.target.clone(),
        link,
        rule => line.rule.clone(),
        reason => line.reason.clone(),
    }
}

/// What a modlog action says, in words (its code when it has none).
fn describe(action: &str) -> String {
    let words = match action {
        "post.remove" => "Removed a post",
        "post.restore" => "Restored a post",
        "thread.lock" => "Locked a thread",
        "thread.unlock" => "Unlocked a thread",
        "post.pin" => "Pinned a thread",
        "post.unpin" => "Unpinned a thread",
        "member.ban" => "Banned a person",
        "member.unban" => "Lifted a ban",
        "member.ban_expired" => "A ban ran out",
        "member.warn" => "Warned a person",
        "case.resolved" => "Resolved a report",
        "case.dismissed" => "Dismissed a report",
        "case.escalated" => "Escalated a report to the admins",
        "case.forward" => "Forwarded a report",
        "domain.suspend" => "Suspended a server",
        "domain.silence" => "Limited a server",
        "domain.noop" => "Limited a server's media or reports",
        "domain.allow" => "Allowed a server",
        "domain.lift" => "Lifted a server's limits",
        other if other.starts_with("setting.") => "Changed a setting",
        other => return other.to_owned(),
    };
    words.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_read_as_words() {
        assert_eq!(describe("member.ban"), "Banned a person");
        assert_eq!(describe("setting.modlog_reasons"), "Changed a setting");
        assert_eq!(describe("automod.hold"), "automod.hold");
    }
}
