//! Streaming JSON string escaping with strict UTF-8 validation.
//!
//! `write` sends the session file as the JSON string `snapshotJsonl` without
//! ever holding the file in memory: the file is read in chunks and each chunk
//! is escaped on its own. A UTF-8 sequence may be split across two chunks, so
//! its first bytes are held back until the rest arrives. The output equals
//! what `serde_json::to_string` produces between the quotes; bytes that are not
//! valid UTF-8 are refused (a JSON string cannot carry them without loss).

use alloc::vec::Vec;

/// The first byte that is not valid UTF-8, counted from the start of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidUtf8 {
    pub offset: u64,
}

/// Where escaped bytes go: a buffer, or a counter that only measures.
pub trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Counts escaped bytes without storing them (to compute `content-length`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counter(pub u64);

impl Sink for Counter {
    fn put(&mut self, bytes: &[u8]) {
        self.0 += bytes.len() as u64;
    }
}

/// Escapes a byte stream chunk by chunk.
#[derive(Debug, Default, Clone)]
pub struct JsonEscaper {
    /// Leading bytes of a UTF-8 sequence cut by a chunk boundary.
    pending: [u8; 4],
    pending_len: usize,
    /// Input bytes consumed before the current chunk (pending bytes included).
    consumed: u64,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Bytes a UTF-8 sequence takes, judged by its first byte (valid leads only).
fn sequence_len(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Escapes text that is already known to be valid UTF-8.
fn escape_str<S: Sink>(text: &[u8], sink: &mut S) {
    let mut start = 0;
    for (i, &b) in text.iter().enumerate() {
        if !needs_escape(b) {
            continue;
        }
        if start < i {
            sink.put(&text[start..i]);
        }
        match b {
            b'"' => sink.put(b"\\\""),
            b'\\' => sink.put(b"\\\\"),
            b'\n' => sink.put(b"\\n"),
            b'\r' => sink.put(b"\\r"),
            b'\t' => sink.put(b"\\t"),
            0x08 => sink.put(b"\\b"),
            0x0C => sink.put(b"\\f"),
            _ => sink.put(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xF)],
            ]),
        }
        start = i + 1;
    }
    if start < text.len() {
        sink.put(&text[start..]);
    }
}

impl JsonEscaper {
    pub fn new() -> Self {
        Self::default()
    }

    /// Total input bytes seen so far.
    pub fn consumed(&self) -> u64 {
        self.consumed + self.pending_len as u64
    }

    /// Escapes `input`, the next chunk of the stream, into `sink`.
    pub fn push<S: Sink>(&mut self, mut input: &[u8], sink: &mut S) -> Result<(), InvalidUtf8> {
        if self.pending_len > 0 {
            let need = sequence_len(self.pending[0]);
            let take = (need - self.pending_len).min(input.len());
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(&input[..take]);
            self.pending_len += take;
            input = &input[take..];
            if self.pending_len < need {
                return Ok(());
            }
            let start = self.consumed;
            if core::str::from_utf8(&self.pending[..need]).is_err() {
                return Err(InvalidUtf8 { offset: start });
            }
            // Multi-byte characters never need escaping.
            sink.put(&self.pending[..need]);
            self.consumed += need as u64;
            self.pending_len = 0;
        }
        match core::str::from_utf8(input) {
            Ok(_) => {
                escape_str(input, sink);
                self.consumed += input.len() as u64;
                Ok(())
            }
            Err(e) => {
                let valid = e.valid_up_to();
                escape_str(&input[..valid], sink);
                if e.error_len().is_some() {
                    return Err(InvalidUtf8 {
                        offset: self.consumed + valid as u64,
                    });
                }
                self.consumed += valid as u64;
                // An incomplete sequence at the end of the chunk: at most 3 bytes.
                let tail = &input[valid..];
                self.pending[..tail.len()].copy_from_slice(tail);
                self.pending_len = tail.len();
                Ok(())
            }
        }
    }

    /// Ends the stream: a sequence still waiting for its last bytes is invalid.
    pub fn finish(&self) -> Result<(), InvalidUtf8> {
        if self.pending_len > 0 {
            return Err(InvalidUtf8 {
                offset: self.consumed,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn escape_chunks(chunks: &[&[u8]]) -> Result<Vec<u8>, InvalidUtf8> {
        let mut e = JsonEscaper::new();
        let mut out = Vec::new();
        for c in chunks {
            e.push(c, &mut out)?;
        }
        e.finish()?;
        Ok(out)
    }

    fn serde_inner(s: &str) -> Vec<u8> {
        let quoted = serde_json::to_string(s).unwrap();
        quoted.as_bytes()[1..quoted.len() - 1].to_vec()
    }

    #[test]
    fn escapes_quotes_backslashes_and_controls_like_serde() {
        let s = "a\"b\\c\nd\re\tf\u{8}g\u{c}h\u{0}i\u{1f}j\u{7f}k";
        assert_eq!(escape_chunks(&[s.as_bytes()]).unwrap(), serde_inner(s));
        assert_eq!(
            escape_chunks(&[b"\x01"]).unwrap(),
            b"\\u0001".to_vec(),
            "controls use lowercase \\u00xx"
        );
    }

    #[test]
    fn non_ascii_passes_through_even_when_split() {
        let s = "é€😀";
        let b = s.as_bytes();
        for cut in 0..=b.len() {
            assert_eq!(
                escape_chunks(&[&b[..cut], &b[cut..]]).unwrap(),
                b.to_vec(),
                "cut at {cut}"
            );
        }
        // One byte at a time.
        let chunks: Vec<&[u8]> = b.chunks(1).collect();
        assert_eq!(escape_chunks(&chunks).unwrap(), b.to_vec());
    }

    #[test]
    fn reports_offset_of_first_invalid_byte() {
        assert_eq!(
            escape_chunks(&[b"ab\xffcd"]),
            Err(InvalidUtf8 { offset: 2 })
        );
        assert_eq!(
            escape_chunks(&[b"abc", b"d\xe2\x82", b"A"]),
            Err(InvalidUtf8 { offset: 4 })
        );
        // Truncated sequence at the very end.
        assert_eq!(
            escape_chunks(&[b"ok", b"\xf0\x9f\x98"]),
            Err(InvalidUtf8 { offset: 2 })
        );
        // Surrogates encoded in UTF-8 are not valid UTF-8.
        assert_eq!(
            escape_chunks(&[b"x\xed", b"\xa0\x80"]),
            Err(InvalidUtf8 { offset: 1 })
        );
    }

    #[test]
    fn counter_measures_exactly_what_the_buffer_gets() {
        let s = "line \"one\"\n\u{2}é";
        let mut e = JsonEscaper::new();
        let mut c = Counter::default();
        e.push(s.as_bytes(), &mut c).unwrap();
        assert_eq!(c.0, serde_inner(s).len() as u64);
    }

    fn cut(bytes: &[u8], mut cuts: Vec<usize>) -> Vec<&[u8]> {
        cuts.iter_mut().for_each(|c| *c %= bytes.len() + 1);
        cuts.sort_unstable();
        let mut chunks = Vec::new();
        let mut start = 0;
        for c in cuts {
            chunks.push(&bytes[start..c]);
            start = c;
        }
        chunks.push(&bytes[start..]);
        chunks
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// The streaming escape equals serde_json's for any string split anywhere.
        #[test]
        fn equals_serde_for_any_split(s in any::<String>(), cuts in proptest::collection::vec(any::<usize>(), 0..8)) {
            let chunks = cut(s.as_bytes(), cuts);
            prop_assert_eq!(escape_chunks(&chunks).unwrap(), serde_inner(&s));
        }

        /// Arbitrary bytes: accepted exactly when they are UTF-8, else the
        /// offset is where std's validator stops.
        #[test]
        fn validates_like_std(bytes in proptest::collection::vec(any::<u8>(), 0..64), cuts in proptest::collection::vec(any::<usize>(), 0..6)) {
            let chunks = cut(&bytes, cuts);
            let got = escape_chunks(&chunks);
            match core::str::from_utf8(&bytes) {
                Ok(s) => prop_assert_eq!(got.unwrap(), serde_inner(s)),
                Err(e) => prop_assert_eq!(got, Err(InvalidUtf8 { offset: e.valid_up_to() as u64 })),
            }
        }
    }
}
