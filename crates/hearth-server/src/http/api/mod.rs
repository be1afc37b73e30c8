//! The JSON API under `/api/v1`: everything the staff pages do, for scripts. Calls carry an
//! API token (`Authorization: Bearer hth_…`, from `POST /api/v1/tokens`, the account page or
//! `hearth account token`). Errors are `{"error": {"code", "message"}}`; lists are paginated
//! with `limit` and `offset`. The OpenAPI document at `/api/v1/openapi.json` is generated
//! from the handlers' own annotations, so it lists exactly the routes served.

mod accounts;
mod automod;
mod cases;
mod events;
mod extract;
mod federation;
mod group_posts;
mod groups;
mod insights;
mod members;
mod moderation;
mod moderators;
mod modlog;
mod review;
mod schema;
mod staff;
mod subscriptions;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Hearth API",
        description = "Run a Hearth instance from scripts: groups, rules, members, join requests, staff and accounts.",
        license(name = "AGPL-3.0-only", identifier = "AGPL-3.0-only")
    ),
    modifiers(&BearerAuth),
    security(("token" = [])),
    tags(
        (name = "accounts", description = "Staff accounts, passwords and API tokens"),
        (name = "groups", description = "Groups, their profile, rules and images"),
        (name = "members", description = "Members, join requests, invitations and posts held for review"),
        (name = "staff", description = "Who runs each group"),
        (name = "moderation", description = "Reports, actions on posts and people, bans, notes and the modlog"),
        (name = "federation", description = "Which instances this one federates with (instance admins)"),
        (name = "insights", description = "Community insights: growth, activity, retention, moderation speed"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token: hth_…"))
                    .build(),
            ),
        );
    }
}

/// The API's routes, and its OpenAPI document built from the same list.
pub fn routes(upload_max_bytes: usize) -> Router<AppState> {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(accounts::create_token))
        .routes(routes!(accounts::me))
        .routes(routes!(accounts::change_password))
        .routes(routes!(
            accounts::begin_two_factor,
            accounts::enable_two_factor,
            accounts::disable_two_factor
        ))
        .routes(routes!(accounts::list_tokens))
        .routes(routes!(accounts::revoke_token))
        .routes(routes!(accounts::list_accounts, accounts::create_account))
        .routes(routes!(groups::list_groups, groups::create_group))
        .routes(routes!(groups::get_group, groups::update_group))
        .routes(routes!(groups::archive_group, groups::restore_group))
        .routes(routes!(groups::get_rules, groups::put_rules))
        .routes(routes!(groups::put_icon))
        .routes(routes!(groups::put_banner))
        .routes(routes!(
            group_posts::list_announcements,
            group_posts::post_announcement
        ))
        .routes(routes!(group_posts::list_polls, group_posts::post_poll))
        .routes(routes!(group_posts::get_poll))
        .routes(routes!(group_posts::get_welcome, group_posts::put_welcome))
        .routes(routes!(automod::list_rules, automod::add_rule))
        .routes(routes!(automod::remove_rule))
        .routes(routes!(members::list_members))
        .routes(routes!(members::list_requests))
        .routes(routes!(members::decide_request))
        .routes(routes!(
            members::list_invites,
            members::create_invite,
            members::delete_invite
        ))
        .routes(routes!(review::list_held))
        .routes(routes!(review::decide_held))
        .routes(routes!(cases::list_cases))
        .routes(routes!(cases::get_case))
        .routes(routes!(cases::decide_case))
        .routes(routes!(cases::add_case_note))
        .routes(routes!(cases::assign_case))
        .routes(routes!(cases::forward_case))
        .routes(routes!(cases::file_report))
        .routes(routes!(moderation::take_action))
        .routes(routes!(moderation::list_bans))
        .routes(routes!(
            moderation::member_notes,
            moderation::add_member_note
        ))
        .routes(routes!(modlog::group_modlog))
        .routes(routes!(modlog::group_modlog_csv))
        .routes(routes!(insights::group_insights))
        .routes(routes!(insights::instance_insights))
        .routes(routes!(federation::list_domains))
        .routes(routes!(federation::put_domain, federation::delete_domain))
        .routes(routes!(federation::get_mode, federation::put_mode))
        .routes(routes!(federation::put_visibility))
        .routes(routes!(federation::health))
        .routes(routes!(federation::modlog))
        .routes(routes!(
            subscriptions::list_subscriptions,
            subscriptions::subscribe
        ))
        .routes(routes!(subscriptions::refresh))
        .routes(routes!(subscriptions::activate))
        .routes(routes!(subscriptions::unsubscribe))
        .routes(routes!(events::list_events, events::create))
        .routes(routes!(events::get_event, events::update_event))
        .routes(routes!(events::cancel))
        .routes(routes!(events::participants))
        .routes(routes!(events::decide))
        .routes(routes!(staff::list_staff))
        .routes(routes!(staff::appoint, staff::dismiss))
        .routes(routes!(
            moderators::list_moderators,
            moderators::add,
            moderators::remove
        ))
        .split_for_parts();
    let doc = Arc::new(doc);
    router
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { Json(doc.as_ref().clone()) }
            }),
        )
        .layer(DefaultBodyLimit::max(upload_max_bytes + 64 * 1024))
}
