//! PostgreSQL restarts underneath a running Hearth: while the database is down the inbox answers
//! 503 and the process stays up; once it is back, posts are accepted again and the delivery
//! worker sends their announces, without restarting Hearth.
//!
//! The suite's shared PostgreSQL server is used by other tests at the same time, so this test
//! runs a private one (initdb into a temp dir, its own loopback port) that it may stop and start.
//! It runs on the PostgreSQL pass only (`HEARTH_TEST_POSTGRES` set).

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::*;

/// How long Hearth may take, once PostgreSQL is back, to accept a post and deliver its announce.
const RECOVERY_BOUND: Duration = Duration::from_secs(30);

/// A PostgreSQL server of our own in a temp dir, stopped (`-m immediate`) when dropped, even if
/// the test panics.
struct PrivatePostgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    /// initdb and postgres refuse to run as root: as root, run them as the `postgres` user.
    as_postgres: bool,
}

impl PrivatePostgres {
    /// initdb (trust auth) and start on a free loopback port, with the socket in the temp dir.
    fn start() -> PrivatePostgres {
        let bin = postgres_bin_dir();
        let dir = tempfile::tempdir().expect("a temp dir");
        let as_postgres = std::fs::metadata("/proc/self")
            .map(|m| m.uid() == 0)
            .unwrap_or(false);
        if as_postgres {
            let chown = Command::new("chown")
                .arg("postgres:")
                .arg(dir.path())
                .output()
                .expect("run chown");
            assert!(
                chown.status.success(),
                "chown of {} to postgres failed (running as root needs a `postgres` user): {}",
                dir.path().display(),
                String::from_utf8_lossy(&chown.stderr)
            );
        }
        let pg = PrivatePostgres {
            bin,
            dir,
            port: free_port(),
            as_postgres,
        };
        let data = pg.data();
        let initdb = pg.run(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        assert!(initdb.status.success(), "initdb failed:\n{}", text(&initdb));
        pg.start_server();
        pg
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("postgres.log")
    }

    /// The server's log so far.
    fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Where Hearth connects.
    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Runs one of the PostgreSQL programs (as `postgres` when we are root) and waits for it.
    fn run(&self, program: &str, args: &[&str]) -> Output {
        let path = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        command
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", path.display()))
    }

    /// `pg_ctl start` on the same port and data every time; waits until it accepts connections.
    fn start_server(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let out = self.run(
            "pg_ctl",
            &[
                "-D",
                self.data().to_str().unwrap(),
                "-l",
                self.log_path().to_str().unwrap(),
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
        assert!(
            out.status.success(),
            "pg_ctl start failed:\n{}\n{}",
            text(&out),
            self.log()
        );
    }

    /// `pg_ctl stop -m MODE`, waiting until the server is gone.
    fn stop_server(&self, mode: &str) -> Output {
        self.run(
            "pg_ctl",
            &[
                "-D",
                self.data().to_str().unwrap(),
                "-m",
                mode,
                "-w",
                "-t",
                "60",
                "stop",
            ],
        )
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self.stop_server("immediate");
    }
}

/// `bin` of the highest PostgreSQL version under /usr/lib/postgresql that has initdb and pg_ctl.
fn postgres_bin_dir() -> PathBuf {
    let root = Path::new("/usr/lib/postgresql");
    let mut found: Vec<(Vec<u32>, PathBuf)> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version: Vec<u32> = entry
                .file_name()
                .to_str()?
                .split('.')
                .map(|n| n.parse().ok())
                .collect::<Option<_>>()?;
            let bin = entry.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((version, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "HEARTH_TEST_POSTGRES is set but no PostgreSQL server binaries (initdb, pg_ctl) were \
             found under {}/*/bin: install the PostgreSQL server package (e.g. `apt-get install \
             postgresql`) to run the database restart test",
            root.display()
        ),
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs blocking work (the PostgreSQL programs) without stalling the peers on this runtime.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hearth_recovers_when_postgresql_restarts() {
    if postgres_server().is_none() {
        println!(
            "database restart test skipped for SQLite (it runs when HEARTH_TEST_POSTGRES is set)"
        );
        return;
    }
    let pg = blocking(PrivatePostgres::start);
    let mut hearth = Hearth::start_with(Options {
        database_url: Some(pg.url()),
        ..Options::default()
    })
    .await;
    hearth.create_group("climbing", &[]);
    let inbox = hearth.group_inbox("climbing");
    let handle = format!("climbing@{}", hearth.authority());

    // Before: a member follows and posts, and a follower instance gets the announce.
    let fs = followers(&hearth, 1).await;
    let follower = &fs[0].0;
    let (p, alice) = author(&hearth).await;
    let before = post(&hearth, &p, &alice, "before the restart").await;
    wait_received(follower, "the announce before the restart", |r| {
        r.iter().any(|x| announces(&x.activity, &before))
    })
    .await;

    // PostgreSQL goes away.
    let stopped = blocking(|| pg.stop_server("fast"));
    assert!(stopped.status.success(), "pg_ctl stop:\n{}", text(&stopped));
    let down_at = Instant::now();

    let (during, _) = mention_post(
        &p,
        &alice,
        &hearth.group("climbing"),
        &handle,
        "while the database is down",
        None,
    );
    let asked = Instant::now();
    let refused = p
        .deliver(&alice, &inbox, &during)
        .await
        .unwrap_or_else(|e| panic!("no answer while the database is down: {e:#}"));
    let answered_in = asked.elapsed();
    assert!(
        (500..600).contains(&refused.status),
        "a post while the database is down should get a 5xx, got {}: {}",
        refused.status,
        refused.body
    );
    assert!(
        hearth.is_running(),
        "hearth exited while the database was down:\n{}",
        hearth.log()
    );
    let healthz = hearth
        .client
        .get(hearth.listen_url("/healthz"))
        .send()
        .await
        .map(|r| r.status().as_u16());
    println!(
        "database down: inbox answered {} in {answered_in:.1?}; /healthz: {healthz:?}",
        refused.status
    );

    // PostgreSQL comes back on the same port.
    blocking(|| pg.start_server());
    let up_at = Instant::now();
    let downtime = up_at - down_at;

    let (after, _) = mention_post(
        &p,
        &alice,
        &hearth.group("climbing"),
        &handle,
        "after the restart",
        None,
    );
    let after_id = after["id"].as_str().unwrap().to_owned();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let delivery = p
            .deliver(&alice, &inbox, &after)
            .await
            .unwrap_or_else(|e| panic!("no answer after the restart: {e:#}"));
        if (200..300).contains(&delivery.status) {
            break;
        }
        assert!(
            delivery.status >= 500,
            "a retried post was refused for good ({}): {}",
            delivery.status,
            delivery.body
        );
        assert!(
            up_at.elapsed() < RECOVERY_BOUND,
            "posts still fail {RECOVERY_BOUND:?} after PostgreSQL came back ({}: {}):\n{}",
            delivery.status,
            delivery.body,
            hearth.log()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let accepted_after = up_at.elapsed();
    follower
        .wait_for(RECOVERY_BOUND.saturating_sub(up_at.elapsed()), |r| {
            r.iter().any(|x| announces(&x.activity, &after_id))
        })
        .await
        .unwrap_or_else(|e| {
            panic!(
                "no announce within {RECOVERY_BOUND:?} of the restart: {e:#}\n{}",
                hearth.log()
            )
        });
    let announced_after = up_at.elapsed();

    // The post refused during the outage left nothing half-written: its retry is accepted.
    let during_id = during["id"].as_str().unwrap().to_owned();
    deliver_expect(&p, &alice, &inbox, &during, 202).await;
    wait_received(follower, "the announce of the refused post", |r| {
        r.iter().any(|x| announces(&x.activity, &during_id))
    })
    .await;
    assert!(hearth.is_running(), "hearth exited:\n{}", hearth.log());
    let failed_claims = hearth.log().matches("cannot claim deliveries").count();
    println!(
        "PostgreSQL down for {downtime:.1?}; after it came back: post accepted in \
         {accepted_after:.1?} (attempt {attempts}), announce delivered in {announced_after:.1?}; \
         the delivery worker logged {failed_claims} failed claims during the outage"
    );
}
