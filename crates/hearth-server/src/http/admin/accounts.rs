//! The staff accounts (instance admins only): the list and creating one.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::Form;
use minijinja::{context, Value};
use serde::Deserialize;

use super::forms::{done, group_path, role_label, when, Cx, Flash, Notice, Reply};
use crate::accounts::{AuthError, Permission, MIN_PASSWORD_CHARS};
use crate::http::auth::PageStaff;
use crate::http::AppState;

/// The new-account form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct NewAccountForm {
    csrf: Option<String>,
    username: String,
    password: String,
    admin: Option<String>,
}

async fn page(cx: &Cx<'_>, values: Value, notice: Notice) -> Response {
    let store = cx.state.fed.store();
    let accounts = match store.list_accounts().await {
        Ok(accounts) => accounts,
        Err(err) => return cx.unavailable(err),
    };
    let now = hearth_storage::now_ms();
    let mut rows = Vec::with_capacity(accounts.len());
    for account in accounts {
        let roles = match store.roles_of_account(account.id).await {
            Ok(roles) => roles,
            Err(err) => return cx.unavailable(err),
        };
        let roles: Vec<Value> = roles
            .iter()
            .map(|r| {
                context! {
                    group => r.group_name.clone(),
                    url => group_path(&r.group_name, ""),
                    role => role_label(r.role),
                }
            })
            .collect();
        rows.push(context! {
            username => account.username,
            admin => account.is_admin,
            two_factor => account.totp_secret.is_some(),
            locked => account.locked_until.is_some_and(|until| until > now),
            created => when(account.created_at),
            roles,
        });
    }
    cx.page(
        "admin/accounts.html",
        notice,
        context! { accounts => rows, values, min_password => MIN_PASSWORD_CHARS },
    )
}

/// `GET /admin/accounts`.
pub(super) async fn show(State(state): State<AppState>, who: PageStaff, flash: Flash) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.require(Permission::AdministerInstance, None)?;
    Ok(page(&cx, context! {}, flash.notice()).await)
}

/// `POST /admin/accounts`.
pub(super) async fn create(
    State(state): State<AppState>,
    who: PageStaff,
    Form(form): Form<NewAccountForm>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.csrf(form.csrf.as_deref())?;
    cx.require(Permission::AdministerInstance, None)?;
    let admin = form.admin.is_some();
    match state
        .accounts
        .create(&form.username, &form.password, admin)
        .await
    {
        Ok(account) => {
            tracing::info!(account = %account.username, admin, by = %who.staff.account.username, "staff account created");
            let what = if admin { "Instance admin" } else { "Account" };
            Ok(done(
                "/admin/accounts",
                &format!(
                    "{what} {} created. Appoint it to groups on each group's Staff page.",
                    account.username
                ),
            ))
        }
        Err(AuthError::Store(err)) => Err(cx.unavailable(err)),
        Err(err) => {
            let status = match err {
                AuthError::Taken(_) => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let values = context! { username => form.username.clone(), admin };
            Err(page(&cx, values, Notice::alert(status, err)).await)
        }
    }
}
