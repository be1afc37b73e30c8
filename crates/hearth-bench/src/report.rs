//! The report: every figure in one serialisable structure, printed as tables with ratios to
//! the machine limit, and written as JSON on request.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, Table};
use serde::Serialize;

use crate::fanout::{FanoutReport, SlowInstanceReport};
use crate::hearth_process::{Database, ProcessUsage, Shape};
use crate::ingest::IngestReport;
use crate::limits::Limits;
use crate::stats::ratio;

/// The machine the run was made on.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// `model name` from `/proc/cpuinfo`.
    pub cpu_model: String,
    /// Cores available to this process.
    pub cores: usize,
    /// The 1-minute load average at the end of the run (other processes share the cores
    /// when it exceeds what the benchmark itself keeps busy).
    pub load_average: f64,
}

impl Machine {
    /// This machine.
    pub fn detect() -> Machine {
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| {
                info.lines()
                    .find_map(|l| l.strip_prefix("model name"))
                    .and_then(|rest| rest.split_once(':'))
                    .map(|(_, name)| name.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown CPU".to_owned());
        Machine {
            cpu_model,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            load_average: load_average(),
        }
    }
}

/// The 1-minute load average, from `/proc/loadavg`.
pub fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(0.0)
}

/// How Hearth was run.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    /// The binary.
    pub hearth_binary: String,
    /// Its database.
    pub database: Database,
    /// Its processes.
    pub shape: Shape,
    /// `HEARTH_DELIVERY_CONCURRENCY`.
    pub delivery_concurrency: usize,
    /// `HEARTH_DELIVERY_PER_INSTANCE`, when set.
    pub delivery_per_instance: Option<usize>,
    /// `HEARTH_DATABASE_CONNECTIONS`.
    pub database_connections: u32,
}

/// What Hearth logged and how big it got over the whole run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HearthSummary {
    /// Peak resident memory (`VmHWM`) at the end, in MiB; with several processes, the sum of
    /// each one's peak.
    pub peak_rss_mib: f64,
    /// Total CPU time at the end, in seconds.
    pub cpu_seconds: f64,
    /// Each process's peak memory and CPU time.
    pub processes: Vec<ProcessUsage>,
    /// Lines Hearth logged at `warn` or `error`.
    pub warnings: usize,
    /// The first few of them.
    pub first_warnings: Vec<String>,
}

/// Every figure of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The machine.
    pub machine: Machine,
    /// How Hearth was run.
    pub settings: Settings,
    /// RSA rates on one core.
    pub limits: Option<Limits>,
    /// Inbox ingest.
    pub ingest: Option<IngestReport>,
    /// Fan-out.
    pub fanout: Option<FanoutReport>,
    /// Hearth over the whole run.
    pub hearth: HearthSummary,
    /// Wall time of the whole run, in seconds.
    pub total_seconds: f64,
}

impl Report {
    /// Writes the report as pretty JSON.
    pub fn write_json(&self, path: &Path) -> anyhow::Result<()> {
        let json = serde_json::to_string_pretty(self)?;
        std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))
    }

    /// The report as text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let cores = self.machine.cores;
        let _ = writeln!(
            out,
            "Hearth benchmark: {cores} cores ({}), {:?} database, {}, delivery concurrency {}{}, {} DB connections",
            self.machine.cpu_model,
            self.settings.database,
            self.settings.shape,
            self.settings.delivery_concurrency,
            self.settings
                .delivery_per_instance
                .map(|n| format!(" ({n} per instance)"))
                .unwrap_or_default(),
            self.settings.database_connections,
        );
        let _ = writeln!(out, "hearth: {}", self.settings.hearth_binary);
        let _ = writeln!(
            out,
            "load average at the end: {:.1} (above ~{cores}, other processes were competing for the cores)",
            self.machine.load_average
        );
        if let Some(limits) = &self.limits {
            render_limits(&mut out, limits);
        }
        if let Some(ingest) = &self.ingest {
            render_ingest(&mut out, ingest, self.limits.as_ref(), cores);
        }
        if let Some(fanout) = &self.fanout {
            render_fanout(&mut out, fanout, self.limits.as_ref(), cores);
        }
        let h = &self.hearth;
        let _ = writeln!(
            out,
            "\nHearth over the whole run: peak RSS {:.1} MiB, {:.1} s CPU, {} warning/error log line(s)",
            h.peak_rss_mib, h.cpu_seconds, h.warnings
        );
        if h.processes.len() > 1 {
            let _ = writeln!(out, "  per process: {}", per_process(&h.processes));
        }
        for line in &h.first_warnings {
            let _ = writeln!(out, "  {line}");
        }
        let _ = writeln!(out, "Total run time {:.0} s.", self.total_seconds);
        out
    }
}

/// `web 1 41 MiB, 2.0 s CPU; worker 1 …`.
fn per_process(processes: &[ProcessUsage]) -> String {
    processes
        .iter()
        .map(|p| {
            format!(
                "{} {:.1} MiB peak, {:.1} s CPU",
                p.label, p.peak_rss_mib, p.cpu_seconds
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A table with `header`, in the style of every table of the report.
pub fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_header(header.to_vec());
    table
}

/// Right-aligns every column but the first.
pub fn align(table: &mut Table) {
    let columns = table.column_count();
    for i in 1..columns {
        if let Some(column) = table.column_mut(i) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
}

/// A count or rate with thousands separators.
pub fn int(x: f64) -> String {
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if x < 0.0 && digits != "0" {
        out.insert(0, '-');
    }
    out
}

/// Microseconds per operation at `per_second`.
pub fn us(per_second: f64) -> f64 {
    ratio(1e6, per_second)
}

fn render_limits(out: &mut String, l: &Limits) {
    let _ = writeln!(
        out,
        "\n1. Machine limit: RSA-2048 PKCS#1 v1.5 SHA-256 on one core ({:.1} s of CPU time each)",
        l.seconds_each
    );
    let mut t = table(&["signer", "signs/s", "µs/sign", "verifies/s", "µs/verify"]);
    t.add_row(vec![
        "aws-lc-rs (Hearth)".to_owned(),
        int(l.aws_lc_signs_per_s),
        format!("{:.0}", us(l.aws_lc_signs_per_s)),
        int(l.aws_lc_verifies_per_s),
        format!("{:.1}", us(l.aws_lc_verifies_per_s)),
    ]);
    t.add_row(vec![
        "rsa 0.9".to_owned(),
        int(l.rsa_signs_per_s),
        format!("{:.0}", us(l.rsa_signs_per_s)),
        int(l.rsa_verifies_per_s),
        format!("{:.1}", us(l.rsa_verifies_per_s)),
    ]);
    t.add_row(vec![
        "aws-lc-rs ÷ rsa 0.9".to_owned(),
        format!("{:.1}×", ratio(l.aws_lc_signs_per_s, l.rsa_signs_per_s)),
        String::new(),
        format!(
            "{:.1}×",
            ratio(l.aws_lc_verifies_per_s, l.rsa_verifies_per_s)
        ),
        String::new(),
    ]);
    align(&mut t);
    let _ = writeln!(out, "{t}");
}

fn render_ingest(out: &mut String, r: &IngestReport, limits: Option<&Limits>, cores: usize) {
    let _ = writeln!(
        out,
        "\n2. Inbox ingest: {} signed Create(Note) (~{} B each) from {} authors, {} connections",
        int(r.activities as f64),
        int(r.body_bytes as f64),
        r.authors,
        r.concurrency
    );
    let mut t = table(&["metric", "value"]);
    t.add_row(vec![
        "processed / errors".to_owned(),
        format!("{} / {}", int(r.processed as f64), int(r.errors as f64)),
    ]);
    for (kind, n) in &r.error_kinds {
        t.add_row(vec![format!("  error {kind}"), int(*n as f64)]);
    }
    t.add_row(vec![
        "throughput".to_owned(),
        format!("{} activities/s", int(r.per_second)),
    ]);
    t.add_row(vec!["wall time".to_owned(), format!("{:.2} s", r.seconds)]);
    t.add_row(vec![
        "latency p50 / p90 / p99 / max".to_owned(),
        format!(
            "{:.1} / {:.1} / {:.1} / {:.1} ms",
            r.latency_ms.p50, r.latency_ms.p90, r.latency_ms.p99, r.latency_ms.max
        ),
    ]);
    t.add_row(vec![
        "Hearth CPU per activity while sending".to_owned(),
        format!("{:.0} µs", r.hearth_cpu_us_per_activity),
    ]);
    t.add_row(vec![
        "Hearth cores busy while sending".to_owned(),
        format!("{:.2} of {cores}", r.hearth_cores_busy),
    ]);
    t.add_row(vec![
        "Hearth CPU per activity until its Announce is out".to_owned(),
        format!("{:.0} µs", r.hearth_cpu_us_per_activity_with_announce),
    ]);
    if let Some(db) = r.database_cpu_us_per_activity {
        t.add_row(vec![
            "PostgreSQL CPU per activity while sending".to_owned(),
            format!("{db:.0} µs"),
        ]);
    }
    t.add_row(vec![
        "announces delivered (badly signed)".to_owned(),
        format!(
            "{} ({})",
            int(r.announces_delivered as f64),
            r.announces_badly_signed
        ),
    ]);
    t.add_row(vec![
        "queue drained after last answer".to_owned(),
        format!("{:.2} s", r.drain_seconds),
    ]);
    t.add_row(vec![
        "Hearth peak RSS".to_owned(),
        format!("{:.1} MiB", r.hearth_peak_rss_mib),
    ]);
    t.add_row(vec![
        "load generator + peer CPU while sending".to_owned(),
        format!("{:.2} s", r.bench_cpu_seconds),
    ]);
    t.add_row(vec![
        "pre-signing (not timed)".to_owned(),
        format!("{:.1} s", r.presign_seconds),
    ]);
    align(&mut t);
    let _ = writeln!(out, "{t}");
    if let Some(l) = limits {
        let verify = l.aws_lc_verifies_per_s;
        let _ = writeln!(
            out,
            "   ingest = {}/s = {:.1} % of one core's aws-lc verify rate ({}/s), {:.1} % of {cores} cores' ({}/s)",
            int(r.per_second),
            100.0 * ratio(r.per_second, verify),
            int(verify),
            100.0 * ratio(r.per_second, verify * cores as f64),
            int(verify * cores as f64),
        );
        let _ = writeln!(
            out,
            "   Hearth spends {:.0} µs CPU per activity = {:.0}× one aws-lc verify ({:.1} µs); verifying is {:.1} % of it",
            r.hearth_cpu_us_per_activity,
            ratio(r.hearth_cpu_us_per_activity, us(verify)),
            us(verify),
            100.0 * ratio(us(verify), r.hearth_cpu_us_per_activity),
        );
        let _ = writeln!(
            out,
            "   at that cost {cores} cores would take {}/s; with rsa 0.9, verifying alone would cap it at {}/s",
            int(cores as f64 * ratio(1e6, r.hearth_cpu_us_per_activity)),
            int(cores as f64 * l.rsa_verifies_per_s),
        );
    }
}

fn render_fanout(out: &mut String, r: &FanoutReport, limits: Option<&Limits>, cores: usize) {
    let _ = writeln!(
        out,
        "\n3. Fan-out: group with {} followers on {} instances (one shared inbox each)",
        int(r.followers as f64),
        int(r.instances as f64)
    );
    let mut t = table(&["metric", "one post at a time", "burst"]);
    t.add_row(vec![
        "posts".to_owned(),
        r.rounds.to_string(),
        r.burst_posts.to_string(),
    ]);
    t.add_row(vec![
        "deliveries".to_owned(),
        format!("{:.1} per post", r.deliveries_per_post),
        int(r.burst_deliveries as f64),
    ]);
    t.add_row(vec![
        "202 → first instance has it (p50 / max)".to_owned(),
        format!(
            "{:.1} / {:.1} ms",
            r.first_delivery_ms.p50, r.first_delivery_ms.max
        ),
        String::new(),
    ]);
    t.add_row(vec![
        "202 → every instance has it (p50 / p90 / max)".to_owned(),
        format!(
            "{:.1} / {:.1} / {:.1} ms",
            r.last_delivery_ms.p50, r.last_delivery_ms.p90, r.last_delivery_ms.max
        ),
        format!("{:.0} ms", r.burst_seconds * 1e3),
    ]);
    t.add_row(vec![
        "deliveries/s".to_owned(),
        int(r.rounds_deliveries_per_second),
        int(r.burst_deliveries_per_second),
    ]);
    t.add_row(vec![
        "Hearth CPU per delivery".to_owned(),
        format!("{:.0} µs", r.rounds_hearth_cpu_us_per_delivery),
        format!("{:.0} µs", r.burst_hearth_cpu_us_per_delivery),
    ]);
    t.add_row(vec![
        "Hearth cores busy".to_owned(),
        String::new(),
        format!("{:.2} of {cores}", r.burst_hearth_cores_busy),
    ]);
    if let Some(db) = r.burst_database_cpu_us_per_delivery {
        t.add_row(vec![
            "PostgreSQL CPU per delivery".to_owned(),
            String::new(),
            format!("{db:.0} µs"),
        ]);
    }
    t.add_row(vec![
        "Hearth RSS growth".to_owned(),
        String::new(),
        format!("{:+.1} MiB", r.burst_rss_growth_mib),
    ]);
    t.add_row(vec![
        "badly signed (checked by the instances)".to_owned(),
        r.badly_signed.to_string(),
        String::new(),
    ]);
    t.add_row(vec![
        "Hearth peak RSS".to_owned(),
        String::new(),
        format!("{:.1} MiB", r.hearth_peak_rss_mib),
    ]);
    t.add_row(vec![
        "setup (instances, follows; not timed)".to_owned(),
        format!("{:.1} s", r.setup_seconds),
        String::new(),
    ]);
    t.add_row(vec![
        "NodeInfo fetches per instance during setup".to_owned(),
        format!("{:.1}", r.nodeinfo_fetches_per_instance),
        String::new(),
    ]);
    align(&mut t);
    let _ = writeln!(out, "{t}");
    if let Some(l) = limits {
        let sign_all = l.aws_lc_signs_per_s * cores as f64;
        let _ = writeln!(
            out,
            "   fan-out = {} deliveries/s; signing alone would allow {}/s on {cores} cores (aws-lc): {:.1} % of it",
            int(r.burst_deliveries_per_second),
            int(sign_all),
            100.0 * ratio(r.burst_deliveries_per_second, sign_all),
        );
        let _ = writeln!(
            out,
            "   Hearth spends {:.0} µs CPU per delivery = {:.1}× one aws-lc signature ({:.0} µs); signing is {:.1} % of it",
            r.burst_hearth_cpu_us_per_delivery,
            ratio(r.burst_hearth_cpu_us_per_delivery, us(l.aws_lc_signs_per_s)),
            us(l.aws_lc_signs_per_s),
            100.0 * ratio(us(l.aws_lc_signs_per_s), r.burst_hearth_cpu_us_per_delivery),
        );
        let _ = writeln!(
            out,
            "   with rsa 0.9, signing alone would allow {}/s on {cores} cores; at the measured rate one post to 5,000 instances takes ≈ {:.1} s",
            int(l.rsa_signs_per_s * cores as f64),
            ratio(5000.0, r.burst_deliveries_per_second),
        );
    }
    if let Some(slow) = &r.slow_instance {
        render_slow(out, slow, r);
    }
}

fn render_slow(out: &mut String, s: &SlowInstanceReport, r: &FanoutReport) {
    let _ = writeln!(
        out,
        "   behind a slow instance: {} deliveries queued for one more instance answering in {:.0} ms, then one post to the {} healthy ones",
        int(s.backlog as f64),
        s.delay_ms,
        r.instances
    );
    let mut t = table(&["metric", "value"]);
    t.add_row(vec![
        "202 → first healthy instance has it".to_owned(),
        format!("{:.0} ms", s.first_healthy_ms),
    ]);
    t.add_row(vec![
        "202 → every healthy instance has it".to_owned(),
        format!("{:.0} ms", s.every_healthy_ms),
    ]);
    t.add_row(vec![
        "same without a backlog (one post at a time, p50)".to_owned(),
        format!("{:.0} ms", r.last_delivery_ms.p50),
    ]);
    t.add_row(vec![
        "202 → slow instance's backlog delivered".to_owned(),
        format!("{:.0} ms", s.backlog_drained_ms),
    ]);
    align(&mut t);
    let _ = writeln!(out, "{t}");
    let _ = writeln!(
        out,
        "   healthy instances waited {:.1}× as long as without the backlog",
        ratio(s.every_healthy_ms, r.last_delivery_ms.p50)
    );
}

#[cfg(test)]
mod tests {
    use super::int;

    #[test]
    fn thousands() {
        assert_eq!(int(0.0), "0");
        assert_eq!(int(999.4), "999");
        assert_eq!(int(1234.0), "1,234");
        assert_eq!(int(1234567.0), "1,234,567");
        assert_eq!(int(-1234.0), "-1,234");
    }
}
