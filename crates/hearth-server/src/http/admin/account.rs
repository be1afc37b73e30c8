//! One's own account: password, two-factor authentication and API tokens.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::Form;
use minijinja::{context, Value};
use serde::Deserialize;

use super::forms::{done, when, CsrfOnly, Cx, Flash, Notice, Reply};
use crate::accounts::AuthError;
use crate::http::auth::PageStaff;
use crate::http::AppState;

/// What the account page shows besides the notice.
#[derive(Default)]
struct Extra {
    /// A second factor being set up: its secret and `otpauth://` URL.
    setup: Option<(String, String)>,
    /// A token just created: its name and secret, shown once.
    new_token: Option<(String, String)>,
    /// The name typed into the token form.
    token_name: String,
}

async fn page(cx: &Cx<'_>, extra: Extra, notice: Notice) -> Response {
    let account = &cx.who.staff.account;
    let tokens = match cx.state.fed.store().api_tokens(account.id).await {
        Ok(tokens) => tokens,
        Err(err) => return cx.unavailable(err),
    };
    let tokens: Vec<Value> = tokens
        .iter()
        .map(|t| {
            context! {
                id => t.id,
                name => t.name.clone(),
                created => when(t.created_at),
                last_used => t.last_used_at.map(when),
                revoked => t.revoked_at.map(when),
            }
        })
        .collect();
    let ctx = context! {
        username => account.username.clone(),
        two_factor => account.totp_secret.is_some(),
        setup => extra.setup.map(|(secret, url)| context! { secret, url }),
        new_token => extra.new_token.map(|(name, secret)| context! { name, secret }),
        token_name => extra.token_name,
        tokens,
    };
    cx.page("admin/account.html", notice, ctx)
}

fn invalid(message: impl std::fmt::Display) -> Notice {
    Notice::alert(StatusCode::UNPROCESSABLE_ENTITY, message)
}

/// `GET /admin/account`.
pub(super) async fn show(State(state): State<AppState>, who: PageStaff, flash: Flash) -> Response {
    let cx = Cx::new(&state, &who);
    page(&cx, Extra::default(), flash.notice()).await
}

/// The password form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct PasswordForm {
    csrf: Option<String>,
    current: String,
    new: String,
    repeat: String,
}

/// `POST /admin/account/password`: other sessions end; this one stays.
pub(super) async fn change_password(
    State(state): State<AppState>,
    who: PageStaff,
    Form(form): Form<PasswordForm>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.csrf(form.csrf.as_deref())?;
    if form.new != form.repeat {
        let notice = invalid("the new password and its repetition differ");
        return Err(page(&cx, Extra::default(), notice).await);
    }
    match state
        .accounts
        .change_password(
            &who.staff.account,
            &form.current,
            &form.new,
            Some(&who.cookie),
        )
        .await
    {
        Ok(()) => {
            tracing::info!(account = %who.staff.account.username, "password changed");
            Ok(done(
                "/admin/account",
                "Password changed. Your other sessions have been logged out.",
            ))
        }
        Err(AuthError::Store(err)) => Err(cx.unavailable(err)),
        Err(err) => Err(page(&cx, Extra::default(), invalid(err)).await),
    }
}

/// `POST /admin/account/two-factor/setup`: shows a new secret to add to an app.
pub(super) async fn begin_two_factor(
    State(state): State<AppState>,
    who: PageStaff,
    Form(form): Form<CsrfOnly>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.csrf(form.csrf.as_deref())?;
    let account = &who.staff.account;
    if account.totp_secret.is_some() {
        let notice = Notice::alert(
            StatusCode::CONFLICT,
            "two-factor authentication is already on; turn it off first to set up a new app",
        );
        return Err(page(&cx, Extra::default(), notice).await);
    }
    match state.accounts.begin_totp(account, &state.node_name) {
        Ok(setup) => {
            let extra = Extra {
                setup: Some((setup.secret, setup.url)),
                ..Extra::default()
            };
            Ok(page(&cx, extra, Notice::None).await)
        }
        Err(AuthError::Store(err)) => Err(cx.unavailable(err)),
        Err(err) => Err(page(&cx, Extra::default(), invalid(err)).await),
    }
}

/// The form that turns the second factor on.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct EnableForm {
    csrf: Option<String>,
    secret: String,
    url: String,
    code: String,
}

/// `POST /admin/account/two-factor/enable`: turns it on once a code from the app matches.
pub(super) async fn enable_two_factor(
    State(state): State<AppState>,
    who: PageStaff,
    Form(form): Form<EnableForm>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.csrf(form.csrf.as_deref())?;
    let account = &who.staff.account;
    let secret = form.secret.trim();
    if secret.is_empty() {
        let notice = invalid("start by setting up two-factor authentication");
        return Err(page(&cx, Extra::default(), notice).await);
    }
    match state
        .accounts
        .enable_totp(account, secret, &form.code)
        .await
    {
        Ok(()) => {
            tracing::info!(account = %account.username, "two-factor authentication turned on");
            Ok(done(
                "/admin/account",
                "Two-factor authentication is on: you will be asked for a code when you log in.",
            ))
        }
        Err(AuthError::Store(err)) => Err(cx.unavailable(err)),
        Err(err) => {
            let extra = Extra {
                setup: Some((secret.to_owned(), form.url.clone())),
                ..Extra::default()
            };
            Err(page(&cx, extra, invalid(err)).await)
        }
    }
}

/// `POST /admin/account/two-factor/disable`.
pub(super) async fn disable_two_factor(
    State(state): State<AppState>,
    who: PageStaff,
    Form(form): Form<CsrfOnly>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.csrf(form.csrf.as_deref())?;
    let account = &who.staff.account;
    state
        .accounts
        .disable_totp(account)
        .await
        .map_err(|e| cx.auth_failed(e))?;
    tracing::info!(account = %account.username, "two-factor authentication turned off");
    Ok(done("/admin/account", "Two-factor authentication is off."))
}

/// The new-token form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct TokenForm {
    csrf: Option<String>,
    name: String,
}

/// `POST /admin/account/tokens`: shows the new token's secret, once.
pub(super) async fn create_token(
    State(state): State<AppState>,
    who: PageStaff,
    Form(form): Form<TokenForm>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.csrf(form.csrf.as_deref())?;
    match state
        .accounts
        .create_token(&who.staff.account, &form.name)
        .await
    {
        Ok((secret, token)) => {
            tracing::info!(account = %who.staff.account.username, token = %token.name, "API token created");
            let extra = Extra {
                new_token: Some((token.name, secret)),
                ..Extra::default()
            };
            Ok(page(&cx, extra, Notice::None).await)
        }
        Err(AuthError::Store(err)) => Err(cx.unavailable(err)),
        Err(err) => {
            let extra = Extra {
                token_name: form.name.clone(),
                ..Extra::default()
            };
            Err(page(&cx, extra, invalid(err)).await)
        }
    }
}

/// The revoke form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RevokeForm {
    csrf: Option<String>,
    id: String,
}

/// `POST /admin/account/tokens/revoke`.
pub(super) async fn revoke_token(
    State(state): State<AppState>,
    who: PageStaff,
    Form(form): Form<RevokeForm>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.csrf(form.csrf.as_deref())?;
    let account = &who.staff.account;
    let revoked = match form.id.trim().parse::<i64>() {
        Ok(id) => state
            .fed
            .store()
            .revoke_api_token(account.id, id)
            .await
            .map_err(|e| cx.unavailable(e))?,
        Err(_) => false,
    };
    if !revoked {
        let notice = invalid("that token does not exist or is already revoked");
        return Err(page(&cx, Extra::default(), notice).await);
    }
    tracing::info!(account = %account.username, token = %form.id, "API token revoked");
    Ok(done("/admin/account", "Token revoked."))
}
