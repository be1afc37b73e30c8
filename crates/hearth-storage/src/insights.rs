//! Community insights read from the rollups (see `insight_rollup`): growth, activity,
//! retention, threads, where members come from, moderation speed and delivery health, for a
//! group or the whole instance, over a range of whole UTC days.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::Result;
use crate::insight_freeze::WINDOWS;
use crate::insight_rollup::{DAY_MS, HOUR_MS, INSIGHTS_KEPT_DAYS};
use crate::store::{on_pool, Store};

/// Whose insights: one group, or every group of the instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsightScope {
    /// One group, by id.
    Group(i64),
    /// All groups together.
    Instance,
}

impl InsightScope {
    /// The value bound to `$1` in scoped queries: a group id, or 0 (no group has id 0), which
    /// is also the scope id of the instance's own rows in `insight_days` and `insight_members`.
    fn bind(self) -> i64 {
        match self {
            InsightScope::Group(id) => id,
            InsightScope::Instance => 0,
        }
    }

    /// The condition keeping the rows of the scope, by their group `column`: spelled out per
    /// scope so that the group's index is used.
    fn filter(self, column: &str) -> String {
        match self {
            InsightScope::Group(_) => format!("{column} = $1"),
            InsightScope::Instance => "$1 = 0".to_owned(),
        }
    }
}

/// A range of whole UTC days, both ends included, within the data kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct InsightRange {
    /// First day (days since the Unix epoch).
    pub from_day: i64,
    /// Last day, included.
    pub to_day: i64,
}

/// Why a range cannot be shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    /// The range ends before it starts.
    #[error("the range ends before it starts")]
    Reversed,
    /// The range lies (partly) in the future.
    #[error("the range ends in the future; the last day with data is today")]
    Future,
    /// The range starts before the oldest day kept.
    #[error("insights are kept for {kept} days: the earliest day available is {earliest_day} days after 1970-01-01")]
    TooOld {
        /// Days kept.
        kept: i64,
        /// The earliest day available.
        earliest_day: i64,
    },
}

impl InsightRange {
    /// The range from `from_day` to `to_day`, if insights for it are kept; `today` is the
    /// current UTC day.
    pub fn new(from_day: i64, to_day: i64, today: i64) -> std::result::Result<Self, RangeError> {
        let earliest_day = today - INSIGHTS_KEPT_DAYS + 1;
        if to_day < from_day {
            Err(RangeError::Reversed)
        } else if to_day > today {
            Err(RangeError::Future)
        } else if from_day < earliest_day {
            Err(RangeError::TooOld {
                kept: INSIGHTS_KEPT_DAYS,
                earliest_day,
            })
        } else {
            Ok(InsightRange { from_day, to_day })
        }
    }

    /// The last `days` days up to and including `today`.
    pub fn last_days(days: i64, today: i64) -> std::result::Result<Self, RangeError> {
        InsightRange::new(today - days.max(1) + 1, today, today)
    }

    /// Number of days in the range.
    pub fn days(&self) -> i64 {
        self.to_day - self.from_day + 1
    }

    /// The range of the same length just before this one, if its data is kept.
    pub fn previous(&self, today: i64) -> Option<InsightRange> {
        InsightRange::new(self.from_day - self.days(), self.from_day - 1, today).ok()
    }

    fn start_ms(&self) -> i64 {
        self.from_day * DAY_MS
    }

    fn end_ms(&self) -> i64 {
        (self.to_day + 1) * DAY_MS
    }
}

/// One day's numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DayInsight {
    /// The day (days since the Unix epoch).
    pub day: i64,
    /// Members at the end of the day.
    pub members: i64,
    /// Members who joined.
    pub joins: i64,
    /// Members who left (or were banned).
    pub leaves: i64,
    /// New threads.
    pub posts: i64,
    /// Replies.
    pub replies: i64,
    /// Likes and dislikes.
    pub reactions: i64,
    /// Reports received.
    pub reports: i64,
    /// Distinct people who posted, replied or reacted.
    pub active: i64,
}

/// The headline numbers of a range.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct InsightTotals {
    /// Members at the end of the range.
    pub members: i64,
    /// Joins in the range.
    pub joins: i64,
    /// Leaves in the range.
    pub leaves: i64,
    /// Joins minus leaves.
    pub net_growth: i64,
    /// Distinct active people in the range.
    pub active: i64,
    /// New threads.
    pub posts: i64,
    /// Replies.
    pub replies: i64,
    /// Reactions.
    pub reactions: i64,
    /// Reports received.
    pub reports: i64,
    /// Active people per member, in percent (0 without members).
    pub engagement_percent: f64,
}

/// Distinct active people in the day, week and month up to a day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ActiveWindows {
    /// Active that day.
    pub daily: i64,
    /// Active in the 7 days up to it.
    pub weekly: i64,
    /// Active in the 30 days up to it.
    pub monthly: i64,
}

/// Members who joined in one week of the range, and how many were active later.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Cohort {
    /// First day of the week (days since the Unix epoch).
    pub week_day: i64,
    /// Members who joined that week.
    pub joined: i64,
    /// Percent of them active in the 2nd week after joining (`None`: not over yet).
    pub week_1: Option<f64>,
    /// Percent active in the 5th week after joining.
    pub week_4: Option<f64>,
    /// Percent active in the 13th week after joining.
    pub week_12: Option<f64>,
}

/// A thread started in the range, and the replies it has drawn so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ThreadInsight {
    /// The thread's row id.
    pub id: i64,
    /// Its ActivityPub id.
    pub ap_id: String,
    /// Its title, if it has one.
    pub title: Option<String>,
    /// Replies.
    pub replies: i64,
    /// Distinct people who replied.
    pub participants: i64,
}

/// A thread nobody has answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct UnansweredThread {
    /// The thread's row id.
    pub id: i64,
    /// Its ActivityPub id.
    pub ap_id: String,
    /// Its title, if it has one.
    pub title: Option<String>,
    /// When it was published (ms).
    pub published: i64,
}

/// A count under a label (an hour, an instance, a rule, an action, a moderator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// What is counted.
    pub label: String,
    /// How many.
    pub count: i64,
}

/// Members on one instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstanceMembers {
    /// The instance's host.
    pub host: String,
    /// Its server software, if known.
    pub software: Option<String>,
    /// Members from there.
    pub members: i64,
    /// Whether its first member joined in the range.
    pub new: bool,
}

/// How quickly reports were handled, in ms.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ModerationInsight {
    /// Cases opened in the range.
    pub cases: i64,
    /// Cases opened in the range and closed since.
    pub closed: i64,
    /// Median time from a case opening to a moderator's first action on it.
    pub first_action_median_ms: Option<i64>,
    /// 90th percentile of that.
    pub first_action_p90_ms: Option<i64>,
    /// Median time from a case opening to its closing.
    pub resolution_median_ms: Option<i64>,
    /// 90th percentile of that.
    pub resolution_p90_ms: Option<i64>,
    /// Cases by the rule cited when closing them.
    pub by_rule: Vec<Tally>,
    /// Modlog actions by kind.
    pub by_action: Vec<Tally>,
    /// Modlog actions by who took them.
    pub by_moderator: Vec<Tally>,
}

/// Delivery to one instance hosting members.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeliveryInsight {
    /// The instance's host.
    pub host: String,
    /// Members there.
    pub members: i64,
    /// Activities delivered there (instance-wide, all time).
    pub delivered: i64,
    /// Deliveries given up on (kept for two weeks).
    pub dead: i64,
    /// Deliveries waiting.
    pub queued: i64,
    /// Delivered ÷ (delivered + dead), in percent; `None` before any attempt.
    pub success_percent: Option<f64>,
    /// Age of the oldest waiting delivery (ms).
    pub lag_ms: Option<i64>,
}

/// `CAST(COALESCE(SUM(expr), 0) AS BIGINT)`: a sum both backends decode as i64.
fn sum(expr: &str) -> String {
    format!("CAST(COALESCE(SUM({expr}), 0) AS BIGINT)")
}

/// The percent `part` is of `whole`, if `whole` is not zero.
fn percent(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// The `q`-quantile (0–1) of `values`, by the nearest-rank method.
fn quantile(values: &mut [i64], q: f64) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let rank = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
    Some(values[rank - 1])
}

/// Rows of `(label, count)` as tallies.
fn tallies(rows: Vec<(String, i64)>) -> Vec<Tally> {
    rows.into_iter()
        .map(|(label, count)| Tally { label, count })
        .collect()
}

impl Store {
    /// The last day whose figures are fixed in `insight_days` and `insight_retention`.
    async fn insights_frozen_through(&self) -> Result<i64> {
        let sql = "SELECT COALESCE(MAX(frozen_through), 0) FROM insight_rollup";
        on_pool!(self, pool => Ok(sqlx::query_scalar(sql).fetch_one(pool).await?))
    }

    /// Each day of `range`, gaps filled with zeros, members counted back from today's.
    pub async fn insight_days(
        &self,
        scope: InsightScope,
        range: InsightRange,
    ) -> Result<Vec<DayInsight>> {
        let counts = format!(
            "SELECT hour / 24, {}, {}, {}, {}, {}, {} FROM insight_hours \
             WHERE {} AND hour >= $2 GROUP BY hour / 24",
            sum("joins"),
            sum("leaves"),
            sum("posts"),
            sum("replies"),
            sum("reactions"),
            sum("reports"),
            scope.filter("group_id")
        );
        // Days that are over were counted once and for all; the others are counted now.
        let frozen_active = "SELECT day, active FROM insight_days \
             WHERE scope_id = $1 AND day >= $2 AND day <= $3";
        // Within one group, (day, actor) is the key: each row is a distinct person.
        let people = match scope {
            InsightScope::Group(_) => "COUNT(*)",
            InsightScope::Instance => "COUNT(DISTINCT actor_id)",
        };
        let live_active = format!(
            "SELECT day, {people} FROM insight_activity WHERE {} AND day >= $2 AND day <= $3 GROUP BY day",
            scope.filter("group_id")
        );
        let members = format!(
            "SELECT COUNT(*) FROM follows WHERE {} AND state = 'accepted'",
            scope.filter("group_id")
        );
        let live_from = (self.insights_frozen_through().await? + 1).max(range.from_day);
        type Row = (i64, i64, i64, i64, i64, i64, i64);
        type Counts = Vec<(i64, i64)>;
        let (rows, frozen, live, members_now): (Vec<Row>, Counts, Counts, i64) = on_pool!(self, pool => (
            sqlx::query_as(&counts).bind(scope.bind()).bind(range.from_day * 24).fetch_all(pool).await?,
            sqlx::query_as(frozen_active).bind(scope.bind()).bind(range.from_day).bind(range.to_day).fetch_all(pool).await?,
            sqlx::query_as(&live_active).bind(scope.bind()).bind(live_from).bind(range.to_day).fetch_all(pool).await?,
            sqlx::query_scalar(&members).bind(scope.bind()).fetch_one(pool).await?,
        ));
        let mut days: Vec<DayInsight> = (range.from_day..=range.to_day)
            .map(|day| DayInsight {
                day,
                ..DayInsight::default()
            })
            .collect();
        let index = |day: i64| usize::try_from(day - range.from_day).ok();
        // Net growth after the range, to count members back from today's.
        let mut growth_after = 0;
        for (day, joins, leaves, posts, replies, reactions, reports) in rows {
            match index(day).and_then(|i| days.get_mut(i)) {
                Some(d) => {
                    *d = DayInsight {
                        day,
                        joins,
                        leaves,
                        posts,
                        replies,
                        reactions,
                        reports,
                        ..*d
                    }
                }
                None => growth_after += joins - leaves,
            }
        }
        for (day, n) in frozen.into_iter().chain(live) {
            if let Some(d) = index(day).and_then(|i| days.get_mut(i)) {
                d.active = n;
            }
        }
        let mut members = members_now - growth_after;
        for d in days.iter_mut().rev() {
            d.members = members.max(0);
            members -= d.joins - d.leaves;
        }
        Ok(days)
    }

    /// Distinct active people from `from_day` to `to_day`, both included. Ranges that end today
    /// are read from each person's last active day, and ranges of 1, 7, 30 or 90 days that
    /// are over from the fixed daily figures; others are counted from daily activity.
    pub async fn insight_active(
        &self,
        scope: InsightScope,
        from_day: i64,
        to_day: i64,
    ) -> Result<i64> {
        let today = crate::now_ms().div_euclid(DAY_MS);
        let days = to_day - from_day + 1;
        let window = WINDOWS.iter().position(|w| *w == days);
        let frozen = self.insights_frozen_through().await?;
        let (sql, binds) = match window {
            _ if to_day >= today => (
                "SELECT COUNT(*) FROM insight_members WHERE scope_id = $1 AND last_day >= $2"
                    .to_owned(),
                vec![scope.bind(), from_day],
            ),
            Some(w) if to_day <= frozen => {
                let column = ["active", "active_7", "active_30", "active_90"][w];
                let sql = format!(
                    "SELECT COALESCE(MAX({column}), 0) FROM insight_days WHERE scope_id = $1 AND day = $2"
                );
                (sql, vec![scope.bind(), to_day])
            }
            // Other ranges: in a group, one probe of the (group, actor, day) index per person
            // active since the range began; instance-wide, the daily rows.
            _ => match scope {
                InsightScope::Group(_) => (
                    "SELECT COUNT(*) FROM insight_members m WHERE m.scope_id = $1 AND m.last_day >= $2 \
                     AND EXISTS (SELECT 1 FROM insight_activity a WHERE a.group_id = $1 \
                     AND a.actor_id = m.actor_id AND a.day >= $2 AND a.day <= $3)"
                        .to_owned(),
                    vec![scope.bind(), from_day, to_day],
                ),
                InsightScope::Instance => (
                    "SELECT COUNT(DISTINCT actor_id) FROM insight_activity \
                     WHERE $1 = 0 AND day >= $2 AND day <= $3"
                        .to_owned(),
                    vec![scope.bind(), from_day, to_day],
                ),
            },
        };
        on_pool!(self, pool => {
            let mut query = sqlx::query_scalar(&sql);
            for value in binds {
                query = query.bind(value);
            }
            Ok(query.fetch_one(pool).await?)
        })
    }

    /// The headline numbers of `range`, from its `days` (see [`Store::insight_days`]).
    pub async fn insight_totals(
        &self,
        scope: InsightScope,
        range: InsightRange,
        days: &[DayInsight],
    ) -> Result<InsightTotals> {
        let total = |f: fn(&DayInsight) -> i64| days.iter().map(f).sum::<i64>();
        let members = days.last().map_or(0, |d| d.members);
        let active = self
            .insight_active(scope, range.from_day, range.to_day)
            .await?;
        Ok(InsightTotals {
            members,
            joins: total(|d| d.joins),
            leaves: total(|d| d.leaves),
            net_growth: total(|d| d.joins - d.leaves),
            active,
            posts: total(|d| d.posts),
            replies: total(|d| d.replies),
            reactions: total(|d| d.reactions),
            reports: total(|d| d.reports),
            engagement_percent: percent(active, members).unwrap_or(0.0),
        })
    }

    /// Daily, weekly and monthly active people up to `day`.
    pub async fn insight_active_windows(
        &self,
        scope: InsightScope,
        day: i64,
    ) -> Result<ActiveWindows> {
        Ok(ActiveWindows {
            daily: self.insight_active(scope, day, day).await?,
            weekly: self.insight_active(scope, day - 6, day).await?,
            monthly: self.insight_active(scope, day - 29, day).await?,
        })
    }

    /// Weekly cohorts of members who joined in `range` (weeks counted from its first day),
    /// with the share active 1, 4 and 12 weeks later, once those weeks are over.
    pub async fn insight_cohorts(
        &self,
        scope: InsightScope,
        range: InsightRange,
    ) -> Result<Vec<Cohort>> {
        let joins = format!(
            "SELECT hour / 24, {} FROM insight_hours WHERE {} AND hour >= $2 AND hour < $3 \
             GROUP BY hour / 24",
            sum("joins"),
            scope.filter("group_id")
        );
        let due = |kept: &str| sum(&format!("CASE WHEN {kept} IS NULL THEN 0 ELSE joined END"));
        let kept = format!(
            "SELECT day, {}, {}, {}, {}, {}, {} FROM insight_retention \
             WHERE {} AND day >= $2 AND day <= $3 GROUP BY day",
            due("kept_1"),
            sum("kept_1"),
            due("kept_4"),
            sum("kept_4"),
            due("kept_12"),
            sum("kept_12"),
            scope.filter("group_id")
        );
        type Kept = (i64, i64, i64, i64, i64, i64, i64);
        let (joins, kept): (Vec<(i64, i64)>, Vec<Kept>) = on_pool!(self, pool => (
            sqlx::query_as(&joins).bind(scope.bind()).bind(range.from_day * 24).bind((range.to_day + 1) * 24)
                .fetch_all(pool).await?,
            sqlx::query_as(&kept).bind(scope.bind()).bind(range.from_day).bind(range.to_day)
                .fetch_all(pool).await?,
        ));
        let week = |day: i64| (day - range.from_day).div_euclid(7);
        // Per week: joined, then (due, kept) after 1, 4 and 12 weeks.
        let mut weeks: BTreeMap<i64, (i64, [(i64, i64); 3])> = BTreeMap::new();
        for (day, n) in joins.into_iter().filter(|(_, n)| *n > 0) {
            weeks.entry(week(day)).or_default().0 += n;
        }
        for (day, due1, kept1, due4, kept4, due12, kept12) in kept {
            if let Some((_, later)) = weeks.get_mut(&week(day)) {
                for (slot, (due, kept)) in
                    later
                        .iter_mut()
                        .zip([(due1, kept1), (due4, kept4), (due12, kept12)])
                {
                    slot.0 += due;
                    slot.1 += kept;
                }
            }
        }
        Ok(weeks
            .into_iter()
            .map(|(week, (joined, [w1, w4, w12]))| Cohort {
                week_day: range.from_day + 7 * week,
                joined,
                week_1: percent(w1.1, w1.0),
                week_4: percent(w4.1, w4.0),
                week_12: percent(w12.1, w12.0),
            })
            .collect())
    }

    /// The threads started in `range` that drew the most replies (by number of replies, or of
    /// distinct repliers when `by_participants`), at most `limit`.
    pub async fn insight_top_threads(
        &self,
        scope: InsightScope,
        range: InsightRange,
        by_participants: bool,
        limit: i64,
    ) -> Result<Vec<ThreadInsight>> {
        let order = |t: &str| {
            let (first, second) = if by_participants {
                ("participants", "replies")
            } else {
                ("replies", "participants")
            };
            format!("{t}{first} DESC, {t}{second} DESC, {t}thread_id")
        };
        let (inner, outer) = (order(""), order("i."));
        let sql = format!(
            "SELECT t.id, t.ap_id, t.title, i.replies, i.participants FROM \
             (SELECT thread_id, replies, participants FROM insight_threads \
              WHERE {} AND replies > 0 AND NOT hidden AND published >= $2 AND published < $3 \
              ORDER BY {inner} LIMIT $4) i \
             JOIN posts t ON t.id = i.thread_id ORDER BY {outer}",
            scope.filter("group_id")
        );
        on_pool!(self, pool => Ok(sqlx::query_as(&sql)
            .bind(scope.bind()).bind(range.start_ms()).bind(range.end_ms()).bind(limit)
            .fetch_all(pool).await?))
    }

    /// Threads published in `range` with no reply, at least `hours` old at `now`: how many, and
    /// the newest `limit` of them.
    pub async fn insight_unanswered(
        &self,
        scope: InsightScope,
        range: InsightRange,
        hours: i64,
        now: i64,
        limit: i64,
    ) -> Result<(i64, Vec<UnansweredThread>)> {
        // The terms match the partial index of unanswered threads.
        let filter = format!(
            "FROM insight_threads WHERE {} AND replies = 0 AND NOT hidden \
             AND published >= $2 AND published < $3",
            scope.filter("group_id")
        );
        let count = format!("SELECT COUNT(*) {filter}");
        let list = format!(
            "SELECT t.id, t.ap_id, t.title, t.published FROM \
             (SELECT thread_id, published {filter} ORDER BY published DESC, thread_id DESC LIMIT $4) i \
             JOIN posts t ON t.id = i.thread_id ORDER BY i.published DESC, i.thread_id DESC"
        );
        let end = range.end_ms().min(now - hours * HOUR_MS);
        on_pool!(self, pool => Ok((
            sqlx::query_scalar(&count).bind(scope.bind()).bind(range.start_ms()).bind(end).fetch_one(pool).await?,
            sqlx::query_as(&list).bind(scope.bind()).bind(range.start_ms()).bind(end).bind(limit).fetch_all(pool).await?,
        )))
    }

    /// Posts, replies and reactions in `range` by hour of the day (UTC), all 24 hours.
    pub async fn insight_hours_of_day(
        &self,
        scope: InsightScope,
        range: InsightRange,
    ) -> Result<Vec<Tally>> {
        let sql = format!(
            "SELECT hour % 24, {} FROM insight_hours WHERE {} \
             AND hour >= $2 AND hour < $3 GROUP BY hour % 24",
            sum("posts + replies + reactions"),
            scope.filter("group_id")
        );
        let rows: Vec<(i64, i64)> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(scope.bind()).bind(range.from_day * 24).bind((range.to_day + 1) * 24)
            .fetch_all(pool).await?);
        let mut hours: Vec<Tally> = (0..24)
            .map(|h| Tally {
                label: format!("{h:02}:00"),
                count: 0,
            })
            .collect();
        for (hour, n) in rows {
            if let Some(t) = usize::try_from(hour).ok().and_then(|h| hours.get_mut(h)) {
                t.count = n;
            }
        }
        Ok(hours)
    }

    /// Today's members by instance, most first (memberships, for the whole instance); `new`
    /// marks instances whose first member joined in `range`.
    pub async fn insight_instances(
        &self,
        scope: InsightScope,
        range: InsightRange,
    ) -> Result<Vec<InstanceMembers>> {
        let sql = format!(
            "SELECT s.host, i.software, {}, MIN(s.first_joined) FROM insight_instances s \
             LEFT JOIN instances i ON i.host = s.host WHERE {} \
             GROUP BY s.host, i.software HAVING SUM(s.members) > 0 ORDER BY 3 DESC, s.host",
            sum("s.members"),
            scope.filter("s.group_id")
        );
        let rows: Vec<(String, Option<String>, i64, i64)> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(scope.bind()).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(host, software, members, first)| InstanceMembers {
                host,
                software,
                members,
                new: first >= range.start_ms() && first < range.end_ms(),
            })
            .collect())
    }

    /// How reports opened in `range` were handled, and the moderators' actions in it.
    pub async fn insight_moderation(
        &self,
        scope: InsightScope,
        range: InsightRange,
    ) -> Result<ModerationInsight> {
        let cases = format!(
            "SELECT c.created_at, c.closed_at, (SELECT MIN(m.at) FROM modlog m \
             WHERE m.group_id = c.group_id AND m.target = c.subject_ap_id AND m.at >= c.created_at) \
             FROM report_cases c WHERE {} AND c.created_at >= $2 AND c.created_at < $3",
            scope.filter("c.group_id")
        );
        let by_rule = format!(
            "SELECT COALESCE(r.short_name, 'no rule cited'), COUNT(*) FROM report_cases c \
             LEFT JOIN group_rules r ON r.id = c.rule_id \
             WHERE {} AND c.created_at >= $2 AND c.created_at < $3 \
             GROUP BY COALESCE(r.short_name, 'no rule cited') ORDER BY 2 DESC, 1",
            scope.filter("c.group_id")
        );
        let by = |column: &str| {
            format!(
                "SELECT {column}, COUNT(*) FROM modlog WHERE {} \
                 AND at >= $2 AND at < $3 GROUP BY {column} ORDER BY 2 DESC, 1",
                scope.filter("group_id")
            )
        };
        let (by_action, by_moderator) = (by("action"), by("actor"));
        let (start, end) = (range.start_ms(), range.end_ms());
        type CaseRow = (i64, Option<i64>, Option<i64>);
        type Counts = Vec<(String, i64)>;
        let (cases, by_rule, by_action, by_moderator): (Vec<CaseRow>, Counts, Counts, Counts) = on_pool!(self, pool => (
            sqlx::query_as(&cases).bind(scope.bind()).bind(start).bind(end).fetch_all(pool).await?,
            sqlx::query_as(&by_rule).bind(scope.bind()).bind(start).bind(end).fetch_all(pool).await?,
            sqlx::query_as(&by_action).bind(scope.bind()).bind(start).bind(end).fetch_all(pool).await?,
            sqlx::query_as(&by_moderator).bind(scope.bind()).bind(start).bind(end).fetch_all(pool).await?,
        ));
        let mut first_action: Vec<i64> = Vec::new();
        let mut resolution: Vec<i64> = Vec::new();
        for (opened, closed, acted) in &cases {
            let first = match (acted, closed) {
                (Some(a), Some(c)) => Some((*a).min(*c)),
                (a, c) => a.or(*c),
            };
            if let Some(at) = first {
                first_action.push(at - opened);
            }
            if let Some(at) = closed {
                resolution.push(at - opened);
            }
        }
        Ok(ModerationInsight {
            cases: cases.len() as i64,
            closed: resolution.len() as i64,
            first_action_median_ms: quantile(&mut first_action, 0.5),
            first_action_p90_ms: quantile(&mut first_action, 0.9),
            resolution_median_ms: quantile(&mut resolution, 0.5),
            resolution_p90_ms: quantile(&mut resolution, 0.9),
            by_rule: tallies(by_rule),
            by_action: tallies(by_action),
            by_moderator: tallies(by_moderator),
        })
    }

    /// Delivery health of the (at most `limit`) instances hosting the most members.
    pub async fn insight_delivery(
        &self,
        scope: InsightScope,
        now: i64,
        limit: i64,
    ) -> Result<Vec<DeliveryInsight>> {
        let sql = format!(
            "SELECT s.host, {}, COALESCE(MAX(i.delivered_count), 0), \
             (SELECT COUNT(*) FROM deliveries d WHERE d.host = s.host AND d.state = 'dead'), \
             (SELECT COUNT(*) FROM deliveries d WHERE d.host = s.host AND d.state = 'queued'), \
             (SELECT MIN(d.created_at) FROM deliveries d WHERE d.host = s.host AND d.state = 'queued') \
             FROM insight_instances s LEFT JOIN instances i ON i.host = s.host WHERE {} \
             GROUP BY s.host HAVING SUM(s.members) > 0 ORDER BY 2 DESC, s.host LIMIT $2",
            sum("s.members"),
            scope.filter("s.group_id")
        );
        type Row = (String, i64, i64, i64, i64, Option<i64>);
        let rows: Vec<Row> = on_pool!(self, pool => sqlx::query_as(&sql).bind(scope.bind()).bind(limit).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(
                |(host, members, delivered, dead, queued, oldest)| DeliveryInsight {
                    host,
                    members,
                    delivered,
                    dead,
                    queued,
                    success_percent: percent(delivered, delivered + dead),
                    lag_ms: oldest.map(|at| (now - at).max(0)),
                },
            )
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_outside_the_data_kept_are_refused() {
        let today = 20_000;
        assert!(InsightRange::new(today - 29, today, today).is_ok());
        assert_eq!(
            InsightRange::new(today, today - 1, today),
            Err(RangeError::Reversed)
        );
        assert_eq!(
            InsightRange::new(today, today + 1, today),
            Err(RangeError::Future)
        );
        assert!(matches!(
            InsightRange::new(today - INSIGHTS_KEPT_DAYS, today, today),
            Err(RangeError::TooOld { .. })
        ));
        assert_eq!(InsightRange::last_days(7, today).unwrap().days(), 7);
    }

    #[test]
    fn quantiles_use_the_nearest_rank() {
        let mut v = vec![5, 1, 4, 2, 3];
        assert_eq!(quantile(&mut v, 0.5), Some(3));
        assert_eq!(quantile(&mut v, 0.9), Some(5));
        assert_eq!(quantile(&mut [], 0.5), None);
        assert_eq!(percent(1, 3), Some(33.3));
    }
}
