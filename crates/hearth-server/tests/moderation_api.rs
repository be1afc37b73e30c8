//! The moderators' side of the server between real processes: actions through the API (a
//! removed post leaves the public thread page and comes back when restored, a locked thread
//! refuses a peer's reply, a pinned thread is featured, a ban that would have ended already
//! and a warning without a reason change nothing), closing a case with a removal and a ban,
//! the modlog as JSON pages and CSV, public with reasons hidden on request, the staff's case
//! page and its forms, and the same work from the command line.

mod common;

use std::sync::Arc;

use common::pages::*;
use common::*;
use hearth_test_peer::Peer;
use reqwest::redirect::Policy;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use url::Url;

const ADMIN: &str = "root";
const PASSWORD: &str = "correct horse battery";

/// A client of the API, with a token or without.
struct Api<'a> {
    hearth: &'a Hearth,
    token: Option<String>,
}

impl<'a> Api<'a> {
    async fn login(hearth: &'a Hearth) -> Api<'a> {
        let (status, body) = Api::anonymous(hearth)
            .call(
                Method::POST,
                "/api/v1/tokens",
                Some(json!({"username": ADMIN, "password": PASSWORD})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        Api {
            hearth,
            token: Some(body["token"].as_str().unwrap().to_owned()),
        }
    }

    fn anonymous(hearth: &'a Hearth) -> Api<'a> {
        Api {
            hearth,
            token: None,
        }
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.hearth.client.request(method, self.hearth.url(path));
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self.request(method, path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
        };
        if !status.is_success() {
            assert!(
                body["error"]["code"].is_string() && body["error"]["message"].is_string(),
                "errors have the documented shape: {body}"
            );
        }
        (status, body)
    }

    async fn get(&self, path: &str) -> Value {
        let (status, body) = self.call(Method::GET, path, None).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }

    /// Takes a moderation action in `climbing`.
    async fn act(&self, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, "/api/v1/groups/climbing/actions", Some(body))
            .await
    }
}

/// A Hearth with the group `climbing` (two rules) and its admin, and alice on a Mastodon peer,
/// a member who started a thread.
struct World {
    hearth: Hearth,
    peer: Peer,
    alice: Url,
    /// The id of alice's thread.
    note: String,
    /// The group's rule ids, in order.
    rules: Vec<i64>,
}

async fn world() -> World {
    let hearth = Hearth::start().await;
    hearth.create_group("climbing", &[]);
    hearth.create_account(ADMIN, PASSWORD, true);
    let api = Api::login(&hearth).await;
    let (status, rules) = api
        .call(
            Method::PUT,
            "/api/v1/groups/climbing/rules",
            Some(json!([{"short_name": "Be kind"}, {"short_name": "No spam"}])),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rules}");
    let rules = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    let (peer, alice) = author(&hearth).await;
    let note = thread(&hearth, &peer, &alice, "Hello crag").await;
    World {
        hearth,
        peer,
        alice,
        note,
        rules,
    }
}

/// Posts a new thread into `climbing` as `who`; returns the note's id.
async fn thread(hearth: &Hearth, p: &Peer, who: &Url, text: &str) -> String {
    reply(hearth, p, who, text, None, 202).await
}

/// Posts `text` as `who`, answering `to`; checks the status and returns the note's id.
async fn reply(
    hearth: &Hearth,
    p: &Peer,
    who: &Url,
    text: &str,
    to: Option<&str>,
    status: u16,
) -> String {
    let handle = format!("climbing@{}", hearth.authority());
    let (create, note) = mention_post(p, who, &hearth.group("climbing"), &handle, text, to);
    deliver_expect(p, who, &hearth.group_inbox("climbing"), &create, status).await;
    note
}

/// The path of the thread titled `title`, from the group's public page.
async fn thread_path(hearth: &Hearth, title: &str) -> String {
    let (status, page) = hearth.get_html("/groups/climbing").await;
    assert_eq!(status, 200);
    let end = page
        .find(&format!("\">{title}</a>"))
        .unwrap_or_else(|| panic!("no thread {title:?} on:\n{page}"));
    let start = page[..end].rfind("href=\"").unwrap() + "href=\"".len();
    Url::parse(&unescape(&page[start..end]))
        .unwrap()
        .path()
        .to_owned()
}

/// A Lemmy user's report of `note` to the group.
async fn report(hearth: &Hearth, note: &str, reason: &str) {
    let lemmy = peer("lemmy").await;
    let carol = lemmy.add_person("carol").await.unwrap();
    let flag = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": lemmy.new_id("flag"),
        "type": "Flag",
        "actor": carol,
        "object": note,
        "summary": reason,
        "to": [hearth.group("climbing")],
        "audience": hearth.group("climbing"),
    });
    deliver_expect(&lemmy, &carol, &hearth.group_inbox("climbing"), &flag, 202).await;
}

/// The id of the one open case.
async fn open_case(api: &Api<'_>) -> i64 {
    let cases = api.get("/api/v1/groups/climbing/cases").await;
    assert_eq!(cases.as_array().unwrap().len(), 1, "{cases}");
    cases[0]["id"].as_i64().unwrap()
}

fn future() -> String {
    "2099-01-01T00:00:00Z".to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moderators_act_through_the_api() {
    let World {
        hearth,
        peer: masto,
        alice,
        note,
        rules,
    } = world().await;
    let api = Api::login(&hearth).await;
    let page = thread_path(&hearth, "Hello crag").await;

    // Removed: the public thread page no longer shows it; restored: it is back.
    let (status, body) = api
        .act(json!({"action": "remove", "post": note, "reason": "spam", "rule_id": rules[1]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["done"], format!("post.remove {note}"));
    let (_, html) = hearth.get_html(&page).await;
    assert!(!html.contains("Hello crag"), "{html}");
    assert!(html.contains("Removed by the group's moderators"), "{html}");
    let (_, group_page) = hearth.get_html("/groups/climbing").await;
    assert!(!group_page.contains("Hello crag"), "{group_page}");
    let (status, body) = api.act(json!({"action": "remove", "post": note})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("already removed"));
    let (status, body) = api.act(json!({"action": "restore", "post": note})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, html) = hearth.get_html(&page).await;
    assert!(
        html.contains("Hello crag") && !html.contains("Removed by"),
        "{html}"
    );

    // Locked: a peer's reply is refused with 403 until the thread is unlocked.
    let (status, body) = api.act(json!({"action": "lock", "post": note})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, html) = hearth.get_html(&page).await;
    assert!(html.contains(">Locked<"), "{html}");
    reply(&hearth, &masto, &alice, "Me too", Some(&note), 403).await;
    api.act(json!({"action": "unlock", "post": note})).await;
    reply(&hearth, &masto, &alice, "Me too", Some(&note), 202).await;

    // Pinned: in the featured collection and first on the group page.
    thread(&hearth, &masto, &alice, "Newer thread").await;
    let (status, body) = api.act(json!({"action": "pin", "post": note})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let featured = hearth
        .get_json(&hearth.url("/groups/climbing/featured"))
        .await;
    assert_eq!(featured["type"], "OrderedCollection");
    assert_eq!(featured["orderedItems"], json!([note]));
    assert_eq!(featured["totalItems"], 1);
    let (_, group_page) = hearth.get_html("/groups/climbing").await;
    let pinned = group_page.find("Hello crag").unwrap();
    assert!(
        pinned < group_page.find("Newer thread").unwrap(),
        "{group_page}"
    );
    assert!(group_page.contains(">Pinned<"), "{group_page}");
    let (status, body) = api.act(json!({"action": "pin", "post": note})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    api.act(json!({"action": "unpin", "post": note})).await;
    let featured = hearth
        .get_json(&hearth.url("/groups/climbing/featured"))
        .await;
    assert_eq!(featured["orderedItems"], json!([]));

    // A ban that would have ended already, and a warning without a reason: 422, no change.
    let (status, body) = api
        .act(json!({"action": "ban", "person": alice, "expires_at": "2001-01-01T00:00:00Z", "reason": "spam"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("in the past"));
    let (status, body) = api.act(json!({"action": "warn", "person": alice})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(api.get("/api/v1/groups/climbing/bans").await, json!([]));
    let log = api
        .get("/api/v1/groups/climbing/modlog?action=member.")
        .await;
    assert_eq!(log["total"], 0, "{log}");

    // Bodies that do not fit their action.
    for bad in [
        json!({"action": "remove"}),
        json!({"action": "ban", "post": note}),
        json!({"action": "lock", "post": note, "expires_at": future()}),
        json!({"action": "ban", "person": alice, "expires_at": "next week"}),
    ] {
        let (status, body) = api.act(bad.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
    }
    let (status, _) = api.act(json!({"action": "explode", "post": note})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = api
        .act(json!({"action": "remove", "post": "https://nowhere.example/1"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = Api::anonymous(&hearth)
        .act(json!({"action": "remove", "post": note}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A warning reaches alice as a direct message from the group.
    masto.clear_received();
    let (status, body) = api
        .act(json!({"action": "warn", "person": alice, "reason": "Stay on topic", "rule_id": rules[0]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    wait_received(&masto, "the warning", |r| {
        r.iter().any(|x| {
            x.activity["type"] == "Create"
                && x.activity["object"]["content"]
                    .as_str()
                    // The message is escaped text: spaces may come as `&#32;`.
                    .is_some_and(|c| c.contains("topic") && c.contains("kind"))
        })
    })
    .await;

    // A ban: listed, alice's new posts are refused, and lifted again.
    let (status, body) = api
        .act(json!({"action": "ban", "person": alice, "expires_at": future(), "reason": "spam", "rule_id": rules[1]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let bans = api.get("/api/v1/groups/climbing/bans").await;
    assert_eq!(bans[0]["person"], alice.as_str(), "{bans}");
    assert_eq!(bans[0]["rule_id"], rules[1]);
    assert_eq!(bans[0]["expires_at"], "2099-01-01T00:00:00Z");
    assert_eq!(bans[0]["banned_by"], format!("staff:{ADMIN}"));
    reply(&hearth, &masto, &alice, "Still here", None, 403).await;
    let (status, _) = api.act(json!({"action": "unban", "person": alice})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(api.get("/api/v1/groups/climbing/bans").await, json!([]));

    // Private notes on a member.
    let notes = "/api/v1/groups/climbing/members/notes?actor=";
    let path = format!("{notes}{}", alice.as_str());
    let (status, note_body) = api
        .call(
            Method::POST,
            &path,
            Some(json!({"text": "Warned once about topics"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{note_body}");
    assert_eq!(note_body["author"], format!("staff:{ADMIN}"));
    let listed = api.get(&path).await;
    assert_eq!(listed[0]["text"], "Warned once about topics", "{listed}");
    let (status, _) = api
        .call(Method::POST, &path, Some(json!({"text": "  "})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = api
        .call(
            Method::GET,
            &format!("{notes}https://nowhere.example/u/x"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_is_closed_with_a_removal_and_a_ban() {
    let World {
        hearth,
        peer: masto,
        alice,
        note,
        rules,
    } = world().await;
    let api = Api::login(&hearth).await;
    let older = thread(&hearth, &masto, &alice, "Another thread").await;
    report(&hearth, &note, "Spam link").await;
    let id = open_case(&api).await;
    let case_path = format!("/api/v1/groups/climbing/cases/{id}");

    // The case file: the post, the author's other posts, the reports.
    let file = api.get(&case_path).await;
    assert_eq!(file["case"]["state"], "open", "{file}");
    assert_eq!(file["post"]["id"], note.as_str());
    assert!(file["post"]["page"]
        .as_str()
        .unwrap()
        .contains("/groups/climbing/threads/"));
    assert_eq!(file["person"], alice.as_str());
    assert_eq!(file["author_history"][0]["id"], older.as_str(), "{file}");
    assert_eq!(file["case"]["reports"][0]["reason"], "Spam link");
    assert_eq!(file["notes"], json!([]));

    // Notes, assignee, forwarding.
    let (status, body) = api
        .call(
            Method::POST,
            &format!("{case_path}/notes"),
            Some(json!({"text": "Looks like spam"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = api
        .call(
            Method::POST,
            &format!("{case_path}/assignee"),
            Some(json!({"username": ADMIN})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["assignee"], ADMIN);
    let (status, body) = api
        .call(
            Method::POST,
            &format!("{case_path}/assignee"),
            Some(json!({"username": "nobody"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let file = api.get(&case_path).await;
    assert_eq!(file["notes"][0]["text"], "Looks like spam");
    assert_eq!(file["case"]["assignee"], ADMIN);
    masto.clear_received();
    let (status, body) = api
        .call(Method::POST, &format!("{case_path}/forward"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["forwarded_to"], masto.host());
    let forwarded = wait_received(&masto, "the forwarded report", |r| {
        r.iter().any(|x| x.activity["type"] == "Flag")
    })
    .await;
    let flag = &forwarded
        .iter()
        .find(|x| x.activity["type"] == "Flag")
        .unwrap()
        .activity;
    assert_eq!(flag["content"], "Spam link");
    assert!(
        !flag.to_string().contains("carol"),
        "reporters stay anonymous: {flag}"
    );

    // A ban that would have ended already: 422, and the case stays open.
    let decision = format!("{case_path}/decision");
    let (status, body) = api
        .call(
            Method::POST,
            &decision,
            Some(json!({"decision": "resolved", "remove_post": true,
                "ban": {"expires_at": "2001-01-01T00:00:00Z"}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(api.get(&case_path).await["case"]["state"], "open");
    assert_eq!(api.get("/api/v1/groups/climbing/bans").await, json!([]));

    // Resolved with the post removed and alice banned, her other posts removed too.
    let (status, body) = api
        .call(
            Method::POST,
            &decision,
            Some(
                json!({"decision": "resolved", "reason": "Spam", "rule_id": rules[1],
                "remove_post": true, "ban": {"expires_at": future(), "remove_data": true}}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "resolved");
    assert_eq!(body["rule_id"], rules[1]);
    assert_eq!(body["closed_by"], format!("staff:{ADMIN}"));
    let file = api.get(&case_path).await;
    assert!(!file["post"]["removed_at"].is_null(), "{file}");
    assert!(!file["author_history"][0]["removed_at"].is_null(), "{file}");
    let bans = api.get("/api/v1/groups/climbing/bans").await;
    assert_eq!(bans[0]["person"], alice.as_str(), "{bans}");
    let (_, group_page) = hearth.get_html("/groups/climbing").await;
    assert!(
        !group_page.contains("Hello crag") && !group_page.contains("Another thread"),
        "{group_page}"
    );
    let (status, body) = api
        .call(
            Method::POST,
            &decision,
            Some(json!({"decision": "dismissed"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let log = api.get("/api/v1/groups/climbing/modlog?action=case.").await;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["case.resolved", "case.forward"], "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_modlog_is_public_and_its_reasons_can_be_hidden() {
    let World {
        hearth,
        peer: masto,
        alice,
        note,
        rules,
    } = world().await;
    let api = Api::login(&hearth).await;
    let second = thread(&hearth, &masto, &alice, "Second").await;
    for body in [
        json!({"action": "remove", "post": note, "reason": "off topic", "rule_id": rules[0]}),
        json!({"action": "lock", "post": second, "reason": "heated"}),
        json!({"action": "pin", "post": second}),
        json!({"action": "ban", "person": alice, "reason": "spam", "expires_at": future()}),
    ] {
        let (status, done) = api.act(body).await;
        assert_eq!(status, StatusCode::OK, "{done}");
    }

    // Paging and filters, without a token: staff are "a moderator".
    let public = Api::anonymous(&hearth);
    let page = public.get("/api/v1/groups/climbing/modlog?limit=2").await;
    assert_eq!(page["total"], 4, "{page}");
    assert_eq!(page["next_offset"], 2);
    assert_eq!(page["items"][0]["action"], "member.ban");
    assert_eq!(page["items"][0]["actor"], "a moderator");
    assert_eq!(page["items"][0]["details"], "");
    let rest = public
        .get("/api/v1/groups/climbing/modlog?limit=2&offset=2")
        .await;
    assert!(rest["next_offset"].is_null(), "{rest}");
    assert_eq!(rest["items"][1]["action"], "post.remove");
    assert_eq!(rest["items"][1]["reason"], "off topic");
    assert_eq!(rest["items"][1]["rule"], "Be kind");
    let posts = public
        .get("/api/v1/groups/climbing/modlog?action=post.")
        .await;
    assert_eq!(posts["total"], 2, "{posts}");
    let target = url::form_urlencoded::byte_serialize(second.as_bytes()).collect::<String>();
    let about = public
        .get(&format!("/api/v1/groups/climbing/modlog?target={target}"))
        .await;
    assert_eq!(about["total"], 2, "{about}");
    let staff = api.get("/api/v1/groups/climbing/modlog?limit=1").await;
    assert_eq!(staff["items"][0]["actor"], format!("staff:{ADMIN}"));
    assert!(staff["items"][0]["details"]
        .as_str()
        .unwrap()
        .contains("until"));
    let (status, _) = public
        .call(Method::GET, "/api/v1/groups/nothing/modlog", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // CSV.
    let response = public
        .request(Method::GET, "/api/v1/groups/climbing/modlog.csv")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "id,time,group,actor,action,target,rule_id,rule,reason,details"
    );
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(
        lines[4].contains("a moderator,post.remove") && lines[4].contains("Be kind,off topic"),
        "{csv}"
    );

    // Public pages.
    let (status, html) = hearth.get_html("/groups/climbing/modlog").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Removed a post") && html.contains("off topic"),
        "{html}"
    );
    assert!(
        html.contains("a moderator") && !html.contains(ADMIN),
        "{html}"
    );
    let (status, html) = hearth.get_html("/modlog").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Banned a person") && html.contains("/groups/climbing"),
        "{html}"
    );

    // Reasons hidden: the public sees none, the group's staff still do.
    let (ok, out) = hearth.cli(&["federation", "modlog-reasons", "hidden"]);
    assert!(ok, "{out}");
    assert_eq!(
        hearth.cli(&["federation", "modlog-reasons"]).1.trim(),
        "hidden"
    );
    let page = public.get("/api/v1/groups/climbing/modlog").await;
    let reasons: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["reason"].as_str().unwrap())
        .collect();
    assert!(reasons.iter().all(|r| r.is_empty()), "{page}");
    let staff = api
        .get("/api/v1/groups/climbing/modlog?action=post.remove")
        .await;
    assert_eq!(staff["items"][0]["reason"], "off topic");
    let (_, html) = hearth.get_html("/groups/climbing/modlog").await;
    assert!(
        !html.contains("off topic") && html.contains("keep the reasons private"),
        "{html}"
    );
    let (_, html) = hearth.get_html("/modlog").await;
    assert!(!html.contains("off topic"), "{html}");
    let csv = public
        .request(Method::GET, "/api/v1/groups/climbing/modlog.csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!csv.contains("off topic"), "{csv}");
    let (ok, out) = hearth.cli(&["federation", "modlog-reasons", "sometimes"]);
    assert!(!ok && out.contains("expected public or hidden"), "{out}");

    // The OpenAPI document lists the moderation routes.
    let doc = public.get("/api/v1/openapi.json").await;
    for (path, methods) in [
        ("/api/v1/groups/{name}/actions", &["post"][..]),
        ("/api/v1/groups/{name}/bans", &["get"]),
        ("/api/v1/groups/{name}/members/notes", &["get", "post"]),
        ("/api/v1/groups/{name}/cases", &["get"]),
        ("/api/v1/groups/{name}/cases/{id}", &["get"]),
        ("/api/v1/groups/{name}/cases/{id}/decision", &["post"]),
        ("/api/v1/groups/{name}/cases/{id}/notes", &["post"]),
        ("/api/v1/groups/{name}/cases/{id}/assignee", &["post"]),
        ("/api/v1/groups/{name}/cases/{id}/forward", &["post"]),
        ("/api/v1/groups/{name}/modlog", &["get"]),
        ("/api/v1/groups/{name}/modlog.csv", &["get"]),
    ] {
        for method in methods {
            assert!(
                doc["paths"][path][method]["responses"].is_object(),
                "{method} {path} is documented"
            );
        }
    }
}

/// A browser: one cookie jar, redirects not followed.
struct Browser {
    base: Url,
    client: reqwest::Client,
}

impl Browser {
    async fn logged_in(hearth: &Hearth) -> Browser {
        let browser = Browser {
            base: hearth.url("/"),
            client: reqwest::Client::builder()
                .no_proxy()
                .cookie_provider(Arc::new(reqwest::cookie::Jar::default()))
                .redirect(Policy::none())
                .build()
                .unwrap(),
        };
        let (_, page) = browser.get("/admin/login").await;
        let csrf = hidden(&page, "csrf");
        let (status, _, _) = browser
            .post(
                "/admin/login",
                &[
                    ("csrf", &csrf),
                    ("username", ADMIN),
                    ("password", PASSWORD),
                    ("code", ""),
                    ("next", ""),
                ],
            )
            .await;
        assert_eq!(status, 303);
        browser
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let response = self
            .client
            .get(self.base.join(path).unwrap())
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// POSTs a form: the status, where it leads, the page.
    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (u16, Option<String>, String) {
        let mut body = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in fields {
            body.append_pair(k, v);
        }
        let response = self
            .client
            .post(self.base.join(path).unwrap())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.finish())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned());
        (status, location, response.text().await.unwrap())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_case_page_shows_the_case_and_closes_it() {
    let World {
        hearth,
        peer: masto,
        alice,
        note,
        rules,
    } = world().await;
    reply(
        &hearth,
        &masto,
        &alice,
        "A reply that was reported",
        Some(&note),
        202,
    )
    .await;
    let reported = thread(&hearth, &masto, &alice, "Buy cheap gear").await;
    report(&hearth, &reported, "Advertising").await;
    let api = Api::login(&hearth).await;
    let id = open_case(&api).await;
    let browser = Browser::logged_in(&hearth).await;

    let (status, list) = browser.get("/admin/groups/climbing/cases").await;
    assert_eq!(status, 200, "{list}");
    assert!(
        list.contains(&format!("Case {id}")) && list.contains("Advertising"),
        "{list}"
    );
    assert!(
        list.contains(">Reports <span class=\"badge warn\">1"),
        "{list}"
    );
    let case = format!("/admin/groups/climbing/cases/{id}");
    let (status, page) = browser.get(&case).await;
    assert_eq!(status, 200, "{page}");
    for shown in [
        "Buy cheap gear",
        "Advertising",
        "Hello crag",
        "Be kind",
        "Close the case",
    ] {
        assert!(page.contains(shown), "{shown} in:\n{page}");
    }

    // Forms without the session's token change nothing.
    let (status, _, body) = browser
        .post(
            &format!("{case}/note"),
            &[("csrf", "forged"), ("text", "Forged")],
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let csrf = hidden(&page, "csrf");
    let (status, location, _) = browser
        .post(
            &format!("{case}/note"),
            &[("csrf", &csrf), ("text", "Second report this week")],
        )
        .await;
    assert_eq!((status, location.as_deref()), (303, Some(case.as_str())));
    let (status, _, _) = browser
        .post(&format!("{case}/assign"), &[("csrf", &csrf), ("to", "me")])
        .await;
    assert_eq!(status, 303);
    let (_, page) = browser.get(&case).await;
    assert!(page.contains("Second report this week"), "{page}");
    assert!(page.contains(&format!("Handled by {ADMIN}")), "{page}");

    // A refused decision is shown again with the reason, the case still open.
    let rule = rules[1].to_string();
    let (status, _, body) = browser
        .post(
            &format!("{case}/decide"),
            &[
                ("csrf", &csrf),
                ("state", "resolved"),
                ("ban_days", "3"),
                ("reason", "Ads"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(alert(&body).contains("Ban the author"), "{body}");
    assert!(
        body.contains(">Ads</textarea>"),
        "the form keeps what was typed"
    );

    let (status, location, body) = browser
        .post(
            &format!("{case}/decide"),
            &[
                ("csrf", &csrf),
                ("state", "resolved"),
                ("remove_post", "on"),
                ("ban", "on"),
                ("ban_days", "7"),
                ("rule", &rule),
                ("reason", "Ads"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(location.as_deref(), Some("/admin/groups/climbing/cases"));
    let (_, list) = browser.get("/admin/groups/climbing/cases").await;
    assert!(status_message(&list).contains("resolved"), "{list}");
    assert!(list.contains("No open reports"), "{list}");
    let (_, group_page) = hearth.get_html("/groups/climbing").await;
    assert!(!group_page.contains("Buy cheap gear"), "{group_page}");
    let bans = unescape(&browser.get("/admin/groups/climbing/bans").await.1);
    assert!(
        bans.contains(alice.as_str()) && bans.contains("No spam"),
        "{bans}"
    );
    let log = api
        .get("/api/v1/groups/climbing/modlog?action=member.ban")
        .await;
    assert_eq!(log["items"][0]["reason"], "Ads", "{log}");

    // The bans page lifts the ban and keeps notes.
    let (status, _, body) = browser
        .post(
            "/admin/groups/climbing/bans/lift",
            &[("csrf", &csrf), ("actor", alice.as_str())],
        )
        .await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(api.get("/api/v1/groups/climbing/bans").await, json!([]));
    let (status, _, body) = browser
        .post(
            "/admin/groups/climbing/notes",
            &[
                ("csrf", &csrf),
                ("actor", alice.as_str()),
                ("text", "Banned once for ads"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{body}");
    let query = url::form_urlencoded::byte_serialize(alice.as_str().as_bytes()).collect::<String>();
    let (_, notes) = browser
        .get(&format!("/admin/groups/climbing/bans?actor={query}"))
        .await;
    assert!(notes.contains("Banned once for ads"), "{notes}");

    // The ban form: refused without a reason, then a ban until lifted.
    let (status, _, body) = browser
        .post(
            "/admin/groups/climbing/bans",
            &[("csrf", &csrf), ("actor", alice.as_str()), ("reason", "")],
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(alert(&body).contains("Say why"), "{body}");
    let (status, _, body) = browser
        .post(
            "/admin/groups/climbing/bans",
            &[
                ("csrf", &csrf),
                ("actor", alice.as_str()),
                ("rule", &rule),
                ("reason", "Ads again"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{body}");
    let bans = api.get("/api/v1/groups/climbing/bans").await;
    assert!(bans[0]["expires_at"].is_null(), "{bans}");
    assert_eq!(bans[0]["reason"], "Ads again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moderators_work_from_the_command_line() {
    let World {
        hearth,
        peer: _masto,
        alice,
        note,
        rules: _,
    } = world().await;
    let run = |args: &[&str]| {
        let (ok, out) = hearth.cli(args);
        assert!(ok, "hearth {}: {out}", args.join(" "));
        out
    };
    let refused = |args: &[&str], message: &str| {
        let (ok, out) = hearth.cli(args);
        assert!(!ok, "hearth {} should fail: {out}", args.join(" "));
        assert!(out.contains(message), "hearth {}: {out}", args.join(" "));
    };
    let alice = alice.as_str();
    let page = thread_path(&hearth, "Hello crag").await;

    let out = run(&[
        "group", "mod", "remove", "climbing", &note, "--reason", "spam", "--rule", "2",
    ]);
    assert!(out.contains("post.remove"), "{out}");
    let (_, html) = hearth.get_html(&page).await;
    assert!(html.contains("Removed by the group's moderators"), "{html}");
    refused(
        &["group", "mod", "remove", "climbing", &note],
        "already removed",
    );
    refused(
        &["group", "mod", "restore", "climbing", &note, "--rule", "9"],
        "no rule 9",
    );
    run(&["group", "mod", "restore", "climbing", &note]);
    run(&["group", "mod", "lock", "climbing", &note]);
    run(&["group", "mod", "pin", "climbing", &note]);
    let featured = hearth
        .get_json(&hearth.url("/groups/climbing/featured"))
        .await;
    assert_eq!(featured["orderedItems"], json!([note]));

    refused(
        &[
            "group",
            "mod",
            "ban",
            "climbing",
            alice,
            "--until",
            "2001-01-01T00:00:00Z",
            "--reason",
            "x",
        ],
        "in the past",
    );
    refused(
        &[
            "group", "mod", "ban", "climbing", alice, "--until", "soon", "--reason", "x",
        ],
        "2027-01-31T12:00:00Z",
    );
    refused(&["group", "mod", "warn", "climbing", alice], "--reason");
    run(&[
        "group",
        "mod",
        "warn",
        "climbing",
        alice,
        "--reason",
        "Mind the topic",
    ]);
    run(&[
        "group", "mod", "ban", "climbing", alice, "--days", "3", "--reason", "spam", "--rule", "2",
    ]);
    let bans = run(&["group", "mod", "bans", "climbing"]);
    assert!(bans.contains(alice) && bans.contains("No spam"), "{bans}");
    run(&["group", "mod", "unban", "climbing", alice]);
    assert!(run(&["group", "mod", "bans", "climbing"]).contains("Nobody is banned"));
    run(&[
        "group",
        "mod",
        "note",
        "climbing",
        alice,
        "Warned about topics",
    ]);
    assert!(run(&["group", "mod", "notes", "climbing", alice]).contains("Warned about topics"));
    refused(
        &[
            "group",
            "mod",
            "notes",
            "climbing",
            "https://nowhere.example/u/x",
        ],
        "not known here",
    );

    // Cases.
    report(&hearth, &note, "Rude").await;
    let api = Api::login(&hearth).await;
    let id = open_case(&api).await.to_string();
    run(&[
        "group",
        "case",
        "note",
        "climbing",
        &id,
        "Checked the thread",
    ]);
    run(&["group", "case", "assign", "climbing", &id, ADMIN]);
    refused(
        &["group", "case", "assign", "climbing", &id, "nobody"],
        "no account",
    );
    let shown = run(&["group", "case", "show", "climbing", &id]);
    for part in ["Hello crag", "Rude", "Checked the thread", ADMIN] {
        assert!(shown.contains(part), "{part} in:\n{shown}");
    }
    run(&["group", "case", "assign", "climbing", &id, "--none"]);
    assert!(run(&["group", "case", "show", "climbing", &id]).contains("handled by nobody"));
    refused(
        &["group", "case", "resolve", "climbing", &id, "--remove-data"],
        "--ban",
    );
    run(&[
        "group",
        "case",
        "resolve",
        "climbing",
        &id,
        "--remove-post",
        "--ban-days",
        "2",
        "--remove-data",
        "--rule",
        "1",
        "--reason",
        "rude",
    ]);
    refused(
        &["group", "case", "dismiss", "climbing", &id],
        "no open case",
    );
    assert_eq!(
        api.get("/api/v1/groups/climbing/bans").await[0]["person"],
        alice
    );

    let csv = hearth
        .cli_stdout(&["group", "modlog", "climbing", "--action", "post.", "--csv"])
        .1;
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("id,time,group,actor,action"), "{csv}");
    assert!(lines.iter().skip(1).all(|l| l.contains(",post.")), "{csv}");
    assert!(
        csv.contains("cli:") && csv.contains("No spam,spam"),
        "{csv}"
    );
    let table = run(&["group", "modlog", "climbing", "--limit", "3"]);
    assert!(table.contains("case.resolved"), "{table}");
}
