//! `GET /admin/federation/health` (instance admins only): how delivery to every known
//! instance goes, worst first.

use axum::extract::State;
use hearth_moderation::Verdict;
use minijinja::context;

use super::forms::{count_of, when, Cx, Notice, Reply};
use crate::accounts::Permission;
use crate::http::auth::PageStaff;
use crate::http::AppState;

/// How long something has waited, in the largest whole unit: `40 seconds`, `3 hours`.
fn age_text(secs: i64) -> String {
    let secs = secs.max(0) as u64;
    match secs {
        s if s < 60 => count_of(s, "second", "seconds"),
        s if s < 60 * 60 => count_of(s / 60, "minute", "minutes"),
        s if s < 24 * 60 * 60 => count_of(s / 3600, "hour", "hours"),
        s => count_of(s / 86_400, "day", "days"),
    }
}

/// The health page.
pub(super) async fn show(State(state): State<AppState>, who: PageStaff) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.require(Permission::AdministerInstance, None)?;
    let rows = match state.fed.store().instance_health().await {
        Ok(rows) => rows,
        Err(err) => return Err(cx.unavailable(err)),
    };
    let now = hearth_storage::now_ms();
    let most = rows.iter().map(|r| r.queued).max().unwrap_or(0).max(1);
    let instances: Vec<_> = rows
        .iter()
        .map(|r| {
            let (policy, policy_label) = match state.fed.judge_host(&r.host) {
                Verdict::Refuse(_) => ("refused", "Refused"),
                Verdict::Federate { silenced: true, .. } => ("silenced", "Silenced"),
                Verdict::Federate { .. } => ("ok", "OK"),
            };
            // Out of 100; a queue that is not empty always shows.
            let bar = match r.queued {
                0 => 0,
                q => (q.saturating_mul(100) / most).max(2),
            };
            context! {
                host => r.host.clone(),
                software => r.software.clone(),
                policy,
                policy_label,
                last_success => r.last_success_at.map(when),
                failures => r.consecutive_failures,
                unreachable => r.unreachable_since.map(when),
                queued => r.queued,
                bar,
                oldest => r.oldest_queued_at.map(|t| age_text((now - t) / 1000)),
                delivered => r.delivered_count,
            }
        })
        .collect();
    Ok(cx.page(
        "admin/federation_health.html",
        Notice::None,
        context! { section => "health", instances },
    ))
}

#[cfg(test)]
mod tests {
    use super::age_text;

    #[test]
    fn ages_read_in_the_largest_unit() {
        assert_eq!(age_text(-5), "0 seconds");
        assert_eq!(age_text(1), "1 second");
        assert_eq!(age_text(59), "59 seconds");
        assert_eq!(age_text(60), "1 minute");
        assert_eq!(age_text(3599), "59 minutes");
        assert_eq!(age_text(7200), "2 hours");
        assert_eq!(age_text(86_400 * 3 + 5), "3 days");
    }
}
