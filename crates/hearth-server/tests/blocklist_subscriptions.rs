//! Subscriptions to shared blocklists between real processes: lists served over HTTP on
//! loopback, applied with their source, refreshed (additions, retractions, takeovers between
//! lists, priorities), overridden by manual rules, excluded, held as drafts, and kept in force
//! when a refresh fails.

mod common;

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use common::*;

/// What the list server answers for one path: status, content type, body.
type Served = (u16, &'static str, String);

/// A tiny HTTP server publishing lists at `/lists/NAME`, with `ETag`s and `304`s, on a thread
/// (and runtime) of its own so that blocking CLI runs never stall it.
#[derive(Clone, Default)]
struct Lists {
    served: Arc<Mutex<HashMap<String, Served>>>,
    port: u16,
}

impl Lists {
    fn start() -> Lists {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let lists = Lists {
            served: Arc::default(),
            port: listener.local_addr().unwrap().port(),
        };
        let app = axum::Router::new()
            .route("/lists/{name}", axum::routing::get(serve_list))
            .with_state(lists.clone());
        std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                    axum::serve(listener, app).await.unwrap();
                })
        });
        lists
    }

    fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/lists/{name}", self.port)
    }

    fn set(&self, name: &str, status: u16, content_type: &'static str, body: impl Into<String>) {
        self.served
            .lock()
            .unwrap()
            .insert(name.to_owned(), (status, content_type, body.into()));
    }
}

async fn serve_list(
    State(lists): State<Lists>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some((status, content_type, body)) = lists.served.lock().unwrap().get(&name).cloned()
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut hasher);
    let etag = format!("\"{:x}\"", hasher.finish());
    if status == 200
        && headers
            .get(header::IF_NONE_MATCH)
            .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    (
        StatusCode::from_u16(status).unwrap(),
        [(header::CONTENT_TYPE, content_type), (header::ETAG, &etag)],
        body,
    )
        .into_response()
}

/// The rules in force as (domain, severity, source), from `hearth federation list`.
fn rules(hearth: &Hearth) -> Vec<(String, String, String)> {
    let (ok, out) = hearth.cli_stdout(&["federation", "list"]);
    assert!(ok, "{out}");
    out.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split(['│', '┆']).map(str::trim).collect();
            // ["", domain, severity, flags, public reason, source, expires, ""]
            (cells.len() == 8 && cells[1] != "domain").then(|| {
                (
                    cells[1].to_owned(),
                    cells[2].to_owned(),
                    cells[5].to_owned(),
                )
            })
        })
        .collect()
}

fn rule_of(hearth: &Hearth, domain: &str) -> Option<(String, String)> {
    rules(hearth)
        .into_iter()
        .find(|(d, _, _)| d == domain)
        .map(|(_, severity, source)| (severity, source))
}

fn is(severity: &str, source: &str) -> Option<(String, String)> {
    Some((severity.to_owned(), source.to_owned()))
}

fn run(hearth: &Hearth, args: &[&str]) -> String {
    let (ok, out) = hearth.cli(args);
    assert!(ok, "hearth {}: {out}", args.join(" "));
    out
}

const LIST_A: &str = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n\
    127.0.0.2,suspend,false,false,Harassment,false\n\
    spam.example,suspend,false,false,\"Spam, bots\",false\n\
    shared.example,suspend,false,false,,false\n\
    contested.example,silence,true,false,,false\n\
    friend.example,suspend,false,false,,false\n\
    skip.example,suspend,false,false,,false\n\
    a.skip.example,suspend,false,false,,false\n\
    127.0.0.1,suspend,false,false,,false\n";

const LIST_A_LATER: &str =
    "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n\
    friend.example,suspend,false,false,,false\n\
    new.example,silence,false,false,Loud,false\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribed_lists_apply_retract_take_over_and_yield_to_manual_rules() {
    let hearth = Hearth::start().await;
    let lists = Lists::start();
    hearth.create_group("climbing", &[]);
    let group = hearth.group("climbing");
    let inbox = hearth.group_inbox("climbing");
    let bad = peer_on("lemmy", "127.0.0.2").await;
    let troll = bad.add_person("troll").await.unwrap();
    deliver_expect(&bad, &troll, &inbox, &follow(&bad, &troll, &group), 202).await;
    assert_eq!(hearth.follower_count("climbing").await, 1);
    run(&hearth, &["federation", "allow", "friend.example"]);

    lists.set("a.csv", 200, "text/csv", LIST_A);
    lists.set(
        "b.json",
        200,
        "application/json",
        r#"[{"domain":"shared.example"},{"domain":"contested.example","severity":"suspend"}]"#,
    );
    let (a, b) = (lists.url("a.csv"), lists.url("b.json"));
    let out = run(
        &hearth,
        &[
            "federation",
            "subscribe",
            &a,
            "--priority",
            "10",
            "--exclude",
            "skip.example",
        ],
    );
    assert!(
        out.contains("as subscription 1 (8 entries read as csv)")
            && out.contains("+ spam.example suspend (subscription:1)")
            && out.contains("+ contested.example silence (subscription:1)")
            && out.contains("not applied: 127.0.0.1")
            && out.contains("not applied: a.skip.example: excluded (skip.example)")
            && out.contains("Removed 1 follow"),
        "{out}"
    );
    assert_eq!(
        hearth.follower_count("climbing").await,
        0,
        "a subscribed suspension removes follows as a manual one does"
    );
    let out = run(&hearth, &["federation", "subscribe", &b]);
    assert!(
        out.contains("as subscription 2 (2 entries read as json)")
            && out.contains("No rule changed"),
        "list 1 has the higher priority: {out}"
    );
    assert_eq!(
        rule_of(&hearth, "127.0.0.2"),
        is("suspend", "subscription:1")
    );
    assert_eq!(
        rule_of(&hearth, "spam.example"),
        is("suspend", "subscription:1")
    );
    assert_eq!(
        rule_of(&hearth, "shared.example"),
        is("suspend", "subscription:1")
    );
    assert_eq!(
        rule_of(&hearth, "contested.example"),
        is("silence", "subscription:1"),
        "priority decides the severity"
    );
    assert_eq!(
        rule_of(&hearth, "friend.example"),
        is("allow", "manual"),
        "a manual allow overrides a subscribed block"
    );
    for absent in ["skip.example", "a.skip.example", "127.0.0.1"] {
        assert_eq!(rule_of(&hearth, absent), None, "{absent} is never applied");
    }
    let (_, log) = hearth.cli(&["federation", "log"]);
    assert!(
        log.contains(&format!("subscription:{a}")) && log.contains("Spam, bots"),
        "{log}"
    );
    // Every process sees the new rules: the suspended instance is refused at the door.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let body = deliver_expect(&bad, &troll, &inbox, &follow(&bad, &troll, &group), 403).await;
    assert!(
        body.contains("suspended") && body.contains("Harassment"),
        "{body}"
    );

    // The list changes: four domains dropped, one added.
    lists.set("a.csv", 200, "text/plain", LIST_A_LATER);
    let out = run(&hearth, &["federation", "refresh", "1"]);
    assert!(
        out.contains("- spam.example lifted (was suspend from subscription:1)")
            && out.contains("- 127.0.0.2 lifted")
            && out.contains("+ new.example silence (subscription:1)")
            && out
                .contains("~ shared.example suspend -> suspend (subscription:1 -> subscription:2)")
            && out.contains("~ contested.example silence -> suspend"),
        "{out}"
    );
    assert_eq!(rule_of(&hearth, "spam.example"), None, "retracted");
    assert_eq!(rule_of(&hearth, "127.0.0.2"), None, "retracted");
    assert_eq!(
        rule_of(&hearth, "new.example"),
        is("silence", "subscription:1")
    );
    assert_eq!(
        rule_of(&hearth, "shared.example"),
        is("suspend", "subscription:2"),
        "a domain another list holds survives, now from that list"
    );
    assert_eq!(
        rule_of(&hearth, "contested.example"),
        is("suspend", "subscription:2")
    );
    let out = run(&hearth, &["federation", "refresh", "1"]);
    assert!(
        out.contains("not modified") && out.contains("No rule changed"),
        "{out}"
    );
    // Lifting restores nothing: the removed follow stays removed, but may be made again.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(hearth.follower_count("climbing").await, 0);
    deliver_expect(&bad, &troll, &inbox, &follow(&bad, &troll, &group), 202).await;
    assert_eq!(hearth.follower_count("climbing").await, 1);

    // Lifting a manual rule lets the list's entry apply.
    run(&hearth, &["federation", "block", "new.example"]);
    assert_eq!(rule_of(&hearth, "new.example"), is("suspend", "manual"));
    let out = run(&hearth, &["federation", "unblock", "new.example"]);
    assert!(
        out.contains("+ new.example silence (subscription:1)"),
        "{out}"
    );

    // Unsubscribing retracts what only that list held.
    let out = run(&hearth, &["federation", "unsubscribe", "2"]);
    assert!(
        out.contains("- shared.example lifted") && out.contains("- contested.example lifted"),
        "{out}"
    );
    let mut left = rules(&hearth);
    left.sort();
    assert_eq!(
        left,
        [
            (
                "friend.example".to_owned(),
                "allow".to_owned(),
                "manual".to_owned()
            ),
            (
                "new.example".to_owned(),
                "silence".to_owned(),
                "subscription:1".to_owned()
            ),
        ]
    );
    let (_, subs) = hearth.cli(&["federation", "subscriptions"]);
    assert!(
        subs.contains(&a) && !subs.contains(&b) && subs.contains("active"),
        "{subs}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drafts_wait_and_failed_refreshes_keep_the_last_good_copy() {
    let hearth = Hearth::start().await;
    let lists = Lists::start();
    let c = lists.url("c.txt");
    lists.set(
        "c.txt",
        200,
        "text/plain",
        "# a plain list\ndraft.example\n",
    );
    let out = run(
        &hearth,
        &["federation", "subscribe", &c, "--draft", "--every", "1d"],
    );
    assert!(
        out.contains("No rule changed")
            && out.contains("Draft: nothing applied")
            && out.contains("+ draft.example suspend (subscription:1)"),
        "the draft previews what it would apply: {out}"
    );
    assert!(rules(&hearth).is_empty(), "a draft applies nothing");
    let (_, subs) = hearth.cli(&["federation", "subscriptions"]);
    assert!(subs.contains("draft") && subs.contains("1d"), "{subs}");
    let out = run(&hearth, &["federation", "activate", "1"]);
    assert!(
        out.contains("+ draft.example suspend (subscription:1)"),
        "{out}"
    );
    assert_eq!(
        rule_of(&hearth, "draft.example"),
        is("suspend", "subscription:1")
    );

    // Failing refreshes change nothing and are recorded.
    let failures: [(u16, &'static str, String, &str); 4] = [
        (500, "text/plain", "oops".into(), "500"),
        (
            200,
            "text/html; charset=utf-8",
            "<!DOCTYPE html><html><body>Log in</body></html>".into(),
            "HTML",
        ),
        (
            200,
            "text/plain",
            "x.example\n".repeat(600_000),
            "larger than 5242880 bytes",
        ),
        (
            200,
            "text/plain",
            "draft.example\nnot a domain!\n".into(),
            "line 2",
        ),
    ];
    for (status, content_type, body, error) in failures {
        lists.set("c.txt", status, content_type, body);
        let (ok, out) = hearth.cli(&["federation", "refresh", "1"]);
        assert!(
            !ok && out.contains("last good copy stays in force") && out.contains(error),
            "{error}: {out}"
        );
        assert_eq!(
            rules(&hearth),
            [(
                "draft.example".to_owned(),
                "suspend".to_owned(),
                "subscription:1".to_owned()
            )],
            "{error}"
        );
        let (_, subs) = hearth.cli(&["federation", "subscriptions"]);
        assert!(subs.contains(error), "{error} is shown: {subs}");
    }

    lists.set("c.txt", 200, "text/plain", "draft.example\nlater.example\n");
    let out = run(&hearth, &["federation", "refresh", "--all"]);
    assert!(
        out.contains("+ later.example suspend (subscription:1)"),
        "{out}"
    );
    let (_, subs) = hearth.cli(&["federation", "subscriptions"]);
    assert!(!subs.contains("line 2"), "the error is cleared: {subs}");

    // A list that cannot be read is not subscribed to; nor is a URL twice.
    let (ok, out) = hearth.cli(&["federation", "subscribe", &lists.url("missing.csv")]);
    assert!(!ok && out.contains("404"), "{out}");
    let (ok, out) = hearth.cli(&["federation", "subscribe", &c]);
    assert!(!ok && out.contains("already subscribed"), "{out}");
    let (_, subs) = hearth.cli(&["federation", "subscriptions"]);
    assert!(!subs.contains("missing.csv"), "{subs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_are_managed_through_the_api() {
    use reqwest::Method;
    use serde_json::{json, Value};

    let hearth = Hearth::start().await;
    let lists = Lists::start();
    hearth.create_account("alice", "correct horse battery", true);
    let (ok, token) = hearth.cli_stdout(&["account", "token", "alice"]);
    assert!(ok, "{token}");
    let token = token.trim().to_owned();
    let call = |method: Method, path: &str, body: Option<Value>| {
        let mut request = hearth
            .client
            .request(method, hearth.url(path))
            .bearer_auth(&token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            (
                status,
                serde_json::from_str::<Value>(&text).unwrap_or_default(),
            )
        }
    };
    lists.set("a.txt", 200, "text/plain", "spam.example\nbots.example\n");
    let url = lists.url("a.txt");

    let (status, body) = call(
        Method::POST,
        "/api/v1/federation/subscriptions",
        Some(json!({"url": "ftp://x.example/list"})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("list_unusable")),
        "{body}"
    );
    let (status, body) = call(
        Method::POST,
        "/api/v1/federation/subscriptions",
        Some(json!({"url": lists.url("missing")})),
    )
    .await;
    assert_eq!(
        status, 422,
        "an unreadable list is not subscribed to: {body}"
    );
    let (status, report) = call(
        Method::POST,
        "/api/v1/federation/subscriptions",
        Some(json!({"url": url, "draft": true, "excludes": ["bots.example"]})),
    )
    .await;
    assert_eq!(status, 201, "{report}");
    assert!(
        report["applied"].as_array().unwrap().is_empty(),
        "a draft applies nothing: {report}"
    );
    let id = report["id"].as_i64().unwrap();
    let (status, _) = call(
        Method::POST,
        "/api/v1/federation/subscriptions",
        Some(json!({"url": url})),
    )
    .await;
    assert_eq!(status, 409);

    let (status, report) = call(
        Method::POST,
        &format!("/api/v1/federation/subscriptions/{id}/activate"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["applied"][0]["domain"], "spam.example");
    assert_eq!(report["applied"][0]["severity"], "suspend");
    assert_eq!(report["skipped"][0]["domain"], "bots.example");

    lists.set("a.txt", 500, "text/plain", "down");
    let (status, body) = call(
        Method::POST,
        &format!("/api/v1/federation/subscriptions/{id}/refresh"),
        None,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (_, subs) = call(Method::GET, "/api/v1/federation/subscriptions", None).await;
    assert!(
        subs[0]["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("500")),
        "{subs}"
    );
    assert_eq!(subs[0]["entries"], 2, "the last good copy stays in force");
    let (_, rules) = call(Method::GET, "/api/v1/federation/domains", None).await;
    assert_eq!(rules[0]["domain"], "spam.example");
    assert_eq!(rules[0]["source"], format!("subscription:{id}"));

    let (status, report) = call(
        Method::DELETE,
        &format!("/api/v1/federation/subscriptions/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        report["applied"][0]["severity"],
        Value::Null,
        "unsubscribing lifts what only it held"
    );
    let (status, _) = call(
        Method::POST,
        &format!("/api/v1/federation/subscriptions/{id}/refresh"),
        None,
    )
    .await;
    assert_eq!(status, 404);
}
