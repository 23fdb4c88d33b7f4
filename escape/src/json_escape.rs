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
        // A block at a time, in a loop the compiler turns into SIMD (simd128
        // in the component, SSE2 natively): quotes and backslashes add one
        // byte each and are counted; controls (one per JSONL line) take the
        // table. Under jco, 256 KiB of JSONL took 0.07 ms where eight bytes
        // at a time (SWAR) took 0.1; blocks of 16 or 64 bytes came out as
        // scalar code, four to five times slower (bench/README.md).
        let mut extra = 0u64;
        let mut blocks = text.chunks_exact(COUNT_BLOCK);
        for block in &mut blocks {
            let mut quotes = 0u8; // at most COUNT_BLOCK: no overflow
            let mut controls = false;
            for &b in block {
                quotes += u8::from(b == b'"') + u8::from(b == b'\\');
                controls |= b < 0x20;
            }
            extra += u64::from(quotes);
            if controls {
                for &b in block {
                    extra += u64::from(EXTRA[usize::from(b)]) * u64::from(b < 0x20);
                }
            }
        }
        for &b in blocks.remainder() {
            extra += u64::from(EXTRA[usize::from(b)]);
        }
        self.0 += text.len() as u64 + extra;
    }

    fn char(&mut self, bytes: &[u8]) {
        self.0 += bytes.len() as u64;
    }
}

/// Bytes the counter looks at together (see `Counter::text`).
const COUNT_BLOCK: usize = 32;

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

/// Where a character that the end of `input` cuts short begins (a lead byte
/// in the last three whose sequence needs more bytes), else `input.len()`.
/// A cut lead that is not valid is caught when its sequence is completed.
fn cut_character(input: &[u8]) -> usize {
    let n = input.len();
    for back in 1..=n.min(3) {
        let b = input[n - back];
        if (b & 0xC0) != 0x80 {
            return if b >= 0xC0 && sequence_len(b) > back {
                n - back
            } else {
                n
            };
        }
    }
    n
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
        // A character cut by the end of the chunk waits for the next one;
        // simdutf8 checks the rest, and only for invalid input does core find
        // the offset (simdutf8's `basic` says only yes or no).
        let cut = cut_character(input);
        let (whole, tail) = input.split_at(cut);
        if let Err(e) = simdutf8::basic::from_utf8(whole).or_else(|_| core::str::from_utf8(whole)) {
            let valid = e.valid_up_to();
            sink.text(&input[..valid]);
            return Err(InvalidUtf8 {
                offset: self.consumed + valid as u64,
            });
        }
        sink.text(whole);
        self.consumed += cut as u64;
        self.pending[..tail.len()].copy_from_slice(tail);
        self.pending_len = tail.len();
        Ok(())
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
mod tests;
