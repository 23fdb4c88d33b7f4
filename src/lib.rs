//! transcript-snapshot: a WebAssembly component that keeps an agent worker's
//! session file durable across replicas by hydrating it from, writing it to,
//! and clearing it on a gateway.
//!
//! The pure logic (URL joining, input checks, JSON string escaping, body
//! length accounting, outcome classification, run-binding parsing, guest path
//! resolution, staging-file names and staleness) lives in plain modules with native unit tests. `guest` holds the
//! thin glue over `wasi:http` and `wasi:filesystem`.
//!
//! The crate is `no_std` on wasm so the component imports nothing from
//! `wasi:cli`: only what it uses.
#![cfg_attr(all(target_arch = "wasm32", not(test)), no_std)]
#![deny(unsafe_code)]

extern crate alloc;

mod bindings;
pub use transcript_snapshot_escape::{fingerprint, json_escape};
pub mod body_length;
pub mod classify;
mod find;
pub mod gateway_url;
pub mod guest_path;
pub mod json_reader;
pub mod options;
pub mod redact;
pub mod retry;
pub mod run_binding;
pub mod staging;
pub mod token;
pub mod version;

mod guest;

/// The types of the WIT `snapshot` interface, shared by the pure modules and the glue.
pub mod types {
    pub use crate::bindings::exports::lobu::transcript_snapshot::snapshot::*;
}

/// The component itself: every export delegates to one `guest` module.
struct Component;

impl bindings::exports::lobu::transcript_snapshot::snapshot::Guest for Component {
    fn hydrate(
        gateway: types::Gateway,
        session_file: alloc::string::String,
        options: types::Options,
    ) -> Result<types::HydrateOutcome, types::Failure> {
        guest::hydrate::run(&gateway, &session_file, &options)
    }

    fn write(
        gateway_url: alloc::string::String,
        run: Option<types::RunBinding>,
        session_file: alloc::string::String,
        status: types::TerminalStatus,
        options: types::Options,
    ) -> types::WriteOutcome {
        guest::write::run(&gateway_url, run.as_ref(), &session_file, status, &options)
    }

    fn clear(gateway: types::Gateway, options: types::Options) -> types::ClearOutcome {
        guest::clear::run(&gateway, &options)
    }

    fn run_binding_from_payload(
        payload_json: alloc::string::String,
    ) -> Result<Option<types::RunBinding>, types::Error> {
        run_binding::from_payload(&payload_json).map_err(types::Error::InvalidInput)
    }
}

// The generated glue is the crate's only unsafe code. Only wasm exports
// the component's functions (their names are not valid native symbols).
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod export {
    use super::*;
    bindings::export!(Component with_types_in crate::bindings);
}
