//! The staff pages under `/admin`: logging in, the dashboard, creating and editing groups,
//! their rules, members and join requests, staff, invites, posts held for review, reports and
//! bans, one's own account, and (for instance admins) the staff accounts and federation:
//! domain rules, instance health and the moderation log.
//!
//! Every page is rendered on the server and works without JavaScript. Every form that changes
//! something carries the session's CSRF token; its handler checks that first, then the
//! permission, then the input. A refused form is shown again with the reason (`role="alert"`)
//! and a 4xx status, having changed nothing; a form that worked redirects (303) to a page that
//! says so (`role="status"`).

mod account;
mod accounts;
mod bans;
mod case_forms;
mod cases;
mod dashboard;
mod events;
mod federation;
mod forms;
mod groups;
mod health;
mod held;
mod insights;
mod invites;
mod login;
mod members;
mod moderation_fields;
mod modlog;
mod rules;
mod staff;

use axum::extract::{DefaultBodyLimit, Path};
use axum::response::Redirect;
use axum::routing::get;
use axum::Router;

use super::AppState;

/// The staff templates, by name (loaded with the public ones).
pub(super) const TEMPLATES: &[(&str, &str)] = &[
    (
        "admin/layout.html",
        include_str!("../../../templates/admin/layout.html"),
    ),
    (
        "admin/group_nav.html",
        include_str!("../../../templates/admin/group_nav.html"),
    ),
    (
        "admin/error.html",
        include_str!("../../../templates/admin/error.html"),
    ),
    (
        "admin/login.html",
        include_str!("../../../templates/admin/login.html"),
    ),
    (
        "admin/dashboard.html",
        include_str!("../../../templates/admin/dashboard.html"),
    ),
    (
        "admin/group_new.html",
        include_str!("../../../templates/admin/group_new.html"),
    ),
    (
        "admin/group_settings.html",
        include_str!("../../../templates/admin/group_settings.html"),
    ),
    (
        "admin/group.html",
        include_str!("../../../templates/admin/group.html"),
    ),
    (
        "admin/rules.html",
        include_str!("../../../templates/admin/rules.html"),
    ),
    (
        "admin/members.html",
        include_str!("../../../templates/admin/members.html"),
    ),
    (
        "admin/staff.html",
        include_str!("../../../templates/admin/staff.html"),
    ),
    (
        "admin/invites.html",
        include_str!("../../../templates/admin/invites.html"),
    ),
    (
        "admin/events.html",
        include_str!("../../../templates/admin/events.html"),
    ),
    (
        "admin/event.html",
        include_str!("../../../templates/admin/event.html"),
    ),
    (
        "admin/event_fields.html",
        include_str!("../../../templates/admin/event_fields.html"),
    ),
    (
        "admin/account.html",
        include_str!("../../../templates/admin/account.html"),
    ),
    (
        "admin/accounts.html",
        include_str!("../../../templates/admin/accounts.html"),
    ),
    (
        "admin/held.html",
        include_str!("../../../templates/admin/held.html"),
    ),
    (
        "admin/bans.html",
        include_str!("../../../templates/admin/bans.html"),
    ),
    (
        "admin/cases.html",
        include_str!("../../../templates/admin/cases.html"),
    ),
    (
        "admin/case.html",
        include_str!("../../../templates/admin/case.html"),
    ),
    (
        "admin/federation_nav.html",
        include_str!("../../../templates/admin/federation_nav.html"),
    ),
    (
        "admin/federation.html",
        include_str!("../../../templates/admin/federation.html"),
    ),
    (
        "admin/federation_health.html",
        include_str!("../../../templates/admin/federation_health.html"),
    ),
    (
        "admin/federation_log.html",
        include_str!("../../../templates/admin/federation_log.html"),
    ),
    (
        "admin/insights.html",
        include_str!("../../../templates/admin/insights.html"),
    ),
    (
        "admin/digest.html",
        include_str!("../../../templates/admin/digest.html"),
    ),
];

/// The `/admin` routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(dashboard::show))
        .route("/admin/login", get(login::form).post(login::submit))
        .route("/admin/logout", get(to_dashboard).post(login::logout))
        .route(
            "/admin/groups/new",
            get(groups::new_form).post(groups::create),
        )
        .route("/admin/groups/{name}", get(groups::show).post(groups::save))
        .route(
            "/admin/groups/{name}/images",
            // The handler reads the body itself, within a limit made from the upload limit.
            get(to_group)
                .post(groups::upload)
                .layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/admin/groups/{name}/archive",
            get(to_group).post(groups::archive),
        )
        .route(
            "/admin/groups/{name}/rules",
            get(rules::show).post(rules::save),
        )
        .route("/admin/groups/{name}/members", get(members::show))
        .route(
            "/admin/groups/{name}/requests/decide",
            get(to_group).post(members::decide),
        )
        .route(
            "/admin/groups/{name}/staff",
            get(staff::show).post(staff::appoint),
        )
        .route(
            "/admin/groups/{name}/staff/remove",
            get(to_group).post(staff::remove),
        )
        .route(
            "/admin/groups/{name}/invites",
            get(invites::show).post(invites::invite),
        )
        .route(
            "/admin/groups/{name}/invites/withdraw",
            get(to_group).post(invites::withdraw),
        )
        .route(
            "/admin/groups/{name}/events",
            get(events::show).post(events::create),
        )
        .route(
            "/admin/groups/{name}/events/{id}",
            get(events::show_event).post(events::edit),
        )
        .route(
            "/admin/groups/{name}/events/{id}/cancel",
            get(events::to_event).post(events::cancel),
        )
        .route("/admin/groups/{name}/held", get(held::show))
        .route(
            "/admin/groups/{name}/held/decide",
            get(to_held).post(held::decide),
        )
        .route("/admin/groups/{name}/bans", get(bans::show).post(bans::ban))
        .route(
            "/admin/groups/{name}/bans/lift",
            get(to_bans).post(bans::lift),
        )
        .route("/admin/groups/{name}/notes", get(to_bans).post(bans::note))
        .route("/admin/groups/{name}/insights", get(insights::group_page))
        .route(
            "/admin/groups/{name}/insights.json",
            get(insights::group_json),
        )
        .route(
            "/admin/groups/{name}/insights/{chart}",
            get(insights::group_csv),
        )
        .route("/admin/groups/{name}/digest", get(insights::digest))
        .route("/admin/insights", get(insights::instance_page))
        .route("/admin/insights.json", get(insights::instance_json))
        .route("/admin/insights/{chart}", get(insights::instance_csv))
        .route("/admin/groups/{name}/cases", get(cases::list))
        .route("/admin/groups/{name}/cases/{id}", get(cases::show))
        .route(
            "/admin/groups/{name}/cases/{id}/decide",
            get(to_case).post(case_forms::decide),
        )
        .route(
            "/admin/groups/{name}/cases/{id}/forward",
            get(to_case).post(case_forms::forward),
        )
        .route(
            "/admin/groups/{name}/cases/{id}/note",
            get(to_case).post(case_forms::note),
        )
        .route(
            "/admin/groups/{name}/cases/{id}/assign",
            get(to_case).post(case_forms::assign),
        )
        .route("/admin/account", get(account::show))
        .route(
            "/admin/account/password",
            get(to_account).post(account::change_password),
        )
        .route(
            "/admin/account/two-factor/setup",
            get(to_account).post(account::begin_two_factor),
        )
        .route(
            "/admin/account/two-factor/enable",
            get(to_account).post(account::enable_two_factor),
        )
        .route(
            "/admin/account/two-factor/disable",
            get(to_account).post(account::disable_two_factor),
        )
        .route(
            "/admin/account/tokens",
            get(to_account).post(account::create_token),
        )
        .route(
            "/admin/account/tokens/revoke",
            get(to_account).post(account::revoke_token),
        )
        .route(
            "/admin/accounts",
            get(accounts::show).post(accounts::create),
        )
        .route("/admin/federation", get(federation::show))
        .route(
            "/admin/federation/rules",
            get(to_federation).post(federation::save_rule),
        )
        .route(
            "/admin/federation/rules/lift",
            get(to_federation).post(federation::lift),
        )
        .route(
            "/admin/federation/mode",
            get(to_federation).post(federation::save_mode),
        )
        .route(
            "/admin/federation/visibility",
            get(to_federation).post(federation::save_visibility),
        )
        .route("/admin/federation/health", get(health::show))
        .route("/admin/federation/log", get(modlog::show))
}

// Addresses that only take forms answer a plain visit (say, after logging in again) by going
// to the page the form is on.

async fn to_dashboard() -> Redirect {
    Redirect::to("/admin")
}

async fn to_account() -> Redirect {
    Redirect::to("/admin/account")
}

async fn to_federation() -> Redirect {
    Redirect::to(federation::PAGE)
}

async fn to_held(Path(name): Path<String>) -> Redirect {
    match hearth_federation::groups::validate_name(&name) {
        Ok(()) => Redirect::to(&forms::group_path(&name, "/held")),
        Err(_) => Redirect::to("/admin"),
    }
}

async fn to_bans(Path(name): Path<String>) -> Redirect {
    match hearth_federation::groups::validate_name(&name) {
        Ok(()) => Redirect::to(&forms::group_path(&name, "/bans")),
        Err(_) => Redirect::to("/admin"),
    }
}

async fn to_case(Path((name, id)): Path<(String, i64)>) -> Redirect {
    match hearth_federation::groups::validate_name(&name) {
        Ok(()) => Redirect::to(&cases::case_path(&name, id)),
        Err(_) => Redirect::to("/admin"),
    }
}

async fn to_group(Path(name): Path<String>) -> Redirect {
    match hearth_federation::groups::validate_name(&name) {
        Ok(()) => Redirect::to(&forms::group_path(&name, "")),
        Err(_) => Redirect::to("/admin"),
    }
}
