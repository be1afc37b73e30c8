//! `hearth db …`: whole-database operations. `hearth db copy` moves an instance to another
//! database, e.g. from SQLite to PostgreSQL. These commands take their databases from their
//! flags and read no configuration.

use std::time::{Duration, Instant};

use anyhow::bail;
use clap::{Args, Subcommand};
use comfy_table::{presets::UTF8_FULL_CONDENSED, CellAlignment, Table};
use hearth_storage::{
    copy_database, redact, Backend, CopyError, CopyProgress, Store, StoreOptions,
};
use indicatif::{ProgressBar, ProgressStyle};

/// Database operations.
#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Copy a whole Hearth database into another one, e.g. from SQLite to PostgreSQL.
    #[command(long_about = COPY_ABOUT, after_help = COPY_EXAMPLES)]
    Copy(CopyArgs),
}

const COPY_ABOUT: &str = "Copy a whole Hearth database into another one, e.g. from SQLite to \
PostgreSQL: groups and their keys, the instance key, remote actors, follows, posts, reactions, \
the delivery queue and instance records, with their row ids.

Stop `hearth serve` and `hearth worker` first, so that nothing arrives while you copy. The \
source is only read. The target is migrated, must be empty (unless --force), and is written in \
one transaction: when anything fails, nothing is written. Rows are counted on both sides before \
the copy is committed. Afterwards, set database_url (or HEARTH_DATABASE_URL) to the target and \
start Hearth again; the source is left as it was.

No configuration file is read: both databases are given here.";

const COPY_EXAMPLES: &str = "Example:
  createdb -O hearth hearth
  hearth db copy --from sqlite:/var/lib/hearth/hearth.db --to postgres://hearth@localhost/hearth";

/// Arguments of `hearth db copy`.
#[derive(Args, Debug)]
pub struct CopyArgs {
    /// The database to copy: sqlite:PATH or postgres://USER@HOST/DB. It is only read.
    #[arg(long, value_name = "URL")]
    from: String,
    /// The database to copy into: sqlite:PATH (created if missing) or postgres://USER@HOST/DB
    /// (the database must exist). It is migrated first.
    #[arg(long, value_name = "URL")]
    to: String,
    /// Replace what the target holds: its rows are deleted, in the copy's transaction.
    #[arg(long)]
    force: bool,
}

/// Runs a `db` subcommand.
pub async fn run(command: DbCommand) -> anyhow::Result<()> {
    match command {
        DbCommand::Copy(args) => copy(args).await,
    }
}

async fn copy(args: CopyArgs) -> anyhow::Result<()> {
    for (flag, url) in [("--from", &args.from), ("--to", &args.to)] {
        if Backend::of_url(url).is_none() {
            bail!(
                "{flag} {}: expected sqlite:PATH or postgres://USER@HOST/DB",
                redact(url)
            );
        }
    }
    if args.from == args.to {
        bail!(
            "--from and --to are the same database ({}); copy into another one",
            redact(&args.from)
        );
    }
    // Opening a SQLite URL creates the file: a mistyped source must not become an empty one.
    if let Some(path) = sqlite_path(&args.from) {
        if !std::path::Path::new(path).exists() {
            bail!("--from {}: there is no database file at {path}", args.from);
        }
    }
    let options = StoreOptions {
        max_connections: 2,
        acquire_timeout: Duration::from_secs(10),
    };
    let from = open(&args.from, &options).await?;
    let to = open(&args.to, &options).await?;

    let started = Instant::now();
    let mut display = Display::new();
    let outcome = copy_database(&from, &to, args.force, |event| display.show(event)).await;
    display.clear();
    from.close().await;
    to.close().await;
    let report = match outcome {
        Ok(report) => report,
        Err(CopyError::SameDatabase) => bail!(
            "--from {} and --to {} are the same database; copy into another one",
            redact(&args.from),
            redact(&args.to)
        ),
        Err(CopyError::TargetNotEmpty { rows }) => bail!(
            "{} holds data ({rows} row{}); use --force to replace it",
            redact(&args.to),
            plural(rows)
        ),
        Err(err) => return Err(err.into()),
    };
    let elapsed = started.elapsed();

    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_header(vec!["table", "source rows", "target rows"]);
    for t in &report.tables {
        table.add_row(vec![
            t.table.to_owned(),
            t.source_rows.to_string(),
            t.target_rows.to_string(),
        ]);
    }
    for column in 1..=2 {
        if let Some(column) = table.column_mut(column) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    println!("{} → {}", redact(&args.from), redact(&args.to));
    println!("{table}");
    if report.replaced_rows > 0 {
        println!(
            "replaced {} row{} the target held",
            report.replaced_rows,
            plural(report.replaced_rows)
        );
    }
    println!(
        "copied {} row{} in {:.1} s; counts verified",
        report.rows(),
        plural(report.rows()),
        elapsed.as_secs_f64()
    );
    Ok(())
}

/// Opens a database, failing fast and plainly when a PostgreSQL server cannot be reached
/// (the pool would only report a timeout, after it).
async fn open(url: &str, options: &StoreOptions) -> anyhow::Result<Store> {
    if Backend::of_url(url) == Some(Backend::Postgres) {
        if let Ok(parsed) = url::Url::parse(url) {
            if let Some(host) = parsed.host_str().filter(|h| !h.is_empty()) {
                let port = parsed.port().unwrap_or(5432);
                let probe = tokio::time::timeout(
                    options.acquire_timeout,
                    tokio::net::TcpStream::connect((host, port)),
                )
                .await;
                let reason = match probe {
                    Ok(Ok(_)) => None,
                    Ok(Err(err)) => Some(err.to_string()),
                    Err(_) => Some("no answer".to_owned()),
                };
                if let Some(reason) = reason {
                    bail!(
                        "cannot open database {}: cannot reach {host}:{port}: {reason}",
                        redact(url)
                    );
                }
            }
        }
    }
    match Store::connect(url, options).await {
        Ok(store) => Ok(store),
        Err(err) => {
            let name = url::Url::parse(url)
                .map(|u| u.path().trim_start_matches('/').to_owned())
                .unwrap_or_default();
            if err
                .to_string()
                .ends_with(&format!("database \"{name}\" does not exist"))
            {
                bail!("{err}; create it first, e.g. with: createdb {name}")
            }
            Err(err.into())
        }
    }
}

/// One progress bar per table on stderr (drawn only on a terminal), then a spinner while the
/// counts are checked.
struct Display {
    style: ProgressStyle,
    bar: Option<ProgressBar>,
}

impl Display {
    fn new() -> Display {
        let style = ProgressStyle::with_template(
            "{prefix:>20} [{bar:32}] {pos:>9}/{len:<9} {elapsed_precise}",
        )
        .expect("a valid progress template")
        .progress_chars("=> ");
        Display { style, bar: None }
    }

    fn show(&mut self, event: CopyProgress) {
        match event {
            CopyProgress::TableStarted { table, rows } => {
                self.bar = Some(
                    ProgressBar::new(rows)
                        .with_style(self.style.clone())
                        .with_prefix(table),
                );
            }
            CopyProgress::RowsCopied { copied, .. } => {
                if let Some(bar) = &self.bar {
                    bar.set_position(copied);
                }
            }
            CopyProgress::TableFinished { .. } => {
                if let Some(bar) = self.bar.take() {
                    bar.finish();
                }
            }
            CopyProgress::Verifying => {
                let spinner =
                    ProgressBar::new_spinner().with_message("counting rows on both sides");
                spinner.enable_steady_tick(Duration::from_millis(100));
                self.bar = Some(spinner);
            }
            CopyProgress::Committing => {
                if let Some(bar) = &self.bar {
                    bar.set_message("committing");
                }
            }
        }
    }

    fn clear(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// The file of a `sqlite:` URL, unless it is an in-memory database.
fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then_some(path)
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
