//! The HTTP surface: one route table for ActivityPub endpoints, discovery and public pages.

mod activitypub;
mod admin;
mod api;
pub mod auth;
mod discovery;
mod error;
mod event_calendar;
mod events;
mod group_posts;
mod modlog_pages;
mod negotiate;
mod pages;
mod transparency;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use hearth_federation::Federation;
use tower_http::trace::TraceLayer;

use crate::accounts::Accounts;
use crate::config::Config;
use crate::metrics::Metrics;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// Federation, and through it the store.
    pub fed: Federation,
    /// Page templates.
    pub pages: Arc<pages::Pages>,
    /// Name of this server, for pages and NodeInfo.
    pub node_name: Arc<str>,
    /// Staff accounts, sessions and tokens.
    pub accounts: Accounts,
    /// Largest image upload, in bytes.
    pub upload_max_bytes: usize,
    /// Prometheus metrics, and who may read them.
    pub metrics: Arc<Metrics>,
}

impl AppState {
    /// State for a server built from `config`.
    pub fn new(fed: Federation, config: &Config) -> anyhow::Result<Self> {
        Ok(AppState {
            accounts: Accounts::new(fed.store().clone(), config.auth()?),
            fed,
            pages: Arc::new(pages::Pages::new()),
            node_name: config.node_name.as_str().into(),
            upload_max_bytes: config.upload_max_bytes,
            metrics: Arc::new(Metrics::new(config)?),
        })
    }
}

/// Every route Hearth serves.
pub fn router(state: AppState) -> Router {
    let max_body = state.fed.settings().max_body_bytes;
    let inboxes = Router::new()
        .route("/inbox", post(activitypub::shared_inbox))
        .route("/groups/{name}/inbox", post(activitypub::group_inbox))
        .layer(DefaultBodyLimit::max(max_body));
    Router::new()
        // Discovery.
        .route("/.well-known/webfinger", get(discovery::webfinger))
        .route("/.well-known/host-meta", get(discovery::host_meta))
        .route(
            "/.well-known/host-meta.json",
            get(discovery::host_meta_json),
        )
        .route("/.well-known/nodeinfo", get(discovery::nodeinfo_links))
        .route("/nodeinfo/{version}", get(discovery::nodeinfo))
        // ActivityPub documents (HTML for browsers where there is a page).
        .route("/actor", get(activitypub::instance_actor))
        .route("/actor/outbox", get(activitypub::instance_outbox))
        .route("/groups/{name}", get(activitypub::group))
        .route("/groups/{name}/outbox", get(activitypub::outbox))
        .route("/groups/{name}/followers", get(activitypub::followers))
        .route("/groups/{name}/featured", get(activitypub::featured))
        .route("/groups/{name}/moderators", get(activitypub::moderators))
        .route("/groups/{name}/posts/{id}", get(group_posts::post))
        .merge(inboxes)
        .merge(events::routes())
        .merge(api::routes(state.upload_max_bytes))
        .merge(admin::routes())
        // Pages.
        .route("/", get(pages::home))
        .route("/about", get(pages::about))
        .route("/groups/{name}/threads/{id}", get(pages::thread))
        .route("/groups/{name}/modlog", get(modlog_pages::group_modlog))
        .route("/modlog", get(modlog_pages::instance_modlog))
        .route("/media/{id}", get(pages::media))
        .route("/static/hearth.css", get(pages::stylesheet))
        .route("/healthz", get(|| async { "ok" }))
        .merge(crate::metrics::routes::public_routes(&state))
        .fallback(pages::not_found)
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
