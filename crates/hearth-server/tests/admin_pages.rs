//! The staff pages under /admin over real HTTP, the way a browser without JavaScript uses
//! them: a cookie jar, forms posted as `application/x-www-form-urlencoded` or
//! `multipart/form-data`, redirects followed. Covers logging in (wrong passwords, lockout,
//! expired sessions, where `next` may lead), forged and out-of-role forms, image uploads
//! that are too large or not images, group names WebFinger cannot carry, Markdown that tries
//! to smuggle scripts, and the whole way from a new group to an approved member.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::pages::*;
use common::*;
use reqwest::redirect::Policy;
use serde_json::Value;
use url::Url;

const ADMIN: &str = "ada";
const ADMIN_PASSWORD: &str = "granite-ridge-walk-42";

/// What a request answered, before any redirect is followed.
struct Answer {
    status: u16,
    location: Option<String>,
    cookies: Vec<String>,
    body: String,
}

/// A browser: one cookie jar, a client that follows redirects and one that does not.
struct Browser {
    base: Url,
    follow: reqwest::Client,
    raw: reqwest::Client,
}

impl Browser {
    fn new(hearth: &Hearth) -> Browser {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let build = |policy: Policy| {
            reqwest::Client::builder()
                .no_proxy()
                .cookie_provider(jar.clone())
                .redirect(policy)
                .build()
                .unwrap()
        };
        Browser {
            base: hearth.url("/"),
            follow: build(Policy::limited(5)),
            raw: build(Policy::none()),
        }
    }

    /// A browser logged in as `username`.
    async fn logged_in(hearth: &Hearth, username: &str, password: &str) -> Browser {
        let browser = Browser::new(hearth);
        let answer = browser.log_in(username, password, "").await;
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

    /// GET, following redirects: the final status, address and page.
    async fn get(&self, path: &str) -> (u16, Url, String) {
        let response = self.follow.get(self.url(path)).send().await.unwrap();
        let status = response.status().as_u16();
        let url = response.url().clone();
        (status, url, response.text().await.unwrap())
    }

    /// GET without following a redirect.
    async fn get_raw(&self, path: &str) -> Answer {
        answer_of(self.raw.get(self.url(path)).send().await.unwrap()).await
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
        answer_of(response).await
    }

    /// POSTs a multipart form (`(name, file name, bytes)`), without following the redirect.
    async fn post_multipart(&self, path: &str, parts: &[(&str, Option<&str>, &[u8])]) -> Answer {
        let boundary = "----hearth-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (name, file, bytes) in parts {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            match file {
                Some(file) => body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\n\
                         Content-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                ),
                None => body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                ),
            }
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let response = self
            .raw
            .post(self.url(path))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        answer_of(response).await
    }

    /// Follows a 303 the way a browser does: the page it leads to.
    async fn follow(&self, answer: &Answer) -> String {
        assert_eq!(answer.status, 303, "expected a redirect: {}", answer.body);
        let location = answer.location.as_deref().expect("a Location");
        let (status, _, page) = self.get(location).await;
        assert_eq!(status, 200, "{location}: {page}");
        page
    }

    /// Logs in through the form (with the CSRF token the form page set).
    async fn log_in(&self, username: &str, password: &str, next: &str) -> Answer {
        let (status, _, page) = self.get("/admin/login").await;
        assert_eq!(status, 200);
        let token = csrf(&page);
        self.post(
            "/admin/login",
            &[
                ("csrf", &token),
                ("username", username),
                ("password", password),
                ("code", ""),
                ("next", next),
            ],
        )
        .await
    }

    /// The CSRF token of the page at `path`.
    async fn token(&self, path: &str) -> String {
        let (status, _, page) = self.get(path).await;
        assert_eq!(status, 200, "GET {path}: {page}");
        csrf(&page)
    }
}

async fn answer_of(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    let cookies = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_owned())
        .collect();
    Answer {
        status,
        location,
        cookies,
        body: response.text().await.unwrap(),
    }
}

/// The value of the first hidden `csrf` field.
fn csrf(page: &str) -> String {
    hidden(page, "csrf")
}

/// The page without its `<textarea>`s (whose content is text, not markup).
fn without_textareas(page: &str) -> String {
    let mut out = String::new();
    let mut rest = page;
    while let Some(start) = rest.find("<textarea") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("</textarea>").unwrap() + start + "</textarea>".len();
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The group's actor document.
async fn actor(hearth: &Hearth, name: &str) -> Value {
    hearth.get_json(&hearth.group(name)).await
}

/// Starts Hearth with an instance admin.
async fn hearth_with_admin(env: Vec<(&'static str, String)>) -> Hearth {
    let hearth = Hearth::start_with(Options {
        env,
        ..Options::default()
    })
    .await;
    hearth.create_account(ADMIN, ADMIN_PASSWORD, true);
    hearth
}

/// Creates a group through the "New group" form; returns the page it leads to.
async fn create_group(browser: &Browser, name: &str, join_mode: &str, description: &str) -> String {
    let token = browser.token("/admin/groups/new").await;
    let answer = browser
        .post(
            "/admin/groups/new",
            &[
                ("csrf", &token),
                ("name", name),
                ("title", &format!("The {name}")),
                ("description", description),
                ("join_mode", join_mode),
                ("posting", "followers"),
                ("language", "en"),
                ("listed", "on"),
            ],
        )
        .await;
    assert_eq!(answer.status, 303, "creating {name}: {}", answer.body);
    assert_eq!(
        answer.location.as_deref(),
        Some(format!("/admin/groups/{name}").as_str())
    );
    browser.follow(&answer).await
}

/// The settings form of a group with `changes` applied.
fn settings(token: &str, changes: &[(&'static str, &'static str)]) -> Vec<(&'static str, String)> {
    let mut fields = vec![
        ("csrf", token.to_owned()),
        ("title", "Climbing".to_owned()),
        ("description", "Ropes and rocks".to_owned()),
        ("join_mode", "approval".to_owned()),
        ("join_questions", String::new()),
        ("posting", "followers".to_owned()),
        ("language", "en".to_owned()),
        ("listed", "on".to_owned()),
    ];
    for (k, v) in changes {
        fields.retain(|(key, _)| key != k);
        fields.push((k, (*v).to_owned()));
    }
    fields
}

fn borrow<'a>(fields: &'a [(&'a str, String)]) -> Vec<(&'a str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_in_and_out() {
    let hearth = hearth_with_admin(vec![("HEARTH_LOGIN_MAX_FAILURES", "3".into())]).await;
    hearth.create_account("bea", "basalt-column-path-7", false);
    let browser = Browser::new(&hearth);

    // Pages send strangers to the login form, and back afterwards.
    let answer = browser.get_raw("/admin/accounts").await;
    assert_eq!(answer.status, 303);
    assert_eq!(
        answer.location.as_deref(),
        Some("/admin/login?next=%2Fadmin%2Faccounts")
    );
    let (status, _, page) = browser.get("/admin/login?next=%2Fadmin%2Faccounts").await;
    assert_eq!(status, 200);
    for label in ["Username", "Password", "Authenticator code"] {
        assert!(page.contains(&format!(">{label}</label>")), "{label}");
    }
    assert!(
        unescape(&page).contains("name=\"next\" value=\"/admin/accounts\""),
        "the next field"
    );
    assert!(region(&page, "alert").is_none());

    // A wrong password, and an unknown user, read the same.
    let answer = browser.log_in(ADMIN, "not-the-password", "").await;
    assert_eq!(answer.status, 401);
    assert_eq!(alert(&answer.body), "Wrong username or password.");
    let answer = browser.log_in("nobody", ADMIN_PASSWORD, "").await;
    assert_eq!(answer.status, 401);
    assert_eq!(alert(&answer.body), "Wrong username or password.");

    // A login form from elsewhere (no double-submit token) is refused.
    let stranger = Browser::new(&hearth);
    let answer = stranger
        .post(
            "/admin/login",
            &[("username", ADMIN), ("password", ADMIN_PASSWORD)],
        )
        .await;
    assert_eq!(answer.status, 403);
    assert!(alert(&answer.body).contains("did not come from this site"));

    // After three failures the account is locked, even for the right password.
    for _ in 0..2 {
        assert_eq!(
            browser.log_in("bea", "wrong-wrong-wrong", "").await.status,
            401
        );
    }
    let answer = browser.log_in("bea", "wrong-wrong-wrong", "").await;
    assert_eq!(answer.status, 429);
    assert!(alert(&answer.body).contains("locked"), "{}", answer.body);
    let answer = browser.log_in("bea", "basalt-column-path-7", "").await;
    assert_eq!(answer.status, 429);
    assert!(alert(&answer.body).contains("locked"));

    // `next` leads only to paths on this site.
    for (next, to) in [
        ("https://evil.example/", "/admin"),
        ("//evil.example/admin", "/admin"),
        ("/\\evil.example/admin", "/admin"),
        ("/admin/logout", "/admin"),
        ("/admin/accounts", "/admin/accounts"),
    ] {
        let fresh = Browser::new(&hearth);
        let answer = fresh.log_in(ADMIN, ADMIN_PASSWORD, next).await;
        assert_eq!(answer.status, 303);
        assert_eq!(answer.location.as_deref(), Some(to), "next={next}");
    }
    let answer = browser
        .log_in(ADMIN, ADMIN_PASSWORD, "/admin/accounts")
        .await;
    assert_eq!(answer.location.as_deref(), Some("/admin/accounts"));
    let page = browser.follow(&answer).await;
    assert!(page.contains("<h1>Accounts</h1>"));
    assert!(page.contains(&format!("Logged in as <strong>{ADMIN}</strong>")));
    // Once logged in, the login page sends you on.
    let answer = browser
        .get_raw("/admin/login?next=%2Fadmin%2Faccount")
        .await;
    assert_eq!(answer.location.as_deref(), Some("/admin/account"));

    // The dashboard links what an admin may do.
    let (_, _, page) = browser.get("/admin").await;
    assert!(page.contains("<h1>Dashboard</h1>"));
    for link in ["New group", "Accounts", "Your account"] {
        assert!(page.contains(&format!(">{link}</a>")), "{link}");
    }

    // Logging out ends the session on the server, not just in the browser.
    let session = browser
        .raw
        .get(browser.url("/admin"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(session, 200);
    let token = browser.token("/admin").await;
    let answer = browser.post("/admin/logout", &[("csrf", &token)]).await;
    assert_eq!(answer.status, 303);
    let page = browser.follow(&answer).await;
    assert_eq!(status_message(&page), "You have logged out.");
    assert!(page.contains(">Log in</button>"));
    assert_eq!(browser.get_raw("/admin").await.status, 303);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_session_goes_back_to_the_login_form() {
    let hearth = hearth_with_admin(vec![("HEARTH_SESSION_SECS", "1".into())]).await;
    let browser = Browser::new(&hearth);
    let answer = browser.log_in(ADMIN, ADMIN_PASSWORD, "").await;
    assert_eq!(answer.status, 303);
    let set_cookie = answer
        .cookies
        .iter()
        .find(|c| c.starts_with("hearth_session="))
        .expect("a session cookie");
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("Max-Age=1"));
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    // A browser forgets the cookie when it expires; the server must not rely on that, so keep
    // sending it, as a browser with a wrong clock would.
    let plain = reqwest::Client::builder()
        .no_proxy()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let visit = |path: &str| {
        plain
            .get(browser.url(path))
            .header("cookie", cookie.clone())
            .send()
    };
    assert_eq!(visit("/admin").await.unwrap().status(), 200);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let expired = answer_of(visit("/admin/groups/new").await.unwrap()).await;
    assert_eq!(expired.status, 303);
    assert_eq!(
        expired.location.as_deref(),
        Some("/admin/login?next=%2Fadmin%2Fgroups%2Fnew&expired=1")
    );
    let (status, _, page) = browser.get(expired.location.as_deref().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(alert(&page), "Your session has expired. Log in again.");
    assert!(
        unescape(&page).contains("name=\"next\" value=\"/admin/groups/new\""),
        "back there afterwards"
    );
    // A form posted with the dead session goes the same way and changes nothing.
    let posted = plain
        .post(browser.url("/admin/groups/new"))
        .header("cookie", cookie.clone())
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=sneaky&join_mode=open&posting=followers")
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 303);
    let (status, _) = hearth.get_html("/groups/sneaky").await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_out_of_role_forms_change_nothing() {
    let hearth = hearth_with_admin(Vec::new()).await;
    let admin = Browser::logged_in(&hearth, ADMIN, ADMIN_PASSWORD).await;
    create_group(&admin, "climbing", "approval", "Ropes and rocks").await;

    // Staff accounts, made on the Accounts page and appointed on the group's Staff page.
    let token = admin.token("/admin/accounts").await;
    for (name, password) in [
        ("mo", "moderate-moss-rock-1"),
        ("mia", "manage-many-maps-2"),
    ] {
        let answer = admin
            .post(
                "/admin/accounts",
                &[("csrf", &token), ("username", name), ("password", password)],
            )
            .await;
        let page = admin.follow(&answer).await;
        assert!(status_message(&page).contains(&format!("Account {name} created")));
    }
    let answer = admin
        .post(
            "/admin/accounts",
            &[
                ("csrf", &token),
                ("username", "mo"),
                ("password", "whatever-long-9"),
            ],
        )
        .await;
    assert_eq!(answer.status, 409);
    assert_eq!(alert(&answer.body), "an account named mo already exists");
    let answer = admin
        .post(
            "/admin/accounts",
            &[
                ("csrf", &token),
                ("username", "shorty"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(answer.status, 422);
    assert!(alert(&answer.body).contains("at least 10 characters"));

    let token = admin.token("/admin/groups/climbing/staff").await;
    for (name, role) in [("mo", "moderator"), ("mia", "manager")] {
        let answer = admin
            .post(
                "/admin/groups/climbing/staff",
                &[("csrf", &token), ("username", name), ("role", role)],
            )
            .await;
        let page = admin.follow(&answer).await;
        assert!(status_message(&page).contains(name));
    }
    let answer = admin
        .post(
            "/admin/groups/climbing/staff",
            &[("csrf", &token), ("username", "nobody"), ("role", "owner")],
        )
        .await;
    assert_eq!(answer.status, 422);
    assert!(alert(&answer.body).contains("no staff account named"));

    // A form without the CSRF field: 403 with the reason, nothing saved.
    let before = actor(&hearth, "climbing").await;
    let fields = settings("", &[("title", "Hijacked")]);
    let without: Vec<(&str, &str)> = borrow(&fields)
        .into_iter()
        .filter(|(k, _)| *k != "csrf")
        .collect();
    let answer = admin.post("/admin/groups/climbing", &without).await;
    assert_eq!(answer.status, 403);
    assert!(
        alert(&answer.body).contains("did not come from this site"),
        "{}",
        answer.body
    );
    // A wrong token is no better.
    let fields = settings("cs_forged", &[("title", "Hijacked")]);
    let answer = admin.post("/admin/groups/climbing", &borrow(&fields)).await;
    assert_eq!(answer.status, 403);
    assert_eq!(actor(&hearth, "climbing").await["name"], before["name"]);
    assert_eq!(before["name"], "The climbing");

    // A moderator sees the group but cannot edit it, create groups or appoint staff.
    let mo = Browser::logged_in(&hearth, "mo", "moderate-moss-rock-1").await;
    let (status, _, page) = mo.get("/admin").await;
    assert_eq!(status, 200);
    assert!(unescape(&page).contains("href=\"/admin/groups/climbing\""));
    assert!(!page.contains(">New group</a>"));
    let (status, _, page) = mo.get("/admin/groups/climbing").await;
    assert_eq!(status, 200);
    assert!(
        !page.contains(">Save changes</button>"),
        "read-only for moderators"
    );
    let token = csrf(&page);
    let fields = settings(&token, &[("title", "Mod rule")]);
    let answer = mo.post("/admin/groups/climbing", &borrow(&fields)).await;
    assert_eq!(answer.status, 403);
    assert_eq!(
        alert(&answer.body),
        "only the group's owners and instance admins can edit the group"
    );
    assert_eq!(actor(&hearth, "climbing").await["name"], "The climbing");
    let answer = mo
        .post(
            "/admin/groups/climbing/rules",
            &[
                ("csrf", &token),
                ("rule_id", ""),
                ("rule_name", "Mods rule"),
                ("rule_text", ""),
            ],
        )
        .await;
    assert_eq!(answer.status, 403);
    let answer = mo
        .post(
            "/admin/groups/climbing/staff",
            &[("csrf", &token), ("username", "mo"), ("role", "owner")],
        )
        .await;
    assert_eq!(answer.status, 403);
    let (status, _, page) = mo.get("/admin/groups/new").await;
    assert_eq!(status, 403);
    assert_eq!(alert(&page), "only instance admins can do this");
    assert_eq!(mo.get("/admin/accounts").await.0, 403);
    let (_, _, staff) = admin.get("/admin/groups/climbing/staff").await;
    assert!(
        staff.contains("<td>mo</td>\n    <td>Moderator</td>"),
        "{staff}"
    );

    // Moderators do handle invitations.
    let answer = mo
        .post(
            "/admin/groups/climbing/invites",
            &[("csrf", &token), ("actor", "not a url")],
        )
        .await;
    assert_eq!(answer.status, 422);
    assert!(alert(&answer.body).contains("is not an account URL"));
    let answer = mo
        .post(
            "/admin/groups/climbing/invites",
            &[
                ("csrf", &token),
                ("actor", "https://example.social/users/zoe"),
            ],
        )
        .await;
    let page = mo.follow(&answer).await;
    assert!(status_message(&page).contains("Invited https://example.social/users/zoe"));
    assert!(page.contains(">Withdraw</button>"));

    // A community manager reads the overview and the members, and no more.
    let mia = Browser::logged_in(&hearth, "mia", "manage-many-maps-2").await;
    assert_eq!(mia.get("/admin/groups/climbing").await.0, 200);
    let (status, _, page) = mia.get("/admin/groups/climbing/members").await;
    assert_eq!(status, 200);
    assert!(page.contains("<h2>Join requests</h2>") && page.contains("<h2>Members</h2>"));
    assert!(!page.contains(">Invites</a>"));
    let (status, _, page) = mia.get("/admin/groups/climbing/invites").await;
    assert_eq!(status, 403);
    assert_eq!(
        alert(&page),
        "only the group's moderators, owners and instance admins can manage members"
    );

    // Removing someone who is not on the staff says so.
    let answer = admin
        .post(
            "/admin/groups/climbing/staff/remove",
            &[("csrf", &admin.token("/admin").await), ("account", "0")],
        )
        .await;
    assert_eq!(answer.status, 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_must_be_images_within_the_limit() {
    let max = 20_000usize;
    let hearth = hearth_with_admin(vec![("HEARTH_UPLOAD_MAX_BYTES", max.to_string())]).await;
    let admin = Browser::logged_in(&hearth, ADMIN, ADMIN_PASSWORD).await;
    create_group(&admin, "climbing", "open", "").await;
    let token = admin.token("/admin/groups/climbing").await;
    let path = "/admin/groups/climbing/images";

    // A real PNG becomes the icon, federated in the actor and served at /media.
    let answer = admin
        .post_multipart(
            path,
            &[
                ("csrf", None, token.as_bytes()),
                ("icon", Some("pixel.png"), PIXEL_PNG),
                ("banner", Some(""), b""),
            ],
        )
        .await;
    let page = admin.follow(&answer).await;
    assert_eq!(status_message(&page), "Icon updated.");
    let icon = actor(&hearth, "climbing").await["icon"]["url"]
        .as_str()
        .expect("an icon")
        .to_owned();
    let served = hearth.client.get(&icon).send().await.unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.bytes().await.unwrap().as_ref(), PIXEL_PNG);

    // Too large: a clear message, and the icon stays.
    let mut big = PIXEL_PNG.to_vec();
    big.resize(max + 1, 0);
    let answer = admin
        .post_multipart(
            path,
            &[
                ("csrf", None, token.as_bytes()),
                ("icon", Some("big.png"), &big),
            ],
        )
        .await;
    assert_eq!(answer.status, 413);
    assert_eq!(
        alert(&answer.body),
        format!(
            "Icon: the file is {} bytes; the limit is {max} bytes",
            max + 1
        )
    );
    // Far too large for the form: still a page that says so.
    let mut huge = PIXEL_PNG.to_vec();
    huge.resize(3 * max + 70_000, 0);
    let answer = admin
        .post_multipart(
            path,
            &[
                ("csrf", None, token.as_bytes()),
                ("banner", Some("huge.png"), &huge),
            ],
        )
        .await;
    assert_eq!(answer.status, 413);
    assert!(alert(&answer.body).contains(&format!("at most {max} bytes")));

    // Not an image, whatever its name says.
    let answer = admin
        .post_multipart(
            path,
            &[
                ("csrf", None, token.as_bytes()),
                ("icon", Some("evil.png"), b"<svg onload=alert(1)></svg>"),
            ],
        )
        .await;
    assert_eq!(answer.status, 415);
    assert_eq!(
        alert(&answer.body),
        "Icon: the file is not a PNG, JPEG, GIF or WebP image"
    );
    // A good icon with a bad banner stores neither.
    let answer = admin
        .post_multipart(
            path,
            &[
                ("csrf", None, token.as_bytes()),
                ("icon", Some("pixel.png"), PIXEL_PNG),
                ("banner", Some("notes.txt"), b"just some text"),
            ],
        )
        .await;
    assert_eq!(answer.status, 415);
    assert!(alert(&answer.body).starts_with("Banner:"));
    // Nothing chosen; no CSRF token.
    let answer = admin
        .post_multipart(path, &[("csrf", None, token.as_bytes())])
        .await;
    assert_eq!(answer.status, 422);
    let answer = admin
        .post_multipart(path, &[("icon", Some("pixel.png"), PIXEL_PNG)])
        .await;
    assert_eq!(answer.status, 403);

    let after = actor(&hearth, "climbing").await;
    assert_eq!(after["icon"]["url"], icon.as_str(), "the icon is unchanged");
    assert!(after["image"].is_null(), "no banner: {after}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_names_and_markdown_are_checked() {
    let hearth = hearth_with_admin(Vec::new()).await;
    let admin = Browser::logged_in(&hearth, ADMIN, ADMIN_PASSWORD).await;
    let description = "**Walks** <script>alert('x')</script>\n\n[click me](javascript:alert(1)) \
                       <a href=\"javascript:alert(2)\" onclick=\"alert(3)\">or me</a> <img src=x onerror=alert(4)>";
    create_group(&admin, "hikers", "open", description).await;

    // A taken name and one WebFinger cannot carry: the reason, the form kept, nothing made.
    let token = admin.token("/admin/groups/new").await;
    let form = |name: &'static str| {
        vec![
            ("csrf", token.clone()),
            ("name", name.to_owned()),
            ("title", "Another".to_owned()),
            ("description", String::new()),
            ("join_mode", "open".to_owned()),
            ("posting", "followers".to_owned()),
            ("language", "en".to_owned()),
        ]
    };
    let answer = admin
        .post("/admin/groups/new", &borrow(&form("hikers")))
        .await;
    assert_eq!(answer.status, 409);
    assert_eq!(alert(&answer.body), "a group named hikers already exists");
    let answer = admin
        .post("/admin/groups/new", &borrow(&form("Café Club")))
        .await;
    assert_eq!(answer.status, 422);
    let message = alert(&answer.body);
    assert!(
        message.contains("is not a usable group name") && message.contains("@cafclub@host"),
        "{message}"
    );
    assert!(
        answer.body.contains("value=\"Café Club\""),
        "the form keeps the name"
    );
    let answer = admin.post("/admin/groups/new", &borrow(&form(""))).await;
    assert_eq!(answer.status, 422);
    assert_eq!(alert(&answer.body), "a group name has 1 to 64 characters");
    let mut bad_mode = form("walkers");
    bad_mode.retain(|(k, _)| *k != "join_mode");
    bad_mode.push(("join_mode", "everyone".into()));
    let answer = admin.post("/admin/groups/new", &borrow(&bad_mode)).await;
    assert_eq!(answer.status, 422);
    assert!(alert(&answer.body).contains("unknown join mode"));
    assert_eq!(admin.get("/admin/groups/walkers").await.0, 404);

    // The Markdown renders; the scripts, handlers and javascript: links do not survive.
    let (status, page) = hearth.get_html("/groups/hikers").await;
    assert_eq!(status, 200);
    let (_, _, admin_page) = admin.get("/admin/groups/hikers").await;
    for (what, html) in [("public", &page), ("admin", &admin_page)] {
        assert!(html.contains("<strong>Walks</strong>"), "{what}: {html}");
        // The form's textarea holds the source, as text; the rest is what renders.
        let lower = without_textareas(html).to_lowercase();
        assert!(
            !lower.contains("<script"),
            "{what} page has a script: {html}"
        );
        for attribute in [
            "href=\"javascript",
            "href=javascript",
            "onclick=",
            "onerror=",
        ] {
            assert!(
                !lower.contains(attribute),
                "{what} page has {attribute}: {html}"
            );
        }
    }
    let csp = admin
        .raw
        .get(admin.url("/admin/groups/hikers"))
        .send()
        .await
        .unwrap()
        .headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'none'"), "{csp}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_a_new_group_to_an_approved_member() {
    let hearth = hearth_with_admin(Vec::new()).await;
    let admin = Browser::logged_in(&hearth, ADMIN, ADMIN_PASSWORD).await;
    let page = create_group(&admin, "climbing", "approval", "Ropes and rocks").await;
    assert_eq!(status_message(&page), "Group climbing created.");
    for text in [
        ">Overview</a>",
        ">Rules</a>",
        ">Members</a>",
        ">Staff</a>",
        ">Invites</a>",
    ] {
        assert!(page.contains(text), "{text}");
    }
    // The message shows once.
    let (_, _, again) = admin.get("/admin/groups/climbing").await;
    assert!(region(&again, "status").is_none());

    // Edit: title, questions, posting; the change federates in the actor.
    let token = csrf(&page);
    let fields = settings(
        &token,
        &[
            ("title", "Climbing Club"),
            ("join_questions", "Where do you climb?\n\nSince when?\n"),
            ("posting", "moderators"),
        ],
    );
    let answer = admin.post("/admin/groups/climbing", &borrow(&fields)).await;
    let page = admin.follow(&answer).await;
    assert_eq!(status_message(&page), "Changes saved.");
    assert!(
        page.contains("Where do you climb?\nSince when?</textarea>"),
        "{page}"
    );
    let group = actor(&hearth, "climbing").await;
    assert_eq!(group["name"], "Climbing Club");
    assert_eq!(group["postingRestrictedToMods"], true);
    assert_eq!(group["manuallyApprovesFollowers"], true);
    let fields = settings(&token, &[("language", "not a tag!")]);
    let answer = admin.post("/admin/groups/climbing", &borrow(&fields)).await;
    assert_eq!(answer.status, 422);
    assert!(alert(&answer.body).contains("is not a language tag"));
    assert!(
        answer.body.contains("value=\"not a tag!\""),
        "the form keeps the input"
    );

    // An icon and a banner in one form.
    let answer = admin
        .post_multipart(
            "/admin/groups/climbing/images",
            &[
                ("csrf", None, token.as_bytes()),
                ("icon", Some("icon.png"), PIXEL_PNG),
                ("banner", Some("banner.png"), PIXEL_PNG),
            ],
        )
        .await;
    let page = admin.follow(&answer).await;
    assert_eq!(status_message(&page), "Icon and banner updated.");
    let group = actor(&hearth, "climbing").await;
    for key in ["icon", "image"] {
        let url = group[key]["url"].as_str().expect(key);
        let served = hearth.client.get(url).send().await.unwrap();
        assert_eq!(served.headers()["content-type"], "image/png");
    }
    assert!(page.contains("alt=\"Current icon of the group\""));

    // Rules: two new ones, then one removed and one reworded.
    let (_, _, page) = admin.get("/admin/groups/climbing/rules").await;
    assert!(page.contains(">Rule 1 name</label>") && page.contains(">Rule 2 text</label>"));
    let answer = admin
        .post(
            "/admin/groups/climbing/rules",
            &[
                ("csrf", &token),
                ("rule_id", ""),
                ("rule_name", "Be kind"),
                ("rule_text", "No insults, *no pile-ons*."),
                ("rule_id", ""),
                ("rule_name", "Stay on topic"),
                ("rule_text", "Climbing, mostly."),
            ],
        )
        .await;
    let page = admin.follow(&answer).await;
    assert_eq!(status_message(&page), "Rules saved.");
    assert!(page.contains(">Remove rule 2</label>") && page.contains(">Rule 4 name</label>"));
    assert!(!page.contains(">Remove rule 3</label>"));
    let ids: Vec<String> = page
        .match_indices("name=\"rule_id\" value=\"")
        .map(|(at, m)| {
            let rest = &page[at + m.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 4);
    assert!(ids[0].parse::<i64>().is_ok() && ids[2].is_empty());
    // A rule needs a name.
    let answer = admin
        .post(
            "/admin/groups/climbing/rules",
            &[
                ("csrf", &token),
                ("rule_id", ""),
                ("rule_name", ""),
                ("rule_text", "Text without a name"),
            ],
        )
        .await;
    assert_eq!(answer.status, 422);
    assert_eq!(alert(&answer.body), "every rule needs a short name");
    let answer = admin
        .post(
            "/admin/groups/climbing/rules",
            &[
                ("csrf", &token),
                ("rule_id", &ids[0]),
                ("rule_name", "Be kind"),
                ("rule_text", "No insults."),
                ("rule_id", &ids[1]),
                ("rule_name", "Stay on topic"),
                ("rule_text", "Climbing, mostly."),
                ("remove", "0"),
            ],
        )
        .await;
    let page = admin.follow(&answer).await;
    assert!(page.contains("value=\"Stay on topic\""));
    assert!(!page.contains("value=\"Be kind\""));
    assert!(!page.contains(">Remove rule 2</label>"));
    let (_, public) = hearth.get_html("/groups/climbing").await;
    assert!(public.contains("Stay on topic") && !public.contains("Be kind"));

    // Two people ask to join from a Mastodon server, answering the question.
    let masto = peer("mastodon").await;
    let alice = masto.add_person("alice").await.unwrap();
    let bob = masto.add_person("bob").await.unwrap();
    let group = hearth.group("climbing");
    let inbox = hearth.group_inbox("climbing");
    let mut alice_follow = follow(&masto, &alice, &group);
    alice_follow["content"] = "<p>Mostly at Stanage, since 2019</p>".into();
    deliver_expect(&masto, &alice, &inbox, &alice_follow, 202).await;
    let bob_follow = follow(&masto, &bob, &group);
    deliver_expect(&masto, &bob, &inbox, &bob_follow, 202).await;
    let alice_handle = format!("@alice@{}", masto.host());
    let bob_handle = format!("@bob@{}", masto.host());
    eventually("both requests on the Members page", || async {
        let (_, _, page) = admin.get("/admin/groups/climbing/members").await;
        page.contains(&alice_handle) && page.contains(&bob_handle)
    })
    .await
    .unwrap();
    let (_, _, page) = admin.get("/admin/groups/climbing").await;
    assert!(
        page.contains("<dt>Waiting to join</dt><dd><a"),
        "pending shown"
    );
    let (_, _, dashboard) = admin.get("/admin").await;
    assert!(dashboard.contains("2 waiting"), "{dashboard}");
    let (_, _, page) = admin.get("/admin/groups/climbing/members").await;
    assert!(page.contains("Mostly at Stanage, since 2019"));
    assert_eq!(page.matches(">Approve</button>").count(), 2);
    assert!(page.contains("No members yet."));

    // Approve alice: an Accept goes to her server; reject bob: a Reject.
    let token = csrf(&page);
    let decide = "/admin/groups/climbing/requests/decide";
    let answer = admin
        .post(
            decide,
            &[
                ("csrf", &token),
                ("actor", alice.as_str()),
                ("decision", "approve"),
            ],
        )
        .await;
    let page = admin.follow(&answer).await;
    assert_eq!(
        status_message(&page),
        format!("Approved {alice_handle}: they are now a member.")
    );
    let answer = admin
        .post(
            decide,
            &[
                ("csrf", &token),
                ("actor", bob.as_str()),
                ("decision", "reject"),
            ],
        )
        .await;
    let page = admin.follow(&answer).await;
    assert_eq!(
        status_message(&page),
        format!("Rejected the request of {bob_handle}.")
    );
    assert!(page.contains("Nobody is waiting to join."));
    assert!(page.contains("<th scope=\"col\">Software</th>"));
    let members = &page[page.find("<h2>Members</h2>").unwrap()..];
    assert!(members.contains(&alice_handle) && !members.contains(&bob_handle));
    // Deciding again finds nothing to decide.
    let answer = admin
        .post(
            decide,
            &[
                ("csrf", &token),
                ("actor", alice.as_str()),
                ("decision", "approve"),
            ],
        )
        .await;
    assert_eq!(answer.status, 409);
    assert!(alert(&answer.body).contains("has no pending follow request"));

    let alice_id = alice_follow["id"].as_str().unwrap().to_owned();
    let bob_id = bob_follow["id"].as_str().unwrap().to_owned();
    let received = wait_received(&masto, "the Accept and the Reject", |r| {
        r.iter()
            .any(|x| x.activity["type"] == "Accept" && x.activity["object"]["id"] == alice_id)
            && r.iter()
                .any(|x| x.activity["type"] == "Reject" && x.activity["object"]["id"] == bob_id)
    })
    .await;
    let accept = received
        .iter()
        .find(|x| x.activity["type"] == "Accept")
        .unwrap();
    assert!(accept.signature_ok, "{:?}", accept.signature_error);
    assert_eq!(accept.activity["actor"], group.as_str());
    assert_eq!(hearth.follower_count("climbing").await, 1);

    // The members list searches.
    let (_, _, page) = admin.get("/admin/groups/climbing/members?q=ALI").await;
    assert!(page.contains(&alice_handle));
    let (_, _, page) = admin.get("/admin/groups/climbing/members?q=zed").await;
    assert!(page.contains("No member matches"));

    // Archive and restore.
    let answer = admin
        .post(
            "/admin/groups/climbing/archive",
            &[("csrf", &token), ("archived", "true")],
        )
        .await;
    let page = admin.follow(&answer).await;
    assert!(status_message(&page).starts_with("Group archived"));
    assert!(page.contains(">Restore group</button>"));
    let answer = admin
        .post(
            "/admin/groups/climbing/archive",
            &[("csrf", &token), ("archived", "false")],
        )
        .await;
    let page = admin.follow(&answer).await;
    assert_eq!(status_message(&page), "Group restored.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn your_account_password_two_factor_and_tokens() {
    let hearth = hearth_with_admin(Vec::new()).await;
    let admin = Browser::logged_in(&hearth, ADMIN, ADMIN_PASSWORD).await;
    let token = admin.token("/admin/account").await;

    // Passwords: the repetition must match and the current one must be right.
    let answer = admin
        .post(
            "/admin/account/password",
            &[
                ("csrf", &token),
                ("current", ADMIN_PASSWORD),
                ("new", "a-brand-new-password"),
                ("repeat", "a-different-password"),
            ],
        )
        .await;
    assert_eq!(answer.status, 422);
    assert!(alert(&answer.body).contains("differ"));
    let answer = admin
        .post(
            "/admin/account/password",
            &[
                ("csrf", &token),
                ("current", "not-my-password"),
                ("new", "a-brand-new-password"),
                ("repeat", "a-brand-new-password"),
            ],
        )
        .await;
    assert_eq!(answer.status, 422);
    assert_eq!(alert(&answer.body), "the current password is wrong");
    let other = Browser::logged_in(&hearth, ADMIN, ADMIN_PASSWORD).await;
    let answer = admin
        .post(
            "/admin/account/password",
            &[
                ("csrf", &token),
                ("current", ADMIN_PASSWORD),
                ("new", "a-brand-new-password"),
                ("repeat", "a-brand-new-password"),
            ],
        )
        .await;
    let page = admin.follow(&answer).await;
    assert!(status_message(&page).starts_with("Password changed."));
    assert_eq!(
        other.get_raw("/admin").await.status,
        303,
        "other sessions end"
    );
    assert_eq!(admin.get_raw("/admin").await.status, 200, "this one stays");

    // Two-factor: a secret to add to an app; a wrong code keeps it off.
    let answer = admin
        .post("/admin/account/two-factor/setup", &[("csrf", &token)])
        .await;
    assert_eq!(answer.status, 200);
    assert!(answer.body.contains(">Code from your app</label>"));
    assert!(unescape(&answer.body).contains("otpauth://totp/"));
    let secret_at = answer.body.find("name=\"secret\" value=\"").unwrap() + 22;
    let secret = &answer.body[secret_at..secret_at + answer.body[secret_at..].find('"').unwrap()];
    let answer = admin
        .post(
            "/admin/account/two-factor/enable",
            &[("csrf", &token), ("secret", secret), ("code", "000000")],
        )
        .await;
    assert_eq!(answer.status, 422);
    assert!(alert(&answer.body).contains("code is wrong"));
    assert!(
        answer.body.contains(">Turn on</button>"),
        "the setup stays open"
    );
    let (_, _, page) = admin.get("/admin/account").await;
    assert!(page.contains(">Set up two-factor authentication</button>"));

    // Tokens: the secret shows once, then only its name; revoking marks it.
    let answer = admin
        .post("/admin/account/tokens", &[("csrf", &token), ("name", "  ")])
        .await;
    assert_eq!(answer.status, 422);
    let answer = admin
        .post(
            "/admin/account/tokens",
            &[("csrf", &token), ("name", "backup script")],
        )
        .await;
    assert_eq!(answer.status, 200);
    let shown = status_message(&answer.body);
    assert!(shown.contains("Token “backup script” created"), "{shown}");
    let secret = shown
        .split_whitespace()
        .find(|w| w.starts_with("hth_"))
        .expect("the token's secret")
        .to_owned();
    let (_, _, page) = admin.get("/admin/account").await;
    assert!(!page.contains(&secret));
    assert!(page.contains("<td>backup script</td>"));
    let id_at = page.find("name=\"id\" value=\"").unwrap() + 17;
    let id = &page[id_at..id_at + page[id_at..].find('"').unwrap()];
    let answer = admin
        .post(
            "/admin/account/tokens/revoke",
            &[("csrf", &token), ("id", id)],
        )
        .await;
    let page = admin.follow(&answer).await;
    assert_eq!(status_message(&page), "Token revoked.");
    assert!(page.contains("revoked "));
    let answer = admin
        .post(
            "/admin/account/tokens/revoke",
            &[("csrf", &token), ("id", id)],
        )
        .await;
    assert_eq!(answer.status, 422);
}
