//! The retry loop: attempts until success, a permanent failure, the retry
//! policy's limit, or the call's deadline.

use super::deadline::Deadline;
use crate::retry::{self, Decision, Policy};
use crate::types::{Error, Failure};

/// One attempt's failure, with the `retry-after` seconds the gateway sent.
#[derive(Debug)]
pub struct AttemptError {
    pub error: Error,
    pub retry_after: Option<u64>,
}

impl From<Error> for AttemptError {
    fn from(error: Error) -> Self {
        Self {
            error,
            retry_after: None,
        }
    }
}

/// A failure before anything was sent.
pub fn before_sending(error: Error) -> Failure {
    Failure { error, attempts: 0 }
}

/// Runs `attempt` until it returns `Ok` or the policy stops; returns the
/// value or the last failure, with the attempt count.
pub fn run<T>(
    policy: &Policy,
    deadline: &Deadline,
    mut attempt: impl FnMut() -> Result<T, AttemptError>,
) -> Result<(T, u32), Failure> {
    let mut n = 1;
    loop {
        match attempt() {
            Ok(value) => return Ok((value, n)),
            Err(e) => {
                let random = wasi::random::insecure::get_insecure_random_u64();
                match retry::decide(
                    policy,
                    n,
                    &e.error,
                    e.retry_after,
                    random,
                    deadline.remaining_ms(),
                ) {
                    Decision::Stop => {
                        return Err(Failure {
                            error: e.error,
                            attempts: n,
                        })
                    }
                    Decision::RetryAfter(ms) => {
                        deadline.sleep_ms(ms);
                        n += 1;
                    }
                }
            }
        }
    }
}
