//! The Hearth processes under test: starting them on a fresh database (one `hearth serve`, or
//! web processes and delivery workers sharing it), asking them and their database how far they
//! got, reading their CPU time and memory from `/proc`, and stopping them.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use hearth_storage::{Store, StoreOptions};
use serde_json::Value;
use url::Url;

use crate::dbcpu::{DatabaseCpu, APPLICATION_NAME};

/// Which database Hearth runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Database {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A fresh database on the PostgreSQL server of `--postgres-url`, dropped at the end.
    Postgres,
}

/// Which processes run Hearth, all on one database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Shape {
    /// Processes answering HTTP (at least one).
    pub web: usize,
    /// `hearth worker` processes. With none, the web processes run `hearth serve` and deliver
    /// themselves; otherwise they run `hearth serve --no-workers`.
    pub workers: usize,
}

impl Shape {
    /// One `hearth serve` doing everything.
    pub const SINGLE: Shape = Shape { web: 1, workers: 0 };

    /// Processes in all.
    pub fn processes(self) -> usize {
        self.web + self.workers
    }
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.web, self.workers) {
            (web, 0) => write!(f, "{web} serve"),
            (web, 1) => write!(f, "{web} web + 1 worker"),
            (web, workers) => write!(f, "{web} web + {workers} workers"),
        }
    }
}

/// What one Hearth process does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// `hearth serve`: HTTP and deliveries.
    Serve,
    /// `hearth serve --no-workers`: HTTP only.
    Web,
    /// `hearth worker`: deliveries only.
    Worker,
}

/// One process of the deployment.
struct Member {
    role: Role,
    /// `serve`, `web 2`, `worker 1`, …
    label: String,
    /// The port it listens on (web and serve processes).
    port: Option<u16>,
    child: Option<Child>,
    log: PathBuf,
}

/// CPU time and memory of one process of the deployment.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProcessUsage {
    /// `serve`, `web 1`, `worker 2`, …
    pub label: String,
    /// Peak resident memory (`VmHWM`), in MiB.
    pub peak_rss_mib: f64,
    /// CPU time so far, in seconds.
    pub cpu_seconds: f64,
}

/// How to start Hearth.
#[derive(Debug, Clone)]
pub struct HearthOptions {
    /// The `hearth` binary.
    pub binary: PathBuf,
    /// The database engine.
    pub database: Database,
    /// The processes to run.
    pub shape: Shape,
    /// A PostgreSQL server URL (any database on it), for [`Database::Postgres`].
    pub postgres_url: String,
    /// `HEARTH_DELIVERY_CONCURRENCY`.
    pub delivery_concurrency: usize,
    /// `HEARTH_DELIVERY_PER_INSTANCE`, when not Hearth's default.
    pub delivery_per_instance: Option<usize>,
    /// `HEARTH_DELIVERY_POLL_MS`, when not Hearth's default.
    pub delivery_poll_ms: Option<u64>,
    /// `HEARTH_DATABASE_CONNECTIONS`.
    pub database_connections: u32,
    /// `HEARTH_LOG`.
    pub log: String,
    /// Keep the temporary directory (database and log) after the run.
    pub keep: bool,
}

/// CPU time and memory of a process, from `/proc/<pid>/stat` and `/proc/<pid>/status`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    /// User plus system CPU time, over all threads so far.
    pub cpu: Duration,
    /// Peak resident set size (`VmHWM`), in KiB.
    pub peak_rss_kib: u64,
    /// Current resident set size (`VmRSS`), in KiB.
    pub rss_kib: u64,
}

impl Usage {
    /// The usage of process `pid` now.
    pub fn of(pid: u32) -> anyhow::Result<Usage> {
        Self::read(&format!("/proc/{pid}"))
    }

    /// The usage of this process now.
    pub fn own() -> anyhow::Result<Usage> {
        Self::read("/proc/self")
    }

    fn read(dir: &str) -> anyhow::Result<Usage> {
        let stat = std::fs::read_to_string(format!("{dir}/stat"))
            .with_context(|| format!("reading {dir}/stat"))?;
        // The command name (field 2) may hold spaces: count fields after its closing ')'.
        let after = &stat[stat.rfind(')').context("malformed stat")? + 2..];
        let fields: Vec<&str> = after.split_whitespace().collect();
        // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
        let ticks: u64 = fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
        let status = std::fs::read_to_string(format!("{dir}/status"))
            .with_context(|| format!("reading {dir}/status"))?;
        let kib = |name: &str| -> u64 {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        };
        Ok(Usage {
            cpu: Duration::from_secs_f64(ticks as f64 / clock_ticks_per_second()),
            peak_rss_kib: kib("VmHWM:"),
            rss_kib: kib("VmRSS:"),
        })
    }
}

/// CPU time the whole machine has spent busy so far, over all cores (user, nice, system, irq,
/// softirq and steal time from the first line of `/proc/stat`), or `None` when unreadable.
pub fn machine_busy() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let fields: Vec<u64> = stat
        .lines()
        .next()?
        .strip_prefix("cpu ")?
        .split_whitespace()
        .map(|n| n.parse().ok())
        .collect::<Option<_>>()?;
    // user nice system idle iowait irq softirq steal (guest time is counted in user).
    let busy: u64 = [0, 1, 2, 5, 6, 7]
        .iter()
        .filter_map(|&i| fields.get(i))
        .sum();
    Some(Duration::from_secs_f64(
        busy as f64 / clock_ticks_per_second(),
    ))
}

fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf only reads a system constant.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as f64
    } else {
        100.0
    }
}

/// A running Hearth (one `hearth serve`, or web processes and workers sharing a database), its
/// temporary directory and its database. The first web process owns the public URL; the others
/// answer on ports of their own, with requests carrying the public `Host` as behind a proxy.
pub struct HearthProcess {
    members: Vec<Member>,
    binary: PathBuf,
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    base: Url,
    postgres: Option<(String, String)>,
    database_url: String,
    client: reqwest::Client,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl HearthProcess {
    /// Creates the database, starts the processes of `options.shape` on free loopback ports
    /// (the first alone, so that it applies the migrations) and waits until every web process
    /// answers `/healthz`.
    pub async fn start(options: &HearthOptions) -> anyhow::Result<HearthProcess> {
        let binary = resolve_binary(&options.binary)?;
        let mut dir = tempfile::Builder::new()
            .prefix("hearth-bench-")
            .tempdir()
            .context("creating a temporary directory")?;
        dir.disable_cleanup(options.keep);
        let port = free_port()?;
        let base = Url::parse(&format!("http://127.0.0.1:{port}"))?;
        let (database_url, postgres) = match options.database {
            Database::Sqlite => (
                format!("sqlite:{}", dir.path().join("hearth.db").display()),
                None,
            ),
            Database::Postgres => {
                let name = format!("hearth_bench_{}", uuid::Uuid::new_v4().simple());
                hearth_storage::admin::create_postgres_database(&options.postgres_url, &name)
                    .await
                    .with_context(|| {
                        format!(
                            "creating database {name} on {}",
                            redact(&options.postgres_url)
                        )
                    })?;
                let mut url = Url::parse(&options.postgres_url)?;
                url.set_path(&format!("/{name}"));
                (url.to_string(), Some((options.postgres_url.clone(), name)))
            }
        };
        let mut env = vec![
            ("HEARTH_DATABASE_URL", database_url.clone()),
            ("HEARTH_BIND", format!("127.0.0.1:{port}")),
            (
                "HEARTH_PUBLIC_URL",
                base.as_str().trim_end_matches('/').to_owned(),
            ),
            ("HEARTH_ALLOW_PRIVATE_NETWORKS", "true".to_owned()),
            ("HEARTH_LOG", options.log.clone()),
            (
                "HEARTH_DELIVERY_CONCURRENCY",
                options.delivery_concurrency.to_string(),
            ),
            (
                "HEARTH_DATABASE_CONNECTIONS",
                options.database_connections.to_string(),
            ),
        ];
        if let Some(n) = options.delivery_per_instance {
            env.push(("HEARTH_DELIVERY_PER_INSTANCE", n.to_string()));
        }
        if let Some(ms) = options.delivery_poll_ms {
            env.push(("HEARTH_DELIVERY_POLL_MS", ms.to_string()));
        }
        let mut members = Vec::with_capacity(options.shape.processes());
        let web_role = if options.shape.workers == 0 {
            Role::Serve
        } else {
            Role::Web
        };
        for n in 1..=options.shape.web.max(1) {
            let (label, log) = match (web_role, options.shape.web) {
                (Role::Serve, 1) => ("serve".to_owned(), "hearth.log".to_owned()),
                (Role::Serve, _) => (format!("serve {n}"), format!("hearth-serve{n}.log")),
                _ => (format!("web {n}"), format!("hearth-web{n}.log")),
            };
            members.push(Member {
                role: web_role,
                label,
                port: Some(if n == 1 { port } else { free_port()? }),
                child: None,
                log: dir.path().join(log),
            });
        }
        for n in 1..=options.shape.workers {
            members.push(Member {
                role: Role::Worker,
                label: format!("worker {n}"),
                port: None,
                child: None,
                log: dir.path().join(format!("hearth-worker{n}.log")),
            });
        }
        let mut hearth = HearthProcess {
            members,
            binary,
            dir,
            env: env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            base,
            postgres,
            database_url,
            client: reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(30))
                .build()?,
        };
        for i in 0..hearth.members.len() {
            hearth.spawn(i).await?;
        }
        Ok(hearth)
    }

    /// Starts process `i` and waits until it answers `/healthz` (a worker, which has no HTTP,
    /// until it has run for a moment).
    async fn spawn(&mut self, i: usize) -> anyhow::Result<()> {
        let member = &self.members[i];
        let log = std::fs::File::create(&member.log).context("creating the log file")?;
        let mut command = Command::new(&self.binary);
        match member.role {
            Role::Serve => command.arg("serve"),
            Role::Web => command.args(["serve", "--no-workers"]),
            Role::Worker => command.arg("worker"),
        };
        command
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env_remove("RUST_LOG")
            .env_remove("HEARTH_CONFIG")
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        if let Some(port) = member.port {
            command.env("HEARTH_BIND", format!("127.0.0.1:{port}"));
        }
        let child = command
            .spawn()
            .with_context(|| format!("starting {}", self.binary.display()))?;
        self.members[i].child = Some(child);
        let health = self.members[i]
            .port
            .map(|port| on_port(&self.url("/healthz"), port));
        let deadline = Instant::now() + Duration::from_secs(60);
        let started = Instant::now();
        loop {
            match &health {
                Some(url) => {
                    if let Ok(r) = self.client.get(url.clone()).send().await {
                        if r.status().is_success() {
                            return Ok(());
                        }
                    }
                }
                None if started.elapsed() > Duration::from_millis(500) => return Ok(()),
                None => {}
            }
            let member = &mut self.members[i];
            if let Some(status) = member
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                bail!(
                    "hearth ({}) exited with {status} at start:\n{}",
                    member.label,
                    read_log(&member.log)
                );
            }
            if Instant::now() > deadline {
                bail!(
                    "hearth ({}) did not answer /healthz within 60 s:\n{}",
                    member.label,
                    read_log(&member.log)
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The process ids, one per process.
    pub fn pids(&self) -> Vec<u32> {
        self.members
            .iter()
            .filter_map(|m| m.child.as_ref().map(Child::id))
            .collect()
    }

    /// CPU time and memory of all processes now, added up: CPU time, resident memory, and the
    /// sum of each process's own peak (`VmHWM`).
    pub fn usage(&self) -> anyhow::Result<Usage> {
        let mut total = Usage::default();
        for pid in self.pids() {
            let usage = Usage::of(pid)?;
            total.cpu += usage.cpu;
            total.rss_kib += usage.rss_kib;
            total.peak_rss_kib += usage.peak_rss_kib;
        }
        Ok(total)
    }

    /// CPU time and peak memory of each process now.
    pub fn usage_by_process(&self) -> anyhow::Result<Vec<ProcessUsage>> {
        self.members
            .iter()
            .filter_map(|m| m.child.as_ref().map(|c| (m, c.id())))
            .map(|(m, pid)| {
                let usage = Usage::of(pid)?;
                Ok(ProcessUsage {
                    label: m.label.clone(),
                    peak_rss_mib: usage.peak_rss_kib as f64 / 1024.0,
                    cpu_seconds: usage.cpu.as_secs_f64(),
                })
            })
            .collect()
    }

    /// Fails when a process is no longer running.
    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        for member in &mut self.members {
            if let Some(status) = member
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                bail!(
                    "hearth ({}) exited with {status}:\n{}",
                    member.label,
                    tail(&read_log(&member.log), 40)
                );
            }
        }
        Ok(())
    }

    /// `url` (on the public URL) once per web process, each on that process's own port: where
    /// to send requests so that they are spread over the web processes. The requests must
    /// carry the public URL's `Host`, as signed requests do.
    pub fn web_targets(&self, url: &Url) -> Vec<Url> {
        self.members
            .iter()
            .filter_map(|m| m.port)
            .map(|port| on_port(url, port))
            .collect()
    }

    /// A URL on this server.
    pub fn url(&self, path: &str) -> Url {
        self.base.join(path).expect("a valid path")
    }

    /// A group's actor id.
    pub fn group(&self, name: &str) -> Url {
        self.url(&format!("/groups/{name}"))
    }

    /// A group's inbox.
    pub fn group_inbox(&self, name: &str) -> Url {
        self.url(&format!("/groups/{name}/inbox"))
    }

    /// Opens the database Hearth runs on (for reading the delivery queue and instances).
    pub async fn open_store(&self) -> anyhow::Result<Store> {
        let options = StoreOptions {
            max_connections: 2,
            ..StoreOptions::default()
        };
        let mut url = self.database_url.clone();
        if self.postgres.is_some() {
            let mut parsed = Url::parse(&url)?;
            parsed
                .query_pairs_mut()
                .append_pair("application_name", APPLICATION_NAME);
            url = parsed.to_string();
        }
        Ok(Store::connect(&url, &options).await?)
    }

    /// Where the CPU time of Hearth's PostgreSQL backends can be read, when it has any.
    pub fn database_cpu(&self) -> DatabaseCpu {
        match &self.postgres {
            Some((server, name)) => DatabaseCpu::postgres(server, name),
            None => DatabaseCpu::default(),
        }
    }

    /// Creates a group through `hearth group create`.
    pub fn create_group(&self, name: &str) -> anyhow::Result<()> {
        self.cli(&["group", "create", name], None).map(drop)
    }

    /// Runs `hearth ARGS` on this instance's database, with `stdin` as its input; its output.
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> anyhow::Result<String> {
        let mut child = Command::new(&self.binary)
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env_remove("RUST_LOG")
            .env_remove("HEARTH_CONFIG")
            .current_dir(self.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("running hearth {}", args.join(" ")))?;
        if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(input.as_bytes())?;
        }
        let output = child.wait_with_output()?;
        if !output.status.success() {
            bail!(
                "hearth {} failed: {}{}",
                args.join(" "),
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// The database URL Hearth runs on.
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// The group's accepted followers, from its followers collection.
    pub async fn follower_count(&self, name: &str) -> anyhow::Result<i64> {
        let doc: Value = self
            .client
            .get(self.url(&format!("/groups/{name}/followers")))
            .header("accept", "application/activity+json")
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        doc["totalItems"]
            .as_i64()
            .context("the followers collection has no totalItems")
    }

    /// The `WARN` and `ERROR` lines of the logs, shortened: no timestamp, and sqlx's slow
    /// statement warnings without the statement text (its summary and time are kept). The
    /// warning that private networks are allowed, always given here, is left out. With several
    /// processes, each line starts with the process it came from.
    pub fn warnings(&self) -> Vec<String> {
        let several = self.members.len() > 1;
        self.members
            .iter()
            .flat_map(|m| {
                read_log(&m.log)
                    .lines()
                    .filter(|l| l.contains(" WARN ") || l.contains(" ERROR "))
                    .filter(|l| !l.contains("allow_private_networks"))
                    .map(|l| match several {
                        true => format!("[{}] {}", m.label, condense(l)),
                        false => condense(l),
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// The last `lines` lines of the first process's log.
    pub fn log_tail(&self, lines: usize) -> String {
        self.members
            .first()
            .map(|m| tail(&read_log(&m.log), lines))
            .unwrap_or_default()
    }

    /// The temporary directory: SQLite database and the logs (`hearth.log` for a single
    /// `hearth serve`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Stops the process (SIGKILL: there is nothing to keep) and drops a PostgreSQL database.
    pub async fn stop(mut self) {
        self.kill();
        if let Some((server, name)) = self.postgres.take() {
            if let Err(err) = hearth_storage::admin::drop_postgres_database(&server, &name).await {
                eprintln!("warning: could not drop database {name}: {err}");
            }
        }
    }

    fn kill(&mut self) {
        for member in &mut self.members {
            if let Some(mut child) = member.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

impl Drop for HearthProcess {
    fn drop(&mut self) {
        self.kill();
        if let Some((server, name)) = self.postgres.take() {
            // Dropped on an error path, possibly inside the runtime: drop the database from a
            // thread of its own.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                runtime
                    .block_on(hearth_storage::admin::drop_postgres_database(
                        &server, &name,
                    ))
                    .ok()
            })
            .join();
        }
    }
}

/// The binary to run: `path` as given, or relative to the workspace root when the bench runs
/// from elsewhere in the workspace; made absolute, as Hearth runs in its temporary directory.
fn resolve_binary(path: &Path) -> anyhow::Result<PathBuf> {
    let absolute = |p: &Path| std::fs::canonicalize(p).with_context(|| format!("{}", p.display()));
    if path.is_file() {
        return absolute(path);
    }
    if path.is_relative() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let candidate = root.join(path);
        if candidate.is_file() {
            return absolute(&candidate);
        }
    }
    bail!(
        "no hearth binary at {}: build it with `cargo build --release -p hearth-server` \
         or pass --hearth PATH",
        path.display()
    )
}

/// `url` on another port of the same host.
fn on_port(url: &Url, port: u16) -> Url {
    let mut url = url.clone();
    let _ = url.set_port(Some(port));
    url
}

/// Everything a process logged (at the level of `--hearth-log`).
fn read_log(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The last `lines` lines of `text`.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A log line without its timestamp and, for a slow statement, without the statement text.
fn condense(line: &str) -> String {
    let line = line.split_once(' ').map_or(line, |(_, rest)| rest).trim();
    let short = match (line.find(" db.statement="), line.find(" elapsed=")) {
        (Some(cut), Some(at)) => {
            let elapsed = line[at..].split_whitespace().next().unwrap_or_default();
            format!("{} {elapsed}", &line[..cut])
        }
        _ => line.to_owned(),
    };
    short.chars().take(200).collect()
}

/// The URL with any password replaced.
fn redact(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}
