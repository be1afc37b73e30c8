//! CPU time of the PostgreSQL server processes working for Hearth.
//!
//! With PostgreSQL, part of the cost of an activity is spent outside the `hearth` process, in
//! the server backends of Hearth's connections. Those run on the same machine, so their CPU
//! time can be read from `/proc` too: the backends are found in `pg_stat_activity` by database
//! name, leaving out this benchmark's own connections (application name `hearth-bench`).

use std::time::Duration;

use sqlx::{Connection, PgConnection};

use crate::hearth_process::Usage;

/// The application name of the benchmark's own database connections.
pub const APPLICATION_NAME: &str = "hearth-bench";

/// Where to find Hearth's PostgreSQL backends, if Hearth runs on PostgreSQL.
#[derive(Debug, Clone, Default)]
pub struct DatabaseCpu {
    postgres: Option<(String, String)>,
}

impl DatabaseCpu {
    /// Backends of database `name` on the server at `server_url`.
    pub fn postgres(server_url: &str, name: &str) -> DatabaseCpu {
        DatabaseCpu {
            postgres: Some((server_url.to_owned(), name.to_owned())),
        }
    }

    /// The CPU time so far of every backend now serving Hearth, or `None` without PostgreSQL
    /// (or when it cannot be read). Backends that have exited are not counted; Hearth keeps
    /// its pooled connections open, so during a phase they rarely do.
    pub async fn total(&self) -> Option<Duration> {
        let (server, name) = self.postgres.as_ref()?;
        let mut conn = PgConnection::connect(server).await.ok()?;
        let pids: Vec<(i32,)> = sqlx::query_as(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 \
             AND COALESCE(application_name, '') <> $2",
        )
        .bind(name)
        .bind(APPLICATION_NAME)
        .fetch_all(&mut conn)
        .await
        .ok()?;
        let _ = conn.close().await;
        Some(
            pids.iter()
                .filter_map(|(pid,)| Usage::of(*pid as u32).ok())
                .map(|u| u.cpu)
                .sum(),
        )
    }
}
