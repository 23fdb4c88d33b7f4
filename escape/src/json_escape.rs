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

/// Where escaped text goes: a buffer, or a counter that only measures.
pub trait Sink {
    /// Valid UTF-8 text, to be escaped.
    fn text(&mut self, text: &[u8]);
    /// One whole multi-byte character (never needs escaping).
    fn char(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn text(&mut self, text: &[u8]) {
        escape_bytes(text, self);
    }

    fn char(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Counts escaped bytes without producing them (for `content-length`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counter(pub u64);

impl Sink for Counter {
    fn text(&mut self, text: &[u8]) {
        // Eight bytes at a time: quotes and backslashes add one byte each and
        // are counted with a popcount; controls (one per JSONL line) take the
        // table.
        let mut extra = 0u64;
        let mut words = text.chunks_exact(8);
        for word in &mut words {
            let w = load(word);
            extra += u64::from(quote_or_backslash(w).count_ones());
            if control(w) != 0 {
                for &b in word {
                    extra += u64::from(EXTRA[usize::from(b)]) * u64::from(b < 0x20);
                }
            }
        }
        for &b in words.remainder() {
            extra += u64::from(EXTRA[usize::from(b)]);
        }
        self.0 += text.len() as u64 + extra;
    }

    fn char(&mut self, bytes: &[u8]) {
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

/// How each byte is written: 0 as itself, `u` as `\u00XX`, else `\` and this letter.
const ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = b'u';
        b += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0A] = b'n';
    t[0x0C] = b'f';
    t[0x0D] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

/// Bytes each input byte adds when escaped (for counting).
const EXTRA: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = match ESCAPE[b] {
            0 => 0,
            b'u' => 5,
            _ => 1,
        };
        b += 1;
    }
    t
};

/// Bytes a UTF-8 sequence takes, judged by its first byte (valid leads only).
fn sequence_len(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

// Word-at-a-time ("SWAR") tests on eight bytes packed into a u64: the
// escaper and the counter skip runs of plain bytes without a branch per byte.
const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const HI: u64 = 0x8080_8080_8080_8080;

const fn splat(b: u8) -> u64 {
    u64::from_le_bytes([b; 8])
}

fn load(word: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(word);
    u64::from_le_bytes(b)
}

/// 0x80 in every byte of `w` that is zero, and nowhere else (exact: no
/// borrow runs into the next byte, unlike the classic `(w - 0x01..) & !w`).
fn zero_bytes(w: u64) -> u64 {
    !(((w & LO7).wrapping_add(LO7)) | w | LO7)
}

/// 0x80 in every byte that is `"` or `\`.
fn quote_or_backslash(w: u64) -> u64 {
    zero_bytes(w ^ splat(b'"')) | zero_bytes(w ^ splat(b'\\'))
}

/// 0x80 in every byte below 0x20 (for an ASCII byte b, b + 0x60 < 0x80
/// exactly when b < 0x20; `| w` leaves out bytes of 0x80 and above).
fn control(w: u64) -> u64 {
    !(((w & LO7).wrapping_add(splat(0x60))) | w) & HI
}

/// Input bytes escaped per round into the staging array.
const ROUND: usize = 4096;

/// Escapes `bytes` into `out`: `"`, `\` and controls as JSON requires, every
/// other byte (non-ASCII included) as itself. On valid UTF-8 this is the
/// JSON string body; `write`'s second pass uses it directly, having checked
/// in its first pass that the file is UTF-8 and comparing fingerprints.
///
/// Each round escapes into a fixed array with plain stores and hands it to
/// `out` in one copy: the component is built for size (opt-level "z"), where
/// a copy call per escape made `write` four times slower. A word with nothing
/// to escape is stored whole; in one that has, the plain bytes before each
/// escape are stored as a whole word too and the cursor moves past only them.
pub fn escape_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    // Room for the worst case (every byte a `\u00XX`) plus one spare word.
    let mut stage = [0u8; ROUND * 6 + 8];
    for round in bytes.chunks(ROUND) {
        let mut n = 0;
        let mut words = round.chunks_exact(8);
        for word in &mut words {
            let mut w = load(word);
            let mut mask = quote_or_backslash(w);
            if control(w) != 0 {
                // Rare (a newline per JSONL line): byte by byte.
                for &b in word {
                    n += escape_one(b, &mut stage[n..n + 6]);
                }
                continue;
            }
            // Only quotes and backslashes: each becomes `\` and itself.
            let mut left = 8;
            while mask != 0 {
                let plain = (mask.trailing_zeros() / 8) as usize;
                stage[n..n + 8].copy_from_slice(&w.to_le_bytes());
                n += plain;
                stage[n] = b'\\';
                stage[n + 1] = (w >> (plain * 8)) as u8;
                n += 2;
                // Two shifts: one by `(plain + 1) * 8` could be 64, an overflow.
                w = (w >> (plain * 8)) >> 8;
                mask = (mask >> (plain * 8)) >> 8;
                left -= plain + 1;
            }
            stage[n..n + 8].copy_from_slice(&w.to_le_bytes());
            n += left;
        }
        for &b in words.remainder() {
            n += escape_one(b, &mut stage[n..n + 6]);
        }
        out.extend_from_slice(&stage[..n]);
    }
}

/// Writes one byte's escaped form at the start of `to` (six bytes of room);
/// returns its length.
fn escape_one(b: u8, to: &mut [u8]) -> usize {
    match ESCAPE[usize::from(b)] {
        0 => {
            to[0] = b;
            1
        }
        b'u' => {
            to.copy_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xF)],
            ]);
            6
        }
        e => {
            to[0] = b'\\';
            to[1] = e;
            2
        }
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
            sink.char(&self.pending[..need]);
            self.consumed += need as u64;
            self.pending_len = 0;
        }
        // simdutf8's fast check first; core finds where invalid input fails.
        match simdutf8::basic::from_utf8(input).or_else(|_| core::str::from_utf8(input)) {
            Ok(_) => {
                sink.text(input);
                self.consumed += input.len() as u64;
                Ok(())
            }
            Err(e) => {
                let valid = e.valid_up_to();
                sink.text(&input[..valid]);
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

        /// Dense escapes: every position in an 8-byte word, runs of them,
        /// controls with short and long forms, and characters around them.
        #[test]
        fn equals_serde_when_escapes_are_dense(s in "[\"\\\\\n\t\u{1}\u{1f}a \u{e9}\u{2713}]{0,70}") {
            prop_assert_eq!(escape_chunks(&[s.as_bytes()]).unwrap(), serde_inner(&s));
            let mut c = Counter::default();
            JsonEscaper::new().push(s.as_bytes(), &mut c).unwrap();
            prop_assert_eq!(c.0, serde_inner(&s).len() as u64);
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
