//! The per-byte work of `write`, kept in its own crate so the component's
//! release build can compile it at opt-level 3 while everything else is
//! built for size: escaping a 64 MiB file is the one place the component is
//! compute-bound, and at opt-level "z" it ran three times slower.
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_code)]

extern crate alloc;

pub mod fingerprint;
pub mod json_escape;

#[cfg(test)]
mod test_support {
    use alloc::vec::Vec;

    /// `bytes` split at the given offsets (taken modulo its length, any order).
    pub fn cut(bytes: &[u8], mut cuts: Vec<usize>) -> Vec<&[u8]> {
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
}
