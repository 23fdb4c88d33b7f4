//! Body length accounting: `content-length` parsing and the running count
//! that enforces it and the size limit. wasmtime's client does not check a
//! response's length against its header, so the component does.

use crate::types::{Error, LengthMismatch, SizeLimit, TransportError, TransportKind};
use alloc::string::ToString;

/// Parses every `content-length` value of a response. `Ok(None)` when absent.
/// Repeated values must agree (RFC 9110 §8.6); anything else is a protocol error.
pub fn parse_content_length<V: AsRef<[u8]>>(values: &[V]) -> Result<Option<u64>, Error> {
    let mut found: Option<u64> = None;
    for value in values {
        let text = core::str::from_utf8(value.as_ref()).map_err(|_| bad_length())?;
        for part in text.split(',') {
            let part = part.trim();
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad_length());
            }
            let n: u64 = part.parse().map_err(|_| bad_length())?;
            if found.is_some_and(|f| f != n) {
                return Err(bad_length());
            }
            found = Some(n);
        }
    }
    Ok(found)
}

fn bad_length() -> Error {
    Error::Transport(TransportError {
        kind: TransportKind::Protocol,
        detail: "invalid content-length header".to_string(),
    })
}

/// Counts body bytes as they arrive and stops at the first byte too many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyCounter {
    expected: Option<u64>,
    limit: u64,
    received: u64,
}

impl BodyCounter {
    /// Fails at once when the announced length is over the limit.
    pub fn new(expected: Option<u64>, limit: u64) -> Result<Self, Error> {
        if let Some(size) = expected.filter(|&e| e > limit) {
            return Err(Error::TooLarge(SizeLimit { size, limit }));
        }
        Ok(Self {
            expected,
            limit,
            received: 0,
        })
    }

    pub fn received(&self) -> u64 {
        self.received
    }

    /// Accounts for `n` more bytes: an error as soon as the body is longer
    /// than announced or than the limit.
    pub fn add(&mut self, n: usize) -> Result<(), Error> {
        self.received = self.received.saturating_add(n as u64);
        if let Some(expected) = self.expected.filter(|&e| self.received > e) {
            return Err(Error::LengthMismatch(LengthMismatch {
                expected,
                received: self.received,
            }));
        }
        if self.received > self.limit {
            return Err(Error::TooLarge(SizeLimit {
                size: self.received,
                limit: self.limit,
            }));
        }
        Ok(())
    }

    /// Explains a failure while reading: a connection that dies before the
    /// announced length arrived is a body that ended short.
    pub fn explain(&self, e: Error) -> Error {
        match (&e, self.expected) {
            (Error::Transport(t), Some(expected))
                if self.received < expected
                    && matches!(
                        t.kind,
                        TransportKind::ConnectionReset | TransportKind::Protocol
                    ) =>
            {
                Error::LengthMismatch(LengthMismatch {
                    expected,
                    received: self.received,
                })
            }
            _ => e,
        }
    }

    /// At the end of the body: the count must equal the announced length.
    pub fn finish(&self) -> Result<u64, Error> {
        match self.expected {
            Some(expected) if expected != self.received => {
                Err(Error::LengthMismatch(LengthMismatch {
                    expected,
                    received: self.received,
                }))
            }
            _ => Ok(self.received),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_single_repeated_and_absent() {
        assert_eq!(parse_content_length::<&[u8]>(&[]).unwrap(), None);
        assert_eq!(parse_content_length(&[b"42"]).unwrap(), Some(42));
        assert_eq!(
            parse_content_length(&[&b"42, 42"[..], b"42"]).unwrap(),
            Some(42)
        );
        for bad in [
            &b""[..],
            b"-1",
            b"4 2",
            b"42, 43",
            b"0x10",
            b"99999999999999999999999",
        ] {
            assert!(parse_content_length(&[bad]).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn counts_short_long_and_over_limit() {
        let mut c = BodyCounter::new(Some(10), 100).unwrap();
        c.add(4).unwrap();
        assert_eq!(
            c.finish(),
            Err(Error::LengthMismatch(LengthMismatch {
                expected: 10,
                received: 4
            }))
        );
        assert_eq!(
            c.add(7),
            Err(Error::LengthMismatch(LengthMismatch {
                expected: 10,
                received: 11
            }))
        );
        let mut c = BodyCounter::new(None, 5).unwrap();
        c.add(5).unwrap();
        assert_eq!(c.finish(), Ok(5));
        assert_eq!(
            c.add(1),
            Err(Error::TooLarge(SizeLimit { size: 6, limit: 5 }))
        );
        assert_eq!(
            BodyCounter::new(Some(6), 5),
            Err(Error::TooLarge(SizeLimit { size: 6, limit: 5 }))
        );
    }

    #[test]
    fn a_cut_connection_before_the_announced_length_is_a_short_body() {
        let reset = Error::Transport(TransportError {
            kind: TransportKind::ConnectionReset,
            detail: "reset".into(),
        });
        let mut c = BodyCounter::new(Some(10), 100).unwrap();
        c.add(4).unwrap();
        assert_eq!(
            c.explain(reset.clone()),
            Error::LengthMismatch(LengthMismatch {
                expected: 10,
                received: 4
            })
        );
        // Without an announced length, the reset is the news.
        assert_eq!(
            BodyCounter::new(None, 100).unwrap().explain(reset.clone()),
            reset
        );
    }

    proptest! {
        /// Any header bytes: no panic.
        #[test]
        fn parse_is_total(v in proptest::collection::vec(any::<u8>(), 0..24)) {
            let _ = parse_content_length(&[v]);
        }

        /// Any sequence of chunk sizes: the counter accepts exactly when the
        /// total fits the limit and equals the announced length.
        #[test]
        fn counter_agrees_with_arithmetic(expected in proptest::option::of(0u64..64), limit in 0u64..64,
                                          chunks in proptest::collection::vec(0usize..20, 0..8)) {
            let total: u64 = chunks.iter().map(|&c| c as u64).sum();
            let result = BodyCounter::new(expected, limit).and_then(|mut c| {
                for &n in &chunks { c.add(n)?; }
                c.finish()
            });
            let ok = total <= limit && expected.is_none_or(|e| e == total);
            prop_assert_eq!(result.is_ok(), ok);
            if ok { prop_assert_eq!(result.unwrap(), total); }
        }
    }
}
