//! Hearth's ActivityPub federation.
//!
//! - [`inbox`] takes a signed POST from a peer and decides, stores and queues what follows;
//! - [`delivery`] drains the persistent queue: signed POSTs, retries, unreachable instances;
//! - [`vocab`] reads what peers send and writes Hearth's own documents;
//! - [`signatures`], [`keys`], [`fetch`] and [`net`] are the signed-HTTP plumbing, with the
//!   SSRF guard in [`net`].
//!
//! [`Federation`] bundles what all of them need: the store, settings, URLs, the HTTP client
//! and the key caches.

pub mod actions;
pub mod actors;
mod automod;
pub mod delivery;
pub mod digest;
pub mod events;
pub mod fetch;
pub mod group_posts;
pub mod groups;
pub mod html;
pub mod inbox;
pub mod instances;
pub mod keys;
pub mod metrics;
pub mod moderators;
pub mod net;
mod notices;
pub mod policy;
pub mod review;
pub mod settings;
pub mod signatures;
pub mod subscriptions;
pub mod urls;
pub mod vocab;

mod announce;

use std::sync::Arc;

use hearth_storage::{LocalKeys, Store, StoreError};
use tokio::sync::{Notify, Semaphore};

pub use settings::{DeliverySettings, FederationSettings};
pub use urls::Urls;

use keys::{KeyCache, SigningKey};

/// Everything federation code needs, shared by the HTTP handlers and the delivery workers.
#[derive(Clone)]
pub struct Federation {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    settings: FederationSettings,
    urls: Urls,
    client: reqwest::Client,
    keys: KeyCache,
    instance_key: SigningKey,
    instance_public_key_pem: String,
    work_queued: Notify,
    cpu: Semaphore,
    policy: policy::PolicyCache,
}

impl Federation {
    /// Sets up federation over `store`, creating the instance actor's keys on first start.
    pub async fn new(store: Store, settings: FederationSettings) -> Result<Self, StoreError> {
        let urls = Urls::new(&settings.public_url);
        let keys = match store.local_keys("instance").await? {
            Some(keys) => keys,
            None => {
                let generated = keys::generate_keys()
                    .map_err(|e| StoreError::Migrate(format!("cannot generate keys: {e}")))?;
                store
                    .ensure_local_keys(
                        "instance",
                        &LocalKeys {
                            public_key_pem: generated.public_key_pem,
                            private_key_pem: generated.private_key_pem,
                        },
                    )
                    .await?
            }
        };
        let instance_key = SigningKey::from_pem(urls.instance_key(), &keys.private_key_pem)
            .map_err(|e| StoreError::Migrate(format!("the instance key is unusable: {e}")))?;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let fed = Federation {
            inner: Arc::new(Inner {
                client: net::http_client(&settings),
                store,
                urls,
                settings,
                keys: KeyCache::default(),
                instance_key,
                instance_public_key_pem: keys.public_key_pem,
                work_queued: Notify::new(),
                cpu: Semaphore::new(cores),
                policy: policy::PolicyCache::default(),
            }),
        };
        fed.refresh_policy().await?;
        Ok(fed)
    }

    pub(crate) fn policy_cache(&self) -> &policy::PolicyCache {
        &self.inner.policy
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The settings.
    pub fn settings(&self) -> &FederationSettings {
        &self.inner.settings
    }

    /// Local URL builder.
    pub fn urls(&self) -> &Urls {
        &self.inner.urls
    }

    /// The outbound HTTP client.
    pub fn client(&self) -> &reqwest::Client {
        &self.inner.client
    }

    /// Parsed-key caches.
    pub fn keys(&self) -> &KeyCache {
        &self.inner.keys
    }

    /// The instance actor's public key.
    pub fn instance_public_key_pem(&self) -> &str {
        &self.inner.instance_public_key_pem
    }

    /// Wakes this process's delivery workers: new jobs are queued.
    pub fn notify_work_queued(&self) {
        // notify_one keeps a permit when no worker is waiting, so a wake-up is never lost.
        self.inner.work_queued.notify_one();
    }

    pub(crate) fn work_queued(&self) -> &Notify {
        &self.inner.work_queued
    }

    pub(crate) fn instance_key(&self) -> &SigningKey {
        &self.inner.instance_key
    }

    /// Runs CPU-bound work (signing) on the blocking pool, at most one task per core at a time,
    /// so the async reactor never stalls on RSA.
    pub(crate) async fn on_cpu<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> T {
        let _permit = self
            .inner
            .cpu
            .acquire()
            .await
            .expect("the CPU semaphore is never closed");
        tokio::task::spawn_blocking(work)
            .await
            .expect("signing does not panic")
    }
}
