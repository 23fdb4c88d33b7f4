//! Embeds the transcript-snapshot component in a Rust host on wasmtime.
//!
//! One [`SnapshotHost`] compiles (or loads from its cache) the component once
//! and pre-instantiates it; every call gets a fresh store and instance,
//! confined by a [`Sandbox`]: the directories it may see, the gateway
//! authorities it may reach, the roots it trusts for HTTPS, and a cap on its
//! memory.
//!
//! The crate carries the component it was built with:
//! [`SnapshotHost::bundled`] needs no file at run time. Every hydrate, write
//! and clear emits one `tracing` event, target `transcript_snapshot`, with
//! the fields `operation`, `outcome`, `bytes`, `attempts`, `status`,
//! `duration_ms` and, on failure, `error` (never a token).

mod cache;
mod client;
mod display;
pub mod json;
mod log;
mod state;
mod tls;
mod write_back;

pub use client::{Call, SnapshotHost};
pub use display::{Describe, DescribeFailure};
pub use state::Sandbox;
pub use tls::TrustRootsError;

/// The component (`transcript_snapshot.wasm`) this crate was built with;
/// `build.rs` says where it came from.
pub static BUNDLED_COMPONENT: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/transcript_snapshot.wasm"));

/// Bindings for the component's world. WASI imports come from wasmtime-wasi
/// and wasmtime-wasi-http, so only the `snapshot` export is generated here.
pub mod bindings {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "lobu:transcript-snapshot/snapshot-client",
        exports: { default: async },
        additional_derives: [PartialEq, Eq],
        with: {
            "wasi:io": wasmtime_wasi::p2::bindings::io,
            "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
            "wasi:filesystem": wasmtime_wasi::p2::bindings::filesystem,
            "wasi:http": wasmtime_wasi_http::p2::bindings::http,
            "wasi:random": wasmtime_wasi::p2::bindings::random,
        },
    });
    pub use exports::lobu::transcript_snapshot::snapshot::*;
}

pub use bindings::{
    ClearOutcome, Error, Gateway, HydrateOutcome, Options, RunBinding, SkipReason, TerminalStatus,
    WriteOutcome,
};

/// Every option unset: the component's documented defaults.
pub fn default_options() -> Options {
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
