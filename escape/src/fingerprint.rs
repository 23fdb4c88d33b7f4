//! A 64-bit fingerprint of a byte stream, independent of how it is chunked.
//!
//! `write` reads the session file twice: the first pass checks it is UTF-8
//! and measures it, the second escapes and sends it. The second pass does not
//! validate again; instead both passes fingerprint what they read, and the
//! request is abandoned short of its length (so the gateway stores nothing)
//! when the fingerprints differ. This is not a cryptographic hash: it guards
//! against the file changing between the passes, not against an adversary.
//! Each step is a bijection of the state for a fixed word, so two streams of
//! the same length that differ in exactly one 8-byte word always differ here.

/// Multiplier of FxHash (rustc's hasher): odd, so multiplying is invertible.
const K: u64 = 0x517c_c1b7_2722_0a95;

/// Independent lanes, so the multiplies of neighbouring words overlap
/// instead of waiting on each other. Word `i` goes to lane `i % LANES`.
const LANES: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    lanes: [u64; LANES],
    /// Whole words seen, which picks the lane of the next one.
    words: usize,
    /// Bytes of a word cut by a chunk boundary, waiting for the rest.
    pending: [u8; 8],
    pending_len: usize,
}

impl Default for Fingerprint {
    fn default() -> Self {
        Self::new()
    }
}

impl Fingerprint {
    pub fn new() -> Self {
        Self {
            lanes: [0; LANES],
            words: 0,
            pending: [0; 8],
            pending_len: 0,
        }
    }

    fn word(&mut self, w: u64) {
        let lane = &mut self.lanes[self.words % LANES];
        *lane = step(*lane, w);
        self.words += 1;
    }

    /// Adds the next chunk of the stream.
    pub fn update(&mut self, mut bytes: &[u8]) {
        if self.pending_len > 0 {
            let take = (8 - self.pending_len).min(bytes.len());
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(&bytes[..take]);
            self.pending_len += take;
            bytes = &bytes[take..];
            if self.pending_len < 8 {
                return;
            }
            self.word(u64::from_le_bytes(self.pending));
            self.pending_len = 0;
        }
        // Whole groups of LANES words while the next word is lane 0's.
        let mut rest = bytes;
        if self.words.is_multiple_of(LANES) {
            let mut groups = bytes.chunks_exact(8 * LANES);
            for group in &mut groups {
                for (lane, w) in self.lanes.iter_mut().zip(group.chunks_exact(8)) {
                    *lane = step(*lane, load(w));
                }
            }
            self.words += (bytes.len() / (8 * LANES)) * LANES;
            rest = groups.remainder();
        }
        let mut words = rest.chunks_exact(8);
        for w in &mut words {
            self.word(load(w));
        }
        let rest = words.remainder();
        self.pending[..rest.len()].copy_from_slice(rest);
        self.pending_len = rest.len();
    }

    /// The fingerprint of everything added so far.
    pub fn value(&self) -> u64 {
        let mut tail = [0u8; 8];
        tail[..self.pending_len].copy_from_slice(&self.pending[..self.pending_len]);
        // Lanes folded in one after another: for fixed other lanes, the result
        // is still a bijection of each lane. The tail's length is folded in so
        // that trailing zero bytes count.
        let mut state = self.lanes.iter().fold(0, |h, &lane| step(h, lane));
        state = step(state, u64::from_le_bytes(tail));
        step(state, self.pending_len as u64)
    }
}

fn step(state: u64, w: u64) -> u64 {
    (state.rotate_left(5) ^ w).wrapping_mul(K)
}

fn load(word: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(word);
    u64::from_le_bytes(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::cut;
    use proptest::prelude::*;

    fn of(chunks: &[&[u8]]) -> u64 {
        let mut f = Fingerprint::new();
        for c in chunks {
            f.update(c);
        }
        f.value()
    }

    #[test]
    fn trailing_zero_bytes_change_it() {
        assert_ne!(of(&[b"abc"]), of(&[b"abc\0"]));
        assert_ne!(of(&[b""]), of(&[b"\0"]));
        assert_ne!(of(&[b"12345678"]), of(&[b"12345678\0"]));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// Chunking never matters.
        #[test]
        fn same_for_any_split(bytes in proptest::collection::vec(any::<u8>(), 0..200), cuts in proptest::collection::vec(any::<usize>(), 0..8)) {
            prop_assert_eq!(of(&cut(&bytes, cuts)), of(&[&bytes]));
        }

        /// A change to any one byte is always seen.
        #[test]
        fn one_changed_byte_is_always_seen(bytes in proptest::collection::vec(any::<u8>(), 1..200), at in any::<usize>(), flip in 1u8..=255) {
            let mut changed = bytes.clone();
            let at = at % bytes.len();
            changed[at] ^= flip;
            prop_assert_ne!(of(&[&bytes]), of(&[&changed]));
        }
    }
}
