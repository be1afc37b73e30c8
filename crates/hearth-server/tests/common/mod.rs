//! Test harness: real `hearth` processes on loopback, on SQLite by default or on a fresh
//! PostgreSQL database each when `HEARTH_TEST_POSTGRES` is set to a server URL
//! (e.g. `postgres://postgres@127.0.0.1:5432/postgres`).

#![allow(dead_code)]

pub mod pages;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use hearth_test_peer::{Peer, PeerConfig};
use serde_json::Value;
use url::Url;

/// A running `hearth serve` and the database it owns.
pub struct Hearth {
    child: Option<Child>,
    args: Vec<String>,
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    base: Url,
    postgres: Option<(String, String)>,
    pub client: reqwest::Client,
}

/// How to start Hearth.
#[derive(Clone)]
pub struct Options {
    /// HEARTH_ALLOW_PRIVATE_NETWORKS.
    pub allow_private: bool,
    /// Extra environment.
    pub env: Vec<(&'static str, String)>,
    /// An existing database to use instead of a fresh one (e.g. a private PostgreSQL server a
    /// test controls); the harness neither creates nor drops it.
    pub database_url: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            allow_private: true,
            env: Vec::new(),
            database_url: None,
        }
    }
}

/// The PostgreSQL server the suite runs on, if `HEARTH_TEST_POSTGRES` names one; SQLite otherwise.
pub fn postgres_server() -> Option<String> {
    std::env::var("HEARTH_TEST_POSTGRES")
        .ok()
        .filter(|server| !server.is_empty())
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_hearth"))
}

impl Hearth {
    /// Starts Hearth with default options.
    pub async fn start() -> Hearth {
        Self::start_with(Options::default()).await
    }

    /// Starts Hearth and waits until it answers.
    pub async fn start_with(options: Options) -> Hearth {
        let dir = tempfile::tempdir().expect("a temp dir");
        let port = free_port();
        let base = Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
        let (database_url, postgres) = match (options.database_url, postgres_server()) {
            (Some(url), _) => (url, None),
            (None, Some(server)) => {
                let name = format!("hearth_test_{}", uuid::Uuid::new_v4().simple());
                hearth_storage::admin::create_postgres_database(&server, &name)
                    .await
                    .expect("create the test database");
                let mut url = Url::parse(&server).unwrap();
                url.set_path(&format!("/{name}"));
                (url.to_string(), Some((server, name)))
            }
            (None, None) => (
                format!("sqlite:{}", dir.path().join("hearth.db").display()),
                None,
            ),
        };
        let mut env = vec![
            ("HEARTH_DATABASE_URL".to_owned(), database_url),
            ("HEARTH_BIND".to_owned(), format!("127.0.0.1:{port}")),
            (
                "HEARTH_PUBLIC_URL".to_owned(),
                base.to_string().trim_end_matches('/').to_owned(),
            ),
            (
                "HEARTH_ALLOW_PRIVATE_NETWORKS".to_owned(),
                options.allow_private.to_string(),
            ),
            ("HEARTH_DELIVERY_RETRY_BASE_SECS".to_owned(), "1".to_owned()),
            ("HEARTH_DELIVERY_LEASE_SECS".to_owned(), "15".to_owned()),
            ("HEARTH_DELIVERY_POLL_MS".to_owned(), "100".to_owned()),
            ("HEARTH_LOG".to_owned(), "info,sqlx=warn".to_owned()),
        ];
        for (k, v) in options.env {
            env.retain(|(key, _)| key != k);
            env.push((k.to_owned(), v));
        }
        let mut hearth = Hearth {
            child: None,
            args: vec!["serve".to_owned()],
            dir,
            env,
            base,
            postgres,
            client: reqwest::Client::builder().no_proxy().build().unwrap(),
        };
        hearth.spawn().await;
        hearth
    }

    async fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .unwrap();
        let child = Command::new(binary())
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env_remove("RUST_LOG")
            .current_dir(self.dir.path())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn hearth");
        self.child = Some(child);
        if self.args.first().map(String::as_str) == Some("worker") {
            tokio::time::sleep(Duration::from_millis(500)).await;
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("hearth worker exited with {status}:\n{}", self.log());
            }
            return;
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = self.client.get(self.listen_url("/healthz")).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("hearth exited with {status} at start:\n{}", self.log());
            }
            if Instant::now() > deadline {
                panic!("hearth did not start:\n{}", self.log());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Another process on the same database and public URL, running `hearth ARGS…`
    /// (e.g. `["serve", "--no-workers"]` or `["worker"]`), listening on a port of its own.
    pub async fn sibling(&self, args: &[&str]) -> Hearth {
        let port = free_port();
        let mut env = self.env.clone();
        env.retain(|(k, _)| k != "HEARTH_BIND");
        env.push(("HEARTH_BIND".to_owned(), format!("127.0.0.1:{port}")));
        let mut sibling = Hearth {
            child: None,
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            dir: tempfile::tempdir().expect("a temp dir"),
            env,
            base: self.base.clone(),
            postgres: None,
            client: self.client.clone(),
        };
        sibling.spawn().await;
        sibling
    }

    /// A URL on the address this process listens on (not the shared public URL).
    pub fn listen_url(&self, path: &str) -> Url {
        let bind = self
            .env
            .iter()
            .find(|(k, _)| k == "HEARTH_BIND")
            .map(|(_, v)| v.clone())
            .unwrap();
        Url::parse(&format!("http://{bind}{path}")).unwrap()
    }

    /// The server log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("hearth.log")
    }

    /// Whether the process is still running (it has not exited or been killed).
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }

    /// Kills the process at once (SIGKILL), as a crash would.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the process again on the same database and port.
    pub async fn restart(&mut self) {
        self.kill9();
        self.spawn().await;
    }

    /// A URL on this server.
    pub fn url(&self, path: &str) -> Url {
        self.base.join(path).unwrap()
    }

    /// `host:port`.
    pub fn authority(&self) -> String {
        format!(
            "{}:{}",
            self.base.host_str().unwrap(),
            self.base.port().unwrap()
        )
    }

    /// A group's actor id.
    pub fn group(&self, name: &str) -> Url {
        self.url(&format!("/groups/{name}"))
    }

    /// A group's inbox.
    pub fn group_inbox(&self, name: &str) -> Url {
        self.url(&format!("/groups/{name}/inbox"))
    }

    fn run_cli(&self, args: &[&str]) -> std::process::Output {
        Command::new(binary())
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(self.dir.path())
            .output()
            .expect("run hearth")
    }

    /// Runs `hearth ARGS…` against this server's database and returns (success, stdout+stderr).
    pub fn cli(&self, args: &[&str]) -> (bool, String) {
        let output = self.run_cli(args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.success(), text)
    }

    /// Runs `hearth ARGS…` and returns (success, stdout only), for output that is data.
    pub fn cli_stdout(&self, args: &[&str]) -> (bool, String) {
        let output = self.run_cli(args);
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    }

    /// The server's working directory (a temp dir), for files commands read.
    pub fn dir_path(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Creates a staff account through the command line (`hearth admin create` for admins,
    /// `hearth account create` otherwise), with the password on stdin.
    pub fn create_account(&self, name: &str, password: &str, admin: bool) {
        use std::io::Write;
        let args: Vec<&str> = if admin {
            vec!["admin", "create", name]
        } else {
            vec!["account", "create", name]
        };
        let mut child = Command::new(binary())
            .args(&args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(self.dir.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run hearth");
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "creating account {name} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Creates an instance admin (through the command line) and logs it in to the API;
    /// returns its bearer token.
    pub async fn admin_token(&self, name: &str, password: &str) -> String {
        self.create_account(name, password, true);
        let body: Value = self
            .client
            .post(self.url("/api/v1/tokens"))
            .json(&serde_json::json!({"username": name, "password": password}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["token"]
            .as_str()
            .unwrap_or_else(|| panic!("no token in {body}"))
            .to_owned()
    }

    /// Creates a group through the command line.
    pub fn create_group(&self, name: &str, extra: &[&str]) {
        let mut args = vec!["group", "create", name];
        args.extend_from_slice(extra);
        let (ok, out) = self.cli(&args);
        assert!(ok, "group create failed: {out}");
    }

    /// GET as ActivityPub JSON.
    pub async fn get_json(&self, url: &Url) -> Value {
        let response = self
            .client
            .get(url.clone())
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "GET {url}: {}",
            response.status()
        );
        response.json().await.unwrap()
    }

    /// GET as a browser.
    pub async fn get_html(&self, path: &str) -> (u16, String) {
        let response = self
            .client
            .get(self.url(path))
            .header("accept", "text/html,application/xhtml+xml")
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// The group's accepted follower count, from its followers collection.
    pub async fn follower_count(&self, name: &str) -> i64 {
        self.get_json(&self.url(&format!("/groups/{name}/followers")))
            .await["totalItems"]
            .as_i64()
            .unwrap()
    }
}

impl Drop for Hearth {
    fn drop(&mut self) {
        self.kill9();
        if let Some((server, name)) = self.postgres.take() {
            let _ = std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap()
                    .block_on(hearth_storage::admin::drop_postgres_database(
                        &server, &name,
                    ))
            })
            .join();
        }
    }
}

/// A peer on loopback running `software`.
pub async fn peer(software: &str) -> Peer {
    peer_on(software, "127.0.0.1").await
}

/// A peer on `ip` running `software`.
pub async fn peer_on(software: &str, ip: &str) -> Peer {
    Peer::start(PeerConfig {
        ip: ip.parse().unwrap(),
        software: software.to_owned(),
        ..PeerConfig::default()
    })
    .await
    .expect("start a peer")
}

/// A Follow from `actor` (on `peer`) of `group`.
pub fn follow(peer: &Peer, actor: &Url, group: &Url) -> Value {
    serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": peer.new_id("follow"),
        "type": "Follow",
        "actor": actor,
        "object": group,
    })
}

/// A public Mastodon-style note by `actor` mentioning `group`, wrapped in a Create.
pub fn mention_post(
    peer: &Peer,
    actor: &Url,
    group: &Url,
    handle: &str,
    text: &str,
    in_reply_to: Option<&str>,
) -> (Value, String) {
    let note_id = peer.new_id("note").to_string();
    let note = serde_json::json!({
        "id": note_id,
        "type": "Note",
        "attributedTo": actor,
        "inReplyTo": in_reply_to,
        "content": format!("<p><span class=\"h-card\"><a href=\"{group}\" class=\"u-url mention\">@<span>{handle}</span></a></span> {text}</p>"),
        "published": "2026-11-30T10:00:00Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [format!("{actor}/followers"), group],
        "tag": [{"type": "Mention", "href": group, "name": format!("@{handle}")}],
    });
    let create = serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{note_id}/activity"),
        "type": "Create",
        "actor": actor,
        "published": "2026-11-30T10:00:00Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [format!("{actor}/followers"), group],
        "object": note,
    });
    (create, note_id)
}

/// Delivers `activity` and checks the status.
pub async fn deliver_expect(
    peer: &Peer,
    actor: &Url,
    inbox: &Url,
    activity: &Value,
    status: u16,
) -> String {
    let delivery = peer.deliver(actor, inbox, activity).await.expect("deliver");
    assert_eq!(
        delivery.status, status,
        "delivering {}: {}",
        activity["type"], delivery.body
    );
    delivery.body
}

/// Waits until `pred` holds for what `peer` received.
pub async fn wait_received(
    peer: &Peer,
    what: &str,
    pred: impl Fn(&[hearth_test_peer::Received]) -> bool,
) -> Vec<hearth_test_peer::Received> {
    peer.wait_for(Duration::from_secs(20), pred)
        .await
        .with_context(|| format!("waiting for {what}"))
        .unwrap()
}

/// Whether an activity is an Announce whose object (embedded or by id) has this id.
pub fn announces(activity: &Value, inner_id: &str) -> bool {
    activity["type"] == "Announce"
        && (activity["object"]["id"] == inner_id || activity["object"] == inner_id)
}

/// Fails if the condition does not become true in time.
pub async fn eventually<F, Fut>(what: &str, mut check: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if check().await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("timed out waiting for {what}")
}

/// `count` Lemmy-like instances, each with one member following the group; waits until Hearth
/// knows their software, so each receives exactly one Announce per post.
pub async fn followers(hearth: &Hearth, count: usize) -> Vec<(Peer, Url)> {
    let group = hearth.group("climbing");
    let inbox = hearth.group_inbox("climbing");
    let mut out = Vec::new();
    for i in 0..count {
        let p = peer("lemmy").await;
        let member = p.add_person(&format!("member{i}")).await.unwrap();
        deliver_expect(&p, &member, &inbox, &follow(&p, &member, &group), 202).await;
        out.push((p, member));
    }
    for (p, _) in &out {
        wait_for_nodeinfo(p).await;
        wait_received(p, "the Accept", |r| {
            r.iter().any(|x| x.activity["type"] == "Accept")
        })
        .await;
        p.clear_received();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    out
}

/// A Mastodon member who follows the group.
pub async fn author(hearth: &Hearth) -> (Peer, Url) {
    let p = peer("mastodon").await;
    let alice = p.add_person("alice").await.unwrap();
    deliver_expect(
        &p,
        &alice,
        &hearth.group_inbox("climbing"),
        &follow(&p, &alice, &hearth.group("climbing")),
        202,
    )
    .await;
    (p, alice)
}

/// Posts a new thread into the group as `alice`; returns the Create's id.
pub async fn post(hearth: &Hearth, p: &Peer, alice: &Url, text: &str) -> String {
    let handle = format!("climbing@{}", hearth.authority());
    let (create, _) = mention_post(p, alice, &hearth.group("climbing"), &handle, text, None);
    deliver_expect(p, alice, &hearth.group_inbox("climbing"), &create, 202).await;
    create["id"].as_str().unwrap().to_owned()
}

/// How many announces of `id` `p` received.
pub fn count(p: &Peer, id: &str) -> usize {
    p.received()
        .iter()
        .filter(|x| announces(&x.activity, id))
        .count()
}

/// Waits until Hearth has fetched `p`'s NodeInfo (so it knows which announces that instance gets).
pub async fn wait_for_nodeinfo(p: &Peer) {
    eventually("a NodeInfo fetch", || async {
        p.requests()
            .iter()
            .any(|r| r.path.starts_with("/nodeinfo/"))
    })
    .await
    .unwrap();
}

/// Waits until the first follower has announce `id`: the moment to crash a process.
pub async fn wait_first_delivery(fs: &[(Peer, Url)], id: &str) {
    eventually("the first deliveries", || async {
        fs.iter().any(|(p, _)| count(p, id) > 0)
    })
    .await
    .unwrap();
}

/// How many followers have announce `id`; fails if all do already (the crash came too late).
pub fn delivered_before_crash(fs: &[(Peer, Url)], id: &str) -> usize {
    let before = fs.iter().filter(|(p, _)| count(p, id) > 0).count();
    assert!(
        before < fs.len(),
        "the crash came too late to test anything"
    );
    before
}

/// After a crash and restart: every follower gets announce `id`, and duplicates stay within
/// the `in_flight` deliveries that the crash could have interrupted.
pub async fn expect_all_delivered_after_crash(
    fs: &[(Peer, Url)],
    id: &str,
    before: usize,
    in_flight: usize,
) {
    for (p, _) in fs {
        wait_received(p, "the announce after restart", |r| {
            r.iter().any(|x| announces(&x.activity, id))
        })
        .await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let duplicates: usize = fs.iter().map(|(p, _)| count(p, id).saturating_sub(1)).sum();
    println!(
        "delivered before the crash: {before}/{}, duplicates after restart: {duplicates} (in flight at most {in_flight})",
        fs.len()
    );
    assert!(
        duplicates <= in_flight,
        "duplicates ({duplicates}) exceed what was in flight ({in_flight})"
    );
}

/// The smallest valid PNG: one transparent pixel.
pub const PIXEL_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];
