//! The JSON API over real HTTP: tokens and lockout, groups and their rules and images, roles,
//! join requests and invitations (with the answers peers receive), and the OpenAPI document.

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const ADMIN_PASSWORD: &str = "correct horse battery";

/// A client of one Hearth's API with one token.
struct Api<'a> {
    hearth: &'a Hearth,
    token: Option<String>,
}

impl<'a> Api<'a> {
    async fn login(hearth: &'a Hearth, username: &str, password: &str) -> Api<'a> {
        let (status, body) = Api::anonymous(hearth)
            .call(
                Method::POST,
                "/api/v1/tokens",
                Some(json!({"username": username, "password": password})),
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

    async fn send(&self, request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let request = match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
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

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self.hearth.client.request(method, self.hearth.url(path));
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    async fn upload(&self, path: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
        // A refused oversize body ends its connection: keep it out of the shared pool.
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        let request = client
            .put(self.hearth.url(path))
            .header("content-type", "image/png")
            .body(bytes);
        self.send(request).await
    }
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_lockout_and_revocation() {
    let hearth = Hearth::start_with(Options {
        env: vec![("HEARTH_LOGIN_MAX_FAILURES", "3".into())],
        ..Options::default()
    })
    .await;
    hearth.create_account("alice", ADMIN_PASSWORD, true);
    let anonymous = Api::anonymous(&hearth);

    let (status, body) = anonymous.call(Method::GET, "/api/v1/me", None).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
    let (status, body) = anonymous
        .call(
            Method::POST,
            "/api/v1/tokens",
            Some(json!({"username": "alice"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = anonymous
        .send(
            hearth
                .client
                .post(hearth.url("/api/v1/tokens"))
                .header("content-type", "application/json")
                .body("{not json"),
        )
        .await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "bad_body"));

    let wrong = json!({"username": "alice", "password": "not the password"});
    for _ in 0..2 {
        let (status, body) = anonymous
            .call(Method::POST, "/api/v1/tokens", Some(wrong.clone()))
            .await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNAUTHORIZED, "wrong_credentials")
        );
        assert_eq!(body["error"]["message"], "wrong username or password");
    }
    let (status, body) = anonymous
        .call(Method::POST, "/api/v1/tokens", Some(wrong.clone()))
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::TOO_MANY_REQUESTS, "locked")
    );
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("locked"));
    // Locked means locked, even with the right password.
    let right = json!({"username": "alice", "password": ADMIN_PASSWORD});
    let (status, _) = anonymous
        .call(Method::POST, "/api/v1/tokens", Some(right.clone()))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // An unknown user gets the same answer as a wrong password.
    let (status, body) = anonymous
        .call(
            Method::POST,
            "/api/v1/tokens",
            Some(json!({"username": "nobody", "password": "whatever-it-is"})),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "wrong_credentials")
    );

    let (ok, out) = hearth.cli(&["account", "unlock", "alice"]);
    assert!(ok, "{out}");
    let alice = Api::login(&hearth, "alice", ADMIN_PASSWORD).await;
    let (status, me) = alice.call(Method::GET, "/api/v1/me", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["username"], "alice");
    assert_eq!(me["is_admin"], true);

    let (_, tokens) = alice.call(Method::GET, "/api/v1/me/tokens", None).await;
    let id = tokens[0]["id"].as_i64().unwrap();
    let (status, _) = alice
        .call(Method::DELETE, &format!("/api/v1/me/tokens/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = alice.call(Method::GET, "/api/v1/me", None).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "bad_token")
    );

    // A password change needs the current password.
    let alice = Api::login(&hearth, "alice", ADMIN_PASSWORD).await;
    let (status, body) = alice
        .call(
            Method::POST,
            "/api/v1/me/password",
            Some(json!({"current_password": "wrong", "new_password": "a new long password"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = alice
        .call(
            Method::POST,
            "/api/v1/me/password",
            Some(
                json!({"current_password": ADMIN_PASSWORD, "new_password": "a new long password"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let alice = Api::login(&hearth, "alice", "a new long password").await;

    // Two-factor: once on, logins need the current code.
    let (status, setup) = alice
        .call(Method::POST, "/api/v1/me/two-factor", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{setup}");
    let secret = setup["secret"].as_str().unwrap().to_owned();
    assert!(setup["url"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/"));
    let code_now = || {
        let bytes = totp_rs::Secret::Encoded(secret.clone()).to_bytes().unwrap();
        totp_rs::TOTP::new(
            totp_rs::Algorithm::SHA1,
            6,
            1,
            30,
            bytes,
            None,
            "alice".into(),
        )
        .unwrap()
        .generate_current()
        .unwrap()
    };
    let wrong_code = if code_now() == "000000" {
        "111111"
    } else {
        "000000"
    };
    let (status, body) = alice
        .call(
            Method::PUT,
            "/api/v1/me/two-factor",
            Some(json!({"secret": secret, "code": wrong_code})),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "wrong_code")
    );
    let (status, _) = alice
        .call(
            Method::PUT,
            "/api/v1/me/two-factor",
            Some(json!({"secret": secret, "code": code_now()})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let login = |code: Option<&str>| json!({"username": "alice", "password": "a new long password", "code": code});
    let (status, body) = anonymous
        .call(Method::POST, "/api/v1/tokens", Some(login(None)))
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "code_required")
    );
    let (status, body) = anonymous
        .call(
            Method::POST,
            "/api/v1/tokens",
            Some(login(Some(wrong_code))),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "wrong_code")
    );
    let (status, body) = anonymous
        .call(
            Method::POST,
            "/api/v1/tokens",
            Some(login(Some(&code_now()))),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (ok, out) = hearth.cli(&["account", "disable-two-factor", "alice"]);
    assert!(ok, "{out}");
    let (status, _) = anonymous
        .call(Method::POST, "/api/v1/tokens", Some(login(None)))
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_rules_and_images_and_their_federation() {
    let hearth = Hearth::start_with(Options {
        env: vec![("HEARTH_UPLOAD_MAX_BYTES", "4096".into())],
        ..Options::default()
    })
    .await;
    hearth.create_account("alice", ADMIN_PASSWORD, true);
    let api = Api::login(&hearth, "alice", ADMIN_PASSWORD).await;

    let (status, group) = api
        .call(
            Method::POST,
            "/api/v1/groups",
            Some(json!({"name": "hikers", "title": "Hikers", "summary": "Walks **every** week"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{group}");
    assert_eq!(group["handle"], format!("@hikers@{}", hearth.authority()));
    assert_eq!(group["join_mode"], "open");
    for (body, status, expected) in [
        (json!({"name": "hikers"}), StatusCode::CONFLICT, "taken"),
        (
            json!({"name": "Hikers Club"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_name",
        ),
        (
            json!({"name": "café"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_name",
        ),
        (
            json!({"name": "ok", "language": "not a tag"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            json!({"name": "ok", "unknown": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_body",
        ),
    ] {
        let (got, answer) = api.call(Method::POST, "/api/v1/groups", Some(body)).await;
        assert_eq!((got, code(&answer)), (status, expected), "{answer}");
    }

    // A follower, to watch the edits federate.
    let lemmy = peer("lemmy").await;
    let carol = lemmy.add_person("carol").await.unwrap();
    let group_url = hearth.group("hikers");
    deliver_expect(
        &lemmy,
        &carol,
        &hearth.group_inbox("hikers"),
        &follow(&lemmy, &carol, &group_url),
        202,
    )
    .await;
    wait_received(&lemmy, "an Accept", |r| {
        r.iter().any(|x| x.activity["type"] == "Accept")
    })
    .await;

    let hostile = "Come along!\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) [map](https://maps.example/) <img src=x onerror=alert(1)>";
    let (status, edited) = api
        .call(
            Method::PATCH,
            "/api/v1/groups/hikers",
            Some(json!({"title": "Hill walkers", "summary": hostile, "join_questions": ["Why?", "  "]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["title"], "Hill walkers");
    assert_eq!(edited["join_questions"], json!(["Why?"]));
    let actor = hearth.get_json(&group_url).await;
    assert_eq!(actor["name"], "Hill walkers");
    let summary = actor["summary"].as_str().unwrap();
    assert!(summary.contains("Come along!"), "{summary}");
    assert!(
        summary.contains("<a"),
        "the Markdown link stays a link: {summary}"
    );
    for bad in ["<script", "href=\"javascript", "onerror"] {
        assert!(!summary.contains(bad), "{bad} survived: {summary}");
    }
    assert_eq!(actor["source"]["mediaType"], "text/markdown");
    let updates = wait_received(&lemmy, "Update(Group)", |r| {
        r.iter().any(|x| {
            x.activity["type"] == "Update" && x.activity["object"]["name"] == "Hill walkers"
        })
    })
    .await;
    let update = updates
        .iter()
        .find(|x| x.activity["type"] == "Update")
        .unwrap();
    assert!(update.signature_ok);
    assert_eq!(update.activity["actor"], group_url.as_str());
    let (status, body) = api
        .call(
            Method::PATCH,
            "/api/v1/groups/hikers",
            Some(json!({"title": "  "})),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
    );

    // Rules keep their ids across edits.
    let (status, rules) = api
        .call(
            Method::PUT,
            "/api/v1/groups/hikers/rules",
            Some(json!([{"short_name": "Be kind", "text": "No insults."}, {"short_name": "Leave no trace"}])),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rules}");
    let kind_id = rules[0]["id"].as_i64().unwrap();
    let (_, rules) = api
        .call(
            Method::PUT,
            "/api/v1/groups/hikers/rules",
            Some(json!([{"short_name": "Stay on paths"}, {"id": kind_id, "short_name": "Be kind", "text": "Always."}])),
        )
        .await;
    assert_eq!(rules.as_array().unwrap().len(), 2);
    assert_eq!(rules[1]["id"], kind_id);
    assert_eq!(rules[1]["position"], 2);
    assert_eq!(rules[1]["text"], "Always.");
    let (status, body) = api
        .call(
            Method::PUT,
            "/api/v1/groups/hikers/rules",
            Some(json!([{"id": 999999, "short_name": "Not ours"}])),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
    );
    let (_, rules) = api
        .call(Method::GET, "/api/v1/groups/hikers/rules", None)
        .await;
    assert_eq!(
        rules.as_array().unwrap().len(),
        2,
        "a refused edit changes nothing"
    );

    // Images: judged by their bytes, bounded in size, served from /media.
    let (status, body) = api
        .upload(
            "/api/v1/groups/hikers/icon",
            b"<svg onload=alert(1)>".to_vec(),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "not_an_image")
    );
    let mut big = PIXEL_PNG.to_vec();
    big.resize(5000, 0);
    let (status, body) = api.upload("/api/v1/groups/hikers/icon", big).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
        "{body}"
    );
    let (status, body) = api
        .upload("/api/v1/groups/hikers/icon", vec![0; 200_000])
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
        "{body}"
    );
    let (_, group) = api.call(Method::GET, "/api/v1/groups/hikers", None).await;
    assert!(
        group["icon_url"].is_null(),
        "refused uploads change nothing"
    );
    let (status, group) = api
        .upload("/api/v1/groups/hikers/icon", PIXEL_PNG.to_vec())
        .await;
    assert_eq!(status, StatusCode::OK, "{group}");
    let icon = group["icon_url"].as_str().unwrap();
    let served = hearth.client.get(icon).send().await.unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.bytes().await.unwrap().as_ref(), PIXEL_PNG);
    assert_eq!(hearth.get_json(&group_url).await["icon"]["url"], icon);

    // Archiving: no new members and no new posts.
    let (status, group) = api
        .call(Method::POST, "/api/v1/groups/hikers/archive", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(group["archived_at"].is_string());
    let handle = format!("hikers@{}", hearth.authority());
    let (create, _) = mention_post(&lemmy, &carol, &group_url, &handle, "Anyone out?", None);
    deliver_expect(&lemmy, &carol, &hearth.group_inbox("hikers"), &create, 403).await;
    let dave = lemmy.add_person("dave").await.unwrap();
    let follow_dave = follow(&lemmy, &dave, &group_url);
    deliver_expect(
        &lemmy,
        &dave,
        &hearth.group_inbox("hikers"),
        &follow_dave,
        202,
    )
    .await;
    let dave_follow_id = follow_dave["id"].as_str().unwrap().to_owned();
    wait_received(&lemmy, "a Reject", |r| {
        r.iter()
            .any(|x| x.activity["type"] == "Reject" && x.activity["object"]["id"] == dave_follow_id)
    })
    .await;
    let (_, group) = api
        .call(Method::DELETE, "/api/v1/groups/hikers/archive", None)
        .await;
    assert!(group["archived_at"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_limit_what_staff_can_do() {
    let hearth = Hearth::start().await;
    hearth.create_account("alice", ADMIN_PASSWORD, true);
    let admin = Api::login(&hearth, "alice", ADMIN_PASSWORD).await;
    for name in ["hikers", "chess"] {
        let (status, _) = admin
            .call(
                Method::POST,
                "/api/v1/groups",
                Some(json!({"name": name, "join_mode": "approval"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    for (username, role) in [
        ("mo", "moderator"),
        ("manny", "manager"),
        ("olive", "owner"),
    ] {
        let (status, body) = admin
            .call(
                Method::POST,
                "/api/v1/accounts",
                Some(json!({"username": username, "password": "a long enough password"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, staff) = admin
            .call(
                Method::PUT,
                &format!("/api/v1/groups/hikers/staff/{username}"),
                Some(json!({"role": role})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{staff}");
    }
    let (status, body) = admin
        .call(
            Method::POST,
            "/api/v1/accounts",
            Some(json!({"username": "mo", "password": "a long enough password"})),
        )
        .await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "taken"));
    let (status, body) = admin
        .call(
            Method::POST,
            "/api/v1/accounts",
            Some(json!({"username": "shorty", "password": "short"})),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
    );
    let (_, staff) = admin
        .call(Method::GET, "/api/v1/groups/hikers/staff", None)
        .await;
    let roles: Vec<&str> = staff
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["owner", "moderator", "manager"]);

    let mo = Api::login(&hearth, "mo", "a long enough password").await;
    let manny = Api::login(&hearth, "manny", "a long enough password").await;
    let olive = Api::login(&hearth, "olive", "a long enough password").await;

    // Only staff of a group see it; only admins create groups or accounts.
    let (_, listed) = mo.call(Method::GET, "/api/v1/groups", None).await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["name"], "hikers");
    for (api, method, path, body) in [
        (&mo, Method::GET, "/api/v1/groups/chess", None),
        (
            &mo,
            Method::POST,
            "/api/v1/groups",
            Some(json!({"name": "mine"})),
        ),
        (&mo, Method::GET, "/api/v1/accounts", None),
        (
            &mo,
            Method::PATCH,
            "/api/v1/groups/hikers",
            Some(json!({"title": "Mo's group"})),
        ),
        (
            &mo,
            Method::PUT,
            "/api/v1/groups/hikers/staff/manny",
            Some(json!({"role": "owner"})),
        ),
        (
            &manny,
            Method::POST,
            "/api/v1/groups/hikers/requests/decision",
            Some(json!({"actor": "https://x.example/u", "approve": true})),
        ),
        (
            &manny,
            Method::POST,
            "/api/v1/groups/hikers/invites",
            Some(json!({"actor": "https://x.example/u"})),
        ),
        (
            &olive,
            Method::PATCH,
            "/api/v1/groups/chess",
            Some(json!({"title": "Olive's"})),
        ),
    ] {
        let (status, answer) = api.call(method.clone(), path, body).await;
        assert_eq!(
            (status, code(&answer)),
            (StatusCode::FORBIDDEN, "forbidden"),
            "{method} {path}: {answer}"
        );
    }
    let (_, hikers) = admin.call(Method::GET, "/api/v1/groups/hikers", None).await;
    assert_eq!(hikers["title"], "hikers", "forbidden edits change nothing");

    // What each role may do.
    let (status, _) = manny
        .call(Method::GET, "/api/v1/groups/hikers/members", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = mo
        .call(
            Method::POST,
            "/api/v1/groups/hikers/invites",
            Some(json!({"actor": "https://x.example/users/u"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = mo
        .call(
            Method::POST,
            "/api/v1/groups/hikers/invites",
            Some(json!({"actor": "not a url"})),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
    );
    let (status, body) = olive
        .call(
            Method::PATCH,
            "/api/v1/groups/hikers",
            Some(json!({"title": "Hikers"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = olive
        .call(Method::DELETE, "/api/v1/groups/hikers/staff/manny", None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = manny.call(Method::GET, "/api/v1/groups/hikers", None).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a dismissed manager loses access at once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_requests_answers_and_invitations() {
    let hearth = Hearth::start().await;
    hearth.create_account("alice", ADMIN_PASSWORD, true);
    let api = Api::login(&hearth, "alice", ADMIN_PASSWORD).await;
    for (name, mode) in [("hikers", "approval"), ("secret", "invite")] {
        let (status, _) = api
            .call(
                Method::POST,
                "/api/v1/groups",
                Some(json!({"name": name, "join_mode": mode})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let masto = peer("mastodon").await;
    let bob = masto.add_person("bob").await.unwrap();
    let eve = masto.add_person("eve").await.unwrap();

    // A request with answers waits; it is not a member yet.
    let hikers = hearth.group("hikers");
    let mut request = follow(&masto, &bob, &hikers);
    request["content"] = json!("<p>I walk <b>every</b> weekend</p>");
    deliver_expect(&masto, &bob, &hearth.group_inbox("hikers"), &request, 202).await;
    wait_for_nodeinfo(&masto).await;
    let (_, requests) = api
        .call(Method::GET, "/api/v1/groups/hikers/requests", None)
        .await;
    assert_eq!(requests.as_array().unwrap().len(), 1, "{requests}");
    assert_eq!(requests[0]["actor"], bob.as_str());
    assert_eq!(requests[0]["answers"], "I walk every weekend");
    let (_, members) = api
        .call(Method::GET, "/api/v1/groups/hikers/members", None)
        .await;
    assert_eq!(members["total"], 0, "a pending request is not a member");

    let (status, body) = api
        .call(
            Method::POST,
            "/api/v1/groups/hikers/requests/decision",
            Some(json!({"actor": eve.as_str(), "approve": true})),
        )
        .await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    let (status, _) = api
        .call(
            Method::POST,
            "/api/v1/groups/hikers/requests/decision",
            Some(json!({"actor": bob.as_str(), "approve": true})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let request_id = request["id"].as_str().unwrap().to_owned();
    wait_received(&masto, "the Accept", |r| {
        r.iter()
            .any(|x| x.activity["type"] == "Accept" && x.activity["object"]["id"] == request_id)
    })
    .await;
    let (_, members) = api
        .call(Method::GET, "/api/v1/groups/hikers/members?q=BOB", None)
        .await;
    assert_eq!(members["total"], 1, "{members}");
    let member = &members["items"][0];
    let instance = format!("{}:{}", bob.host_str().unwrap(), bob.port().unwrap());
    assert_eq!(member["handle"], format!("@bob@{instance}"));
    assert_eq!(member["instance"], instance);
    assert_eq!(
        member["software"], "mastodon",
        "where each member comes from"
    );
    let (_, none) = api
        .call(Method::GET, "/api/v1/groups/hikers/members?q=zzz", None)
        .await;
    assert_eq!(none["total"], 0);

    // Invite-only: the uninvited are rejected, the invited accepted.
    let secret = hearth.group("secret");
    let eve_follow = follow(&masto, &eve, &secret);
    deliver_expect(
        &masto,
        &eve,
        &hearth.group_inbox("secret"),
        &eve_follow,
        202,
    )
    .await;
    let eve_follow_id = eve_follow["id"].as_str().unwrap().to_owned();
    wait_received(&masto, "a Reject", |r| {
        r.iter()
            .any(|x| x.activity["type"] == "Reject" && x.activity["object"]["id"] == eve_follow_id)
    })
    .await;
    let (status, _) = api
        .call(
            Method::POST,
            "/api/v1/groups/secret/invites",
            Some(json!({"actor": bob.as_str()})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, invites) = api
        .call(Method::GET, "/api/v1/groups/secret/invites", None)
        .await;
    assert_eq!(invites[0]["invited_by"], "alice");
    let bob_follow = follow(&masto, &bob, &secret);
    deliver_expect(
        &masto,
        &bob,
        &hearth.group_inbox("secret"),
        &bob_follow,
        202,
    )
    .await;
    let bob_follow_id = bob_follow["id"].as_str().unwrap().to_owned();
    wait_received(&masto, "an Accept", |r| {
        r.iter()
            .any(|x| x.activity["type"] == "Accept" && x.activity["object"]["id"] == bob_follow_id)
    })
    .await;
    assert_eq!(hearth.follower_count("secret").await, 1);
    let (status, _) = api
        .call(
            Method::DELETE,
            &format!("/api/v1/groups/secret/invites?actor={}", bob.as_str()),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_lists_every_route() {
    let hearth = Hearth::start().await;
    let (status, doc) = Api::anonymous(&hearth)
        .call(Method::GET, "/api/v1/openapi.json", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(
        doc["components"]["securitySchemes"]["token"]["scheme"],
        "bearer"
    );
    let paths = doc["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/api/v1/tokens", &["post"][..]),
        ("/api/v1/me", &["get"]),
        ("/api/v1/me/password", &["post"]),
        ("/api/v1/me/two-factor", &["post", "put", "delete"]),
        ("/api/v1/me/tokens", &["get"]),
        ("/api/v1/me/tokens/{id}", &["delete"]),
        ("/api/v1/accounts", &["get", "post"]),
        ("/api/v1/groups", &["get", "post"]),
        ("/api/v1/groups/{name}", &["get", "patch"]),
        ("/api/v1/groups/{name}/archive", &["post", "delete"]),
        ("/api/v1/groups/{name}/rules", &["get", "put"]),
        ("/api/v1/groups/{name}/icon", &["put"]),
        ("/api/v1/groups/{name}/banner", &["put"]),
        ("/api/v1/groups/{name}/members", &["get"]),
        ("/api/v1/groups/{name}/requests", &["get"]),
        ("/api/v1/groups/{name}/requests/decision", &["post"]),
        ("/api/v1/groups/{name}/invites", &["get", "post", "delete"]),
        ("/api/v1/groups/{name}/staff", &["get"]),
        ("/api/v1/groups/{name}/staff/{username}", &["put", "delete"]),
    ] {
        for method in methods {
            let operation = &paths
                .get(path)
                .unwrap_or_else(|| panic!("{path} is documented"))[method];
            assert!(operation.is_object(), "{method} {path} is documented");
            assert!(operation["responses"]
                .as_object()
                .is_some_and(|r| !r.is_empty()));
        }
    }
    // Every documented operation is served: an unauthenticated call never meets a 404/405.
    for (path, item) in paths {
        let concrete = path
            .replace("{name}", "nosuchgroup")
            .replace("{username}", "nobody")
            .replace("{id}", "1");
        for method in item.as_object().unwrap().keys() {
            let method: Method = method.to_uppercase().parse().unwrap();
            let response = hearth
                .client
                .request(method.clone(), hearth.url(&concrete))
                .send()
                .await
                .unwrap();
            assert!(
                ![404, 405].contains(&response.status().as_u16())
                    || response
                        .headers()
                        .get("content-type")
                        .is_some_and(|t| t == "application/json"),
                "{method} {path} is routed"
            );
        }
    }
}
