//! Test harness: the component in wasmtime (through the project's Rust host
//! crate), a scripted gateway, and the conformance suite shared with the jco
//! and wasmtime-py harnesses.

pub mod build;
pub mod cases;
pub mod host;
pub mod mock_gateway;
pub mod runner;
pub mod verdict;

pub use host::{options, Harness, Workspace, GUEST_ROOT};
pub use transcript_snapshot_host::Call;

/// The component's types, from the project's Rust host crate.
pub use transcript_snapshot_host::bindings;
