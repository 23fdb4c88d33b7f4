//! One-line, human-readable descriptions of outcomes, for logs. The
//! component already keeps tokens out of every text it returns.

use crate::bindings::Failure;
use crate::bindings::{
    ClearOutcome, Error, HydrateOutcome, SkipReason, TimeoutKind, TransportKind, WriteOutcome,
};
use std::fmt;

impl fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutKind::Connect => "connecting",
            TimeoutKind::FirstByte => "waiting for the response",
            TimeoutKind::BetweenBytes => "waiting for more of the body",
            TimeoutKind::Deadline => "overall deadline",
        })
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportKind::Dns => "DNS lookup failed",
            TransportKind::ConnectionRefused => "connection refused",
            TransportKind::ConnectionReset => "connection reset",
            TransportKind::Tls => "TLS failed",
            TransportKind::Protocol => "HTTP protocol error",
            TransportKind::Other => "transport error",
        })
    }
}

/// A readable sentence for an error (bindgen's own `Display` for the WIT
/// `error` type prints its debug form).
pub struct Describe<'a>(pub &'a Error);

impl fmt::Display for Describe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Error::InvalidInput(m) => write!(f, "invalid input: {m}"),
            Error::NotPreopened(p) => write!(f, "{p} is under no preopened directory"),
            Error::HttpStatus(s) => write!(f, "gateway answered HTTP {s}"),
            Error::Denied => f.write_str("the host refused to send the request"),
            Error::Transport(t) => write!(f, "{} ({})", t.kind, t.detail),
            Error::Timeout(k) => write!(f, "timed out ({k})"),
            Error::LengthMismatch(l) => write!(
                f,
                "body of {} bytes does not match its content-length of {}",
                l.received, l.expected
            ),
            Error::TooLarge(s) => write!(
                f,
                "snapshot of {} bytes is over the limit of {}",
                s.size, s.limit
            ),
            Error::Filesystem(e) => write!(f, "could not {} ({})", e.operation, e.code),
            Error::InvalidUtf8(o) => write!(
                f,
                "session file is not UTF-8 (first bad byte at offset {o})"
            ),
            Error::FileChanged => {
                f.write_str("session file changed while it was being sent; nothing stored")
            }
            Error::DigestMismatch => f.write_str(
                "snapshot body does not match the digest the gateway sent; session file kept",
            ),
        }
    }
}

/// "after N attempts" when a call retried.
fn tries(n: u32) -> String {
    if n > 1 {
        format!(" after {n} attempts")
    } else {
        String::new()
    }
}

/// A readable sentence for a failure, with its attempt count when it retried.
pub struct DescribeFailure<'a>(pub &'a Failure);

impl fmt::Display for DescribeFailure<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", Describe(&self.0.error), tries(self.0.attempts))
    }
}

impl fmt::Display for HydrateOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HydrateOutcome::Hydrated(h) => {
                write!(f, "hydrated {} bytes{}", h.bytes, tries(h.attempts))
            }
            HydrateOutcome::NoSnapshot(_) => f.write_str("no snapshot; session file untouched"),
            HydrateOutcome::UpToDate(_) => {
                f.write_str("session file already holds the latest snapshot (HTTP 304)")
            }
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SkipReason::NotCompleted => "run not completed",
            SkipReason::NoRunBinding => "no run binding",
            SkipReason::SessionFileMissing => "no session file",
            SkipReason::SessionFileEmpty => "session file empty",
        })
    }
}

impl fmt::Display for WriteOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteOutcome::Stored(s) => write!(
                f,
                "stored {} bytes (HTTP {}){}",
                s.bytes,
                s.status,
                tries(s.attempts)
            ),
            WriteOutcome::Duplicate(n) => {
                write!(f, "already stored for this run (HTTP 409){}", tries(*n))
            }
            WriteOutcome::Diverged(d) => match d.latest_run_id {
                Some(run) => write!(
                    f,
                    "not stored: run {run} stored a newer snapshot since this file's version (HTTP 412){}",
                    tries(d.attempts)
                ),
                None => write!(
                    f,
                    "not stored: another snapshot is the latest since this file's version (HTTP 412){}",
                    tries(d.attempts)
                ),
            },
            WriteOutcome::Skipped(r) => write!(f, "skipped ({r}); nothing sent"),
            WriteOutcome::TooLarge(s) => write!(
                f,
                "session file of {} bytes is over the limit of {}; nothing sent",
                s.size, s.limit
            ),
            WriteOutcome::Failed(e) => write!(f, "write failed: {}", DescribeFailure(e)),
        }
    }
}

impl fmt::Display for ClearOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClearOutcome::Cleared(c) => match c.deleted {
                Some(n) => write!(
                    f,
                    "cleared (HTTP {}, {n} deleted){}",
                    c.status,
                    tries(c.attempts)
                ),
                None => write!(f, "cleared (HTTP {}){}", c.status, tries(c.attempts)),
            },
            ClearOutcome::Failed(e) => write!(f, "clear failed: {}", DescribeFailure(e)),
        }
    }
}
