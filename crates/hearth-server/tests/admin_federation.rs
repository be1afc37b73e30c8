//! The federation staff pages over real HTTP, the way a browser without JavaScript uses them:
//! suspending a followed instance and lifting the rule, forged and out-of-role forms, the
//! federation mode, publishing the list on /about, instance health, the moderation log, and
//! a silenced instance's post published from a group's "Held posts" page.

mod common;

use std::sync::Arc;

use common::pages::*;
use common::*;
use reqwest::redirect::Policy;
use url::Url;

const ADMIN: &str = "ada";
const ADMIN_PASSWORD: &str = "granite-ridge-walk-42";

/// What a request answered, before any redirect is followed.
struct Answer {
    status: u16,
    location: Option<String>,
    body: String,
}

/// A browser: one cookie jar, a client that follows redirects and one that does not.
struct Browser {
    base: Url,
    follow: reqwest::Client,
    raw: reqwest::Client,
}

impl Browser {
    /// A browser logged in as `username`, through the login form.
    async fn logged_in(hearth: &Hearth, username: &str, password: &str) -> Browser {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let build = |policy: Policy| {
            reqwest::Client::builder()
                .no_proxy()
                .cookie_provider(jar.clone())
                .redirect(policy)
                .build()
                .unwrap()
        };
        let browser = Browser {
            base: hearth.url("/"),
            follow: build(Policy::limited(5)),
            raw: build(Policy::none()),
        };
        let token = browser.token("/admin/login").await;
        let answer = browser
            .post(
                "/admin/login",
                &[
                    ("csrf", &token),
                    ("username", username),
                    ("password", password),
                    ("code", ""),
                    ("next", ""),
                ],
            )
            .await;
        assert_eq!(
            answer.status, 303,
            "logging in as {username}: {}",
            answer.body
        );
        browser
    }

    fn url(&self, path: &str) -> Url {
        self.base.join(path).unwrap()
    }

    /// GET, following redirects: the final status and page.
    async fn get(&self, path: &str) -> (u16, String) {
        let response = self.follow.get(self.url(path)).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    /// GET that must answer 200.
    async fn page(&self, path: &str) -> String {
        let (status, page) = self.get(path).await;
        assert_eq!(status, 200, "GET {path}: {page}");
        page
    }

    /// POSTs a form, without following the redirect.
    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let mut body = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in fields {
            body.append_pair(k, v);
        }
        let response = self
            .raw
            .post(self.url(path))
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
        Answer {
            status,
            location,
            body: response.text().await.unwrap(),
        }
    }

    /// Follows a 303 to `to` the way a browser does: the page it leads to.
    async fn follow(&self, answer: &Answer, to: &str) -> String {
        assert_eq!(answer.status, 303, "expected a redirect: {}", answer.body);
        assert_eq!(answer.location.as_deref(), Some(to));
        self.page(to).await
    }

    /// The CSRF token of the page at `path`.
    async fn token(&self, path: &str) -> String {
        hidden(&self.page(path).await, "csrf")
    }
}

/// Starts Hearth with an instance admin and a group.
async fn hearth_with_group(group_options: &[&str]) -> Hearth {
    let hearth = Hearth::start().await;
    hearth.create_account(ADMIN, ADMIN_PASSWORD, true);
    hearth.create_group("climbing", group_options);
    hearth
}

/// The "Save rule" form.
fn rule_form<'a>(token: &'a str, domain: &'a str, severity: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", token),
        ("domain", domain),
        ("severity", severity),
        ("public_reason", ""),
        ("private_reason", ""),
        ("expires_days", ""),
    ]
}

fn with<'a>(
    mut fields: Vec<(&'a str, &'a str)>,
    changes: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    for (k, v) in changes {
        fields.retain(|(key, _)| key != k);
        fields.push((k, v));
    }
    fields
}

const FEDERATION: &str = "/admin/federation";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_suspend_publish_and_lift_domain_rules_from_the_pages() {
    let hearth = hearth_with_group(&[]).await;
    hearth.create_account("mo", "moderate-moss-rock-1", false);
    let group = hearth.group("climbing");
    let inbox = hearth.group_inbox("climbing");
    let bad = peer_on("lemmy", "127.0.0.2").await;
    let troll = bad.add_person("troll").await.unwrap();
    deliver_expect(&bad, &troll, &inbox, &follow(&bad, &troll, &group), 202).await;
    assert_eq!(hearth.follower_count("climbing").await, 1);

    let admin = Browser::logged_in(&hearth, ADMIN, ADMIN_PASSWORD).await;
    assert!(admin.page("/admin").await.contains(">Federation</a>"));
    let page = admin.page(FEDERATION).await;
    for label in [
        "Domain",
        "Severity",
        "Public reason",
        "Private reason",
        "Reject media",
        "Reject reports",
        "Expires in days",
        "Federation mode",
        "Public list of moderated servers",
    ] {
        assert!(page.contains(&format!(">{label}</label>")), "{label}");
    }
    for button in ["Save rule", "Save mode", "Save visibility"] {
        assert!(page.contains(&format!(">{button}</button>")), "{button}");
    }
    assert!(page.contains("<option value=\"silence\">Silence (hold posts for review)</option>"));
    assert!(page.contains("href=\"/about\""));
    assert!(page.contains("No domain rules yet."));

    // Someone who is not an instance admin sees none of it and changes nothing.
    let mo = Browser::logged_in(&hearth, "mo", "moderate-moss-rock-1").await;
    assert!(!mo.page("/admin").await.contains(">Federation</a>"));
    for path in [
        FEDERATION,
        "/admin/federation/health",
        "/admin/federation/log",
    ] {
        let (status, page) = mo.get(path).await;
        assert_eq!(status, 403, "{path}");
        assert_eq!(alert(&page), "only instance admins can do this");
    }
    let token = mo.token("/admin").await;
    let answer = mo
        .post(
            "/admin/federation/rules",
            &rule_form(&token, "127.0.0.2", "suspend"),
        )
        .await;
    assert_eq!(answer.status, 403);
    let answer = mo
        .post(
            "/admin/federation/visibility",
            &[("csrf", &token), ("visibility", "public")],
        )
        .await;
    assert_eq!(answer.status, 403);

    // A form without the CSRF field, or with a forged one, changes nothing.
    let token = admin.token(FEDERATION).await;
    let fields = rule_form("", "127.0.0.2", "suspend");
    let without: Vec<(&str, &str)> = fields.into_iter().filter(|(k, _)| *k != "csrf").collect();
    let answer = admin.post("/admin/federation/rules", &without).await;
    assert_eq!(answer.status, 403);
    assert!(
        alert(&answer.body).contains("did not come from this site"),
        "{}",
        answer.body
    );
    let answer = admin
        .post(
            "/admin/federation/rules",
            &rule_form("cs_forged", "127.0.0.2", "suspend"),
        )
        .await;
    assert_eq!(answer.status, 403);
    let answer = admin
        .post("/admin/federation/mode", &[("mode", "allowlist")])
        .await;
    assert_eq!(answer.status, 403);
    assert_eq!(hearth.follower_count("climbing").await, 1);
    let page = admin.page(FEDERATION).await;
    assert!(page.contains("No domain rules yet."));
    assert!(page.contains("<option value=\"open\" selected>"));

    // Our own domain, a bad domain, severity or expiry: refused with the reason, form kept.
    let answer = admin
        .post(
            "/admin/federation/rules",
            &with(
                rule_form(&token, "127.0.0.1", "suspend"),
                &[("public_reason", "keep me")],
            ),
        )
        .await;
    assert_eq!(answer.status, 422);
    assert!(
        alert(&answer.body).contains("own domain"),
        "{}",
        answer.body
    );
    assert!(answer.body.contains("value=\"keep me\""));
    let answer = admin
        .post(
            "/admin/federation/rules",
            &rule_form(&token, "not a domain!", "suspend"),
        )
        .await;
    assert_eq!(answer.status, 422);
    assert!(alert(&answer.body).contains("not a"), "{}", answer.body);
    let answer = admin
        .post(
            "/admin/federation/rules",
            &rule_form(&token, "127.0.0.2", "obliterate"),
        )
        .await;
    assert_eq!(answer.status, 422);
    assert!(alert(&answer.body).contains("unknown severity"));
    let answer = admin
        .post(
            "/admin/federation/rules",
            &with(
                rule_form(&token, "127.0.0.2", "suspend"),
                &[("expires_days", "0")],
            ),
        )
        .await;
    assert_eq!(answer.status, 422);
    assert!(alert(&answer.body).contains("Expires in days"));
    assert_eq!(hearth.follower_count("climbing").await, 1);

    // Suspending the follower's instance removes its follow, and says so.
    let answer = admin
        .post(
            "/admin/federation/rules",
            &with(
                rule_form(&token, "127.0.0.2", "suspend"),
                &[
                    ("public_reason", "harassment"),
                    ("private_reason", "ticket 12"),
                    ("reject_media", "on"),
                    ("expires_days", "30"),
                ],
            ),
        )
        .await;
    let page = admin.follow(&answer, FEDERATION).await;
    let message = status_message(&page);
    assert!(
        message.contains("127.0.0.2 suspended") && message.contains("Removed 1 follow,"),
        "{message}"
    );
    assert_eq!(hearth.follower_count("climbing").await, 0);
    assert!(
        !admin.page(FEDERATION).await.contains("role=\"status\""),
        "shown once"
    );
    for cell in [
        ">127.0.0.2</strong>",
        "Suspended",
        "Media rejected",
        "harassment",
        "ticket 12",
        "Set here",
        "<td data-label=\"By\">ada</td>",
        ">Lift<",
        ">Reason for lifting (optional)</label>",
    ] {
        assert!(page.contains(cell), "{cell} in {page}");
    }
    let body = deliver_expect(&bad, &troll, &inbox, &follow(&bad, &troll, &group), 403).await;
    assert!(body.contains("suspended"), "{body}");
    // "Change" fills the form with the rule.
    let page = admin.page("/admin/federation?domain=127.0.0.2").await;
    assert!(page.contains("Change the rule for 127.0.0.2"));
    assert!(page.contains("value=\"ticket 12\"") && page.contains("value=\"30\""));
    assert!(page.contains("<option value=\"suspend\" selected>"));

    // Health lists the instance as refused; the log says who did what and why.
    let health = admin.page("/admin/federation/health").await;
    assert!(
        health.contains(&format!(">{}</strong>", bad.host())),
        "{health}"
    );
    assert!(health.contains(">Refused</span>"), "{health}");
    let log = admin.page("/admin/federation/log").await;
    for cell in [
        "<code>domain.suspend</code>",
        ">ada</td>",
        ">127.0.0.2</td>",
        ">harassment</td>",
    ] {
        assert!(log.contains(cell), "{cell} in {log}");
    }

    // Published, /about shows the domain and the public reason, never the private one.
    let (_, about) = hearth.get_html("/about").await;
    assert!(!about.contains("127.0.0.2"), "{about}");
    let answer = admin
        .post(
            "/admin/federation/visibility",
            &[("csrf", &token), ("visibility", "public")],
        )
        .await;
    let page = admin.follow(&answer, FEDERATION).await;
    assert!(status_message(&page).contains("published on the about page"));
    assert!(page.contains("<option value=\"public\" selected>"));
    assert!(page.contains("Visitors see 1 rule now."));
    let (_, about) = hearth.get_html("/about").await;
    assert!(
        about.contains("127.0.0.2") && about.contains("harassment") && !about.contains("ticket 12"),
        "{about}"
    );
    let answer = admin
        .post(
            "/admin/federation/visibility",
            &[("csrf", &token), ("visibility", "everything")],
        )
        .await;
    assert_eq!(answer.status, 422);

    // Lifting the rule: its people may follow again.
    let answer = admin
        .post(
            "/admin/federation/rules/lift",
            &[
                ("csrf", &token),
                ("domain", "127.0.0.2"),
                ("reason", "apologised"),
            ],
        )
        .await;
    let page = admin.follow(&answer, FEDERATION).await;
    assert!(
        status_message(&page).contains("Rule for 127.0.0.2 lifted"),
        "{page}"
    );
    assert!(page.contains("No domain rules yet."));
    let answer = admin
        .post(
            "/admin/federation/rules/lift",
            &[("csrf", &token), ("domain", "127.0.0.2"), ("reason", "")],
        )
        .await;
    assert_eq!(answer.status, 404);
    assert_eq!(alert(&answer.body), "There is no rule for 127.0.0.2.");
    let log = admin.page("/admin/federation/log").await;
    assert!(log.contains("apologised"), "{log}");
    deliver_expect(&bad, &troll, &inbox, &follow(&bad, &troll, &group), 202).await;
    assert_eq!(hearth.follower_count("climbing").await, 1);

    // Allowlist mode cuts off everyone not allowed; open mode comes back.
    let answer = admin
        .post(
            "/admin/federation/mode",
            &[("csrf", &token), ("mode", "allowlist")],
        )
        .await;
    let page = admin.follow(&answer, FEDERATION).await;
    let message = status_message(&page);
    assert!(
        message.contains("Federation mode: allowlist") && message.contains("Removed 1 follow,"),
        "{message}"
    );
    assert!(page.contains("<option value=\"allowlist\" selected>"));
    assert_eq!(hearth.follower_count("climbing").await, 0);
    let answer = admin
        .post(
            "/admin/federation/mode",
            &[("csrf", &token), ("mode", "closed")],
        )
        .await;
    assert_eq!(answer.status, 422);
    let answer = admin
        .post(
            "/admin/federation/mode",
            &[("csrf", &token), ("mode", "open")],
        )
        .await;
    let page = admin.follow(&answer, FEDERATION).await;
    assert!(status_message(&page).contains("Federation mode: open"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moderators_publish_and_reject_held_posts_from_the_group_pages() {
    let hearth = hearth_with_group(&["--posting", "anyone"]).await;
    hearth.create_account("mo", "moderate-moss-rock-1", false);
    hearth.create_account("mia", "manage-many-maps-2", false);
    let group = hearth.group("climbing");
    let inbox = hearth.group_inbox("climbing");
    let admin = Browser::logged_in(&hearth, ADMIN, ADMIN_PASSWORD).await;
    let token = admin.token("/admin/groups/climbing/staff").await;
    for (name, role) in [("mo", "moderator"), ("mia", "manager")] {
        let answer = admin
            .post(
                "/admin/groups/climbing/staff",
                &[("csrf", &token), ("username", name), ("role", role)],
            )
            .await;
        assert_eq!(answer.status, 303, "{}", answer.body);
    }

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
    let token = admin.token(FEDERATION).await;
    let answer = admin
        .post(
            "/admin/federation/rules",
            &rule_form(&token, "127.0.0.4", "silence"),
        )
        .await;
    let page = admin.follow(&answer, FEDERATION).await;
    assert!(
        status_message(&page).contains("127.0.0.4 silenced. Removed 0 follows"),
        "{page}"
    );
    deliver_expect(&noisy, &loud, &inbox, &follow(&noisy, &loud, &group), 202).await;

    // A silenced instance's post waits on the group's "Held posts" page.
    let (post, _) = mention_post(
        &noisy,
        &loud,
        &group,
        "climbing",
        "Meetup on Saturday <script>alert(1)</script><img src=x onerror=alert(2)>",
        None,
    );
    deliver_expect(&noisy, &loud, &inbox, &post, 202).await;
    let post_id = post["id"].as_str().unwrap().to_owned();
    let mo = Browser::logged_in(&hearth, "mo", "moderate-moss-rock-1").await;
    let dashboard = mo.page("/admin").await;
    assert!(dashboard.contains(">1 held</span>"), "{dashboard}");
    let overview = mo.page("/admin/groups/climbing").await;
    assert!(
        overview.contains("/held\">Held posts <span class=\"badge warn\">1<"),
        "{overview}"
    );
    let held = mo.page("/admin/groups/climbing/held").await;
    let handle = format!("@{}", noisy.acct("loud"));
    assert!(held.contains(&handle), "{held}");
    assert!(held.contains("Meetup on Saturday"), "{held}");
    assert!(
        !held.contains("<script") && !held.contains("onerror"),
        "the post is sanitised: {held}"
    );
    assert!(held.contains(">Reason for the author</label>"));
    assert!(held.contains(">Publish</button>") && held.contains(">Reject</button>"));
    assert!(held.contains("aria-current=\"page\">Held posts"));
    let id = hidden(&held, "id");

    // A community manager may not review.
    let mia = Browser::logged_in(&hearth, "mia", "manage-many-maps-2").await;
    assert!(!mia
        .page("/admin/groups/climbing")
        .await
        .contains("Held posts"));
    assert!(mia.page("/admin").await.contains("moderators only"));
    let (status, page) = mia.get("/admin/groups/climbing/held").await;
    assert_eq!(status, 403);
    assert_eq!(
        alert(&page),
        "only the group's moderators, owners and instance admins can review held posts"
    );
    let token = mo.token("/admin/groups/climbing/held").await;
    let answer = mia
        .post(
            "/admin/groups/climbing/held/decide",
            &[
                ("csrf", &mia.token("/admin").await),
                ("id", &id),
                ("decision", "publish"),
            ],
        )
        .await;
    assert_eq!(answer.status, 403);
    // Without the CSRF field, nothing happens.
    let answer = mo
        .post(
            "/admin/groups/climbing/held/decide",
            &[("id", &id), ("decision", "publish")],
        )
        .await;
    assert_eq!(answer.status, 403);
    assert!(mo
        .page("/admin/groups/climbing/held")
        .await
        .contains("Meetup on Saturday"));

    // Published, the group announces it exactly as it arrived.
    let answer = mo
        .post(
            "/admin/groups/climbing/held/decide",
            &[
                ("csrf", &token),
                ("id", &id),
                ("decision", "publish"),
                ("reason", ""),
            ],
        )
        .await;
    let page = mo.follow(&answer, "/admin/groups/climbing/held").await;
    assert!(
        status_message(&page).contains(&format!("Published the post by {handle}")),
        "{page}"
    );
    assert!(page.contains("No posts are waiting for review."));
    let got = wait_received(&threaded, "the published post's Announce", |r| {
        r.iter().any(|x| announces(&x.activity, &post_id))
    })
    .await;
    let announce = got
        .iter()
        .find(|x| announces(&x.activity, &post_id))
        .unwrap();
    assert_eq!(announce.activity["object"], post);
    let answer = mo
        .post(
            "/admin/groups/climbing/held/decide",
            &[("csrf", &token), ("id", &id), ("decision", "publish")],
        )
        .await;
    assert_eq!(answer.status, 409);
    assert!(alert(&answer.body).contains("no post"), "{}", answer.body);

    // Rejected, its author is told why.
    let (spam, _) = mention_post(&noisy, &loud, &group, "climbing", "BUY NOW", None);
    deliver_expect(&noisy, &loud, &inbox, &spam, 202).await;
    let spam_id = spam["id"].as_str().unwrap().to_owned();
    let held = mo.page("/admin/groups/climbing/held").await;
    assert!(held.contains("BUY NOW"));
    let id = hidden(&held, "id");
    let answer = mo
        .post(
            "/admin/groups/climbing/held/decide",
            &[
                ("csrf", &token),
                ("id", &id),
                ("decision", "reject"),
                ("reason", "Advertising is off-topic"),
            ],
        )
        .await;
    let page = mo.follow(&answer, "/admin/groups/climbing/held").await;
    assert!(
        status_message(&page).contains("Rejected the post"),
        "{page}"
    );
    wait_received(&noisy, "the rejection notice", |r| {
        r.iter().any(|x| {
            x.activity["type"] == "Create"
                && x.activity["object"]["content"]
                    .as_str()
                    .is_some_and(|c| c.replace("&#32;", " ").contains("Advertising is off-topic"))
        })
    })
    .await;
    assert!(!threaded
        .received()
        .iter()
        .any(|x| announces(&x.activity, &spam_id)));
}
