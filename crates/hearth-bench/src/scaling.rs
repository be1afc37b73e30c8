//! `--scaling`: the ingest and fan-out measurements on several deployment shapes, side by side.
//!
//! Each shape gets a fresh Hearth on a fresh database: SQLite with one `hearth serve`, and on
//! PostgreSQL one `hearth serve`, or web processes (`hearth serve --no-workers`, requests
//! spread over them) with delivery workers (`hearth worker`). Every shape gets the same load;
//! the table compares each with the first PostgreSQL shape and with the machine limit (what
//! RSA alone would allow on all cores), and shows how many cores were busy: on a machine with
//! few cores, more processes can only use cores that one process left idle.

use std::fmt::{self, Write as _};
use std::path::Path;
use std::str::FromStr;
use std::time::Instant;

use anyhow::Context;
use serde::Serialize;

use crate::fanout::{self, FanoutConfig, FanoutReport};
use crate::hearth_process::{Database, HearthOptions, HearthProcess, ProcessUsage, Shape};
use crate::ingest::{self, IngestConfig, IngestReport};
use crate::limits::Limits;
use crate::progress;
use crate::report::{self, align, int, table, Machine};
use crate::stats::ratio;

/// The shapes compared by default.
pub const DEFAULT_DEPLOYMENTS: &str = "sqlite,postgres,postgres:2+1,postgres:1+2,postgres:2+2";

/// `HEARTH_DELIVERY_POLL_MS` of a scaling run unless given: a worker in a process of its own
/// learns of new jobs only by polling (Hearth's default is once a second, which would weigh
/// on a burst of a few seconds).
pub const DELIVERY_POLL_MS: u64 = 100;

/// A database and the processes on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Deployment {
    /// The database.
    pub database: Database,
    /// The processes.
    pub shape: Shape,
}

impl FromStr for Deployment {
    type Err = String;

    /// `DATABASE[:WEB[+WORKERS]]`: `sqlite`, `postgres`, `postgres:2+1`, `postgres:2`.
    fn from_str(text: &str) -> Result<Deployment, String> {
        let text = text.trim();
        let (database, spec) = match text.split_once(':') {
            Some((database, spec)) => (database, Some(spec)),
            None => (text, None),
        };
        let database = match database.to_ascii_lowercase().as_str() {
            "sqlite" => Database::Sqlite,
            "postgres" | "postgresql" | "pg" => Database::Postgres,
            other => return Err(format!("unknown database {other:?}: sqlite or postgres")),
        };
        let shape = match spec {
            None => Shape::SINGLE,
            Some(spec) => {
                let (web, workers) = spec.split_once('+').unwrap_or((spec, "0"));
                let number = |n: &str| {
                    n.trim()
                        .parse::<usize>()
                        .map_err(|_| format!("{spec:?} is not WEB[+WORKERS], e.g. 2+1"))
                };
                Shape {
                    web: number(web)?,
                    workers: number(workers)?,
                }
            }
        };
        if shape.web == 0 {
            return Err(format!("{text:?}: a deployment needs a web process"));
        }
        Ok(Deployment { database, shape })
    }
}

impl fmt::Display for Deployment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let database = match self.database {
            Database::Sqlite => "SQLite",
            Database::Postgres => "PostgreSQL",
        };
        write!(f, "{database}, {}", self.shape)
    }
}

/// The figures of one shape.
#[derive(Debug, Clone, Serialize)]
pub struct ScalingRow {
    /// The shape, e.g. `PostgreSQL, 2 web + 1 worker`.
    pub label: String,
    /// Its database and processes.
    pub deployment: Deployment,
    /// Inbox ingest.
    pub ingest: IngestReport,
    /// Fan-out.
    pub fanout: FanoutReport,
    /// Each process's peak memory and CPU time at the end.
    pub processes: Vec<ProcessUsage>,
    /// Lines Hearth logged at `warn` or `error`.
    pub warnings: usize,
    /// The first few of them.
    pub first_warnings: Vec<String>,
    /// Wall time of this shape, setup included, in seconds.
    pub seconds: f64,
    /// The 1-minute load average when this shape was done.
    pub load_average_at_end: f64,
}

impl ScalingRow {
    /// Cores kept busy while sending: (Hearth and its PostgreSQL backends, everything
    /// including this benchmark).
    fn ingest_cores(&self) -> (f64, f64) {
        let r = &self.ingest;
        let db = r.database_cpu_us_per_activity.unwrap_or(0.0) * r.per_second / 1e6;
        let hearth = r.hearth_cores_busy + db;
        (hearth, hearth + ratio(r.bench_cpu_seconds, r.seconds))
    }

    /// Hearth's and its PostgreSQL backends' CPU per ingested activity, its `Announce`
    /// included, in µs.
    fn ingest_cpu_us(&self) -> f64 {
        self.ingest.hearth_cpu_us_per_activity_with_announce
            + self
                .ingest
                .database_cpu_us_per_activity_with_announce
                .unwrap_or(0.0)
    }

    /// Cores kept busy in the burst: (Hearth and its PostgreSQL backends, everything).
    fn fanout_cores(&self) -> (f64, f64) {
        let r = &self.fanout;
        let db = r.burst_database_cpu_us_per_delivery.unwrap_or(0.0)
            * r.burst_deliveries_per_second
            / 1e6;
        let hearth = r.burst_hearth_cores_busy + db;
        (hearth, hearth + r.burst_bench_cores_busy)
    }

    /// Cores busy with other processes of the machine (while sending, in the burst).
    fn other_cores(&self) -> (Option<f64>, Option<f64>) {
        let others = |machine: Option<f64>, ours: f64| machine.map(|m| (m - ours).max(0.0));
        (
            others(self.ingest.machine_cores_busy, self.ingest_cores().1),
            others(self.fanout.burst_machine_cores_busy, self.fanout_cores().1),
        )
    }

    /// Hearth's and its PostgreSQL backends' CPU per delivery in the burst, in µs.
    fn fanout_cpu_us(&self) -> f64 {
        self.fanout.burst_hearth_cpu_us_per_delivery
            + self
                .fanout
                .burst_database_cpu_us_per_delivery
                .unwrap_or(0.0)
    }
}

/// The settings every shape ran with.
#[derive(Debug, Clone, Serialize)]
pub struct ScalingSettings {
    /// The binary.
    pub hearth_binary: String,
    /// `HEARTH_DELIVERY_CONCURRENCY`, per delivering process.
    pub delivery_concurrency: usize,
    /// `HEARTH_DELIVERY_PER_INSTANCE`, when set.
    pub delivery_per_instance: Option<usize>,
    /// `HEARTH_DELIVERY_POLL_MS`, when set.
    pub delivery_poll_ms: Option<u64>,
    /// `HEARTH_DATABASE_CONNECTIONS`, per process.
    pub database_connections: u32,
    /// N: activities ingested.
    pub activities: usize,
    /// C: connections sending them.
    pub concurrency: usize,
    /// K: their authors.
    pub authors: usize,
    /// F: followers of the fan-out group.
    pub followers: usize,
    /// M: instances they are on.
    pub instances: usize,
    /// Posts of the fan-out burst.
    pub burst: usize,
}

/// Every figure of a scaling run.
#[derive(Debug, Clone, Serialize)]
pub struct ScalingReport {
    /// The machine.
    pub machine: Machine,
    /// The 1-minute load average before the first shape started.
    pub load_average_at_start: f64,
    /// How every shape was run.
    pub settings: ScalingSettings,
    /// RSA rates on one core.
    pub limits: Option<Limits>,
    /// One per shape, in the order run.
    pub rows: Vec<ScalingRow>,
    /// Wall time of the whole run, in seconds.
    pub total_seconds: f64,
}

/// Runs ingest and fan-out on every deployment in turn, each on a fresh Hearth and database.
pub async fn run(
    base: &HearthOptions,
    deployments: &[Deployment],
    ingest: IngestConfig,
    fanout: FanoutConfig,
    machine: Machine,
    limits: Option<Limits>,
) -> anyhow::Result<ScalingReport> {
    let started = Instant::now();
    let load_average_at_start = report::load_average();
    let mut rows = Vec::with_capacity(deployments.len());
    for (n, deployment) in deployments.iter().enumerate() {
        progress::note(format!("[{}/{}] {deployment}", n + 1, deployments.len()));
        let options = HearthOptions {
            database: deployment.database,
            shape: deployment.shape,
            ..base.clone()
        };
        let row = run_one(&options, *deployment, ingest, fanout)
            .await
            .with_context(|| deployment.to_string())?;
        rows.push(row);
    }
    Ok(ScalingReport {
        machine: Machine {
            load_average: report::load_average(),
            ..machine
        },
        load_average_at_start,
        settings: ScalingSettings {
            hearth_binary: base.binary.display().to_string(),
            delivery_concurrency: base.delivery_concurrency,
            delivery_per_instance: base.delivery_per_instance,
            delivery_poll_ms: base.delivery_poll_ms,
            database_connections: base.database_connections,
            activities: ingest.activities,
            concurrency: ingest.concurrency,
            authors: ingest.authors,
            followers: fanout.followers,
            instances: fanout.instances,
            burst: fanout.burst,
        },
        limits,
        rows,
        total_seconds: started.elapsed().as_secs_f64(),
    })
}

async fn run_one(
    options: &HearthOptions,
    deployment: Deployment,
    ingest: IngestConfig,
    fanout: FanoutConfig,
) -> anyhow::Result<ScalingRow> {
    let started = Instant::now();
    let mut hearth = HearthProcess::start(options).await?;
    progress::note(format!(
        "hearth started (pids {:?}) at {}",
        hearth.pids(),
        hearth.url("/")
    ));
    let store = hearth.open_store().await?;
    let db_cpu = hearth.database_cpu();
    let ingest = ingest::run(&mut hearth, &store, &db_cpu, ingest).await?;
    progress::note(format!(
        "ingest: {:.0} activities/s, p99 {:.1} ms, {} errors",
        ingest.per_second, ingest.latency_ms.p99, ingest.errors
    ));
    let fanout = fanout::run(&mut hearth, &store, &db_cpu, fanout).await?;
    progress::note(format!(
        "fan-out: {:.0} deliveries/s in the burst",
        fanout.burst_deliveries_per_second
    ));
    let processes = hearth.usage_by_process()?;
    let warnings = hearth.warnings();
    store.close().await;
    if options.keep {
        eprintln!(
            "Hearth's database and logs are kept in {}",
            hearth.dir().display()
        );
    }
    hearth.stop().await;
    Ok(ScalingRow {
        label: deployment.to_string(),
        deployment,
        ingest,
        fanout,
        processes,
        warnings: warnings.len(),
        first_warnings: warnings.into_iter().take(5).collect(),
        seconds: started.elapsed().as_secs_f64(),
        load_average_at_end: report::load_average(),
    })
}

impl ScalingReport {
    /// Writes the report as pretty JSON.
    pub fn write_json(&self, path: &Path) -> anyhow::Result<()> {
        let json = serde_json::to_string_pretty(self)?;
        std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))
    }

    /// The row the others are compared with: the first PostgreSQL one, else the first.
    fn base(&self) -> Option<&ScalingRow> {
        self.rows
            .iter()
            .find(|r| r.deployment.database == Database::Postgres)
            .or(self.rows.first())
    }

    /// The report as text: one table, then what its columns mean.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let cores = self.machine.cores;
        let s = &self.settings;
        let _ = writeln!(
            out,
            "Hearth scaling: {cores} cores ({}), delivery concurrency {}{} and {} DB connections per process, delivery poll {}",
            self.machine.cpu_model,
            s.delivery_concurrency,
            s.delivery_per_instance
                .map(|n| format!(" ({n} per instance)"))
                .unwrap_or_default(),
            s.database_connections,
            s.delivery_poll_ms
                .map_or("Hearth's default".to_owned(), |ms| format!("{ms} ms")),
        );
        let _ = writeln!(out, "hearth: {}", s.hearth_binary);
        let _ = writeln!(
            out,
            "ingest: {} signed Create(Note) from {} authors over {} connections; fan-out: {} posts at once to {} followers on {} instances ({} deliveries)",
            int(s.activities as f64),
            s.authors,
            s.concurrency,
            s.burst,
            int(s.followers as f64),
            s.instances,
            int((s.burst * s.instances) as f64),
        );
        let _ = writeln!(
            out,
            "load average: {:.1} at the start, {:.1} at the end (above ~{cores}, other processes were competing for the cores)",
            self.load_average_at_start, self.machine.load_average
        );

        let base = self.base();
        let limits = self.limits.as_ref();
        let verify_limit = limits.map(|l| l.aws_lc_verifies_per_s * cores as f64);
        let sign_limit = limits.map(|l| l.aws_lc_signs_per_s * cores as f64);
        let percent = |rate: f64, limit: Option<f64>| {
            limit.map_or(String::new(), |l| {
                format!("{:.1} %", 100.0 * ratio(rate, l))
            })
        };
        let times = |rate: f64, base: Option<f64>| {
            base.map_or(String::new(), |b| format!("{:.2}×", ratio(rate, b)))
        };
        let mut t = table(&[
            "deployment",
            "ingest/s",
            "× base",
            "% limit",
            "p50/p99 ms",
            "+Announce/s",
            "× base",
            "CPU ms/act",
            "cores",
            "deliveries/s",
            "× base",
            "% limit",
            "CPU ms/deliv",
            "cores",
            "others",
            "peak RSS MiB",
        ]);
        for row in &self.rows {
            let (i, f) = (&row.ingest, &row.fanout);
            let (ingest_hearth, ingest_all) = row.ingest_cores();
            let (fanout_hearth, fanout_all) = row.fanout_cores();
            t.add_row(vec![
                row.label.clone(),
                if i.errors > 0 {
                    format!("{} ({} errors)", int(i.per_second), int(i.errors as f64))
                } else {
                    int(i.per_second)
                },
                times(i.per_second, base.map(|b| b.ingest.per_second)),
                percent(i.per_second, verify_limit),
                format!("{:.0} / {:.0}", i.latency_ms.p50, i.latency_ms.p99),
                int(i.per_second_with_announce),
                times(
                    i.per_second_with_announce,
                    base.map(|b| b.ingest.per_second_with_announce),
                ),
                format!("{:.2}", row.ingest_cpu_us() / 1e3),
                format!("{ingest_hearth:.2} / {ingest_all:.2}"),
                int(f.burst_deliveries_per_second),
                times(
                    f.burst_deliveries_per_second,
                    base.map(|b| b.fanout.burst_deliveries_per_second),
                ),
                percent(f.burst_deliveries_per_second, sign_limit),
                format!("{:.2}", row.fanout_cpu_us() / 1e3),
                format!("{fanout_hearth:.2} / {fanout_all:.2}"),
                match row.other_cores() {
                    (Some(i), Some(f)) => format!("{i:.2} / {f:.2}"),
                    _ => String::new(),
                },
                rss(&row.processes),
            ]);
        }
        align(&mut t);
        let _ = writeln!(out, "{t}");

        let _ = writeln!(
            out,
            "ingest/s: activities answered 202 per second while sending; p50/p99: their latency, from sending to the 202."
        );
        let _ = writeln!(
            out,
            "+Announce/s: the same activities ÷ the time until each one's Announce was delivered too (what can be sustained); CPU ms/act over that time."
        );
        let _ = writeln!(
            out,
            "deliveries/s: the burst, from the first 202 until every instance had every post; CPU ms/deliv over the burst."
        );
        if let Some(base) = base {
            let _ = writeln!(out, "× base: the rate ÷ the same rate of {}.", base.label);
        }
        if let (Some(l), Some(verify), Some(sign)) = (limits, verify_limit, sign_limit) {
            let _ = writeln!(
                out,
                "% limit: the rate ÷ what RSA alone allows on all {cores} cores with aws-lc-rs: {}/s ({} verifies/s on one core) for ingest, one verify per activity; {}/s ({} signs/s on one core) for fan-out, one signature per delivery.",
                int(verify),
                int(l.aws_lc_verifies_per_s),
                int(sign),
                int(l.aws_lc_signs_per_s),
            );
        }
        let _ = writeln!(
            out,
            "CPU ms: of every Hearth process and its PostgreSQL backends, per activity or delivery."
        );
        let _ = writeln!(
            out,
            "cores: CPU time ÷ wall time while sending / in the burst, of Hearth and its PostgreSQL backends / of everything, this benchmark's load generator and simulated instances included. On {cores} cores the second figure cannot exceed {cores}: processes added beyond that share the same cores, so they add throughput only where fewer processes left cores idle (waiting on the database, locks or the network)."
        );
        let _ = writeln!(
            out,
            "others: cores busy with other processes of the machine meanwhile (its busy time from /proc/stat less the above), while sending / in the burst; above a few tenths, the row competed for the cores."
        );
        let _ = writeln!(out, "peak RSS: VmHWM of each process over its whole run.");
        for row in &self.rows {
            if row.warnings > 0 {
                let _ = writeln!(
                    out,
                    "{}: {} warning/error log line(s)",
                    row.label, row.warnings
                );
                for line in &row.first_warnings {
                    let _ = writeln!(out, "  {line}");
                }
            }
        }
        let _ = writeln!(
            out,
            "Each shape took {} s; total run time {:.0} s.",
            self.rows
                .iter()
                .map(|r| format!("{:.0}", r.seconds))
                .collect::<Vec<_>>()
                .join(" / "),
            self.total_seconds
        );
        out
    }
}

/// Each process's peak memory: `84` for one, `web 1 41, web 2 40, worker 1 60` for several.
fn rss(processes: &[ProcessUsage]) -> String {
    match processes {
        [one] => format!("{:.0}", one.peak_rss_mib),
        several => several
            .iter()
            .map(|p| format!("{} {:.0}", p.label, p.peak_rss_mib))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deployments() {
        let parse = |s: &str| s.parse::<Deployment>();
        assert_eq!(
            parse("sqlite").unwrap(),
            Deployment {
                database: Database::Sqlite,
                shape: Shape::SINGLE
            }
        );
        assert_eq!(
            parse("postgres:2+1").unwrap().shape,
            Shape { web: 2, workers: 1 }
        );
        assert_eq!(parse("pg:2").unwrap().shape, Shape { web: 2, workers: 0 });
        assert!(parse("mysql").is_err());
        assert!(parse("postgres:0+2").is_err());
        assert!(parse("postgres:x").is_err());
        assert_eq!(
            parse("postgres:1+2").unwrap().to_string(),
            "PostgreSQL, 1 web + 2 workers"
        );
        assert_eq!(parse("sqlite").unwrap().to_string(), "SQLite, 1 serve");
        let defaults: Vec<Deployment> = DEFAULT_DEPLOYMENTS
            .split(',')
            .map(|s| s.parse().unwrap())
            .collect();
        assert_eq!(defaults.len(), 5);
    }
}
