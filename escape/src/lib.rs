//! The per-byte work of `write`, kept in its own crate so the component's
//! release build can compile it at opt-level 3 while everything else is
//! built for size: escaping a 64 MiB file is the one place the component is
//! compute-bound, and at opt-level "z" it ran three times slower.
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_code)]

extern crate alloc;

pub mod fingerprint;
pub mod json_escape;
