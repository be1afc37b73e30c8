//! `hearth-bench --insights`: how long the community insights take to read on a big group.
//! Starts a fresh Hearth (SQLite or PostgreSQL), fills one of its groups with M members on 500
//! instances, P posts over 90 days (one thread in ten, the rest replies) and a reaction on every
//! third post, using set-based inserts; then times the first rollup (the backfill), an
//! incremental rollup with nothing new, R reads of the insights report for 7, 30 and 90 days (the
//! same store queries, in the same order, as the insights page and API make, each part timed),
//! and R requests of the insights API and of the staff Insights page over HTTP.

use std::time::{Duration, Instant};

use hearth_storage::{now_ms, InsightRange, InsightScope, Store};

use crate::hearth_process::{Database, HearthOptions, HearthProcess};
use crate::stats::{quantile, sorted_ms};

/// Milliseconds in a day.
const DAY_MS: i64 = 24 * 3600 * 1000;
/// The group measured.
const GROUP: &str = "bench";
/// Days the generated activity spans.
const SPAN_DAYS: i64 = 90;

/// What to generate and how often to read.
pub struct InsightsConfig {
    /// Members of the group.
    pub members: i64,
    /// Posts (threads and replies).
    pub posts: i64,
    /// Timed reads per range.
    pub rounds: usize,
}

/// A plain connection pool for the bulk inserts (the store has no raw SQL).
enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Raw {
    async fn connect(url: &str, database: Database) -> anyhow::Result<Raw> {
        Ok(match database {
            Database::Sqlite => Raw::Sqlite(sqlx::SqlitePool::connect(url).await?),
            Database::Postgres => Raw::Postgres(sqlx::PgPool::connect(url).await?),
        })
    }

    async fn close(self) {
        match self {
            Raw::Sqlite(pool) => pool.close().await,
            Raw::Postgres(pool) => pool.close().await,
        }
    }

    /// Runs `sql` with `binds` as `$1`, `$2`…
    async fn execute(&self, sql: &str, binds: &[i64]) -> anyhow::Result<()> {
        match self {
            Raw::Sqlite(pool) => {
                let mut query = sqlx::query(sql);
                for b in binds {
                    query = query.bind(*b);
                }
                query.execute(pool).await?;
            }
            Raw::Postgres(pool) => {
                let mut query = sqlx::query(sql);
                for b in binds {
                    query = query.bind(*b);
                }
                query.execute(pool).await?;
            }
        }
        Ok(())
    }

    /// Runs `sql` and returns the number it yields.
    async fn scalar(&self, sql: &str, binds: &[i64]) -> anyhow::Result<i64> {
        Ok(match self {
            Raw::Sqlite(pool) => {
                let mut query = sqlx::query_scalar(sql);
                for b in binds {
                    query = query.bind(*b);
                }
                query.fetch_one(pool).await?
            }
            Raw::Postgres(pool) => {
                let mut query = sqlx::query_scalar(sql);
                for b in binds {
                    query = query.bind(*b);
                }
                query.fetch_one(pool).await?
            }
        })
    }
}

/// Numbers 1..=N as rows `n(i)`, in both SQL dialects.
const NUMBERS: &str =
    "WITH RECURSIVE n(i) AS (SELECT CAST(1 AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i < $1)";

/// Fills the group `group` (created by Hearth) with members, posts and reactions.
async fn fill(raw: &Raw, config: &InsightsConfig, now: i64, group: i64) -> anyhow::Result<()> {
    let start = now - SPAN_DAYS * DAY_MS;
    let steps: [(&str, String, Vec<i64>); 5] = [
        ("actors", format!(
            "{NUMBERS} INSERT INTO actors (ap_id, kind, host, preferred_username, inbox, public_key_id, \
             public_key_pem, raw, fetched_at) SELECT 'https://h' || (i % 500) || '.example/u/' || i, 'Person', \
             'h' || (i % 500) || '.example', 'u' || i, 'https://h' || (i % 500) || '.example/inbox', \
             'https://h' || (i % 500) || '.example/u/' || i || '#key', '', '{{}}', $2 FROM n"
        ), vec![config.members, now]),
        ("follows", "INSERT INTO follows (group_id, actor_id, follow_activity_id, state, created_at) \
             SELECT $1, id, 'https://bench/follow/' || id, 'accepted', $2 + (id % $3) * $4 FROM actors"
            .to_owned(), vec![group, start, SPAN_DAYS, DAY_MS]),
        ("membership events", "INSERT INTO membership_events (group_id, actor_id, kind, at, host) \
             SELECT f.group_id, f.actor_id, 'join', f.created_at, a.host FROM follows f \
             JOIN actors a ON a.id = f.actor_id WHERE f.group_id = $1"
            .to_owned(), vec![group]),
        ("posts", format!(
            "{NUMBERS} INSERT INTO posts (ap_id, group_id, author_id, kind, in_reply_to, thread_id, title, content, \
             raw, published, reply_count, last_activity_at, created_at) \
             SELECT 'https://bench/p/' || i, $2, 1 + (i * 7919) % $3, 'Note', \
             CASE WHEN i % 10 = 1 THEN NULL ELSE 'https://bench/p/' || (i - (i - 1) % 10) END, \
             i - (i - 1) % 10, CASE WHEN i % 10 = 1 THEN 'Thread ' || i ELSE NULL END, 'text', '{{}}', \
             $4 + i * $5, CASE WHEN i % 10 = 1 THEN 9 ELSE 0 END, $4 + i * $5, $4 + i * $5 FROM n"
        ), vec![config.posts, group, config.members, start, SPAN_DAYS * DAY_MS / config.posts.max(1)]),
        ("reactions", "INSERT INTO reactions (activity_ap_id, post_id, actor_id, kind, created_at) \
             SELECT 'https://bench/like/' || id, id, 1 + (id * 31) % $1, 'Like', created_at FROM posts \
             WHERE id % 3 = 0".to_owned(), vec![config.members]),
    ];
    for (what, sql, binds) in steps {
        let began = Instant::now();
        raw.execute(&sql, &binds).await?;
        println!("  filled {what} in {:.1} s", began.elapsed().as_secs_f64());
    }
    Ok(())
}

/// Time spent in each part of one report.
type Parts = Vec<(&'static str, Duration)>;

/// Times `$read` and records it under `$label` in `$parts`.
macro_rules! timed {
    ($parts:ident, $label:expr, $read:expr) => {{
        let began = Instant::now();
        let value = $read.await?;
        $parts.push(($label, began.elapsed()));
        value
    }};
}

/// The insights report's store reads for `range`, as the page and API make them, with the
/// time each part took.
async fn read_report(
    store: &Store,
    scope: InsightScope,
    range: InsightRange,
    today: i64,
) -> anyhow::Result<Parts> {
    let now = now_ms();
    let mut parts = Parts::new();
    let days = timed!(parts, "days", store.insight_days(scope, range));
    timed!(parts, "totals", store.insight_totals(scope, range, &days));
    if let Some(before) = range.previous(today) {
        let days = timed!(parts, "previous days", store.insight_days(scope, before));
        timed!(
            parts,
            "previous totals",
            store.insight_totals(scope, before, &days)
        );
    }
    timed!(
        parts,
        "active windows",
        store.insight_active_windows(scope, range.to_day)
    );
    timed!(parts, "cohorts", store.insight_cohorts(scope, range));
    timed!(
        parts,
        "top threads",
        store.insight_top_threads(scope, range, false, 10)
    );
    timed!(
        parts,
        "top threads by people",
        store.insight_top_threads(scope, range, true, 10)
    );
    timed!(
        parts,
        "unanswered",
        store.insight_unanswered(scope, range, 24, now, 20)
    );
    timed!(parts, "hours", store.insight_hours_of_day(scope, range));
    timed!(parts, "instances", store.insight_instances(scope, range));
    timed!(parts, "moderation", store.insight_moderation(scope, range));
    timed!(parts, "delivery", store.insight_delivery(scope, now, 50));
    Ok(parts)
}

/// Prints the median time of each part over several reports.
fn print_parts(reports: &[Parts]) {
    let Some(first) = reports.first() else {
        return;
    };
    let line: Vec<String> = first
        .iter()
        .enumerate()
        .map(|(i, (label, _))| {
            let times: Vec<Duration> = reports.iter().map(|parts| parts[i].1).collect();
            format!("{label} {:.1}", quantile(&sorted_ms(&times), 0.5))
        })
        .collect();
    println!("    median ms by part: {}", line.join(", "));
}

fn print_times(label: &str, times: &[Duration]) {
    let ms = sorted_ms(times);
    println!(
        "  {label}: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms ({} reads)",
        quantile(&ms, 0.5),
        quantile(&ms, 0.99),
        quantile(&ms, 1.0),
        ms.len()
    );
}

/// Runs the insights benchmark on a fresh Hearth (one `hearth serve`, `options.database`).
pub async fn run(options: &HearthOptions, config: InsightsConfig) -> anyhow::Result<()> {
    let hearth = HearthProcess::start(options).await?;
    let outcome = measure(&hearth, options.database, &config).await;
    hearth.stop().await;
    outcome
}

async fn measure(
    hearth: &HearthProcess,
    database: Database,
    config: &InsightsConfig,
) -> anyhow::Result<()> {
    println!(
        "insights on {database:?}: {} members, {} posts over {SPAN_DAYS} days",
        config.members, config.posts
    );
    hearth.create_group(GROUP)?;
    let store = hearth.open_store().await?;
    // Hearth's first housekeeping runs a few seconds after it starts: let it pass, so that the
    // backfill timed below is the whole of it.
    let waited = Instant::now();
    while store.insights_refreshed_at().await? == 0 && waited.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let now = now_ms();
    let raw = Raw::connect(hearth.database_url(), database).await?;
    let group = raw
        .scalar(
            &format!("SELECT id FROM groups WHERE name = '{GROUP}'"),
            &[],
        )
        .await?;
    fill(&raw, config, now, group).await?;
    raw.close().await;
    let began = Instant::now();
    store.refresh_insights(now_ms()).await?;
    println!(
        "  first rollup (backfill): {:.1} s",
        began.elapsed().as_secs_f64()
    );
    if database == Database::Postgres {
        // A live server's autovacuum would have done this after such a bulk insert.
        let raw = Raw::connect(hearth.database_url(), database).await?;
        raw.execute("VACUUM ANALYZE", &[]).await?;
        raw.close().await;
        println!("  VACUUM ANALYZE, as autovacuum would after the bulk insert");
    }
    let began = Instant::now();
    store.refresh_insights(now_ms()).await?;
    println!(
        "  incremental rollup, nothing new: {:.1} ms",
        began.elapsed().as_secs_f64() * 1e3
    );
    let today = now.div_euclid(DAY_MS);
    for days in [7, 30, 90] {
        let range = InsightRange::last_days(days, today).map_err(anyhow::Error::msg)?;
        let mut times = Vec::with_capacity(config.rounds);
        let mut reports = Vec::with_capacity(config.rounds);
        for _ in 0..config.rounds {
            let began = Instant::now();
            reports.push(read_report(&store, InsightScope::Group(group), range, today).await?);
            times.push(began.elapsed());
        }
        print_times(&format!("report, {days} days"), &times);
        print_parts(&reports);
        // Active people in a range that ended in the past and has no fixed figure (as the
        // previous period of a custom range may be).
        let (from, to) = (range.from_day - 3, range.to_day - days / 2 - 1);
        let mut custom = Vec::with_capacity(config.rounds);
        for _ in 0..config.rounds {
            let began = Instant::now();
            store
                .insight_active(InsightScope::Group(group), from, to)
                .await?;
            custom.push(began.elapsed());
        }
        print_times(
            &format!(
                "active people over a custom {}-day range in the past",
                to - from + 1
            ),
            &custom,
        );
    }
    store.close().await;
    over_http(hearth, config.rounds).await
}

/// Times the insights API and the staff page, as a script and a browser get them from the
/// running Hearth.
async fn over_http(hearth: &HearthProcess, rounds: usize) -> anyhow::Result<()> {
    let password = uuid::Uuid::new_v4().to_string();
    hearth.cli(
        &["admin", "create", "bench"],
        Some(&format!("{password}\n")),
    )?;
    let token = hearth.cli(&["account", "token", "bench"], None)?;
    let token = token.trim();
    let client = reqwest::Client::builder()
        .no_proxy()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    log_in(hearth, &client, &password).await?;
    for days in [7, 30, 90] {
        let api = hearth.url(&format!("/api/v1/groups/{GROUP}/insights?period={days}d"));
        let page = hearth.url(&format!("/admin/groups/{GROUP}/insights?period={days}d"));
        let mut api_times = Vec::with_capacity(rounds);
        let mut page_times = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            api_times.push(time_get(client.get(api.clone()).bearer_auth(token)).await?);
            page_times.push(time_get(client.get(page.clone())).await?);
        }
        print_times(&format!("API over HTTP, {days} days"), &api_times);
        print_times(&format!("staff page over HTTP, {days} days"), &page_times);
    }
    Ok(())
}

/// Logs `client` in to the staff pages as the bench admin.
async fn log_in(
    hearth: &HearthProcess,
    client: &reqwest::Client,
    password: &str,
) -> anyhow::Result<()> {
    let form = client
        .get(hearth.url("/admin/login"))
        .send()
        .await?
        .text()
        .await?;
    let csrf = form
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .ok_or_else(|| anyhow::anyhow!("the login page has no csrf field"))?;
    let answer = client
        .post(hearth.url("/admin/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs([
                    ("csrf", csrf),
                    ("username", "bench"),
                    ("password", password),
                    ("code", ""),
                    ("next", ""),
                ])
                .finish(),
        )
        .send()
        .await?;
    anyhow::ensure!(
        answer.status() == reqwest::StatusCode::SEE_OTHER,
        "logging in answered {}",
        answer.status()
    );
    Ok(())
}

/// How long a GET takes, body included; a failure unless it answers 200.
async fn time_get(request: reqwest::RequestBuilder) -> anyhow::Result<Duration> {
    let began = Instant::now();
    let response = request.send().await?;
    let status = response.status();
    let body = response.bytes().await?;
    anyhow::ensure!(
        status.is_success(),
        "insights answered {status}: {}",
        String::from_utf8_lossy(&body)
    );
    Ok(began.elapsed())
}
