//! Scheduled jobs run once per period across processes, on both backends.

use hearth_storage::{Store, StoreOptions};

async fn check(store: &Store) {
    let every = 600_000;
    let now = 1_000_000_000;
    assert!(store
        .claim_scheduled_job("job", "a", now, now + every, every)
        .await
        .unwrap());
    assert!(
        !store
            .claim_scheduled_job("job", "b", now + 1, now + 1 + every, every)
            .await
            .unwrap(),
        "leased"
    );
    assert!(
        store
            .claim_scheduled_job("other", "b", now, now + every, every)
            .await
            .unwrap(),
        "jobs are independent"
    );
    let later = now + every + 1;
    assert!(
        store
            .claim_scheduled_job("job", "b", later, later + every, every)
            .await
            .unwrap(),
        "due again"
    );
}

#[tokio::test]
async fn scheduled_jobs_run_once_per_period_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("h.db").display());
    let store = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    check(&store).await;
}

#[tokio::test]
async fn scheduled_jobs_run_once_per_period_on_postgres() {
    let Ok(server) = std::env::var("HEARTH_TEST_POSTGRES") else {
        return;
    };
    let name = format!("hearth_test_{}", std::process::id());
    hearth_storage::admin::create_postgres_database(&server, &name)
        .await
        .unwrap();
    let mut url = url::Url::parse(&server).unwrap();
    url.set_path(&name);
    let store = Store::connect(url.as_str(), &StoreOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    check(&store).await;
    store.close().await;
    hearth_storage::admin::drop_postgres_database(&server, &name)
        .await
        .unwrap();
}
