//! Who is asking: staff sessions (a cookie, for pages) and API tokens (`Authorization:
//! Bearer`, for scripts), and the anti-forgery checks that go with cookies.
//!
//! Pages use [`PageStaff`], which sends people without a live session to the login page.
//! The JSON API uses [`ApiStaff`], which answers 401 instead; when the API is called with a
//! session cookie rather than a token, unsafe methods must echo the session's CSRF token in
//! the `X-CSRF-Token` header.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use hearth_storage::Session;

use super::error::ApiError;
use super::AppState;
use crate::accounts::{AuthError, Staff};

/// The session cookie.
pub const SESSION_COOKIE: &str = "hearth_session";
/// The double-submit cookie that protects the login form (there is no session yet).
pub const LOGIN_CSRF_COOKIE: &str = "hearth_login_csrf";
/// The header API calls made with a session cookie carry the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A session cookie for `value`, lasting `max_age_secs`.
pub fn session_cookie(value: String, max_age_secs: i64, secure: bool) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, value))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(time::Duration::seconds(max_age_secs))
        .build()
}

/// The cookie that removes the session cookie (empty, expired).
pub fn removed_session_cookie() -> Cookie<'static> {
    let mut cookie = Cookie::build((SESSION_COOKIE, "")).path("/").build();
    cookie.make_removal();
    cookie
}

/// Whether two tokens are equal, in time that does not depend on where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Checks a submitted form's CSRF token against the session's.
pub fn check_csrf(session: &Session, submitted: Option<&str>) -> Result<(), AuthError> {
    match submitted {
        Some(token) if same_token(token, &session.csrf_token) => Ok(()),
        _ => Err(AuthError::Csrf),
    }
}

/// A logged-in staff member on a page, with their session (for CSRF tokens and logout).
pub struct PageStaff {
    /// Who.
    pub staff: Staff,
    /// Their session.
    pub session: Session,
    /// The raw session cookie (to keep this session when the password changes).
    pub cookie: String,
}

/// Where a page request without a live session goes: the login page, back here afterwards.
pub struct ToLogin(Response);

impl IntoResponse for ToLogin {
    fn into_response(self) -> Response {
        self.0
    }
}

fn login_redirect(parts: &Parts, expired: bool) -> ToLogin {
    let next = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/admin");
    let mut target = url::form_urlencoded::Serializer::new(String::new());
    target.append_pair("next", next);
    if expired {
        target.append_pair("expired", "1");
    }
    let jar = CookieJar::new().add(removed_session_cookie());
    ToLogin(
        (
            jar,
            Redirect::to(&format!("/admin/login?{}", target.finish())),
        )
            .into_response(),
    )
}

impl FromRequestParts<AppState> for PageStaff {
    type Rejection = ToLogin;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ToLogin> {
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(cookie) = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
            return Err(login_redirect(parts, false));
        };
        match state.accounts.staff_for_session(&cookie).await {
            Ok((staff, session)) => Ok(PageStaff {
                staff,
                session,
                cookie,
            }),
            Err(AuthError::Expired | AuthError::NotLoggedIn) => Err(login_redirect(parts, true)),
            Err(err) => {
                tracing::error!(error = %err, "cannot check a session");
                Err(ToLogin(
                    (StatusCode::SERVICE_UNAVAILABLE, "temporarily unavailable").into_response(),
                ))
            }
        }
    }
}

impl OptionalFromRequestParts<AppState> for PageStaff {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(
            <PageStaff as FromRequestParts<AppState>>::from_request_parts(parts, state)
                .await
                .ok(),
        )
    }
}

/// A staff member calling the JSON API, by token or by session cookie.
pub struct ApiStaff(pub Staff);

impl FromRequestParts<AppState> for ApiStaff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .ok_or_else(|| {
                    ApiError::new(
                        StatusCode::UNAUTHORIZED,
                        "unauthorized",
                        "the Authorization header must be `Bearer <token>`",
                    )
                })?;
            return Ok(ApiStaff(state.accounts.staff_for_token(token).await?));
        }
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(cookie) = jar.get(SESSION_COOKIE) else {
            return Err(AuthError::NotLoggedIn.into());
        };
        let (staff, session) = state.accounts.staff_for_session(cookie.value()).await?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let submitted = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            check_csrf(&session, submitted)?;
        }
        Ok(ApiStaff(staff))
    }
}

/// A caller of a public API route who may be staff: `None` without credentials. A token that
/// is not valid is refused; a session cookie that is not valid counts as no credentials.
impl OptionalFromRequestParts<AppState> for ApiStaff {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        let found =
            <ApiStaff as FromRequestParts<AppState>>::from_request_parts(parts, state).await;
        match found {
            Ok(staff) => Ok(Some(staff)),
            Err(_) if !parts.headers.contains_key(header::AUTHORIZATION) => Ok(None),
            Err(err) => Err(err),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        let message = err.to_string();
        let (status, code) = match err {
            AuthError::WrongCredentials => (StatusCode::UNAUTHORIZED, "wrong_credentials"),
            AuthError::Locked { .. } => (StatusCode::TOO_MANY_REQUESTS, "locked"),
            AuthError::CodeRequired => (StatusCode::UNAUTHORIZED, "code_required"),
            AuthError::WrongCode => (StatusCode::UNAUTHORIZED, "wrong_code"),
            AuthError::NotLoggedIn => (StatusCode::UNAUTHORIZED, "unauthorized"),
            AuthError::Expired => (StatusCode::UNAUTHORIZED, "session_expired"),
            AuthError::BadToken => (StatusCode::UNAUTHORIZED, "bad_token"),
            AuthError::Csrf => (StatusCode::FORBIDDEN, "csrf"),
            AuthError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            AuthError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            AuthError::Taken(_) => (StatusCode::CONFLICT, "taken"),
            AuthError::Store(store) => return ApiError::from(store),
        };
        ApiError::new(status, code, message)
    }
}
