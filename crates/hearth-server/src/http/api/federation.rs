//! `/api/v1/federation…`: who this instance federates with (instance admins only).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use hearth_federation::policy::{ManualRule, MODE_SETTING};
use hearth_moderation::transparency::{Visibility, VISIBILITY_SETTING};
use hearth_moderation::{FederationMode, Severity, Verdict};
use hearth_storage::DomainChange;
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::Body;
use super::schema::{
    DomainRuleBody, DomainRuleView, EnforcementView, ErrorBody, InstanceHealthView, ModlogView,
    SettingBody,
};
use crate::accounts::{Permission, Staff};
use crate::http::auth::ApiStaff;
use crate::http::error::ApiError;
use crate::http::AppState;

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
}

fn who(staff: &Staff) -> String {
    format!("staff:{}", staff.account.username)
}

/// Every domain rule.
#[utoipa::path(get, path = "/api/v1/federation/domains", tag = "federation",
    responses((status = 200, body = Vec<DomainRuleView>), (status = 403, body = ErrorBody)))]
pub async fn list_domains(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
) -> Result<Json<Vec<DomainRuleView>>, ApiError> {
    staff.require(Permission::AdministerInstance, None)?;
    let rules = state.fed.store().domain_policies().await?;
    Ok(Json(rules.into_iter().map(DomainRuleView::from).collect()))
}

/// Set the rule for a domain. A suspension takes effect in every Hearth process within a
/// second or two: its activities are refused, its follows removed and its queued deliveries
/// cancelled.
#[utoipa::path(put, path = "/api/v1/federation/domains/{domain}", tag = "federation",
    request_body = DomainRuleBody,
    params(("domain" = String, Path, description = "The domain, e.g. spam.example or *.spam.example")),
    responses((status = 200, body = EnforcementView), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn put_domain(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(domain): Path<String>,
    Body(body): Body<DomainRuleBody>,
) -> Result<Json<EnforcementView>, ApiError> {
    staff.require(Permission::AdministerInstance, None)?;
    let domain = state.fed.rule_domain(&domain).map_err(invalid)?;
    let severity: Severity = body.severity.parse().map_err(invalid)?;
    if body.expires_in_secs.is_some_and(|s| s <= 0) {
        return Err(invalid("expires_in_secs must be positive"));
    }
    let reason = body.public_comment.clone();
    let rule = ManualRule {
        domain,
        severity,
        public_comment: body.public_comment,
        private_comment: body.private_comment,
        reject_media: body.reject_media,
        reject_reports: body.reject_reports,
        expires_in_ms: body.expires_in_secs.map(|s| s.saturating_mul(1000)),
    };
    let change = DomainChange::Set(rule.into_policy(&who(&staff)));
    let (_, follows, jobs) = state
        .fed
        .change_domain_rules(&[change], &who(&staff), &reason)
        .await?;
    Ok(Json(EnforcementView {
        follows_removed: follows,
        deliveries_cancelled: jobs,
    }))
}

/// Why a rule is lifted.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReasonQuery {
    /// Recorded in the modlog.
    #[serde(default)]
    pub reason: String,
}

/// Lift the rule for a domain. Its people can follow again; follows a suspension removed are
/// not restored. A subscribed list that still carries the domain applies again at once (use
/// `allow` to override it).
#[utoipa::path(delete, path = "/api/v1/federation/domains/{domain}", tag = "federation",
    params(("domain" = String, Path, description = "The domain"), ReasonQuery),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn delete_domain(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(domain): Path<String>,
    Query(query): Query<ReasonQuery>,
) -> Result<StatusCode, ApiError> {
    staff.require(Permission::AdministerInstance, None)?;
    let domain = hearth_moderation::instances::normalize_domain(&domain).map_err(invalid)?;
    let (changed, _, _) = state
        .fed
        .change_domain_rules(
            &[DomainChange::Remove(domain.clone())],
            &who(&staff),
            &query.reason,
        )
        .await?;
    if changed == 0 {
        return Err(ApiError::not_found(format!(
            "there is no rule for {domain}"
        )));
    }
    // A subscribed list that still carries the domain applies again at once.
    if let Err(err) = state.fed.reconcile_subscriptions(&who(&staff)).await {
        tracing::warn!(error = %err, "subscribed lists could not be re-applied after a lift");
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The federation mode: `open` (everyone but the blocked) or `allowlist`.
#[utoipa::path(get, path = "/api/v1/federation/mode", tag = "federation",
    responses((status = 200, body = SettingBody), (status = 403, body = ErrorBody)))]
pub async fn get_mode(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
) -> Result<Json<SettingBody>, ApiError> {
    staff.require(Permission::AdministerInstance, None)?;
    Ok(Json(SettingBody {
        value: state.fed.policy().mode().as_str().into(),
    }))
}

/// Switch the federation mode. Switching to `allowlist` cuts off every instance not allowed.
#[utoipa::path(put, path = "/api/v1/federation/mode", tag = "federation", request_body = SettingBody,
    responses((status = 200, body = EnforcementView), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn put_mode(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Body(body): Body<SettingBody>,
) -> Result<Json<EnforcementView>, ApiError> {
    staff.require(Permission::AdministerInstance, None)?;
    let mode: FederationMode = body.value.parse().map_err(invalid)?;
    state
        .fed
        .store()
        .set_setting(MODE_SETTING, mode.as_str(), &who(&staff), "")
        .await?;
    let (follows, jobs) = state.fed.enforce_policy().await?;
    Ok(Json(EnforcementView {
        follows_removed: follows,
        deliveries_cancelled: jobs,
    }))
}

/// What visitors see of the domain rules on `/about` and in NodeInfo: `hidden`, `obfuscated`
/// or `public` (public reasons only).
#[utoipa::path(put, path = "/api/v1/federation/visibility", tag = "federation", request_body = SettingBody,
    responses((status = 204), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn put_visibility(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Body(body): Body<SettingBody>,
) -> Result<StatusCode, ApiError> {
    staff.require(Permission::AdministerInstance, None)?;
    let visibility: Visibility = body.value.parse().map_err(invalid)?;
    state
        .fed
        .store()
        .set_setting(VISIBILITY_SETTING, visibility.as_str(), &who(&staff), "")
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delivery health of every known instance, worst first.
#[utoipa::path(get, path = "/api/v1/federation/health", tag = "federation",
    responses((status = 200, body = Vec<InstanceHealthView>), (status = 403, body = ErrorBody)))]
pub async fn health(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
) -> Result<Json<Vec<InstanceHealthView>>, ApiError> {
    staff.require(Permission::AdministerInstance, None)?;
    let now = hearth_storage::now_ms();
    let time = hearth_federation::vocab::documents::format_time;
    let rows = state.fed.store().instance_health().await?;
    let views = rows
        .into_iter()
        .map(|r| InstanceHealthView {
            policy: match state.fed.judge_host(&r.host) {
                Verdict::Refuse(_) => "refused",
                Verdict::Federate { silenced: true, .. } => "silenced",
                Verdict::Federate { .. } => "ok",
            }
            .into(),
            software: r.software,
            last_success_at: r.last_success_at.map(time),
            consecutive_failures: r.consecutive_failures,
            unreachable_since: r.unreachable_since.map(time),
            queued: r.queued,
            oldest_queued_secs: r.oldest_queued_at.map(|t| (now - t).max(0) / 1000),
            delivered: r.delivered_count,
            host: r.host,
        })
        .collect();
    Ok(Json(views))
}

/// How many modlog entries to read.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LimitQuery {
    /// Most entries (1–1000, default 100), newest first.
    pub limit: Option<i64>,
}

/// The instance modlog: every federation decision with who, when and why.
#[utoipa::path(get, path = "/api/v1/federation/modlog", tag = "federation", params(LimitQuery),
    responses((status = 200, body = Vec<ModlogView>), (status = 403, body = ErrorBody)))]
pub async fn modlog(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Query(query): Query<LimitQuery>,
) -> Result<Json<Vec<ModlogView>>, ApiError> {
    staff.require(Permission::AdministerInstance, None)?;
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let entries = state.fed.store().modlog(limit).await?;
    Ok(Json(entries.into_iter().map(ModlogView::from).collect()))
}
