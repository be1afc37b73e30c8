//! Delivery counters for Prometheus, recorded by the delivery workers of this process.
//!
//! The counters are process-wide (see [`delivery`]): every worker in a process records into
//! the same ones, and the process's `/metrics` endpoint reports them. (`hearth worker`
//! processes serve no HTTP, so only `hearth serve` processes report their deliveries.)
//!
//! Failures are counted per instance, but only for instances that failed, and for at most
//! [`MAX_FAILING_HOSTS`] distinct hosts: later newcomers are counted under the host
//! [`OTHER_HOSTS`], so a flood of dead instances cannot grow the output without bound.

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

/// Most distinct hosts given a failure series of their own.
pub const MAX_FAILING_HOSTS: usize = 100;
/// The host label of failures from instances beyond [`MAX_FAILING_HOSTS`].
pub const OTHER_HOSTS: &str = "_other";

/// How one delivery attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The peer accepted it (2xx).
    Delivered,
    /// It failed and will be tried again.
    Retry,
    /// It failed once too often and was given up.
    Dead,
    /// The peer refused it for good (4xx), or policy forbids sending it.
    Refused,
}

impl DeliveryOutcome {
    const ALL: [DeliveryOutcome; 4] = [
        DeliveryOutcome::Delivered,
        DeliveryOutcome::Retry,
        DeliveryOutcome::Dead,
        DeliveryOutcome::Refused,
    ];

    fn label(self) -> &'static str {
        match self {
            DeliveryOutcome::Delivered => "delivered",
            DeliveryOutcome::Retry => "retry",
            DeliveryOutcome::Dead => "dead",
            DeliveryOutcome::Refused => "refused",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HostLabels {
    host: String,
}

/// Delivery attempts by outcome, and failed attempts by instance.
pub struct DeliveryMetrics {
    attempts: Family<OutcomeLabels, Counter>,
    failures: Family<HostLabels, Counter>,
    failing_hosts: Mutex<HashSet<String>>,
}

static DELIVERY: LazyLock<DeliveryMetrics> = LazyLock::new(|| DeliveryMetrics {
    attempts: Family::default(),
    failures: Family::default(),
    failing_hosts: Mutex::new(HashSet::new()),
});

/// This process's delivery counters.
pub fn delivery() -> &'static DeliveryMetrics {
    &DELIVERY
}

impl DeliveryMetrics {
    /// Counts one attempt's outcome.
    pub fn attempted(&self, outcome: DeliveryOutcome) {
        self.attempts
            .get_or_create(&OutcomeLabels {
                outcome: outcome.label(),
            })
            .inc();
    }

    /// Counts one failed attempt (network error or retryable status) at `host`.
    pub fn instance_failed(&self, host: &str) {
        let host = {
            let mut seen = self.failing_hosts.lock().expect("failing hosts lock");
            if seen.contains(host) || seen.len() < MAX_FAILING_HOSTS {
                seen.insert(host.to_owned());
                host.to_owned()
            } else {
                OTHER_HOSTS.to_owned()
            }
        };
        self.failures.get_or_create(&HostLabels { host }).inc();
    }

    /// Adds these counters to `registry` (whose prefix, e.g. `hearth`, they take). Every
    /// outcome is listed from the start, at 0 until it happens.
    pub fn register(&self, registry: &mut Registry) {
        for outcome in DeliveryOutcome::ALL {
            self.attempts
                .get_or_create(&OutcomeLabels {
                    outcome: outcome.label(),
                })
                .inc_by(0);
        }
        registry.register(
            "delivery_attempts",
            "Delivery attempts by outcome: delivered, retry, dead (given up) or refused",
            self.attempts.clone(),
        );
        registry.register(
            "delivery_instance_failures",
            format!(
                "Failed delivery attempts by instance (only instances that failed; at most \
                 {MAX_FAILING_HOSTS} hosts, the rest as host=\"{OTHER_HOSTS}\")"
            ),
            self.failures.clone(),
        );
    }
}
