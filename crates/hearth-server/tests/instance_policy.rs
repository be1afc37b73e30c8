//! Instance admins' controls between real processes: suspending a followed instance, limiting
//! one, allowlist mode, and importing and exporting shared blocklists.

mod common;

use std::time::Duration;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspended_instance_is_cut_off_everywhere() {
    let hearth = Hearth::start().await;
    hearth.create_group("climbing", &[]);
    let group = hearth.group("climbing");
    let inbox = hearth.group_inbox("climbing");
    let bad = peer_on("lemmy", "127.0.0.2").await;
    let troll = bad.add_person("troll").await.unwrap();
    deliver_expect(&bad, &troll, &inbox, &follow(&bad, &troll, &group), 202).await;
    let good = peer_on("lemmy", "127.0.0.3").await;
    let friend = good.add_person("friend").await.unwrap();
    deliver_expect(&good, &friend, &inbox, &follow(&good, &friend, &group), 202).await;
    assert_eq!(hearth.follower_count("climbing").await, 2);

    // A thread posted before the block (row id 1: each test has a fresh database).
    let (earlier, _) = mention_post(&bad, &troll, &group, "climbing", "Troll bait thread", None);
    deliver_expect(&bad, &troll, &inbox, &earlier, 202).await;
    let (_, page) = hearth.get_html("/groups/climbing").await;
    assert!(page.contains("Troll bait thread"), "{page}");

    let (ok, out) = hearth.cli(&["federation", "block", "127.0.0.2", "--reason", "harassment"]);
    assert!(ok, "{out}");
    assert!(out.contains("Removed 1 follow"), "{out}");
    // Its content is kept out of pages (once the server has seen the change).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (_, page) = hearth.get_html("/groups/climbing").await;
    assert!(!page.contains("Troll bait thread"), "{page}");
    let (_, page) = hearth.get_html("/groups/climbing/threads/1").await;
    assert!(
        page.contains("Hidden") && !page.contains("Troll bait"),
        "{page}"
    );
    assert_eq!(hearth.follower_count("climbing").await, 1);
    tokio::time::sleep(Duration::from_millis(1500)).await; // every process sees the change
    let seen_before = bad.requests().len();

    let (post, _) = mention_post(
        &good,
        &friend,
        &group,
        &format!("climbing@{}", hearth.authority()),
        "hello <img src=\"https://pics.example/cat.png\" alt=\"a cat\">",
        None,
    );
    deliver_expect(&good, &friend, &inbox, &post, 202).await;
    let (_, page) = hearth.get_html("/groups/climbing/threads/2").await;
    assert!(page.contains("pics.example/cat.png"), "{page}");
    let (ok, out) = hearth.cli(&[
        "federation",
        "block",
        "127.0.0.3",
        "--severity",
        "noop",
        "--reject-media",
    ]);
    assert!(ok, "{out}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (_, page) = hearth.get_html("/groups/climbing/threads/2").await;
    assert!(
        page.contains("hello") && !page.contains("pics.example"),
        "rejected media is not shown: {page}"
    );
    let id = post["id"].as_str().unwrap().to_owned();
    wait_received(&good, "the announce", |r| {
        r.iter().any(|x| announces(&x.activity, &id))
    })
    .await;

    let (attack, _) = mention_post(&bad, &troll, &group, "climbing", "spam", None);
    let body = deliver_expect(&bad, &troll, &inbox, &attack, 403).await;
    assert!(
        body.contains("suspended") && body.contains("harassment"),
        "{body}"
    );
    let body = deliver_expect(&bad, &troll, &inbox, &follow(&bad, &troll, &group), 403).await;
    assert!(body.contains("suspended"), "{body}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !bad.received().iter().any(|x| announces(&x.activity, &id)),
        "no more announces to a suspended instance"
    );
    assert_eq!(
        bad.requests().len(),
        seen_before,
        "Hearth fetched nothing from the suspended instance"
    );

    let (ok, out) = hearth.cli(&["federation", "log"]);
    assert!(
        ok && out.contains("domain.suspend")
            && out.contains("127.0.0.2")
            && out.contains("harassment"),
        "{out}"
    );

    // Lifting the block: new follows work, removed ones are not restored.
    let (ok, out) = hearth.cli(&["federation", "unblock", "127.0.0.2"]);
    assert!(ok, "{out}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(hearth.follower_count("climbing").await, 1);
    deliver_expect(&bad, &troll, &inbox, &follow(&bad, &troll, &group), 202).await;
    assert_eq!(hearth.follower_count("climbing").await, 2);

    let (ok, out) = hearth.cli(&["federation", "block", "127.0.0.1"]);
    assert!(!ok && out.contains("own domain"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silenced_posts_wait_for_review_and_allowlist_mode_refuses_strangers() {
    let hearth = Hearth::start().await;
    hearth.create_group("climbing", &["--posting", "anyone"]);
    let group = hearth.group("climbing");
    let inbox = hearth.group_inbox("climbing");
    let threaded = peer("lemmy").await;
    let reader = threaded.add_person("reader").await.unwrap();
    deliver_expect(
        &threaded,
        &reader,
        &inbox,
        &follow(&threaded, &reader, &group),
        202,
    )
    .await;
    let noisy = peer_on("mastodon", "127.0.0.4").await;
    let loud = noisy.add_person("loud").await.unwrap();
    let (ok, out) = hearth.cli(&["federation", "block", "127.0.0.4", "--severity", "silence"]);
    assert!(ok, "{out}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    deliver_expect(&noisy, &loud, &inbox, &follow(&noisy, &loud, &group), 202).await;

    // A silenced instance's post is accepted, held, and not relayed.
    let (post, _) = mention_post(
        &noisy,
        &loud,
        &group,
        "climbing",
        "Meetup on Saturday",
        None,
    );
    deliver_expect(&noisy, &loud, &inbox, &post, 202).await;
    let post_id = post["id"].as_str().unwrap().to_owned();
    let (ok, list) = hearth.cli(&["group", "review", "list", "climbing"]);
    assert!(ok && list.contains("127.0.0.4"), "{list}");
    let held_id = list
        .lines()
        .find(|l| l.contains("127.0.0.4"))
        .and_then(|l| {
            l.split(|c: char| !c.is_ascii_digit())
                .find(|p| !p.is_empty())
        })
        .unwrap()
        .to_owned();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(
        !threaded
            .received()
            .iter()
            .any(|x| announces(&x.activity, &post_id)),
        "a held post is not relayed"
    );
    // Approved, it is announced exactly as it arrived.
    let (ok, out) = hearth.cli(&["group", "review", "approve", "climbing", &held_id]);
    assert!(ok, "{out}");
    let got = wait_received(&threaded, "the approved post's Announce", |r| {
        r.iter().any(|x| announces(&x.activity, &post_id))
    })
    .await;
    let announce = got
        .iter()
        .find(|x| announces(&x.activity, &post_id))
        .unwrap();
    assert_eq!(announce.activity["object"], post);
    let (ok, out) = hearth.cli(&["group", "review", "approve", "climbing", &held_id]);
    assert!(
        !ok && out.contains("no post"),
        "a decided post cannot be decided again: {out}"
    );

    // Rejected through the API, its author is told why by a direct message.
    hearth.create_account("mod", "a long enough password", true);
    let (ok, token) = hearth.cli_stdout(&["account", "token", "mod"]);
    assert!(ok, "{token}");
    let (spam, _) = mention_post(&noisy, &loud, &group, "climbing", "BUY NOW", None);
    deliver_expect(&noisy, &loud, &inbox, &spam, 202).await;
    let held: serde_json::Value = hearth
        .client
        .get(hearth.url("/api/v1/groups/climbing/held"))
        .bearer_auth(token.trim())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(held.as_array().unwrap().len(), 1, "{held}");
    assert!(held[0]["content"].as_str().unwrap().contains("BUY NOW"));
    let id = held[0]["id"].as_i64().unwrap();
    let decided = hearth
        .client
        .post(hearth.url(&format!("/api/v1/groups/climbing/held/{id}/decision")))
        .bearer_auth(token.trim())
        .json(&serde_json::json!({"approve": false, "reason": "Advertising is off-topic"}))
        .send()
        .await
        .unwrap();
    assert_eq!(decided.status(), 200);
    wait_received(&noisy, "the rejection notice", |r| {
        r.iter().any(|x| {
            x.activity["type"] == "Create"
                && x.activity["object"]["content"]
                    .as_str()
                    .is_some_and(|c| c.replace("&#32;", " ").contains("Advertising is off-topic"))
        })
    })
    .await;
    let spam_id = spam["id"].as_str().unwrap().to_owned();
    assert!(!threaded
        .received()
        .iter()
        .any(|x| announces(&x.activity, &spam_id)));

    let (ok, out) = hearth.cli(&["federation", "allow", "127.0.0.5"]);
    assert!(ok, "{out}");
    let (ok, out) = hearth.cli(&["federation", "mode", "allowlist"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("Removed 2 follow"),
        "the silenced and the unlisted instances are cut off: {out}"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let listed = peer_on("mastodon", "127.0.0.5").await;
    let friend = listed.add_person("friend").await.unwrap();
    deliver_expect(
        &listed,
        &friend,
        &inbox,
        &follow(&listed, &friend, &group),
        202,
    )
    .await;
    let stranger_peer = peer_on("mastodon", "127.0.0.6").await;
    let stranger = stranger_peer.add_person("stranger").await.unwrap();
    let body = deliver_expect(
        &stranger_peer,
        &stranger,
        &inbox,
        &follow(&stranger_peer, &stranger, &group),
        403,
    )
    .await;
    assert!(body.contains("allowlist"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_blocklists_are_imported_whole_or_not_at_all() {
    let hearth = Hearth::start().await;
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let csv = write(
        "blocks.csv",
        "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n\
         spam.example,suspend,false,false,\"Spam, bots\",false\n\
         noisy.example,silence,true,false,,false\n",
    );
    let (ok, out) = hearth.cli(&["federation", "import", &csv, "--dry-run"]);
    assert!(
        ok && out.contains("+ spam.example suspend")
            && out.contains("2 to add")
            && out.contains("Dry run"),
        "{out}"
    );
    let (_, list) = hearth.cli(&["federation", "list"]);
    assert!(
        list.contains("No domain rules"),
        "a dry run changes nothing: {list}"
    );

    let bad = write(
        "bad.csv",
        "#domain,#severity\nok.example,suspend\nnot a domain!,suspend\n",
    );
    let (ok, out) = hearth.cli(&["federation", "import", &bad]);
    assert!(!ok && out.contains("line 3"), "{out}");
    let (_, list) = hearth.cli(&["federation", "list"]);
    assert!(
        list.contains("No domain rules"),
        "a bad list imports nothing: {list}"
    );
    let empty = write("empty.txt", "# nothing here\n");
    let (ok, out) = hearth.cli(&["federation", "import", &empty]);
    assert!(!ok && out.contains("no domain"), "{out}");

    let (ok, out) = hearth.cli(&["federation", "import", &csv]);
    assert!(ok && out.contains("Imported 2 rule"), "{out}");
    let json = write(
        "gts.json",
        r#"[{"domain":"worse.example","public_comment":"abuse"}]"#,
    );
    let (ok, out) = hearth.cli(&["federation", "import", &json]);
    assert!(ok, "{out}");
    let plain = write("list.txt", "# plain\nawful.example\n127.0.0.9\n");
    let (ok, out) = hearth.cli(&["federation", "import", &plain]);
    assert!(ok, "{out}");

    let (ok, exported) = hearth.cli_stdout(&["federation", "export", "--format", "csv"]);
    assert!(ok);
    for domain in [
        "spam.example",
        "noisy.example",
        "worse.example",
        "awful.example",
        "127.0.0.9",
    ] {
        assert!(
            exported.contains(domain),
            "{domain} missing from {exported}"
        );
    }
    assert!(exported.contains("\"Spam, bots\""), "{exported}");
    let again = write("again.csv", &exported);
    let (ok, out) = hearth.cli(&["federation", "import", &again, "--dry-run"]);
    assert!(
        ok && out.contains("0 to add, 0 to change, 5 unchanged"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_decide_through_the_api_and_may_publish_their_list() {
    let hearth = Hearth::start().await;
    hearth.create_group("climbing", &[]);
    let group = hearth.group("climbing");
    let inbox = hearth.group_inbox("climbing");
    let bad = peer_on("lemmy", "127.0.0.2").await;
    let troll = bad.add_person("troll").await.unwrap();
    deliver_expect(&bad, &troll, &inbox, &follow(&bad, &troll, &group), 202).await;
    hearth.create_account("alice", "correct horse battery", true);
    hearth.create_account("mo", "another long password", false);
    let token = |name: &str| {
        let (ok, out) = hearth.cli_stdout(&["account", "token", name]);
        assert!(ok, "{out}");
        out.trim().to_owned()
    };
    let (admin, staff) = (token("alice"), token("mo"));
    let call =
        |method: reqwest::Method, path: &str, token: &str, body: Option<serde_json::Value>| {
            let mut request = hearth
                .client
                .request(method, hearth.url(path))
                .bearer_auth(token.to_owned());
            if let Some(body) = body {
                request = request.json(&body);
            }
            async move {
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                let text = response.text().await.unwrap();
                (
                    status,
                    serde_json::from_str::<serde_json::Value>(&text).unwrap_or_default(),
                )
            }
        };
    use reqwest::Method;
    use serde_json::json;

    let suspend = json!({"severity": "suspend", "public_comment": "harassment", "private_comment": "ticket 12"});
    let (status, body) = call(
        Method::PUT,
        "/api/v1/federation/domains/127.0.0.2",
        &staff,
        Some(suspend.clone()),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    let (status, body) = call(
        Method::PUT,
        "/api/v1/federation/domains/127.0.0.1",
        &admin,
        Some(suspend.clone()),
    )
    .await;
    assert_eq!(status, 422, "the own domain is refused: {body}");
    let (status, body) = call(
        Method::PUT,
        "/api/v1/federation/domains/127.0.0.2",
        &admin,
        Some(json!({"severity": "obliterate"})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = call(
        Method::PUT,
        "/api/v1/federation/domains/127.0.0.2",
        &admin,
        Some(suspend),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["follows_removed"], 1);
    assert_eq!(hearth.follower_count("climbing").await, 0);
    let (_, rules) = call(Method::GET, "/api/v1/federation/domains", &admin, None).await;
    assert_eq!(rules[0]["domain"], "127.0.0.2");
    assert_eq!(rules[0]["private_comment"], "ticket 12");
    assert_eq!(rules[0]["created_by"], "staff:alice");
    let (_, log) = call(Method::GET, "/api/v1/federation/modlog", &admin, None).await;
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["actor"] == "staff:alice" && e["target"] == "127.0.0.2"),
        "{log}"
    );
    let (status, health) = call(Method::GET, "/api/v1/federation/health", &admin, None).await;
    assert_eq!(status, 200);
    assert!(
        health.as_array().unwrap().iter().any(|h| h["host"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.2")
            && h["policy"] == "refused"),
        "{health}"
    );

    // The list is private until the admins publish it; private comments never are.
    let (_, page) = hearth.get_html("/about").await;
    assert!(
        page.contains("do not publish") && !page.contains("127.0.0.2"),
        "{page}"
    );
    let nodeinfo = hearth.get_json(&hearth.url("/nodeinfo/2.1")).await;
    assert!(nodeinfo["metadata"]["federation"].is_null());
    let (status, _) = call(
        Method::PUT,
        "/api/v1/federation/visibility",
        &admin,
        Some(json!({"value": "public"})),
    )
    .await;
    assert_eq!(status, 204);
    let (_, page) = hearth.get_html("/about").await;
    assert!(
        page.contains("127.0.0.2") && page.contains("harassment") && !page.contains("ticket 12"),
        "{page}"
    );
    let nodeinfo = hearth.get_json(&hearth.url("/nodeinfo/2.1")).await;
    let federation = &nodeinfo["metadata"]["federation"];
    assert_eq!(federation["mrf_simple"]["reject"], json!(["127.0.0.2"]));
    assert_eq!(
        federation["mrf_simple_info"]["reject"]["127.0.0.2"]["reason"],
        "harassment"
    );
    let (status, _) = call(
        Method::PUT,
        "/api/v1/federation/visibility",
        &admin,
        Some(json!({"value": "obfuscated"})),
    )
    .await;
    assert_eq!(status, 204);
    let (_, page) = hearth.get_html("/about").await;
    assert!(!page.contains("127.0.0.2") && page.contains("*"), "{page}");
    let (status, _) = call(
        Method::PUT,
        "/api/v1/federation/visibility",
        &admin,
        Some(json!({"value": "everything"})),
    )
    .await;
    assert_eq!(status, 422);

    let (status, _) = call(
        Method::DELETE,
        "/api/v1/federation/domains/127.0.0.2?reason=apologised",
        &admin,
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = call(
        Method::DELETE,
        "/api/v1/federation/domains/127.0.0.2",
        &admin,
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (_, mode) = call(Method::GET, "/api/v1/federation/mode", &admin, None).await;
    assert_eq!(mode["value"], "open");
    let (status, _) = call(
        Method::PUT,
        "/api/v1/federation/mode",
        &admin,
        Some(json!({"value": "allowlist"})),
    )
    .await;
    assert_eq!(status, 200);
    let (_, mode) = call(Method::GET, "/api/v1/federation/mode", &admin, None).await;
    assert_eq!(mode["value"], "allowlist");
}
