//! `hearth-bench`: measures a real `hearth serve` process over loopback HTTP with real HTTP
//! signatures, against simulated fediverse instances, and compares the figures with what the
//! machine's RSA speed allows.
//!
//! 1. [`limits`]: RSA-2048 signs and verifies per second on one core, aws-lc-rs and `rsa` 0.9;
//! 2. [`ingest`]: signed `Create(Note)`s POSTed to a group inbox over C connections;
//! 3. [`fanout`]: posts into a group followed from M instances, also behind a slow instance.
//!
//! [`report`] prints the figures and ratios and can write them as JSON.

mod dbcpu;
mod fanout;
mod hearth_process;
mod ingest;
mod limits;
mod peers;
mod progress;
mod report;
mod stats;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

use crate::fanout::FanoutConfig;
use crate::hearth_process::{Database, HearthOptions, HearthProcess};
use crate::ingest::IngestConfig;
use crate::report::{HearthSummary, Machine, Report, Settings};

const LONG_ABOUT: &str = "\
Benchmarks a real `hearth serve` process over loopback HTTP with real HTTP signatures.

It measures, in one run:
  1. the machine limit: RSA-2048 signs/s and verifies/s on one core, with aws-lc-rs (what
     Hearth uses) and with the rsa 0.9 crate;
  2. inbox ingest: K authors on one simulated instance follow a group, then N pre-signed
     Create(Note) activities are POSTed to its inbox over C connections: throughput,
     latency, errors, Hearth's CPU per activity and peak memory;
  3. fan-out: a group with F followers on M simulated instances (each its own port and
     shared inbox, running \"lemmy\"); posts one at a time and in a burst: time until every
     instance has the Announce, deliveries/s and Hearth's CPU per delivery; then one post
     queued behind a backlog for a slow instance: how long the healthy ones wait.

Hearth is started on a fresh database (SQLite in a temporary directory, or a new PostgreSQL
database that is dropped afterwards) and killed at the end. The simulated instances run
inside this process and check every signature they receive. Their RSA keys are cached on
disk (see hearth-test-peer), so the first run spends extra time generating them.

Build both binaries in release mode first:

  cargo build --release -p hearth-server -p hearth-bench
  target/release/hearth-bench --json bench.json";

/// Command-line options.
#[derive(Parser, Debug)]
#[command(name = "hearth-bench", version, about, long_about = LONG_ABOUT)]
struct Args {
    /// The hearth binary to benchmark (build it with `cargo build --release -p hearth-server`).
    #[arg(long, value_name = "PATH", default_value = "target/release/hearth")]
    hearth: PathBuf,

    /// Database Hearth runs on.
    #[arg(long, value_enum, default_value_t = Database::Sqlite)]
    database: Database,

    /// PostgreSQL server for --database postgres (a fresh database is created on it and
    /// dropped at the end).
    #[arg(
        long,
        env = "HEARTH_BENCH_POSTGRES",
        value_name = "URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    postgres_url: String,

    /// Seconds each of the four RSA rates is measured for.
    #[arg(long, default_value_t = 2.0, value_name = "SECONDS")]
    limit_seconds: f64,

    /// Ingest: N, the activities to send.
    #[arg(long, default_value_t = 5000, value_name = "N")]
    activities: usize,

    /// Ingest: C, the connections sending at once.
    #[arg(long, default_value_t = 32, value_name = "C")]
    concurrency: usize,

    /// Ingest: K, the authors (each with its own key; all on one instance).
    #[arg(long, default_value_t = 50, value_name = "K")]
    authors: usize,

    /// Fan-out: F, the followers of the group.
    #[arg(long, default_value_t = 2000, value_name = "F")]
    followers: usize,

    /// Fan-out: M, the instances the followers are spread over.
    #[arg(long, default_value_t = 50, value_name = "M")]
    instances: usize,

    /// Fan-out: posts sent one at a time (for latency).
    #[arg(long, default_value_t = 20)]
    fanout_rounds: usize,

    /// Fan-out: posts sent at once (for throughput).
    #[arg(long, default_value_t = 40)]
    fanout_burst: usize,

    /// Fan-out: posts queued for a slow instance before one post goes to the healthy ones
    /// (0 skips this measurement).
    #[arg(long, default_value_t = 300)]
    slow_backlog: usize,

    /// Fan-out: how long the slow instance takes to answer each delivery.
    #[arg(long, default_value_t = 250, value_name = "MS")]
    slow_delay_ms: u64,

    /// HEARTH_DELIVERY_CONCURRENCY: Hearth's outbound requests in flight.
    #[arg(long, default_value_t = 128)]
    delivery_concurrency: usize,

    /// HEARTH_DELIVERY_PER_INSTANCE: in flight per instance (default: Hearth's).
    #[arg(long)]
    delivery_per_instance: Option<usize>,

    /// HEARTH_DELIVERY_POLL_MS: how often idle delivery workers look for due jobs
    /// (default: Hearth's).
    #[arg(long, value_name = "MS")]
    delivery_poll_ms: Option<u64>,

    /// HEARTH_DATABASE_CONNECTIONS.
    #[arg(long, default_value_t = 32)]
    database_connections: u32,

    /// HEARTH_LOG: what Hearth logs (to hearth.log in its temporary directory), e.g.
    /// `warn,sqlx::query=debug` to see every statement with its time.
    #[arg(long, default_value = "warn", value_name = "FILTER")]
    hearth_log: String,

    /// Keep Hearth's temporary directory (SQLite database and log) and print its path.
    #[arg(long)]
    keep: bool,

    /// Skip the machine-limit measurement (no ratios are printed then).
    #[arg(long)]
    skip_limits: bool,

    /// Skip the ingest phase.
    #[arg(long)]
    skip_ingest: bool,

    /// Skip the fan-out phase.
    #[arg(long)]
    skip_fanout: bool,

    /// Also write every figure to this JSON file.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the tokio runtime starts");
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("hearth-bench: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let started = Instant::now();
    let machine = Machine::detect();

    let limits = if args.skip_limits {
        None
    } else {
        let bar = progress::bar(4, "machine limit: RSA-2048 on one core");
        let seconds = args.limit_seconds;
        let progress = bar.clone();
        let limits =
            tokio::task::spawn_blocking(move || limits::measure(seconds, &progress)).await??;
        bar.finish_and_clear();
        progress::note(format!(
            "machine limit: aws-lc-rs {:.0} signs/s, {:.0} verifies/s; rsa 0.9 {:.0} signs/s, {:.0} verifies/s",
            limits.aws_lc_signs_per_s,
            limits.aws_lc_verifies_per_s,
            limits.rsa_signs_per_s,
            limits.rsa_verifies_per_s
        ));
        Some(limits)
    };

    let options = HearthOptions {
        binary: args.hearth.clone(),
        database: args.database,
        postgres_url: args.postgres_url.clone(),
        delivery_concurrency: args.delivery_concurrency,
        delivery_per_instance: args.delivery_per_instance,
        delivery_poll_ms: args.delivery_poll_ms,
        database_connections: args.database_connections,
        log: args.hearth_log.clone(),
        keep: args.keep,
    };
    let mut hearth = HearthProcess::start(&options).await?;
    progress::note(format!(
        "hearth started (pid {}) at {}",
        hearth.pid(),
        hearth.url("/")
    ));
    let store = hearth.open_store().await?;
    let db_cpu = hearth.database_cpu();

    let ingest = if args.skip_ingest {
        None
    } else {
        let config = IngestConfig {
            activities: args.activities,
            concurrency: args.concurrency.max(1),
            authors: args.authors.max(1),
        };
        let report = ingest::run(&mut hearth, &store, &db_cpu, config).await?;
        progress::note(format!(
            "ingest: {:.0} activities/s, p99 {:.1} ms, {} errors",
            report.per_second, report.latency_ms.p99, report.errors
        ));
        Some(report)
    };

    let fanout = if args.skip_fanout {
        None
    } else {
        let config = FanoutConfig {
            followers: args.followers,
            instances: args.instances,
            rounds: args.fanout_rounds.max(1),
            burst: args.fanout_burst.max(1),
            slow_backlog: args.slow_backlog,
            slow_delay: std::time::Duration::from_millis(args.slow_delay_ms),
        };
        let report = fanout::run(&mut hearth, &store, &db_cpu, config).await?;
        progress::note(format!(
            "fan-out: {:.0} deliveries/s in the burst, {:.1} ms to every instance (p50)",
            report.burst_deliveries_per_second, report.last_delivery_ms.p50
        ));
        Some(report)
    };

    let usage = hearth.usage()?;
    let warnings = hearth.warnings();
    store.close().await;
    if args.keep {
        eprintln!(
            "Hearth's database and log are kept in {}",
            hearth.dir().display()
        );
    }
    hearth.stop().await;

    let report = Report {
        machine: Machine {
            load_average: report::load_average(),
            ..machine
        },
        settings: Settings {
            hearth_binary: args.hearth.display().to_string(),
            database: args.database,
            delivery_concurrency: args.delivery_concurrency,
            delivery_per_instance: args.delivery_per_instance,
            database_connections: args.database_connections,
        },
        limits,
        ingest,
        fanout,
        hearth: HearthSummary {
            peak_rss_mib: usage.peak_rss_kib as f64 / 1024.0,
            cpu_seconds: usage.cpu.as_secs_f64(),
            warnings: warnings.len(),
            first_warnings: warnings.into_iter().take(8).collect(),
        },
        total_seconds: started.elapsed().as_secs_f64(),
    };
    println!("{}", report.render());
    if let Some(path) = &args.json {
        report.write_json(path)?;
        eprintln!("figures written to {}", path.display());
    }
    Ok(())
}
