//! Opening the database, running migrations, and dispatching queries to the active backend.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::{MigrateError, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

use crate::error::{Result, StoreError};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/postgres");

/// Most connections an SQLite pool opens, whatever is configured.
const SQLITE_MAX_CONNECTIONS: u32 = 4;

/// Which database engine a [`Store`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// The backend a database URL names, judged by its scheme.
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// Pool sizing and timeouts.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Most connections held open at once.
    pub max_connections: u32,
    /// How long to wait for a connection (and, on SQLite, for a lock) before failing.
    pub acquire_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The handle every other crate uses to read and write Hearth's data. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: Pool,
}

/// Runs one expression against whichever pool is active, binding it to `$pool`.
/// The expression is compiled once per backend, so the same SQL serves both.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite($pool) => $body,
            $crate::store::Pool::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// Opens a write transaction. On SQLite it takes the write lock up front (`BEGIN IMMEDIATE`)
/// so that concurrent writers queue on the busy timeout instead of failing on upgrade.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    async fn begin_write(&self) -> sqlx::Result<Transaction<'static, Self::Db>>;
}

impl BeginWrite for SqlitePool {
    type Db = Sqlite;
    async fn begin_write(&self) -> sqlx::Result<Transaction<'static, Sqlite>> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl BeginWrite for PgPool {
    type Db = Postgres;
    async fn begin_write(&self) -> sqlx::Result<Transaction<'static, Postgres>> {
        self.begin().await
    }
}

impl Store {
    /// Opens the database at `url` (`sqlite:path` or `postgres://…`), creating a missing
    /// SQLite file. Does not migrate: call [`Store::migrate`].
    pub async fn connect(url: &str, options: &StoreOptions) -> Result<Store> {
        let connect_err = |reason: String| StoreError::Connect {
            url: redact(url),
            reason,
        };
        let pool = match Backend::of_url(url) {
            Some(Backend::Sqlite) => {
                let opts = SqliteConnectOptions::from_str(url)
                    .map_err(|e| connect_err(e.to_string()))?
                    .create_if_missing(true)
                    .page_size(16384)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(options.acquire_timeout)
                    .foreign_keys(true);
                // SQLite has one writer at a time: more connections only add lock contention
                // and discarded page caches (measured: 10 connections cost 1.8x the CPU per
                // inbox activity of 1, with a 3x worse p99).
                let pool = SqlitePoolOptions::new()
                    .max_connections(options.max_connections.min(SQLITE_MAX_CONNECTIONS))
                    .acquire_timeout(options.acquire_timeout)
                    .connect_with(opts)
                    .await
                    .map_err(|e| connect_err(e.to_string()))?;
                Pool::Sqlite(pool)
            }
            Some(Backend::Postgres) => {
                let opts =
                    PgConnectOptions::from_str(url).map_err(|e| connect_err(e.to_string()))?;
                let pool = PgPoolOptions::new()
                    .max_connections(options.max_connections)
                    .acquire_timeout(options.acquire_timeout)
                    .connect_with(opts)
                    .await
                    .map_err(|e| connect_err(e.to_string()))?;
                Pool::Postgres(pool)
            }
            None => {
                return Err(connect_err(
                    "the URL must start with sqlite: or postgres://".into(),
                ))
            }
        };
        Ok(Store { pool })
    }

    /// Which engine this store runs on.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies pending migrations. Refuses a database that has migrations this binary lacks.
    pub async fn migrate(&self) -> Result<()> {
        let outcome = match &self.pool {
            Pool::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await,
            Pool::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await,
        };
        outcome.map_err(|err| match err {
            MigrateError::VersionMissing(version) => {
                StoreError::NewerSchema(format!("migration {version} is unknown to this binary"))
            }
            other => StoreError::Migrate(other.to_string()),
        })
    }

    /// The names of the migrations this binary carries for its backend, oldest first.
    pub fn known_migrations(&self) -> Vec<String> {
        let migrator = match self.pool {
            Pool::Sqlite(_) => &SQLITE_MIGRATIONS,
            Pool::Postgres(_) => &POSTGRES_MIGRATIONS,
        };
        migrator
            .iter()
            .map(|m| format!("{}_{}", m.version, m.description.replace(' ', "_")))
            .collect()
    }

    /// Closes every pooled connection.
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }
}

/// The URL with any password replaced, for error messages and logs.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}
