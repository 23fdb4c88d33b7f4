//! Time limits the guest enforces itself: the call's overall deadline, and a
//! per-phase limit on each wait (first byte, between bytes). Hosts get the
//! same limits as wasi:http request options, plus a margin, as a backstop:
//! some hosts cut the connection when their timer fires (jco reports that as
//! a short body) or measure phases differently, so the guest's own timers
//! decide, and every host reports the same timeout.

use crate::options::{ms_to_ns, Resolved};
use crate::types::{Error, TimeoutKind};
use wasi::clocks::monotonic_clock;
use wasi::io::poll::{poll, Pollable};

/// How much later than the guest's own timers the host's fire.
pub const HOST_MARGIN_MS: u32 = 1_000;

/// A wait's own limit: how long, and which timeout it is.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub ms: u32,
    pub kind: TimeoutKind,
}

/// The instant a whole call must be finished by.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    at: monotonic_clock::Instant,
}

impl Deadline {
    pub fn after_ms(ms: u32) -> Self {
        Self {
            at: monotonic_clock::now().saturating_add(ms_to_ns(ms)),
        }
    }

    pub fn remaining_ns(&self) -> u64 {
        self.at.saturating_sub(monotonic_clock::now())
    }

    pub fn remaining_ms(&self) -> u64 {
        self.remaining_ns() / 1_000_000
    }

    /// A host timeout that lands once the call's own deadline has passed is
    /// the deadline: both timers were due, whichever woke the guest first.
    pub fn explain(&self, e: Error) -> Error {
        match e {
            Error::Timeout(_) if self.remaining_ns() == 0 => Error::Timeout(TimeoutKind::Deadline),
            other => other,
        }
    }

    /// Sleeps `ms`, or until the deadline if that comes first.
    pub fn sleep_ms(&self, ms: u64) {
        let ns = ms.saturating_mul(1_000_000).min(self.remaining_ns());
        monotonic_clock::subscribe_duration(ns).block();
    }

    /// Blocks until `ready` fires. Fails with the limit's timeout when the
    /// wait outlasts it, or with the deadline's when that comes first.
    pub fn wait(&self, ready: &Pollable, limit: Limit) -> Result<(), Error> {
        let until = monotonic_clock::now().saturating_add(ms_to_ns(limit.ms));
        self.wait_until(ready, until, limit.kind)
    }

    /// Like [`Deadline::wait`], with the limit as an instant (`kind` names it).
    /// The clock is checked even when `ready` says yes at once: some hosts
    /// (jco) report a stream ready that has nothing to read, and callers poll
    /// again, so this is where their timeouts are noticed.
    pub fn wait_until(
        &self,
        ready: &Pollable,
        until: monotonic_clock::Instant,
        kind: TimeoutKind,
    ) -> Result<(), Error> {
        let now = monotonic_clock::now();
        if now >= self.at {
            return Err(Error::Timeout(TimeoutKind::Deadline));
        }
        if now >= until {
            return Err(Error::Timeout(kind));
        }
        if ready.ready() {
            return Ok(());
        }
        let deadline = monotonic_clock::subscribe_instant(self.at);
        let fired = if until < self.at {
            let limit = monotonic_clock::subscribe_instant(until);
            poll(&[ready, &deadline, &limit])
        } else {
            poll(&[ready, &deadline])
        };
        // Readiness wins a tie: data that arrived is progress.
        if fired.contains(&0) {
            Ok(())
        } else if fired.contains(&1) {
            Err(Error::Timeout(TimeoutKind::Deadline))
        } else {
            Err(Error::Timeout(kind))
        }
    }

    /// A short pause, for hosts whose readiness cannot be trusted: better
    /// than spinning on a stream that says ready and yields nothing.
    pub fn pause(&self) {
        monotonic_clock::subscribe_duration(SPURIOUS_PAUSE_NS.min(self.remaining_ns())).block();
    }
}

/// How long to pause after a stream said ready but had nothing.
const SPURIOUS_PAUSE_NS: u64 = 1_000_000;

/// A call's clock: its deadline, and the limit of each kind of wait.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub deadline: Deadline,
    pub first_byte: Limit,
    pub between_bytes: Limit,
}

impl Timing {
    /// Starts the clock of a call with these options.
    pub fn start(options: &Resolved) -> Self {
        Self {
            deadline: Deadline::after_ms(options.timeout_ms),
            first_byte: Limit {
                ms: options.first_byte_timeout_ms,
                kind: TimeoutKind::FirstByte,
            },
            between_bytes: Limit {
                ms: options.between_bytes_timeout_ms,
                kind: TimeoutKind::BetweenBytes,
            },
        }
    }
}
