//! Logging in and out. The login form has no session to tie its CSRF token to, so it uses a
//! double-submit cookie; failed logins count towards the account's lock in
//! [`crate::accounts::Accounts::login`].

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use axum_extra::extract::Form;
use minijinja::context;
use serde::Deserialize;

use super::forms::{self, CsrfOnly, Cx, Flash, Notice};
use crate::accounts::{new_token, AuthError};
use crate::http::auth::{
    removed_session_cookie, same_token, session_cookie, PageStaff, LOGIN_CSRF_COOKIE,
};
use crate::http::AppState;

/// Shown when a page sent someone here because their session ended.
const EXPIRED: &str = "Your session has expired. Log in again.";
/// Shown for an unknown user or a wrong password.
const WRONG: &str = "Wrong username or password.";

/// Where to go after logging in: `next` when it is a path on this site.
fn safe_next(next: Option<&str>) -> Option<&str> {
    let next = next?;
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        // Printable ASCII only: no header tricks, and nothing a Location cannot carry.
        && next.bytes().all(|b| (0x21..0x7f).contains(&b))
        && !next.starts_with("/admin/login")
        && !next.starts_with("/admin/logout");
    local.then_some(next)
}

/// The query of the login page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct LoginQuery {
    next: Option<String>,
    expired: Option<String>,
}

/// The login form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct LoginForm {
    username: String,
    password: String,
    code: String,
    next: String,
    csrf: String,
}

fn login_csrf_cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((LOGIN_CSRF_COOKIE, value))
        .path("/admin/login")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .max_age(time::Duration::hours(2))
        .build()
}

/// The login page with a fresh double-submit token.
fn login_page(state: &AppState, notice: Notice, username: &str, next: Option<&str>) -> Response {
    let token = new_token("lc");
    let secure = state.accounts.settings().secure_cookies;
    let jar = CookieJar::new().add(login_csrf_cookie(token.clone(), secure));
    let page = forms::render(
        state,
        None,
        "admin/login.html",
        notice,
        context! { login_csrf => token, username, next },
    );
    (jar, page).into_response()
}

/// `GET /admin/login`.
pub(super) async fn form(
    State(state): State<AppState>,
    who: Option<PageStaff>,
    flash: Flash,
    Query(query): Query<LoginQuery>,
) -> Response {
    let next = safe_next(query.next.as_deref());
    if who.is_some() {
        return Redirect::to(next.unwrap_or("/admin")).into_response();
    }
    let notice = if query.expired.is_some() {
        Notice::alert(StatusCode::OK, EXPIRED)
    } else {
        flash.notice()
    };
    login_page(&state, notice, "", next)
}

/// `POST /admin/login`.
pub(super) async fn submit(
    State(state): State<AppState>,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(Some(&form.next));
    let csrf_ok = jar
        .get(LOGIN_CSRF_COOKIE)
        .is_some_and(|c| !form.csrf.is_empty() && same_token(c.value(), &form.csrf));
    if !csrf_ok {
        let notice = Notice::alert(StatusCode::FORBIDDEN, AuthError::Csrf);
        return login_page(&state, notice, &form.username, next);
    }
    let account = match state
        .accounts
        .login(&form.username, &form.password, Some(&form.code))
        .await
    {
        Ok(account) => account,
        Err(err) => {
            let notice = match err {
                AuthError::WrongCredentials => Notice::alert(StatusCode::UNAUTHORIZED, WRONG),
                AuthError::Locked { .. } => Notice::alert(StatusCode::TOO_MANY_REQUESTS, err),
                AuthError::CodeRequired | AuthError::WrongCode => {
                    Notice::alert(StatusCode::UNAUTHORIZED, err)
                }
                AuthError::Invalid(_) => Notice::alert(StatusCode::UNPROCESSABLE_ENTITY, err),
                other => {
                    tracing::error!(error = %other, "cannot check a login");
                    Notice::alert(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "Logging in is not possible right now. Please try again in a moment.",
                    )
                }
            };
            return login_page(&state, notice, &form.username, next);
        }
    };
    let new = match state.accounts.start_session(&account).await {
        Ok(new) => new,
        Err(err) => {
            tracing::error!(error = %err, "cannot start a session");
            let notice = Notice::alert(
                StatusCode::SERVICE_UNAVAILABLE,
                "Logging in is not possible right now. Please try again in a moment.",
            );
            return login_page(&state, notice, &form.username, next);
        }
    };
    tracing::info!(
        account = %account.username,
        until = new.session.expires_at,
        "staff logged in"
    );
    let settings = state.accounts.settings();
    let jar = CookieJar::new()
        .add(session_cookie(
            new.cookie,
            settings.session_ms / 1000,
            settings.secure_cookies,
        ))
        .add(removal(login_csrf_cookie(
            String::new(),
            settings.secure_cookies,
        )));
    (jar, Redirect::to(next.unwrap_or("/admin"))).into_response()
}

/// `POST /admin/logout`: ends the session.
pub(super) async fn logout(
    State(state): State<AppState>,
    who: PageStaff,
    Form(form): Form<CsrfOnly>,
) -> Response {
    let cx = Cx::new(&state, &who);
    if let Err(page) = cx.csrf(form.csrf.as_deref()) {
        return page.into();
    }
    if let Err(err) = state.accounts.logout(&who.cookie).await {
        return cx.unavailable(err);
    }
    let jar = CookieJar::new().add(removal(removed_session_cookie()));
    (jar, forms::done("/admin/login", "You have logged out.")).into_response()
}

/// The cookie that deletes `cookie` (same name and path).
fn removal(mut cookie: Cookie<'static>) -> Cookie<'static> {
    cookie.make_removal();
    cookie
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/admin/groups/x")), Some("/admin/groups/x"));
        assert_eq!(safe_next(Some("/admin?x=%20")), Some("/admin?x=%20"));
        for bad in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "admin",
            "",
            "/admin\r\nSet-Cookie: x=1",
            "/admin/logout",
        ] {
            assert_eq!(safe_next(Some(bad)), None, "{bad:?}");
        }
    }
}
