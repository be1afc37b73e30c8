//! End to end between real processes: discovery, following, posting into a group, replies,
//! reactions, edits, deletions and unfollowing, with the announces each follower receives.

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_documents_describe_the_group() {
    let hearth = Hearth::start().await;
    hearth.create_group(
        "climbing",
        &["--title", "Climbing", "--summary", "Ropes & rocks"],
    );
    let authority = hearth.authority();

    let wf = hearth
        .client
        .get(hearth.url(&format!(
            "/.well-known/webfinger?resource=acct:climbing@{authority}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(wf.status(), 200);
    let wf: serde_json::Value = wf.json().await.unwrap();
    let links = wf["links"].as_array().unwrap();
    let me = links.iter().find(|l| l["rel"] == "self").unwrap();
    assert_eq!(me["href"], hearth.group("climbing").as_str());
    assert_eq!(
        me["properties"]["https://www.w3.org/ns/activitystreams#type"],
        "Group"
    );
    assert!(links
        .iter()
        .any(|l| l["rel"] == "http://webfinger.net/rel/profile-page"));

    let missing = hearth
        .client
        .get(hearth.url(&format!(
            "/.well-known/webfinger?resource=acct:nobody@{authority}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    let actor = hearth.get_json(&hearth.group("climbing")).await;
    assert_eq!(actor["type"], "Group");
    assert_eq!(actor["preferredUsername"], "climbing");
    assert_eq!(actor["name"], "Climbing");
    for key in [
        "inbox",
        "outbox",
        "followers",
        "featured",
        "attributedTo",
        "publicKey",
        "endpoints",
        "url",
    ] {
        assert!(!actor[key].is_null(), "the actor lacks {key}");
    }
    assert_eq!(
        actor["endpoints"]["sharedInbox"],
        hearth.url("/inbox").as_str()
    );
    assert_eq!(actor["manuallyApprovesFollowers"], false);
    assert_eq!(actor["postingRestrictedToMods"], false);
    assert_eq!(actor["discoverable"], true);
    assert!(actor["publicKey"]["publicKeyPem"]
        .as_str()
        .unwrap()
        .contains("BEGIN PUBLIC KEY"));

    let (status, html) = hearth.get_html("/groups/climbing").await;
    assert_eq!(status, 200);
    assert!(html.contains("<h1>Climbing</h1>"), "{html}");
    assert!(html.contains(&format!("@climbing@{authority}")));

    let nodeinfo_links = hearth.get_json(&hearth.url("/.well-known/nodeinfo")).await;
    assert_eq!(nodeinfo_links["links"].as_array().unwrap().len(), 2);
    let nodeinfo = hearth.get_json(&hearth.url("/nodeinfo/2.1")).await;
    assert_eq!(nodeinfo["software"]["name"], "hearth");
    assert_eq!(nodeinfo["usage"]["users"]["total"], 1);

    let host_meta = hearth
        .client
        .get(hearth.url("/.well-known/host-meta"))
        .send()
        .await
        .unwrap();
    assert!(host_meta
        .text()
        .await
        .unwrap()
        .contains("/.well-known/webfinger?resource={uri}"));

    let instance = hearth.get_json(&hearth.url("/actor")).await;
    assert_eq!(instance["type"], "Application");
    assert!(instance["publicKey"]["publicKeyPem"].as_str().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_post_reply_react_edit_and_leave() {
    let hearth = Hearth::start().await;
    hearth.create_group("climbing", &["--title", "Climbing"]);
    let group = hearth.group("climbing");
    let inbox = hearth.group_inbox("climbing");
    let handle = format!("climbing@{}", hearth.authority());

    let masto = peer("mastodon").await;
    let lemmy = peer("lemmy").await;
    let alice = masto.add_person("alice").await.unwrap();
    let bob = masto.add_person("bob").await.unwrap();
    let carol = lemmy.add_person("carol").await.unwrap();

    // Following: each follower gets a signed Accept.
    for (peer, actor) in [(&masto, &alice), (&masto, &bob), (&lemmy, &carol)] {
        let follow = follow(peer, actor, &group);
        deliver_expect(peer, actor, &inbox, &follow, 202).await;
        let follow_id = follow["id"].as_str().unwrap().to_owned();
        let accepts = wait_received(peer, "an Accept", |r| {
            r.iter()
                .any(|x| x.activity["type"] == "Accept" && x.activity["object"]["id"] == follow_id)
        })
        .await;
        let accept = accepts
            .iter()
            .find(|x| x.activity["object"]["id"] == follow_id)
            .unwrap();
        assert!(
            accept.signature_ok,
            "the Accept is signed: {:?}",
            accept.signature_error
        );
        assert_eq!(accept.activity["actor"], group.as_str());
    }
    assert_eq!(hearth.follower_count("climbing").await, 3);
    // Let Hearth learn both instances' software from NodeInfo before posting.
    for p in [&masto, &lemmy] {
        wait_for_nodeinfo(p).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    // A Mastodon-style mention starts a thread.
    let (create, note_id) = mention_post(
        &masto,
        &alice,
        &group,
        &handle,
        "Best crags near Leeds?\nAsking for a trip.",
        None,
    );
    deliver_expect(&masto, &alice, &inbox, &create, 202).await;
    let create_id = create["id"].as_str().unwrap().to_owned();
    // Lemmy (threaded) gets the Announce of the Create, exactly as sent.
    let got = wait_received(&lemmy, "Announce(Create)", |r| {
        r.iter().any(|x| announces(&x.activity, &create_id))
    })
    .await;
    let announce = got
        .iter()
        .find(|x| announces(&x.activity, &create_id))
        .unwrap();
    assert!(announce.signature_ok);
    assert_eq!(announce.activity["actor"], group.as_str());
    assert_eq!(
        announce.activity["object"], create,
        "the wrapped activity is preserved"
    );
    // Mastodon (microblog) gets a boost of the note, once for its shared inbox.
    wait_received(&masto, "a boost", |r| {
        r.iter().any(|x| announces(&x.activity, &note_id))
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let boosts = masto
        .received()
        .iter()
        .filter(|x| announces(&x.activity, &note_id))
        .count();
    assert_eq!(boosts, 1, "one delivery per shared inbox");
    assert!(
        !masto
            .received()
            .iter()
            .any(|x| announces(&x.activity, &create_id)),
        "microblog followers get no Announce(Create)"
    );
    assert!(
        !lemmy
            .received()
            .iter()
            .any(|x| announces(&x.activity, &note_id)),
        "threaded followers get no bare boost"
    );

    // The same activity again is processed once.
    let again = deliver_expect(&masto, &alice, &inbox, &create, 202).await;
    assert!(again.contains("duplicate"), "{again}");

    // A reply from Lemmy, then a reply to the reply from Mastodon: both in the same thread.
    let reply_id = lemmy.new_id("comment").to_string();
    let reply = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": lemmy.new_id("create"), "type": "Create", "actor": carol,
        "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [group], "audience": group,
        "object": {"id": reply_id, "type": "Note", "attributedTo": carol, "inReplyTo": note_id,
                   "content": "<p>Try Almscliff!</p>", "to": ["https://www.w3.org/ns/activitystreams#Public"],
                   "cc": [group], "audience": group, "published": "2026-11-30T11:00:00Z"}
    });
    deliver_expect(&lemmy, &carol, &hearth.url("/inbox"), &reply, 202).await;
    let (deep, deep_id) = mention_post(
        &masto,
        &bob,
        &group,
        &handle,
        "Almscliff is great in winter",
        Some(&reply_id),
    );
    deliver_expect(&masto, &bob, &inbox, &deep, 202).await;
    let deep_create_id = deep["id"].as_str().unwrap().to_owned();
    wait_received(&lemmy, "Announce of the nested reply", |r| {
        r.iter().any(|x| announces(&x.activity, &deep_create_id))
    })
    .await;
    assert!(
        !masto
            .received()
            .iter()
            .any(|x| announces(&x.activity, &deep_id)),
        "replies are not boosted"
    );

    let (_, group_page) = hearth.get_html("/groups/climbing").await;
    assert!(
        group_page.contains("Best crags near Leeds?"),
        "{group_page}"
    );
    let thread_path = group_page
        .replace("&#x2f;", "/")
        .split("href=\"")
        .find_map(|s| s.split('"').next().filter(|h| h.contains("/threads/")))
        .unwrap()
        .to_owned();
    let (status, thread) = hearth
        .get_html(&thread_path.replace(hearth.url("/").as_str(), "/"))
        .await;
    assert_eq!(status, 200);
    assert!(
        thread.contains("Try Almscliff!") && thread.contains("great in winter"),
        "{thread}"
    );
    assert!(thread.contains("2 replies"), "{thread}");

    // A Like, announced to threaded followers.
    let like = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": masto.new_id("like"),
                      "type": "Like", "actor": bob, "object": note_id});
    deliver_expect(&masto, &bob, &inbox, &like, 202).await;
    let like_id = like["id"].as_str().unwrap().to_owned();
    wait_received(&lemmy, "Announce(Like)", |r| {
        r.iter().any(|x| announces(&x.activity, &like_id))
    })
    .await;

    // Only the author may edit or delete.
    let forged_delete = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": masto.new_id("delete"),
                               "type": "Delete", "actor": bob, "object": note_id});
    deliver_expect(&masto, &bob, &inbox, &forged_delete, 403).await;
    let update = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": masto.new_id("update"),
        "type": "Update", "actor": alice,
        "object": {"id": note_id, "type": "Note", "attributedTo": alice, "content": "<p>Best crags near York?</p>",
                   "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [group], "updated": "2026-11-30T12:00:00Z"}});
    deliver_expect(&masto, &alice, &inbox, &update, 202).await;
    let update_id = update["id"].as_str().unwrap().to_owned();
    wait_received(&lemmy, "Announce(Update)", |r| {
        r.iter().any(|x| announces(&x.activity, &update_id))
    })
    .await;
    let (_, group_page) = hearth.get_html("/groups/climbing").await;
    assert!(
        group_page.contains("Best crags near York?"),
        "the edit shows"
    );

    let delete = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": masto.new_id("delete"),
                        "type": "Delete", "actor": alice, "object": {"id": note_id, "type": "Tombstone"}});
    deliver_expect(&masto, &alice, &inbox, &delete, 202).await;
    let delete_id = delete["id"].as_str().unwrap().to_owned();
    wait_received(&lemmy, "Announce(Delete)", |r| {
        r.iter().any(|x| announces(&x.activity, &delete_id))
    })
    .await;
    wait_received(&masto, "Undo of the boost", |r| {
        r.iter()
            .any(|x| x.activity["type"] == "Undo" && x.activity["object"]["object"] == note_id)
    })
    .await;

    // Leaving.
    let undo = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": lemmy.new_id("undo"),
                      "type": "Undo", "actor": carol,
                      "object": {"id": lemmy.new_id("follow"), "type": "Follow", "actor": carol, "object": group}});
    deliver_expect(&lemmy, &carol, &inbox, &undo, 202).await;
    assert_eq!(hearth.follower_count("climbing").await, 2);

    // The outbox lists the group's announces, newest first, paginated.
    let outbox = hearth
        .get_json(&hearth.url("/groups/climbing/outbox"))
        .await;
    assert!(outbox["totalItems"].as_i64().unwrap() >= 6);
    let first = hearth
        .get_json(&outbox["first"].as_str().unwrap().parse().unwrap())
        .await;
    assert_eq!(first["type"], "OrderedCollectionPage");
    assert!(first["orderedItems"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["actor"] == group.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_followers_cannot_start_threads_but_can_reply() {
    let hearth = Hearth::start().await;
    hearth.create_group("climbing", &[]);
    let group = hearth.group("climbing");
    let inbox = hearth.group_inbox("climbing");
    let handle = format!("climbing@{}", hearth.authority());
    let masto = peer("mastodon").await;
    let member = masto.add_person("member").await.unwrap();
    let stranger = masto.add_person("stranger").await.unwrap();
    deliver_expect(
        &masto,
        &member,
        &inbox,
        &follow(&masto, &member, &group),
        202,
    )
    .await;

    let (post, _) = mention_post(&masto, &stranger, &group, &handle, "Hello?", None);
    let body = deliver_expect(&masto, &stranger, &inbox, &post, 403).await;
    assert!(body.contains("follow it first"), "{body}");

    let (thread, thread_note) =
        mention_post(&masto, &member, &group, &handle, "Welcome thread", None);
    deliver_expect(&masto, &member, &inbox, &thread, 202).await;
    let (reply, _) = mention_post(
        &masto,
        &stranger,
        &group,
        &handle,
        "Thanks!",
        Some(&thread_note),
    );
    deliver_expect(&masto, &stranger, &inbox, &reply, 202).await;

    // A post to a group that does not exist.
    let missing = hearth.group_inbox("nowhere");
    deliver_expect(
        &masto,
        &member,
        &missing,
        &follow(&masto, &member, &hearth.group("nowhere")),
        404,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_wait_for_approval_when_the_group_asks() {
    let hearth = Hearth::start().await;
    hearth.create_group("private", &["--approve-followers"]);
    let group = hearth.group("private");
    let inbox = hearth.group_inbox("private");
    let actor = hearth.get_json(&group).await;
    assert_eq!(actor["manuallyApprovesFollowers"], true);

    let masto = peer("mastodon").await;
    let alice = masto.add_person("alice").await.unwrap();
    let bob = masto.add_person("bob").await.unwrap();
    for who in [&alice, &bob] {
        deliver_expect(&masto, who, &inbox, &follow(&masto, who, &group), 202).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!masto
        .received()
        .iter()
        .any(|r| r.activity["type"] == "Accept"));
    assert_eq!(hearth.follower_count("private").await, 0);

    let (ok, out) = hearth.cli(&["group", "pending", "private"]);
    assert!(
        ok && out.contains(alice.as_str()) && out.contains(bob.as_str()),
        "{out}"
    );
    let (ok, out) = hearth.cli(&["group", "approve", "private", alice.as_str()]);
    assert!(ok, "{out}");
    let (ok, out) = hearth.cli(&["group", "reject", "private", bob.as_str()]);
    assert!(ok, "{out}");
    wait_received(&masto, "Accept and Reject", |r| {
        r.iter().any(|x| {
            x.activity["type"] == "Accept" && x.activity["object"]["actor"] == alice.as_str()
        }) && r.iter().any(|x| {
            x.activity["type"] == "Reject" && x.activity["object"]["actor"] == bob.as_str()
        })
    })
    .await;
    assert_eq!(hearth.follower_count("private").await, 1);
    let (ok, out) = hearth.cli(&["group", "approve", "private", bob.as_str()]);
    assert!(!ok && out.contains("no pending follow request"), "{out}");
}
