//! One structured `tracing` event per call, target `transcript_snapshot`:
//! what a worker's log needs to follow a conversation across pods. Nothing
//! here ever sees a token; the descriptions come from the component, which
//! already keeps tokens out of every text it returns.

use crate::bindings::{ClearOutcome, Failure, HydrateOutcome, WriteOutcome};
use crate::display::Describe;
use std::fmt::Display;
use std::time::Duration;

/// The fields of one call's record.
struct Record<'a> {
    operation: &'static str,
    outcome: &'static str,
    bytes: Option<u64>,
    attempts: u32,
    status: Option<u16>,
    /// Set on failure: the error's description.
    error: Option<String>,
    /// WARN rather than INFO: the call did not do its job.
    warn: bool,
    message: &'a dyn Display,
}

impl Record<'_> {
    fn emit(self, elapsed: Duration) {
        let duration_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        // Two macros because a tracing event's level must be a constant.
        if self.warn {
            tracing::warn!(
                target: "transcript_snapshot",
                operation = self.operation,
                outcome = self.outcome,
                bytes = self.bytes,
                attempts = self.attempts,
                status = self.status,
                duration_ms,
                error = self.error.as_deref(),
                "{}",
                self.message
            );
        } else {
            tracing::info!(
                target: "transcript_snapshot",
                operation = self.operation,
                outcome = self.outcome,
                bytes = self.bytes,
                attempts = self.attempts,
                status = self.status,
                duration_ms,
                "{}",
                self.message
            );
        }
    }
}

/// The HTTP status a failure carries, when the gateway answered at all.
fn failure_status(f: &Failure) -> Option<u16> {
    match f.error {
        crate::bindings::Error::HttpStatus(s) => Some(s),
        _ => None,
    }
}

fn failed<'a>(operation: &'static str, f: &Failure, message: &'a dyn Display) -> Record<'a> {
    Record {
        operation,
        outcome: "failed",
        bytes: None,
        attempts: f.attempts,
        status: failure_status(f),
        error: Some(Describe(&f.error).to_string()),
        warn: true,
        message,
    }
}

pub fn hydrate(outcome: &Result<HydrateOutcome, Failure>, elapsed: Duration) {
    let message = match outcome {
        Ok(o) => o.to_string(),
        Err(f) => format!("hydrate failed: {}", crate::DescribeFailure(f)),
    };
    let record = match outcome {
        Ok(HydrateOutcome::Hydrated(h)) => Record {
            operation: "hydrate",
            outcome: "hydrated",
            bytes: Some(h.bytes),
            attempts: h.attempts,
            status: Some(200),
            error: None,
            warn: false,
            message: &message,
        },
        Ok(HydrateOutcome::NoSnapshot(n)) => Record {
            operation: "hydrate",
            outcome: "no-snapshot",
            bytes: None,
            attempts: *n,
            status: Some(404),
            error: None,
            warn: false,
            message: &message,
        },
        Ok(HydrateOutcome::UpToDate(n)) => Record {
            operation: "hydrate",
            outcome: "up-to-date",
            bytes: None,
            attempts: *n,
            status: Some(304),
            error: None,
            warn: false,
            message: &message,
        },
        Err(f) => failed("hydrate", f, &message),
    };
    record.emit(elapsed);
}

pub fn write(outcome: &WriteOutcome, elapsed: Duration) {
    let message = outcome.to_string();
    let plain = |outcome, bytes, attempts, status| Record {
        operation: "write",
        outcome,
        bytes,
        attempts,
        status,
        error: None,
        warn: false,
        message: &message,
    };
    let record = match outcome {
        WriteOutcome::Stored(s) => plain("stored", Some(s.bytes), s.attempts, Some(s.status)),
        WriteOutcome::Duplicate(n) => plain("duplicate", None, *n, Some(409)),
        // Another pod continued the conversation: an operator wants to see it.
        WriteOutcome::Diverged(d) => Record {
            warn: true,
            ..plain("diverged", None, d.attempts, Some(412))
        },
        // Nothing was sent: no attempts, no status.
        WriteOutcome::Skipped(_) => plain("skipped", None, 0, None),
        WriteOutcome::TooLarge(t) => Record {
            warn: true,
            ..plain("too-large", Some(t.size), 0, None)
        },
        WriteOutcome::Failed(f) => failed("write", f, &message),
    };
    record.emit(elapsed);
}

pub fn clear(outcome: &ClearOutcome, elapsed: Duration) {
    let message = outcome.to_string();
    let record = match outcome {
        ClearOutcome::Cleared(c) => Record {
            operation: "clear",
            outcome: "cleared",
            bytes: None,
            attempts: c.attempts,
            status: Some(c.status),
            error: None,
            warn: false,
            message: &message,
        },
        ClearOutcome::Failed(f) => failed("clear", f, &message),
    };
    record.emit(elapsed);
}

/// The call never finished: the component trapped or could not start.
pub fn trapped(operation: &'static str, error: &dyn Display, elapsed: Duration) {
    let message = format!("{operation} did not run to completion: {error}");
    Record {
        operation,
        outcome: "failed",
        bytes: None,
        attempts: 0,
        status: None,
        error: Some(error.to_string()),
        warn: true,
        message: &message,
    }
    .emit(elapsed);
}
