//! The delivery queue between real processes: retries, final refusals, unreachable instances,
//! and a crash (`kill -9`) in the middle of a fan-out.

mod common;

use std::time::Duration;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried_and_client_errors_are_final() {
    let hearth = Hearth::start().await;
    hearth.create_group("climbing", &[]);
    let fs = followers(&hearth, 2).await;
    let (flaky, gone) = (&fs[0].0, &fs[1].0);
    flaky.set_inbox_response(503, Duration::ZERO);
    gone.set_inbox_response(410, Duration::ZERO);
    let (p, alice) = author(&hearth).await;
    let id = post(&hearth, &p, &alice, "retry me").await;

    wait_received(flaky, "a first attempt", |r| {
        r.iter().any(|x| announces(&x.activity, &id))
    })
    .await;
    wait_received(gone, "the only attempt", |r| {
        r.iter().any(|x| announces(&x.activity, &id))
    })
    .await;
    flaky.set_inbox_response(202, Duration::ZERO);
    wait_received(flaky, "a retry", |r| {
        r.iter().filter(|x| announces(&x.activity, &id)).count() >= 2
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(count(gone, &id), 1, "a 410 is not retried");
    let delivered = count(flaky, &id);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        count(flaky, &id),
        delivered,
        "no more attempts after success"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_instance_does_not_hold_up_healthy_ones() {
    let hearth = Hearth::start_with(Options {
        env: vec![("HEARTH_DELIVERY_UNREACHABLE_AFTER", "2".into())],
        ..Options::default()
    })
    .await;
    hearth.create_group("climbing", &[]);
    let fs = followers(&hearth, 4).await;
    let dead = fs[0].0.clone();
    dead.stop().await;
    dead.set_inbox_response(503, Duration::from_secs(30));
    let (p, alice) = author(&hearth).await;
    for n in 0..3 {
        let id = post(&hearth, &p, &alice, &format!("post {n}")).await;
        for (healthy, _) in &fs[1..] {
            wait_received(healthy, "the announce", |r| {
                r.iter().any(|x| announces(&x.activity, &id))
            })
            .await;
        }
    }
    let (ok, out) = hearth.cli(&["federation", "health"]);
    assert!(
        ok && out.contains("(unreachable)") && out.contains("lemmy"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_fan_out_loses_nothing() {
    let mut hearth = Hearth::start_with(Options {
        env: vec![
            ("HEARTH_DELIVERY_CONCURRENCY", "3".into()),
            ("HEARTH_DELIVERY_LEASE_SECS", "2".into()),
        ],
        ..Options::default()
    })
    .await;
    hearth.create_group("climbing", &[]);
    let fs = followers(&hearth, 12).await;
    for (p, _) in &fs {
        p.set_inbox_response(202, Duration::from_millis(800));
    }
    let (p, alice) = author(&hearth).await;
    let id = post(&hearth, &p, &alice, "survive a crash").await;
    // Some deliveries are done or in flight; most are still queued.
    wait_first_delivery(&fs, &id).await;
    hearth.kill9();
    let before = delivered_before_crash(&fs, &id);
    hearth.restart().await;
    expect_all_delivered_after_crash(&fs, &id, before, 3).await;
}
