//! `hearth-bench`: measures a real `hearth serve` process over loopback HTTP with real HTTP
//! signatures, against simulated fediverse instances, and compares the figures with what the
//! machine's RSA speed allows.
//!
//! 1. [`limits`]: RSA-2048 signs and verifies per second on one core, aws-lc-rs and `rsa` 0.9;
//! 2. [`ingest`]: signed `Create(Note)`s POSTed to a group inbox over C connections;
//! 3. [`fanout`]: posts into a group followed from M instances, also behind a slow instance.
//!
//! [`report`] prints the figures and ratios and can write them as JSON. With `--scaling`,
//! [`scaling`] runs 2 and 3 on several deployment shapes (SQLite and PostgreSQL, web processes
//! and workers) and prints them side by side.

mod dbcpu;
mod fanout;
mod hearth_process;
mod ingest;
mod insights;
mod limits;
mod peers;
mod progress;
mod report;
mod scaling;
mod stats;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

use crate::fanout::FanoutConfig;
use crate::hearth_process::{Database, HearthOptions, HearthProcess, Shape};
use crate::ingest::IngestConfig;
use crate::report::{HearthSummary, Machine, Report, Settings};
use crate::scaling::Deployment;

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

--web N and --workers N run Hearth as N web processes (`hearth serve --no-workers`, requests
spread over them) and N delivery workers (`hearth worker`) on one database, instead of one
`hearth serve`.

--scaling compares deployment shapes instead: ingest and fan-out (smaller by default, so the
whole comparison takes a few minutes on 2 cores) on a fresh Hearth for each of --deployments,
by default SQLite with one `hearth serve`; PostgreSQL with one `hearth serve`; PostgreSQL with
2 web processes and 1 worker, with 1 web process and 2 workers, and with 2 of each. It prints
one table: each shape's rates, their ratio to the first PostgreSQL shape and to what the
machine's RSA speed allows on all its cores, the cores kept busy and each process's peak
memory.

Build both binaries in release mode first:

  cargo build --release -p hearth-server -p hearth-bench
  target/release/hearth-bench --json bench.json
  target/release/hearth-bench --scaling --json scaling.json";

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

    /// Run Hearth as this many web processes (`hearth serve --no-workers` when --workers is
    /// given, `hearth serve` otherwise), requests spread over them.
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    web: u16,

    /// Run this many delivery workers (`hearth worker`) beside the web processes.
    #[arg(long, default_value_t = 0, value_name = "N")]
    workers: u16,

    /// Compare deployment shapes (see --deployments) instead of one full run.
    #[arg(long, conflicts_with_all = ["database", "web", "workers", "skip_ingest", "skip_fanout"])]
    scaling: bool,

    /// With --scaling: the shapes, each DATABASE[:WEB[+WORKERS]] (`postgres:2+1` is 2 web
    /// processes and 1 worker, `postgres:2` two `hearth serve`).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "LIST",
        default_value = scaling::DEFAULT_DEPLOYMENTS
    )]
    deployments: Vec<Deployment>,

    /// Ingest: N, the activities to send [default: 5000; with --scaling 3000].
    #[arg(long, value_name = "N")]
    activities: Option<usize>,

    /// Ingest: C, the connections sending at once.
    #[arg(long, default_value_t = 32, value_name = "C")]
    concurrency: usize,

    /// Ingest: K, the authors (each with its own key; all on one instance) [default: 50; with
    /// --scaling 20].
    #[arg(long, value_name = "K")]
    authors: Option<usize>,

    /// Fan-out: F, the followers of the group [default: 2000; with --scaling 250].
    #[arg(long, value_name = "F")]
    followers: Option<usize>,

    /// Fan-out: M, the instances the followers are spread over.
    #[arg(long, default_value_t = 50, value_name = "M")]
    instances: usize,

    /// Fan-out: posts sent one at a time (for latency) [default: 20; with --scaling 3].
    #[arg(long, value_name = "N")]
    fanout_rounds: Option<usize>,

    /// Fan-out: posts sent at once (for throughput).
    #[arg(long, default_value_t = 40, value_name = "N")]
    fanout_burst: usize,

    /// Fan-out: posts queued for a slow instance before one post goes to the healthy ones
    /// (0 skips this measurement) [default: 300; with --scaling 0].
    #[arg(long, value_name = "N")]
    slow_backlog: Option<usize>,

    /// Fan-out: how long the slow instance takes to answer each delivery.
    #[arg(long, default_value_t = 250, value_name = "MS")]
    slow_delay_ms: u64,

    /// HEARTH_DELIVERY_CONCURRENCY: Hearth's outbound requests in flight.
    #[arg(long, default_value_t = 128)]
    delivery_concurrency: usize,

    /// HEARTH_DELIVERY_PER_INSTANCE: in flight per instance (default: Hearth's).
    #[arg(long)]
    delivery_per_instance: Option<usize>,

    /// HEARTH_DELIVERY_POLL_MS: how often idle delivery workers look for due jobs; workers in
    /// a process of their own learn of new jobs only this way [default: Hearth's; with
    /// --scaling 100].
    #[arg(long, value_name = "MS")]
    delivery_poll_ms: Option<u64>,

    /// HEARTH_DATABASE_CONNECTIONS, per process [default: 32; with --scaling 16, so that
    /// four processes stay within PostgreSQL's default 100 connections].
    #[arg(long, value_name = "N")]
    database_connections: Option<u32>,

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

    /// Measure the community insights instead (see the insights module): fill a group of a
    /// fresh Hearth on --database and time the insights report's reads, API and page.
    #[arg(long, conflicts_with = "scaling")]
    insights: bool,

    /// With --insights: the group's members.
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    insights_members: i64,

    /// With --insights: posts (one thread in ten, the rest replies).
    #[arg(long, default_value_t = 1_000_000, value_name = "N")]
    insights_posts: i64,

    /// With --insights: timed reads of the report per range.
    #[arg(long, default_value_t = 20, value_name = "N")]
    insights_rounds: usize,

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

/// The load and settings of a run: what was given, else the defaults of its mode.
struct Resolved {
    ingest: IngestConfig,
    fanout: FanoutConfig,
    delivery_poll_ms: Option<u64>,
    database_connections: u32,
}

impl Resolved {
    fn from(args: &Args) -> Resolved {
        let scaling = args.scaling;
        let pick = |given: Option<usize>, full: usize, scaled: usize| {
            given.unwrap_or(if scaling { scaled } else { full })
        };
        Resolved {
            ingest: IngestConfig {
                activities: pick(args.activities, 5000, 3000),
                concurrency: args.concurrency.max(1),
                authors: pick(args.authors, 50, 20).max(1),
            },
            fanout: FanoutConfig {
                followers: pick(args.followers, 2000, 250),
                instances: args.instances,
                rounds: pick(args.fanout_rounds, 20, 3).max(1),
                burst: args.fanout_burst.max(1),
                slow_backlog: pick(args.slow_backlog, 300, 0),
                slow_delay: std::time::Duration::from_millis(args.slow_delay_ms),
            },
            delivery_poll_ms: args
                .delivery_poll_ms
                .or(scaling.then_some(scaling::DELIVERY_POLL_MS)),
            database_connections: args.database_connections.unwrap_or(if scaling {
                16
            } else {
                32
            }),
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let started = Instant::now();
    let machine = Machine::detect();
    let resolved = Resolved::from(&args);

    let options = HearthOptions {
        binary: args.hearth.clone(),
        database: args.database,
        shape: Shape {
            web: usize::from(args.web),
            workers: usize::from(args.workers),
        },
        postgres_url: args.postgres_url.clone(),
        delivery_concurrency: args.delivery_concurrency,
        delivery_per_instance: args.delivery_per_instance,
        delivery_poll_ms: resolved.delivery_poll_ms,
        database_connections: resolved.database_connections,
        log: args.hearth_log.clone(),
        keep: args.keep,
    };
    if args.insights {
        let config = insights::InsightsConfig {
            members: args.insights_members.max(1),
            posts: args.insights_posts.max(1),
            rounds: args.insights_rounds.max(1),
        };
        let options = HearthOptions {
            shape: Shape { web: 1, workers: 0 },
            ..options
        };
        return insights::run(&options, config).await;
    }

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

    if args.scaling {
        let report = scaling::run(
            &options,
            &args.deployments,
            resolved.ingest,
            resolved.fanout,
            machine,
            limits,
        )
        .await?;
        println!("{}", report.render());
        if let Some(path) = &args.json {
            report.write_json(path)?;
            eprintln!("figures written to {}", path.display());
        }
        return Ok(());
    }

    let mut hearth = HearthProcess::start(&options).await?;
    progress::note(format!(
        "hearth started ({}, pids {:?}) at {}",
        options.shape,
        hearth.pids(),
        hearth.url("/")
    ));
    let store = hearth.open_store().await?;
    let db_cpu = hearth.database_cpu();

    let ingest = if args.skip_ingest {
        None
    } else {
        let report = ingest::run(&mut hearth, &store, &db_cpu, resolved.ingest).await?;
        progress::note(format!(
            "ingest: {:.0} activities/s, p99 {:.1} ms, {} errors",
            report.per_second, report.latency_ms.p99, report.errors
        ));
        Some(report)
    };

    let fanout = if args.skip_fanout {
        None
    } else {
        let report = fanout::run(&mut hearth, &store, &db_cpu, resolved.fanout).await?;
        progress::note(format!(
            "fan-out: {:.0} deliveries/s in the burst, {:.1} ms to every instance (p50)",
            report.burst_deliveries_per_second, report.last_delivery_ms.p50
        ));
        Some(report)
    };

    let usage = hearth.usage()?;
    let processes = hearth.usage_by_process()?;
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
            shape: options.shape,
            delivery_concurrency: args.delivery_concurrency,
            delivery_per_instance: args.delivery_per_instance,
            database_connections: resolved.database_connections,
        },
        limits,
        ingest,
        fanout,
        hearth: HearthSummary {
            peak_rss_mib: usage.peak_rss_kib as f64 / 1024.0,
            cpu_seconds: usage.cpu.as_secs_f64(),
            processes,
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
