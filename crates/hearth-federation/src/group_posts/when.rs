//! Times and durations as staff type them: `2026-12-01 09:00` (UTC), `2026-12-01 09:00 +02:00`,
//! RFC 3339, and `3d`, `12h`, `30m`, `45s`.

use chrono::{DateTime, NaiveDateTime};

/// A point in time (ms since the epoch); without an offset it is UTC.
pub fn parse_time(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_millis());
    }
    for format in [
        "%Y-%m-%d %H:%M %:z",
        "%Y-%m-%d %H:%M:%S %:z",
        "%Y-%m-%d %H:%M%:z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Ok(t.timestamp_millis());
        }
    }
    for format in ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(t.and_utc().timestamp_millis());
        }
    }
    Err(format!(
        "{text:?} is not a time like \"2026-12-01 09:00\" (UTC) or \"2026-12-01 09:00 +02:00\""
    ))
}

/// A positive duration like `3d`, `12h`, `30m` or `45s`, in milliseconds.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit_ms = match &text[digits.len()..] {
        "d" => 86_400_000,
        "h" => 3_600_000,
        "m" => 60_000,
        "s" => 1_000,
        _ => {
            return Err(format!(
                "{text:?} is not a duration like 3d, 12h, 30m or 45s"
            ))
        }
    };
    match digits.parse::<i64>() {
        Ok(n) if n > 0 => Ok(n.saturating_mul(unit_ms)),
        _ => Err(format!(
            "{text:?} is not a positive duration like 3d, 12h, 30m or 45s"
        )),
    }
}

/// When a poll ends: `ends` is a duration from `now` or a time.
pub fn parse_end(ends: &str, now: i64) -> Result<i64, String> {
    parse_duration(ends)
        .map(|d| now + d)
        .or_else(|_| parse_time(ends))
        .map_err(|_| {
            format!("{ends:?} is neither a duration like 3d or 12h nor a time like \"2026-12-01 09:00\"")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_with_and_without_offsets() {
        let utc = parse_time("2026-12-01 09:00").unwrap();
        assert_eq!(parse_time("2026-12-01T09:00:00Z").unwrap(), utc);
        assert_eq!(parse_time("2026-12-01 11:00 +02:00").unwrap(), utc);
        assert!(parse_time("tomorrow").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("3d").unwrap(), 3 * 86_400_000);
        assert_eq!(parse_duration("45s").unwrap(), 45_000);
        for bad in ["", "0h", "-1h", "3w", "d"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_end("1h", 1000).unwrap(), 3_601_000);
    }
}
