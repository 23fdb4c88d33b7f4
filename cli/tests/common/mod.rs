//! Shared by the CLI's tests: the binary, pointed at the freshly built
//! component and the tests' compiled-component cache.

use std::process::Command;

pub fn transcript_snapshot() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_transcript-snapshot"));
    cmd.env(
        "TRANSCRIPT_SNAPSHOT_WASM",
        host_tests::build::component_path(),
    )
    .env(
        "TRANSCRIPT_SNAPSHOT_CACHE_DIR",
        host_tests::build::component_cache_dir(),
    );
    cmd
}
