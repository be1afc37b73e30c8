//! Hostile and broken input: each gets a clear 4xx and changes nothing.

mod common;

use std::time::{Duration, SystemTime};

use common::*;
use hearth_test_peer::{DigestMode, Peer, SignOptions};
use serde_json::json;
use url::Url;

struct Setup {
    hearth: Hearth,
    peer: Peer,
    alice: Url,
    group: Url,
    inbox: Url,
}

async fn setup() -> Setup {
    let hearth = Hearth::start().await;
    hearth.create_group("climbing", &[]);
    let peer = peer("mastodon").await;
    let alice = peer.add_person("alice").await.unwrap();
    let group = hearth.group("climbing");
    let inbox = hearth.group_inbox("climbing");
    deliver_expect(&peer, &alice, &inbox, &follow(&peer, &alice, &group), 202).await;
    Setup {
        hearth,
        peer,
        alice,
        group,
        inbox,
    }
}

async fn outbox_total(hearth: &Hearth) -> i64 {
    hearth
        .get_json(&hearth.url("/groups/climbing/outbox"))
        .await["totalItems"]
        .as_i64()
        .unwrap()
}

async fn send(s: &Setup, body: Vec<u8>, opts: SignOptions) -> (u16, String) {
    let d = s
        .peer
        .deliver_with(&s.alice, &s.inbox, body, opts)
        .await
        .unwrap();
    (d.status, d.body)
}

fn post(s: &Setup, text: &str) -> serde_json::Value {
    mention_post(
        &s.peer,
        &s.alice,
        &s.group,
        &format!("climbing@{}", s.hearth.authority()),
        text,
        None,
    )
    .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_requests_are_refused_and_change_nothing() {
    let s = setup().await;
    let before = outbox_total(&s.hearth).await;
    let valid = serde_json::to_vec(&post(&s, "hello")).unwrap();

    let cases: Vec<(&str, Vec<u8>, SignOptions, u16, &str)> = vec![
        (
            "malformed JSON",
            b"{\"type\": \"Create\",".to_vec(),
            SignOptions::default(),
            400,
            "malformed JSON",
        ),
        (
            "a JSON array",
            b"[1, 2]".to_vec(),
            SignOptions::default(),
            400,
            "not a JSON object",
        ),
        (
            "no signature",
            valid.clone(),
            SignOptions {
                sign: false,
                ..SignOptions::default()
            },
            401,
            "not signed",
        ),
        (
            "no Digest",
            valid.clone(),
            SignOptions {
                digest: DigestMode::Missing,
                signed_headers: Some(vec![
                    "(request-target)".into(),
                    "host".into(),
                    "date".into(),
                ]),
                ..SignOptions::default()
            },
            401,
            "Digest",
        ),
        (
            "a Digest that does not match",
            valid.clone(),
            SignOptions {
                digest: DigestMode::Wrong,
                ..SignOptions::default()
            },
            400,
            "does not match",
        ),
        (
            "a replayed signature from two hours ago",
            valid.clone(),
            SignOptions {
                date: Some(SystemTime::now() - Duration::from_secs(7200)),
                ..SignOptions::default()
            },
            401,
            "expired",
        ),
        (
            "a signature dated in the future",
            valid.clone(),
            SignOptions {
                date: Some(SystemTime::now() + Duration::from_secs(7200)),
                ..SignOptions::default()
            },
            401,
            "future",
        ),
        (
            "a signature without the host header",
            valid.clone(),
            SignOptions {
                signed_headers: Some(vec![
                    "(request-target)".into(),
                    "date".into(),
                    "digest".into(),
                ]),
                ..SignOptions::default()
            },
            401,
            "host",
        ),
    ];
    for (what, body, opts, status, needle) in cases {
        let (got, text) = send(&s, body, opts).await;
        assert_eq!(got, status, "{what}: {text}");
        assert!(text.contains(needle), "{what}: {text}");
    }

    // Signed with someone else's key.
    let mallory = s.peer.add_person("mallory").await.unwrap();
    let (got, text) = send(
        &s,
        valid.clone(),
        SignOptions {
            key_of: Some(mallory.clone()),
            ..SignOptions::default()
        },
    )
    .await;
    assert_eq!(got, 401, "{text}");
    // Validly signed by another actor than the activity's (forwarded or forged).
    let d = s
        .peer
        .deliver(&mallory, &s.inbox, &post(&s, "not mine"))
        .await
        .unwrap();
    assert_eq!(d.status, 401, "{}", d.body);
    assert!(d.body.contains("not the key of the actor"), "{}", d.body);

    // Over the size limit.
    let mut huge = post(&s, "big");
    huge["object"]["content"] = json!("x".repeat(1024 * 1024 + 10));
    let (got, text) = send(
        &s,
        serde_json::to_vec(&huge).unwrap(),
        SignOptions::default(),
    )
    .await;
    assert_eq!(got, 413);
    assert!(text.contains("larger than this server accepts"), "{text}");

    assert_eq!(
        outbox_total(&s.hearth).await,
        before,
        "nothing was announced"
    );
    // The valid request itself still goes through afterwards.
    let (got, text) = send(&s, valid, SignOptions::default()).await;
    assert_eq!(got, 202, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spoofed_forged_and_unknown_activities_are_refused() {
    let s = setup().await;
    let before = outbox_total(&s.hearth).await;

    let mut spoofed = post(&s, "spoof");
    spoofed["id"] = json!("https://evil.example/activities/1");
    let body = deliver_expect(&s.peer, &s.alice, &s.inbox, &spoofed, 403).await;
    assert!(body.contains("another host"), "{body}");

    let forged = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": s.hearth.url("/activities/forged").as_str(), "type": "Announce", "actor": s.group,
        "object": post(&s, "forged")});
    let body = deliver_expect(&s.peer, &s.alice, &s.inbox, &forged, 403).await;
    assert!(body.contains("local actor"), "{body}");

    let mut stolen = post(&s, "stolen");
    stolen["object"]["attributedTo"] = json!("https://elsewhere.example/users/zed");
    deliver_expect(&s.peer, &s.alice, &s.inbox, &stolen, 403).await;

    let bite = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": s.peer.new_id("bite"),
                      "type": "Bite", "actor": s.alice, "target": s.group});
    let body = deliver_expect(&s.peer, &s.alice, &s.inbox, &bite, 422).await;
    assert!(body.contains("does not handle Bite"), "{body}");

    let mut private = post(&s, "psst");
    private["to"] = json!([s.group]);
    private["cc"] = json!([]);
    private["object"]["to"] = json!([s.group]);
    private["object"]["cc"] = json!([]);
    let body = deliver_expect(&s.peer, &s.alice, &s.inbox, &private, 422).await;
    assert!(body.contains("only public posts"), "{body}");

    assert_eq!(
        outbox_total(&s.hearth).await,
        before,
        "nothing was announced"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_html_is_stored_but_never_rendered_live() {
    let s = setup().await;
    let attack = "Climb <script>alert('x')</script><img src=x onerror=alert(1)><a href=\"javascript:alert(2)\">click</a>";
    let create = post(&s, attack);
    deliver_expect(&s.peer, &s.alice, &s.inbox, &create, 202).await;

    let (_, group_page) = s.hearth.get_html("/groups/climbing").await;
    let link = group_page
        .replace("&#x2f;", "/")
        .split("href=\"")
        .find_map(|h| h.split('"').next().filter(|h| h.contains("/threads/")))
        .unwrap()
        .to_owned();
    let path = Url::parse(&link).unwrap().path().to_owned();
    let (status, thread) = s.hearth.get_html(&path).await;
    assert_eq!(status, 200);
    assert!(thread.contains("Climb"), "{thread}");
    for bad in ["<script", "onerror", "javascript:"] {
        assert!(!thread.contains(bad), "{bad} reached the page: {thread}");
        assert!(!group_page.contains(bad), "{bad} reached the group page");
    }
    // Stored and relayed as received.
    let outbox = s
        .hearth
        .get_json(&s.hearth.url("/groups/climbing/outbox?page=true"))
        .await;
    assert!(outbox.to_string().contains("<script>alert('x')</script>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_addresses_are_refused_without_contacting_them() {
    let hearth = Hearth::start_with(Options {
        allow_private: false,
        ..Options::default()
    })
    .await;
    hearth.create_group("climbing", &[]);
    let peer = peer("mastodon").await;
    let alice = peer.add_person("alice").await.unwrap();
    peer.clear_received();
    let before = peer.requests().len();
    let body = deliver_expect(
        &peer,
        &alice,
        &hearth.group_inbox("climbing"),
        &follow(&peer, &alice, &hearth.group("climbing")),
        403,
    )
    .await;
    assert!(
        body.contains("private or loopback") || body.contains("http://"),
        "{body}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        peer.requests().len(),
        before,
        "Hearth must not fetch anything from a private address"
    );
    assert_eq!(hearth.follower_count("climbing").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_key_is_refetched_once() {
    let s = setup().await;
    s.peer.rotate_key(&s.alice).await.unwrap();
    let fetches_before = s
        .peer
        .requests()
        .iter()
        .filter(|r| r.path == "/users/alice")
        .count();
    let create = post(&s, "signed with my new key");
    deliver_expect(&s.peer, &s.alice, &s.inbox, &create, 202).await;
    let fetches_after = s
        .peer
        .requests()
        .iter()
        .filter(|r| r.path == "/users/alice")
        .count();
    assert_eq!(
        fetches_after,
        fetches_before + 1,
        "exactly one refetch of the actor"
    );
}
