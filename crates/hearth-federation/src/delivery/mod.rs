//! Delivery: workers that drain the persistent queue.
//!
//! A worker claims due jobs with a lease, sends each as a signed POST, and records the
//! outcome: success deletes the job; 5xx, 408, 429 and network errors are retried with
//! exponential backoff; any other 4xx is final. Concurrency is bounded overall and per
//! instance, so a slow instance occupies only its own slots; an instance that keeps failing
//! is held (no job for it is claimed) and tried again rarely.

mod backoff;
mod worker;

pub use backoff::{classify, retry_delay, Outcome};
pub use worker::{DeliveryWorker, WorkerHandle};
