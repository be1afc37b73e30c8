//! Federation settings, filled in from Hearth's configuration.

use std::time::Duration;

use url::Url;

/// How Hearth federates.
#[derive(Debug, Clone)]
pub struct FederationSettings {
    /// The base of every local id, e.g. `https://groups.example`.
    pub public_url: Url,
    /// Allow `http://`, explicit ports and private or loopback peers. For local testing only.
    pub allow_private_networks: bool,
    /// `User-Agent` of every outbound request.
    pub user_agent: String,
    /// How old a signature's `Date` may be (and how far in the future) before it is refused.
    pub signature_window: Duration,
    /// Timeout of every outbound request.
    pub request_timeout: Duration,
    /// Largest body accepted from peers, inbound or fetched.
    pub max_body_bytes: usize,
    /// Delivery queue tuning.
    pub delivery: DeliverySettings,
    /// How long before an event starts its going participants are reminded.
    pub event_reminder: Duration,
}

/// Delivery queue tuning.
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    /// Requests in flight at once, over all instances.
    pub concurrency: usize,
    /// Requests in flight at once to one instance.
    pub per_instance: usize,
    /// How long a claimed job stays reserved for its worker.
    pub lease: Duration,
    /// How often an idle worker looks for due jobs claimed by no one.
    pub poll_interval: Duration,
    /// First retry delay; doubles each attempt.
    pub retry_base: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
    /// Attempts before a job is given up.
    pub max_attempts: i64,
    /// Consecutive failures after which an instance counts as unreachable.
    pub unreachable_after: i64,
    /// How long an unreachable instance's jobs are held before it is tried again.
    pub unreachable_hold: Duration,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        DeliverySettings {
            concurrency: 64,
            per_instance: 4,
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_secs(1),
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(6 * 3600),
            max_attempts: 14,
            unreachable_after: 8,
            unreachable_hold: Duration::from_secs(3600),
        }
    }
}

impl FederationSettings {
    /// Settings with defaults for everything but the public URL.
    pub fn new(public_url: Url) -> Self {
        FederationSettings {
            public_url,
            allow_private_networks: false,
            user_agent: format!(
                "Hearth/{} (+https://github.com/hearth-social/hearth)",
                env!("CARGO_PKG_VERSION")
            ),
            signature_window: Duration::from_secs(3600),
            request_timeout: Duration::from_secs(10),
            max_body_bytes: 1024 * 1024,
            delivery: DeliverySettings::default(),
            event_reminder: Duration::from_secs(24 * 3600),
        }
    }
}
