//! Gauges read from the store at scrape time: delivery queue depth and connection pool usage.

use std::sync::atomic::AtomicU64;

use hearth_storage::{now_ms, Store};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

/// A registry (prefix `prefix`) holding the store's readings as of now. When the queue cannot
/// be read, its gauges are left out and `database_up` is 0.
pub async fn read(store: &Store, prefix: &str) -> Registry {
    let mut registry = Registry::with_prefix(prefix);

    let pool = store.pool_stats();
    let connections = Family::<StateLabels, Gauge>::default();
    for (state, value) in [("open", pool.open), ("idle", pool.idle), ("max", pool.max)] {
        connections
            .get_or_create(&StateLabels { state })
            .set(i64::from(value));
    }
    registry.register(
        "db_pool_connections",
        "Database connections of this process: open (busy or idle), idle, and the most allowed",
        connections,
    );

    let up = Gauge::<i64>::default();
    match store.queue_depth(now_ms()).await {
        Ok(depth) => {
            up.set(1);
            let jobs = Family::<StateLabels, Gauge>::default();
            for (state, value) in [
                ("queued", depth.queued),
                ("due", depth.due),
                ("dead", depth.dead),
            ] {
                jobs.get_or_create(&StateLabels { state }).set(value);
            }
            registry.register(
                "delivery_queue_jobs",
                "Delivery jobs: queued (waiting or in flight), due (queued and due now), dead \
                 (given up, kept for inspection)",
                jobs,
            );
            let oldest = Gauge::<f64, AtomicU64>::default();
            if let Some(created) = depth.oldest_queued_at {
                oldest.set((now_ms() - created).max(0) as f64 / 1000.0);
            }
            registry.register(
                "delivery_queue_oldest_age_seconds",
                "Age of the oldest queued delivery job (0 when the queue is empty)",
                oldest,
            );
        }
        Err(err) => tracing::warn!(error = %err, "metrics: cannot read the delivery queue"),
    }
    registry.register(
        "database_up",
        "1 when the database answered this scrape's queries, 0 otherwise",
        up,
    );
    registry
}
