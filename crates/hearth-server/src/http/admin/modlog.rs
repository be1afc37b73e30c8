//! `GET /admin/federation/log` (instance admins only): the instance's moderation log, newest
//! first.

use axum::extract::State;
use minijinja::context;

use super::forms::{actor_text, when, Cx, Notice, Reply};
use crate::accounts::Permission;
use crate::http::auth::PageStaff;
use crate::http::AppState;

/// Entries shown.
const LIMIT: i64 = 200;

/// The log page.
pub(super) async fn show(State(state): State<AppState>, who: PageStaff) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.require(Permission::AdministerInstance, None)?;
    let entries = match state.fed.store().modlog(LIMIT).await {
        Ok(entries) => entries,
        Err(err) => return Err(cx.unavailable(err)),
    };
    let entries: Vec<_> = entries
        .iter()
        .map(|e| {
            context! {
                when => when(e.at),
                who => actor_text(&e.actor),
                action => e.action.clone(),
                target => e.target.clone(),
                reason => e.reason.clone(),
            }
        })
        .collect();
    let full = entries.len() as i64 == LIMIT;
    Ok(cx.page(
        "admin/federation_log.html",
        Notice::None,
        context! { section => "log", entries, limit => LIMIT, full },
    ))
}
