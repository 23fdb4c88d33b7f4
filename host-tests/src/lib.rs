//! Host harness: loads the transcript-snapshot component in wasmtime with
//! wasmtime-wasi and wasmtime-wasi-http, one sandbox directory per test, and
//! captures what the guest did (its outcome, its peak linear memory).

pub mod build;
pub mod cases;
pub mod host;
pub mod mock_gateway;
pub mod outcome_json;
pub mod runner;
pub mod verdict;

pub use host::{options, Call, Harness, Sandbox, GUEST_ROOT};

/// Bindings for the component's world. WASI imports come from wasmtime-wasi
/// and wasmtime-wasi-http, so only the `snapshot` export is generated here.
pub mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "lobu:transcript-snapshot/snapshot-client",
        exports: { default: async },
        additional_derives: [PartialEq, Eq],
        with: {
            "wasi:io": wasmtime_wasi::p2::bindings::io,
            "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
            "wasi:filesystem": wasmtime_wasi::p2::bindings::filesystem,
            "wasi:http": wasmtime_wasi_http::p2::bindings::http,
        },
    });
    pub use exports::lobu::transcript_snapshot::snapshot::*;
}
