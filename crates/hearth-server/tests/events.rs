//! Group events between real processes: created from the command line and the API, sent to
//! followers as `Create(Event)`/`Update(Event)`, answered with Mobilizon's `Join`/`Leave` and
//! Mastodon replies, capacity and the waiting list, cancellation, and the iCalendar feeds
//! read back with an independent parser.

mod common;

use common::pages::{alert, status_message, unescape};
use common::*;
use hearth_test_peer::Peer;
use serde_json::{json, Value};
use url::Url;

const PASSWORD: &str = "correct horse battery";

fn cli(hearth: &Hearth, args: &[&str]) -> String {
    let (ok, out) = tokio::task::block_in_place(|| hearth.cli(args));
    assert!(ok, "hearth {args:?} failed: {out}");
    out
}

/// The value following `label` on a line of command output.
fn field<'a>(out: &'a str, label: &str) -> &'a str {
    out.lines()
        .find_map(|line| line.trim().strip_prefix(label))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no {label} in {out}"))
}

fn join(peer: &Peer, actor: &Url, event: &str) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": peer.new_id("join"),
        "type": "Join",
        "actor": actor,
        "object": event,
        "participationMessage": null,
    })
}

fn leave(peer: &Peer, actor: &Url, event: &str) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": peer.new_id("leave"),
        "type": "Leave",
        "actor": actor,
        "object": event,
    })
}

/// Whether `peer` received an `Accept` whose object is (or embeds) the activity `id`.
fn accepted(received: &[hearth_test_peer::Received], id: &str) -> bool {
    received.iter().any(|r| {
        r.activity["type"] == "Accept"
            && (r.activity["object"] == id || r.activity["object"]["id"] == id)
    })
}

/// The `Create`/`Update` of the event `id` a follower received.
async fn event_activity(peer: &Peer, kind: &str, id: &str, status: &str) -> Value {
    let is_it = |r: &hearth_test_peer::Received| {
        r.activity["type"] == kind
            && r.activity["object"]["id"] == id
            && r.activity["object"]["ical:status"] == status
    };
    let received = wait_received(peer, &format!("the {kind} ({status})"), |r| {
        r.iter().any(is_it)
    })
    .await;
    let found = received.into_iter().find(is_it).unwrap();
    assert!(found.signature_ok, "{:?}", found.signature_error);
    found.activity
}

/// An iCalendar property: name, value and parameters.
type Prop = (String, String, Vec<(String, Vec<String>)>);

/// The properties of the one `VEVENT` of an iCalendar file.
fn vevent(ics: &str) -> Vec<Prop> {
    let mut parser = ical::IcalParser::new(ics.as_bytes());
    let calendar = parser.next().expect("a calendar").expect("it parses");
    assert!(parser.next().is_none(), "one calendar");
    assert_eq!(calendar.events.len(), 1, "{ics}");
    calendar.events[0]
        .properties
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                p.value.clone().unwrap_or_default(),
                p.params.clone().unwrap_or_default(),
            )
        })
        .collect()
}

fn prop<'a>(props: &'a [Prop], name: &str) -> &'a str {
    props
        .iter()
        .find(|(n, _, _)| n == name)
        .map(|(_, v, _)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} in {props:?}"))
}

async fn get_text(hearth: &Hearth, path: &str) -> (String, String) {
    let response = hearth.client.get(hearth.url(path)).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {path}");
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    (kind, response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_federate_take_answers_and_feed_calendars() {
    let hearth = Hearth::start().await;
    hearth.create_group("climbing", &["--title", "Climbing"]);
    let members = followers(&hearth, 1).await;
    let (lemmy, _) = &members[0];
    let inbox = hearth.group_inbox("climbing");

    let out = cli(
        &hearth,
        &[
            "group",
            "event",
            "create",
            "climbing",
            "--title",
            "Winter meetup",
            "--start",
            "2030-01-15 18:00",
            "--end",
            "2030-01-15 21:00",
            "--tz",
            "Europe/Berlin",
            "--location",
            "Kletterhalle, Berlin",
            "--capacity",
            "2",
            "--description",
            "Bring *shoes*.",
        ],
    );
    let event_id = field(&out, "page").to_owned();
    let number = field(&out, "Created event")
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();

    // Followers get the Event in the shape Mobilizon and Gancio read.
    let create = event_activity(lemmy, "Create", &event_id, "CONFIRMED").await;
    let event = &create["object"];
    assert_eq!(create["actor"], hearth.group("climbing").as_str());
    assert_eq!(event["type"], "Event");
    assert_eq!(event["name"], "Winter meetup");
    assert_eq!(event["startTime"], "2030-01-15T17:00:00Z");
    assert_eq!(event["endTime"], "2030-01-15T20:00:00Z");
    assert_eq!(event["timezone"], "Europe/Berlin");
    assert_eq!(event["location"]["type"], "Place");
    assert_eq!(event["location"]["address"], "Kletterhalle, Berlin");
    assert_eq!(event["joinMode"], "free");
    assert_eq!(event["participantCount"], 0);
    assert_eq!(event["maximumAttendeeCapacity"], 2);
    assert_eq!(event["anonymousParticipationEnabled"], false);
    assert_eq!(event["commentsEnabled"], true);
    assert_eq!(event["attributedTo"], hearth.group("climbing").as_str());
    assert!(event["content"]
        .as_str()
        .unwrap()
        .contains("<em>shoes</em>"));

    // A Mobilizon Join takes a seat and is accepted.
    let mobilizon = peer("mobilizon").await;
    let bob = mobilizon.add_person("bob").await.unwrap();
    let bob_join = join(&mobilizon, &bob, &event_id);
    deliver_expect(&mobilizon, &bob, &inbox, &bob_join, 202).await;
    let bob_join_id = bob_join["id"].as_str().unwrap();
    wait_received(&mobilizon, "the Accept of bob's Join", |r| {
        accepted(r, bob_join_id)
    })
    .await;

    // A Mastodon reply saying "I'm going!" takes the second seat.
    let mastodon = peer("mastodon").await;
    let alice = mastodon.add_person("alice").await.unwrap();
    let handle = format!("climbing@{}", hearth.authority());
    let group = hearth.group("climbing");
    let (reply, _) = mention_post(
        &mastodon,
        &alice,
        &group,
        &handle,
        "I'm going!",
        Some(&event_id),
    );
    deliver_expect(&mastodon, &alice, &inbox, &reply, 202).await;
    let doc = hearth.get_json(&Url::parse(&event_id).unwrap()).await;
    assert_eq!(doc["participantCount"], 2, "{doc}");
    assert_eq!(doc["remainingAttendeeCapacity"], 0, "{doc}");

    // The event is full: the next Join goes on the waiting list, without an Accept yet.
    let carol = mobilizon.add_person("carol").await.unwrap();
    let carol_join = join(&mobilizon, &carol, &event_id);
    deliver_expect(&mobilizon, &carol, &inbox, &carol_join, 202).await;
    let carol_join_id = carol_join["id"].as_str().unwrap();
    let listed = cli(
        &hearth,
        &["group", "event", "participants", "climbing", &number],
    );
    let carol_line = listed.lines().find(|l| l.contains("carol")).unwrap();
    assert!(carol_line.contains("waitlist"), "{listed}");
    assert!(!accepted(&mobilizon.received(), carol_join_id));

    // Bob leaves: Carol moves up and is sent the Accept of her Join.
    deliver_expect(
        &mobilizon,
        &bob,
        &inbox,
        &leave(&mobilizon, &bob, &event_id),
        202,
    )
    .await;
    wait_received(&mobilizon, "the Accept of carol's Join", |r| {
        accepted(r, carol_join_id)
    })
    .await;
    let listed = cli(
        &hearth,
        &["group", "event", "participants", "climbing", &number],
    );
    assert!(!listed.contains("bob"), "{listed}");
    let carol_line = listed.lines().find(|l| l.contains("carol")).unwrap();
    assert!(carol_line.contains("going"), "{listed}");

    // The calendar feeds parse with an independent parser.
    let (kind, ics) = get_text(&hearth, "/groups/climbing/events.ics").await;
    assert!(kind.starts_with("text/calendar"), "{kind}");
    let props = vevent(&ics);
    assert_eq!(prop(&props, "UID"), event_id);
    assert_eq!(prop(&props, "SUMMARY"), "Winter meetup");
    assert_eq!(prop(&props, "DTSTART"), "20300115T180000");
    let start_params = &props.iter().find(|p| p.0 == "DTSTART").unwrap().2;
    assert_eq!(
        start_params,
        &vec![("TZID".to_owned(), vec!["Europe/Berlin".to_owned()])]
    );
    assert_eq!(prop(&props, "DTEND"), "20300115T210000");
    assert!(
        prop(&props, "LOCATION").starts_with("Kletterhalle"),
        "{props:?}"
    );
    assert_eq!(prop(&props, "STATUS"), "CONFIRMED");
    assert_eq!(prop(&props, "SEQUENCE"), "0");

    // An edit bumps the sequence and is sent as Update.
    cli(
        &hearth,
        &[
            "group",
            "event",
            "edit",
            "climbing",
            &number,
            "--title",
            "Winter meetup (new hall)",
        ],
    );
    let update = event_activity(lemmy, "Update", &event_id, "CONFIRMED").await;
    assert_eq!(update["object"]["name"], "Winter meetup (new hall)");
    assert_eq!(update["object"]["participantCount"], 2);
    let path = Url::parse(&event_id).unwrap().path().to_owned();
    let (_, one) = get_text(&hearth, &format!("{path}.ics")).await;
    let props = vevent(&one);
    assert_eq!(prop(&props, "SEQUENCE"), "1");
    assert_eq!(prop(&props, "SUMMARY"), "Winter meetup (new hall)");

    // Cancelling sends Update with CANCELLED; answers to it are refused.
    cli(&hearth, &["group", "event", "cancel", "climbing", &number]);
    let cancel = event_activity(lemmy, "Update", &event_id, "CANCELLED").await;
    assert_eq!(cancel["object"]["eventStatus"], "fep8a8e:EventCancelled");
    let dave = mobilizon.add_person("dave").await.unwrap();
    let refused = deliver_expect(
        &mobilizon,
        &dave,
        &inbox,
        &join(&mobilizon, &dave, &event_id),
        422,
    )
    .await;
    assert!(refused.contains("cancelled"), "{refused}");
    let (_, one) = get_text(&hearth, &format!("{path}.ics")).await;
    assert_eq!(prop(&vevent(&one), "STATUS"), "CANCELLED");

    // Answers to events that are over are refused too.
    let out = cli(
        &hearth,
        &[
            "group",
            "event",
            "create",
            "climbing",
            "--title",
            "Last year",
            "--start",
            "2020-01-15 18:00",
            "--end",
            "2020-01-15 21:00",
            "--tz",
            "UTC",
            "--online",
            "https://meet.example/climbing",
        ],
    );
    let past = field(&out, "page").to_owned();
    let refused = deliver_expect(
        &mobilizon,
        &dave,
        &inbox,
        &join(&mobilizon, &dave, &past),
        422,
    )
    .await;
    assert!(refused.contains("is over"), "{refused}");

    // Events others post to the group are listed with the group's own.
    let organizer = mobilizon.add_person("organizer").await.unwrap();
    deliver_expect(
        &mobilizon,
        &organizer,
        &inbox,
        &follow(&mobilizon, &organizer, &group),
        202,
    )
    .await;
    let remote_id = mobilizon.new_id("events").to_string();
    let remote = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{remote_id}/activity"),
        "type": "Create",
        "actor": organizer,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [group],
        "object": {
            "id": remote_id,
            "type": "Event",
            "attributedTo": organizer,
            "name": "Bouldering night",
            "content": "<p>At the old hall</p>",
            "startTime": "2030-02-01T18:00:00Z",
            "endTime": "2030-02-01T21:00:00Z",
            "location": {"type": "Place", "name": "Old hall"},
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [group],
            "audience": group,
        },
    });
    deliver_expect(&mobilizon, &organizer, &inbox, &remote, 202).await;
    let listing: Value = hearth
        .client
        .get(hearth.url("/groups/climbing/events"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let listed = listing.as_array().unwrap();
    let shared = listed.iter().find(|e| e["ap_id"] == remote_id.as_str());
    let shared = shared.unwrap_or_else(|| panic!("{listing}"));
    assert_eq!(shared["origin"], "remote");
    assert_eq!(shared["title"], "Bouldering night");
    assert_eq!(shared["location"], "Old hall");
    assert!(listed
        .iter()
        .any(|e| e["ap_id"] == event_id.as_str() && e["origin"] == "group"));

    // The events page lists them for browsers.
    let (status, html) = hearth.get_html("/groups/climbing/events").await;
    assert_eq!(status, 200);
    assert!(html.contains("Winter meetup (new hall)"), "{html}");
    assert!(html.contains("Cancelled"), "{html}");
    assert!(html.contains("Bouldering night"), "{html}");
}

/// The value of the first hidden `csrf` field of a page.
fn csrf(page: &str) -> String {
    let field = "name=\"csrf\" value=\"";
    let start = page.find(field).expect("a CSRF field") + field.len();
    page[start..].split('"').next().unwrap().to_owned()
}

/// POSTs a form as a browser does, following the redirect.
async fn post_form<K: AsRef<str>, V: AsRef<str>>(
    browser: &reqwest::Client,
    url: Url,
    fields: &[(K, V)],
) -> reqwest::Response {
    let mut body = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        body.append_pair(k.as_ref(), v.as_ref());
    }
    browser
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.finish())
        .send()
        .await
        .unwrap()
}

/// A browser logged in to the staff pages as a new instance admin `root`.
async fn staff_browser(hearth: &Hearth) -> reqwest::Client {
    hearth.create_account("root", PASSWORD, true);
    let browser = reqwest::Client::builder()
        .no_proxy()
        .cookie_store(true)
        .build()
        .unwrap();
    let login_page = browser
        .get(hearth.url("/admin/login"))
        .send()
        .await
        .unwrap();
    let token = csrf(&login_page.text().await.unwrap());
    let login = [
        ("csrf", token.as_str()),
        ("username", "root"),
        ("password", PASSWORD),
        ("code", ""),
        ("next", ""),
    ];
    let answer = post_form(&browser, hearth.url("/admin/login"), &login).await;
    assert_eq!(answer.status(), 200);
    browser
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_create_events_on_the_events_page() {
    let hearth = Hearth::start().await;
    hearth.create_group("climbing", &["--title", "Climbing"]);
    let browser = staff_browser(&hearth).await;
    let page = |path: &str| {
        let (browser, url) = (&browser, hearth.url(path));
        async move { browser.get(url).send().await.unwrap().text().await.unwrap() }
    };

    let events = page("/admin/groups/climbing/events").await;
    assert!(events.contains("No events yet"), "{events}");
    let token = csrf(&events);
    let form = |timezone: &'static str| {
        vec![
            ("csrf", token.clone()),
            ("title", "Crag day".to_owned()),
            ("start", "2030-05-01 09:00".to_owned()),
            ("end", "2030-05-01 17:00".to_owned()),
            ("timezone", timezone.to_owned()),
            ("location", "North wall".to_owned()),
            ("capacity", "8".to_owned()),
        ]
    };
    let events_url = hearth.url("/admin/groups/climbing/events");
    let refused = post_form(&browser, events_url.clone(), &form("Moon/Base")).await;
    assert_eq!(refused.status(), 422);
    let shown = refused.text().await.unwrap();
    assert!(shown.contains("unknown time zone"), "{shown}");
    assert!(
        shown.contains("value=\"Crag day\""),
        "the form keeps its input"
    );
    assert!(page("/admin/groups/climbing/events")
        .await
        .contains("No events yet"));

    let created = post_form(&browser, events_url, &form("Europe/Vienna")).await;
    assert_eq!(created.status(), 200);
    let shown = created.text().await.unwrap();
    assert!(
        shown.contains("Crag day") && shown.contains("0 going of 8"),
        "{shown}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_edit_and_cancel_events_on_their_page() {
    let hearth = Hearth::start().await;
    hearth.create_group("climbing", &["--title", "Climbing"]);
    let members = followers(&hearth, 1).await;
    let (lemmy, _) = &members[0];
    let out = cli(
        &hearth,
        &[
            "group",
            "event",
            "create",
            "climbing",
            "--title",
            "Crag day",
            "--start",
            "2030-05-01 09:00",
            "--end",
            "2030-05-01 17:00",
            "--tz",
            "Europe/Vienna",
            "--capacity",
            "8",
        ],
    );
    let event_id = field(&out, "page").to_owned();
    let number = field(&out, "Created event")
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let browser = staff_browser(&hearth).await;
    let get = |path: String| {
        let (browser, url) = (&browser, hearth.url(&path));
        async move { browser.get(url).send().await.unwrap() }
    };
    let path = format!("/admin/groups/climbing/events/{number}");

    let list = get("/admin/groups/climbing/events".into()).await;
    let list = unescape(&list.text().await.unwrap());
    assert!(list.contains(&format!("href=\"{path}\"")), "{list}");
    let shown = unescape(&get(path.clone()).await.text().await.unwrap());
    assert!(
        shown.contains("value=\"2030-05-01 09:00\"") && shown.contains("value=\"Europe/Vienna\""),
        "the form shows local times: {shown}"
    );
    let token = csrf(&shown);
    let form = |start: &str, timezone: &str| {
        vec![
            ("csrf", token.clone()),
            ("title", "Crag day (moved)".to_owned()),
            ("start", start.to_owned()),
            ("end", "2030-05-02 17:00".to_owned()),
            ("timezone", timezone.to_owned()),
            ("location", "South wall".to_owned()),
            ("capacity", "6".to_owned()),
        ]
    };

    // Bad input is refused with the reason, keeping what was typed.
    let edit_url = hearth.url(&path);
    for (start, timezone, reason) in [
        ("2030-05-02 18:00", "Europe/Vienna", "before it starts"),
        ("2030-05-02 09:00", "Moon/Base", "unknown time zone"),
    ] {
        let refused = post_form(&browser, edit_url.clone(), &form(start, timezone)).await;
        assert_eq!(refused.status(), 422);
        let page = refused.text().await.unwrap();
        assert!(alert(&page).contains(reason), "{page}");
        assert!(page.contains("value=\"Crag day (moved)\""), "{page}");
    }
    let unchanged = hearth.get_json(&Url::parse(&event_id).unwrap()).await;
    assert_eq!(unchanged["name"], "Crag day");

    // A good edit is saved and sent to followers.
    let saved = post_form(
        &browser,
        edit_url,
        &form("2030-05-02 09:00", "Europe/Vienna"),
    )
    .await;
    assert_eq!(saved.status(), 200);
    let page = saved.text().await.unwrap();
    assert!(status_message(&page).contains("Saved"), "{page}");
    assert!(page.contains("value=\"South wall\""), "{page}");
    let update = event_activity(lemmy, "Update", &event_id, "CONFIRMED").await;
    assert_eq!(update["object"]["name"], "Crag day (moved)");
    assert_eq!(update["object"]["startTime"], "2030-05-02T07:00:00Z");
    assert_eq!(update["object"]["maximumAttendeeCapacity"], 6);

    // Cancelling needs the box ticked.
    let cancel_url = hearth.url(&format!("{path}/cancel"));
    let unconfirmed = post_form(&browser, cancel_url.clone(), &[("csrf", token.as_str())]).await;
    assert_eq!(unconfirmed.status(), 422);
    assert!(alert(&unconfirmed.text().await.unwrap()).contains("confirm"));
    let confirmed = [("csrf", token.as_str()), ("confirm", "yes")];
    let cancelled = post_form(&browser, cancel_url, &confirmed).await;
    assert_eq!(cancelled.status(), 200);
    let page = cancelled.text().await.unwrap();
    assert!(status_message(&page).contains("Cancelled"), "{page}");
    event_activity(lemmy, "Update", &event_id, "CANCELLED").await;
    let shown = unescape(&get(path).await.text().await.unwrap());
    assert!(shown.contains("can no longer be edited"), "{shown}");
    assert!(!shown.contains("/cancel\""), "no cancel form: {shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seat_freed_under_a_cut_capacity_stays_empty() {
    let hearth = Hearth::start().await;
    hearth.create_group("climbing", &[]);
    let out = cli(
        &hearth,
        &[
            "group",
            "event",
            "create",
            "climbing",
            "--title",
            "Crag day",
            "--start",
            "2030-05-01 09:00",
            "--end",
            "2030-05-01 17:00",
            "--tz",
            "UTC",
            "--capacity",
            "2",
        ],
    );
    let event_id = field(&out, "page").to_owned();
    let number = field(&out, "Created event")
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let mobilizon = peer("mobilizon").await;
    let inbox = hearth.group_inbox("climbing");
    let mut people = Vec::new();
    for name in ["bob", "carol", "dave"] {
        let person = mobilizon.add_person(name).await.unwrap();
        let answer = join(&mobilizon, &person, &event_id);
        deliver_expect(&mobilizon, &person, &inbox, &answer, 202).await;
        people.push((person, answer["id"].as_str().unwrap().to_owned()));
    }
    let status_of = |name: &str| {
        let listed = cli(
            &hearth,
            &["group", "event", "participants", "climbing", &number],
        );
        let line = listed.lines().find(|l| l.contains(name)).unwrap_or("");
        ["going", "waitlist"]
            .into_iter()
            .find(|status| line.contains(status))
            .unwrap_or("gone")
            .to_owned()
    };
    assert_eq!(status_of("dave"), "waitlist");

    // One place now: Bob leaving leaves Carol alone in it, and Dave waiting.
    cli(
        &hearth,
        &[
            "group",
            "event",
            "edit",
            "climbing",
            &number,
            "--capacity",
            "1",
        ],
    );
    let [(bob, _), (carol, _), (_, dave_join)] = &people[..] else {
        unreachable!()
    };
    let bob_leaves = leave(&mobilizon, bob, &event_id);
    deliver_expect(&mobilizon, bob, &inbox, &bob_leaves, 202).await;
    assert_eq!(status_of("dave"), "waitlist");
    assert_eq!(status_of("carol"), "going");

    // Carol leaving frees the one place: Dave moves up.
    let carol_leaves = leave(&mobilizon, carol, &event_id);
    deliver_expect(&mobilizon, carol, &inbox, &carol_leaves, 202).await;
    wait_received(&mobilizon, "the Accept of dave's Join", |r| {
        accepted(r, dave_join)
    })
    .await;
    assert_eq!(status_of("dave"), "going");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn going_participants_are_reminded_once() {
    let hearth = Hearth::start_with(Options {
        env: vec![("HEARTH_EVENT_REMINDER_MINUTES", "120".to_owned())],
        ..Options::default()
    })
    .await;
    hearth.create_group("climbing", &[]);
    let soon = chrono::Utc::now() + chrono::Duration::minutes(60);
    let start = soon.format("%Y-%m-%d %H:%M").to_string();
    let end = (soon + chrono::Duration::hours(2))
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let out = cli(
        &hearth,
        &[
            "group",
            "event",
            "create",
            "climbing",
            "--title",
            "Evening climb",
            "--start",
            &start,
            "--end",
            &end,
            "--tz",
            "UTC",
        ],
    );
    let event_id = field(&out, "page").to_owned();
    let mobilizon = peer("mobilizon").await;
    let bob = mobilizon.add_person("bob").await.unwrap();
    let inbox = hearth.group_inbox("climbing");
    deliver_expect(
        &mobilizon,
        &bob,
        &inbox,
        &join(&mobilizon, &bob, &event_id),
        202,
    )
    .await;

    // Reminders are checked every minute.
    let is_reminder = |r: &hearth_test_peer::Received| {
        r.activity["type"] == "Create"
            && r.activity["object"]["type"] == "Note"
            && r.activity["object"]["content"]
                .as_str()
                .is_some_and(|c| c.contains("Reminder") && c.contains("Evening climb"))
    };
    let received = mobilizon
        .wait_for(std::time::Duration::from_secs(90), |r| {
            r.iter().any(is_reminder)
        })
        .await
        .expect("the reminder");
    let reminder = received.iter().find(|r| is_reminder(r)).unwrap();
    assert_eq!(reminder.activity["to"], json!([bob.as_str()]));
    assert!(reminder.signature_ok);
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let reminders = mobilizon
        .received()
        .iter()
        .filter(|r| is_reminder(r))
        .count();
    assert_eq!(reminders, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_changes_nothing_and_staff_approve_answers() {
    let hearth = Hearth::start().await;
    hearth.create_group("climbing", &[]);
    let token = hearth.admin_token("root", PASSWORD).await;
    let api = hearth.url("/api/v1/groups/climbing/events");
    let good = json!({
        "title": "Meetup", "start": "2030-03-01 19:00", "end": "2030-03-01 22:00",
        "timezone": "America/New_York", "online_url": "https://meet.example/x",
    });
    let post = |body: Value| {
        let (hearth, token, api) = (&hearth, &token, &api);
        async move {
            let response = hearth
                .client
                .post(api.clone())
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };

    let mut ends_early = good.clone();
    ends_early["end"] = json!("2030-03-01 18:00");
    let (status, body) = post(ends_early).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("ends"),
        "{body}"
    );

    let mut unknown_zone = good.clone();
    unknown_zone["timezone"] = json!("Europe/Atlantis");
    let (status, body) = post(unknown_zone).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown time zone"),
        "{body}"
    );

    let (ok, out) = tokio::task::block_in_place(|| {
        hearth.cli(&[
            "group",
            "event",
            "create",
            "climbing",
            "--title",
            "x",
            "--start",
            "2030-03-01 19:00",
            "--end",
            "2030-03-01 18:00",
            "--tz",
            "UTC",
        ])
    });
    assert!(!ok && out.contains("ends"), "{out}");

    // Nothing was created.
    let listed: Value = hearth
        .client
        .get(api.clone())
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([]));

    // A good one is created, listed, and shown with its participants.
    let (status, created) = post(good.clone()).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["starts_at"], "2030-03-02T00:00:00Z");
    assert_eq!(created["counts"]["going"], 0);
    let id = created["id"].as_i64().unwrap();
    let participants: Value = hearth
        .client
        .get(hearth.url(&format!("/api/v1/groups/climbing/events/{id}/participants")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(participants, json!([]));
    let cancelled = hearth
        .client
        .post(hearth.url(&format!("/api/v1/groups/climbing/events/{id}/cancel")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), 200);
    let again = hearth
        .client
        .post(hearth.url(&format!("/api/v1/groups/climbing/events/{id}/cancel")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 422);

    // In an event that needs approval, a Join waits until staff approve it.
    let mut restricted = good.clone();
    restricted["approval"] = json!(true);
    let (status, created) = post(restricted).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let event_id = created["ap_id"].as_str().unwrap();
    let mobilizon = peer("mobilizon").await;
    let bob = mobilizon.add_person("bob").await.unwrap();
    let bob_join = join(&mobilizon, &bob, event_id);
    let inbox = hearth.group_inbox("climbing");
    deliver_expect(&mobilizon, &bob, &inbox, &bob_join, 202).await;
    let decision = hearth.url(&format!(
        "/api/v1/groups/climbing/events/{id}/participants/decision"
    ));
    let decide = |actor: String| {
        let (hearth, token, decision) = (&hearth, &token, &decision);
        async move {
            hearth
                .client
                .post(decision.clone())
                .bearer_auth(token)
                .json(&json!({"actor": actor, "approve": true}))
                .send()
                .await
                .unwrap()
        }
    };
    let unknown = decide("https://nobody.example/u/x".into()).await;
    assert_eq!(unknown.status(), 422);
    let approved = decide(bob.to_string()).await;
    assert_eq!(approved.status(), 200);
    let listed: Value = approved.json().await.unwrap();
    assert_eq!(listed[0]["status"], "going", "{listed}");
    let bob_join_id = bob_join["id"].as_str().unwrap();
    wait_received(&mobilizon, "the Accept after approval", |r| {
        accepted(r, bob_join_id)
    })
    .await;
}
