//! Fixing the figures of days that are over, once a day: the people active on each day and
//! over the 7, 30 and 90 days up to it (`insight_days`), how many of the members who joined on
//! a day were active 1, 4 and 12 weeks later (`insight_retention`), and forgetting what is older
//! than [`INSIGHTS_KEPT_DAYS`]. Distinct counts over windows cannot be added up from smaller
//! ones, so they are computed here, once, and read as they are.

use std::collections::{BTreeMap, HashMap};

use crate::error::Result;
use crate::insight_rollup::{DAY_MS, INSIGHTS_KEPT_DAYS};
use crate::store::{on_pool, BeginWrite, Store};

/// The windows, in days, whose active people are kept per day.
pub(crate) const WINDOWS: [i64; 4] = [1, 7, 30, 90];

/// The weeks after joining at which retention is measured.
const RETENTION_WEEKS: [(i64, &str); 3] = [(1, "kept_1"), (4, "kept_4"), (12, "kept_12")];

/// Rows written per `INSERT` into `insight_days`.
const ROWS_PER_INSERT: usize = 500;

/// Active people of one scope on one day: that day, and over each of [`WINDOWS`].
type DayWindows = (i64, i64, [i64; 4]);

impl Store {
    /// Fixes the figures of every day that ended since the last time, and trims old rows.
    /// Does nothing until a day has ended; idempotent, so concurrent runs are harmless.
    pub(crate) async fn freeze_insight_days(&self, now: i64) -> Result<()> {
        let today = now.div_euclid(DAY_MS);
        let last = today - 1;
        let frozen: i64 = on_pool!(self, pool => sqlx::query_scalar(
            "SELECT COALESCE(MAX(frozen_through), 0) FROM insight_rollup").fetch_one(pool).await?);
        if frozen >= last {
            return Ok(());
        }
        let oldest = today - INSIGHTS_KEPT_DAYS + 1;
        let first = (frozen + 1).max(oldest);
        let widest = WINDOWS[WINDOWS.len() - 1];
        let rows: Vec<(i64, i64, i64)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT group_id, actor_id, day FROM insight_activity WHERE day >= $1 AND day <= $2 \
             ORDER BY group_id, actor_id, day")
            .bind(first - widest + 1).bind(last).fetch_all(pool).await?);
        let days = active_windows(&rows, first, last);
        let insert = |n: usize| {
            let values: Vec<String> = (0..n)
                .map(|i| {
                    let b = i * 6;
                    format!(
                        "(${}, ${}, ${}, ${}, ${}, ${})",
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5,
                        b + 6
                    )
                })
                .collect();
            format!(
                "INSERT INTO insight_days (scope_id, day, active, active_7, active_30, active_90) \
                 VALUES {} ON CONFLICT (scope_id, day) DO UPDATE SET active = excluded.active, \
                 active_7 = excluded.active_7, active_30 = excluded.active_30, active_90 = excluded.active_90",
                values.join(", ")
            )
        };
        let retention: Vec<String> = RETENTION_WEEKS
            .iter()
            .map(|(weeks, column)| {
                let (from, to) = (7 * weeks, 7 * weeks + 7);
                format!(
                    "INSERT INTO insight_retention (group_id, day, joined, {column}) \
                     SELECT e.group_id, e.at / {DAY_MS}, COUNT(*), SUM(CASE WHEN EXISTS (SELECT 1 FROM insight_activity a \
                     WHERE a.group_id = e.group_id AND a.actor_id = e.actor_id \
                     AND a.day >= e.at / {DAY_MS} + {from} AND a.day < e.at / {DAY_MS} + {to}) THEN 1 ELSE 0 END) \
                     FROM membership_events e WHERE e.kind = 'join' AND e.at >= $1 AND e.at < $2 \
                     GROUP BY e.group_id, e.at / {DAY_MS} \
                     ON CONFLICT (group_id, day) DO UPDATE SET joined = excluded.joined, {column} = excluded.{column}"
                )
            })
            .collect();
        let trims = [
            "DELETE FROM insight_activity WHERE day < $1",
            "DELETE FROM insight_days WHERE day < $1",
            "DELETE FROM insight_members WHERE last_day < $1",
            "DELETE FROM insight_retention WHERE day < $1",
        ];
        let gone = [
            "DELETE FROM insight_days WHERE scope_id <> 0 AND scope_id NOT IN (SELECT id FROM groups)",
            "DELETE FROM insight_members WHERE scope_id <> 0 AND scope_id NOT IN (SELECT id FROM groups)",
        ];
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            for chunk in days.chunks(ROWS_PER_INSERT) {
                let sql = insert(chunk.len());
                let mut query = sqlx::query(&sql);
                for (scope, day, counts) in chunk {
                    query = query.bind(scope).bind(day);
                    for n in counts {
                        query = query.bind(n);
                    }
                }
                query.execute(&mut *tx).await?;
            }
            // A join day's week is decided once its last day is over.
            for (sql, (weeks, _)) in retention.iter().zip(RETENTION_WEEKS) {
                let decided_from = (frozen - 7 * weeks - 6 + 1) * DAY_MS;
                let decided_to = (last - 7 * weeks - 6 + 1) * DAY_MS;
                if decided_from < decided_to {
                    sqlx::query(sql).bind(decided_from).bind(decided_to).execute(&mut *tx).await?;
                }
            }
            for sql in trims {
                sqlx::query(sql).bind(oldest).execute(&mut *tx).await?;
            }
            sqlx::query("DELETE FROM insight_threads WHERE published < $1")
                .bind(oldest * DAY_MS).execute(&mut *tx).await?;
            for sql in gone {
                sqlx::query(sql).execute(&mut *tx).await?;
            }
            sqlx::query("UPDATE insight_rollup SET frozen_through = $1 WHERE frozen_through < $1")
                .bind(last).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(())
        })
    }
}

/// Distinct active people per scope and day from `first` to `last`, that day and over each
/// of [`WINDOWS`] days up to it, from `(group, actor, day)` rows sorted by group, actor and
/// day. Scope 0 counts people across all groups. Days with nobody active are left out.
fn active_windows(rows: &[(i64, i64, i64)], first: i64, last: i64) -> Vec<DayWindows> {
    let span = usize::try_from(last - first + 1).unwrap_or(0);
    let mut diffs: BTreeMap<i64, Vec<[i64; 4]>> = BTreeMap::new();
    let mut everyone: HashMap<i64, Vec<i64>> = HashMap::new();
    for person in rows.chunk_by(|a, b| a.0 == b.0 && a.1 == b.1) {
        let (group, actor) = (person[0].0, person[0].1);
        let days: Vec<i64> = person.iter().map(|r| r.2).collect();
        let diff = diffs.entry(group).or_insert_with(|| vec![[0; 4]; span + 1]);
        add_person(diff, &days, first, last);
        everyone.entry(actor).or_default().extend(days);
    }
    let mut instance = vec![[0; 4]; span + 1];
    for days in everyone.values_mut() {
        days.sort_unstable();
        days.dedup();
        add_person(&mut instance, days, first, last);
    }
    diffs.insert(0, instance);
    let mut out = Vec::new();
    for (scope, diff) in diffs {
        let mut running = [0i64; 4];
        for (offset, change) in diff.iter().take(span).enumerate() {
            for (total, delta) in running.iter_mut().zip(change) {
                *total += delta;
            }
            if running.iter().any(|n| *n > 0) {
                out.push((scope, first + offset as i64, running));
            }
        }
    }
    out
}

/// Adds one person, active on the sorted `days`, to the difference array `diff` of the days
/// from `first` to `last`: for each window, +1 where the days it covers start, -1 after.
fn add_person(diff: &mut [[i64; 4]], days: &[i64], first: i64, last: i64) {
    for (w, window) in WINDOWS.iter().enumerate() {
        // The days whose window contains an active day, as merged runs.
        let mut run: Option<(i64, i64)> = None;
        for &day in days {
            let (start, end) = (day, day + window - 1);
            run = match run {
                Some((s, e)) if start <= e + 1 => Some((s, e.max(end))),
                Some(done) => {
                    mark(diff, w, done, first, last);
                    Some((start, end))
                }
                None => Some((start, end)),
            };
        }
        if let Some(done) = run {
            mark(diff, w, done, first, last);
        }
    }
}

/// Counts a person in window `w` on every day of `run` between `first` and `last`.
fn mark(diff: &mut [[i64; 4]], w: usize, run: (i64, i64), first: i64, last: i64) {
    let (start, end) = (run.0.max(first), run.1.min(last));
    if start > end {
        return;
    }
    diff[(start - first) as usize][w] += 1;
    diff[(end - first + 1) as usize][w] -= 1;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same counts, the slow way: for each day and window, the people with an active day in it.
    fn brute_force(rows: &[(i64, i64, i64)], first: i64, last: i64) -> Vec<DayWindows> {
        let mut scopes: Vec<i64> = rows.iter().map(|r| r.0).collect();
        scopes.push(0);
        scopes.sort_unstable();
        scopes.dedup();
        let mut out = Vec::new();
        for scope in scopes {
            for day in first..=last {
                let mut counts = [0; 4];
                for (w, window) in WINDOWS.iter().enumerate() {
                    let mut people: Vec<i64> = rows
                        .iter()
                        .filter(|r| scope == 0 || r.0 == scope)
                        .filter(|r| r.2 <= day && r.2 > day - window)
                        .map(|r| r.1)
                        .collect();
                    people.sort_unstable();
                    people.dedup();
                    counts[w] = people.len() as i64;
                }
                if counts.iter().any(|n| *n > 0) {
                    out.push((scope, day, counts));
                }
            }
        }
        out
    }

    #[test]
    fn window_counts_match_counting_each_day() {
        // Two groups; person 7 is in both; days spread over more than the widest window.
        let mut rows = Vec::new();
        let mut seed = 12345u64;
        for _ in 0..400 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let group = 1 + (seed >> 60) as i64 % 2;
            let actor = (seed >> 40) as i64 % 9;
            let day = 1000 + (seed >> 20) as i64 % 200;
            rows.push((group, actor, day));
        }
        rows.push((1, 7, 1100));
        rows.push((2, 7, 1101));
        rows.sort_unstable();
        rows.dedup();
        assert_eq!(
            active_windows(&rows, 1090, 1210),
            brute_force(&rows, 1090, 1210)
        );
    }

    #[test]
    fn a_person_active_once_counts_in_every_window_that_reaches_the_day() {
        let rows = [(3, 1, 100)];
        let days = active_windows(&rows, 99, 101);
        assert_eq!(
            days,
            vec![
                (0, 100, [1, 1, 1, 1]),
                (0, 101, [0, 1, 1, 1]),
                (3, 100, [1, 1, 1, 1]),
                (3, 101, [0, 1, 1, 1]),
            ]
        );
    }
}
