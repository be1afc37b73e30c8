//! What the staff pages share: rendering with the staff header and the notices, messages
//! carried over a redirect, the CSRF and permission checks, and finding the group a page is
//! about.

use std::convert::Infallible;
use std::fmt::Display;
use std::sync::OnceLock;

use axum::extract::FromRequestParts;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, SET_COOKIE, X_FRAME_OPTIONS,
};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use hearth_storage::{Group, GroupRole};
use minijinja::{context, Value};
use serde::Deserialize;

use crate::accounts::{AuthError, Permission};
use crate::http::auth::{check_csrf, PageStaff};
use crate::http::AppState;

/// A handler's answer: the page, or the page saying why not.
pub(super) type Reply = Result<Response, Response>;

/// A refusal from a check, as the page to send instead (boxed: checks return it often and
/// it is large).
pub(super) struct Refusal(Box<Response>);

impl From<Refusal> for Response {
    fn from(refusal: Refusal) -> Response {
        *refusal.0
    }
}

/// The cookie that carries a success message over a redirect.
const FLASH_COOKIE: &str = "hearth_flash";
/// What staff pages may load and where their forms may go: no scripts at all.
const POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' https: data:; \
    form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
/// Longest message a flash cookie carries.
const MAX_FLASH_CHARS: usize = 300;

/// What a page says above its content.
pub(super) enum Notice {
    /// Nothing.
    None,
    /// A success message carried over a redirect (`role="status"`), cleared once shown.
    Flash(String),
    /// An error (`role="alert"`), sent with this status.
    Alert(StatusCode, String),
}

impl Notice {
    /// An error with its status.
    pub(super) fn alert(status: StatusCode, message: impl Display) -> Notice {
        Notice::Alert(status, message.to_string())
    }
}

/// The message a redirect carried, if any.
pub(super) struct Flash(Option<String>);

impl Flash {
    /// The message as a notice.
    pub(super) fn notice(self) -> Notice {
        match self.0 {
            Some(message) => Notice::Flash(message),
            None => Notice::None,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Flash {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        let jar = CookieJar::from_headers(&parts.headers);
        let message = jar.get(FLASH_COOKIE).and_then(|c| {
            url::form_urlencoded::parse(c.value().as_bytes())
                .next()
                .map(|(text, _)| text.chars().take(MAX_FLASH_CHARS).collect::<String>())
                .filter(|text| !text.trim().is_empty())
        });
        Ok(Flash(message))
    }
}

fn flash_cookie(value: String, max_age: time::Duration) -> Cookie<'static> {
    Cookie::build((FLASH_COOKIE, value))
        .path("/admin")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(max_age)
        .build()
}

/// A `303 See Other` to `to` (a local path made by this module), showing `message` there.
pub(super) fn done(to: &str, message: &str) -> Response {
    let message: String = message.chars().take(MAX_FLASH_CHARS).collect();
    let encoded: String = url::form_urlencoded::byte_serialize(message.as_bytes()).collect();
    let jar = CookieJar::new().add(flash_cookie(encoded, time::Duration::minutes(1)));
    (jar, Redirect::to(to)).into_response()
}

/// Renders an admin template with the staff header (`who`), the notice and `ctx`.
pub(super) fn render(
    state: &AppState,
    who: Option<&PageStaff>,
    template: &str,
    notice: Notice,
    ctx: Value,
) -> Response {
    let (status, done, alert, clear_flash) = match notice {
        Notice::None => (StatusCode::OK, None, None, false),
        Notice::Flash(message) => (StatusCode::OK, Some(message), None, true),
        Notice::Alert(status, message) => (status, None, Some(message), false),
    };
    let me = who.map(|w| {
        context! {
            username => w.staff.account.username.clone(),
            is_admin => w.staff.is_admin(),
        }
    });
    let csrf = who.map(|w| w.session.csrf_token.clone());
    let mut response =
        state
            .pages
            .render(state, template, context! { me, csrf, done, alert, ..ctx });
    if response.status().is_success() {
        *response.status_mut() = status;
    }
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if clear_flash {
        let removal = flash_cookie(String::new(), time::Duration::ZERO).to_string();
        if let Ok(value) = HeaderValue::from_str(&removal) {
            headers.append(SET_COOKIE, value);
        }
    }
    response
}

/// A form that carries nothing but the anti-forgery token.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct CsrfOnly {
    /// The session's CSRF token.
    pub csrf: Option<String>,
}

/// How many held posts and open report cases wait in a group.
struct Waiting {
    group_id: i64,
    held: i64,
    cases: i64,
}

/// The logged-in staff member a page is for, with the shared checks and pages.
pub(super) struct Cx<'a> {
    /// Application state.
    pub state: &'a AppState,
    /// Who is asking.
    pub who: &'a PageStaff,
    /// What waits for the moderators of the group looked up with [`Cx::group`], when the
    /// staff member is one of them (shown in the group's tabs).
    waiting: OnceLock<Waiting>,
}

impl<'a> Cx<'a> {
    /// For `who`.
    pub(super) fn new(state: &'a AppState, who: &'a PageStaff) -> Self {
        Cx {
            state,
            who,
            waiting: OnceLock::new(),
        }
    }

    /// Renders `template` with the staff header.
    pub(super) fn page(&self, template: &str, notice: Notice, ctx: Value) -> Response {
        render(self.state, Some(self.who), template, notice, ctx)
    }

    /// A page that only says what went wrong.
    pub(super) fn failure(&self, status: StatusCode, heading: &str, message: &str) -> Response {
        self.page(
            "admin/error.html",
            Notice::alert(status, message),
            context! { heading, status => status.as_u16() },
        )
    }

    /// The page for a refused account operation.
    pub(super) fn auth_failed(&self, err: AuthError) -> Response {
        match err {
            AuthError::Csrf => self.failure(
                StatusCode::FORBIDDEN,
                "Form not accepted",
                &AuthError::Csrf.to_string(),
            ),
            AuthError::Forbidden(message) => {
                self.failure(StatusCode::FORBIDDEN, "Not allowed", &message)
            }
            AuthError::Store(err) => self.unavailable(err),
            other => self.failure(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Not done",
                &other.to_string(),
            ),
        }
    }

    /// The page for a store that failed.
    pub(super) fn unavailable(&self, err: impl Display) -> Response {
        tracing::error!(error = %err, "a staff page could not use the store");
        self.failure(
            StatusCode::SERVICE_UNAVAILABLE,
            "Temporarily unavailable",
            "The database could not be reached. Please try again in a moment.",
        )
    }

    /// Checks a submitted form's anti-forgery token.
    pub(super) fn csrf(&self, submitted: Option<&str>) -> Result<(), Refusal> {
        check_csrf(&self.who.session, submitted).map_err(|e| Refusal(Box::new(self.auth_failed(e))))
    }

    /// Checks that the staff member may do `permission` (in `group`).
    pub(super) fn require(
        &self,
        permission: Permission,
        group: Option<&Group>,
    ) -> Result<(), Refusal> {
        self.who
            .staff
            .require(permission, group)
            .map_err(|e| Refusal(Box::new(self.auth_failed(e))))
    }

    /// Whether the staff member may do `permission` in `group`.
    pub(super) fn can(&self, permission: Permission, group: &Group) -> bool {
        self.who.staff.can(permission, Some(group))
    }

    /// The group named `name`, or the page saying there is none. For staff who may moderate
    /// it, also counts the held posts and open report cases (for the group's tabs).
    pub(super) async fn group(&self, name: &str) -> Result<Group, Response> {
        let store = self.state.fed.store();
        match store.group_by_name(name).await {
            Ok(Some(group)) => {
                if self.can(Permission::ReviewPosts, &group) {
                    let counts = tokio::try_join!(
                        store.count_open_held_posts(group.id),
                        store.count_open_cases(group.id),
                    );
                    match counts {
                        Ok((held, cases)) => {
                            let _ = self.waiting.set(Waiting {
                                group_id: group.id,
                                held,
                                cases,
                            });
                        }
                        Err(err) => {
                            tracing::warn!(error = %err, group = %group.name, "cannot count what waits for moderators");
                        }
                    }
                }
                Ok(group)
            }
            Ok(None) => Err(self.failure(
                StatusCode::NOT_FOUND,
                "No such group",
                "There is no group by that name here.",
            )),
            Err(err) => Err(self.unavailable(err)),
        }
    }

    fn waiting_in(&self, group: &Group) -> Option<&Waiting> {
        self.waiting.get().filter(|w| w.group_id == group.id)
    }

    /// What every page about `group` shows: its names, links and what the viewer may do.
    pub(super) fn group_view(&self, group: &Group) -> Value {
        let urls = self.state.fed.urls();
        let role = match self.who.staff.role_in(group) {
            Some(role) => role_label(role),
            None if self.who.staff.is_admin() => "Instance admin",
            None => "",
        };
        context! {
            name => group.name.clone(),
            title => group.title.clone(),
            handle => format!("@{}@{}", group.name, urls.authority()),
            public_url => urls.group(&group.name).to_string(),
            admin_url => group_path(&group.name, ""),
            archived => group.is_archived(),
            role,
            can_edit => self.can(Permission::EditGroup, group),
            can_staff => self.can(Permission::ManageStaff, group),
            can_members => self.can(Permission::ManageMembers, group),
            can_review => self.can(Permission::ReviewPosts, group),
            held => self.waiting_in(group).map(|w| w.held),
            cases => self.waiting_in(group).map(|w| w.cases),
        }
    }
}

/// `/admin/groups/{name}{suffix}` (group names are URL-safe: `a-z 0-9 _`).
pub(super) fn group_path(name: &str, suffix: &str) -> String {
    format!("/admin/groups/{name}{suffix}")
}

/// How a role reads on a page.
pub(super) fn role_label(role: GroupRole) -> &'static str {
    match role {
        GroupRole::Owner => "Owner",
        GroupRole::Moderator => "Moderator",
        GroupRole::Manager => "Community manager",
    }
}

/// A time (ms since the epoch) as shown on pages, and as ISO 8601 for `<time datetime>`.
pub(super) fn when(ms: i64) -> Value {
    let t = chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default();
    context! {
        text => t.format("%-d %b %Y, %H:%M UTC").to_string(),
        iso => t.to_rfc3339(),
    }
}

/// How the modlog and held-post decisions record a staff member: `staff:{username}`.
pub(super) fn staff_actor(who: &PageStaff) -> String {
    format!("staff:{}", who.staff.account.username)
}

/// Who did something, as a page shows it: `staff:ada` is `ada`, `cli:root` is `root (command
/// line)`, `subscription:https://…` is `list https://…`.
pub(super) fn actor_text(actor: &str) -> String {
    if let Some(name) = actor.strip_prefix("staff:") {
        name.to_owned()
    } else if let Some(user) = actor.strip_prefix("cli:") {
        format!("{user} (command line)")
    } else if let Some(list) = actor.strip_prefix("subscription:") {
        format!("list {list}")
    } else {
        actor.to_owned()
    }
}

/// `1 follow`, `2 follows`.
pub(super) fn count_of(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A form's optional field with surrounding blanks removed; `None` when blank.
pub(super) fn non_blank(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}
