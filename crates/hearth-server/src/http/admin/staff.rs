//! A group's staff: who holds which role, appointing and removing.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::Form;
use hearth_storage::{Group, GroupRole};
use minijinja::{context, Value};
use serde::Deserialize;

use super::forms::{done, group_path, role_label, when, Cx, Flash, Notice, Reply};
use crate::accounts::Permission;
use crate::http::auth::PageStaff;
use crate::http::AppState;

/// The choices of the "Role" select: value and label.
const ROLES: &[(&str, &str)] = &[
    ("owner", "Owner"),
    ("moderator", "Moderator"),
    ("manager", "Community manager"),
];

/// The appointment form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct AppointForm {
    csrf: Option<String>,
    username: String,
    role: String,
}

async fn page(cx: &Cx<'_>, group: &Group, values: Value, notice: Notice) -> Response {
    let staff = match cx.state.fed.store().group_staff(group.id).await {
        Ok(staff) => staff,
        Err(err) => return cx.unavailable(err),
    };
    let staff: Vec<Value> = staff
        .iter()
        .map(|s| {
            context! {
                username => s.username.clone(),
                account_id => s.account_id,
                role => role_label(s.role),
                since => when(s.created_at),
            }
        })
        .collect();
    let roles: Vec<Value> = ROLES
        .iter()
        .map(|(value, label)| context! { value, label })
        .collect();
    cx.page(
        "admin/staff.html",
        notice,
        context! { group => cx.group_view(group), section => "staff", staff, roles, values },
    )
}

/// `GET /admin/groups/{name}/staff`.
pub(super) async fn show(
    State(state): State<AppState>,
    who: PageStaff,
    flash: Flash,
    Path(name): Path<String>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    let group = cx.group(&name).await?;
    cx.require(Permission::ViewGroup, Some(&group))?;
    let values = context! { role => "moderator" };
    Ok(page(&cx, &group, values, flash.notice()).await)
}

/// `POST /admin/groups/{name}/staff`: gives an account a role in the group (replacing the
/// one it had).
pub(super) async fn appoint(
    State(state): State<AppState>,
    who: PageStaff,
    Path(name): Path<String>,
    Form(form): Form<AppointForm>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.csrf(form.csrf.as_deref())?;
    let group = cx.group(&name).await?;
    cx.require(Permission::ManageStaff, Some(&group))?;
    let values = context! { username => form.username.clone(), role => form.role.clone() };
    let role = match form.role.parse::<GroupRole>() {
        Ok(role) => role,
        Err(message) => {
            let notice = Notice::alert(StatusCode::UNPROCESSABLE_ENTITY, message);
            return Err(page(&cx, &group, values, notice).await);
        }
    };
    let username = form.username.trim().to_lowercase();
    let store = state.fed.store();
    let account = match store.account_by_username(&username).await {
        Ok(Some(account)) => account,
        Ok(None) => {
            let message = if username.is_empty() {
                "enter the username of a staff account".to_owned()
            } else {
                format!("there is no staff account named {username:?}; an instance admin can create it under Accounts")
            };
            let notice = Notice::alert(StatusCode::UNPROCESSABLE_ENTITY, message);
            return Err(page(&cx, &group, values, notice).await);
        }
        Err(err) => return Err(cx.unavailable(err)),
    };
    if let Err(err) = store.set_group_role(group.id, account.id, role).await {
        return Err(cx.unavailable(err));
    }
    tracing::info!(group = %group.name, account = %account.username, role = %role, by = %who.staff.account.username, "staff appointed");
    Ok(done(
        &group_path(&group.name, "/staff"),
        &format!(
            "{} is now {} of the group.",
            account.username,
            role_label(role).to_lowercase()
        ),
    ))
}

/// The removal form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RemoveForm {
    csrf: Option<String>,
    account: String,
}

/// `POST /admin/groups/{name}/staff/remove`: withdraws an account's role in the group.
pub(super) async fn remove(
    State(state): State<AppState>,
    who: PageStaff,
    Path(name): Path<String>,
    Form(form): Form<RemoveForm>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.csrf(form.csrf.as_deref())?;
    let group = cx.group(&name).await?;
    cx.require(Permission::ManageStaff, Some(&group))?;
    let store = state.fed.store();
    let staff = store
        .group_staff(group.id)
        .await
        .map_err(|e| cx.unavailable(e))?;
    let member = form
        .account
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|id| staff.iter().find(|s| s.account_id == id));
    let Some(member) = member else {
        let notice = Notice::alert(
            StatusCode::UNPROCESSABLE_ENTITY,
            "that account is not on this group's staff",
        );
        return Err(page(&cx, &group, context! { role => "moderator" }, notice).await);
    };
    store
        .remove_group_role(group.id, member.account_id)
        .await
        .map_err(|e| cx.unavailable(e))?;
    tracing::info!(group = %group.name, account = %member.username, by = %who.staff.account.username, "staff removed");
    Ok(done(
        &group_path(&group.name, "/staff"),
        &format!("{} is no longer on the group's staff.", member.username),
    ))
}
