//! Both backends carry the same migrations, by name, so they keep the same meaning.

use std::collections::BTreeSet;
use std::path::Path;

fn names(dir: &str) -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../migrations")
        .join(dir);
    std::fs::read_dir(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".sql"))
        .collect()
}

#[test]
fn sqlite_and_postgres_have_the_same_migrations() {
    let sqlite = names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, names("postgres"));
}

#[tokio::test]
async fn a_new_sqlite_database_migrates_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("h.db").display());
    let store = hearth_storage::Store::connect(&url, &Default::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    store.close().await;
    let again = hearth_storage::Store::connect(&url, &Default::default())
        .await
        .unwrap();
    again.migrate().await.unwrap();
    assert!(again.list_groups().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_unreachable_database_is_a_clear_error() {
    let options = hearth_storage::StoreOptions {
        acquire_timeout: std::time::Duration::from_secs(1),
        ..Default::default()
    };
    let err = hearth_storage::Store::connect("postgres://nobody@127.0.0.1:1/none", &options)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("cannot open database postgres://nobody@127.0.0.1:1/none"),
        "{text}"
    );
    let err = hearth_storage::Store::connect("mysql://x", &Default::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("sqlite: or postgres://"), "{err}");
}
