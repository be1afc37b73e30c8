//! The last seat of an event goes to one answer only, however many arrive at once: on SQLite,
//! and on PostgreSQL when `HEARTH_TEST_POSTGRES` names a server (e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`).

mod common;

use std::sync::Arc;

use common::{group, TestPostgres};
use hearth_storage::{
    Change, EventChange, EventFields, NewActor, RsvpStatus, Store, StoreError, StoreOptions,
    UnitOfWork,
};
use tokio::sync::Barrier;

/// How many people answer at the same moment.
const RACERS: usize = 24;
const EVENT: &str = "https://hearth.example/groups/climbing/events/last-seat";

fn person(n: usize) -> NewActor {
    common::person(&format!("p{n}"), "mobilizon.example")
}

fn one_seat() -> EventFields {
    EventFields {
        title: "Last seat".into(),
        description: String::new(),
        starts_at: 4_000_000_000_000,
        ends_at: 4_000_000_360_000,
        timezone: "UTC".into(),
        location: None,
        online_url: None,
        capacity: Some(1),
        join_mode: "open".into(),
    }
}

fn rsvp(event_id: i64, actor_id: i64, status: RsvpStatus) -> UnitOfWork {
    UnitOfWork {
        changes: vec![Change::Event(EventChange::Rsvp {
            event_id,
            actor_id,
            status,
            activity_id: format!("https://mobilizon.example/join/{actor_id}"),
        })],
        ..UnitOfWork::default()
    }
}

/// One answer: going, or (refused for want of a seat) the waiting list. Whether it got the seat.
async fn answer(store: &Store, event_id: i64, actor_id: i64) -> bool {
    match store
        .commit(&rsvp(event_id, actor_id, RsvpStatus::Going))
        .await
    {
        Ok(_) => true,
        Err(StoreError::Conflict(_)) => {
            store
                .commit(&rsvp(event_id, actor_id, RsvpStatus::Waitlist))
                .await
                .unwrap();
            false
        }
        Err(other) => panic!("answer failed: {other}"),
    }
}

/// Races [`RACERS`] answers for a one-seat event, spread over `stores` (each a process's pool
/// on one database).
async fn check(stores: &[Store]) {
    let store = &stores[0];
    store.migrate().await.unwrap();
    let group = store.create_group(&group()).await.unwrap();
    let create = UnitOfWork {
        changes: vec![Change::Event(EventChange::Create {
            group_id: group.id,
            ap_id: EVENT.into(),
            fields: one_seat(),
            created_by: "test".into(),
        })],
        ..UnitOfWork::default()
    };
    store.commit(&create).await.unwrap();
    let event = store.event_by_ap_id(EVENT).await.unwrap().unwrap();
    let mut people = Vec::new();
    for n in 0..RACERS {
        people.push(store.upsert_actor(&person(n)).await.unwrap().id);
    }

    let start = Arc::new(Barrier::new(RACERS));
    let racers: Vec<_> = people
        .into_iter()
        .enumerate()
        .map(|(n, actor_id)| {
            let (store, start) = (stores[n % stores.len()].clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                answer(&store, event.id, actor_id).await
            })
        })
        .collect();
    let mut seated = 0;
    for racer in racers {
        seated += usize::from(racer.await.unwrap());
    }

    assert_eq!(seated, 1, "exactly one answer took the seat");
    let counts = store.rsvp_counts(event.id).await.unwrap();
    assert_eq!(counts.going, 1, "{counts:?}");
    assert_eq!(counts.waitlist, RACERS as i64 - 1, "{counts:?}");
    let first = store.first_waiting(event.id).await.unwrap();
    assert!(first.is_some(), "the others wait for a seat");
    check_two_leave_at_once(store, group.id).await;
}

/// Two people leave a full two-seat event at once, each handing their seat to whoever waits
/// first: the one who read a stale waiting list fails and, answering again, moves the next up.
async fn check_two_leave_at_once(store: &Store, group_id: i64) {
    let ap_id = format!("{EVENT}-two");
    let create = UnitOfWork {
        changes: vec![Change::Event(EventChange::Create {
            group_id,
            ap_id: ap_id.clone(),
            fields: EventFields {
                capacity: Some(2),
                ..one_seat()
            },
            created_by: "test".into(),
        })],
        ..UnitOfWork::default()
    };
    store.commit(&create).await.unwrap();
    let event = store.event_by_ap_id(&ap_id).await.unwrap().unwrap().id;
    let mut people = Vec::new();
    for n in 100..104 {
        people.push(store.upsert_actor(&person(n)).await.unwrap().id);
    }
    let status = [
        RsvpStatus::Going,
        RsvpStatus::Going,
        RsvpStatus::Waitlist,
        RsvpStatus::Waitlist,
    ];
    for (who, status) in people.iter().zip(status) {
        store.commit(&rsvp(event, *who, status)).await.unwrap();
    }
    let leave_and_move_up = |leaver: i64, next: i64| UnitOfWork {
        changes: vec![
            Change::Event(EventChange::Withdraw {
                event_id: event,
                actor_id: leaver,
            }),
            Change::Event(EventChange::MoveUp {
                event_id: event,
                actor_id: next,
            }),
        ],
        ..UnitOfWork::default()
    };
    let first = store.first_waiting(event).await.unwrap().unwrap().actor_id;
    assert_eq!(first, people[2]);
    store
        .commit(&leave_and_move_up(people[0], first))
        .await
        .unwrap();
    let stale = store.commit(&leave_and_move_up(people[1], first)).await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
    let next = store.first_waiting(event).await.unwrap().unwrap().actor_id;
    assert_eq!(next, people[3]);
    store
        .commit(&leave_and_move_up(people[1], next))
        .await
        .unwrap();
    let counts = store.rsvp_counts(event).await.unwrap();
    assert_eq!((counts.going, counts.waitlist), (2, 0), "{counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_last_seat_goes_to_one_answer_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("h.db").display());
    let mut stores = Vec::new();
    for _ in 0..2 {
        stores.push(
            Store::connect(&url, &StoreOptions::default())
                .await
                .unwrap(),
        );
    }
    check(&stores).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn the_last_seat_goes_to_one_answer_on_postgres() {
    let Some(database) = TestPostgres::create("hearth_events").await else {
        return;
    };
    let options = StoreOptions {
        max_connections: RACERS as u32,
        ..StoreOptions::default()
    };
    let mut stores = Vec::new();
    for _ in 0..2 {
        stores.push(Store::connect(&database.url, &options).await.unwrap());
    }
    check(&stores).await;
    for store in &stores {
        store.close().await;
    }
    database.drop().await;
}
