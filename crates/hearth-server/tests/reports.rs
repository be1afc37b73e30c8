//! Reports (`Flag`) from other instances, between real processes: Mastodon, Lemmy and Misskey
//! shapes become one case per reported post; `Undo` withdraws; a report about nothing held
//! here is a 422; floods are rate-limited per reporter; instances whose reports are rejected
//! are answered 202 and ignored; moderators close cases from the command line or the API.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";

async fn cases(hearth: &Hearth, token: &str) -> Vec<Value> {
    let response = hearth
        .client
        .get(hearth.url("/api/v1/groups/climbing/cases"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response
        .json::<Value>()
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn flag(p: &hearth_test_peer::Peer, actor: &url::Url, extra: Value) -> Value {
    let mut flag = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": p.new_id("flag"),
        "type": "Flag",
        "actor": actor,
    });
    for (k, v) in extra.as_object().unwrap() {
        flag[k] = v.clone();
    }
    flag
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_become_cases_that_moderators_close() {
    let hearth = Hearth::start().await;
    hearth.create_group("climbing", &[]);
    let token = hearth.admin_token("root", PASSWORD).await;
    let group = hearth.group("climbing");
    let inbox = hearth.group_inbox("climbing");
    let shared = hearth.url("/inbox");
    let handle = format!("climbing@{}", hearth.authority());

    let (masto, alice) = author(&hearth).await;
    let (create, note) = mention_post(&masto, &alice, &group, &handle, "Cheap gear!", None);
    deliver_expect(&masto, &alice, &inbox, &create, 202).await;

    // Mastodon: from the instance's actor, object = [account, status], bto instead of to.
    let mreporter = peer("mastodon").await;
    let instance = mreporter.add_person("actor").await.unwrap();
    let first = flag(
        &mreporter,
        &instance,
        json!({"content": "Counterfeit gear", "object": [alice, note], "bto": [group]}),
    );
    deliver_expect(&mreporter, &instance, &shared, &first, 202).await;
    let open = cases(&hearth, &token).await;
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0]["subject"], note.as_str());
    assert_eq!(open[0]["reports"][0]["reason"], "Counterfeit gear");
    assert_eq!(open[0]["reports"][0]["reported"], alice.as_str());
    let (ok, out) = hearth.cli(&["group", "reports", "climbing"]);
    assert!(ok && out.contains("Counterfeit gear"), "{out}");

    // Lemmy: from a user, to the group, summary and audience; joins the same case.
    let lemmy = peer("lemmy").await;
    let carol = lemmy.add_person("carol").await.unwrap();
    let second = flag(
        &lemmy,
        &carol,
        json!({"summary": "Spam", "object": note, "audience": group, "to": [group]}),
    );
    deliver_expect(&lemmy, &carol, &inbox, &second, 202).await;
    // Misskey: the status URL inside the comment.
    let misskey = peer("misskey").await;
    let mk = misskey.add_person("instance.actor").await.unwrap();
    let third = flag(
        &misskey,
        &mk,
        json!({"content": format!("Note: {note}\n-----\nSpam"), "object": [alice]}),
    );
    deliver_expect(&misskey, &mk, &shared, &third, 202).await;
    let open = cases(&hearth, &token).await;
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0]["reports"].as_array().unwrap().len(), 3);
    assert_eq!(open[0]["active_reports"], 3);

    // NodeBB-style Undo(Flag) withdraws the report.
    let undo = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": lemmy.new_id("undo"),
        "type": "Undo",
        "actor": carol,
        "object": {"id": second["id"], "type": "Flag", "actor": carol, "object": note},
    });
    deliver_expect(&lemmy, &carol, &inbox, &undo, 202).await;
    let open = cases(&hearth, &token).await;
    assert_eq!(open[0]["active_reports"], 2, "{open:?}");
    assert!(!open[0]["reports"][1]["withdrawn_at"].is_null());

    // About nothing held here: 422, nothing stored.
    let unknown = flag(
        &lemmy,
        &carol,
        json!({"summary": "?", "object": "https://elsewhere.example/post/1", "to": [group]}),
    );
    let body = deliver_expect(&lemmy, &carol, &inbox, &unknown, 422).await;
    assert!(body.contains("names nothing this server holds"), "{body}");
    let open = cases(&hearth, &token).await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["reports"].as_array().unwrap().len(), 3);

    // A flood: ten reports an hour per reporter, then 429; others still get through.
    for i in 1..10 {
        let more = flag(
            &mreporter,
            &instance,
            json!({"content": format!("again {i}"), "object": [note]}),
        );
        deliver_expect(&mreporter, &instance, &shared, &more, 202).await;
    }
    let flood = flag(
        &mreporter,
        &instance,
        json!({"content": "more", "object": [note]}),
    );
    let body = deliver_expect(&mreporter, &instance, &shared, &flood, 429).await;
    assert!(body.contains("reports in the last hour"), "{body}");
    let other = flag(&lemmy, &carol, json!({"summary": "me too", "object": note}));
    deliver_expect(&lemmy, &carol, &inbox, &other, 202).await;
    let open = cases(&hearth, &token).await;
    assert_eq!(open[0]["reports"].as_array().unwrap().len(), 13);

    // A report about a member (no post) opens its own case; the API closes it.
    let about_member = flag(
        &lemmy,
        &carol,
        json!({"summary": "Harassment", "object": alice, "to": [group]}),
    );
    deliver_expect(&lemmy, &carol, &inbox, &about_member, 202).await;
    let open = cases(&hearth, &token).await;
    assert_eq!(open.len(), 2);
    let member_case = open
        .iter()
        .find(|c| c["subject"] == alice.as_str())
        .unwrap();
    let decided = hearth
        .client
        .post(hearth.url(&format!(
            "/api/v1/groups/climbing/cases/{}/decision",
            member_case["id"]
        )))
        .bearer_auth(&token)
        .json(&json!({"decision": "dismissed", "reason": "no harassment found"}))
        .send()
        .await
        .unwrap();
    assert_eq!(decided.status(), StatusCode::OK);
    let decided: Value = decided.json().await.unwrap();
    assert_eq!(decided["state"], "dismissed");
    assert_eq!(decided["closed_by"], "staff:root");

    // The command line resolves the post's case; a new report then opens a new case.
    let post_case = open[0]["id"].as_i64().unwrap().to_string();
    let (ok, out) = hearth.cli(&[
        "group", "case", "resolve", "climbing", &post_case, "--reason", "removed",
    ]);
    assert!(ok && out.contains("resolved"), "{out}");
    let (ok, out) = hearth.cli(&["group", "case", "dismiss", "climbing", &post_case]);
    assert!(!ok && out.contains("no open case"), "{out}");
    assert!(cases(&hearth, &token).await.is_empty());
    let (ok, out) = hearth.cli(&["group", "reports", "climbing"]);
    assert!(ok && out.contains("No open reports"), "{out}");

    // An instance whose reports are rejected is answered 202 and ignored.
    let quiet = peer_on("lemmy", "127.0.0.7").await;
    let dave = quiet.add_person("dave").await.unwrap();
    let (ok, out) = hearth.cli(&[
        "federation",
        "block",
        "127.0.0.7",
        "--severity",
        "noop",
        "--reject-reports",
    ]);
    assert!(ok, "{out}");
    let mut ignored_id = String::new();
    eventually("reports from the instance to be ignored", || {
        let ignored = flag(&quiet, &dave, json!({"summary": "x", "object": note}));
        ignored_id = ignored["id"].as_str().unwrap().to_owned();
        let (quiet, dave, inbox) = (&quiet, &dave, &inbox);
        async move {
            let body = deliver_expect(quiet, dave, inbox, &ignored, 202).await;
            body.contains("not taken here")
        }
    })
    .await
    .unwrap();
    let open = cases(&hearth, &token).await;
    assert!(
        open.iter()
            .flat_map(|c| c["reports"].as_array().unwrap())
            .all(|r| r["id"] != ignored_id.as_str()),
        "{open:?}"
    );
}
