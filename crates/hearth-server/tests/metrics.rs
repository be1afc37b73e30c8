//! Prometheus `/metrics`: who may scrape, where it is served, and what it reports.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{deliver_expect, follow, free_port, peer, Hearth, Options};
use url::Url;

const TOKEN: &str = "scrape-me-please";

/// One sample line: `name{labels} value`.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
}

/// Parses the OpenMetrics text, failing on any line that is neither a comment nor a sample,
/// on a missing `# EOF`, and on a sample whose family has no `# HELP` and `# TYPE`.
fn parse(text: &str) -> Vec<Sample> {
    assert_eq!(text.lines().last(), Some("# EOF"), "no # EOF:\n{text}");
    let mut described = Vec::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        if let Some(comment) = line.strip_prefix("# ") {
            let mut words = comment.split(' ');
            match (words.next(), words.next()) {
                (Some("HELP" | "TYPE" | "UNIT"), Some(name)) => described.push(name.to_owned()),
                (Some("EOF"), None) => {}
                _ => panic!("bad comment line {line:?}"),
            }
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("no value in {line:?}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value in {line:?}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let inner = rest
                    .strip_suffix('}')
                    .unwrap_or_else(|| panic!("unclosed labels in {line:?}"));
                let labels = inner
                    .split(',')
                    .map(|pair| {
                        let (key, quoted) = pair
                            .split_once('=')
                            .unwrap_or_else(|| panic!("bad label in {line:?}"));
                        let value = quoted
                            .strip_prefix('"')
                            .and_then(|v| v.strip_suffix('"'))
                            .unwrap_or_else(|| panic!("unquoted label in {line:?}"));
                        (key.to_owned(), value.to_owned())
                    })
                    .collect();
                (name, labels)
            }
            None => (series, Vec::new()),
        };
        assert!(
            name.starts_with("hearth_")
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "bad name in {line:?}"
        );
        assert!(
            described
                .iter()
                .any(|family| name.starts_with(family.as_str())),
            "{name} has no HELP/TYPE"
        );
        samples.push(Sample {
            name: name.to_owned(),
            labels,
            value,
        });
    }
    samples
}

/// The value of the sample `name` carrying every label in `labels`, if there is one.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.iter().any(|(sk, sv)| sk == k && sv == v))
        })
        .map(|s| s.value)
}

async fn get(client: &reqwest::Client, url: Url, token: Option<&str>) -> (u16, String) {
    let mut request = client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn scrape(hearth: &Hearth) -> Vec<Sample> {
    let (status, text) = get(&hearth.client, hearth.url("/metrics"), Some(TOKEN)).await;
    assert_eq!(status, 200, "{text}");
    parse(&text)
}

/// Whether the samples show a delivered Accept, a retried one, a failure at `failing_host`
/// and a queued job.
fn deliveries_counted(samples: &[Sample], failing_host: &str) -> bool {
    let attempts = "hearth_delivery_attempts_total";
    let failures = "hearth_delivery_instance_failures_total";
    let jobs = "hearth_delivery_queue_jobs";
    value(samples, attempts, &[("outcome", "delivered")]) >= Some(1.0)
        && value(samples, attempts, &[("outcome", "retry")]) >= Some(1.0)
        && value(samples, failures, &[("host", failing_host)]) >= Some(1.0)
        && value(samples, jobs, &[("state", "queued")]) >= Some(1.0)
}

#[tokio::test]
async fn token_guards_metrics_that_count_inbox_and_deliveries() {
    let hearth = Hearth::start_with(Options {
        env: vec![
            ("HEARTH_METRICS_TOKEN", TOKEN.to_owned()),
            ("HEARTH_MAX_BODY_BYTES", "8192".to_owned()),
        ],
        ..Options::default()
    })
    .await;
    hearth.create_group("climbing", &[]);
    let group = hearth.group("climbing");
    let inbox = hearth.group_inbox("climbing");

    // Without the token, or with a wrong one: 401.
    for token in [None, Some("wrong"), Some("")] {
        let (status, _) = get(&hearth.client, hearth.url("/metrics"), token).await;
        assert_eq!(status, 401, "token {token:?}");
    }

    // One accepted Follow from a peer that takes the Accept; one from a peer whose inbox fails.
    let good = peer("mastodon").await;
    let alice = good.add_person("alice").await.unwrap();
    deliver_expect(&good, &alice, &inbox, &follow(&good, &alice, &group), 202).await;
    let failing = peer("mastodon").await;
    failing.set_inbox_response(503, Duration::ZERO);
    let bob = failing.add_person("bob").await.unwrap();
    deliver_expect(&failing, &bob, &inbox, &follow(&failing, &bob, &group), 202).await;
    // One refused: an unsigned Follow.
    let refused = hearth
        .client
        .post(inbox.clone())
        .header("content-type", "application/activity+json")
        .body(follow(&good, &alice, &group).to_string())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    assert!((400..500).contains(&refused), "{refused}");
    let refused = refused.to_string();
    // One too large to read.
    let too_large = hearth
        .client
        .post(inbox.clone())
        .header("content-type", "application/activity+json")
        .body(vec![b' '; 10_000])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    assert_eq!(too_large, 413);

    let samples = scrape(&hearth).await;
    let accepted = [
        ("type", "Follow"),
        ("outcome", "accepted"),
        ("status", "202"),
    ];
    let activities = "hearth_inbox_activities_total";
    assert_eq!(value(&samples, activities, &accepted), Some(2.0));
    let refused = [
        ("type", "Follow"),
        ("outcome", "refused"),
        ("status", &refused),
    ];
    assert_eq!(value(&samples, activities, &refused), Some(1.0));
    let unread = [
        ("type", "unknown"),
        ("outcome", "refused"),
        ("status", "413"),
    ];
    assert_eq!(value(&samples, activities, &unread), Some(1.0));
    let handled = "hearth_inbox_duration_seconds_count";
    assert_eq!(
        value(&samples, handled, &[("outcome", "accepted")]),
        Some(2.0)
    );
    assert_eq!(
        value(&samples, handled, &[("outcome", "refused")]),
        Some(1.0)
    );
    assert!(value(&samples, "hearth_inbox_duration_seconds_sum", &[]).unwrap() > 0.0);
    assert_eq!(value(&samples, "hearth_database_up", &[]), Some(1.0));
    let pool = "hearth_db_pool_connections";
    let open = value(&samples, pool, &[("state", "open")]).unwrap();
    let max = value(&samples, pool, &[("state", "max")]).unwrap();
    assert!(open >= 1.0 && open <= max, "open {open}, max {max}");
    assert!(value(&samples, pool, &[("state", "idle")]).unwrap() <= open);

    // The Accepts: one delivered, one failing and retried, queued meanwhile.
    let failing_host = failing.host();
    let deadline = Instant::now() + Duration::from_secs(20);
    let last = loop {
        let samples = scrape(&hearth).await;
        if deliveries_counted(&samples, &failing_host) {
            break samples;
        }
        assert!(Instant::now() < deadline, "{samples:#?}\n{}", hearth.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        value(&last, "hearth_delivery_queue_jobs", &[("state", "dead")]),
        Some(0.0)
    );
    assert!(value(&last, "hearth_delivery_queue_jobs", &[("state", "due")]).is_some());
    assert!(value(&last, "hearth_delivery_queue_oldest_age_seconds", &[]).unwrap() > 0.0);
    let good_host = good.host();
    assert_eq!(
        value(
            &last,
            "hearth_delivery_instance_failures_total",
            &[("host", &good_host)]
        ),
        None,
        "only failing instances have a series"
    );
}

#[tokio::test]
async fn metrics_bind_serves_metrics_on_its_own_port_only() {
    let port = free_port();
    let hearth = Hearth::start_with(Options {
        env: vec![("HEARTH_METRICS_BIND", format!("127.0.0.1:{port}"))],
        ..Options::default()
    })
    .await;
    let (status, _) = get(&hearth.client, hearth.url("/metrics"), None).await;
    assert_eq!(status, 404, "the public listener has no /metrics");
    let own = Url::parse(&format!("http://127.0.0.1:{port}/metrics")).unwrap();
    let (status, text) = get(&hearth.client, own.clone(), None).await;
    assert_eq!(status, 200, "{text}");
    let samples = parse(&text);
    assert_eq!(value(&samples, "hearth_database_up", &[]), Some(1.0));
    assert_eq!(
        value(
            &samples,
            "hearth_delivery_queue_jobs",
            &[("state", "queued")]
        ),
        Some(0.0)
    );
    for outcome in ["delivered", "retry", "dead", "refused"] {
        let attempts = "hearth_delivery_attempts_total";
        assert_eq!(
            value(&samples, attempts, &[("outcome", outcome)]),
            Some(0.0),
            "{outcome} is listed before any delivery"
        );
    }
    let other = Url::parse(&format!("http://127.0.0.1:{port}/healthz")).unwrap();
    let (status, _) = get(&hearth.client, other, None).await;
    assert_eq!(status, 404, "the metrics listener serves nothing else");
    assert!(hearth.log().contains(&format!("metrics at {own}")));
}

#[tokio::test]
async fn metrics_bind_with_a_token_requires_it() {
    let port = free_port();
    let hearth = Hearth::start_with(Options {
        env: vec![
            ("HEARTH_METRICS_BIND", format!("127.0.0.1:{port}")),
            ("HEARTH_METRICS_TOKEN", TOKEN.to_owned()),
        ],
        ..Options::default()
    })
    .await;
    let own = Url::parse(&format!("http://127.0.0.1:{port}/metrics")).unwrap();
    let (status, _) = get(&hearth.client, own.clone(), None).await;
    assert_eq!(status, 401);
    let (status, text) = get(&hearth.client, own, Some(TOKEN)).await;
    assert_eq!(status, 200, "{text}");
    parse(&text);
    let (status, _) = get(&hearth.client, hearth.url("/metrics"), Some(TOKEN)).await;
    assert_eq!(status, 404, "the public listener has no /metrics");
}

#[tokio::test]
async fn without_token_or_bind_metrics_are_not_served() {
    let hearth = Hearth::start().await;
    let (status, _) = get(&hearth.client, hearth.url("/metrics"), None).await;
    assert_eq!(status, 404);
    let log = hearth.log();
    assert_eq!(
        log.matches("metrics are off").count(),
        1,
        "said once at startup:\n{log}"
    );
}

#[test]
fn bad_metrics_settings_stop_startup_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("h.db").display());
    let serve = |key: &str, value: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_hearth"))
            .arg("serve")
            .env("HEARTH_DATABASE_URL", &database)
            .env("HEARTH_BIND", "127.0.0.1:0")
            .env(key, value)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(!out.status.success(), "{key}={value:?} was accepted");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = serve("HEARTH_METRICS_BIND", "localhost");
    assert!(
        err.contains("metrics_bind = \"localhost\" is not an address like 127.0.0.1:9090"),
        "{err}"
    );
    let err = serve("HEARTH_METRICS_TOKEN", " ");
    assert!(err.contains("metrics_token is empty"), "{err}");
}
