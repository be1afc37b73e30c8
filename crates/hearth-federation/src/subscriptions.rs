//! Subscriptions to shared blocklists: fetching a list (through the network guard, with a size
//! limit and conditional requests), keeping its last good copy, and bringing the domain rules
//! in line with every subscription in one transaction — with the same modlog lines, cut-offs
//! and cache invalidation as an admin's own blocks.
//!
//! A list that cannot be fetched or read changes nothing: the last good copy stays in force
//! and the failure is recorded on the subscription.

use std::time::Duration;

use hearth_moderation::blocklists::{detect_format, parse_list, ListFormat};
use hearth_moderation::instances::hostname_of;
use hearth_moderation::subscriptions::plan;
use hearth_storage::{
    now_ms, subscription_job, BlocklistSubscription, FetchedList, NewSubscription, PlannedChange,
    StoreError, SubscriptionEntry, SubscriptionUpdate,
};
use reqwest::header::{
    ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
    LOCATION,
};
use reqwest::StatusCode;
use url::Url;

use crate::fetch::error_chain;
use crate::net::check_peer_url;
use crate::Federation;

/// How often a list is fetched unless told otherwise.
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(6 * 3600);
/// The shortest refresh interval accepted.
pub const MIN_REFRESH: Duration = Duration::from_secs(600);
/// The largest list accepted.
pub const MAX_LIST_BYTES: usize = 5 * 1024 * 1024;
/// Redirects followed (each hop checked by the network guard).
const MAX_REDIRECTS: usize = 3;
/// How long a process holds a subscription's scheduled refresh before another may take it.
const REFRESH_LEASE: Duration = Duration::from_secs(300);

const ACCEPT_LISTS: &str = "text/csv, application/json;q=0.9, text/plain;q=0.8, */*;q=0.1";

/// Why a subscription command failed.
#[derive(Debug, thiserror::Error)]
pub enum SubscriptionError {
    /// The list could not be fetched or read; nothing changed.
    #[error("{0}")]
    List(String),
    /// No subscription has that id.
    #[error("there is no subscription {0} (see: hearth federation subscriptions)")]
    NotFound(i64),
    /// The URL is already subscribed to.
    #[error("{0}")]
    Duplicate(String),
    /// The database failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for SubscriptionError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict(reason) => SubscriptionError::Duplicate(reason),
            other => SubscriptionError::Store(other),
        }
    }
}

/// A list as fetched.
#[derive(Debug, Clone)]
pub enum ListFetch {
    /// The server answered `304 Not Modified`.
    NotModified,
    /// A good copy.
    Fetched {
        /// Its entries, checked and normalised.
        entries: Vec<SubscriptionEntry>,
        /// How it was read.
        format: ListFormat,
        /// The `ETag` answered.
        etag: Option<String>,
        /// The `Last-Modified` answered.
        last_modified: Option<String>,
    },
}

/// What a subscription command did.
#[derive(Debug, Clone)]
pub struct SubscriptionReport {
    /// The subscription.
    pub id: i64,
    /// The rule changes applied, in domain order.
    pub applied: Vec<PlannedChange>,
    /// Follows removed from newly refused instances.
    pub follows_removed: u64,
    /// Queued deliveries cancelled to them.
    pub deliveries_cancelled: u64,
    /// Whether the server said the list had not changed.
    pub not_modified: bool,
    /// Entries in the stored copy.
    pub entries: usize,
    /// Entries of the list not applied from it, with why (excluded, own host).
    pub skipped: Vec<(String, String)>,
}

fn format_name(format: ListFormat) -> &'static str {
    match format {
        ListFormat::Csv => "csv",
        ListFormat::Json => "json",
        ListFormat::Plain => "plain",
    }
}

/// The format a list is in, told by its content (lists are often served as `text/plain`, or
/// as `text/csv` whatever they hold); a JSON content type is believed, so that a broken JSON
/// list is reported as such.
fn list_format(content_type: &str, text: &str) -> ListFormat {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json" || essence.ends_with("+json") {
        ListFormat::Json
    } else {
        detect_format(text)
    }
}

fn looks_like_html(text: &str) -> bool {
    let start: String = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .take(15)
        .collect::<String>()
        .to_ascii_lowercase();
    start.starts_with("<!doctype html") || start.starts_with("<html") || start.starts_with("<head")
}

/// A subscription request checked: an http(s) URL, an interval of at least [`MIN_REFRESH`],
/// and excludes that are domains (normalised).
pub fn checked_subscription(
    url: &str,
    priority: i64,
    draft: bool,
    excludes: &[String],
    refresh_secs: i64,
    created_by: &str,
) -> Result<NewSubscription, SubscriptionError> {
    let parsed = Url::parse(url.trim())
        .map_err(|e| SubscriptionError::List(format!("{url:?} is not a URL ({e})")))?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err(SubscriptionError::List(format!(
            "{url}: a list is fetched over https://"
        )));
    }
    if refresh_secs < MIN_REFRESH.as_secs() as i64 {
        return Err(SubscriptionError::List(format!(
            "a list is refreshed at most every {} minutes",
            MIN_REFRESH.as_secs() / 60
        )));
    }
    let excludes = excludes
        .iter()
        .map(|x| hearth_moderation::instances::normalize_domain(x).map_err(SubscriptionError::List))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(NewSubscription {
        url: parsed.to_string(),
        priority,
        draft,
        excludes,
        refresh_secs,
        created_by: created_by.to_owned(),
    })
}

impl Federation {
    /// Fetches and reads the list at `url`, sending `etag` and `last_modified` back so that an
    /// unchanged list costs nothing. Refuses private addresses (unless allowed), HTML, lists
    /// over [`MAX_LIST_BYTES`], non-2xx answers and lists with any bad line.
    pub async fn fetch_blocklist(
        &self,
        url: &Url,
        etag: Option<&str>,
        last_modified: Option<&str>,
    ) -> Result<ListFetch, String> {
        let allow_private = self.settings().allow_private_networks;
        let mut current = url.clone();
        let mut redirects = 0;
        let response = loop {
            check_peer_url(&current, allow_private)
                .map_err(|reason| format!("refused to fetch {current}: {reason}"))?;
            let mut request = self
                .client()
                .get(current.clone())
                .header(ACCEPT, ACCEPT_LISTS);
            if let Some(etag) = etag {
                request = request.header(IF_NONE_MATCH, etag);
            }
            if let Some(at) = last_modified {
                request = request.header(IF_MODIFIED_SINCE, at);
            }
            let response = request
                .send()
                .await
                .map_err(|e| format!("could not reach {current}: {}", error_chain(&e)))?;
            if !response.status().is_redirection() || response.status() == StatusCode::NOT_MODIFIED
            {
                break response;
            }
            redirects += 1;
            if redirects > MAX_REDIRECTS {
                return Err(format!("{url}: too many redirects"));
            }
            current = response
                .headers()
                .get(LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| current.join(l).ok())
                .ok_or_else(|| format!("{current} redirected without a usable Location"))?;
        };
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(ListFetch::NotModified);
        }
        if !status.is_success() {
            return Err(format!("{current} answered {status}"));
        }
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header(CONTENT_TYPE).unwrap_or_default();
        let (etag, last_modified) = (header(ETAG), header(LAST_MODIFIED));
        let lowered = content_type.to_ascii_lowercase();
        if lowered.starts_with("text/html") || lowered.starts_with("application/xhtml") {
            return Err(format!(
                "{current} answered an HTML page ({content_type}), not a list"
            ));
        }
        let too_big = || format!("{current}: the list is larger than {MAX_LIST_BYTES} bytes");
        if header(CONTENT_LENGTH)
            .and_then(|l| l.parse::<u64>().ok())
            .is_some_and(|l| l > MAX_LIST_BYTES as u64)
        {
            return Err(too_big());
        }
        let mut response = response;
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("could not read {current}: {}", error_chain(&e)))?
        {
            if body.len() + chunk.len() > MAX_LIST_BYTES {
                return Err(too_big());
            }
            body.extend_from_slice(&chunk);
        }
        let text = String::from_utf8(body)
            .map_err(|_| format!("{current}: the list is not UTF-8 text"))?;
        if looks_like_html(&text) {
            return Err(format!("{current} answered an HTML page, not a list"));
        }
        let format = list_format(&content_type, &text);
        let entries = parse_list(&text, format)
            .map_err(|e| format!("{current}: the list was not read ({e})"))?
            .into_iter()
            .map(|e| SubscriptionEntry {
                subscription_id: 0,
                domain: e.domain,
                severity: e.severity.as_str().to_owned(),
                reject_media: e.reject_media,
                reject_reports: e.reject_reports,
                obfuscate: e.obfuscate,
                public_comment: e.public_comment,
            })
            .collect();
        Ok(ListFetch::Fetched {
            entries,
            format,
            etag,
            last_modified,
        })
    }

    fn own_host(&self) -> String {
        hostname_of(&self.urls().authority())
    }

    /// Stores `update` and brings the rules in line with every subscription, in one
    /// transaction, logged as `actor`; then cuts off the hosts the new policy refuses, as for
    /// any rule change.
    async fn reconcile(
        &self,
        update: SubscriptionUpdate,
        actor: &str,
    ) -> Result<SubscriptionReport, SubscriptionError> {
        let own = self.own_host();
        let outcome = self
            .store()
            .update_subscriptions(update, actor, |sources| plan(sources, &own, now_ms()))
            .await
            .map_err(|e| match e {
                StoreError::NotFound => SubscriptionError::NotFound(0),
                other => other.into(),
            })?;
        let (follows_removed, deliveries_cancelled) = if outcome.applied.is_empty() {
            (0, 0)
        } else {
            self.enforce_policy().await?
        };
        let (entries, skipped) = match self.store().blocklist_subscription(outcome.id).await? {
            Some(sub) => {
                let entries = self.store().subscription_entries(sub.id).await?;
                let skipped = entries
                    .iter()
                    .filter_map(|e| {
                        hearth_moderation::subscriptions::skipped_because(e, &sub, &own)
                            .map(|why| (e.domain.clone(), why))
                    })
                    .collect();
                (entries.len(), skipped)
            }
            None => (0, Vec::new()),
        };
        Ok(SubscriptionReport {
            id: outcome.id,
            applied: outcome.applied,
            follows_removed,
            deliveries_cancelled,
            not_modified: false,
            entries,
            skipped,
        })
    }

    /// Subscribes to the list at `new.url`: fetches it first (a list that cannot be fetched
    /// or read is not subscribed to), stores it, and — unless it is a draft — applies it.
    pub async fn subscribe_blocklist(
        &self,
        new: NewSubscription,
    ) -> Result<SubscriptionReport, SubscriptionError> {
        let url = Url::parse(&new.url)
            .map_err(|e| SubscriptionError::List(format!("{}: not a URL ({e})", new.url)))?;
        let fetched = match self
            .fetch_blocklist(&url, None, None)
            .await
            .map_err(SubscriptionError::List)?
        {
            ListFetch::Fetched {
                entries,
                format,
                etag,
                last_modified,
            } => FetchedList {
                entries: Some(entries),
                format: Some(format_name(format).to_owned()),
                etag,
                last_modified,
                at: now_ms(),
            },
            ListFetch::NotModified => {
                return Err(SubscriptionError::List(format!(
                    "{url} answered 304 Not Modified to a plain request"
                )))
            }
        };
        let actor = format!("subscription:{}", new.url);
        self.reconcile(SubscriptionUpdate::Create(new, fetched), &actor)
            .await
    }

    /// Fetches subscription `id` now and applies what changed. When the list cannot be fetched
    /// or read, nothing changes, the failure is recorded on the subscription, and the error
    /// says why.
    pub async fn refresh_subscription(
        &self,
        id: i64,
    ) -> Result<SubscriptionReport, SubscriptionError> {
        let sub = self
            .store()
            .blocklist_subscription(id)
            .await?
            .ok_or(SubscriptionError::NotFound(id))?;
        let actor = format!("subscription:{}", sub.url);
        let fetched = match Url::parse(&sub.url) {
            Ok(url) => {
                self.fetch_blocklist(&url, sub.etag.as_deref(), sub.last_modified.as_deref())
                    .await
            }
            Err(e) => Err(format!("{}: not a URL ({e})", sub.url)),
        };
        let at = now_ms();
        let (update, not_modified) = match fetched {
            Err(error) => {
                self.store()
                    .record_subscription_failure(id, at, &error)
                    .await?;
                return Err(SubscriptionError::List(error));
            }
            Ok(ListFetch::NotModified) => (
                FetchedList {
                    entries: None,
                    format: None,
                    etag: sub.etag.clone(),
                    last_modified: sub.last_modified.clone(),
                    at,
                },
                true,
            ),
            Ok(ListFetch::Fetched {
                entries,
                format,
                etag,
                last_modified,
            }) => (
                FetchedList {
                    entries: Some(entries),
                    format: Some(format_name(format).to_owned()),
                    etag,
                    last_modified,
                    at,
                },
                false,
            ),
        };
        let mut report = self
            .reconcile(SubscriptionUpdate::Fetched(id, update), &actor)
            .await
            .map_err(|e| not_found_as(e, id))?;
        report.not_modified = not_modified;
        Ok(report)
    }

    /// A draft takes effect: its entries are applied.
    pub async fn activate_subscription(
        &self,
        id: i64,
    ) -> Result<SubscriptionReport, SubscriptionError> {
        let sub = self
            .store()
            .blocklist_subscription(id)
            .await?
            .ok_or(SubscriptionError::NotFound(id))?;
        self.reconcile(
            SubscriptionUpdate::Activate(id),
            &format!("subscription:{}", sub.url),
        )
        .await
        .map_err(|e| not_found_as(e, id))
    }

    /// Unsubscribes: every rule only this subscription held is lifted; where another active
    /// subscription lists the domain, its entry takes over.
    pub async fn unsubscribe(&self, id: i64) -> Result<SubscriptionReport, SubscriptionError> {
        let sub = self
            .store()
            .blocklist_subscription(id)
            .await?
            .ok_or(SubscriptionError::NotFound(id))?;
        let mut report = self
            .reconcile(
                SubscriptionUpdate::Remove(id),
                &format!("subscription:{}", sub.url),
            )
            .await
            .map_err(|e| not_found_as(e, id))?;
        report.id = id;
        Ok(report)
    }

    /// Brings the rules in line with the subscriptions without changing any (e.g. after an
    /// admin lifted a manual rule that a subscription also lists), logged as `actor`.
    pub async fn reconcile_subscriptions(
        &self,
        actor: &str,
    ) -> Result<SubscriptionReport, SubscriptionError> {
        self.reconcile(SubscriptionUpdate::Nothing, actor).await
    }

    /// Refreshes every subscription whose interval has passed since its last fetch, each once
    /// across every process sharing the database (a scheduled job per subscription). Run by
    /// the delivery workers' housekeeping.
    pub async fn refresh_due_subscriptions(&self, owner: &str) {
        let subscriptions = match self.store().blocklist_subscriptions().await {
            Ok(subscriptions) => subscriptions,
            Err(err) => {
                tracing::warn!(error = %err, "cannot list blocklist subscriptions");
                return;
            }
        };
        for sub in subscriptions {
            let now = now_ms();
            if !is_due(&sub, now) {
                continue;
            }
            let every = sub.refresh_secs.max(1) * 1000;
            let lease = REFRESH_LEASE.as_millis() as i64;
            match self
                .store()
                .claim_scheduled_job(&subscription_job(sub.id), owner, now, now + lease, every)
                .await
            {
                Ok(true) => {}
                Ok(false) => continue,
                Err(err) => {
                    tracing::warn!(error = %err, "cannot claim a blocklist refresh");
                    continue;
                }
            }
            match self.refresh_subscription(sub.id).await {
                Ok(report) => tracing::info!(
                    subscription = sub.id,
                    url = %sub.url,
                    changes = report.applied.len(),
                    not_modified = report.not_modified,
                    "blocklist refreshed"
                ),
                Err(err) => tracing::warn!(
                    subscription = sub.id,
                    url = %sub.url,
                    error = %err,
                    "blocklist refresh failed; the last good copy stays in force"
                ),
            }
        }
    }
}

fn not_found_as(err: SubscriptionError, id: i64) -> SubscriptionError {
    match err {
        SubscriptionError::NotFound(_) => SubscriptionError::NotFound(id),
        other => other,
    }
}

/// Whether a subscription's interval has passed since its last fetch, good or not.
pub fn is_due(sub: &BlocklistSubscription, now: i64) -> bool {
    sub.last_fetch_at
        .is_none_or(|at| now - at >= sub.refresh_secs.max(1) * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_by_content_with_json_content_types_believed() {
        assert_eq!(
            list_format("text/csv; charset=utf-8", "a.example\n"),
            ListFormat::Plain
        );
        assert_eq!(
            list_format("text/csv", "#domain\na.example\n"),
            ListFormat::Csv
        );
        assert_eq!(list_format("application/json", "x"), ListFormat::Json);
        assert_eq!(
            list_format("text/plain", "#domain,#severity\n"),
            ListFormat::Csv
        );
        assert_eq!(list_format("", "[\"a.example\"]"), ListFormat::Json);
        assert_eq!(list_format("text/plain", "a.example\n"), ListFormat::Plain);
        assert!(looks_like_html("\n  <!DOCTYPE html><html>"));
        assert!(!looks_like_html("# <html> is not a domain\n"));
    }

    #[test]
    fn a_subscription_is_due_once_its_interval_has_passed() {
        let mut sub = BlocklistSubscription {
            id: 1,
            url: "https://lists.example/blocks.csv".into(),
            priority: 0,
            draft: false,
            excludes: String::new(),
            refresh_secs: 600,
            etag: None,
            last_modified: None,
            format: None,
            last_fetch_at: None,
            last_success_at: None,
            last_error: None,
            created_by: "cli:root".into(),
            created_at: 0,
            entries: 0,
        };
        assert!(is_due(&sub, 1_000));
        sub.last_fetch_at = Some(1_000);
        assert!(!is_due(&sub, 1_000 + 599_999));
        assert!(is_due(&sub, 1_000 + 600_000));
    }
}
