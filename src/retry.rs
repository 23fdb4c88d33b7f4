//! When to try again, and how long to wait: the AWS SDKs' "standard" retry
//! mode (full-jitter exponential backoff, transient failures only) within
//! the call's overall deadline.

use crate::types::{Error, TimeoutKind, TransportKind};

/// Retry settings with their defaults filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub max_attempts: u32,
    pub base_ms: u32,
    pub cap_ms: u32,
}

pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
pub const DEFAULT_BASE_MS: u32 = 200;
pub const DEFAULT_CAP_MS: u32 = 5_000;

/// Whether trying again could succeed. Never for 4xx other than 429, nor for
/// anything local (input, files, limits), nor once the call's deadline is spent.
pub fn is_transient(e: &Error) -> bool {
    match e {
        Error::HttpStatus(s) => matches!(s, 429 | 500 | 502 | 503 | 504),
        Error::Transport(t) => matches!(
            t.kind,
            TransportKind::ConnectionRefused
                | TransportKind::ConnectionReset
                | TransportKind::Protocol
        ),
        Error::Timeout(k) => *k != TimeoutKind::Deadline,
        Error::LengthMismatch(_) => true,
        _ => false,
    }
}

/// What to do after attempt `attempt` (1-based) failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Wait this many milliseconds, then try again.
    RetryAfter(u64),
    Stop,
}

/// The full-jitter backoff before attempt `attempt + 1`: uniform in
/// `[0, min(cap, base * 2^(attempt-1))]`, drawn from `random`.
pub fn backoff_ms(p: &Policy, attempt: u32, random: u64) -> u64 {
    let exp = attempt.saturating_sub(1).min(32);
    let ceiling = u64::from(p.base_ms)
        .saturating_mul(1u64 << exp)
        .min(u64::from(p.cap_ms));
    random % (ceiling + 1)
}

/// Decides on a retry. `retry_after_s` is a `retry-after` the gateway sent;
/// `remaining_ms` is what is left of the call's deadline.
pub fn decide(
    p: &Policy,
    attempt: u32,
    e: &Error,
    retry_after_s: Option<u64>,
    random: u64,
    remaining_ms: u64,
) -> Decision {
    if attempt >= p.max_attempts || !is_transient(e) {
        return Decision::Stop;
    }
    let wait = match retry_after_s {
        // Honour the gateway's wait exactly, or not at all.
        Some(s) if s.saturating_mul(1000) > u64::from(p.cap_ms) => return Decision::Stop,
        Some(s) => s * 1000,
        None => backoff_ms(p, attempt, random),
    };
    // A wait that outlasts the deadline leaves no time for the attempt.
    if wait >= remaining_ms {
        return Decision::Stop;
    }
    Decision::RetryAfter(wait)
}

/// Parses `retry-after` as delta-seconds; an HTTP-date is ignored (backoff applies).
pub fn parse_retry_after(value: &[u8]) -> Option<u64> {
    let text = core::str::from_utf8(value).ok()?.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{LengthMismatch, SizeLimit, TransportError};
    use proptest::prelude::*;

    const P: Policy = Policy {
        max_attempts: 3,
        base_ms: 200,
        cap_ms: 5_000,
    };

    fn transport(kind: TransportKind) -> Error {
        Error::Transport(TransportError {
            kind,
            detail: "x".into(),
        })
    }

    #[test]
    fn transient_means_throttling_5xx_connection_and_timeouts() {
        for s in [429, 500, 502, 503, 504] {
            assert!(is_transient(&Error::HttpStatus(s)), "{s}");
        }
        for s in [400, 401, 403, 404, 409, 413, 501] {
            assert!(!is_transient(&Error::HttpStatus(s)), "{s}");
        }
        assert!(is_transient(&transport(TransportKind::ConnectionRefused)));
        assert!(is_transient(&transport(TransportKind::ConnectionReset)));
        assert!(!is_transient(&transport(TransportKind::Dns)));
        assert!(!is_transient(&transport(TransportKind::Tls)));
        assert!(is_transient(&Error::Timeout(TimeoutKind::FirstByte)));
        assert!(!is_transient(&Error::Timeout(TimeoutKind::Deadline)));
        assert!(is_transient(&Error::LengthMismatch(LengthMismatch {
            expected: 2,
            received: 1
        })));
        assert!(!is_transient(&Error::TooLarge(SizeLimit {
            size: 2,
            limit: 1
        })));
        assert!(!is_transient(&Error::Denied));
        assert!(!is_transient(&Error::InvalidInput("x".into())));
    }

    #[test]
    fn stops_at_max_attempts_and_on_permanent_errors() {
        let e = Error::HttpStatus(503);
        assert_eq!(decide(&P, 1, &e, None, 0, 60_000), Decision::RetryAfter(0));
        assert_eq!(decide(&P, 3, &e, None, 0, 60_000), Decision::Stop);
        assert_eq!(
            decide(&P, 1, &Error::HttpStatus(401), None, 0, 60_000),
            Decision::Stop
        );
        let once = Policy {
            max_attempts: 1,
            ..P
        };
        assert_eq!(decide(&once, 1, &e, None, 0, 60_000), Decision::Stop);
    }

    #[test]
    fn honours_retry_after_up_to_the_cap_and_the_deadline() {
        let e = Error::HttpStatus(429);
        assert_eq!(
            decide(&P, 1, &e, Some(2), 99, 60_000),
            Decision::RetryAfter(2_000)
        );
        assert_eq!(
            decide(&P, 1, &e, Some(6), 99, 60_000),
            Decision::Stop,
            "over the cap"
        );
        assert_eq!(
            decide(&P, 1, &e, Some(2), 99, 1_500),
            Decision::Stop,
            "past the deadline"
        );
        assert_eq!(parse_retry_after(b" 3 "), Some(3));
        assert_eq!(parse_retry_after(b"Wed, 21 Oct 2026 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after(b"-1"), None);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        // The largest draw shows the ceiling: base, 2 base, 4 base… capped.
        let ceiling = |attempt| backoff_ms(&P, attempt, u64::MAX - 1);
        assert!(ceiling(1) <= 200 && ceiling(2) <= 400 && ceiling(3) <= 800);
        assert_eq!(backoff_ms(&P, 1, 200), 200);
        assert_eq!(backoff_ms(&P, 2, 400), 400);
        assert_eq!(backoff_ms(&P, 10, 5_000), 5_000);
        assert_eq!(backoff_ms(&P, 10, 5_001), 0);
    }

    proptest! {
        /// Any attempt and draw: the wait is within [0, min(cap, base * 2^(n-1))].
        #[test]
        fn backoff_stays_in_range(attempt in 1u32..200, random in any::<u64>(), base in 0u32..10_000, cap in 0u32..100_000) {
            let p = Policy { max_attempts: 5, base_ms: base, cap_ms: cap };
            let wait = backoff_ms(&p, attempt, random);
            let bound = u64::from(base).saturating_mul(1u64 << (attempt - 1).min(32)).min(u64::from(cap));
            prop_assert!(wait <= bound);
        }

        #[test]
        fn retry_after_parse_is_total(v in proptest::collection::vec(any::<u8>(), 0..16)) {
            let _ = parse_retry_after(&v);
        }
    }
}
