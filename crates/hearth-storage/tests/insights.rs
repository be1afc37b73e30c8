//! The insights summaries agree with the raw activity: days that are over, windows of active
//! people, retention, threads and instances, on SQLite and on PostgreSQL when
//! `HEARTH_TEST_POSTGRES` names a server (e.g. `postgres://postgres@127.0.0.1:5432/postgres`).
//! Activity is moved into the past with plain SQL, as if it had happened then.

mod common;

use common::{group, person, TestPostgres};
use hearth_storage::{
    now_ms, Change, FollowState, InsightRange, InsightScope, NewPost, Store, StoreOptions,
    UnitOfWork,
};

const DAY_MS: i64 = 24 * 3600 * 1000;

fn post(id: &str, group_id: i64, author_id: i64, thread: Option<(i64, &str)>, at: i64) -> NewPost {
    NewPost {
        ap_id: format!("https://a.example/notes/{id}"),
        group_id,
        author_id,
        kind: "Note".into(),
        in_reply_to: thread.map(|(_, parent)| parent.to_owned()),
        thread_id: thread.map(|(root, _)| root),
        title: thread.is_none().then(|| format!("Thread {id}")),
        content: "<p>hi</p>".into(),
        url: None,
        raw: "{}".into(),
        published: at,
    }
}

async fn commit(store: &Store, changes: Vec<Change>) -> Option<i64> {
    let work = UnitOfWork {
        changes,
        ..UnitOfWork::default()
    };
    store.commit(&work).await.unwrap().created_post
}

/// Runs `sql` on the database at `url` with a connection of its own.
async fn execute(url: &str, sql: &str) {
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        sqlx::query(sql).execute(&pool).await.unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query(sql).execute(&pool).await.unwrap();
        pool.close().await;
    }
}

async fn check(url: &str) {
    let store = Store::connect(url, &StoreOptions::default()).await.unwrap();
    store.migrate().await.unwrap();
    let now = now_ms();
    let today = now.div_euclid(DAY_MS);
    // Three people join 20 days ago and talk in one thread that day; one of them comes back
    // 8 days after joining; a fourth, not a member, starts a thread today.
    let joined = today - 20;
    let group = store.create_group(&group()).await.unwrap().id;
    let mut people = Vec::new();
    for (name, host) in [
        ("ann", "a.example"),
        ("bob", "b.example"),
        ("cat", "b.example"),
        ("dan", "d.example"),
    ] {
        people.push(store.upsert_actor(&person(name, host)).await.unwrap().id);
    }
    let (ann, bob, cat, dan) = (people[0], people[1], people[2], people[3]);
    for who in [ann, bob, cat] {
        let follow = Change::Follow {
            group_id: group,
            actor_id: who,
            activity_id: format!("https://a.example/follows/{who}"),
            state: FollowState::Accepted,
        };
        commit(&store, vec![follow]).await;
    }
    let at = joined * DAY_MS + 3_600_000;
    let root = commit(
        &store,
        vec![Change::CreatePost(post("1", group, ann, None, at))],
    )
    .await
    .unwrap();
    let parent = "https://a.example/notes/1";
    for (id, who) in [("2", bob), ("3", cat)] {
        let reply = post(id, group, who, Some((root, parent)), at);
        commit(&store, vec![Change::CreatePost(reply)]).await;
    }
    let back = post("4", group, ann, Some((root, parent)), at + 8 * DAY_MS);
    let back = commit(&store, vec![Change::CreatePost(back)])
        .await
        .unwrap();
    let lonely = post("5", group, dan, None, now - 60_000);
    let lonely = commit(&store, vec![Change::CreatePost(lonely)])
        .await
        .unwrap();
    let shift = now - at;
    execute(
        url,
        &format!("UPDATE membership_events SET at = at - {shift}"),
    )
    .await;
    execute(
        url,
        &format!("UPDATE posts SET created_at = created_at - {shift} WHERE id <= {root} + 2"),
    )
    .await;
    execute(
        url,
        &format!(
            "UPDATE posts SET created_at = created_at - {} WHERE id = {back}",
            shift - 8 * DAY_MS
        ),
    )
    .await;
    store.refresh_insights(now).await.unwrap();

    for scope in [InsightScope::Group(group), InsightScope::Instance] {
        let range = InsightRange::new(joined, today, today).unwrap();
        let days = store.insight_days(scope, range).await.unwrap();
        let active: Vec<(i64, i64)> = days
            .iter()
            .filter(|d| d.active > 0)
            .map(|d| (d.day - joined, d.active))
            .collect();
        assert_eq!(active, vec![(0, 3), (8, 1), (20, 1)], "{scope:?}");
        assert_eq!(days[0].joins, 3);
        assert_eq!(days.last().unwrap().members, 3);

        // Fixed windows, a window ending today, and a custom range counted from the rows.
        let active = |from: i64, to: i64| store.insight_active(scope, from, to);
        assert_eq!(active(joined, joined).await.unwrap(), 3);
        assert_eq!(active(joined - 4, joined + 2).await.unwrap(), 3, "7 days");
        assert_eq!(
            active(joined + 8 - 29, joined + 8).await.unwrap(),
            3,
            "30 days"
        );
        assert_eq!(
            active(joined + 1, joined + 7).await.unwrap(),
            0,
            "7 quiet days"
        );
        assert_eq!(active(joined + 1, joined + 10).await.unwrap(), 1, "10 days");
        assert_eq!(active(today - 29, today).await.unwrap(), 4, "up to today");
        assert_eq!(active(today, today).await.unwrap(), 1, "today");
        let windows = store
            .insight_active_windows(scope, joined + 8)
            .await
            .unwrap();
        assert_eq!((windows.daily, windows.weekly, windows.monthly), (1, 1, 3));

        // One of the three was back in their second week; later weeks are not over yet.
        let cohorts = store.insight_cohorts(scope, range).await.unwrap();
        assert_eq!(cohorts.len(), 1, "{cohorts:?}");
        assert_eq!(cohorts[0].joined, 3);
        assert_eq!(cohorts[0].week_1, Some(33.3));
        assert_eq!(cohorts[0].week_4, None);

        let top = store
            .insight_top_threads(scope, range, true, 10)
            .await
            .unwrap();
        assert_eq!(top.len(), 1);
        assert_eq!((top[0].replies, top[0].participants), (3, 3));
        let (unanswered, listed) = store
            .insight_unanswered(scope, range, 0, now, 10)
            .await
            .unwrap();
        assert_eq!(unanswered, 1);
        assert_eq!(listed[0].id, lonely);

        let instances = store.insight_instances(scope, range).await.unwrap();
        let counts: Vec<(&str, i64)> = instances
            .iter()
            .map(|i| (i.host.as_str(), i.members))
            .collect();
        assert_eq!(counts, vec![("b.example", 2), ("a.example", 1)]);
    }

    // A removed thread is no longer unanswered; a leave is counted per instance.
    let remove = Change::RemovePost {
        post_id: lonely,
        at: now,
        by: "test".into(),
        reason: String::new(),
    };
    let leave = Change::Unfollow {
        group_id: group,
        actor_id: cat,
    };
    commit(&store, vec![remove, leave]).await;
    store.refresh_insights(now_ms()).await.unwrap();
    let range = InsightRange::last_days(30, today).unwrap();
    let scope = InsightScope::Group(group);
    let (unanswered, _) = store
        .insight_unanswered(scope, range, 0, now_ms(), 10)
        .await
        .unwrap();
    assert_eq!(unanswered, 0);
    let instances = store.insight_instances(scope, range).await.unwrap();
    assert_eq!(instances[0].members, 1, "{instances:?}");
    store.close().await;
}

#[tokio::test]
async fn summaries_agree_with_the_activity_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    check(&format!("sqlite:{}", dir.path().join("h.db").display())).await;
}

#[tokio::test]
async fn summaries_agree_with_the_activity_on_postgres() {
    let Some(database) = TestPostgres::create("hearth_insights").await else {
        return;
    };
    check(&database.url).await;
    database.drop().await;
}
