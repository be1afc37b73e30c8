//! What the command line, the API and the pages share about moderating groups: the times a
//! moderator types, the file of a report case, and the modlog as each reader may see it.

pub mod case_file;
pub mod modlog;

/// Milliseconds in a day.
const DAY_MS: i64 = 86_400_000;

/// An RFC 3339 time such as `2027-01-31T12:00:00Z`, as milliseconds since the epoch.
pub fn parse_time(text: &str) -> Result<i64, String> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.timestamp_millis())
        .map_err(|_| format!("{text:?} is not a time like 2027-01-31T12:00:00Z"))
}

/// The moment `days` days from now (ms), for a ban that lasts that long.
pub fn days_from_now(days: i64) -> i64 {
    hearth_storage::now_ms().saturating_add(days.saturating_mul(DAY_MS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc_3339() {
        assert_eq!(parse_time("1970-01-01T00:00:01Z"), Ok(1000));
        assert_eq!(parse_time(" 1970-01-01T01:00:00+01:00 "), Ok(0));
        let err = parse_time("tomorrow").unwrap_err();
        assert!(err.contains("2027-01-31T12:00:00Z"), "{err}");
    }

    #[test]
    fn days_count_from_now() {
        let later = days_from_now(2) - hearth_storage::now_ms();
        assert!((2 * DAY_MS - 1000..=2 * DAY_MS).contains(&later), "{later}");
    }
}
