//! `hearth migrate`: bring the database schema up to date.

use crate::config::Config;

/// Applies pending migrations and reports what the database now holds.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let store = super::open_store(&config).await?;
    let known = store.known_migrations();
    println!(
        "Database is up to date ({:?}, {} migration{}; latest {}).",
        store.backend(),
        known.len(),
        if known.len() == 1 { "" } else { "s" },
        known.last().map(String::as_str).unwrap_or("none")
    );
    store.close().await;
    Ok(())
}
