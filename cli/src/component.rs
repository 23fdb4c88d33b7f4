//! Finds the component and loads it through the compiled-component cache, so
//! a call pays ~1 ms to load instead of compiling every time.

use std::path::{Path, PathBuf};
use transcript_snapshot_host::SnapshotHost;

/// The workspace's release build, where `cargo build --target wasm32-wasip2
/// --release` puts it: under the target dir this CLI was built with.
fn built() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = option_env!("CARGO_TARGET_DIR")
        .filter(|d| !d.is_empty())
        .unwrap_or("target");
    workspace
        .join(target)
        .join("wasm32-wasip2/release/transcript_snapshot.wasm")
}

fn default_cache_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .map(|d| d.join("transcript-snapshot"))
}

pub fn load(component: Option<&Path>, cache_dir: Option<&Path>) -> Result<SnapshotHost, String> {
    let built = built();
    let wasm = component.unwrap_or(&built);
    if !wasm.exists() {
        return Err(format!(
            "component not found at {}; build it with `cargo build --target wasm32-wasip2 --release` or pass --component",
            wasm.display()
        ));
    }
    let cache = cache_dir.map(Path::to_path_buf).or_else(default_cache_dir);
    SnapshotHost::load(wasm, cache.as_deref())
        .map_err(|e| format!("loading {}: {e:#}", wasm.display()))
}
