//! `/api/v1/groups/{name}/modlog` and `…/modlog.csv`: a group's moderation log. It is public:
//! anyone may read it without a token, with the staff's names left out and, when the instance
//! keeps them hidden (`hearth federation modlog-reasons hidden`), without reasons. The group's
//! moderators, with a token, read every line as recorded.

use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::Json;
use hearth_storage::{Group, ModlogFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::schema::{next_offset, ErrorBody};
use crate::accounts::Permission;
use crate::http::auth::ApiStaff;
use crate::http::error::ApiError;
use crate::http::AppState;
use crate::moderation::modlog::{every_entry, present, to_csv, Audience, LogLine};

/// Which lines, and which page of them.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ModlogQuery {
    /// Lines per page (1–200, default 50; the CSV has every line).
    pub limit: Option<i64>,
    /// Lines to skip.
    pub offset: Option<i64>,
    /// Only actions starting with this, e.g. `member.` or `post.remove`.
    pub action: Option<String>,
    /// Only lines about this post or person (their id).
    pub target: Option<String>,
}

/// One line of a group's modlog.
#[derive(Serialize, ToSchema)]
pub struct ModlogLineView {
    /// Id.
    pub id: i64,
    /// When.
    pub at: String,
    /// Who: for the group's staff as recorded (`staff:NAME`, `cli:USER`, a remote moderator's
    /// id); for others `a moderator`, or a remote moderator's handle.
    pub actor: String,
    /// What, e.g. `post.remove`, `member.ban`, `case.resolved`.
    pub action: String,
    /// On what: a post's or a person's id.
    pub target: String,
    /// The group rule cited, by id.
    pub rule_id: Option<i64>,
    /// The rule's short name.
    pub rule: Option<String>,
    /// Why (empty for the public when the instance hides reasons).
    pub reason: String,
    /// What else was recorded (staff only).
    pub details: String,
}

impl From<LogLine> for ModlogLineView {
    fn from(l: LogLine) -> Self {
        ModlogLineView {
            id: l.id,
            at: hearth_federation::vocab::documents::format_time(l.at),
            actor: l.actor,
            action: l.action,
            target: l.target,
            rule_id: l.rule_id,
            rule: l.rule,
            reason: l.reason,
            details: l.details,
        }
    }
}

/// A page of a group's modlog, newest first.
#[derive(Serialize, ToSchema)]
pub struct ModlogPage {
    /// This page.
    pub items: Vec<ModlogLineView>,
    /// Matching lines in all.
    pub total: i64,
    /// Offset of the next page, if there is one.
    pub next_offset: Option<i64>,
}

/// The group named `name`, and who reads its modlog: its moderators, or the public.
async fn reading(
    state: &AppState,
    reader: Option<ApiStaff>,
    name: &str,
) -> Result<(Group, Audience), ApiError> {
    let group = state
        .fed
        .store()
        .group_by_name(name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("there is no group named {name}")))?;
    let audience = match reader {
        Some(ApiStaff(staff)) if staff.can(Permission::ReviewPosts, Some(&group)) => {
            Audience::Staff
        }
        _ => Audience::Public,
    };
    Ok((group, audience))
}

fn filter(group: &Group, query: &ModlogQuery) -> ModlogFilter {
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    ModlogFilter {
        group_id: Some(group.id),
        action: given(&query.action),
        target: given(&query.target),
        actor: None,
    }
}

/// A group's moderation log, newest first. Public; the group's moderators see more.
#[utoipa::path(get, path = "/api/v1/groups/{name}/modlog", tag = "moderation",
    security((), ("token" = [])),
    params(("name" = String, Path, description = "The group's name"), ModlogQuery),
    responses((status = 200, body = ModlogPage), (status = 404, body = ErrorBody)))]
pub async fn group_modlog(
    State(state): State<AppState>,
    reader: Option<ApiStaff>,
    Path(name): Path<String>,
    Query(query): Query<ModlogQuery>,
) -> Result<Json<ModlogPage>, ApiError> {
    let (group, audience) = reading(&state, reader, &name).await?;
    let limit = query.limit.unwrap_or(50).clamp(1, 200);
    let offset = query.offset.unwrap_or(0).max(0);
    let store = state.fed.store();
    let (entries, total) = store
        .modlog_page(&filter(&group, &query), offset, limit)
        .await?;
    let items: Vec<ModlogLineView> = present(store, entries, audience)
        .await?
        .into_iter()
        .map(ModlogLineView::from)
        .collect();
    Ok(Json(ModlogPage {
        next_offset: next_offset(offset, items.len(), total),
        items,
        total,
    }))
}

/// A group's whole moderation log as CSV (id, time, group, actor, action, target, rule_id,
/// rule, reason, details), newest first. Public; the group's moderators see more.
#[utoipa::path(get, path = "/api/v1/groups/{name}/modlog.csv", tag = "moderation",
    security((), ("token" = [])),
    params(("name" = String, Path, description = "The group's name"), ModlogQuery),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 404, body = ErrorBody)))]
pub async fn group_modlog_csv(
    State(state): State<AppState>,
    reader: Option<ApiStaff>,
    Path(name): Path<String>,
    Query(query): Query<ModlogQuery>,
) -> Result<Response, ApiError> {
    let (group, audience) = reading(&state, reader, &name).await?;
    let store = state.fed.store();
    let entries = every_entry(store, &filter(&group, &query)).await?;
    let lines = present(store, entries, audience).await?;
    let disposition = format!("attachment; filename=\"{}-modlog.csv\"", group.name);
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (CONTENT_DISPOSITION, disposition),
        ],
        to_csv(&lines),
    )
        .into_response())
}
