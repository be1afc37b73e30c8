//! What a delivery attempt's result means, and when to try again.

use std::time::Duration;

use rand::Rng;

/// The meaning of one attempt's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered (2xx).
    Delivered,
    /// Worth retrying: 5xx, 408, 429, 3xx or a network failure. `retry_after` from the peer.
    Retry {
        /// Why.
        error: String,
        /// The peer's `Retry-After`, if given.
        retry_after: Option<Duration>,
    },
    /// Final: the peer refused it for good (other 4xx), or the URL is not allowed.
    Refused(String),
}

/// Classifies an HTTP status.
pub fn classify(status: u16, retry_after: Option<Duration>) -> Outcome {
    match status {
        200..=299 => Outcome::Delivered,
        408 | 429 | 300..=399 | 500..=599 => Outcome::Retry {
            error: format!("HTTP {status}"),
            retry_after,
        },
        _ => Outcome::Refused(format!("HTTP {status}")),
    }
}

/// The delay before attempt `attempt` (1 for the first retry): `base · 2^(attempt-1)`, at most
/// `max`, with ±20 % jitter so that many jobs do not retry in lockstep.
pub fn retry_delay(attempt: i64, base: Duration, max: Duration) -> Duration {
    let exponent = attempt.clamp(1, 30) - 1;
    let raw = base
        .saturating_mul(1u32 << exponent.min(20) as u32)
        .min(max);
    let jitter = rand::rng().random_range(0.8..1.2);
    raw.mul_f64(jitter).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified_like_mastodon_does() {
        assert_eq!(classify(202, None), Outcome::Delivered);
        for retry in [500, 502, 503, 408, 429, 301] {
            assert!(
                matches!(classify(retry, None), Outcome::Retry { .. }),
                "{retry}"
            );
        }
        for refused in [400, 401, 403, 404, 410, 422] {
            assert!(
                matches!(classify(refused, None), Outcome::Refused(_)),
                "{refused}"
            );
        }
    }

    #[test]
    fn delays_grow_and_stop_at_the_maximum() {
        let base = Duration::from_secs(30);
        let max = Duration::from_secs(3600);
        let first = retry_delay(1, base, max);
        assert!(first >= Duration::from_secs(24) && first <= Duration::from_secs(36));
        let fourth = retry_delay(4, base, max);
        assert!(fourth >= Duration::from_secs(192) && fourth <= Duration::from_secs(288));
        assert!(retry_delay(40, base, max) <= max);
    }
}
