//! `copy_database`: a populated SQLite database copied into another SQLite file, and into
//! PostgreSQL (and back) when `HEARTH_TEST_POSTGRES` names a server, e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`.

mod common;

use std::fmt::Write as _;

use common::TestPostgres;
use hearth_storage::{
    copy_database, Change, CopyError, CopyProgress, CopyReport, DomainChange, DomainPolicy,
    FetchedList, FollowState, GroupRole, JoinMode, LocalKeys, Media, NewActor, NewAutomodRule,
    NewBan, NewGroup, NewHeldPost, NewModlogEntry, NewOutbound, NewPost, NewReport,
    NewSubscription, PlannedChange, PostingPolicy, Recipients, RuleInput, Store, SubscriptionEntry,
    SubscriptionUpdate, UnitOfWork,
};

/// What `populate` made, to look it up again.
struct Fixture {
    climbing: i64,
    chess: i64,
    root: i64,
    dead_delivery_max: i64,
}

const ROOT: &str = "https://a.example/notes/1";
const REPLY: &str = "https://b.example/comment/2";
const ACTORS: [&str; 3] = [
    "https://a.example/users/alice",
    "https://b.example/u/bob",
    "https://c.example/people/carol",
];

/// Rows per table after `populate`, in `TABLES` order.
const EXPECTED: [(&str, u64); 45] = [
    ("local_keys", 1),
    ("groups", 2),
    ("actors", 3),
    ("follows", 2),
    ("posts", 2),
    ("reactions", 1),
    ("received_activities", 2),
    ("outbound_activities", 2),
    ("deliveries", 2),
    ("instances", 3),
    ("scheduled_jobs", 1),
    ("domain_policies", 1),
    ("instance_settings", 0),
    ("modlog", 4),
    ("accounts", 1),
    ("group_staff", 1),
    ("sessions", 1),
    ("api_tokens", 1),
    ("group_rules", 2),
    ("media", 1),
    ("invites", 1),
    ("held_posts", 1),
    ("blocklist_subscriptions", 1),
    ("blocklist_subscription_entries", 2),
    ("group_moderators", 1),
    ("report_cases", 1),
    ("reports", 2),
    ("group_bans", 1),
    ("member_notes", 1),
    ("case_notes", 1),
    ("automod_rules", 1),
    ("ignored_reporters", 1),
    ("group_posts", 0),
    ("group_poll_votes", 0),
    ("group_events", 0),
    ("event_participants", 0),
    ("membership_events", 3),
    ("insight_hours", 1),
    ("insight_activity", 2),
    ("insight_rollup", 1),
    ("insight_days", 0),
    ("insight_members", 4),
    ("insight_retention", 0),
    // The posts were published long before the days kept.
    ("insight_threads", 0),
    ("insight_instances", 2),
];

async fn sqlite(dir: &tempfile::TempDir, file: &str) -> Store {
    let url = format!("sqlite:{}", dir.path().join(file).display());
    Store::connect(&url, &Default::default()).await.unwrap()
}

/// A fresh PostgreSQL database on the test server, when there is one, with a store on it.
struct PgDatabase {
    database: TestPostgres,
    store: Store,
}

impl PgDatabase {
    async fn create() -> Option<PgDatabase> {
        let database = TestPostgres::create("hearth_copy").await?;
        let store = Store::connect(&database.url, &Default::default())
            .await
            .unwrap();
        Some(PgDatabase { database, store })
    }

    async fn drop(self) {
        self.store.close().await;
        self.database.drop().await;
    }
}

fn group(name: &str, approve: bool, posting: PostingPolicy) -> NewGroup {
    NewGroup {
        name: name.into(),
        title: format!("The {name} group"),
        summary: format!("<p>All about {name}</p>"),
        posting_policy: posting,
        join_mode: if approve {
            JoinMode::Approval
        } else {
            JoinMode::Open
        },
        discoverable: !approve,
        language: "en".into(),
        public_key_pem: format!("-----BEGIN PUBLIC KEY-----\n{name}\n-----END PUBLIC KEY-----\n"),
        private_key_pem: format!(
            "-----BEGIN PRIVATE KEY-----\n{name}\n-----END PRIVATE KEY-----\n"
        ),
    }
}

fn actor(ap_id: &str, shared_inbox: bool) -> NewActor {
    let url = url::Url::parse(ap_id).unwrap();
    let host = url.host_str().unwrap().to_owned();
    let user = ap_id.rsplit('/').next().unwrap().to_owned();
    NewActor {
        ap_id: ap_id.into(),
        kind: "Person".into(),
        host: host.clone(),
        preferred_username: Some(user.clone()),
        name: shared_inbox.then(|| format!("{user} (display)")),
        inbox: format!("{ap_id}/inbox"),
        shared_inbox: shared_inbox.then(|| format!("https://{host}/inbox")),
        url: Some(format!("https://{host}/@{user}")),
        icon_url: None,
        public_key_id: format!("{ap_id}#main-key"),
        public_key_pem: format!("-----BEGIN PUBLIC KEY-----\n{user}\n-----END PUBLIC KEY-----\n"),
        published: shared_inbox.then_some(1_600_000_000_000),
        raw: format!(r#"{{"id":"{ap_id}","type":"Person"}}"#),
    }
}

fn report(ap_id: &str, reporter_id: i64, group_id: i64, post_id: i64) -> NewReport {
    NewReport {
        ap_id: ap_id.into(),
        reporter_id,
        group_id,
        post_id: Some(post_id),
        reported_ap_id: Some(ACTORS[0].into()),
        subject_ap_id: ROOT.into(),
        content: "spam".into(),
        raw: r#"{"type":"Flag"}"#.into(),
    }
}

/// Fills `store` through its public API: keys, groups, actors, follows, a thread with a reply
/// and a like, outbound activities with deliveries (one dead, one sent), instance records,
/// a scheduled job's lease, staff data, a held post and a subscribed blocklist with the rule it
/// gives.
async fn populate(store: &Store) -> Fixture {
    store.migrate().await.unwrap();
    let keys = LocalKeys {
        public_key_pem: "-----BEGIN PUBLIC KEY-----\ninstance\n-----END PUBLIC KEY-----\n".into(),
        private_key_pem: "-----BEGIN PRIVATE KEY-----\ninstance\n-----END PRIVATE KEY-----\n"
            .into(),
    };
    store.ensure_local_keys("instance", &keys).await.unwrap();
    let climbing = store
        .create_group(&group("climbing", false, PostingPolicy::Followers))
        .await
        .unwrap()
        .id;
    let chess = store
        .create_group(&group("chess", true, PostingPolicy::Anyone))
        .await
        .unwrap()
        .id;
    let alice = store.upsert_actor(&actor(ACTORS[0], true)).await.unwrap();
    let bob = store.upsert_actor(&actor(ACTORS[1], false)).await.unwrap();
    let carol = store.upsert_actor(&actor(ACTORS[2], false)).await.unwrap();
    store
        .set_instance_software(
            "a.example",
            Some("mastodon"),
            Some("4.3.0"),
            Some("microblog"),
        )
        .await
        .unwrap();
    store
        .set_instance_software("b.example", Some("lemmy"), Some("0.19.5"), Some("threaded"))
        .await
        .unwrap();

    let first = store
        .commit(&UnitOfWork {
            received: Some("https://a.example/activities/create/1".into()),
            changes: vec![
                Change::Follow {
                    group_id: climbing,
                    actor_id: alice.id,
                    activity_id: "https://a.example/follows/1".into(),
                    state: FollowState::Accepted,
                },
                Change::Follow {
                    group_id: climbing,
                    actor_id: bob.id,
                    activity_id: "https://b.example/follows/1".into(),
                    state: FollowState::Accepted,
                },
                Change::Follow {
                    group_id: chess,
                    actor_id: carol.id,
                    activity_id: "https://c.example/follows/1".into(),
                    state: FollowState::Pending,
                },
                Change::CreatePost(NewPost {
                    ap_id: ROOT.into(),
                    group_id: climbing,
                    author_id: alice.id,
                    kind: "Note".into(),
                    in_reply_to: None,
                    thread_id: None,
                    title: Some("First climb".into()),
                    content: "<p>Hello, crag é ✓</p>".into(),
                    url: Some("https://a.example/@alice/1".into()),
                    raw: format!(r#"{{"id":"{ROOT}","type":"Note"}}"#),
                    published: 1_700_000_000_000,
                }),
            ],
            outbound: vec![],
        })
        .await
        .unwrap();
    let root = first.created_post.unwrap();

    let second = store
        .commit(&UnitOfWork {
            received: Some("https://b.example/activities/create/2".into()),
            changes: vec![
                Change::CreatePost(NewPost {
                    ap_id: REPLY.into(),
                    group_id: climbing,
                    author_id: bob.id,
                    kind: "Note".into(),
                    in_reply_to: Some(ROOT.into()),
                    thread_id: Some(root),
                    title: None,
                    content: "<p>Nice!</p>".into(),
                    url: None,
                    raw: format!(r#"{{"id":"{REPLY}","inReplyTo":"{ROOT}"}}"#),
                    published: 1_700_000_060_000,
                }),
                Change::React {
                    activity_ap_id: "https://b.example/likes/1".into(),
                    post_id: root,
                    actor_id: bob.id,
                    kind: "Like".into(),
                },
                Change::UpdatePost {
                    post_id: root,
                    title: Some("First climb (edited)".into()),
                    content: "<p>Hello again</p>".into(),
                    raw: format!(r#"{{"id":"{ROOT}","type":"Note","edited":true}}"#),
                    updated: 1_700_000_120_000,
                },
            ],
            outbound: vec![
                NewOutbound {
                    ap_id: "https://hearth.test/activities/announce/1".into(),
                    group_id: Some(climbing),
                    kind: "Announce".into(),
                    public: true,
                    body: r#"{"type":"Announce"}"#.into(),
                    recipients: vec![Recipients::Followers {
                        group_id: climbing,
                        flavor: hearth_storage::FollowerFlavor::All,
                    }],
                },
                NewOutbound {
                    ap_id: "https://hearth.test/activities/accept/1".into(),
                    group_id: Some(climbing),
                    kind: "Accept".into(),
                    public: false,
                    body: r#"{"type":"Accept"}"#.into(),
                    recipients: vec![Recipients::Inbox {
                        inbox: "https://c.example/people/carol/inbox".into(),
                        host: "c.example".into(),
                    }],
                },
            ],
        })
        .await
        .unwrap();
    assert_eq!(second.deliveries, 3);

    // One job given up on, one sent (its row deleted: the highest id), one left queued.
    let now = hearth_storage::now_ms() + 1000;
    let mut jobs = store
        .claim_deliveries("test", now, now + 60_000, 10, 10)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 3);
    jobs.sort_by_key(|j| j.id);
    store
        .delivery_failed(&jobs[0], "410 Gone", None)
        .await
        .unwrap();
    store.delivery_succeeded(&jobs[2], now).await.unwrap();
    store.release_delivery(jobs[1].id).await.unwrap();
    store
        .record_instance_failure(&hearth_storage::InstanceFailure {
            host: "c.example",
            at: now,
            error: "connection refused",
            unreachable_after: 1,
            hold_until: now + 3_600_000,
        })
        .await
        .unwrap();
    assert!(store
        .claim_scheduled_job("prune", "test", now, now + 60_000, 3_600_000)
        .await
        .unwrap());

    // Staff: an account with a session, a token and a role; rules, an image and an invite.
    let admin = store
        .create_account("admin", "$argon2id$v=19$stand-in", true)
        .await
        .unwrap();
    store
        .create_session("session-hash", admin.id, "csrf", now + 60_000)
        .await
        .unwrap();
    store
        .create_api_token(admin.id, "scripts", "token-hash")
        .await
        .unwrap();
    store
        .set_group_role(climbing, admin.id, GroupRole::Owner)
        .await
        .unwrap();
    let rules = [
        ("Be kind", "No insults."),
        ("Stay on topic", "Climbing only."),
    ];
    let rules: Vec<RuleInput> = rules
        .iter()
        .map(|(name, text)| RuleInput {
            id: None,
            short_name: (*name).into(),
            text: (*text).into(),
        })
        .collect();
    store.replace_group_rules(climbing, &rules).await.unwrap();
    store
        .insert_media(&Media {
            id: "icon-1".into(),
            group_id: Some(climbing),
            purpose: "icon".into(),
            content_type: "image/png".into(),
            width: 1,
            height: 1,
            bytes: vec![0x89, b'P', b'N', b'G', 0, 255, 1, 2],
            created_at: now,
        })
        .await
        .unwrap();
    store
        .add_invite(chess, ACTORS[1], Some(admin.id))
        .await
        .unwrap();
    store
        .commit(&UnitOfWork {
            received: None,
            changes: vec![
                Change::HoldPost(NewHeldPost {
                    group_id: climbing,
                    author_id: carol.id,
                    object_ap_id: "https://c.example/notes/held".into(),
                    activity: r#"{"type":"Create"}"#.into(),
                    object: r#"{"type":"Note"}"#.into(),
                    reason: "c.example is limited".into(),
                }),
                Change::AddModerator {
                    group_id: climbing,
                    actor_id: carol.id,
                    added_by: "cli".into(),
                },
                Change::Report(report("https://b.example/flags/1", bob.id, climbing, root)),
                Change::Report(report(
                    "https://c.example/flags/2",
                    carol.id,
                    climbing,
                    root,
                )),
                Change::WithdrawReport {
                    ap_id: "https://c.example/flags/2".into(),
                    reporter_id: carol.id,
                },
                Change::Ban(NewBan {
                    group_id: climbing,
                    actor_id: bob.id,
                    reason: "spam".into(),
                    rule_id: None,
                    expires_at: Some(4_102_444_800_000),
                    banned_by: "cli".into(),
                }),
                Change::Log(NewModlogEntry {
                    group_id: Some(climbing),
                    actor: "cli".into(),
                    action: "member.ban".into(),
                    target: ACTORS[1].into(),
                    reason: "spam".into(),
                    ..NewModlogEntry::default()
                }),
            ],
            outbound: Vec::new(),
        })
        .await
        .unwrap();
    store
        .add_member_note(climbing, bob.id, "cli", "warned twice")
        .await
        .unwrap();
    let case = store.open_cases(climbing).await.unwrap()[0].id;
    store.add_case_note(case, "cli", "looking").await.unwrap();
    store
        .set_ignored_reporter(carol.id, ACTORS[2], true, "cli", "floods")
        .await
        .unwrap();
    store
        .refresh_insights(hearth_storage::now_ms())
        .await
        .unwrap();
    store
        .add_automod_rule(&NewAutomodRule {
            group_id: Some(climbing),
            kind: "keyword".into(),
            pattern: "cheap gear".into(),
            threshold: 0,
            outcome: "hold".into(),
            note: "spam".into(),
            created_by: "cli".into(),
        })
        .await
        .unwrap();
    // A subscribed list with two entries, one of them applied as a rule.
    let entry = |domain: &str, severity: &str| SubscriptionEntry {
        subscription_id: 0,
        domain: domain.into(),
        severity: severity.into(),
        reject_media: severity == "silence",
        reject_reports: false,
        obfuscate: false,
        public_comment: format!("{domain} is noisy"),
    };
    let subscribed = store
        .update_subscriptions(
            SubscriptionUpdate::Create(
                NewSubscription {
                    url: "https://lists.example/blocks.csv".into(),
                    priority: 5,
                    draft: false,
                    excludes: vec!["skip.example".into()],
                    refresh_secs: 21600,
                    created_by: "cli:root".into(),
                },
                FetchedList {
                    entries: Some(vec![
                        entry("spam.example", "suspend"),
                        entry("skip.example", "silence"),
                    ]),
                    format: Some("csv".into()),
                    etag: Some("\"v1\"".into()),
                    last_modified: None,
                    at: now,
                },
            ),
            "subscription:https://lists.example/blocks.csv",
            |sources| {
                let e = &sources.entries[1];
                vec![PlannedChange {
                    change: DomainChange::Set(DomainPolicy {
                        domain: e.domain.clone(),
                        severity: e.severity.clone(),
                        reject_media: e.reject_media,
                        reject_reports: e.reject_reports,
                        public_comment: e.public_comment.clone(),
                        private_comment: String::new(),
                        source: sources.subscriptions[0].source(),
                        expires_at: None,
                        created_by: String::new(),
                        created_at: 0,
                        updated_at: 0,
                    }),
                    reason: "listed".into(),
                    before: None,
                }]
            },
        )
        .await
        .unwrap();
    assert_eq!(subscribed.applied.len(), 1);
    Fixture {
        climbing,
        chess,
        root,
        dead_delivery_max: jobs[2].id,
    }
}

/// Everything the Store can tell about the fixture's data, as text.
async fn snapshot(store: &Store, fx: &Fixture) -> String {
    let mut out = String::new();
    let w = &mut out;
    writeln!(w, "{:?}", store.list_groups().await.unwrap()).unwrap();
    for name in ["climbing", "chess"] {
        writeln!(w, "{:?}", store.group_by_name(name).await.unwrap()).unwrap();
    }
    writeln!(w, "{:?}", store.list_accounts().await.unwrap()).unwrap();
    writeln!(w, "{:?}", store.session("session-hash").await.unwrap()).unwrap();
    writeln!(w, "{:?}", store.group_rules(fx.climbing).await.unwrap()).unwrap();
    writeln!(w, "{:?}", store.group_staff(fx.climbing).await.unwrap()).unwrap();
    writeln!(w, "{:?}", store.media("icon-1").await.unwrap()).unwrap();
    writeln!(w, "{:?}", store.invites(fx.chess).await.unwrap()).unwrap();
    writeln!(w, "{:?}", store.open_held_posts(fx.climbing).await.unwrap()).unwrap();
    writeln!(
        w,
        "{:?}",
        store.group_moderators(fx.climbing).await.unwrap()
    )
    .unwrap();
    writeln!(w, "{:?}", store.group_bans(fx.climbing, 0).await.unwrap()).unwrap();
    writeln!(w, "{:?}", store.ignored_reporters().await.unwrap()).unwrap();
    writeln!(
        w,
        "{:?}",
        store.automod_rules(Some(fx.climbing)).await.unwrap()
    )
    .unwrap();
    writeln!(w, "{:?}", store.blocklist_subscriptions().await.unwrap()).unwrap();
    writeln!(w, "{:?}", store.subscription_entries(1).await.unwrap()).unwrap();
    writeln!(w, "{:?}", store.domain_policies().await.unwrap()).unwrap();
    writeln!(w, "{:?}", store.modlog(10).await.unwrap()).unwrap();
    writeln!(w, "{:?}", store.local_keys("instance").await.unwrap()).unwrap();
    for ap_id in ACTORS {
        writeln!(w, "{:?}", store.actor_by_ap_id(ap_id).await.unwrap()).unwrap();
    }
    for ap_id in [ROOT, REPLY] {
        writeln!(w, "{:?}", store.post_by_ap_id(ap_id).await.unwrap()).unwrap();
    }
    writeln!(w, "{:?}", store.thread_posts(fx.root).await.unwrap()).unwrap();
    writeln!(
        w,
        "{:?}",
        store.recent_threads(fx.climbing, 10).await.unwrap()
    )
    .unwrap();
    writeln!(w, "{:?}", store.pending_follows(fx.chess).await.unwrap()).unwrap();
    writeln!(
        w,
        "{:?}",
        store.followers_page(fx.climbing, 0, 10).await.unwrap()
    )
    .unwrap();
    writeln!(w, "{:?}", store.queue_stats().await.unwrap()).unwrap();
    writeln!(w, "{:?}", store.list_instances().await.unwrap()).unwrap();
    writeln!(
        w,
        "{:?}",
        store.outbox_page(fx.climbing, None, 10).await.unwrap()
    )
    .unwrap();
    writeln!(w, "{:?}", store.reaction_counts(fx.root).await.unwrap()).unwrap();
    writeln!(
        w,
        "{:?}",
        store
            .reaction_by_activity("https://b.example/likes/1")
            .await
            .unwrap()
    )
    .unwrap();
    writeln!(
        w,
        "{:?}",
        store
            .was_received("https://b.example/activities/create/2")
            .await
            .unwrap()
    )
    .unwrap();
    writeln!(
        w,
        "{:?}",
        store.instance_stats(1_700_000_200_000).await.unwrap()
    )
    .unwrap();
    out
}

fn assert_counts(report: &CopyReport) {
    let counts: Vec<(&str, u64)> = report
        .tables
        .iter()
        .map(|t| {
            assert_eq!(t.source_rows, t.target_rows, "{}", t.table);
            (t.table, t.target_rows)
        })
        .collect();
    assert_eq!(counts, EXPECTED);
    assert_eq!(report.rows(), EXPECTED.iter().map(|(_, n)| n).sum::<u64>());
}

/// Copies the populated `source` into the empty `target` and checks everything the brief of
/// the copy promises: counts, identical reads, fresh ids past the old ones, refusal of a
/// non-empty target, and `force`.
async fn copy_and_check(source: &Store, target: &Store, fx: &Fixture) {
    let mut events = Vec::new();
    let report = copy_database(source, target, false, |p| events.push(p))
        .await
        .unwrap();
    assert_counts(&report);
    assert_eq!(report.replaced_rows, 0);
    let started: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            CopyProgress::TableStarted { table, .. } => Some(*table),
            _ => None,
        })
        .collect();
    assert_eq!(started, hearth_storage::copy::TABLES);
    assert!(events.contains(&CopyProgress::TableFinished {
        table: "deliveries",
        rows: 2
    }));
    assert_eq!(events.last(), Some(&CopyProgress::Committing));

    let expected = snapshot(source, fx).await;
    assert_eq!(snapshot(target, fx).await, expected);

    // New rows get ids past the copied ones, and past ids used by rows since deleted.
    let extra = target
        .create_group(&group("knitting", false, PostingPolicy::Followers))
        .await
        .unwrap();
    assert_eq!(extra.id, fx.chess + 1);
    target
        .commit(&UnitOfWork {
            received: None,
            changes: vec![],
            outbound: vec![NewOutbound {
                ap_id: "https://hearth.test/activities/announce/2".into(),
                group_id: Some(extra.id),
                kind: "Announce".into(),
                public: true,
                body: "{}".into(),
                recipients: vec![Recipients::Inbox {
                    inbox: "https://d.example/inbox".into(),
                    host: "d.example".into(),
                }],
            }],
        })
        .await
        .unwrap();
    let now = hearth_storage::now_ms() + 1000;
    let claimed = target
        .claim_deliveries("test", now, now + 60_000, 10, 10)
        .await
        .unwrap();
    let new_job = claimed
        .iter()
        .find(|j| j.host == "d.example")
        .expect("the new job");
    assert_eq!(new_job.id, fx.dead_delivery_max + 1);
    let new_activity = target
        .outbound_activity(new_job.activity_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(new_activity.id, 3);

    // The target now holds data: refused without force, and left as it was.
    let err = copy_database(source, target, false, |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(err, CopyError::TargetNotEmpty { rows } if rows == report.rows() + 3),
        "{err:?}"
    );
    assert!(err.to_string().contains("holds data"), "{err}");
    assert!(target.group_by_name("knitting").await.unwrap().is_some());

    // With force it is replaced.
    let again = copy_database(source, target, true, |_| {}).await.unwrap();
    assert_counts(&again);
    assert_eq!(again.replaced_rows, report.rows() + 3);
    assert!(target.group_by_name("knitting").await.unwrap().is_none());
    assert_eq!(snapshot(target, fx).await, expected);
    let extra = target
        .create_group(&group("knitting", false, PostingPolicy::Followers))
        .await
        .unwrap();
    assert_eq!(extra.id, fx.chess + 1);
}

#[tokio::test]
async fn sqlite_copies_into_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let source = sqlite(&dir, "source.db").await;
    let fx = populate(&source).await;
    let target = sqlite(&dir, "target.db").await;
    copy_and_check(&source, &target, &fx).await;
}

#[tokio::test]
async fn sqlite_copies_into_postgres_and_back() {
    let Some(pg) = PgDatabase::create().await else {
        eprintln!("HEARTH_TEST_POSTGRES is not set: skipped");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let source = sqlite(&dir, "source.db").await;
    let fx = populate(&source).await;
    copy_and_check(&source, &pg.store, &fx).await;

    // PostgreSQL → PostgreSQL and PostgreSQL → SQLite give the same data back (the copy
    // checked above now also holds the group "knitting").
    let pg2 = PgDatabase::create().await.unwrap();
    let report = copy_database(&pg.store, &pg2.store, false, |_| {})
        .await
        .unwrap();
    let back = sqlite(&dir, "back.db").await;
    let report_back = copy_database(&pg2.store, &back, false, |_| {})
        .await
        .unwrap();
    assert_eq!(report_back, report);
    assert_eq!(report.tables[1].target_rows, 3);
    let expected = snapshot(&pg.store, &fx).await;
    assert!(expected.contains("knitting"));
    assert_eq!(snapshot(&pg2.store, &fx).await, expected);
    assert_eq!(snapshot(&back, &fx).await, expected);
    let extra = back
        .create_group(&group("weaving", false, PostingPolicy::Followers))
        .await
        .unwrap();
    assert_eq!(extra.id, fx.chess + 2);
    pg2.drop().await;
    pg.drop().await;
}

#[tokio::test]
async fn a_database_is_not_copied_into_itself() {
    let dir = tempfile::tempdir().unwrap();
    let source = sqlite(&dir, "one.db").await;
    populate(&source).await;
    // Another spelling of the same file.
    let url = format!("sqlite:{}/./one.db", dir.path().display());
    let same = Store::connect(&url, &Default::default()).await.unwrap();
    let err = copy_database(&source, &same, true, |_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, CopyError::SameDatabase), "{err:?}");
    assert_eq!(source.list_groups().await.unwrap().len(), 2);
}

#[tokio::test]
async fn an_unmigrated_source_or_a_foreign_target_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let empty = sqlite(&dir, "empty.db").await;
    let target = sqlite(&dir, "target.db").await;
    let err = copy_database(&empty, &target, false, |_| {})
        .await
        .unwrap_err();
    assert!(err.to_string().contains("never migrated"), "{err}");

    let source = sqlite(&dir, "source.db").await;
    populate(&source).await;
    let other = dir.path().join("other.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}?mode=rwc", other.display()))
        .await
        .unwrap();
    sqlx::query("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total BIGINT)")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let foreign = Store::connect(&format!("sqlite:{}", other.display()), &Default::default())
        .await
        .unwrap();
    let err = copy_database(&source, &foreign, true, |_| {})
        .await
        .unwrap_err();
    assert!(err.to_string().contains("invoices"), "{err}");
    assert!(
        foreign.list_groups().await.is_err(),
        "the target was not migrated"
    );
}

#[tokio::test]
async fn a_failed_copy_writes_nothing() {
    let Some(pg) = PgDatabase::create().await else {
        eprintln!("HEARTH_TEST_POSTGRES is not set: skipped");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let source = sqlite(&dir, "source.db").await;
    populate(&source).await;
    source.close().await;
    // SQLite keeps a NUL byte in text; PostgreSQL refuses it. `instances` is copied late, so
    // every earlier table has been written when the copy fails.
    let file = dir.path().join("source.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", file.display()))
        .await
        .unwrap();
    sqlx::query("INSERT INTO instances (host, first_seen_at, last_error) VALUES ($1, 1, $2)")
        .bind("z.example")
        .bind("bad \0 byte")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let source = sqlite(&dir, "source.db").await;
    let err = copy_database(&source, &pg.store, false, |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            CopyError::Table {
                table: "instances",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().starts_with("copying instances: "), "{err}");
    assert!(pg.store.list_groups().await.unwrap().is_empty());
    assert!(pg.store.local_keys("instance").await.unwrap().is_none());
    assert!(pg.store.list_instances().await.unwrap().is_empty());
    pg.drop().await;
}
