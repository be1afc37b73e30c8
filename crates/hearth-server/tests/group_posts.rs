//! Posts by the group itself: announcements (pinned, scheduled), polls with votes from
//! Mastodon and Misskey, and the welcome message new members get.

mod common;

use std::time::Duration;

use common::*;
use hearth_test_peer::{Peer, Received};
use reqwest::StatusCode;
use serde_json::{json, Value};
use url::Url;

const PASSWORD: &str = "correct horse battery";
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

fn cli_ok(hearth: &Hearth, args: &[&str]) -> String {
    let (ok, out) = hearth.cli(args);
    assert!(ok, "hearth {args:?} failed: {out}");
    out
}

fn cli_fails(hearth: &Hearth, args: &[&str], message: &str) {
    let (ok, out) = hearth.cli(args);
    assert!(!ok, "hearth {args:?} should fail: {out}");
    assert!(out.contains(message), "expected {message:?} in: {out}");
}

async fn api(
    hearth: &Hearth,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = hearth
        .client
        .request(method, hearth.url(path))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The `Create`s whose object has this id.
fn creates_of(received: &[Received], object_id: &str) -> usize {
    received
        .iter()
        .filter(|r| r.activity["type"] == "Create" && r.activity["object"]["id"] == object_id)
        .count()
}

/// A Mastodon member following the group, its Accept received and cleared.
async fn mastodon_member(hearth: &Hearth, name: &str) -> (Peer, Url) {
    let p = peer("mastodon").await;
    let person = p.add_person(name).await.unwrap();
    deliver_expect(
        &p,
        &person,
        &hearth.group_inbox("climbing"),
        &follow(&p, &person, &hearth.group("climbing")),
        202,
    )
    .await;
    wait_received(&p, "the Accept", |r| {
        r.iter().any(|x| x.activity_type() == "Accept")
    })
    .await;
    p.clear_received();
    (p, person)
}

/// A vote shaped as Mastodon sends it: a `Create` of a `Note` with the option as `name`,
/// addressed to the group only, with `#votes/N` ids.
fn mastodon_vote(voter: &Url, group: &Url, poll: &str, option: &str, n: u32) -> Value {
    let id = format!("{voter}#votes/{n}");
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{id}/activity"),
        "type": "Create",
        "actor": voter,
        "to": [group],
        "object": {
            "id": id,
            "type": "Note",
            "name": option,
            "attributedTo": voter,
            "inReplyTo": poll,
            "to": [group],
        },
    })
}

/// A vote shaped as Misskey sends it: the same, with note ids and an empty `cc`.
fn misskey_vote(p: &Peer, voter: &Url, group: &Url, poll: &str, option: &str) -> Value {
    let note = p.new_id("notes");
    json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": format!("{note}/activity"),
        "type": "Create",
        "actor": voter,
        "published": "2026-11-30T10:00:00.000Z",
        "to": [group],
        "cc": [],
        "object": {
            "id": note,
            "type": "Note",
            "attributedTo": voter,
            "name": option,
            "inReplyTo": poll,
            "to": [group],
            "cc": [],
        },
    })
}

/// The poll id printed by `hearth group poll`.
fn poll_id(out: &str) -> i64 {
    out.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pinned_announcement_reaches_followers_and_is_fetchable() {
    let hearth = Hearth::start().await;
    hearth.create_group("climbing", &["--title", "Climbing"]);
    let lemmy = followers(&hearth, 1).await;
    let (mastodon, _) = mastodon_member(&hearth, "alice").await;
    let token = hearth.admin_token("root", PASSWORD).await;

    let out = cli_ok(
        &hearth,
        &[
            "group",
            "announce",
            "climbing",
            "--text",
            "**Meetup** on Friday",
            "--pin",
        ],
    );
    let object_id = out
        .split_whitespace()
        .find(|w| w.contains("/posts/"))
        .unwrap()
        .to_owned();
    let group = hearth.group("climbing").to_string();
    for p in [&lemmy[0].0, &mastodon] {
        let received = wait_received(p, "the announcement and its pin", |r| {
            creates_of(r, &object_id) == 1 && r.iter().any(|x| x.activity["type"] == "Add")
        })
        .await;
        let create = received
            .iter()
            .find(|r| r.activity["type"] == "Create" && r.activity["object"]["id"] == object_id)
            .unwrap();
        assert!(create.signature_ok);
        let note = &create.activity["object"];
        assert_eq!(note["type"], "Note");
        assert_eq!(note["attributedTo"], group.as_str());
        assert_eq!(create.activity["actor"], group.as_str());
        assert_eq!(note["to"], json!([PUBLIC]));
        assert_eq!(note["cc"], json!([format!("{group}/followers")]));
        assert!(note["content"]
            .as_str()
            .unwrap()
            .contains("<strong>Meetup</strong>"));
        let add = received
            .iter()
            .find(|r| r.activity["type"] == "Add")
            .unwrap();
        assert_eq!(add.activity["object"], object_id.as_str());
        assert_eq!(add.activity["target"], format!("{group}/featured"));
    }

    let fetched = hearth.get_json(&Url::parse(&object_id).unwrap()).await;
    assert_eq!(fetched["id"], object_id.as_str());
    assert_eq!(fetched["type"], "Note");
    assert_eq!(fetched["attributedTo"], group.as_str());
    let featured = hearth
        .get_json(&hearth.url("/groups/climbing/featured"))
        .await;
    assert_eq!(featured["orderedItems"], json!([object_id]));
    let (status, page) = hearth.get_html("/groups/climbing").await;
    assert_eq!(status, 200);
    assert!(page.contains("From the group") && page.contains("<strong>Meetup</strong>"));

    // A time in the past is refused, and nothing is stored.
    cli_fails(
        &hearth,
        &[
            "group",
            "announce",
            "climbing",
            "--text",
            "Late",
            "--at",
            "2020-01-01 09:00",
        ],
        "in the past",
    );
    let (status, body) = api(
        &hearth,
        &token,
        reqwest::Method::POST,
        "/api/v1/groups/climbing/announcements",
        Some(json!({"text": "Late", "publish_at": "2020-01-01T09:00:00Z"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("in the past"));
    let (_, list) = api(
        &hearth,
        &token,
        reqwest::Method::GET,
        "/api/v1/groups/climbing/announcements",
        None,
    )
    .await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");

    // A time with an offset schedules the announcement, in UTC.
    let out = cli_ok(
        &hearth,
        &[
            "group",
            "announce",
            "climbing",
            "--text",
            "New year",
            "--at",
            "2099-01-01 09:00 +02:00",
        ],
    );
    assert!(out.contains("scheduled for 2099-01-01 07:00 UTC"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_announcement_is_published_when_its_time_comes() {
    let hearth = Hearth::start().await;
    hearth.create_group("climbing", &[]);
    let lemmy = followers(&hearth, 1).await;
    let token = hearth.admin_token("root", PASSWORD).await;
    let at = chrono::Utc::now() + chrono::Duration::seconds(2);
    let (status, body) = api(
        &hearth,
        &token,
        reqwest::Method::POST,
        "/api/v1/groups/climbing/announcements",
        Some(json!({"text": "Gym closed on Monday", "publish_at": at.to_rfc3339()})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body["published_at"].is_null(), "{body}");
    let object_id = body["object"].as_str().unwrap().to_owned();
    let early = hearth
        .client
        .get(&object_id)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(early.status(), StatusCode::NOT_FOUND);

    wait_received(&lemmy[0].0, "the scheduled announcement", |r| {
        creates_of(r, &object_id) == 1
    })
    .await;
    assert!(chrono::Utc::now() >= at, "published before its time");
    let fetched = hearth.get_json(&Url::parse(&object_id).unwrap()).await;
    assert!(fetched["content"]
        .as_str()
        .unwrap()
        .contains("Gym closed on Monday"));
    // Published once only.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(creates_of(&lemmy[0].0.received(), &object_id), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_and_misskey_votes_are_counted_and_federated() {
    let hearth = Hearth::start().await;
    hearth.create_group("climbing", &[]);
    let lemmy = followers(&hearth, 1).await;
    let (lemmy_peer, _) = &lemmy[0];
    let token = hearth.admin_token("root", PASSWORD).await;
    let group = hearth.group("climbing");
    let inbox = hearth.group_inbox("climbing");

    let out = cli_ok(
        &hearth,
        &[
            "group",
            "poll",
            "climbing",
            "--question",
            "Where shall we meet?",
            "--option",
            "Crag",
            "--option",
            "Gym",
            "--ends",
            "1h",
        ],
    );
    let id = poll_id(&out);
    let poll = hearth
        .url(&format!("/groups/climbing/posts/{id}"))
        .to_string();
    let received = wait_received(lemmy_peer, "the poll", |r| creates_of(r, &poll) == 1).await;
    let question = &received
        .iter()
        .find(|r| r.activity["type"] == "Create" && r.activity["object"]["id"] == poll)
        .unwrap()
        .activity["object"];
    assert_eq!(question["type"], "Question");
    assert_eq!(question["oneOf"][0]["name"], "Crag");
    assert_eq!(question["oneOf"][1]["replies"]["totalItems"], 0);
    assert!(question["endTime"].is_string());
    lemmy_peer.clear_received();

    let mastodon = peer("mastodon").await;
    let alice = mastodon.add_person("alice").await.unwrap();
    deliver_expect(
        &mastodon,
        &alice,
        &inbox,
        &mastodon_vote(&alice, &group, &poll, "Gym", 1),
        202,
    )
    .await;
    let misskey = peer("misskey").await;
    let bob = misskey.add_person("bob").await.unwrap();
    deliver_expect(
        &misskey,
        &bob,
        &hearth.url("/inbox"),
        &misskey_vote(&misskey, &bob, &group, &poll, "Crag"),
        202,
    )
    .await;

    let updates = wait_received(lemmy_peer, "the updated totals", |r| {
        r.iter()
            .any(|x| x.activity["type"] == "Update" && x.activity["object"]["votersCount"] == 2)
    })
    .await;
    let latest = updates
        .iter()
        .find(|x| x.activity["object"]["votersCount"] == 2)
        .unwrap();
    let question = &latest.activity["object"];
    assert_eq!(question["type"], "Question");
    assert_eq!(question["id"], poll.as_str());
    assert_eq!(question["oneOf"][0]["replies"]["totalItems"], 1);
    assert_eq!(question["oneOf"][1]["replies"]["totalItems"], 1);
    // The voter hears of the new totals too.
    wait_received(&mastodon, "the update to the voter", |r| {
        r.iter().any(|x| x.activity["type"] == "Update")
    })
    .await;

    // A second vote in a single-choice poll and an unknown option are refused.
    let body = deliver_expect(
        &mastodon,
        &alice,
        &inbox,
        &mastodon_vote(&alice, &group, &poll, "Crag", 2),
        422,
    )
    .await;
    assert!(body.contains("already voted"), "{body}");
    let body = deliver_expect(
        &mastodon,
        &alice,
        &inbox,
        &mastodon_vote(&alice, &group, &poll, "Beach", 3),
        422,
    )
    .await;
    assert!(body.contains("not an option"), "{body}");

    let results = cli_ok(
        &hearth,
        &["group", "poll-results", "climbing", &id.to_string()],
    );
    assert!(results.contains("2 voters, open"), "{results}");
    let (status, view) = api(
        &hearth,
        &token,
        reqwest::Method::GET,
        &format!("/api/v1/groups/climbing/polls/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["options"][0], json!({"name": "Crag", "votes": 1}));
    assert_eq!(view["options"][1], json!({"name": "Gym", "votes": 1}));
    assert_eq!(view["voters"], 2);
    let fetched = hearth.get_json(&Url::parse(&poll).unwrap()).await;
    assert_eq!(fetched["votersCount"], 2);
    let (_, page) = hearth.get_html("/groups/climbing").await;
    assert!(
        page.contains("<progress max=\"100\" value=\"50\">"),
        "{page}"
    );

    // Polls with one option or an end in the past are refused; nothing is stored.
    cli_fails(
        &hearth,
        &[
            "group",
            "poll",
            "climbing",
            "--question",
            "Yes?",
            "--option",
            "Yes",
            "--ends",
            "1d",
        ],
        "at least 2 options",
    );
    let (status, body) = api(
        &hearth,
        &token,
        reqwest::Method::POST,
        "/api/v1/groups/climbing/polls",
        Some(json!({"question": "When?", "options": ["Now", "Later"], "ends": "2020-01-01 09:00"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("in the past"));
    let (_, polls) = api(
        &hearth,
        &token,
        reqwest::Method::GET,
        "/api/v1/groups/climbing/polls",
        None,
    )
    .await;
    assert_eq!(polls.as_array().unwrap().len(), 1, "{polls}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ended_poll_refuses_votes_and_sends_its_final_results() {
    let hearth = Hearth::start().await;
    hearth.create_group("climbing", &[]);
    let lemmy = followers(&hearth, 1).await;
    let (lemmy_peer, _) = &lemmy[0];
    let token = hearth.admin_token("root", PASSWORD).await;
    let (status, body) = api(
        &hearth,
        &token,
        reqwest::Method::POST,
        "/api/v1/groups/climbing/polls",
        Some(
            json!({"question": "Rope or boulder?", "options": ["Rope", "Boulder"],
            "multiple": true, "ends": "2s"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let poll = body["object"].as_str().unwrap().to_owned();
    let mastodon = peer("mastodon").await;
    let alice = mastodon.add_person("alice").await.unwrap();
    let group = hearth.group("climbing");
    let inbox = hearth.group_inbox("climbing");
    // Several options of a multiple-choice poll count, the same one twice does not.
    for (option, n, status) in [("Rope", 1, 202), ("Boulder", 2, 202), ("Rope", 3, 422)] {
        deliver_expect(
            &mastodon,
            &alice,
            &inbox,
            &mastodon_vote(&alice, &group, &poll, option, n),
            status,
        )
        .await;
    }

    tokio::time::sleep(Duration::from_millis(2500)).await;
    let body = deliver_expect(
        &mastodon,
        &alice,
        &inbox,
        &mastodon_vote(&alice, &group, &poll, "Rope", 4),
        422,
    )
    .await;
    assert!(body.contains("closed"), "{body}");

    let received = wait_received(lemmy_peer, "the final results", |r| {
        r.iter()
            .any(|x| x.activity["type"] == "Update" && x.activity["object"]["closed"].is_string())
    })
    .await;
    let last = received
        .iter()
        .find(|x| x.activity["object"]["closed"].is_string())
        .unwrap();
    let question = &last.activity["object"];
    assert_eq!(question["anyOf"][0]["replies"]["totalItems"], 1);
    assert_eq!(question["anyOf"][1]["replies"]["totalItems"], 1);
    assert_eq!(question["votersCount"], 1);
    let (_, view) = api(
        &hearth,
        &token,
        reqwest::Method::GET,
        &format!("/api/v1/groups/climbing/polls/{}", body_id(&poll)),
        None,
    )
    .await;
    assert_eq!(view["closed"], true);
}

/// The row id at the end of a group post's object id.
fn body_id(object_id: &str) -> &str {
    object_id.rsplit('/').next().unwrap()
}

/// The direct messages `p` received (a `Create` addressed to one person, not public).
fn direct_messages(received: &[Received]) -> Vec<Value> {
    received
        .iter()
        .filter(|r| {
            r.activity["type"] == "Create"
                && !r.activity["to"]
                    .as_array()
                    .is_some_and(|to| to.iter().any(|t| t == PUBLIC))
        })
        .map(|r| r.activity.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_members_are_welcomed_unless_the_welcome_is_off() {
    let hearth = Hearth::start().await;
    hearth.create_group("climbing", &["--title", "Climbing Club"]);
    let group_url = hearth.group("climbing").to_string();
    let inbox = hearth.group_inbox("climbing");
    let p = peer("mastodon").await;

    // The default message names the group and links its rules.
    let alice = p.add_person("alice").await.unwrap();
    deliver_expect(
        &p,
        &alice,
        &inbox,
        &follow(&p, &alice, &hearth.group("climbing")),
        202,
    )
    .await;
    let received = wait_received(&p, "the welcome", |r| !direct_messages(r).is_empty()).await;
    let welcome = &direct_messages(&received)[0];
    assert_eq!(welcome["actor"], group_url.as_str());
    assert_eq!(welcome["to"], json!([alice]));
    let content = welcome["object"]["content"].as_str().unwrap();
    assert!(content.contains("Welcome to Climbing Club"), "{content}");
    assert!(content.contains(&format!("{group_url}#rules")), "{content}");
    p.clear_received();

    // The group's own text, from Markdown.
    cli_ok(
        &hearth,
        &[
            "group",
            "welcome",
            "climbing",
            "--text",
            "Hi! Read **the rules** first.",
        ],
    );
    let bob = p.add_person("bob").await.unwrap();
    deliver_expect(
        &p,
        &bob,
        &inbox,
        &follow(&p, &bob, &hearth.group("climbing")),
        202,
    )
    .await;
    let received =
        wait_received(&p, "the custom welcome", |r| !direct_messages(r).is_empty()).await;
    let content = direct_messages(&received)[0]["object"]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        content.contains("Hi! Read <strong>the rules</strong> first."),
        "{content}"
    );
    p.clear_received();

    // Turned off: the Accept comes, no message.
    let out = cli_ok(&hearth, &["group", "welcome", "climbing", "--off"]);
    assert!(out.contains("no welcome message"), "{out}");
    let carol = p.add_person("carol").await.unwrap();
    deliver_expect(
        &p,
        &carol,
        &inbox,
        &follow(&p, &carol, &hearth.group("climbing")),
        202,
    )
    .await;
    wait_received(&p, "the Accept", |r| {
        r.iter().any(|x| x.activity_type() == "Accept")
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(direct_messages(&p.received()).is_empty());

    // A request a moderator approves is welcomed too.
    hearth.create_group("hiking", &["--join-mode", "approval"]);
    let dave = p.add_person("dave").await.unwrap();
    deliver_expect(
        &p,
        &dave,
        &hearth.group_inbox("hiking"),
        &follow(&p, &dave, &hearth.group("hiking")),
        202,
    )
    .await;
    cli_ok(&hearth, &["group", "approve", "hiking", dave.as_str()]);
    let received = wait_received(&p, "the welcome after approval", |r| {
        direct_messages(r).iter().any(|m| m["to"] == json!([dave]))
    })
    .await;
    assert!(received.iter().any(|x| x.activity_type() == "Accept"));
}
