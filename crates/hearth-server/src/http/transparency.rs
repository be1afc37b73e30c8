//! The instance's published federation decisions, shared by the about page and NodeInfo.

use hearth_moderation::transparency::{published, PublishedRule, RuleFacts, Visibility};
use hearth_storage::{Store, StoreError};

pub use hearth_moderation::transparency::VISIBILITY_SETTING;

/// How much is published, and the rules to show.
pub async fn published_rules(
    store: &Store,
) -> Result<(Visibility, Vec<PublishedRule>), StoreError> {
    let visibility = store
        .setting(VISIBILITY_SETTING)
        .await?
        .and_then(|v| v.parse().ok())
        .unwrap_or_default();
    if visibility == Visibility::Hidden {
        return Ok((visibility, Vec::new()));
    }
    let policies = store.domain_policies().await?;
    let rules = policies.iter().map(|p| RuleFacts {
        domain: &p.domain,
        severity: &p.severity,
        reject_media: p.reject_media,
        reject_reports: p.reject_reports,
        public_comment: &p.public_comment,
        expires_at: p.expires_at,
    });
    Ok((
        visibility,
        published(rules, visibility, hearth_storage::now_ms()),
    ))
}
