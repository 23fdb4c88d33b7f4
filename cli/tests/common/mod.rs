//! Shared by the CLI's tests: the binary, pointed at the freshly built
//! component and the tests' compiled-component cache.

use snapshot_gateway::{serve, GatewayConfig, RunningGateway};
use std::path::Path;
use std::process::Command;

// Not every test file that shares this module runs the binary this way.
#[allow(dead_code)]
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

/// The reference gateway on a SQLite file in `dir`, under the `/lobu` prefix.
// Not every test file that shares this module starts a gateway.
#[allow(dead_code)]
pub async fn gateway(dir: &Path, secret: &str) -> RunningGateway {
    let db = dir.join("gw.sqlite3");
    serve(
        GatewayConfig::new("127.0.0.1:0".parse().unwrap(), db.to_string_lossy(), secret)
            .with_prefix("/lobu"),
    )
    .await
    .unwrap()
}
