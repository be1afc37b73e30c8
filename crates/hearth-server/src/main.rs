//! `hearth`: a federated community-group server.
//!
//! One binary: `hearth serve` runs the web server and delivery workers, `hearth worker` only
//! delivers, `hearth migrate` prepares the database, `hearth group …` manages groups,
//! `hearth db copy` moves an instance to another database.

mod accounts;
mod cli;
mod config;
mod http;
mod insights;
mod metrics;
mod moderation;
mod uploads;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Hearth hosts community groups that people on Mastodon, Lemmy, Misskey and the rest of the
/// fediverse can follow and post into.
#[derive(Parser)]
#[command(name = "hearth", version, propagate_version = true)]
struct Cli {
    /// Configuration file (default: ./hearth.toml when present). Every setting can also be
    /// given as an environment variable, e.g. HEARTH_DATABASE_URL, HEARTH_BIND, HEARTH_PUBLIC_URL.
    #[arg(long, short, global = true, env = "HEARTH_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (and, unless --no-workers, the delivery workers).
    Serve(cli::serve::ServeArgs),
    /// Run delivery workers only, no web server.
    Worker,
    /// Apply database migrations and exit.
    Migrate,
    /// Create the first instance admin: `hearth admin create NAME`.
    #[command(subcommand)]
    Admin(cli::account::AdminCommand),
    /// Staff accounts: create, list, reset passwords, unlock, API tokens.
    #[command(subcommand)]
    Account(cli::account::AccountCommand),
    /// Create, list and inspect groups.
    #[command(subcommand)]
    Group(cli::group::GroupCommand),
    /// Decide which instances to federate with: block, allow, import and export lists.
    #[command(subcommand)]
    Federation(cli::federation::FederationCommand),
    /// Community insights of a group (or every group): growth, activity, moderation speed.
    Insights(cli::insights::InsightsArgs),
    /// Whole-database operations: `db copy` moves an instance to another database.
    #[command(subcommand)]
    Db(cli::db::DbCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Db(command) = cli.command {
        // `hearth db …` names its databases in its flags: it reads no configuration.
        cli::init_logging("warn,sqlx=error");
        return exit_code(runtime().block_on(cli::db::run(command)));
    }
    let config = match config::Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("hearth: {err:#}");
            return ExitCode::FAILURE;
        }
    };
    cli::init_logging(&config.log);
    let result = runtime().block_on(async move {
        match cli.command {
            Command::Serve(args) => cli::serve::run(config, args).await,
            Command::Worker => cli::serve::run_worker(config).await,
            Command::Migrate => cli::migrate::run(config).await,
            Command::Admin(command) => cli::account::run_admin(config, command).await,
            Command::Account(command) => cli::account::run(config, command).await,
            Command::Group(command) => cli::group::run(config, command).await,
            Command::Federation(command) => cli::federation::run(config, command).await,
            Command::Insights(args) => cli::insights::run(config, args).await,
            Command::Db(_) => unreachable!("`hearth db` runs without configuration, above"),
        }
    });
    exit_code(result)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the tokio runtime starts")
}

fn exit_code(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("hearth: {err:#}");
            ExitCode::FAILURE
        }
    }
}
