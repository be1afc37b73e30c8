//! Creating and dropping whole PostgreSQL databases (for `hearth` tooling and tests).

use sqlx::{Connection, Executor, PgConnection};

use crate::error::{Result, StoreError};

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(StoreError::Connect {
            url: name.to_owned(),
            reason: "database names may only hold letters, digits and _".into(),
        });
    }
    Ok(())
}

/// Creates database `name` on the server at `server_url` (a `postgres://` URL of any
/// database there, e.g. `postgres://postgres@127.0.0.1/postgres`).
pub async fn create_postgres_database(server_url: &str, name: &str) -> Result<()> {
    check_name(name)?;
    let mut conn = PgConnection::connect(server_url).await?;
    conn.execute(format!("CREATE DATABASE \"{name}\"").as_str())
        .await?;
    Ok(())
}

/// Drops database `name` (if it exists) on the server at `server_url`, closing its connections.
pub async fn drop_postgres_database(server_url: &str, name: &str) -> Result<()> {
    check_name(name)?;
    let mut conn = PgConnection::connect(server_url).await?;
    conn.execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
        .await?;
    Ok(())
}
