//! The one error type of the storage layer.

/// What can go wrong in the Store. Callers branch on `NotFound` and `Conflict`; the rest is
/// an operational failure to log and report as unavailable.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write (e.g. a group name already taken).
    #[error("already exists: {0}")]
    Conflict(String),
    /// The database URL could not be used.
    #[error("cannot open database {url}: {reason}")]
    Connect { url: String, reason: String },
    /// The database holds migrations this binary does not know: it is newer than us.
    #[error("the database was migrated by a newer Hearth ({0}); upgrade this binary or point it at another database")]
    NewerSchema(String),
    /// Applying migrations failed.
    #[error("migration failed: {0}")]
    Migrate(String),
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(ref db) if db.is_unique_violation() => {
                StoreError::Conflict(db.message().to_owned())
            }
            other => StoreError::Database(other),
        }
    }
}

/// Shorthand for results of Store calls.
pub type Result<T> = std::result::Result<T, StoreError>;
