//! Automod, pre-moderation and first-posts holds, between real processes: rules added from
//! the command line and the API hold, reject or report posts from a test peer; held posts wait
//! in the review queue until approved (then followers get the announce); every automatic
//! decision is in the modlog; invalid rules are refused with a clear error.

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";

fn cli(hearth: &Hearth, args: &[&str]) -> String {
    let (ok, out) = tokio::task::block_in_place(|| hearth.cli(args));
    assert!(ok, "hearth {args:?} failed: {out}");
    out
}

/// The JSON API as the instance admin `root`.
struct Api<'a> {
    hearth: &'a Hearth,
    token: String,
}

impl<'a> Api<'a> {
    async fn login(hearth: &'a Hearth) -> Api<'a> {
        Api {
            hearth,
            token: hearth.admin_token("root", PASSWORD).await,
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self
            .hearth
            .client
            .request(method, self.hearth.url(path))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// GET that must answer 200.
    async fn get(&self, path: &str) -> Value {
        let (status, body) = self.call(Method::GET, path, None).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }

    /// The posts waiting for review in climbing.
    async fn held(&self) -> Vec<Value> {
        self.get("/api/v1/groups/climbing/held")
            .await
            .as_array()
            .unwrap()
            .clone()
    }

    /// Whether the modlog has a line `action` about `target`.
    async fn logged(&self, action: &str, target: &str) -> bool {
        self.get("/api/v1/federation/modlog")
            .await
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == action && e["target"] == target)
    }
}

/// A post by `alice` into climbing: its Create and note ids.
fn create(
    hearth: &Hearth,
    p: &hearth_test_peer::Peer,
    alice: &url::Url,
    text: &str,
) -> (Value, String) {
    let handle = format!("climbing@{}", hearth.authority());
    mention_post(p, alice, &hearth.group("climbing"), &handle, text, None)
}

/// Waits until `p` has the group's announce of `create`.
async fn announced(p: &hearth_test_peer::Peer, create: &Value) {
    let id = create["id"].as_str().unwrap();
    wait_received(p, &format!("the announce of {id}"), |r| {
        r.iter().any(|x| announces(&x.activity, id))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automod_rules_hold_reject_and_report_posts() {
    let hearth = Hearth::start().await;
    hearth.create_group("climbing", &[]);
    let api = Api::login(&hearth).await;
    let inbox = hearth.group_inbox("climbing");
    let members = followers(&hearth, 1).await;
    let (lemmy, _) = &members[0];
    let (masto, alice) = author(&hearth).await;

    // A keyword rule from the command line holds matching posts for review.
    let out = cli(
        &hearth,
        &[
            "group",
            "automod",
            "add",
            "climbing",
            "--kind",
            "keyword",
            "--pattern",
            "cheap, gear sale",
            "--outcome",
            "hold",
            "--note",
            "sales go to the market thread",
        ],
    );
    assert!(out.contains("Added automod rule"), "{out}");
    let rules = api.get("/api/v1/groups/climbing/automod").await;
    let keyword = rules[0]["id"].as_i64().unwrap();
    assert_eq!(rules[0]["kind"], "keyword");
    assert_eq!(rules[0]["created_by"], "cli");

    let (sale, sale_note) = create(&hearth, &masto, &alice, "CHEAP boots, barely worn");
    deliver_expect(&masto, &alice, &inbox, &sale, 202).await;
    let held = api.held().await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["object"], sale_note.as_str());
    let reason = held[0]["reason"].as_str().unwrap();
    assert_eq!(
        reason,
        format!("automod rule {keyword} (keyword) of climbing: sales go to the market thread")
    );
    assert!(api.logged("automod.hold", &sale_note).await);
    let listing = cli(&hearth, &["group", "review", "list", "climbing"]);
    assert!(listing.contains(&sale_note), "{listing}");

    // Whole words only: a cheapskate is not a sale.
    let (fine, _) = create(&hearth, &masto, &alice, "A cheapskate's guide to ropes");
    deliver_expect(&masto, &alice, &inbox, &fine, 202).await;
    announced(lemmy, &fine).await;
    assert_eq!(count(lemmy, sale["id"].as_str().unwrap()), 0);

    // Approving the held post announces it to the followers.
    let held_id = held[0]["id"].to_string();
    cli(
        &hearth,
        &["group", "review", "approve", "climbing", &held_id],
    );
    announced(lemmy, &sale).await;

    // A regex rule from the API rejects with 403, naming the rule; the modlog records it.
    let (status, rule) = api
        .call(
            Method::POST,
            "/api/v1/groups/climbing/automod",
            Some(
                json!({"kind": "regex", "pattern": r"(?i)buy\s+now", "outcome": "reject",
                "note": "no selling"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    assert_eq!(rule["created_by"], "staff:root");
    let regex = rule["id"].as_i64().unwrap();
    let (spam, spam_note) = create(&hearth, &masto, &alice, "Buy   NOW before it is gone");
    let refused = deliver_expect(&masto, &alice, &inbox, &spam, 403).await;
    assert!(
        refused.contains(&format!(
            "automod rule {regex} (regex) of climbing: no selling"
        )),
        "{refused}"
    );
    assert!(api.logged("automod.reject", &spam_note).await);
    assert!(api.held().await.is_empty());

    // A max-mentions rule with outcome report takes the post in and opens a case about it.
    let (status, rule) = api
        .call(
            Method::POST,
            "/api/v1/groups/climbing/automod",
            Some(
                json!({"kind": "max_mentions", "threshold": 2, "outcome": "report",
                "note": "mass mentions"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    let (two, _) = create(&hearth, &masto, &alice, "Hi @a @b");
    let (mut many, many_note) = create(&hearth, &masto, &alice, "Hi @a @b @c");
    let tags = many["object"]["tag"].as_array_mut().unwrap();
    for name in ["a", "b", "c"] {
        let href = format!("https://elsewhere.example/users/{name}");
        tags.push(json!({"type": "Mention", "href": href}));
    }
    deliver_expect(&masto, &alice, &inbox, &two, 202).await;
    deliver_expect(&masto, &alice, &inbox, &many, 202).await;
    announced(lemmy, &many).await;
    let cases = api.get("/api/v1/groups/climbing/cases").await;
    let cases = cases.as_array().unwrap();
    assert_eq!(cases.len(), 1, "{cases:?}");
    assert_eq!(cases[0]["subject"], many_note.as_str());
    assert!(api.logged("automod.report", &many_note).await);

    // Invalid rules are refused, with the reason, by the command line and the API.
    let (ok, out) = tokio::task::block_in_place(|| {
        hearth.cli(&[
            "group",
            "automod",
            "add",
            "climbing",
            "--kind",
            "regex",
            "--pattern",
            "(unclosed",
            "--outcome",
            "reject",
        ])
    });
    assert!(
        !ok && out.contains("the pattern is not a valid regular expression"),
        "{out}"
    );
    let (status, error) = api
        .call(
            Method::POST,
            "/api/v1/groups/climbing/automod",
            Some(json!({"kind": "regex", "pattern": "(unclosed", "outcome": "reject"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["error"]["code"], "invalid_rule");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("the pattern is not a valid regular expression"),
        "{message}"
    );
    let (ok, out) = tokio::task::block_in_place(|| {
        hearth.cli(&[
            "group",
            "automod",
            "add",
            "climbing",
            "--kind",
            "swearing",
            "--pattern",
            "x",
            "--outcome",
            "hold",
        ])
    });
    assert!(
        !ok && out.contains("unknown automod rule kind \"swearing\""),
        "{out}"
    );

    // Removing the regex rule lets the same words through; a second removal is a 404.
    let path = format!("/api/v1/groups/climbing/automod/{regex}");
    let (status, _) = api.call(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = api.call(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (again, _) = create(&hearth, &masto, &alice, "Buy now, or later");
    deliver_expect(&masto, &alice, &inbox, &again, 202).await;
    let out = cli(
        &hearth,
        &[
            "group",
            "automod",
            "remove",
            "climbing",
            &keyword.to_string(),
        ],
    );
    assert!(
        out.contains(&format!("Removed automod rule {keyword}")),
        "{out}"
    );
    let rules = api.get("/api/v1/groups/climbing/automod").await;
    assert_eq!(rules.as_array().unwrap().len(), 1, "{rules}");

    let doc = api.get("/api/v1/openapi.json").await;
    let rules = &doc["paths"]["/api/v1/groups/{name}/automod"];
    assert!(
        rules["get"].is_object() && rules["post"].is_object(),
        "{rules}"
    );
    assert!(doc["paths"]["/api/v1/groups/{name}/automod/{id}"]["delete"].is_object());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_posts_premoderation_and_instance_wide_rules_hold_posts() {
    let hearth = Hearth::start().await;
    hearth.create_group("climbing", &[]);
    let api = Api::login(&hearth).await;
    let inbox = hearth.group_inbox("climbing");
    let members = followers(&hearth, 1).await;
    let (lemmy, _) = &members[0];
    let (masto, alice) = author(&hearth).await;

    // A member's first post waits for review; once approved, their next one does not.
    cli(
        &hearth,
        &["group", "edit", "climbing", "--hold-first-posts", "1"],
    );
    let (first, first_note) = create(&hearth, &masto, &alice, "Hello, new here");
    deliver_expect(&masto, &alice, &inbox, &first, 202).await;
    let held = api.held().await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(
        held[0]["reason"],
        "climbing reviews the first 1 posts of each member"
    );
    assert!(api.logged("automod.hold", &first_note).await);
    let (status, decided) = api
        .call(
            Method::POST,
            &format!("/api/v1/groups/climbing/held/{}/decision", held[0]["id"]),
            Some(json!({"approve": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    announced(lemmy, &first).await;
    let (second, _) = create(&hearth, &masto, &alice, "Second post");
    deliver_expect(&masto, &alice, &inbox, &second, 202).await;
    announced(lemmy, &second).await;

    // Pre-moderation holds every post, except a moderator's.
    let (status, group) = api
        .call(
            Method::PATCH,
            "/api/v1/groups/climbing",
            Some(json!({"premoderation": true, "hold_first_posts": 0})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{group}");
    assert_eq!(group["premoderation"], true);
    assert_eq!(group["hold_first_posts"], 0);
    let (third, third_note) = create(&hearth, &masto, &alice, "Third post");
    deliver_expect(&masto, &alice, &inbox, &third, 202).await;
    let held = api.held().await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["object"], third_note.as_str());
    assert_eq!(
        held[0]["reason"],
        "climbing reviews every post before publishing it"
    );
    let modpeer = peer("lemmy").await;
    let moderator = modpeer.add_person("mod").await.unwrap();
    cli(
        &hearth,
        &["group", "moderator", "add", "climbing", moderator.as_str()],
    );
    let handle = format!("climbing@{}", hearth.authority());
    let (by_mod, _) = mention_post(
        &modpeer,
        &moderator,
        &hearth.group("climbing"),
        &handle,
        "Welcome",
        None,
    );
    deliver_expect(&modpeer, &moderator, &inbox, &by_mod, 202).await;
    announced(lemmy, &by_mod).await;
    assert_eq!(api.held().await.len(), 1);
    cli(
        &hearth,
        &["group", "edit", "climbing", "--premoderation", "off"],
    );
    let (ok, out) = tokio::task::block_in_place(|| {
        hearth.cli(&["group", "edit", "climbing", "--premoderation", "maybe"])
    });
    assert!(!ok && out.contains("use on or off"), "{out}");

    // An instance-wide rule applies to every group: the peer's accounts are brand new.
    let out = cli(
        &hearth,
        &[
            "group",
            "automod",
            "add",
            "--instance",
            "--kind",
            "min_account_age_days",
            "--threshold",
            "30",
            "--outcome",
            "hold",
            "--note",
            "new accounts wait",
        ],
    );
    assert!(out.contains("to the instance"), "{out}");
    let rules = api.get("/api/v1/groups/climbing/automod").await;
    assert_eq!(rules[0]["instance_wide"], true, "{rules}");
    let instance_rule = rules[0]["id"].as_i64().unwrap().to_string();
    let listing = cli(&hearth, &["group", "automod", "list", "climbing"]);
    assert!(listing.contains("every group"), "{listing}");
    let (fourth, fourth_note) = create(&hearth, &masto, &alice, "Fourth post");
    deliver_expect(&masto, &alice, &inbox, &fourth, 202).await;
    let held = api.held().await;
    let fourth_held = held.iter().find(|h| h["object"] == fourth_note.as_str());
    assert_eq!(
        fourth_held.unwrap()["reason"],
        format!(
            "automod rule {instance_rule} (min_account_age_days) of this server: new accounts wait"
        )
    );

    // Instance-wide rules are removed with --instance, not through a group.
    let (ok, out) = tokio::task::block_in_place(|| {
        hearth.cli(&["group", "automod", "remove", "climbing", &instance_rule])
    });
    assert!(!ok && out.contains("climbing has no automod rule"), "{out}");
    let (status, _) = api
        .call(
            Method::DELETE,
            &format!("/api/v1/groups/climbing/automod/{instance_rule}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let out = cli(
        &hearth,
        &["group", "automod", "remove", "--instance", &instance_rule],
    );
    assert!(out.contains("Removed automod rule"), "{out}");
    let listing = cli(&hearth, &["group", "automod", "list", "--instance"]);
    assert!(
        listing.contains("No automod rules apply to the instance"),
        "{listing}"
    );

    // Rates count the last hour's posts: alice has two in climbing (the held ones do not
    // count), so an instance-wide limit of two refuses her next; the group's limit on her
    // instance is not reached.
    cli(
        &hearth,
        &[
            "group",
            "automod",
            "add",
            "climbing",
            "--kind",
            "instance_rate",
            "--threshold",
            "10",
            "--outcome",
            "reject",
        ],
    );
    cli(
        &hearth,
        &[
            "group",
            "automod",
            "add",
            "--instance",
            "--kind",
            "actor_rate",
            "--threshold",
            "2",
            "--outcome",
            "reject",
            "--note",
            "slow down",
        ],
    );
    let (fifth, _) = create(&hearth, &masto, &alice, "Fifth post");
    let refused = deliver_expect(&masto, &alice, &inbox, &fifth, 403).await;
    assert!(
        refused.contains("(actor_rate) of this server: slow down"),
        "{refused}"
    );
}
