//! The delivery worker loop. See the module docs of [`crate::delivery`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use hearth_storage::{now_ms, ClaimedDelivery, InstanceFailure};
use reqwest::header::{CONTENT_TYPE, DATE, HOST, RETRY_AFTER};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use url::Url;

use super::backoff::{classify, retry_delay, Outcome};
use crate::actors::Refresh;
use crate::fetch::error_chain;
use crate::keys::SigningKey;
use crate::metrics::{self, DeliveryOutcome};
use crate::net::check_peer_url;
use crate::signatures::{digest_header, sign_post};
use crate::vocab::ACTIVITY_JSON;
use crate::Federation;

/// How often a worker offers to run housekeeping (and to refresh subscribed blocklists that
/// are due); each runs once per period across all processes.
const HOUSEKEEPING_CHECK: Duration = Duration::from_secs(60);
/// How often housekeeping (pruning, NodeInfo and actor refresh) runs, cluster-wide.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(600);
/// Dedupe marks are kept this long.
const KEEP_RECEIVED_MS: i64 = 30 * 24 * 3600 * 1000;
/// Dead jobs are kept this long for inspection.
const KEEP_DEAD_MS: i64 = 14 * 24 * 3600 * 1000;
/// Actors not fetched for this long are refreshed by housekeeping.
const STALE_ACTOR_MS: i64 = 3 * 24 * 3600 * 1000;
/// Prepared activities kept in memory.
const PREPARED_CACHE: usize = 512;

/// An activity ready to send: its body, digest and signer.
struct Prepared {
    body: Bytes,
    digest: String,
    key: SigningKey,
}

/// Drains the delivery queue. Any number may run, in one process or many.
pub struct DeliveryWorker {
    fed: Federation,
    owner: String,
    slots: Arc<Semaphore>,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
    prepared: Mutex<HashMap<i64, Arc<Prepared>>>,
}

/// A running worker: stop it with [`WorkerHandle::shutdown`].
pub struct WorkerHandle {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl WorkerHandle {
    /// Stops claiming, lets in-flight deliveries finish (bounded by the request timeout),
    /// and returns.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

impl DeliveryWorker {
    /// Starts a worker on the current runtime.
    pub fn spawn(fed: Federation) -> WorkerHandle {
        let worker = Arc::new(DeliveryWorker {
            slots: Arc::new(Semaphore::new(fed.settings().delivery.concurrency)),
            owner: format!("{}-{}", hostname(), uuid::Uuid::new_v4()),
            hosts: Mutex::new(HashMap::new()),
            prepared: Mutex::new(HashMap::new()),
            fed,
        });
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(worker.run(stopped));
        WorkerHandle { stop, task }
    }

    async fn run(self: Arc<Self>, mut stopped: watch::Receiver<bool>) {
        tracing::info!(owner = %self.owner, "delivery worker started");
        let settings = self.fed.settings().delivery.clone();
        let mut in_flight = JoinSet::new();
        let mut next_housekeeping = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            if *stopped.borrow() {
                break;
            }
            while in_flight.try_join_next().is_some() {}
            if tokio::time::Instant::now() >= next_housekeeping {
                next_housekeeping += HOUSEKEEPING_CHECK;
                let (fed, owner) = (self.fed.clone(), self.owner.clone());
                tokio::spawn(async move {
                    tokio::join!(
                        housekeeping(&fed, &owner),
                        fed.refresh_due_subscriptions(&owner),
                        fed.send_event_reminders(&owner)
                    )
                });
            }
            if crate::group_posts::take_due(now_ms()) {
                let (fed, owner) = (self.fed.clone(), self.owner.clone());
                tokio::spawn(async move { crate::group_posts::run_due(&fed, &owner).await });
            }
            let free = self.slots.available_permits();
            if free == 0 {
                tokio::select! {
                    _ = in_flight.join_next() => {}
                    _ = stopped.changed() => {}
                }
                continue;
            }
            let now = now_ms();
            let claimed = self
                .fed
                .store()
                .claim_deliveries(
                    &self.owner,
                    now,
                    now + settings.lease.as_millis() as i64,
                    free as i64,
                    settings.per_instance as i64,
                )
                .await;
            let jobs = match claimed {
                Ok(jobs) => jobs,
                Err(err) => {
                    tracing::warn!(error = %err, "cannot claim deliveries; retrying shortly");
                    tokio::time::sleep(settings.poll_interval).await;
                    continue;
                }
            };
            if jobs.is_empty() {
                tokio::select! {
                    _ = self.fed.work_queued().notified() => {}
                    _ = tokio::time::sleep(settings.poll_interval) => {}
                    _ = stopped.changed() => {}
                }
                continue;
            }
            // A job is sent only when its instance has a free slot; otherwise it goes back to
            // the queue at once, so a slow instance's backlog never holds slots (or leases)
            // that other instances' deliveries could use.
            let mut dispatched = 0;
            for job in jobs {
                let Ok(host_slot) = self.host_slots(&job.host).try_acquire_owned() else {
                    if let Err(err) = self.fed.store().release_delivery(job.id).await {
                        tracing::warn!(error = %err, "cannot release a delivery; its lease will expire");
                    }
                    continue;
                };
                let slot = self
                    .slots
                    .clone()
                    .acquire_owned()
                    .await
                    .expect("the slot semaphore is never closed");
                let worker = self.clone();
                in_flight.spawn(async move { worker.deliver(job, slot, host_slot).await });
                dispatched += 1;
            }
            if dispatched == 0 {
                tokio::select! {
                    _ = in_flight.join_next(), if !in_flight.is_empty() => {}
                    _ = tokio::time::sleep(settings.poll_interval) => {}
                    _ = stopped.changed() => {}
                }
            }
        }
        let grace = self.fed.settings().request_timeout + Duration::from_secs(2);
        let _ = tokio::time::timeout(grace, async {
            while in_flight.join_next().await.is_some() {}
        })
        .await;
        tracing::info!(owner = %self.owner, "delivery worker stopped");
    }

    fn host_slots(&self, host: &str) -> Arc<Semaphore> {
        let per_instance = self.fed.settings().delivery.per_instance;
        self.hosts
            .lock()
            .expect("host map lock")
            .entry(host.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(per_instance)))
            .clone()
    }

    async fn prepare(&self, activity_id: i64) -> Result<Arc<Prepared>, String> {
        if let Some(found) = self
            .prepared
            .lock()
            .expect("prepared lock")
            .get(&activity_id)
        {
            return Ok(found.clone());
        }
        let store = self.fed.store();
        let activity = store
            .outbound_activity(activity_id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the activity no longer exists")?;
        let key = match activity.group_id {
            Some(group_id) => {
                let group = store
                    .group_by_id(group_id)
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or("the sending group no longer exists")?;
                self.fed
                    .keys()
                    .signing(
                        &self.fed.urls().group_key(&group.name),
                        &group.private_key_pem,
                    )
                    .map_err(|e| e.to_string())?
            }
            None => self.fed.instance_key().clone(),
        };
        let prepared = Arc::new(Prepared {
            digest: digest_header(activity.body.as_bytes()),
            body: Bytes::from(activity.body),
            key,
        });
        let mut cache = self.prepared.lock().expect("prepared lock");
        if cache.len() >= PREPARED_CACHE {
            cache.clear();
        }
        cache.insert(activity_id, prepared.clone());
        Ok(prepared)
    }

    async fn deliver(
        &self,
        job: ClaimedDelivery,
        _slot: OwnedSemaphorePermit,
        _host_slot: OwnedSemaphorePermit,
    ) {
        let outcome = match self.attempt(&job).await {
            Ok(outcome) => outcome,
            Err(refusal) => Outcome::Refused(refusal),
        };
        if let Err(err) = self.record(&job, outcome).await {
            tracing::warn!(job = job.id, error = %err, "cannot record a delivery outcome; the lease will expire and it will be retried");
        }
    }

    async fn attempt(&self, job: &ClaimedDelivery) -> Result<Outcome, String> {
        let url = Url::parse(&job.inbox).map_err(|e| format!("bad inbox URL: {e}"))?;
        check_peer_url(&url, self.fed.settings().allow_private_networks)
            .map_err(|e| e.to_string())?;
        if let hearth_moderation::Verdict::Refuse(reason) = self.fed.judge_host(&job.host) {
            return Err(reason);
        }
        let prepared = self.prepare(job.activity_id).await?;
        let signed = {
            let (p, target) = (prepared.clone(), url.clone());
            self.fed
                .on_cpu(move || sign_post(&p.key, &target, &p.digest, ACTIVITY_JSON))
                .await
        };
        let sent = self
            .fed
            .client()
            .post(url)
            .header(CONTENT_TYPE, ACTIVITY_JSON)
            .header(HOST, signed.host)
            .header(DATE, signed.date)
            .header("digest", prepared.digest.as_str())
            .header("signature", signed.signature)
            .body(prepared.body.clone())
            .send()
            .await;
        Ok(match sent {
            Ok(response) => {
                let retry_after = response
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                classify(response.status().as_u16(), retry_after)
            }
            Err(err) => Outcome::Retry {
                error: error_chain(&err),
                retry_after: None,
            },
        })
    }

    async fn record(
        &self,
        job: &ClaimedDelivery,
        outcome: Outcome,
    ) -> Result<(), hearth_storage::StoreError> {
        let store = self.fed.store();
        let settings = &self.fed.settings().delivery;
        let now = now_ms();
        match outcome {
            Outcome::Delivered => {
                tracing::debug!(inbox = %job.inbox, "delivered");
                metrics::delivery().attempted(DeliveryOutcome::Delivered);
                store.delivery_succeeded(job, now).await
            }
            Outcome::Refused(reason) => {
                tracing::info!(inbox = %job.inbox, %reason, "delivery refused; not retrying");
                metrics::delivery().attempted(DeliveryOutcome::Refused);
                store.delivery_failed(job, &reason, None).await
            }
            Outcome::Retry { error, retry_after } => {
                let attempt = job.attempts + 1;
                metrics::delivery().instance_failed(&job.host);
                let failures = store
                    .record_instance_failure(&InstanceFailure {
                        host: &job.host,
                        at: now,
                        error: &error,
                        unreachable_after: settings.unreachable_after,
                        hold_until: now + settings.unreachable_hold.as_millis() as i64,
                    })
                    .await?;
                if attempt >= settings.max_attempts {
                    tracing::warn!(inbox = %job.inbox, %error, attempt, "delivery failed; giving up");
                    metrics::delivery().attempted(DeliveryOutcome::Dead);
                    return store.delivery_failed(job, &error, None).await;
                }
                let delay = retry_delay(attempt, settings.retry_base, settings.retry_max)
                    .max(retry_after.unwrap_or_default().min(settings.retry_max));
                tracing::info!(inbox = %job.inbox, %error, attempt, instance_failures = failures,
                    retry_in_s = delay.as_secs(), "delivery failed; will retry");
                metrics::delivery().attempted(DeliveryOutcome::Retry);
                store
                    .delivery_failed(job, &error, Some(now + delay.as_millis() as i64))
                    .await
            }
        }
    }
}

/// Periodic upkeep, run by one process at a time: forget old dedupe marks and dead jobs,
/// bring the insights rollups up to date (and send the weekly digests), sweep expired bans
/// (they stop applying at their expiry anyway), learn unknown instances' software, refresh
/// stale actors.
async fn housekeeping(fed: &Federation, owner: &str) {
    let now = now_ms();
    let store = fed.store();
    let every = HOUSEKEEPING_EVERY.as_millis() as i64;
    match store
        .claim_scheduled_job("housekeeping", owner, now, now + every, every)
        .await
    {
        Ok(true) => tracing::debug!("running housekeeping"),
        Ok(false) => return,
        Err(err) => {
            tracing::warn!(error = %err, "cannot claim housekeeping");
            return;
        }
    }
    if let Err(err) = store.prune_received(now - KEEP_RECEIVED_MS).await {
        tracing::warn!(error = %err, "pruning dedupe marks failed");
    }
    if let Err(err) = store.prune_dead_deliveries(now - KEEP_DEAD_MS).await {
        tracing::warn!(error = %err, "pruning dead deliveries failed");
    }
    if let Err(err) = store.refresh_insights(now).await {
        tracing::warn!(error = %err, "refreshing the insights rollups failed");
    }
    crate::digest::send_weekly_digests(fed, owner).await;
    match store.sweep_expired_bans(now).await {
        Ok(lifted) if !lifted.is_empty() => {
            tracing::info!(bans = lifted.len(), "expired bans lifted")
        }
        Ok(_) => {}
        Err(err) => tracing::warn!(error = %err, "lifting expired bans failed"),
    }
    let stale = now - 7 * 24 * 3600 * 1000;
    if let Ok(hosts) = store.instances_needing_nodeinfo(stale, 20).await {
        for host in hosts {
            let scheme = if fed.settings().allow_private_networks && host.contains(':') {
                "http"
            } else {
                "https"
            };
            if let Ok(url) = Url::parse(&format!("{scheme}://{host}/")) {
                fed.refresh_instance(&host, &url).await;
            }
        }
    }
    if let Ok(stale) = store.stale_actors(now - STALE_ACTOR_MS, 50).await {
        for id in stale {
            if let Ok(url) = Url::parse(&id) {
                if let Err(err) = fed.resolve_actor(&url, Refresh::Force).await {
                    tracing::debug!(actor = %id, error = %err, "actor refresh failed");
                }
            }
        }
    }
}

fn hostname() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "hearth".into())
}
