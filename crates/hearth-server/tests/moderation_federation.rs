//! Moderation between real processes: remote moderators remove, restore, lock and ban with
//! their own signed activities (others' are refused, and so are forged Announces of them);
//! bans end membership and lift by themselves; reports reach remote moderators as the group's `Flag`; closing a
//! case with remove and ban sends `Announce(Delete)` to followers, `Block` to the author's
//! instance and `Resolve` to a Lemmy reporter; staff file reports of their own.

mod common;

use std::time::Duration;

use common::*;
use hearth_test_peer::Peer;
use reqwest::StatusCode;
use serde_json::{json, Value};
use url::Url;

const PASSWORD: &str = "correct horse battery";
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

fn cli(hearth: &Hearth, args: &[&str]) -> String {
    let (ok, out) = tokio::task::block_in_place(|| hearth.cli(args));
    assert!(ok, "hearth {args:?} failed: {out}");
    out
}

/// An activity by `actor` of `kind` with the given extra fields.
fn activity(p: &Peer, actor: &Url, kind: &str, extra: Value) -> Value {
    let mut body = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": p.new_id(&kind.to_lowercase()),
        "type": kind,
        "actor": actor,
        "to": [PUBLIC],
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

/// Whether `a` is the group's Announce of an activity of type `kind` about `object`.
fn announced(a: &Value, kind: &str, object: &str) -> bool {
    a["type"] == "Announce" && a["object"]["type"] == kind && a["object"]["object"] == object
}

async fn group_page(hearth: &Hearth) -> String {
    let (status, html) = hearth.get_html("/groups/climbing").await;
    assert_eq!(status, 200);
    html
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_moderators_act_first_hand_and_others_are_refused() {
    let hearth = Hearth::start().await;
    hearth.create_group("climbing", &[]);
    let group = hearth.group("climbing");
    let inbox = hearth.group_inbox("climbing");
    let handle = format!("climbing@{}", hearth.authority());
    let members = followers(&hearth, 1).await;
    let (lemmy, _) = &members[0];

    let modpeer = peer("lemmy").await;
    let moderator = modpeer.add_person("mod").await.unwrap();
    cli(
        &hearth,
        &["group", "moderator", "add", "climbing", moderator.as_str()],
    );
    let (masto, alice) = author(&hearth).await;
    let (create, note) = mention_post(&masto, &alice, &group, &handle, "Cheap gear!", None);
    deliver_expect(&masto, &alice, &inbox, &create, 202).await;
    assert!(group_page(&hearth).await.contains("Cheap gear!"));

    // Someone who does not moderate the group cannot remove Alice's post.
    let other = peer("lemmy").await;
    let mallory = other.add_person("mallory").await.unwrap();
    let delete = activity(&other, &mallory, "Delete", json!({"object": note}));
    let body = deliver_expect(&other, &mallory, &inbox, &delete, 403).await;
    assert!(body.contains("not a moderator of climbing"), "{body}");
    // Nor can they pass one off as the moderator's by announcing it.
    let forged = activity(
        &other,
        &mallory,
        "Announce",
        json!({"object": {
            "id": format!("{moderator}/delete/1"), "type": "Delete", "actor": moderator,
            "object": note, "to": [PUBLIC],
        }}),
    );
    let body = deliver_expect(&other, &mallory, &inbox, &forged, 403).await;
    assert!(body.contains("not trusted"), "{body}");
    assert!(group_page(&hearth).await.contains("Cheap gear!"));

    // The moderator locks the thread: replies are refused, followers see the Lock.
    let lock = activity(
        &modpeer,
        &moderator,
        "Lock",
        json!({"object": note, "audience": group}),
    );
    deliver_expect(&modpeer, &moderator, &inbox, &lock, 202).await;
    wait_received(lemmy, "the announced Lock", |r| {
        r.iter().any(|x| announced(&x.activity, "Lock", &note))
    })
    .await;
    let (reply, _) = mention_post(&masto, &alice, &group, &handle, "Still here", Some(&note));
    let body = deliver_expect(&masto, &alice, &inbox, &reply, 403).await;
    assert!(body.contains("locked"), "{body}");
    let unlock = activity(
        &modpeer,
        &moderator,
        "Undo",
        json!({"object": {"id": lock["id"], "type": "Lock", "actor": moderator, "object": note}}),
    );
    deliver_expect(&modpeer, &moderator, &inbox, &unlock, 202).await;
    deliver_expect(&masto, &alice, &inbox, &reply, 202).await;

    // The moderator removes the post: hidden here, the Delete announced byte for byte.
    let remove = activity(
        &modpeer,
        &moderator,
        "Delete",
        json!({"object": note, "summary": "Counterfeit gear", "audience": group}),
    );
    deliver_expect(&modpeer, &moderator, &inbox, &remove, 202).await;
    let received = wait_received(lemmy, "the announced removal", |r| {
        r.iter().any(|x| announced(&x.activity, "Delete", &note))
    })
    .await;
    let announce = received
        .iter()
        .find(|x| announced(&x.activity, "Delete", &note))
        .unwrap();
    assert!(announce.signature_ok);
    assert_eq!(announce.activity["object"], remove);
    assert!(!group_page(&hearth).await.contains("Cheap gear!"));
    let log = hearth
        .get_json(&hearth.url("/api/v1/groups/climbing/modlog"))
        .await;
    let items = log["items"].as_array().expect("modlog items");
    assert!(
        items.iter().any(|e| e["action"] == "post.remove"
            && e["target"] == note.as_str()
            && e["reason"] == "Counterfeit gear"),
        "{log}"
    );

    // Undo of the removal restores it.
    let restore = activity(
        &modpeer,
        &moderator,
        "Undo",
        json!({"object": {"id": remove["id"], "type": "Delete", "actor": moderator, "object": note}}),
    );
    deliver_expect(&modpeer, &moderator, &inbox, &restore, 202).await;
    assert!(group_page(&hearth).await.contains("Cheap gear!"));

    // The moderator pins the thread to the group's featured collection.
    let featured = hearth.url("/groups/climbing/featured");
    let pin = activity(
        &modpeer,
        &moderator,
        "Add",
        json!({"object": note, "target": featured, "audience": group}),
    );
    deliver_expect(&modpeer, &moderator, &inbox, &pin, 202).await;
    let collection = hearth.get_json(&featured).await;
    assert_eq!(collection["orderedItems"], json!([note]), "{collection}");
    // Appointing moderators stays with the group's own staff.
    let appoint = activity(
        &modpeer,
        &moderator,
        "Add",
        json!({"object": mallory, "target": hearth.url("/groups/climbing/moderators")}),
    );
    deliver_expect(&modpeer, &moderator, &inbox, &appoint, 403).await;

    // A ban that ends in the past is refused and changes nothing.
    let stale = activity(
        &modpeer,
        &moderator,
        "Block",
        json!({"object": alice, "target": group, "endTime": "2020-01-01T00:00:00Z"}),
    );
    let body = deliver_expect(&modpeer, &moderator, &inbox, &stale, 422).await;
    assert!(body.contains("in the past"), "{body}");
    post(&hearth, &masto, &alice, "Not banned yet").await;

    // A three-second ban: Alice is refused, then lets in again once it ends by itself.
    let end = chrono::Utc::now() + chrono::Duration::seconds(3);
    let ban = activity(
        &modpeer,
        &moderator,
        "Block",
        json!({"object": alice, "target": group, "summary": "Cool off",
               "endTime": end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
               "removeData": false, "audience": group}),
    );
    deliver_expect(&modpeer, &moderator, &inbox, &ban, 202).await;
    wait_received(&masto, "the ban, announced to the banned person", |r| {
        r.iter()
            .any(|x| announced(&x.activity, "Block", alice.as_str()))
    })
    .await;
    let (banned_post, _) = mention_post(&masto, &alice, &group, &handle, "Let me in", None);
    let body = deliver_expect(&masto, &alice, &inbox, &banned_post, 403).await;
    assert!(body.contains("banned from climbing"), "{body}");
    // The ban ended her membership too; following again is refused while it lasts.
    let refollow = follow(&masto, &alice, &group);
    deliver_expect(&masto, &alice, &inbox, &refollow, 202).await;
    wait_received(&masto, "the Reject of a banned person's follow", |r| {
        r.iter().any(|x| x.activity["type"] == "Reject")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(3200)).await;
    let refollow = follow(&masto, &alice, &group);
    deliver_expect(&masto, &alice, &inbox, &refollow, 202).await;
    let (after, _) = mention_post(&masto, &alice, &group, &handle, "Back again", None);
    deliver_expect(&masto, &alice, &inbox, &after, 202).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_reach_remote_moderators_and_resolving_acts_everywhere() {
    let hearth = Hearth::start().await;
    hearth.create_group("climbing", &[]);
    let token = hearth.admin_token("root", PASSWORD).await;
    let group = hearth.group("climbing");
    let inbox = hearth.group_inbox("climbing");
    let handle = format!("climbing@{}", hearth.authority());
    let members = followers(&hearth, 1).await;
    let (lemmy, _) = &members[0];
    let modpeer = peer("lemmy").await;
    let moderator = modpeer.add_person("mod").await.unwrap();
    cli(
        &hearth,
        &["group", "moderator", "add", "climbing", moderator.as_str()],
    );
    let (masto, alice) = author(&hearth).await;
    let (create, note) = mention_post(&masto, &alice, &group, &handle, "Cheap gear!", None);
    deliver_expect(&masto, &alice, &inbox, &create, 202).await;

    // A Mastodon-shaped report, and a Lemmy user's report of the same post: one case.
    let reporter_peer = peer("mastodon").await;
    let instance_actor = reporter_peer.add_person("actor").await.unwrap();
    let flag = activity(
        &reporter_peer,
        &instance_actor,
        "Flag",
        json!({"content": "Counterfeit gear", "object": [alice, note], "bto": [group], "to": []}),
    );
    deliver_expect(
        &reporter_peer,
        &instance_actor,
        &hearth.url("/inbox"),
        &flag,
        202,
    )
    .await;
    let lemmy_reporter = peer("lemmy").await;
    let carol = lemmy_reporter.add_person("carol").await.unwrap();
    let lemmy_flag = activity(
        &lemmy_reporter,
        &carol,
        "Flag",
        json!({"summary": "Spam", "object": note, "audience": group, "to": [group]}),
    );
    deliver_expect(&lemmy_reporter, &carol, &inbox, &lemmy_flag, 202).await;
    wait_for_nodeinfo(&lemmy_reporter).await;

    // The remote moderator gets the reports as signed Flags from the group.
    let received = wait_received(&modpeer, "the forwarded reports", |r| {
        r.iter().filter(|x| x.activity["type"] == "Flag").count() >= 2
    })
    .await;
    let forwarded = received
        .iter()
        .find(|x| x.activity["type"] == "Flag" && x.activity["content"] == "Counterfeit gear")
        .expect("the Mastodon report, forwarded");
    assert!(forwarded.signature_ok, "{:?}", forwarded.signature_error);
    assert_eq!(forwarded.activity["actor"], group.as_str());
    assert!(forwarded.activity["object"]
        .as_array()
        .unwrap()
        .contains(&json!(note)));

    let cases: Value = hearth
        .client
        .get(hearth.url("/api/v1/groups/climbing/cases"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cases.as_array().unwrap().len(), 1, "{cases}");
    let case_id = cases[0]["id"].as_i64().unwrap();

    // Resolving with remove and a week's ban, in one step.
    let until = chrono::Utc::now() + chrono::Duration::days(7);
    let response = hearth
        .client
        .post(hearth.url(&format!("/api/v1/groups/climbing/cases/{case_id}/decision")))
        .bearer_auth(&token)
        .json(&json!({
            "decision": "resolved",
            "reason": "Counterfeit gear",
            "remove_post": true,
            "ban": {"expires_at": until.to_rfc3339(), "remove_data": false},
        }))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let decided: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["state"], "resolved");

    let received = wait_received(lemmy, "the announced removal", |r| {
        r.iter().any(|x| announced(&x.activity, "Delete", &note))
    })
    .await;
    let removal = received
        .iter()
        .find(|x| announced(&x.activity, "Delete", &note))
        .unwrap();
    assert!(removal.signature_ok);
    assert_eq!(removal.activity["object"]["actor"], group.as_str());
    assert_eq!(removal.activity["object"]["summary"], "Counterfeit gear");
    let received = wait_received(&masto, "the Block at the author's instance", |r| {
        r.iter()
            .any(|x| x.activity["type"] == "Block" && x.activity["object"] == alice.as_str())
    })
    .await;
    let block = received
        .iter()
        .find(|x| x.activity["type"] == "Block")
        .unwrap();
    assert!(block.signature_ok);
    assert_eq!(block.activity["target"], group.as_str());
    assert!(block.activity["endTime"].is_string());
    assert_eq!(block.activity["summary"], "Counterfeit gear");
    let received = wait_received(&lemmy_reporter, "the Resolve for the Lemmy reporter", |r| {
        r.iter().any(|x| x.activity["type"] == "Resolve")
    })
    .await;
    let resolve = received
        .iter()
        .find(|x| x.activity["type"] == "Resolve")
        .unwrap();
    assert_eq!(resolve.activity["object"]["id"], lemmy_flag["id"]);

    // The post is gone from the group, Alice is banned, and the modlog has it all.
    assert!(!group_page(&hearth).await.contains("Cheap gear!"));
    let (again, _) = mention_post(&masto, &alice, &group, &handle, "Again", None);
    let body = deliver_expect(&masto, &alice, &inbox, &again, 403).await;
    assert!(body.contains("banned"), "{body}");
    let log = hearth
        .get_json(&hearth.url("/api/v1/groups/climbing/modlog"))
        .await;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for expected in ["post.remove", "member.ban", "case.resolved"] {
        assert!(actions.contains(&expected), "{expected} missing: {log}");
    }

    // An abusive reporter can be ignored: their reports are acknowledged and dropped.
    let out = cli(
        &hearth,
        &[
            "federation",
            "ignore-reporter",
            carol.as_str(),
            "--reason",
            "floods",
        ],
    );
    assert!(out.contains("now ignored"), "{out}");
    let more = activity(
        &lemmy_reporter,
        &carol,
        "Flag",
        json!({"summary": "Spam again", "object": note, "to": [group]}),
    );
    let body = deliver_expect(&lemmy_reporter, &carol, &inbox, &more, 202).await;
    assert!(body.contains("ignored"), "{body}");
    let open: Value = hearth
        .client
        .get(hearth.url("/api/v1/groups/climbing/cases"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(open.as_array().unwrap().len(), 0, "{open}");

    // Staff file a report here too: it opens a case and reaches the remote moderator.
    let response = hearth
        .client
        .post(hearth.url("/api/v1/groups/climbing/reports"))
        .bearer_auth(&token)
        .json(&json!({"subject": alice, "reason": "Ban evasion from a second account"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let case: Value = response.json().await.unwrap();
    assert_eq!(case["subject"], alice.as_str());
    assert_eq!(case["state"], "open");
    wait_received(&modpeer, "the staff report", |r| {
        r.iter().any(|x| {
            x.activity["type"] == "Flag"
                && x.activity["content"] == "Ban evasion from a second account"
        })
    })
    .await;
    let empty = hearth
        .client
        .post(hearth.url("/api/v1/groups/climbing/reports"))
        .bearer_auth(&token)
        .json(&json!({"subject": alice, "reason": " "}))
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The moderators hand it to the admins, who can still resolve it.
    let decide = |decision: &str| {
        hearth
            .client
            .post(hearth.url(&format!(
                "/api/v1/groups/climbing/cases/{}/decision",
                case["id"]
            )))
            .bearer_auth(&token)
            .json(&json!({"decision": decision, "reason": "for the admins"}))
            .send()
    };
    assert_eq!(decide("escalated").await.unwrap().status(), StatusCode::OK);
    assert_eq!(
        decide("escalated").await.unwrap().status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let resolved = decide("resolved").await.unwrap();
    assert_eq!(resolved.status(), StatusCode::OK);
    assert_eq!(resolved.json::<Value>().await.unwrap()["state"], "resolved");
}
