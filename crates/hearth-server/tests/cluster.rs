//! Several Hearth processes on one database: a web+worker process, a web-only process and a
//! worker-only process share the queue; one is killed mid fan-out and nothing is lost.

mod common;

use std::time::Duration;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_share_the_queue_and_survive_a_crash() {
    let options = Options {
        env: vec![
            ("HEARTH_DELIVERY_CONCURRENCY", "2".into()),
            ("HEARTH_DELIVERY_LEASE_SECS", "2".into()),
        ],
        ..Options::default()
    };
    let web = Hearth::start_with(options).await;
    web.create_group("climbing", &[]);
    let web_only = web.sibling(&["serve", "--no-workers"]).await;
    let mut worker = web.sibling(&["worker"]).await;

    let fs = followers(&web, 12).await;
    for (p, _) in &fs {
        p.set_inbox_response(202, Duration::from_millis(700));
    }
    // The post arrives through the web-only process.
    let (p, alice) = author(&web).await;
    let handle = format!("climbing@{}", web.authority());
    let (create, _) = mention_post(
        &p,
        &alice,
        &web.group("climbing"),
        &handle,
        "one queue, three processes",
        None,
    );
    let inbox = web_only.listen_url("/groups/climbing/inbox");
    deliver_expect(&p, &alice, &inbox, &create, 202).await;
    let id = create["id"].as_str().unwrap().to_owned();

    wait_first_delivery(&fs, &id).await;
    worker.kill9();
    let before = delivered_before_crash(&fs, &id);
    worker.restart().await;
    expect_all_delivered_after_crash(&fs, &id, before, 4).await;
}
