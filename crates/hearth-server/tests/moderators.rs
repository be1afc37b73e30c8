//! Moderators from other instances, between real processes: appointed from the command line
//! or the API, announced to followers as signed `Add`/`Remove` (Lemmy's shape), listed in the
//! moderators collection and the outbox, and allowed to start threads where only moderators may.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";

fn cli(hearth: &Hearth, args: &[&str]) -> String {
    let (ok, out) = tokio::task::block_in_place(|| hearth.cli(args));
    assert!(ok, "hearth {args:?} failed: {out}");
    out
}

fn moderates(kind: &str, actor: &url::Url, collection: &str) -> impl Fn(&Value) -> bool {
    let kind = kind.to_owned();
    let actor = actor.to_string();
    let collection = collection.to_owned();
    move |a: &Value| a["type"] == kind && a["object"] == actor && a["target"] == collection
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_moderators_are_announced_listed_and_may_start_threads() {
    let hearth = Hearth::start().await;
    hearth.create_group("climbing", &["--posting", "moderators"]);
    let group = hearth.group("climbing");
    let collection = hearth.url("/groups/climbing/moderators").to_string();
    let handle = format!("climbing@{}", hearth.authority());

    let members = followers(&hearth, 1).await;
    let (lemmy, member) = &members[0];
    let modpeer = peer("lemmy").await;
    let moderator = modpeer.add_person("mod").await.unwrap();

    let out = cli(
        &hearth,
        &["group", "moderator", "add", "climbing", moderator.as_str()],
    );
    assert!(out.contains("moderates climbing"), "{out}");
    let is_add = moderates("Add", &moderator, &collection);
    let received = wait_received(lemmy, "the Add", |r| r.iter().any(|x| is_add(&x.activity))).await;
    let add = received.iter().find(|x| is_add(&x.activity)).unwrap();
    assert!(add.signature_ok, "{:?}", add.signature_error);
    assert_eq!(add.activity["actor"], group.as_str());
    assert!(add.key_id.as_deref().unwrap().starts_with(group.as_str()));
    wait_received(&modpeer, "the Add to the moderator", |r| {
        r.iter().any(|x| is_add(&x.activity))
    })
    .await;

    let listed = hearth
        .get_json(&hearth.url("/groups/climbing/moderators"))
        .await;
    assert_eq!(listed["totalItems"], 1);
    assert_eq!(listed["orderedItems"], json!([moderator.as_str()]));
    let actor = hearth.get_json(&group).await;
    assert_eq!(actor["attributedTo"], collection.as_str());
    let outbox = hearth
        .get_json(&hearth.url("/groups/climbing/outbox?page=true"))
        .await;
    assert!(
        outbox["orderedItems"]
            .as_array()
            .unwrap()
            .iter()
            .any(&is_add),
        "{outbox}"
    );
    let listing = cli(&hearth, &["group", "moderator", "list", "climbing"]);
    assert!(listing.contains(moderator.as_str()), "{listing}");

    // Only moderators may start threads: the moderator's is taken, a member's refused.
    let (create, note) = mention_post(&modpeer, &moderator, &group, &handle, "Rules", None);
    deliver_expect(
        &modpeer,
        &moderator,
        &hearth.group_inbox("climbing"),
        &create,
        202,
    )
    .await;
    wait_received(lemmy, "the announce of the moderator's thread", |r| {
        r.iter()
            .any(|x| announces(&x.activity, create["id"].as_str().unwrap()))
    })
    .await;
    let (thread, _) = mention_post(lemmy, member, &group, &handle, "Hello", None);
    let refused =
        deliver_expect(lemmy, member, &hearth.group_inbox("climbing"), &thread, 403).await;
    assert!(refused.contains("only moderators"), "{refused}");
    // Members may still reply.
    let (reply, _) = mention_post(lemmy, member, &group, &handle, "Read", Some(&note));
    deliver_expect(lemmy, member, &hearth.group_inbox("climbing"), &reply, 202).await;

    cli(
        &hearth,
        &[
            "group",
            "moderator",
            "remove",
            "climbing",
            moderator.as_str(),
        ],
    );
    let is_remove = moderates("Remove", &moderator, &collection);
    let received = wait_received(lemmy, "the Remove", |r| {
        r.iter().any(|x| is_remove(&x.activity))
    })
    .await;
    assert!(
        received
            .iter()
            .find(|x| is_remove(&x.activity))
            .unwrap()
            .signature_ok
    );
    let listed = hearth
        .get_json(&hearth.url("/groups/climbing/moderators"))
        .await;
    assert_eq!(listed["totalItems"], 0);
    let (again, _) = mention_post(&modpeer, &moderator, &group, &handle, "Again", None);
    deliver_expect(
        &modpeer,
        &moderator,
        &hearth.group_inbox("climbing"),
        &again,
        403,
    )
    .await;
    let (ok, out) = tokio::task::block_in_place(|| {
        hearth.cli(&[
            "group",
            "moderator",
            "remove",
            "climbing",
            moderator.as_str(),
        ])
    });
    assert!(!ok && out.contains("not a moderator"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_appoints_lists_and_removes_moderators() {
    let hearth = Hearth::start().await;
    hearth.create_group("climbing", &[]);
    hearth.create_account("root", PASSWORD, true);
    hearth.create_account("mia", PASSWORD, false);
    cli(
        &hearth,
        &[
            "group",
            "staff",
            "add",
            "climbing",
            "mia",
            "--role",
            "moderator",
        ],
    );
    let members = followers(&hearth, 1).await;
    let (lemmy, _) = &members[0];
    let modpeer = peer("mastodon").await;
    let moderator = modpeer.add_person("mod").await.unwrap();
    let collection = hearth.url("/groups/climbing/moderators").to_string();

    let token = |user: &'static str| {
        let hearth = &hearth;
        async move {
            let body: Value = hearth
                .client
                .post(hearth.url("/api/v1/tokens"))
                .json(&json!({"username": user, "password": PASSWORD}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            body["token"].as_str().unwrap().to_owned()
        }
    };
    let root = token("root").await;
    let mia = token("mia").await;
    let api = hearth.url("/api/v1/groups/climbing/moderators");

    // A moderator (staff) may not appoint: that takes an owner.
    let refused = hearth
        .client
        .post(api.clone())
        .bearer_auth(&mia)
        .json(&json!({"actor": moderator}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let added = hearth
        .client
        .post(api.clone())
        .bearer_auth(&root)
        .json(&json!({"actor": moderator}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), StatusCode::OK);
    let added: Value = added.json().await.unwrap();
    assert_eq!(added[0]["actor"], moderator.as_str());
    assert_eq!(added[0]["added_by"], "staff:root");
    let is_add = moderates("Add", &moderator, &collection);
    wait_received(lemmy, "the Add", |r| {
        r.iter().any(|x| is_add(&x.activity) && x.signature_ok)
    })
    .await;

    let listed: Value = hearth
        .client
        .get(api.clone())
        .bearer_auth(&root)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");

    let bad = hearth
        .client
        .post(api.clone())
        .bearer_auth(&root)
        .json(&json!({"actor": "not a url"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let mut remove = api.clone();
    remove
        .query_pairs_mut()
        .append_pair("actor", moderator.as_str());
    let removed = hearth
        .client
        .delete(remove.clone())
        .bearer_auth(&root)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    let is_remove = moderates("Remove", &moderator, &collection);
    wait_received(lemmy, "the Remove", |r| {
        r.iter().any(|x| is_remove(&x.activity) && x.signature_ok)
    })
    .await;
    let again = hearth
        .client
        .delete(remove)
        .bearer_auth(&root)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
}
