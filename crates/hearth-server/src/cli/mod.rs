//! The subcommands. Each file holds one command's arguments and its `run`.

pub mod account;
pub mod db;
pub mod federation;
pub mod group;
pub mod group_automod;
pub mod group_edit;
pub mod group_events;
pub mod group_members;
pub mod group_moderation;
pub mod group_moderators;
pub mod group_posts;
pub mod group_reports;
pub mod group_review;
pub mod insights;
pub mod migrate;
pub mod serve;

use anyhow::Context;
use hearth_storage::{Store, StoreOptions};

use crate::config::Config;

/// Logs to stderr, readable, filtered by `filter` (overridden by `RUST_LOG`).
pub fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
}

/// Opens and migrates the configured database.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let options = StoreOptions {
        max_connections: config.database_connections,
        ..StoreOptions::default()
    };
    let store = Store::connect(&config.database_url, &options).await?;
    store
        .migrate()
        .await
        .context("cannot prepare the database")?;
    Ok(store)
}
