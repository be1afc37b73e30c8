//! Fan-out: a group with F followers spread over M instances (M peers, each on its own port,
//! its persons sharing the peer's `/inbox`), then posts into it.
//!
//! Hearth queues one delivery per shared inbox, so one post costs M deliveries (the peers run
//! Lemmy, which gets exactly one `Announce` per post). Two measurements:
//!
//! - *rounds*: one post at a time; time from the post's 202 to the first and to the last
//!   instance receiving its `Announce`;
//! - *burst*: B posts at once, so the delivery workers are saturated; deliveries per second
//!   from the first 202 until the last instance has all B announces.
//!
//! - *behind a slow instance*: one more instance answers its inbox only after a delay, and a
//!   backlog of posts for it is queued first (through a group only it follows); then one post
//!   goes to the M healthy instances: how long do they wait?
//!
//! Posts are spread over the web processes when there are several (each carrying the public
//! `Host` its signature covers).
//!
//! Deliveries are counted from what the peers received, and each is checked by the peer's own
//! signature verification. Hearth's CPU time per delivery is its CPU time over the phase
//! (receiving the posts included) divided by the deliveries.

use std::collections::HashSet;
use std::time::{Duration, Instant, SystemTime};

use anyhow::bail;
use futures::future::join_all;
use futures::{stream, StreamExt, TryStreamExt};
use hearth_storage::Store;
use hearth_test_peer::{Peer, Received};
use serde::Serialize;

use crate::dbcpu::DatabaseCpu;
use crate::hearth_process::{machine_busy, HearthProcess, Usage};
use crate::ingest::Latency;
use crate::peers::{self, Person};
use crate::progress;
use crate::stats::ratio;

/// The group posted into.
const GROUP: &str = "bench_fanout";

/// The group only the slow instance follows.
const BACKLOG_GROUP: &str = "bench_backlog";

/// How long to wait for every instance to receive a post.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(300);

/// How often the instances are asked what arrived. Arrival times come from the instances
/// themselves, so this only bounds how soon a wait ends; each look copies what arrived.
const POLL: Duration = Duration::from_millis(25);

/// What to run.
#[derive(Debug, Clone, Copy)]
pub struct FanoutConfig {
    /// F: followers of the group.
    pub followers: usize,
    /// M: instances they are spread over.
    pub instances: usize,
    /// Posts sent one at a time.
    pub rounds: usize,
    /// Posts sent at once.
    pub burst: usize,
    /// Posts queued for the slow instance before the healthy ones get one (0: skip).
    pub slow_backlog: usize,
    /// How long the slow instance takes to answer each delivery.
    pub slow_delay: Duration,
}

/// Healthy instances' wait for a post queued behind a slow instance's backlog.
#[derive(Debug, Clone, Serialize)]
pub struct SlowInstanceReport {
    /// The slow instance's answer delay, in milliseconds.
    pub delay_ms: f64,
    /// Deliveries queued for it before the post.
    pub backlog: usize,
    /// From the post's 202 until the first healthy instance had it.
    pub first_healthy_ms: f64,
    /// From the post's 202 until every healthy instance had it.
    pub every_healthy_ms: f64,
    /// From the post's 202 until the slow instance's backlog was delivered.
    pub backlog_drained_ms: f64,
}

/// The figures of a fan-out run.
#[derive(Debug, Clone, Serialize)]
pub struct FanoutReport {
    /// F.
    pub followers: usize,
    /// M.
    pub instances: usize,
    /// Seconds to start the instances and have every follow accepted.
    pub setup_seconds: f64,
    /// NodeInfo documents Hearth fetched per instance while the follows came in (one would do).
    pub nodeinfo_fetches_per_instance: f64,
    /// Posts sent one at a time.
    pub rounds: usize,
    /// Deliveries per post (one per instance expected).
    pub deliveries_per_post: f64,
    /// From a post's 202 until the first instance had its `Announce`, over the rounds.
    pub first_delivery_ms: Latency,
    /// From a post's 202 until every instance had its `Announce`, over the rounds.
    pub last_delivery_ms: Latency,
    /// Deliveries per second within the rounds: all deliveries / sum of times to the last.
    pub rounds_deliveries_per_second: f64,
    /// Hearth's CPU time per delivery over the rounds.
    pub rounds_hearth_cpu_us_per_delivery: f64,
    /// Posts sent at once.
    pub burst_posts: usize,
    /// Deliveries of the burst.
    pub burst_deliveries: usize,
    /// From the first 202 until every instance had every `Announce` of the burst.
    pub burst_seconds: f64,
    /// Deliveries per second in the burst.
    pub burst_deliveries_per_second: f64,
    /// Hearth's CPU time per delivery in the burst.
    pub burst_hearth_cpu_us_per_delivery: f64,
    /// Hearth's CPU time / wall time in the burst.
    pub burst_hearth_cores_busy: f64,
    /// CPU time of this process (posting, and the instances receiving and checking) / wall
    /// time in the burst.
    pub burst_bench_cores_busy: f64,
    /// CPU time of the whole machine / wall time in the burst: cores busy with anything,
    /// other processes included.
    pub burst_machine_cores_busy: Option<f64>,
    /// CPU time of Hearth's PostgreSQL backends per delivery in the burst (PostgreSQL only).
    pub burst_database_cpu_us_per_delivery: Option<f64>,
    /// Growth of Hearth's resident memory over the burst, in MiB.
    pub burst_rss_growth_mib: f64,
    /// A post behind a slow instance's backlog, when measured.
    pub slow_instance: Option<SlowInstanceReport>,
    /// Deliveries that failed the peers' signature or digest check.
    pub badly_signed: usize,
    /// Hearth's peak resident memory so far (`VmHWM`), in MiB; with several processes, the
    /// sum of each one's peak.
    pub hearth_peak_rss_mib: f64,
}

/// Sets up the instances and followers, posts, and measures.
pub async fn run(
    hearth: &mut HearthProcess,
    store: &Store,
    db_cpu: &DatabaseCpu,
    config: FanoutConfig,
) -> anyhow::Result<FanoutReport> {
    if config.instances == 0 || config.followers < config.instances {
        bail!("fan-out needs at least one follower per instance");
    }
    let setup_start = Instant::now();
    hearth.create_group(GROUP)?;
    let bar = progress::bar(config.instances as u64, "fan-out: starting instances");
    let peers: Vec<Peer> = join_all((0..config.instances).map(|_| async {
        let peer = peers::start_peer().await;
        bar.inc(1);
        peer
    }))
    .await
    .into_iter()
    .collect::<anyhow::Result<_>>()?;
    bar.finish_and_clear();

    let mut followers = Vec::with_capacity(config.followers);
    for j in 0..config.followers {
        let peer = &peers[j % peers.len()];
        let id = peer
            .add_person_sharing_key(&format!("member{j}"), &peer.instance_actor())
            .await?;
        followers.push(Person {
            peer: peer.clone(),
            id,
        });
    }
    let bar = progress::bar(
        followers.len() as u64,
        "fan-out: followers follow the group",
    );
    peers::follow_all(hearth, store, GROUP, &followers, &bar).await?;
    bar.finish_and_clear();
    let setup_seconds = setup_start.elapsed().as_secs_f64();
    let nodeinfo_fetches: usize = peers
        .iter()
        .map(|p| {
            p.requests()
                .iter()
                .filter(|r| r.method == "GET" && r.path == "/.well-known/nodeinfo")
                .count()
        })
        .sum();
    progress::note(format!(
        "fan-out: {} followers on {} instances set up in {setup_seconds:.1} s",
        config.followers, config.instances
    ));

    // The first follower of each instance takes turns posting.
    let posters = &followers[..peers.len()];
    let poster = |n: usize| &posters[n % posters.len()];
    let client = peers::client(config.burst.max(4))?;
    let (group, inbox) = (hearth.group(GROUP), hearth.group_inbox(GROUP));
    let targets = hearth.web_targets(&inbox);
    let target = |n: usize| &targets[n % targets.len()];
    let handle = peers::handle(hearth, GROUP);
    let mut badly_signed = 0;

    // Rounds: one post at a time.
    let bar = progress::bar(config.rounds as u64, "fan-out: one post at a time");
    let (mut firsts, mut lasts) = (Vec::new(), Vec::new());
    let (mut round_deliveries, mut round_cpu) = (0usize, Duration::ZERO);
    for round in 0..config.rounds {
        clear(&peers);
        let create = peers::new_thread(poster(round), &group, &handle, round);
        let post = peers::sign(poster(round), &inbox, &create).await?;
        let before = hearth.usage()?;
        let answer = peers::send(&client, target(round), &post).await?;
        let accepted_at = SystemTime::now();
        if !answer.processed() {
            bail!("the post was refused: {} {}", answer.status, answer.outcome);
        }
        let ids = HashSet::from([post.id.clone()]);
        let got = wait_announces(&peers, &ids).await?;
        peers::wait_queue_empty(store, DELIVERY_TIMEOUT).await?;
        round_cpu += hearth.usage()?.cpu - before.cpu;
        round_deliveries += got.len();
        badly_signed += got
            .iter()
            .filter(|r| !r.signature_ok || !r.digest_ok)
            .count();
        let (first, last) = arrival_span(&got);
        firsts.push(since(accepted_at, first));
        lasts.push(since(accepted_at, last));
        bar.inc(1);
    }
    bar.finish_and_clear();
    hearth.check_alive()?;

    // Burst: every post at once.
    clear(&peers);
    let mut posts = Vec::with_capacity(config.burst);
    for n in 0..config.burst {
        let create = peers::new_thread(poster(n), &group, &handle, config.rounds + n);
        posts.push(peers::sign(poster(n), &inbox, &create).await?);
    }
    let ids: HashSet<String> = posts.iter().map(|p| p.id.clone()).collect();
    let spinner = progress::spinner(&format!(
        "fan-out: {} posts at once, {} deliveries",
        config.burst,
        config.burst * config.instances
    ));
    let (before, own_before, db_before, machine_before) = (
        hearth.usage()?,
        Usage::own()?,
        db_cpu.total().await,
        machine_busy(),
    );
    let (client, target) = (&client, &target);
    let answers = join_all(posts.iter().enumerate().map(|(n, post)| async move {
        let answer = peers::send(client, target(n), post).await;
        (answer, SystemTime::now())
    }))
    .await;
    let mut first_accepted = None::<SystemTime>;
    for (answer, at) in answers {
        let answer = answer?;
        if !answer.processed() {
            bail!("a post was refused: {} {}", answer.status, answer.outcome);
        }
        first_accepted = Some(first_accepted.map_or(at, |t| t.min(at)));
    }
    let got = wait_announces(&peers, &ids).await?;
    peers::wait_queue_empty(store, DELIVERY_TIMEOUT).await?;
    let (after, own_after, db_after, machine_after) = (
        hearth.usage()?,
        Usage::own()?,
        db_cpu.total().await,
        machine_busy(),
    );
    spinner.finish_and_clear();
    hearth.check_alive()?;
    badly_signed += got
        .iter()
        .filter(|r| !r.signature_ok || !r.digest_ok)
        .count();
    let (_, last) = arrival_span(&got);
    let burst_seconds = since(first_accepted.unwrap_or(last), last).as_secs_f64();
    let burst_deliveries = got.len();
    let burst_cpu = (after.cpu - before.cpu).as_secs_f64();

    let slow_instance = if config.slow_backlog > 0 {
        let (report, bad) = behind_slow_instance(hearth, store, &peers, posters, config).await?;
        badly_signed += bad;
        Some(report)
    } else {
        None
    };

    let rounds_time: f64 = lasts.iter().map(Duration::as_secs_f64).sum();
    Ok(FanoutReport {
        followers: config.followers,
        instances: config.instances,
        setup_seconds,
        nodeinfo_fetches_per_instance: ratio(nodeinfo_fetches as f64, peers.len() as f64),
        rounds: config.rounds,
        deliveries_per_post: ratio(round_deliveries as f64, config.rounds as f64),
        first_delivery_ms: Latency::of(&firsts),
        last_delivery_ms: Latency::of(&lasts),
        rounds_deliveries_per_second: ratio(round_deliveries as f64, rounds_time),
        rounds_hearth_cpu_us_per_delivery: ratio(
            round_cpu.as_secs_f64() * 1e6,
            round_deliveries as f64,
        ),
        burst_posts: config.burst,
        burst_deliveries,
        burst_seconds,
        burst_deliveries_per_second: ratio(burst_deliveries as f64, burst_seconds),
        burst_hearth_cpu_us_per_delivery: ratio(burst_cpu * 1e6, burst_deliveries as f64),
        burst_hearth_cores_busy: ratio(burst_cpu, burst_seconds),
        burst_bench_cores_busy: ratio(
            (own_after.cpu - own_before.cpu).as_secs_f64(),
            burst_seconds,
        ),
        burst_machine_cores_busy: match (machine_before, machine_after) {
            (Some(b), Some(a)) => Some(ratio(a.saturating_sub(b).as_secs_f64(), burst_seconds)),
            _ => None,
        },
        burst_database_cpu_us_per_delivery: match (db_before, db_after) {
            (Some(b), Some(a)) => Some(ratio((a - b).as_secs_f64() * 1e6, burst_deliveries as f64)),
            _ => None,
        },
        burst_rss_growth_mib: (after.rss_kib as f64 - before.rss_kib as f64) / 1024.0,
        slow_instance,
        badly_signed,
        hearth_peak_rss_mib: after.peak_rss_kib as f64 / 1024.0,
    })
}

/// Queues a backlog for a slow instance, then posts to the healthy ones and times them.
/// Returns the figures and how many deliveries were badly signed.
async fn behind_slow_instance(
    hearth: &mut HearthProcess,
    store: &Store,
    healthy: &[Peer],
    posters: &[Person],
    config: FanoutConfig,
) -> anyhow::Result<(SlowInstanceReport, usize)> {
    hearth.create_group(BACKLOG_GROUP)?;
    let slow = peers::start_peer().await?;
    slow.set_inbox_response(202, config.slow_delay);
    let member = Person {
        id: slow
            .add_person_sharing_key("slowpoke", &slow.instance_actor())
            .await?,
        peer: slow.clone(),
    };
    let bar = progress::bar(1, "fan-out: a slow instance joins");
    peers::follow_all(
        hearth,
        store,
        BACKLOG_GROUP,
        std::slice::from_ref(&member),
        &bar,
    )
    .await?;
    bar.finish_and_clear();

    let backlog_inbox = hearth.group_inbox(BACKLOG_GROUP);
    let (backlog_group, backlog_handle) = (
        hearth.group(BACKLOG_GROUP),
        peers::handle(hearth, BACKLOG_GROUP),
    );
    let bar = progress::bar(
        config.slow_backlog as u64,
        "fan-out: queueing a backlog for the slow instance",
    );
    let mut backlog = Vec::with_capacity(config.slow_backlog);
    for n in 0..config.slow_backlog {
        let create = peers::new_thread(&member, &backlog_group, &backlog_handle, n);
        backlog.push(peers::sign(&member, &backlog_inbox, &create).await?);
    }
    let poster = &posters[0];
    let create = peers::new_thread(
        poster,
        &hearth.group(GROUP),
        &peers::handle(hearth, GROUP),
        0,
    );
    let (inbox, client) = (hearth.group_inbox(GROUP), peers::client(16)?);
    let post = peers::sign(poster, &inbox, &create).await?;
    clear(healthy);
    slow.clear_received();
    stream::iter(&backlog)
        .map(|p| {
            let (client, inbox, bar) = (&client, &backlog_inbox, &bar);
            async move {
                let answer = peers::send(client, inbox, p).await?;
                if !answer.processed() {
                    bail!(
                        "a backlog post was refused: {} {}",
                        answer.status,
                        answer.outcome
                    );
                }
                bar.inc(1);
                Ok(())
            }
        })
        .buffer_unordered(16)
        .try_collect::<()>()
        .await?;
    bar.finish_and_clear();

    let spinner =
        progress::spinner("fan-out: one post to the healthy instances behind the backlog");
    let answer = peers::send(&client, &inbox, &post).await?;
    let accepted_at = SystemTime::now();
    if !answer.processed() {
        bail!("the post was refused: {} {}", answer.status, answer.outcome);
    }
    let got = wait_announces(healthy, &HashSet::from([post.id.clone()])).await?;
    spinner.set_message("fan-out: waiting for the slow instance's backlog");
    let ids: HashSet<String> = backlog.iter().map(|p| p.id.clone()).collect();
    let slow_got = wait_announces(std::slice::from_ref(&slow), &ids).await?;
    peers::wait_queue_empty(store, DELIVERY_TIMEOUT).await?;
    spinner.finish_and_clear();
    hearth.check_alive()?;
    let (first, last) = arrival_span(&got);
    let (_, drained) = arrival_span(&slow_got);
    let bad = got
        .iter()
        .chain(&slow_got)
        .filter(|r| !r.signature_ok || !r.digest_ok)
        .count();
    Ok((
        SlowInstanceReport {
            delay_ms: config.slow_delay.as_secs_f64() * 1e3,
            backlog: config.slow_backlog,
            first_healthy_ms: since(accepted_at, first).as_secs_f64() * 1e3,
            every_healthy_ms: since(accepted_at, last).as_secs_f64() * 1e3,
            backlog_drained_ms: since(accepted_at, drained).as_secs_f64() * 1e3,
        },
        bad,
    ))
}

fn clear(peers: &[Peer]) {
    for peer in peers {
        peer.clear_received();
    }
}

/// Whether `received` is an `Announce` of one of `ids` (embedded or by id).
fn announces_one_of(received: &Received, ids: &HashSet<String>) -> bool {
    let activity = &received.activity;
    received.activity_type() == "Announce"
        && [&activity["object"]["id"], &activity["object"]]
            .iter()
            .any(|v| v.as_str().is_some_and(|id| ids.contains(id)))
}

/// Waits until every instance has an `Announce` of each of `ids`; returns them all.
async fn wait_announces(peers: &[Peer], ids: &HashSet<String>) -> anyhow::Result<Vec<Received>> {
    let deadline = Instant::now() + DELIVERY_TIMEOUT;
    let mut done = vec![false; peers.len()];
    loop {
        for (peer, done) in peers.iter().zip(done.iter_mut()) {
            if !*done {
                let count = peer
                    .received()
                    .iter()
                    .filter(|r| announces_one_of(r, ids))
                    .count();
                *done = count >= ids.len();
            }
        }
        if done.iter().all(|d| *d) {
            break;
        }
        if Instant::now() > deadline {
            let missing = done.iter().filter(|d| !**d).count();
            bail!("{missing} instances did not receive every announce within {DELIVERY_TIMEOUT:?}");
        }
        tokio::time::sleep(POLL).await;
    }
    Ok(peers
        .iter()
        .flat_map(|p| p.received())
        .filter(|r| announces_one_of(r, ids))
        .collect())
}

/// The earliest and latest arrival.
fn arrival_span(received: &[Received]) -> (SystemTime, SystemTime) {
    let first = received
        .iter()
        .map(|r| r.at)
        .min()
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let last = received
        .iter()
        .map(|r| r.at)
        .max()
        .unwrap_or(SystemTime::UNIX_EPOCH);
    (first, last)
}

/// `later - earlier`, or zero when `later` came first (a delivery may arrive before the 202
/// does).
fn since(earlier: SystemTime, later: SystemTime) -> Duration {
    later.duration_since(earlier).unwrap_or_default()
}
