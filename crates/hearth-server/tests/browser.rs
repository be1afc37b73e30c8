//! The staff and public pages in a real browser: Chromium, driven by the Playwright scripts in
//! tests/browser, logs in, creates an approval-required group with rules and images, approves
//! a member's join request that a peer sent by ActivityPub, and checks the public pages;
//! creates, edits and cancels an event, which the member receives; resolves a report; then
//! the OpenAPI document is validated. Needs Node.js (18 or later) and Chromium; fails, naming
//! what to install, when either is missing. Screenshots land in target/browser-screenshots/.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::*;

const ADMIN: &str = "ada";
const ADMIN_PASSWORD: &str = "granite-ridge-walk-42";
/// What the member's join request answers (the group asks which fells they walked).
const REPORT_REASON: &str = "Selling boots in a hiking group";
const JOIN_ANSWER: &str = "Helvellyn and Scafell Pike";

fn scripts_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser");
    dir.canonicalize().unwrap_or(dir)
}

fn screenshots_dir() -> PathBuf {
    // CARGO_TARGET_TMPDIR is <target>/tmp: the screenshots go next to it.
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory")
        .join("browser-screenshots")
}

fn chromium() -> String {
    std::env::var("CHROMIUM")
        .ok()
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "/usr/bin/chromium".to_owned())
}

/// Node.js and Chromium are there, or the test fails saying what to install.
fn require_tools() {
    let node = Command::new("node").arg("--version").output();
    let version = match node {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        _ => panic!(
            "the browser tests need Node.js 18 or later: install it (Debian: apt-get install nodejs npm) \
             so that `node` is on the PATH"
        ),
    };
    let major: u32 = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    assert!(
        major >= 18,
        "the browser tests need Node.js 18 or later; `node --version` says {version}"
    );
    let browser = chromium();
    let works = Command::new(&browser)
        .args(["--headless", "--no-sandbox", "--version"])
        .output()
        .map(|out| out.status.success())
        .unwrap_or(false);
    assert!(
        works,
        "the browser tests need Chromium at {browser}: install it (Debian: apt-get install chromium) \
         or set CHROMIUM to a Chromium or Chrome binary"
    );
}

/// The version of `package` that package.json pins.
fn pinned(package_json: &serde_json::Value, package: &str) -> String {
    package_json["dependencies"][package]
        .as_str()
        .unwrap_or_else(|| panic!("tests/browser/package.json does not pin {package}"))
        .to_owned()
}

/// Installs the scripts' packages with `npm ci` unless the pinned versions are in place.
fn install_packages(dir: &Path) {
    let read = |path: PathBuf| -> Option<serde_json::Value> {
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
    };
    let manifest = read(dir.join("package.json")).expect("tests/browser/package.json");
    let up_to_date = ["playwright-core", "@apidevtools/swagger-parser"]
        .iter()
        .all(|package| {
            read(dir.join("node_modules").join(package).join("package.json"))
                .is_some_and(|installed| installed["version"] == pinned(&manifest, package))
        });
    if up_to_date {
        return;
    }
    println!(
        "installing the browser test packages (npm ci in {})",
        dir.display()
    );
    let out = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .output()
        .unwrap_or_else(|err| {
            panic!(
                "cannot run npm ({err}): the browser tests need npm (Debian: apt-get install npm)"
            )
        });
    assert!(
        out.status.success(),
        "npm ci failed in {}:\n{}{}",
        dir.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Writes past the test harness's output capture, so it shows even when the test passes.
fn tell(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{text}");
}

/// Runs `node SCRIPT ARGS…` in tests/browser against `hearth`; fails with its output.
async fn node(hearth: &Hearth, script: &str, args: &[&str], extra_env: &[(&str, String)]) {
    let started = Instant::now();
    let command = std::iter::once(script)
        .chain(args.iter().copied())
        .collect::<Vec<_>>()
        .join(" ");
    let out = tokio::process::Command::new("node")
        .arg(script)
        .args(args)
        .current_dir(scripts_dir())
        .env("BASE_URL", hearth.url("/").as_str().trim_end_matches('/'))
        .env("ADMIN_USER", ADMIN)
        .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("SCREENSHOTS", screenshots_dir())
        .env("CHROMIUM", chromium())
        .envs(extra_env.iter().map(|(k, v)| (k, v)))
        .kill_on_drop(true)
        .output()
        .await
        .expect("run node");
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!(
        "node {command} ({:.1}s):\n{output}",
        started.elapsed().as_secs_f64()
    );
    assert!(
        out.status.success(),
        "node {command} failed:\n{output}\nscreenshots in {}\nhearth's log:\n{}",
        screenshots_dir().display(),
        hearth.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_and_public_pages_in_a_real_browser() {
    let started = Instant::now();
    require_tools();
    install_packages(&scripts_dir());
    let shots = screenshots_dir();
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).expect("create the screenshot directory");

    let hearth = Hearth::start().await;
    hearth.create_account(ADMIN, ADMIN_PASSWORD, true);

    // Log in, create the group with its rules and images, look at the public pages.
    node(&hearth, "flows.mjs", &["setup"], &[]).await;

    // A member asks to join, answering the group's question.
    let group = hearth.group("hikers");
    let masto = peer("mastodon").await;
    let alice = masto.add_person("alice").await.unwrap();
    let mut request = follow(&masto, &alice, &group);
    request["content"] = JOIN_ANSWER.into();
    deliver_expect(&masto, &alice, &hearth.group_inbox("hikers"), &request, 202).await;
    eventually("the join request to be pending", || async {
        let (ok, out) = hearth.cli(&["group", "pending", "hikers"]);
        ok && out.contains(alice.as_str())
    })
    .await
    .unwrap();
    assert!(
        !masto
            .received()
            .iter()
            .any(|r| r.activity["type"] == "Accept"),
        "the group accepted before anyone approved"
    );

    // Approve it in the browser; the public page then counts one member.
    let handle = format!("@alice@{}", masto.host());
    node(
        &hearth,
        "flows.mjs",
        &["approve"],
        &[
            ("MEMBER_HANDLE", handle),
            ("JOIN_ANSWER", JOIN_ANSWER.to_owned()),
        ],
    )
    .await;
    let follow_id = request["id"].as_str().unwrap().to_owned();
    let received = wait_received(&masto, "the Accept of the join request", |r| {
        r.iter()
            .any(|x| x.activity["type"] == "Accept" && x.activity["object"]["id"] == follow_id)
    })
    .await;
    let accept = received
        .iter()
        .find(|x| x.activity["type"] == "Accept")
        .unwrap();
    assert!(
        accept.signature_ok,
        "the Accept is signed: {:?}",
        accept.signature_error
    );
    assert_eq!(accept.activity["actor"], group.as_str());
    assert_eq!(hearth.follower_count("hikers").await, 1);

    // The group's images are what the browser uploaded, served as images.
    let actor = hearth.get_json(&group).await;
    for key in ["icon", "image"] {
        let url = actor[key]["url"]
            .as_str()
            .unwrap_or_else(|| panic!("the group has no {key}: {actor}"));
        let response = hearth.client.get(url).send().await.unwrap();
        assert_eq!(response.status(), 200, "GET {url}");
        let headers = response.headers();
        assert_eq!(headers["content-type"], "image/png");
        assert_eq!(
            headers["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert!(response.bytes().await.unwrap().starts_with(b"\x89PNG"));
    }
    let missing = hearth
        .client
        .get(hearth.url("/media/0123456789abcdef"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    // Staff create, edit and cancel an event in the browser; the member is sent each change.
    node(&hearth, "flows.mjs", &["events"], &[]).await;
    let event_status = |kind: &'static str, status: &'static str| {
        move |r: &[hearth_test_peer::Received]| {
            r.iter().any(|x| {
                x.activity["type"] == kind
                    && x.activity["object"]["type"] == "Event"
                    && x.activity["object"]["ical:status"] == status
            })
        }
    };
    wait_received(&masto, "the event", event_status("Create", "CONFIRMED")).await;
    wait_received(&masto, "the edit", event_status("Update", "CONFIRMED")).await;
    wait_received(
        &masto,
        "the cancellation",
        event_status("Update", "CANCELLED"),
    )
    .await;

    // Alice posts something off topic; another instance reports it; a moderator resolves the
    // case in the browser, removing the post and banning her for a week.
    let handle = format!("hikers@{}", hearth.authority());
    let (create, note) = mention_post(&masto, &alice, &group, &handle, "Boots for sale", None);
    deliver_expect(&masto, &alice, &hearth.group_inbox("hikers"), &create, 202).await;
    let reporter_peer = peer("mastodon").await;
    let reporter = reporter_peer.add_person("actor").await.unwrap();
    let flag = serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": reporter_peer.new_id("flag"),
        "type": "Flag",
        "actor": reporter,
        "content": REPORT_REASON,
        "object": [alice, note],
    });
    deliver_expect(&reporter_peer, &reporter, &hearth.url("/inbox"), &flag, 202).await;
    let (ok, out) = hearth.cli(&["insights", "hikers", "--refresh"]);
    assert!(ok, "hearth insights --refresh failed: {out}");
    node(
        &hearth,
        "flows.mjs",
        &["moderate"],
        &[
            ("REPORT_REASON", REPORT_REASON.to_owned()),
            ("REPORTED_TITLE", "Boots for sale".to_owned()),
        ],
    )
    .await;
    wait_received(&masto, "the ban at Alice's instance", |r| {
        r.iter()
            .any(|x| x.activity["type"] == "Block" && x.activity["object"] == alice.as_str())
    })
    .await;

    node(&hearth, "validate-openapi.mjs", &[], &[]).await;

    let count = std::fs::read_dir(&shots)
        .map(|d| d.filter_map(Result::ok).count())
        .unwrap_or(0);
    tell(&format!(
        "browser test passed in {:.1}s; {count} screenshots in {}",
        started.elapsed().as_secs_f64(),
        shots.display()
    ));
}
