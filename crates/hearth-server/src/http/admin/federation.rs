//! Who the instance federates with (instance admins only): the domain rules, adding,
//! changing and lifting one, the federation mode, and how much of the list `/about` shows.
//! The same operations as the JSON API, through the same calls.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::Form;
use hearth_federation::policy::{ManualRule, MODE_SETTING};
use hearth_moderation::instances::normalize_domain;
use hearth_moderation::transparency::Visibility;
use hearth_moderation::{FederationMode, Severity};
use hearth_storage::{DomainChange, DomainPolicy};
use minijinja::{context, Value};
use serde::Deserialize;

use super::forms::{actor_text, count_of, done, staff_actor, when, Cx, Flash, Notice, Reply};
use crate::accounts::Permission;
use crate::http::auth::PageStaff;
use crate::http::transparency::{published_rules, VISIBILITY_SETTING};
use crate::http::AppState;

/// The page's address.
pub(super) const PAGE: &str = "/admin/federation";

/// The choices of the "Severity" select: value and label.
const SEVERITIES: &[(&str, &str)] = &[
    ("suspend", "Suspend (refuse everything)"),
    ("silence", "Silence (hold posts for review)"),
    ("noop", "No restriction (options only)"),
    ("allow", "Allow"),
];

/// The choices of the "Federation mode" select.
const MODES: &[(&str, &str)] = &[
    ("open", "Open (all but suspended servers)"),
    ("allowlist", "Allowlist (only allowed servers)"),
];

/// The choices of the "Public list of moderated servers" select.
const VISIBILITIES: &[(&str, &str)] = &[
    ("hidden", "Hidden"),
    ("obfuscated", "Obfuscated (domains partly masked)"),
    ("public", "Public"),
];

/// Longest expiry a rule may have, in days.
const MAX_EXPIRY_DAYS: i64 = 3650;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

fn choices(options: &[(&str, &str)]) -> Value {
    Value::from_serialize(
        options
            .iter()
            .map(|(value, label)| context! { value, label })
            .collect::<Vec<_>>(),
    )
}

/// How a rule's severity reads in the table.
fn severity_label(severity: &str) -> &str {
    match severity {
        "suspend" => "Suspended",
        "silence" => "Silenced",
        "noop" => "No restriction",
        "allow" => "Allowed",
        other => other,
    }
}

/// What a saved rule did, for the message.
fn severity_done(severity: Severity) -> &'static str {
    match severity {
        Severity::Suspend => "suspended",
        Severity::Silence => "silenced",
        Severity::Noop => "has no restriction beyond its options",
        Severity::Allow => "allowed",
    }
}

/// Where a rule came from, as the table shows it.
fn source_text(source: &str) -> String {
    match source {
        "manual" => "Set here".to_owned(),
        other => match other.strip_prefix("subscription:") {
            Some(id) => format!("Subscribed list {id}"),
            None => other.to_owned(),
        },
    }
}

/// What a policy change did beyond the rule itself.
fn enforcement(follows: u64, jobs: u64) -> String {
    format!(
        "Removed {}, cancelled {}.",
        count_of(follows, "follow", "follows"),
        count_of(jobs, "queued delivery", "queued deliveries")
    )
}

fn rule_view(p: &DomainPolicy, now: i64) -> Value {
    let mut flags = Vec::new();
    if p.reject_media {
        flags.push("Media rejected");
    }
    if p.reject_reports {
        flags.push("Reports ignored");
    }
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("domain", &p.domain)
        .finish();
    context! {
        domain => p.domain.clone(),
        severity => p.severity.clone(),
        severity_label => severity_label(&p.severity),
        flags,
        public_reason => p.public_comment.clone(),
        private_reason => p.private_comment.clone(),
        source => source_text(&p.source),
        expires => p.expires_at.map(when),
        expired => p.expires_at.is_some_and(|t| t <= now),
        by => actor_text(&p.created_by),
        edit_url => format!("{PAGE}?{query}#rule"),
    }
}

/// The form's fields filled from an existing rule.
fn values_of(p: &DomainPolicy, now: i64) -> Value {
    let days = p
        .expires_at
        .filter(|t| *t > now)
        .map(|t| ((t - now) + DAY_MS - 1) / DAY_MS)
        .map(|d| d.to_string())
        .unwrap_or_default();
    context! {
        domain => p.domain.clone(),
        severity => p.severity.clone(),
        public_reason => p.public_comment.clone(),
        private_reason => p.private_comment.clone(),
        reject_media => p.reject_media,
        reject_reports => p.reject_reports,
        expires_days => days,
        editing => true,
    }
}

/// The page, with the rule form filled with `values`.
async fn page(cx: &Cx<'_>, values: Value, notice: Notice) -> Response {
    let store = cx.state.fed.store();
    let (policies, published) = match (store.domain_policies().await, published_rules(store).await)
    {
        (Ok(policies), Ok(published)) => (policies, published),
        (Err(err), _) | (_, Err(err)) => return cx.unavailable(err),
    };
    let (visibility, published) = published;
    let now = hearth_storage::now_ms();
    let rules: Vec<Value> = policies.iter().map(|p| rule_view(p, now)).collect();
    let ctx = context! {
        section => "rules",
        rules,
        values,
        severities => choices(SEVERITIES),
        modes => choices(MODES),
        mode => cx.state.fed.policy().mode().as_str(),
        visibilities => choices(VISIBILITIES),
        visibility => visibility.as_str(),
        published => published.len(),
        max_days => MAX_EXPIRY_DAYS,
    };
    cx.page("admin/federation.html", notice, ctx)
}

/// The query of the page: a rule to fill the form with.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ShowQuery {
    domain: String,
}

/// `GET /admin/federation?domain=`.
pub(super) async fn show(
    State(state): State<AppState>,
    who: PageStaff,
    flash: Flash,
    Query(query): Query<ShowQuery>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.require(Permission::AdministerInstance, None)?;
    let mut values = context! { severity => "suspend" };
    if let Ok(domain) = normalize_domain(&query.domain) {
        match state.fed.store().domain_policies().await {
            Ok(policies) => {
                if let Some(p) = policies.iter().find(|p| p.domain == domain) {
                    values = values_of(p, hearth_storage::now_ms());
                }
            }
            Err(err) => return Err(cx.unavailable(err)),
        }
    }
    Ok(page(&cx, values, flash.notice()).await)
}

/// The add/change form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RuleForm {
    csrf: Option<String>,
    domain: String,
    severity: String,
    public_reason: String,
    private_reason: String,
    reject_media: Option<String>,
    reject_reports: Option<String>,
    expires_days: String,
}

impl RuleForm {
    fn values(&self) -> Value {
        context! {
            domain => self.domain.clone(),
            severity => self.severity.clone(),
            public_reason => self.public_reason.clone(),
            private_reason => self.private_reason.clone(),
            reject_media => self.reject_media.is_some(),
            reject_reports => self.reject_reports.is_some(),
            expires_days => self.expires_days.clone(),
        }
    }

    /// The rule the form asks for, or why not.
    fn rule(&self, state: &AppState) -> Result<ManualRule, String> {
        if self.domain.trim().is_empty() {
            return Err("Enter the domain the rule is about, e.g. spam.example.".into());
        }
        let domain = state.fed.rule_domain(&self.domain)?;
        let severity: Severity = self.severity.parse()?;
        let days = self.expires_days.trim();
        let expires_in_ms = if days.is_empty() {
            None
        } else {
            match days.parse::<i64>() {
                Ok(days) if (1..=MAX_EXPIRY_DAYS).contains(&days) => Some(days * DAY_MS),
                _ => {
                    return Err(format!(
                        "“Expires in days” must be a whole number from 1 to {MAX_EXPIRY_DAYS}, or empty for a rule that does not expire."
                    ))
                }
            }
        };
        Ok(ManualRule {
            domain,
            severity,
            public_comment: self.public_reason.trim().to_owned(),
            private_comment: self.private_reason.trim().to_owned(),
            reject_media: self.reject_media.is_some(),
            reject_reports: self.reject_reports.is_some(),
            expires_in_ms,
        })
    }
}

/// `POST /admin/federation/rules`: adds or changes the rule for a domain, then cuts off
/// what it refuses.
pub(super) async fn save_rule(
    State(state): State<AppState>,
    who: PageStaff,
    Form(form): Form<RuleForm>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.csrf(form.csrf.as_deref())?;
    cx.require(Permission::AdministerInstance, None)?;
    let rule = match form.rule(&state) {
        Ok(rule) => rule,
        Err(message) => {
            let notice = Notice::alert(StatusCode::UNPROCESSABLE_ENTITY, message);
            return Err(page(&cx, form.values(), notice).await);
        }
    };
    let by = staff_actor(&who);
    let (domain, severity) = (rule.domain.clone(), rule.severity);
    let reason = rule.public_comment.clone();
    let change = DomainChange::Set(rule.into_policy(&by));
    match state.fed.change_domain_rules(&[change], &by, &reason).await {
        Ok((_, follows, jobs)) => {
            tracing::info!(%domain, %severity, follows, jobs, by = %who.staff.account.username, "domain rule set");
            Ok(done(
                PAGE,
                &format!(
                    "{domain} {}. {}",
                    severity_done(severity),
                    enforcement(follows, jobs)
                ),
            ))
        }
        Err(err) => Err(cx.unavailable(err)),
    }
}

/// The form of a rule's "Lift" button.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct LiftForm {
    csrf: Option<String>,
    domain: String,
    reason: String,
}

/// `POST /admin/federation/rules/lift`: removes the rule for a domain. A subscribed list
/// that also lists the domain applies again.
pub(super) async fn lift(
    State(state): State<AppState>,
    who: PageStaff,
    Form(form): Form<LiftForm>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.csrf(form.csrf.as_deref())?;
    cx.require(Permission::AdministerInstance, None)?;
    let refuse = |status: StatusCode, message: String| {
        page(&cx, context! {}, Notice::alert(status, message))
    };
    let domain = match normalize_domain(&form.domain) {
        Ok(domain) => domain,
        Err(message) => return Err(refuse(StatusCode::UNPROCESSABLE_ENTITY, message).await),
    };
    let by = staff_actor(&who);
    let changed = match state
        .fed
        .change_domain_rules(
            &[DomainChange::Remove(domain.clone())],
            &by,
            form.reason.trim(),
        )
        .await
    {
        Ok((changed, _, _)) => changed,
        Err(err) => return Err(cx.unavailable(err)),
    };
    if changed == 0 {
        let message = format!("There is no rule for {domain}.");
        return Err(refuse(StatusCode::NOT_FOUND, message).await);
    }
    tracing::info!(%domain, by = %who.staff.account.username, "domain rule lifted");
    let mut message = format!(
        "Rule for {domain} lifted. Its people can follow again; follows removed earlier are not restored."
    );
    match state.fed.reconcile_subscriptions(&by).await {
        Ok(report) if !report.applied.is_empty() => {
            message = format!(
                "Rule for {domain} lifted, but a subscribed list still lists it, so that list's rule applies now. To override it, save an “Allow” rule. {}",
                enforcement(report.follows_removed, report.deliveries_cancelled)
            );
        }
        Ok(_) => {}
        Err(err) => {
            tracing::warn!(error = %err, %domain, "cannot apply the subscribed lists after lifting a rule");
        }
    }
    Ok(done(PAGE, &message))
}

/// The "Federation mode" form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ModeForm {
    csrf: Option<String>,
    mode: String,
}

/// `POST /admin/federation/mode`: switches the mode, then cuts off what it refuses.
pub(super) async fn save_mode(
    State(state): State<AppState>,
    who: PageStaff,
    Form(form): Form<ModeForm>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.csrf(form.csrf.as_deref())?;
    cx.require(Permission::AdministerInstance, None)?;
    let mode: FederationMode = match form.mode.parse() {
        Ok(mode) => mode,
        Err(_) => {
            let notice = Notice::alert(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Choose “Open” or “Allowlist” as the federation mode.",
            );
            return Err(page(&cx, context! { severity => "suspend" }, notice).await);
        }
    };
    let store = state.fed.store();
    if let Err(err) = store
        .set_setting(MODE_SETTING, mode.as_str(), &staff_actor(&who), "")
        .await
    {
        return Err(cx.unavailable(err));
    }
    match state.fed.enforce_policy().await {
        Ok((follows, jobs)) => {
            tracing::info!(mode = mode.as_str(), follows, jobs, by = %who.staff.account.username, "federation mode set");
            let what = match mode {
                FederationMode::Open => "open",
                FederationMode::Allowlist => "allowlist (only allowed servers)",
            };
            Ok(done(
                PAGE,
                &format!("Federation mode: {what}. {}", enforcement(follows, jobs)),
            ))
        }
        Err(err) => Err(cx.unavailable(err)),
    }
}

/// The "Public list of moderated servers" form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct VisibilityForm {
    csrf: Option<String>,
    visibility: String,
}

/// `POST /admin/federation/visibility`: how much of the list `/about` and NodeInfo publish.
pub(super) async fn save_visibility(
    State(state): State<AppState>,
    who: PageStaff,
    Form(form): Form<VisibilityForm>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.csrf(form.csrf.as_deref())?;
    cx.require(Permission::AdministerInstance, None)?;
    let visibility: Visibility = match form.visibility.parse() {
        Ok(visibility) => visibility,
        Err(_) => {
            let notice = Notice::alert(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Choose “Hidden”, “Obfuscated” or “Public” for the public list.",
            );
            return Err(page(&cx, context! { severity => "suspend" }, notice).await);
        }
    };
    if let Err(err) = state
        .fed
        .store()
        .set_setting(
            VISIBILITY_SETTING,
            visibility.as_str(),
            &staff_actor(&who),
            "",
        )
        .await
    {
        return Err(cx.unavailable(err));
    }
    tracing::info!(visibility = visibility.as_str(), by = %who.staff.account.username, "published list visibility set");
    let message = match visibility {
        Visibility::Hidden => "The list of moderated servers is no longer published.",
        Visibility::Obfuscated => {
            "The list of moderated servers is published on the about page, with domains partly masked."
        }
        Visibility::Public => {
            "The list of moderated servers is published on the about page, with domains and public reasons."
        }
    };
    Ok(done(PAGE, message))
}
