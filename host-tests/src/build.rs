//! Builds the guest once per test process and hands out the path of the
//! release component. Tests never run against a stale component: the build is
//! incremental, so when nothing changed it costs a second.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The workspace root (the component crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host-tests lives inside the workspace")
        .to_path_buf()
}

/// `$CARGO_TARGET_DIR` (a relative one from the workspace root, where the
/// scripts run cargo) or the workspace's `target/`.
fn target_dir() -> PathBuf {
    let dir = std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty());
    workspace_root().join(dir.as_deref().unwrap_or("target".as_ref()))
}

/// The tests' compiled-component cache, inside the target dir so it follows
/// `CARGO_TARGET_DIR` like everything else the build writes.
pub fn component_cache_dir() -> PathBuf {
    target_dir().join("host-tests-cache")
}

/// `cargo build --target wasm32-wasip2 --release`, once, then the component's path.
pub fn component_path() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        if let Some(prebuilt) = std::env::var_os("TRANSCRIPT_SNAPSHOT_WASM") {
            return PathBuf::from(prebuilt);
        }
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args([
                "build",
                "--quiet",
                "--target",
                "wasm32-wasip2",
                "--release",
                "-p",
                "transcript-snapshot",
            ])
            .current_dir(workspace_root())
            .status()
            .expect("run cargo to build the component");
        assert!(status.success(), "building the component failed");
        target_dir().join("wasm32-wasip2/release/transcript_snapshot.wasm")
    })
}

/// The reference gateway's binary, for tests that run gateway processes
/// (several replicas on one database): `SNAPSHOT_GATEWAY_BIN` when set
/// (scripts/test.sh hands every suite the one its test build made), else
/// built once here.
pub fn gateway_binary() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        if let Some(prebuilt) = std::env::var_os("SNAPSHOT_GATEWAY_BIN") {
            return PathBuf::from(prebuilt);
        }
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args([
                "build",
                "--quiet",
                "-p",
                "snapshot-gateway",
                "--bin",
                "snapshot-gateway",
            ])
            .current_dir(workspace_root())
            .status()
            .expect("run cargo to build the gateway");
        assert!(status.success(), "building the gateway failed");
        target_dir().join("debug/snapshot-gateway")
    })
}
