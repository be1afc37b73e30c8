//! Reading the period asked for: `from`/`to` dates or a preset such as `30d`.

use hearth_storage::{InsightRange, RangeError};
use serde::Deserialize;

/// Days shown when no period is given.
const DEFAULT_DAYS: i64 = 30;

/// The period in a query string: `?period=7d`, or `?from=2026-01-01&to=2026-01-31`.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// First day, `YYYY-MM-DD` (UTC).
    pub from: Option<String>,
    /// Last day, included (default: today).
    pub to: Option<String>,
    /// The last N days up to today, e.g. `7d`, `30d`, `90d` (default `30d`; ignored with `from`).
    pub period: Option<String>,
}

/// Parses a preset such as `30d` into a number of days.
fn parse_period(text: &str) -> Result<i64, String> {
    text.trim()
        .strip_suffix('d')
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| *n >= 1)
        .ok_or_else(|| format!("{text:?} is not a period; write a number of days, like 30d"))
}

fn parse_day(text: &str) -> Result<i64, String> {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map(|d| {
            d.and_hms_opt(0, 0, 0)
                .unwrap_or_default()
                .and_utc()
                .timestamp()
                .div_euclid(86_400)
        })
        .map_err(|_| format!("{text:?} is not a date; write it as YYYY-MM-DD"))
}

fn out_of_range(err: RangeError) -> String {
    err.to_string()
}

impl RangeQuery {
    /// The range asked for, given today's day number; an error explains bad input, or a
    /// range outside the data kept.
    pub fn range(&self, today: i64) -> Result<InsightRange, String> {
        fn given(v: &Option<String>) -> Option<&str> {
            v.as_deref().filter(|v| !v.trim().is_empty())
        }
        match (given(&self.from), given(&self.to)) {
            (Some(from), to) => {
                let to = match to {
                    Some(to) => parse_day(to)?,
                    None => today,
                };
                InsightRange::new(parse_day(from)?, to, today).map_err(out_of_range)
            }
            (None, Some(_)) => Err("give `from` along with `to`".into()),
            (None, None) => {
                let days = match given(&self.period) {
                    Some(p) => parse_period(p)?,
                    None => DEFAULT_DAYS,
                };
                InsightRange::last_days(days, today).map_err(out_of_range)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(from: Option<&str>, to: Option<&str>, period: Option<&str>) -> RangeQuery {
        RangeQuery {
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
            period: period.map(str::to_owned),
        }
    }

    #[test]
    fn periods_and_dates_are_read() {
        let today = parse_day("2026-11-30").unwrap();
        let r = query(None, None, Some("7d")).range(today).unwrap();
        assert_eq!((r.from_day, r.to_day), (today - 6, today));
        let r = query(Some("2026-11-01"), Some("2026-11-10"), None)
            .range(today)
            .unwrap();
        assert_eq!(r.days(), 10);
        assert!(query(None, None, Some("week")).range(today).is_err());
        assert!(query(Some("yesterday"), None, None).range(today).is_err());
        assert!(query(None, Some("2026-11-01"), None).range(today).is_err());
        assert!(query(Some("2020-01-01"), None, None).range(today).is_err());
    }
}
