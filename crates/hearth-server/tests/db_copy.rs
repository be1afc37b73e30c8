//! `hearth db copy` end to end: a SQLite database filled by `hearth group create` is copied
//! into another SQLite file and, when `HEARTH_TEST_POSTGRES` names a server, into a fresh
//! PostgreSQL database; then the copies are used by `hearth group …`.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `hearth ARGS…` in `dir`, on `database` when given, with nothing else configured.
fn hearth(dir: &Path, database: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hearth"));
    command.args(args).current_dir(dir).env_remove("RUST_LOG");
    for (key, _) in std::env::vars() {
        if key.starts_with("HEARTH_") {
            command.env_remove(key);
        }
    }
    if let Some(url) = database {
        command.env("HEARTH_DATABASE_URL", url);
    }
    command.output().expect("run hearth")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
fn succeeded(output: &Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

#[track_caller]
fn failed(output: &Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(1),
        "stdout:\n{}\nstderr:\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    assert!(output.stdout.is_empty(), "{}", text(&output.stdout));
    text(&output.stderr)
}

/// The words of the summary line about `table`: its name and both counts.
fn counts(summary: &str, table: &str) -> Vec<String> {
    summary
        .lines()
        .map(|line| {
            line.split(|c: char| !c.is_alphanumeric() && c != '_')
                .filter(|w| !w.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .find(|words| words.first().map(String::as_str) == Some(table))
        .unwrap_or_else(|| panic!("no line for {table} in:\n{summary}"))
}

/// The N of "copied N rows in T s; counts verified", checked to be the summary's last line.
fn copied_rows(summary: &str) -> u64 {
    let last = summary.lines().last().unwrap_or_default();
    assert!(last.ends_with(" s; counts verified"), "{summary}");
    let words: Vec<&str> = last.split_whitespace().collect();
    assert_eq!(words[0], "copied", "{summary}");
    words[1].parse().unwrap()
}

/// A SQLite database with two groups, made by the real command.
fn populated(dir: &Path) -> String {
    let url = format!("sqlite:{}", dir.join("source.db").display());
    succeeded(&hearth(
        dir,
        Some(&url),
        &["group", "create", "climbing", "--title", "Climbing"],
    ));
    succeeded(&hearth(
        dir,
        Some(&url),
        &["group", "create", "chess", "--approve-followers"],
    ));
    url
}

/// Copies `source` into the empty `target`, then checks the copy is usable, refused again
/// without --force, and replaced with it.
fn copy_into(dir: &Path, source: &str, target: &str) {
    // A broken configuration does not matter: `db copy` reads none.
    std::fs::write(dir.join("hearth.toml"), "bind = \"not an address\"\n").unwrap();
    let summary = succeeded(&hearth(
        dir,
        None,
        &["db", "copy", "--from", source, "--to", target],
    ));
    std::fs::remove_file(dir.join("hearth.toml")).unwrap();
    assert_eq!(
        counts(&summary, "groups"),
        ["groups", "2", "2"],
        "{summary}"
    );
    assert_eq!(counts(&summary, "follows"), ["follows", "0", "0"]);
    let rows = copied_rows(&summary);
    assert!(rows >= 2, "{summary}");
    assert!(!summary.contains("replaced"), "{summary}");

    let list = succeeded(&hearth(dir, Some(target), &["group", "list"]));
    assert!(
        list.contains("climbing") && list.contains("chess"),
        "{list}"
    );
    let show = succeeded(&hearth(dir, Some(target), &["group", "show", "chess"]));
    assert!(
        show.contains("join mode") && show.contains("approval"),
        "{show}"
    );

    // The target is in use now: new rows get fresh ids.
    succeeded(&hearth(dir, Some(target), &["group", "create", "knitting"]));

    let refused = failed(&hearth(
        dir,
        None,
        &["db", "copy", "--from", source, "--to", target],
    ));
    assert!(
        refused.contains("holds data") && refused.contains("use --force to replace it"),
        "{refused}"
    );
    assert_eq!(refused.lines().count(), 1, "{refused}");
    let list = succeeded(&hearth(dir, Some(target), &["group", "list"]));
    assert!(
        list.contains("knitting"),
        "the refused copy changed nothing:\n{list}"
    );

    let summary = succeeded(&hearth(
        dir,
        None,
        &["db", "copy", "--from", source, "--to", target, "--force"],
    ));
    assert!(summary.contains("replaced"), "{summary}");
    assert_eq!(copied_rows(&summary), rows);
    let list = succeeded(&hearth(dir, Some(target), &["group", "list"]));
    assert!(!list.contains("knitting"), "{list}");
    succeeded(&hearth(dir, Some(target), &["group", "create", "knitting"]));
}

#[test]
fn copies_sqlite_into_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let source = populated(dir.path());
    let target = format!("sqlite:{}", dir.path().join("target.db").display());
    copy_into(dir.path(), &source, &target);
}

#[test]
fn refuses_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let source = populated(dir.path());
    let copy = |from: &str, to: &str| {
        hearth(
            dir.path(),
            None,
            &["db", "copy", "--from", from, "--to", to],
        )
    };

    let err = failed(&copy(&source, &source));
    assert!(err.contains("same database"), "{err}");
    let other_spelling = format!("sqlite:{}/./source.db", dir.path().display());
    let err = failed(&copy(&source, &other_spelling));
    assert!(err.contains("same database"), "{err}");

    let missing = format!("sqlite:{}", dir.path().join("typo.db").display());
    let target = format!("sqlite:{}", dir.path().join("target.db").display());
    let err = failed(&copy(&missing, &target));
    assert!(err.contains("no database file"), "{err}");
    assert!(!dir.path().join("typo.db").exists());

    let err = failed(&copy(&source, "postgres://nobody@127.0.0.1:1/none"));
    assert!(
        err.contains("cannot open database postgres://nobody@127.0.0.1:1/none"),
        "{err}"
    );
    let err = failed(&copy(&source, "mysql://localhost/hearth"));
    assert!(err.contains("expected sqlite:PATH or postgres://"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    let help = succeeded(&hearth(dir.path(), None, &["db", "copy", "--help"]));
    for needle in [
        "--from",
        "--to",
        "--force",
        "transaction",
        "Stop `hearth serve`",
        "Example:",
    ] {
        assert!(help.contains(needle), "{needle} in:\n{help}");
    }
}

#[tokio::test]
async fn copies_sqlite_into_postgres() {
    let server = match std::env::var("HEARTH_TEST_POSTGRES") {
        Ok(server) if !server.is_empty() => server,
        _ => {
            eprintln!("HEARTH_TEST_POSTGRES is not set: skipped");
            return;
        }
    };
    let name = format!("hearth_test_{}", uuid::Uuid::new_v4().simple());
    hearth_storage::admin::create_postgres_database(&server, &name)
        .await
        .expect("create the test database");
    let mut url = url::Url::parse(&server).unwrap();
    url.set_path(&format!("/{name}"));
    let target = url.to_string();

    let dir = tempfile::tempdir().unwrap();
    let source = populated(dir.path());
    let dir_path = dir.path().to_owned();
    let (source_, target_) = (source.clone(), target.clone());
    tokio::task::spawn_blocking(move || copy_into(&dir_path, &source_, &target_))
        .await
        .unwrap();

    // And back into SQLite.
    let back = format!("sqlite:{}", dir.path().join("back.db").display());
    let summary = succeeded(&hearth(
        dir.path(),
        None,
        &["db", "copy", "--from", &target, "--to", &back],
    ));
    assert_eq!(
        counts(&summary, "groups"),
        ["groups", "3", "3"],
        "{summary}"
    );

    hearth_storage::admin::drop_postgres_database(&server, &name)
        .await
        .unwrap();
}
