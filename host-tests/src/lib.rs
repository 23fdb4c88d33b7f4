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

/// The lines between `README:<name>:begin` and `README:<name>:end`, de-indented.
pub fn readme_region(text: &str, name: &str) -> String {
    let begin = format!("README:{name}:begin");
    let end = format!("README:{name}:end");
    let lines: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.contains(&begin))
        .skip(1)
        .take_while(|l| !l.contains(&end))
        .collect();
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .map(|l| l.get(indent..).unwrap_or("").trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}
