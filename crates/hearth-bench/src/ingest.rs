//! Inbox ingest: K Person actors of one peer follow a group, then N pre-signed `Create(Note)`
//! activities are POSTed to the group's inbox over C connections.
//!
//! With several web processes, each connection goes to one of them in turn (as a proxy
//! balancing connections would), carrying the public `Host` its signature covers.
//!
//! Every activity has its own id, so its own `Digest` and signature: all are signed before the
//! timed phase. The only follower instance is the authors' own peer, which answers at once,
//! so each activity costs Hearth exactly one outbound `Announce`; its CPU is reported both for
//! the timed phase and including the drain of those announces.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use hearth_storage::Store;
use serde::Serialize;

use crate::hearth_process::{machine_busy, HearthProcess, Usage};
use crate::peers::{self, Person, SignedPost};
use crate::progress;
use crate::stats::{quantile, ratio, sorted_ms};

/// The group posted into.
const GROUP: &str = "bench_ingest";

/// What to run.
#[derive(Debug, Clone, Copy)]
pub struct IngestConfig {
    /// N: activities to send.
    pub activities: usize,
    /// C: connections sending at once.
    pub concurrency: usize,
    /// K: distinct authors (each with its own key).
    pub authors: usize,
}

/// Latency percentiles, in milliseconds.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Slowest.
    pub max: f64,
}

impl Latency {
    /// Percentiles of `durations`.
    pub fn of(durations: &[Duration]) -> Latency {
        let ms = sorted_ms(durations);
        Latency {
            p50: quantile(&ms, 0.5),
            p90: quantile(&ms, 0.9),
            p99: quantile(&ms, 0.99),
            max: quantile(&ms, 1.0),
        }
    }
}

/// The figures of an ingest run.
#[derive(Debug, Clone, Serialize)]
pub struct IngestReport {
    /// N.
    pub activities: usize,
    /// C.
    pub concurrency: usize,
    /// K.
    pub authors: usize,
    /// Mean body size, in bytes.
    pub body_bytes: usize,
    /// Seconds spent signing the N requests beforehand (all cores).
    pub presign_seconds: f64,
    /// Answered 202 and processed.
    pub processed: usize,
    /// Anything else: refusals, duplicates, transport errors.
    pub errors: usize,
    /// Errors by kind, e.g. `"503"` or `"202 ignored"`.
    pub error_kinds: BTreeMap<String, usize>,
    /// Wall time from the first request to the last answer.
    pub seconds: f64,
    /// Processed activities per second.
    pub per_second: f64,
    /// Request latency, send to answer.
    pub latency_ms: Latency,
    /// Hearth's CPU time during the timed phase.
    pub hearth_cpu_seconds: f64,
    /// Hearth's CPU time per processed activity during the timed phase (its announces
    /// partly included: delivery runs alongside).
    pub hearth_cpu_us_per_activity: f64,
    /// Hearth's CPU time / wall time during the timed phase: cores kept busy.
    pub hearth_cores_busy: f64,
    /// CPU time of the PostgreSQL server processes serving Hearth during the timed phase
    /// (PostgreSQL only).
    pub database_cpu_us_per_activity: Option<f64>,
    /// Seconds after the last answer until the delivery queue was empty.
    pub drain_seconds: f64,
    /// `Announce`s the follower instance received (expected: one per activity).
    pub announces_delivered: usize,
    /// Of those, how many failed the peer's signature or digest check.
    pub announces_badly_signed: usize,
    /// Hearth's CPU per activity from the first request until every announce was delivered.
    pub hearth_cpu_us_per_activity_with_announce: f64,
    /// The same for the PostgreSQL server processes serving Hearth (PostgreSQL only).
    pub database_cpu_us_per_activity_with_announce: Option<f64>,
    /// Processed activities per second from the first request until every announce was
    /// delivered: what Hearth sustains when deliveries must keep up.
    pub per_second_with_announce: f64,
    /// Hearth's peak resident memory so far (`VmHWM`), in MiB; with several processes, the
    /// sum of each one's peak.
    pub hearth_peak_rss_mib: f64,
    /// CPU time of this process (load generator and peers) during the timed phase.
    pub bench_cpu_seconds: f64,
    /// CPU time of the whole machine / wall time during the timed phase: cores busy with
    /// anything, other processes included.
    pub machine_cores_busy: Option<f64>,
}

/// Sets up the authors and their follows, signs, sends, and measures.
pub async fn run(
    hearth: &mut HearthProcess,
    store: &Store,
    db_cpu: &crate::dbcpu::DatabaseCpu,
    config: IngestConfig,
) -> anyhow::Result<IngestReport> {
    hearth.create_group(GROUP)?;
    let peer = peers::start_peer().await?;
    let bar = progress::bar(config.authors as u64, "ingest: authors (new keys)");
    let mut authors = Vec::with_capacity(config.authors);
    for i in 0..config.authors {
        let id = peer.add_person(&format!("author{i}")).await?;
        authors.push(Person {
            peer: peer.clone(),
            id,
        });
        bar.inc(1);
    }
    bar.finish_and_clear();
    let bar = progress::bar(config.authors as u64, "ingest: authors follow the group");
    peers::follow_all(hearth, store, GROUP, &authors, &bar).await?;
    bar.finish_and_clear();

    let (posts, presign) = presign(hearth, &authors, config.activities).await?;
    let body_bytes = posts.iter().map(|p| p.body.len()).sum::<usize>() / posts.len().max(1);
    peer.clear_received();

    let bar = progress::bar(posts.len() as u64, "ingest: sending");
    let targets = hearth.web_targets(&hearth.group_inbox(GROUP));
    let client = peers::client(config.concurrency)?;
    let posts = Arc::new(posts);
    let next = Arc::new(AtomicUsize::new(0));
    let (hearth_before, own_before, db_before, machine_before) = (
        hearth.usage()?,
        Usage::own()?,
        db_cpu.total().await,
        machine_busy(),
    );
    let start = Instant::now();
    let mut senders = Vec::with_capacity(config.concurrency);
    for connection in 0..config.concurrency {
        let (posts, next, client, inbox, bar) = (
            posts.clone(),
            next.clone(),
            client.clone(),
            targets[connection % targets.len()].clone(),
            bar.clone(),
        );
        senders.push(tokio::spawn(async move {
            let mut results = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(post) = posts.get(i) else { break };
                let sent = Instant::now();
                let answer = peers::send(&client, &inbox, post).await;
                results.push((sent.elapsed(), answer));
                bar.inc(1);
            }
            results
        }));
    }
    let mut latencies = Vec::with_capacity(posts.len());
    let mut processed = 0;
    let mut error_kinds: BTreeMap<String, usize> = BTreeMap::new();
    for sender in senders {
        for (latency, answer) in sender.await? {
            latencies.push(latency);
            match answer {
                Ok(a) if a.processed() => processed += 1,
                Ok(a) if a.status == 202 => {
                    *error_kinds.entry(format!("202 {}", a.outcome)).or_default() += 1
                }
                Ok(a) => *error_kinds.entry(a.status.to_string()).or_default() += 1,
                Err(e) => *error_kinds.entry(format!("transport: {e}")).or_default() += 1,
            }
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let (hearth_after, own_after, db_after, machine_after) = (
        hearth.usage()?,
        Usage::own()?,
        db_cpu.total().await,
        machine_busy(),
    );
    bar.finish_and_clear();
    hearth.check_alive()?;

    let spinner = progress::spinner("ingest: waiting for the announces to be delivered");
    let drain_start = Instant::now();
    peers::wait_queue_empty(store, Duration::from_secs(600)).await?;
    let drain_seconds = drain_start.elapsed().as_secs_f64();
    let (hearth_drained, db_drained) = (hearth.usage()?, db_cpu.total().await);
    spinner.finish_and_clear();
    let received = peer.received();
    let announces: Vec<_> = received
        .iter()
        .filter(|r| r.activity_type() == "Announce")
        .collect();
    let announces_badly_signed = announces
        .iter()
        .filter(|r| !r.signature_ok || !r.digest_ok)
        .count();
    if processed == 0 {
        bail!(
            "Hearth processed none of the activities: {error_kinds:?}\n{}",
            hearth.log_tail(20)
        );
    }

    let cpu = (hearth_after.cpu - hearth_before.cpu).as_secs_f64();
    let cpu_with_announce = (hearth_drained.cpu - hearth_before.cpu).as_secs_f64();
    Ok(IngestReport {
        activities: config.activities,
        concurrency: config.concurrency,
        authors: config.authors,
        body_bytes,
        presign_seconds: presign.as_secs_f64(),
        processed,
        errors: error_kinds.values().sum(),
        error_kinds,
        seconds,
        per_second: processed as f64 / seconds,
        latency_ms: Latency::of(&latencies),
        hearth_cpu_seconds: cpu,
        hearth_cpu_us_per_activity: ratio(cpu * 1e6, processed as f64),
        hearth_cores_busy: cpu / seconds,
        database_cpu_us_per_activity: match (db_before, db_after) {
            (Some(b), Some(a)) => Some(ratio((a - b).as_secs_f64() * 1e6, processed as f64)),
            _ => None,
        },
        database_cpu_us_per_activity_with_announce: match (db_before, db_drained) {
            (Some(b), Some(a)) => Some(ratio((a - b).as_secs_f64() * 1e6, processed as f64)),
            _ => None,
        },
        per_second_with_announce: ratio(processed as f64, seconds + drain_seconds),
        drain_seconds,
        announces_delivered: announces.len(),
        announces_badly_signed,
        hearth_cpu_us_per_activity_with_announce: ratio(cpu_with_announce * 1e6, processed as f64),
        hearth_peak_rss_mib: hearth_drained.peak_rss_kib as f64 / 1024.0,
        bench_cpu_seconds: (own_after.cpu - own_before.cpu).as_secs_f64(),
        machine_cores_busy: match (machine_before, machine_after) {
            (Some(b), Some(a)) => Some(ratio(a.saturating_sub(b).as_secs_f64(), seconds)),
            _ => None,
        },
    })
}

/// Builds and signs `n` threads, round-robin over the authors, on every core.
async fn presign(
    hearth: &HearthProcess,
    authors: &[Person],
    n: usize,
) -> anyhow::Result<(Vec<SignedPost>, Duration)> {
    let bar = progress::bar(n as u64, "ingest: signing requests ahead of time");
    let (group, inbox) = (hearth.group(GROUP), hearth.group_inbox(GROUP));
    let handle = peers::handle(hearth, GROUP);
    let authors = authors.to_vec();
    let started = Instant::now();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let progress = bar.clone();
    let posts = tokio::task::spawn_blocking(move || {
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|t| {
                    let (authors, group, inbox, handle, progress) =
                        (&authors, &group, &inbox, &handle, &progress);
                    scope.spawn(move || {
                        (t..n)
                            .step_by(threads)
                            .map(|i| {
                                let author = &authors[i % authors.len()];
                                let create = peers::new_thread(author, group, handle, i);
                                let post = peers::sign_now(author, inbox, &create);
                                progress.inc(1);
                                post.map(|p| (i, p))
                            })
                            .collect::<anyhow::Result<Vec<_>>>()
                    })
                })
                .collect();
            let mut all = Vec::with_capacity(n);
            for worker in workers {
                all.extend(worker.join().expect("a signing thread panicked")?);
            }
            all.sort_by_key(|(i, _)| *i);
            Ok::<_, anyhow::Error>(all.into_iter().map(|(_, p)| p).collect::<Vec<_>>())
        })
    })
    .await
    .context("the signing threads")??;
    bar.finish_and_clear();
    Ok((posts, started.elapsed()))
}
