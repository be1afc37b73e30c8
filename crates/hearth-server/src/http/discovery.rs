//! WebFinger, host-meta and NodeInfo.

use axum::extract::{Path, Query, State};
use axum::http::header::{ACCESS_CONTROL_ALLOW_ORIGIN, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hearth_federation::policy::MODE_SETTING;
use hearth_federation::vocab::discovery;
use hearth_moderation::transparency::Visibility;
use serde::Deserialize;

use super::error::ApiError;
use super::negotiate::json_with_type;
use super::transparency::published_rules;
use super::AppState;

/// The `resource` parameter.
#[derive(Debug, Deserialize)]
pub struct WebfingerQuery {
    resource: Option<String>,
}

/// `GET /.well-known/webfinger?resource=acct:NAME@HOST`: finds groups (and the instance actor).
pub async fn webfinger(
    State(state): State<AppState>,
    Query(query): Query<WebfingerQuery>,
) -> Result<Response, ApiError> {
    let urls = state.fed.urls();
    let resource = query
        .resource
        .ok_or_else(|| ApiError::bad_request("the resource parameter is required"))?;
    let name = if let Some(url) = url::Url::parse(&resource)
        .ok()
        .filter(|u| u.scheme().starts_with("http"))
    {
        urls.group_name_of(&url)
            .ok_or_else(|| ApiError::not_found(format!("{resource} is not a group here")))?
    } else {
        let acct = resource.strip_prefix("acct:").unwrap_or(&resource);
        let acct = acct.strip_prefix('@').unwrap_or(acct);
        let (name, host) = acct
            .rsplit_once('@')
            .ok_or_else(|| ApiError::bad_request("the resource must look like acct:name@host"))?;
        if !host.eq_ignore_ascii_case(&urls.authority()) {
            return Err(ApiError::not_found(format!(
                "{host} is not this server ({})",
                urls.authority()
            )));
        }
        if name.eq_ignore_ascii_case(&urls.authority()) {
            return Ok(jrd(&discovery::webfinger_instance(urls)));
        }
        name.to_owned()
    };
    let group = state
        .fed
        .store()
        .group_by_name(&name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("there is no group named {name} here")))?;
    Ok(jrd(&discovery::webfinger_group(urls, &group.name)))
}

fn jrd(doc: &serde_json::Value) -> Response {
    let mut response = json_with_type(StatusCode::OK, doc, "application/jrd+json; charset=utf-8");
    response.headers_mut().insert(
        ACCESS_CONTROL_ALLOW_ORIGIN,
        "*".parse().expect("static header"),
    );
    response
}

/// `GET /.well-known/host-meta` (XRD).
pub async fn host_meta(State(state): State<AppState>) -> Response {
    (
        [(CONTENT_TYPE, "application/xrd+xml; charset=utf-8")],
        discovery::host_meta_xml(state.fed.urls()),
    )
        .into_response()
}

/// `GET /.well-known/host-meta.json`.
pub async fn host_meta_json(State(state): State<AppState>) -> Response {
    jrd(&discovery::host_meta_json(state.fed.urls()))
}

/// `GET /.well-known/nodeinfo`.
pub async fn nodeinfo_links(State(state): State<AppState>) -> Response {
    json_with_type(
        StatusCode::OK,
        &discovery::nodeinfo_links(state.fed.urls()),
        "application/json",
    )
}

/// `GET /nodeinfo/2.0` and `/nodeinfo/2.1`, with live usage numbers.
pub async fn nodeinfo(
    State(state): State<AppState>,
    Path(version): Path<String>,
) -> Result<Response, ApiError> {
    let version = version.trim_end_matches(".json");
    if version != "2.0" && version != "2.1" {
        return Err(ApiError::not_found("NodeInfo is served as 2.0 and 2.1"));
    }
    let stats = state
        .fed
        .store()
        .instance_stats(hearth_storage::now_ms())
        .await?;
    let (visibility, rules) = published_rules(state.fed.store()).await?;
    let mode = state
        .fed
        .store()
        .setting(MODE_SETTING)
        .await?
        .unwrap_or_else(|| "open".into());
    let federation =
        (visibility != Visibility::Hidden).then_some((mode.as_str(), rules.as_slice()));
    let doc = discovery::nodeinfo(version, &state.node_name, &stats, federation);
    let media_type = if version == "2.1" {
        "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.1#\""
    } else {
        "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.0#\""
    };
    Ok(json_with_type(StatusCode::OK, &doc, media_type))
}
