//! Shared by the storage tests: a throwaway PostgreSQL database when `HEARTH_TEST_POSTGRES`
//! names a server (e.g. `postgres://postgres@127.0.0.1:5432/postgres`), and a group and people
//! to fill a store with.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};

use hearth_storage::admin::{create_postgres_database, drop_postgres_database};
use hearth_storage::{JoinMode, NewActor, NewGroup, PostingPolicy};

/// A fresh database on the PostgreSQL server of `HEARTH_TEST_POSTGRES`, dropped by [`drop`].
///
/// [`drop`]: TestPostgres::drop
pub struct TestPostgres {
    server: String,
    name: String,
    /// Its URL.
    pub url: String,
}

impl TestPostgres {
    /// A new database named after `prefix`, or `None` when no server is configured.
    pub async fn create(prefix: &str) -> Option<TestPostgres> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let server = std::env::var("HEARTH_TEST_POSTGRES")
            .ok()
            .filter(|s| !s.is_empty())?;
        let name = format!(
            "{prefix}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        drop_postgres_database(&server, &name).await.unwrap();
        create_postgres_database(&server, &name).await.unwrap();
        let mut url = url::Url::parse(&server).unwrap();
        url.set_path(&format!("/{name}"));
        Some(TestPostgres {
            server,
            name,
            url: url.to_string(),
        })
    }

    /// Drops the database (close its stores first).
    pub async fn drop(self) {
        drop_postgres_database(&self.server, &self.name)
            .await
            .unwrap();
    }
}

/// An open group named `climbing`, where followers post.
pub fn group() -> NewGroup {
    NewGroup {
        name: "climbing".into(),
        title: "Climbing".into(),
        summary: String::new(),
        posting_policy: PostingPolicy::Followers,
        join_mode: JoinMode::Open,
        discoverable: true,
        language: "en".into(),
        public_key_pem: "-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----\n".into(),
        private_key_pem: "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n".into(),
    }
}

/// A person `name` on `host`.
pub fn person(name: &str, host: &str) -> NewActor {
    let ap_id = format!("https://{host}/users/{name}");
    NewActor {
        ap_id: ap_id.clone(),
        kind: "Person".into(),
        host: host.into(),
        preferred_username: Some(name.into()),
        name: None,
        inbox: format!("{ap_id}/inbox"),
        shared_inbox: None,
        url: None,
        icon_url: None,
        public_key_id: format!("{ap_id}#main-key"),
        public_key_pem: "-----BEGIN PUBLIC KEY-----\np\n-----END PUBLIC KEY-----\n".into(),
        published: None,
        raw: "{}".into(),
    }
}
