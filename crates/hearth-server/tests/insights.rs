//! Community insights between real processes: peers join, post, reply, react and leave; the
//! rollup is brought up to date from the command line; the API, the staff page (SVG charts
//! with tables), the CSV and JSON exports and `hearth insights` all count the same things;
//! ranges outside the data kept, bad dates, unknown charts and outsiders are refused; the
//! weekly digest shows on its page and reaches a remote moderator as a direct message.

mod common;

use std::sync::Arc;

use common::pages::hidden;
use common::*;
use reqwest::redirect::Policy;
use reqwest::StatusCode;
use serde_json::{json, Value};

const ADMIN: &str = "root";
const PASSWORD: &str = "correct horse battery";

/// A staff member's API token.
async fn token(hearth: &Hearth, username: &str) -> String {
    let response = hearth
        .client
        .post(hearth.url("/api/v1/tokens"))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

/// GET with a token: (status, JSON body).
async fn api(hearth: &Hearth, token: &str, path: &str) -> (StatusCode, Value) {
    let response = hearth
        .client
        .get(hearth.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

/// A cookie-keeping client logged in to the staff pages.
async fn browser(hearth: &Hearth) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .no_proxy()
        .cookie_provider(Arc::new(reqwest::cookie::Jar::default()))
        .redirect(Policy::none())
        .build()
        .unwrap();
    let login = client.get(hearth.url("/admin/login")).send().await.unwrap();
    let csrf = hidden(&login.text().await.unwrap(), "csrf");
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("csrf", &csrf)
        .append_pair("username", ADMIN)
        .append_pair("password", PASSWORD)
        .append_pair("code", "")
        .append_pair("next", "")
        .finish();
    let answer = client
        .post(hearth.url("/admin/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    client
}

/// GET a staff page: (status, content type, body).
async fn page(hearth: &Hearth, client: &reqwest::Client, path: &str) -> (u16, String, String) {
    let response = client.get(hearth.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn insights_count_what_members_do() {
    let hearth = Hearth::start().await;
    hearth.create_account(ADMIN, PASSWORD, true);
    hearth.create_account("visitor", PASSWORD, false);
    hearth.create_group("climbing", &[]);
    let group = hearth.group("climbing");
    let inbox = hearth.group_inbox("climbing");

    // Three people join; alice posts, bob replies and likes, carol leaves.
    let (masto, alice) = author(&hearth).await;
    let lemmy = peer("lemmy").await;
    let bob = lemmy.add_person("bob").await.unwrap();
    let carol = lemmy.add_person("carol").await.unwrap();
    for who in [&bob, &carol] {
        deliver_expect(&lemmy, who, &inbox, &follow(&lemmy, who, &group), 202).await;
    }
    let create = post(&hearth, &masto, &alice, "Where do you climb?").await;
    let note_id = create.trim_end_matches("/activity").to_owned();
    let handle = format!("climbing@{}", hearth.authority());
    let (reply, _) = mention_post(
        &lemmy,
        &bob,
        &group,
        &handle,
        "Fontainebleau",
        Some(&note_id),
    );
    deliver_expect(&lemmy, &bob, &inbox, &reply, 202).await;
    let like = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": lemmy.new_id("like"),
                      "type": "Like", "actor": bob, "object": note_id});
    deliver_expect(&lemmy, &bob, &inbox, &like, 202).await;
    let undo = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": lemmy.new_id("undo"),
                      "type": "Undo", "actor": carol,
                      "object": {"id": lemmy.new_id("follow"), "type": "Follow", "actor": carol, "object": group}});
    deliver_expect(&lemmy, &carol, &inbox, &undo, 202).await;

    // The terminal summary, bringing the rollup up to date first.
    let (ok, out) = hearth.cli_stdout(&["insights", "climbing", "--period", "7d", "--refresh"]);
    assert!(ok, "{out}");
    assert!(out.contains("Insights for climbing"), "{out}");
    assert!(
        out.contains("New threads") && out.contains("Members"),
        "{out}"
    );
    assert!(
        out.contains("Where do you climb?"),
        "the top thread is listed: {out}"
    );

    // The API counts the same.
    let root = token(&hearth, ADMIN).await;
    let (status, report) = api(&hearth, &root, "/api/v1/groups/climbing/insights?period=7d").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let totals = &report["totals"];
    assert_eq!(totals["members"], 2, "{totals}");
    assert_eq!(totals["joins"], 3, "{totals}");
    assert_eq!(totals["leaves"], 1, "{totals}");
    assert_eq!(totals["net_growth"], 2, "{totals}");
    assert_eq!(totals["posts"], 1, "{totals}");
    assert_eq!(totals["replies"], 1, "{totals}");
    assert_eq!(totals["reactions"], 1, "{totals}");
    assert_eq!(totals["active"], 2, "{totals}");
    assert_eq!(report["days"].as_array().unwrap().len(), 7);
    assert_eq!(report["top_threads_by_replies"][0]["replies"], 1);
    assert_eq!(report["top_threads_by_participants"][0]["participants"], 1);
    assert_eq!(report["busiest_hours"].as_array().unwrap().len(), 24);
    let headline = report["headlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["key"] == "members")
        .unwrap();
    assert_eq!(headline["value"], 2.0);
    assert_eq!(headline["previous"], 0.0, "nobody was a member a week ago");

    // A second refresh counts nothing twice.
    let (ok, out) = hearth.cli(&["insights", "climbing", "--refresh", "--json"]);
    assert!(ok, "{out}");
    let (_, again) = api(&hearth, &root, "/api/v1/groups/climbing/insights?period=7d").await;
    assert_eq!(again["totals"], report["totals"]);

    // Bad input.
    let (status, body) = api(
        &hearth,
        &root,
        "/api/v1/groups/climbing/insights?from=2020-01-01",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "invalid_range");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("kept for"),
        "{body}"
    );
    let (status, _) = api(
        &hearth,
        &root,
        "/api/v1/groups/climbing/insights?from=tomorrow",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = api(
        &hearth,
        &root,
        "/api/v1/groups/climbing/insights?to=2026-01-01",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = api(
        &hearth,
        &root,
        "/api/v1/groups/climbing/insights?period=week",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = api(&hearth, &root, "/api/v1/groups/nowhere/insights").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let visitor = token(&hearth, "visitor").await;
    let (status, _) = api(&hearth, &visitor, "/api/v1/groups/climbing/insights").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = api(&hearth, &visitor, "/api/v1/insights").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, all) = api(&hearth, &root, "/api/v1/insights?period=7d").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all["totals"]["posts"], 1);
    let (ok, out) = hearth.cli(&["insights", "climbing", "--period", "fortnight"]);
    assert!(!ok && out.contains("not a period"), "{out}");
    let (ok, out) = hearth.cli(&["insights", "climbing", "--from", "2001-01-01"]);
    assert!(!ok && out.contains("kept for"), "{out}");

    // The staff page: SVG charts, each with its table, and exports.
    let client = browser(&hearth).await;
    let (status, _, html) = page(
        &hearth,
        &client,
        "/admin/groups/climbing/insights?period=7d",
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("<svg class=\"chart\""), "charts are drawn");
    assert!(html.contains("<table"), "each chart has a table");
    assert!(html.contains("Joins and leaves per day"));
    assert!(
        html.contains("aria-current=\"page\">Insights</a>"),
        "the tab is current"
    );
    let (status, kind, csv) = page(
        &hearth,
        &client,
        "/admin/groups/climbing/insights/activity.csv?period=7d",
    )
    .await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/csv"));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "date,posts,replies,reactions,active");
    assert_eq!(lines.len(), 8, "a header and seven days: {csv}");
    assert!(lines[7].ends_with(",1,1,1,2"), "today's row: {csv}");
    let (status, _, json) = page(
        &hearth,
        &client,
        "/admin/groups/climbing/insights.json?period=7d",
    )
    .await;
    assert_eq!(status, 200);
    let json: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["totals"], report["totals"]);
    let (status, _, _) = page(
        &hearth,
        &client,
        "/admin/groups/climbing/insights/nothing.csv",
    )
    .await;
    assert_eq!(status, 404);
    let (status, _, html) = page(
        &hearth,
        &client,
        "/admin/groups/climbing/insights?from=2020-01-01",
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("kept for"), "{html}");
    let (status, _, html) = page(&hearth, &client, "/admin/insights?period=30d").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Insights: all groups") && html.contains("<svg"));

    // The weekly digest: a page for staff, a direct message to remote moderators.
    let (status, _, html) = page(&hearth, &client, "/admin/groups/climbing/digest").await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Weekly digest") && html.contains("New threads"),
        "{html}"
    );
    let (ok, out) = hearth.cli(&["group", "moderator", "add", "climbing", bob.as_str()]);
    assert!(ok, "{out}");
    lemmy.clear_received();
    let (ok, out) = hearth.cli(&["insights", "climbing", "--send-digest"]);
    assert!(ok && out.contains("queued for 1 remote moderator"), "{out}");
    let received = wait_received(&lemmy, "the digest", |r| {
        r.iter().any(|x| {
            x.activity["type"] == "Create"
                && x.activity["object"]["content"]
                    .as_str()
                    .is_some_and(|c| c.contains("This week in"))
        })
    })
    .await;
    let digest = received
        .iter()
        .find(|x| x.activity["type"] == "Create")
        .unwrap();
    assert_eq!(
        digest.activity["to"][0],
        bob.as_str(),
        "sent to the moderator only"
    );
    let (ok, out) = hearth.cli(&["insights", "--send-digest"]);
    assert!(!ok, "a digest needs a group: {out}");
}
