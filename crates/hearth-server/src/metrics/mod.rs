//! Prometheus metrics at `/metrics`, in the OpenMetrics text format, every name prefixed
//! `hearth_`.
//!
//! - counters kept in memory: inbox activities and latency ([`inbox`]), delivery attempts and
//!   per-instance failures (recorded by the delivery workers, see
//!   [`hearth_federation::metrics`]);
//! - gauges read from the store at each scrape ([`gauges`]): queue depth, connection pool.
//!
//! Who may scrape is set by `metrics_token` (a bearer token) and `metrics_bind` (a listener of
//! its own); with neither, `/metrics` is not served. See [`routes`].

mod gauges;
pub mod inbox;
pub mod routes;

use std::net::SocketAddr;

use hearth_storage::Store;
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::registry::Registry;

use crate::config::Config;
use inbox::InboxMetrics;

/// The prefix of every metric name.
const PREFIX: &str = "hearth";

/// Where `/metrics` is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposure {
    /// Nowhere.
    Off,
    /// On the public listener, behind the token.
    Public,
    /// Only on a listener of its own at this address (behind the token too, if one is set).
    Separate(SocketAddr),
}

/// This process's metrics and who may read them.
pub struct Metrics {
    counters: Registry,
    /// Inbox counters, recorded by the inbox handlers.
    pub inbox: InboxMetrics,
    token: Option<String>,
    exposure: Exposure,
}

impl Metrics {
    /// Metrics exposed as `config` says.
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        let token = config.metrics_token()?.map(str::to_owned);
        let exposure = match (config.metrics_bind_addr()?, &token) {
            (Some(addr), _) => Exposure::Separate(addr),
            (None, Some(_)) => Exposure::Public,
            (None, None) => Exposure::Off,
        };
        let mut counters = Registry::with_prefix(PREFIX);
        let inbox = InboxMetrics::new(&mut counters);
        hearth_federation::metrics::delivery().register(&mut counters);
        Ok(Metrics {
            counters,
            inbox,
            token,
            exposure,
        })
    }

    /// Where `/metrics` is served.
    pub fn exposure(&self) -> Exposure {
        self.exposure
    }

    /// Whether a request with this `Authorization` header value may read the metrics.
    pub fn authorized(&self, authorization: Option<&[u8]>) -> bool {
        let Some(token) = &self.token else {
            return true;
        };
        authorization
            .and_then(|value| value.strip_prefix(b"Bearer "))
            .is_some_and(|given| same_bytes(given, token.as_bytes()))
    }

    /// Every metric as OpenMetrics text, with the store's gauges read now.
    pub async fn render(&self, store: &Store) -> Result<String, std::fmt::Error> {
        let gauges = gauges::read(store, PREFIX).await;
        let mut text = String::new();
        encode_registry(&mut text, &self.counters)?;
        encode_registry(&mut text, &gauges)?;
        encode_eof(&mut text)?;
        Ok(text)
    }
}

/// Compares in time that depends only on the lengths, so the token cannot be guessed byte by
/// byte from response times.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics_with(token: Option<&str>) -> Metrics {
        let config = Config {
            metrics_token: token.map(str::to_owned),
            ..Config::default()
        };
        Metrics::new(&config).unwrap()
    }

    #[test]
    fn the_token_must_match_exactly() {
        let metrics = metrics_with(Some("s3cret"));
        assert_eq!(metrics.exposure(), Exposure::Public);
        assert!(metrics.authorized(Some(b"Bearer s3cret")));
        assert!(!metrics.authorized(Some(b"Bearer s3cre")));
        assert!(!metrics.authorized(Some(b"Bearer s3cret2")));
        assert!(!metrics.authorized(Some(b"bearer s3cret")));
        assert!(!metrics.authorized(Some(b"s3cret")));
        assert!(!metrics.authorized(None));
    }

    #[test]
    fn without_token_or_bind_nothing_is_served() {
        let metrics = metrics_with(None);
        assert_eq!(metrics.exposure(), Exposure::Off);
        assert!(metrics.authorized(None));
    }
}
