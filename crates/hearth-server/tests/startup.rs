//! Starting up: clear, one-line errors and a non-zero exit for an unusable database.

use std::process::Command;

fn hearth(args: &[&str], database_url: &str, dir: &std::path::Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args(args)
        .env("HEARTH_DATABASE_URL", database_url)
        .env("HEARTH_BIND", "127.0.0.1:0")
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn an_unreachable_database_is_named_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, err) = hearth(
        &["migrate"],
        "postgres://postgres@127.0.0.1:1/nothing",
        dir.path(),
    );
    assert!(!ok);
    assert!(
        err.contains("cannot open database postgres://postgres@127.0.0.1:1/nothing"),
        "{err}"
    );
    let (ok, err) = hearth(&["migrate"], "mysql://localhost/x", dir.path());
    assert!(!ok);
    assert!(err.contains("sqlite: or postgres://"), "{err}");
    let (ok, err) = hearth(&["serve"], "sqlite:/nonexistent-dir/x/y.db", dir.path());
    assert!(!ok);
    assert!(
        err.lines()
            .any(|l| l.contains("cannot open database sqlite:/nonexistent-dir/x/y.db")),
        "{err}"
    );
}

#[test]
fn a_database_from_a_newer_hearth_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("h.db").display());
    let (ok, err) = hearth(&["migrate"], &url, dir.path());
    assert!(ok, "{err}");
    let db = dir.path().join("h.db");
    let status = Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) VALUES (29991231000000, 'from the future', CURRENT_TIMESTAMP, 1, x'00', 0)\"); c.commit()",
            db.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let (ok, err) = hearth(&["serve"], &url, dir.path());
    assert!(!ok);
    assert!(err.contains("migrated by a newer Hearth"), "{err}");
}
