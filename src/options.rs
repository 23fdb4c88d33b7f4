//! Per-call options: defaults, checks, and the deadlines they turn into.

use crate::retry::{Policy, DEFAULT_BASE_MS, DEFAULT_CAP_MS, DEFAULT_MAX_ATTEMPTS};
use crate::types::Options;
use alloc::string::{String, ToString};

/// Default overall deadline of `hydrate` and `clear` (as the reference client).
pub const DEFAULT_READ_TIMEOUT_MS: u32 = 30_000;
/// Default overall deadline of `write`: snapshots can be large.
pub const DEFAULT_WRITE_TIMEOUT_MS: u32 = 60_000;
/// The gateway answers 413 above this many bytes of snapshot.
pub const DEFAULT_MAX_WRITE_BYTES: u64 = 4 * 1024 * 1024;
/// Largest snapshot `hydrate` accepts unless told otherwise.
pub const DEFAULT_MAX_HYDRATE_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Hydrate,
    Write,
    Clear,
}

/// Options with every default filled in. Times are in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    pub timeout_ms: u32,
    pub connect_timeout_ms: u32,
    pub first_byte_timeout_ms: u32,
    pub between_bytes_timeout_ms: u32,
    pub max_write_bytes: u64,
    pub max_hydrate_bytes: u64,
    pub retry: Policy,
    /// Send and remember snapshot versions (default on).
    pub use_validators: bool,
}

fn positive<T: PartialEq + Default + Copy>(
    value: Option<T>,
    name: &str,
) -> Result<Option<T>, String> {
    match value {
        Some(v) if v == T::default() => Err(name.to_string() + " must be greater than 0"),
        other => Ok(other),
    }
}

/// Fills in the defaults for `op` and rejects zero timeouts or limits.
pub fn resolve(op: Operation, o: &Options) -> Result<Resolved, String> {
    let default_timeout = match op {
        Operation::Write => DEFAULT_WRITE_TIMEOUT_MS,
        Operation::Hydrate | Operation::Clear => DEFAULT_READ_TIMEOUT_MS,
    };
    let timeout_ms = positive(o.timeout_ms, "timeout-ms")?.unwrap_or(default_timeout);
    // A phase timeout longer than the whole call could never fire first.
    let phase = |v: Option<u32>, name: &str| -> Result<u32, String> {
        Ok(positive(v, name)?.unwrap_or(timeout_ms).min(timeout_ms))
    };
    Ok(Resolved {
        timeout_ms,
        connect_timeout_ms: phase(o.connect_timeout_ms, "connect-timeout-ms")?,
        first_byte_timeout_ms: phase(o.first_byte_timeout_ms, "first-byte-timeout-ms")?,
        between_bytes_timeout_ms: phase(o.between_bytes_timeout_ms, "between-bytes-timeout-ms")?,
        max_write_bytes: positive(o.max_write_bytes, "max-write-bytes")?
            .unwrap_or(DEFAULT_MAX_WRITE_BYTES),
        max_hydrate_bytes: positive(o.max_hydrate_bytes, "max-hydrate-bytes")?
            .unwrap_or(DEFAULT_MAX_HYDRATE_BYTES),
        retry: Policy {
            max_attempts: positive(o.max_attempts, "max-attempts")?.unwrap_or(DEFAULT_MAX_ATTEMPTS),
            // A zero base or cap is allowed: retry at once.
            base_ms: o.retry_base_ms.unwrap_or(DEFAULT_BASE_MS),
            cap_ms: o.retry_cap_ms.unwrap_or(DEFAULT_CAP_MS),
        },
        use_validators: o.use_validators.unwrap_or(true),
    })
}

/// Milliseconds to the nanoseconds wasi:clocks counts in.
pub fn ms_to_ns(ms: u32) -> u64 {
    u64::from(ms) * 1_000_000
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> Options {
        Options {
            timeout_ms: None,
            connect_timeout_ms: None,
            first_byte_timeout_ms: None,
            between_bytes_timeout_ms: None,
            max_write_bytes: None,
            max_hydrate_bytes: None,
            max_attempts: None,
            retry_base_ms: None,
            retry_cap_ms: None,
            use_validators: None,
        }
    }

    #[test]
    fn defaults_follow_the_reference_client() {
        let h = resolve(Operation::Hydrate, &none()).unwrap();
        assert_eq!(h.timeout_ms, 30_000);
        assert_eq!(h.connect_timeout_ms, 30_000);
        assert_eq!(h.between_bytes_timeout_ms, 30_000);
        assert_eq!(
            resolve(Operation::Clear, &none()).unwrap().timeout_ms,
            30_000
        );
        let w = resolve(Operation::Write, &none()).unwrap();
        assert_eq!(w.timeout_ms, 60_000);
        assert_eq!(w.max_write_bytes, 4_194_304);
        assert_eq!(w.max_hydrate_bytes, 67_108_864);
        assert_eq!(
            (w.retry.max_attempts, w.retry.base_ms, w.retry.cap_ms),
            (3, 200, 5_000)
        );
        assert!(w.use_validators);
        let off = Options {
            use_validators: Some(false),
            ..none()
        };
        assert!(!resolve(Operation::Hydrate, &off).unwrap().use_validators);
    }

    #[test]
    fn phases_are_capped_by_the_overall_deadline() {
        let o = Options {
            timeout_ms: Some(500),
            first_byte_timeout_ms: Some(10_000),
            between_bytes_timeout_ms: Some(100),
            ..none()
        };
        let r = resolve(Operation::Hydrate, &o).unwrap();
        assert_eq!(
            (r.first_byte_timeout_ms, r.between_bytes_timeout_ms),
            (500, 100)
        );
    }

    #[test]
    fn zero_is_rejected_by_name() {
        let e = resolve(
            Operation::Write,
            &Options {
                max_write_bytes: Some(0),
                ..none()
            },
        );
        assert_eq!(e.unwrap_err(), "max-write-bytes must be greater than 0");
        let e = resolve(
            Operation::Clear,
            &Options {
                connect_timeout_ms: Some(0),
                ..none()
            },
        );
        assert_eq!(e.unwrap_err(), "connect-timeout-ms must be greater than 0");
    }
}
