//! Invitations: the actors whose follow an invite-only group accepts.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::Form;
use hearth_federation::groups::invitation_actor;
use hearth_storage::{Group, JoinMode};
use minijinja::{context, Value};
use serde::Deserialize;

use super::forms::{done, group_path, when, Cx, Flash, Notice, Reply};
use crate::accounts::Permission;
use crate::http::auth::PageStaff;
use crate::http::AppState;

/// The invite and withdraw forms.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct InviteForm {
    csrf: Option<String>,
    actor: String,
}

async fn page(cx: &Cx<'_>, group: &Group, actor: &str, notice: Notice) -> Response {
    let invites = match cx.state.fed.store().invites(group.id).await {
        Ok(invites) => invites,
        Err(err) => return cx.unavailable(err),
    };
    let invites: Vec<Value> = invites
        .iter()
        .map(|i| {
            let link = Some(i.actor_ap_id.clone())
                .filter(|u| u.starts_with("https://") || u.starts_with("http://"));
            context! {
                actor => i.actor_ap_id.clone(),
                link,
                invited_by => i.invited_by.clone(),
                when => when(i.created_at),
            }
        })
        .collect();
    cx.page(
        "admin/invites.html",
        notice,
        context! {
            group => cx.group_view(group),
            section => "invites",
            invites,
            invite_only => group.join_mode() == JoinMode::Invite,
            actor,
        },
    )
}

/// `GET /admin/groups/{name}/invites`.
pub(super) async fn show(
    State(state): State<AppState>,
    who: PageStaff,
    flash: Flash,
    Path(name): Path<String>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    let group = cx.group(&name).await?;
    cx.require(Permission::ManageMembers, Some(&group))?;
    Ok(page(&cx, &group, "", flash.notice()).await)
}

/// `POST /admin/groups/{name}/invites`.
pub(super) async fn invite(
    State(state): State<AppState>,
    who: PageStaff,
    Path(name): Path<String>,
    Form(form): Form<InviteForm>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.csrf(form.csrf.as_deref())?;
    let group = cx.group(&name).await?;
    cx.require(Permission::ManageMembers, Some(&group))?;
    let actor = match invitation_actor(&form.actor) {
        Ok(actor) => actor,
        Err(err) => {
            let message = err.to_string();
            let notice = Notice::alert(StatusCode::UNPROCESSABLE_ENTITY, message);
            return Err(page(&cx, &group, &form.actor, notice).await);
        }
    };
    state
        .fed
        .store()
        .add_invite(group.id, &actor, Some(who.staff.account.id))
        .await
        .map_err(|e| cx.unavailable(e))?;
    tracing::info!(group = %group.name, actor, by = %who.staff.account.username, "actor invited");
    Ok(done(
        &group_path(&group.name, "/invites"),
        &format!("Invited {actor}: their follow will be accepted."),
    ))
}

/// `POST /admin/groups/{name}/invites/withdraw`.
pub(super) async fn withdraw(
    State(state): State<AppState>,
    who: PageStaff,
    Path(name): Path<String>,
    Form(form): Form<InviteForm>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.csrf(form.csrf.as_deref())?;
    let group = cx.group(&name).await?;
    cx.require(Permission::ManageMembers, Some(&group))?;
    let actor = form.actor.trim();
    let removed = state
        .fed
        .store()
        .remove_invite(group.id, actor)
        .await
        .map_err(|e| cx.unavailable(e))?;
    if !removed {
        let notice = Notice::alert(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{actor} is not invited to this group"),
        );
        return Err(page(&cx, &group, "", notice).await);
    }
    tracing::info!(group = %group.name, actor, by = %who.staff.account.username, "invite withdrawn");
    Ok(done(
        &group_path(&group.name, "/invites"),
        &format!("Withdrew the invitation of {actor}."),
    ))
}
