//! `/api/v1/groups/{name}/automod…`: a group's automod rules, which reject, hold or report
//! the posts that match them. Moderators read them; owners and instance admins change them.
//! Instance-wide rules are listed too, and managed with `hearth group automod --instance`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use hearth_storage::{AutomodRule, NewAutomodRule};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{group_for, Body};
use super::schema::ErrorBody;
use crate::accounts::Permission;
use crate::http::auth::ApiStaff;
use crate::http::error::ApiError;
use crate::http::AppState;

/// An automod rule.
#[derive(Serialize, ToSchema)]
pub struct AutomodRuleView {
    /// Id, for removing it; modlog lines name the rule by it.
    pub id: i64,
    /// Whether it applies to every group of the instance (not removable here).
    pub instance_wide: bool,
    /// What it checks: `keyword`, `regex`, `link_domain`, `max_mentions`, `max_links`,
    /// `min_account_age_days`, `actor_rate` or `instance_rate`.
    pub kind: String,
    /// Words, a regular expression or domains, for the kinds that take a pattern.
    pub pattern: String,
    /// The count or number of days, for the kinds that take a threshold.
    pub threshold: i64,
    /// What happens to a matching post: `reject`, `hold` or `report`.
    pub outcome: String,
    /// Why the rule exists.
    pub note: String,
    /// Who added it (`cli` or `staff:USERNAME`).
    pub created_by: String,
    /// When.
    pub created_at: String,
}

impl From<AutomodRule> for AutomodRuleView {
    fn from(rule: AutomodRule) -> Self {
        AutomodRuleView {
            id: rule.id,
            instance_wide: rule.group_id.is_none(),
            kind: rule.kind,
            pattern: rule.pattern,
            threshold: rule.threshold,
            outcome: rule.outcome,
            note: rule.note,
            created_by: rule.created_by,
            created_at: hearth_federation::vocab::documents::format_time(rule.created_at),
        }
    }
}

/// A new automod rule.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutomodRuleBody {
    /// What it checks. `keyword`: any of the pattern's words or phrases (separated by commas
    /// or new lines) as a whole word, any case; `regex`: a regular expression (add `(?i)` to
    /// ignore case); `link_domain`: links to the pattern's domains or their subdomains;
    /// `max_mentions`, `max_links`: more than `threshold`; `min_account_age_days`: accounts
    /// younger than `threshold` days; `actor_rate`, `instance_rate`: an author (or their
    /// instance) who already posted `threshold` posts in the last hour.
    pub kind: String,
    /// Words, a regular expression or domains, for the kinds that take a pattern.
    #[serde(default)]
    pub pattern: String,
    /// The count or number of days, for the kinds that take a threshold.
    #[serde(default)]
    pub threshold: i64,
    /// What happens to a matching post: `reject` (the sender is told why), `hold` (until a
    /// moderator approves it) or `report` (taken in, and a case opened for the moderators).
    pub outcome: String,
    /// Why the rule exists; shown to moderators, and to senders of rejected posts.
    #[serde(default)]
    pub note: String,
}

/// The rules a post into the group must pass: the group's own and the instance-wide ones,
/// oldest first.
#[utoipa::path(get, path = "/api/v1/groups/{name}/automod", tag = "moderation",
    params(("name" = String, Path, description = "The group's name")),
    responses((status = 200, body = Vec<AutomodRuleView>), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn list_rules(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
) -> Result<Json<Vec<AutomodRuleView>>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ReviewPosts).await?;
    let rules = state.fed.store().automod_rules_for(group.id).await?;
    Ok(Json(rules.into_iter().map(AutomodRuleView::from).collect()))
}

/// Add a rule to the group (owners and instance admins). It applies from the next post.
#[utoipa::path(post, path = "/api/v1/groups/{name}/automod", tag = "moderation",
    request_body = AutomodRuleBody,
    params(("name" = String, Path, description = "The group's name")),
    responses((status = 201, body = AutomodRuleView),
        (status = 422, body = ErrorBody, description = "An unknown kind or outcome, or a pattern or threshold that does not fit the kind (e.g. an invalid regular expression)"),
        (status = 403, body = ErrorBody)))]
pub async fn add_rule(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
    Body(body): Body<AutomodRuleBody>,
) -> Result<(StatusCode, Json<AutomodRuleView>), ApiError> {
    let group = group_for(&state, &staff, &name, Permission::EditGroup).await?;
    let rule = hearth_moderation::automod::validate(NewAutomodRule {
        group_id: Some(group.id),
        kind: body.kind,
        pattern: body.pattern,
        threshold: body.threshold,
        outcome: body.outcome,
        note: body.note,
        created_by: format!("staff:{}", staff.account.username),
    })
    .map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_rule",
            e.to_string(),
        )
    })?;
    let added = state.fed.store().add_automod_rule(&rule).await?;
    Ok((StatusCode::CREATED, Json(added.into())))
}

/// Remove one of the group's rules (owners and instance admins).
#[utoipa::path(delete, path = "/api/v1/groups/{name}/automod/{id}", tag = "moderation",
    params(("name" = String, Path, description = "The group's name"),
        ("id" = i64, Path, description = "The rule")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn remove_rule(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path((name, id)): Path<(String, i64)>,
) -> Result<StatusCode, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::EditGroup).await?;
    let by = format!("staff:{}", staff.account.username);
    match state
        .fed
        .store()
        .remove_automod_rule(Some(group.id), id, &by)
        .await?
    {
        Some(_) => Ok(StatusCode::NO_CONTENT),
        None => Err(ApiError::not_found(format!(
            "{} has no automod rule {id}",
            group.name
        ))),
    }
}
