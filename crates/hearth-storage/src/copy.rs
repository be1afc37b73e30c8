//! Copying a whole Hearth database into another one, on the same backend or across backends
//! (`hearth db copy`, e.g. from SQLite to PostgreSQL).
//!
//! The source is read in one read transaction (a consistent snapshot), a page of rows at a
//! time in primary-key order. The target is migrated, then filled in **one** write
//! transaction: the tables are emptied first when asked to (`force`), every row is inserted
//! with its row id, the id sequences are moved past the copied ids, and the rows of every
//! table are counted on both sides before the commit. Any failure rolls everything back.
//!
//! Columns are not listed here: they are read from each database's catalogue, and must agree
//! between the two. Tables are listed, once, in [`TABLES`]; a database holding a table that is
//! not in the list (after a migration added one) is refused until the list is updated.

use std::collections::BTreeSet;

use sqlx::{ColumnIndex, Database, Decode, Encode, Postgres, Row, Sqlite, Transaction, Type};

use crate::error::StoreError;
use crate::store::{BeginWrite, Pool, Store};

/// Runs one expression on the transaction, binding `$conn` to it; like `on_pool!`, the
/// expression is compiled once per backend.
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            Tx::Sqlite($conn) => $body,
            Tx::Postgres($conn) => $body,
        }
    };
}

/// Every table of Hearth's schema, parents before children: the order rows are inserted in
/// (and the reverse of the order a replaced target is emptied in). A migration that adds a
/// table must add it here; until then [`copy_database`] refuses to run.
pub const TABLES: &[&str] = &[
    "local_keys",
    "groups",
    "actors",
    "follows",
    "posts",
    "reactions",
    "received_activities",
    "outbound_activities",
    "deliveries",
    "instances",
    "scheduled_jobs",
    "domain_policies",
    "instance_settings",
    "modlog",
    "accounts",
    "group_staff",
    "sessions",
    "api_tokens",
    "group_rules",
    "media",
    "invites",
    "held_posts",
    "blocklist_subscriptions",
    "blocklist_subscription_entries",
    "group_moderators",
    "report_cases",
    "reports",
    "group_bans",
    "member_notes",
    "case_notes",
    "automod_rules",
    "ignored_reporters",
    "group_posts",
    "group_poll_votes",
    "group_events",
    "event_participants",
    "membership_events",
    "insight_hours",
    "insight_activity",
    "insight_rollup",
    "insight_days",
    "insight_members",
    "insight_retention",
    "insight_threads",
    "insight_instances",
];

/// Tables that belong to the tooling rather than to Hearth's data.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// Rows read from the source at once.
const PAGE_ROWS: usize = 1000;

/// Most values bound in one `INSERT` (both backends allow many more).
const MAX_BINDS: usize = 8000;

/// What a copy is doing, for progress displays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyProgress {
    /// A table's copy starts; the source holds `rows` rows in it.
    TableStarted {
        /// The table.
        table: &'static str,
        /// Rows to copy.
        rows: u64,
    },
    /// Rows of a table copied so far.
    RowsCopied {
        /// The table.
        table: &'static str,
        /// Rows copied so far.
        copied: u64,
        /// Rows to copy.
        rows: u64,
    },
    /// A table is copied.
    TableFinished {
        /// The table.
        table: &'static str,
        /// Rows copied.
        rows: u64,
    },
    /// Every row is written; counting the rows of both databases.
    Verifying,
    /// The counts agree; committing.
    Committing,
}

/// The rows of one table in both databases after a copy (always equal: a difference is an error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCount {
    /// The table.
    pub table: &'static str,
    /// Rows in the source.
    pub source_rows: u64,
    /// Rows in the target once copied.
    pub target_rows: u64,
}

/// What [`copy_database`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// Every table of [`TABLES`], in that order, with its counts.
    pub tables: Vec<TableCount>,
    /// Rows the target held before, deleted because `force` was given.
    pub replaced_rows: u64,
}

impl CopyReport {
    /// Rows copied, all tables together.
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.target_rows).sum()
    }
}

/// Why a copy did not happen. Nothing was written to the target's tables in any case
/// (the target may have been migrated).
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// Source and target are one and the same database.
    #[error("the source and the target are the same database")]
    SameDatabase,
    /// The target holds rows and `force` was not given.
    #[error("the target database holds data ({rows} rows)")]
    TargetNotEmpty {
        /// Rows in the target, all tables together.
        rows: u64,
    },
    /// The two databases' schemas do not allow a faithful copy (the message says why).
    #[error("{0}")]
    Schema(String),
    /// A table ended with a different row count on the two sides; the copy was rolled back.
    #[error("{table}: {source_rows} rows in the source but {target_rows} in the target; nothing was copied")]
    CountMismatch {
        /// The table.
        table: &'static str,
        /// Rows in the source.
        source_rows: u64,
        /// Rows in the target before the rollback.
        target_rows: u64,
    },
    /// Reading or writing the rows of a table failed; the copy was rolled back.
    #[error("copying {table}: {error}")]
    Table {
        /// The table.
        table: &'static str,
        /// What failed.
        #[source]
        error: StoreError,
    },
    /// A database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for CopyError {
    fn from(err: sqlx::Error) -> Self {
        CopyError::Store(err.into())
    }
}

type Result<T> = std::result::Result<T, CopyError>;

/// Copies every row of every table of `from` into `to`, keeping row ids, in one transaction.
///
/// `to` is migrated first. If it then holds any row, the copy is refused with
/// [`CopyError::TargetNotEmpty`] unless `force` is set, in which case its tables are emptied
/// inside the copy's transaction. `from` is only read, and must be migrated to exactly the
/// migrations this binary carries. `progress` hears about each table as it goes.
pub async fn copy_database(
    from: &Store,
    to: &Store,
    force: bool,
    mut progress: impl FnMut(CopyProgress),
) -> Result<CopyReport> {
    if identity(from).await? == identity(to).await? {
        return Err(CopyError::SameDatabase);
    }

    let mut source = Tx::begin_read(from).await?;
    check_source_migrations(&mut source, from).await?;
    check_tables(&source.tables().await?, "source")?;

    // Refuse a database that holds something else before migrating it into a Hearth database.
    let mut before = Tx::begin_read(to).await?;
    let foreign: Vec<String> = before
        .tables()
        .await?
        .into_iter()
        .filter(|t| t != MIGRATIONS_TABLE && !TABLES.contains(&t.as_str()))
        .collect();
    before.rollback().await?;
    if !foreign.is_empty() {
        return Err(CopyError::Schema(format!(
            "the target database holds tables that are not Hearth's ({}); copy into an empty database",
            foreign.join(", ")
        )));
    }
    to.migrate().await?;

    let mut target = Tx::begin_write(to).await?;
    check_tables(&target.tables().await?, "target")?;
    let mut plans = Vec::with_capacity(TABLES.len());
    for &table in TABLES {
        plans.push(plan(table, &mut source, &mut target).await?);
    }

    let mut held = 0;
    for &table in TABLES {
        held += target.count(table).await?;
    }
    if held > 0 {
        if !force {
            target.rollback().await?;
            return Err(CopyError::TargetNotEmpty { rows: held });
        }
        for &table in TABLES.iter().rev() {
            target
                .execute_sql(&format!("DELETE FROM {}", quote(table)))
                .await?;
        }
    }

    for plan in &plans {
        let rows = source.count(plan.table).await?;
        progress(CopyProgress::TableStarted {
            table: plan.table,
            rows,
        });
        let mut copied = 0u64;
        let mut after: Option<Vec<Value>> = None;
        let in_table = |err: CopyError| match err {
            CopyError::Store(error) => CopyError::Table {
                table: plan.table,
                error,
            },
            other => other,
        };
        loop {
            let page = source
                .page(plan, after.as_deref())
                .await
                .map_err(in_table)?;
            target.insert(plan, &page).await.map_err(in_table)?;
            copied += page.len() as u64;
            progress(CopyProgress::RowsCopied {
                table: plan.table,
                copied,
                rows,
            });
            match page.last() {
                Some(last) if page.len() == PAGE_ROWS => {
                    after = Some(plan.key.iter().map(|&i| last[i].clone()).collect());
                }
                _ => break,
            }
        }
        progress(CopyProgress::TableFinished {
            table: plan.table,
            rows: copied,
        });
    }

    for plan in &plans {
        if let Some(serial) = &plan.target_serial {
            let copied_max = target.max_of(plan.table, &serial.column).await?;
            let source_mark = source.high_water(plan.table, &serial.column).await?;
            target
                .set_high_water(plan.table, serial, copied_max.max(source_mark))
                .await?;
        }
    }

    progress(CopyProgress::Verifying);
    let mut tables = Vec::with_capacity(TABLES.len());
    for &table in TABLES {
        let source_rows = source.count(table).await?;
        let target_rows = target.count(table).await?;
        if source_rows != target_rows {
            target.rollback().await?;
            return Err(CopyError::CountMismatch {
                table,
                source_rows,
                target_rows,
            });
        }
        tables.push(TableCount {
            table,
            source_rows,
            target_rows,
        });
    }
    progress(CopyProgress::Committing);
    target.commit().await?;
    source.rollback().await?;
    Ok(CopyReport {
        tables,
        replaced_rows: held,
    })
}

/// Something that tells two databases apart: the SQLite file, or the PostgreSQL server
/// (by its start time and port) and database.
async fn identity(store: &Store) -> Result<String> {
    Ok(match &store.pool {
        Pool::Sqlite(pool) => {
            let file: String =
                sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                    .fetch_one(pool)
                    .await?;
            if file.is_empty() {
                // An in-memory database: never the same as another store's.
                format!("sqlite memory {:p}", pool)
            } else {
                let path = std::fs::canonicalize(&file).unwrap_or_else(|_| file.into());
                format!("sqlite {}", path.display())
            }
        }
        Pool::Postgres(pool) => {
            sqlx::query_scalar(
                "SELECT 'postgres ' || pg_postmaster_start_time()::text || ' ' \
                 || current_setting('port') || ' ' || current_database()",
            )
            .fetch_one(pool)
            .await?
        }
    })
}

/// The source must carry exactly the migrations this binary knows, so that its tables and
/// columns are the ones the target gets.
async fn check_source_migrations(source: &mut Tx, from: &Store) -> Result<()> {
    let tables = source.tables().await?;
    if !tables.iter().any(|t| t == MIGRATIONS_TABLE) {
        return Err(CopyError::Schema(
            "the source database holds no Hearth data (it was never migrated)".into(),
        ));
    }
    let applied: BTreeSet<i64> = on_tx!(source, conn => sqlx::query_scalar(
        "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version",
    )
    .fetch_all(&mut **conn)
    .await?)
    .into_iter()
    .collect();
    let known: Vec<(i64, String)> = from
        .known_migrations()
        .into_iter()
        .filter_map(|name| {
            let version = name.split('_').next()?.parse().ok()?;
            Some((version, name))
        })
        .collect();
    let known_versions: BTreeSet<i64> = known.iter().map(|(v, _)| *v).collect();
    if let Some(newer) = applied.difference(&known_versions).next() {
        return Err(CopyError::Schema(format!(
            "the source database was migrated by a newer Hearth (migration {newer} is unknown \
             to this binary); copy it with that version"
        )));
    }
    let missing: Vec<&str> = known
        .iter()
        .filter(|(v, _)| !applied.contains(v))
        .map(|(_, name)| name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(CopyError::Schema(format!(
            "the source database lacks migrations {}; run `hearth migrate` on it first",
            missing.join(", ")
        )));
    }
    Ok(())
}

/// The database must hold exactly the tables of [`TABLES`] (besides the migrations' own).
fn check_tables(present: &[String], side: &str) -> Result<()> {
    let present: BTreeSet<&str> = present
        .iter()
        .map(String::as_str)
        .filter(|t| *t != MIGRATIONS_TABLE)
        .collect();
    let listed: BTreeSet<&str> = TABLES.iter().copied().collect();
    let unknown: Vec<&str> = present.difference(&listed).copied().collect();
    if !unknown.is_empty() {
        return Err(CopyError::Schema(format!(
            "the {side} database has tables the copy does not know ({}); \
             hearth_storage::copy::TABLES must list them",
            unknown.join(", ")
        )));
    }
    let absent: Vec<&str> = listed.difference(&present).copied().collect();
    if !absent.is_empty() {
        return Err(CopyError::Schema(format!(
            "the {side} database lacks tables {}",
            absent.join(", ")
        )));
    }
    Ok(())
}

/// The kinds of value Hearth's schema stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Int,
    Text,
    Bool,
    Bytes,
}

impl Kind {
    fn of_sqlite(declared: &str) -> Option<Kind> {
        match declared.to_ascii_uppercase().as_str() {
            "INTEGER" | "BIGINT" | "INT" => Some(Kind::Int),
            "TEXT" => Some(Kind::Text),
            "BOOLEAN" => Some(Kind::Bool),
            "BLOB" => Some(Kind::Bytes),
            _ => None,
        }
    }

    fn of_postgres(data_type: &str) -> Option<Kind> {
        match data_type {
            "bigint" => Some(Kind::Int),
            "text" => Some(Kind::Text),
            "boolean" => Some(Kind::Bool),
            "bytea" => Some(Kind::Bytes),
            _ => None,
        }
    }
}

/// One stored value, possibly NULL.
#[derive(Debug, Clone)]
enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(Option<bool>),
    Bytes(Option<Vec<u8>>),
}

/// A column as the database's catalogue describes it.
#[derive(Debug, Clone)]
struct Column {
    name: String,
    kind: Kind,
    /// Position in the primary key (1-based), 0 when not part of it.
    key: i64,
}

/// A column whose values the database allocates (an id sequence).
#[derive(Debug, Clone)]
struct Serial {
    column: String,
    /// SQLite only: the table is `AUTOINCREMENT`, so its high-water mark lives in
    /// `sqlite_sequence`. Other SQLite rowid tables need nothing.
    autoincrement: bool,
}

/// How one table is copied.
#[derive(Debug)]
struct Plan {
    table: &'static str,
    /// Columns, in the source's order.
    columns: Vec<Column>,
    /// Indexes into `columns` of the primary key, in key order.
    key: Vec<usize>,
    /// The target's id sequence, to move past the copied ids.
    target_serial: Option<Serial>,
    /// `SELECT … FROM table ORDER BY key LIMIT page` without and with a key to start after.
    select_first: String,
    select_after: String,
}

async fn plan(table: &'static str, source: &mut Tx, target: &mut Tx) -> Result<Plan> {
    let (columns, _) = source.columns(table).await?;
    let (target_columns, target_serial) = target.columns(table).await?;
    let shape = |columns: &[Column]| -> BTreeSet<(String, Kind)> {
        columns.iter().map(|c| (c.name.clone(), c.kind)).collect()
    };
    if shape(&columns) != shape(&target_columns) {
        let describe = |columns: &[Column]| {
            columns
                .iter()
                .map(|c| format!("{} {:?}", c.name, c.kind))
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(CopyError::Schema(format!(
            "table {table} differs between the databases: source ({}), target ({})",
            describe(&columns),
            describe(&target_columns)
        )));
    }
    let mut key: Vec<usize> = (0..columns.len()).filter(|&i| columns[i].key > 0).collect();
    key.sort_by_key(|&i| columns[i].key);
    if key.is_empty() {
        return Err(CopyError::Schema(format!(
            "table {table} has no primary key, so it cannot be read in order"
        )));
    }
    let list = columns
        .iter()
        .map(|c| quote(&c.name))
        .collect::<Vec<_>>()
        .join(", ");
    let key_list = key
        .iter()
        .map(|&i| quote(&columns[i].name))
        .collect::<Vec<_>>()
        .join(", ");
    let key_params = (1..=key.len())
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let from = quote(table);
    Ok(Plan {
        table,
        select_first: format!("SELECT {list} FROM {from} ORDER BY {key_list} LIMIT {PAGE_ROWS}"),
        select_after: format!(
            "SELECT {list} FROM {from} WHERE ({key_list}) > ({key_params}) \
             ORDER BY {key_list} LIMIT {PAGE_ROWS}"
        ),
        columns,
        key,
        target_serial,
    })
}

/// An identifier, quoted for both backends.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// An open transaction on either backend.
enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    /// A read transaction that sees one snapshot of the database throughout.
    async fn begin_read(store: &Store) -> Result<Tx> {
        Ok(match &store.pool {
            // Deferred: the snapshot is taken by the first read and kept (WAL).
            Pool::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Pool::Postgres(pool) => Tx::Postgres(
                pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?,
            ),
        })
    }

    async fn begin_write(store: &Store) -> Result<Tx> {
        Ok(match &store.pool {
            Pool::Sqlite(pool) => Tx::Sqlite(pool.begin_write().await?),
            Pool::Postgres(pool) => Tx::Postgres(pool.begin_write().await?),
        })
    }

    async fn commit(self) -> Result<()> {
        on_tx!(self, tx => tx.commit().await?);
        Ok(())
    }

    async fn rollback(self) -> Result<()> {
        on_tx!(self, tx => tx.rollback().await?);
        Ok(())
    }

    async fn execute_sql(&mut self, sql: &str) -> Result<()> {
        on_tx!(self, conn => sqlx::query(sql).execute(&mut **conn).await.map(|_| ())?);
        Ok(())
    }

    /// Every table of the database (the migrations' included).
    async fn tables(&mut self) -> Result<Vec<String>> {
        Ok(match self {
            Tx::Sqlite(conn) => {
                sqlx::query_scalar(
                    "SELECT name FROM sqlite_master WHERE type = 'table' \
                     AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
                )
                .fetch_all(&mut **conn)
                .await?
            }
            Tx::Postgres(conn) => {
                sqlx::query_scalar(
                    "SELECT table_name::text FROM information_schema.tables \
                     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
                     ORDER BY table_name",
                )
                .fetch_all(&mut **conn)
                .await?
            }
        })
    }

    /// A table's columns, and the column the database allocates ids for, if any.
    async fn columns(&mut self, table: &str) -> Result<(Vec<Column>, Option<Serial>)> {
        let unknown = |column: &str, ty: &str| {
            CopyError::Schema(format!(
                "column {table}.{column} has type {ty}, which the copy does not handle"
            ))
        };
        match self {
            Tx::Sqlite(conn) => {
                let rows: Vec<(String, String, i64)> =
                    sqlx::query_as("SELECT name, type, pk FROM pragma_table_info($1) ORDER BY cid")
                        .bind(table)
                        .fetch_all(&mut **conn)
                        .await?;
                let sql: Option<String> = sqlx::query_scalar(
                    "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = $1",
                )
                .bind(table)
                .fetch_optional(&mut **conn)
                .await?;
                let mut columns = Vec::with_capacity(rows.len());
                for (name, ty, key) in rows {
                    let kind = Kind::of_sqlite(&ty).ok_or_else(|| unknown(&name, &ty))?;
                    columns.push((Column { name, kind, key }, ty));
                }
                // A lone `INTEGER PRIMARY KEY` is the rowid, which SQLite allocates.
                let keys: Vec<&(Column, String)> =
                    columns.iter().filter(|(c, _)| c.key > 0).collect();
                let serial = match keys.as_slice() {
                    [(column, ty)] if ty.eq_ignore_ascii_case("INTEGER") => Some(Serial {
                        column: column.name.clone(),
                        autoincrement: sql
                            .unwrap_or_default()
                            .to_ascii_uppercase()
                            .contains("AUTOINCREMENT"),
                    }),
                    _ => None,
                };
                Ok((columns.into_iter().map(|(c, _)| c).collect(), serial))
            }
            Tx::Postgres(conn) => {
                let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
                    "SELECT c.column_name::text, c.data_type::text, COALESCE(c.column_default::text, ''), \
                     COALESCE((SELECT k.ordinal_position::bigint \
                       FROM information_schema.table_constraints t \
                       JOIN information_schema.key_column_usage k \
                         ON k.constraint_schema = t.constraint_schema \
                         AND k.constraint_name = t.constraint_name AND k.table_name = t.table_name \
                       WHERE t.table_schema = c.table_schema AND t.table_name = c.table_name \
                         AND t.constraint_type = 'PRIMARY KEY' AND k.column_name = c.column_name), 0) \
                     FROM information_schema.columns c \
                     WHERE c.table_schema = current_schema() AND c.table_name = $1 \
                     ORDER BY c.ordinal_position",
                )
                .bind(table)
                .fetch_all(&mut **conn)
                .await?;
                let mut columns = Vec::with_capacity(rows.len());
                let mut serial = None;
                for (name, ty, default, key) in rows {
                    let kind = Kind::of_postgres(&ty).ok_or_else(|| unknown(&name, &ty))?;
                    if default.starts_with("nextval(") {
                        serial = Some(Serial {
                            column: name.clone(),
                            autoincrement: false,
                        });
                    }
                    columns.push(Column { name, kind, key });
                }
                Ok((columns, serial))
            }
        }
    }

    async fn count(&mut self, table: &str) -> Result<u64> {
        let sql = format!("SELECT COUNT(*) FROM {}", quote(table));
        let n: i64 = on_tx!(self, conn => sqlx::query_scalar(&sql).fetch_one(&mut **conn).await?);
        Ok(n as u64)
    }

    async fn max_of(&mut self, table: &str, column: &str) -> Result<i64> {
        let sql = format!(
            "SELECT COALESCE(MAX({}), 0) FROM {}",
            quote(column),
            quote(table)
        );
        Ok(on_tx!(self, conn => sqlx::query_scalar(&sql).fetch_one(&mut **conn).await?))
    }

    /// The highest id the database has handed out for `table.column` (0 when unknown), which
    /// may exceed the highest id present when rows were deleted.
    async fn high_water(&mut self, table: &str, column: &str) -> Result<i64> {
        match self {
            Tx::Sqlite(conn) => {
                let has_sequences: Option<String> = sqlx::query_scalar(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'",
                )
                .fetch_optional(&mut **conn)
                .await?;
                if has_sequences.is_none() {
                    return Ok(0);
                }
                let seq: Option<i64> =
                    sqlx::query_scalar("SELECT seq FROM sqlite_sequence WHERE name = $1")
                        .bind(table)
                        .fetch_optional(&mut **conn)
                        .await?;
                Ok(seq.unwrap_or(0))
            }
            Tx::Postgres(conn) => {
                let sequence: Option<String> =
                    sqlx::query_scalar("SELECT pg_get_serial_sequence($1, $2)")
                        .bind(table)
                        .bind(column)
                        .fetch_one(&mut **conn)
                        .await?;
                let Some(sequence) = sequence else {
                    return Ok(0);
                };
                // The name comes from the catalogue, quoted as needed.
                let sql = format!(
                    "SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM {sequence}"
                );
                Ok(sqlx::query_scalar(&sql).fetch_one(&mut **conn).await?)
            }
        }
    }

    /// Makes the next id allocated for `table` exceed `mark`.
    async fn set_high_water(&mut self, table: &str, serial: &Serial, mark: i64) -> Result<()> {
        match self {
            Tx::Sqlite(conn) => {
                // Without AUTOINCREMENT, SQLite takes the highest rowid present plus one.
                if serial.autoincrement {
                    sqlx::query("DELETE FROM sqlite_sequence WHERE name = $1")
                        .bind(table)
                        .execute(&mut **conn)
                        .await?;
                    if mark > 0 {
                        sqlx::query("INSERT INTO sqlite_sequence (name, seq) VALUES ($1, $2)")
                            .bind(table)
                            .bind(mark)
                            .execute(&mut **conn)
                            .await?;
                    }
                }
            }
            Tx::Postgres(conn) => {
                sqlx::query("SELECT setval(pg_get_serial_sequence($1, $2), $3, $4)")
                    .bind(table)
                    .bind(&serial.column)
                    .bind(mark.max(1))
                    .bind(mark >= 1)
                    .execute(&mut **conn)
                    .await?;
            }
        }
        Ok(())
    }

    /// Up to [`PAGE_ROWS`] rows in key order, after the key `after` when given.
    async fn page(&mut self, plan: &Plan, after: Option<&[Value]>) -> Result<Vec<Vec<Value>>> {
        on_tx!(self, conn => {
            let rows = match after {
                None => sqlx::query(&plan.select_first).fetch_all(&mut **conn).await?,
                Some(key) => {
                    let mut query = sqlx::query(&plan.select_after);
                    for value in key {
                        query = bind(query, value);
                    }
                    query.fetch_all(&mut **conn).await?
                }
            };
            rows.iter().map(|row| decode(row, &plan.columns)).collect()
        })
    }

    /// Inserts `rows` (as read by [`Tx::page`]) into the plan's table.
    async fn insert(&mut self, plan: &Plan, rows: &[Vec<Value>]) -> Result<()> {
        let width = plan.columns.len();
        let names = plan
            .columns
            .iter()
            .map(|c| quote(&c.name))
            .collect::<Vec<_>>()
            .join(", ");
        for chunk in rows.chunks((MAX_BINDS / width).max(1)) {
            let tuples = (0..chunk.len())
                .map(|r| {
                    let params = (1..=width)
                        .map(|c| format!("${}", r * width + c))
                        .collect::<Vec<_>>()
                        .join(", ");
                    format!("({params})")
                })
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "INSERT INTO {} ({names}) VALUES {tuples}",
                quote(plan.table)
            );
            on_tx!(self, conn => {
                let mut query = sqlx::query(&sql);
                for value in chunk.iter().flatten() {
                    query = bind(query, value);
                }
                query.execute(&mut **conn).await?;
            });
        }
        Ok(())
    }
}

type Query<'q, DB> = sqlx::query::Query<'q, DB, <DB as Database>::Arguments<'q>>;

fn bind<'q, DB>(query: Query<'q, DB>, value: &'q Value) -> Query<'q, DB>
where
    DB: Database,
    Option<i64>: Encode<'q, DB> + Type<DB>,
    Option<&'q str>: Encode<'q, DB> + Type<DB>,
    Option<bool>: Encode<'q, DB> + Type<DB>,
    Option<&'q [u8]>: Encode<'q, DB> + Type<DB>,
{
    match value {
        Value::Int(v) => query.bind(*v),
        Value::Text(v) => query.bind(v.as_deref()),
        Value::Bool(v) => query.bind(*v),
        Value::Bytes(v) => query.bind(v.as_deref()),
    }
}

fn decode<R>(row: &R, columns: &[Column]) -> Result<Vec<Value>>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Vec<u8>: Decode<'r, R::Database> + Type<R::Database>,
{
    columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            Ok(match column.kind {
                Kind::Int => Value::Int(row.try_get(i)?),
                Kind::Text => Value::Text(row.try_get(i)?),
                Kind::Bool => Value::Bool(row.try_get(i)?),
                Kind::Bytes => Value::Bytes(row.try_get(i)?),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`TABLES`] must name exactly the tables the migrations create, on both backends.
    async fn assert_tables_listed(store: &Store) {
        store.migrate().await.unwrap();
        let mut tx = Tx::begin_read(store).await.unwrap();
        let tables = tx.tables().await.unwrap();
        if let Err(err) = check_tables(&tables, "migrated") {
            panic!("{err}: update TABLES in crates/hearth-storage/src/copy.rs");
        }
        for &table in TABLES {
            let (columns, _) = tx.columns(table).await.unwrap();
            assert!(columns.iter().any(|c| c.key > 0), "{table} has no key");
        }
    }

    #[tokio::test]
    async fn the_table_list_matches_the_sqlite_migrations() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("t.db").display());
        let store = Store::connect(&url, &Default::default()).await.unwrap();
        assert_tables_listed(&store).await;
    }

    #[tokio::test]
    async fn the_table_list_matches_the_postgres_migrations() {
        let Ok(server) = std::env::var("HEARTH_TEST_POSTGRES") else {
            return;
        };
        if server.is_empty() {
            return;
        }
        let name = format!("hearth_tables_{}", std::process::id());
        crate::admin::drop_postgres_database(&server, &name)
            .await
            .unwrap();
        crate::admin::create_postgres_database(&server, &name)
            .await
            .unwrap();
        let mut url = url::Url::parse(&server).unwrap();
        url.set_path(&format!("/{name}"));
        let store = Store::connect(url.as_str(), &Default::default())
            .await
            .unwrap();
        assert_tables_listed(&store).await;
        store.close().await;
        crate::admin::drop_postgres_database(&server, &name)
            .await
            .unwrap();
    }
}
