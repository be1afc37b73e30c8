//! The instance policy in force, shared by every request and worker of this process, and
//! kept current: a change made by any process (command line, another server) is noticed
//! within a second.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use hearth_moderation::{DomainRule, FederationMode, InstancePolicy, Verdict};
use hearth_storage::{DomainChange, DomainPolicy, Store, StoreError};

use crate::Federation;

/// How often each process checks whether the policy changed.
const REFRESH_EVERY: Duration = Duration::from_secs(1);

/// The setting that holds the federation mode.
pub const MODE_SETTING: &str = "federation_mode";

/// The cached policy and the version it was built from.
#[derive(Default)]
pub(crate) struct PolicyCache {
    current: RwLock<(String, Arc<InstancePolicy>)>,
}

/// Builds the policy from the store (expired rules are left out).
pub async fn load_policy(store: &Store) -> Result<InstancePolicy, StoreError> {
    let now = hearth_storage::now_ms();
    let mode = store
        .setting(MODE_SETTING)
        .await?
        .and_then(|m| m.parse().ok())
        .unwrap_or(FederationMode::Open);
    let rules = store
        .domain_policies()
        .await?
        .into_iter()
        .filter(|p| p.expires_at.is_none_or(|at| at > now))
        .filter_map(|p| rule_of(&p))
        .collect();
    Ok(InstancePolicy::new(mode, rules))
}

fn rule_of(p: &DomainPolicy) -> Option<DomainRule> {
    Some(DomainRule {
        domain: p.domain.clone(),
        severity: p.severity.parse().ok()?,
        reject_media: p.reject_media,
        reject_reports: p.reject_reports,
        source: p.source.clone(),
        public_comment: p.public_comment.clone(),
    })
}

impl Federation {
    /// The policy in force.
    pub fn policy(&self) -> Arc<InstancePolicy> {
        self.policy_cache()
            .current
            .read()
            .expect("policy lock")
            .1
            .clone()
    }

    /// What the policy says about `host`.
    pub fn judge_host(&self, host: &str) -> Verdict {
        self.policy().judge(host)
    }

    /// Reloads the policy if it changed since the last look.
    pub async fn refresh_policy(&self) -> Result<(), StoreError> {
        let version = self.store().policy_version().await?;
        if self.policy_cache().current.read().expect("policy lock").0 == version {
            return Ok(());
        }
        let policy = load_policy(self.store()).await?;
        *self.policy_cache().current.write().expect("policy lock") = (version, Arc::new(policy));
        Ok(())
    }

    /// Keeps the policy current in the background for as long as the process runs.
    pub fn keep_policy_current(&self) {
        let fed = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(err) = fed.refresh_policy().await {
                    tracing::warn!(error = %err, "cannot refresh the instance policy");
                }
                tokio::time::sleep(REFRESH_EVERY).await;
            }
        });
    }

    /// Applies domain rule changes (logged as `actor` with `reason`), then cuts off every
    /// known host the new policy refuses: their follows are removed and their queued
    /// deliveries cancelled. Returns (rules changed, follows removed, deliveries cancelled).
    pub async fn change_domain_rules(
        &self,
        changes: &[DomainChange],
        actor: &str,
        reason: &str,
    ) -> Result<(u64, u64, u64), StoreError> {
        let changed = self
            .store()
            .apply_domain_changes(changes, actor, reason)
            .await?;
        let (follows, jobs) = self.enforce_policy().await?;
        Ok((changed, follows, jobs))
    }

    /// Cuts off every known host the current policy refuses.
    pub async fn enforce_policy(&self) -> Result<(u64, u64), StoreError> {
        self.refresh_policy().await?;
        let policy = self.policy();
        let refused: Vec<String> = self
            .store()
            .known_hosts()
            .await?
            .into_iter()
            .filter(|host| !policy.judge(host).federates())
            .collect();
        if refused.is_empty() {
            return Ok((0, 0));
        }
        self.store().cut_off_hosts(&refused).await
    }

    /// `input` as a rule's domain (normalised), refusing this server's own domain.
    pub fn rule_domain(&self, input: &str) -> Result<String, String> {
        let domain = hearth_moderation::instances::normalize_domain(input)?;
        let own = hearth_moderation::instances::hostname_of(&self.urls().authority());
        if domain == own {
            return Err(format!("{domain} is this server's own domain"));
        }
        Ok(domain)
    }
}

/// What an admin decides about one domain by hand.
#[derive(Debug, Clone)]
pub struct ManualRule {
    /// The domain (normalised).
    pub domain: String,
    /// What applies to it.
    pub severity: hearth_moderation::Severity,
    /// The reason shown publicly.
    pub public_comment: String,
    /// The reason only staff see.
    pub private_comment: String,
    /// Hide its media.
    pub reject_media: bool,
    /// Ignore its reports.
    pub reject_reports: bool,
    /// How long the rule lasts, in ms, if it expires.
    pub expires_in_ms: Option<i64>,
}

impl ManualRule {
    /// The stored rule, made now by `created_by`.
    pub fn into_policy(self, created_by: &str) -> hearth_storage::DomainPolicy {
        let now = hearth_storage::now_ms();
        hearth_storage::DomainPolicy {
            domain: self.domain,
            severity: self.severity.as_str().into(),
            reject_media: self.reject_media,
            reject_reports: self.reject_reports,
            public_comment: self.public_comment,
            private_comment: self.private_comment,
            source: "manual".into(),
            expires_at: self.expires_in_ms.map(|ms| now + ms),
            created_by: created_by.to_owned(),
            created_at: now,
            updated_at: now,
        }
    }
}
