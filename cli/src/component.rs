//! Loads the component through the compiled-component cache, so a call pays
//! ~1 ms to load instead of compiling every time: the one built into this
//! binary (it works from any directory), or a file named by `--component` /
//! `TRANSCRIPT_SNAPSHOT_WASM`.

use std::path::{Path, PathBuf};
use transcript_snapshot_host::SnapshotHost;

fn default_cache_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .map(|d| d.join("transcript-snapshot"))
}

pub fn load(component: Option<&Path>, cache_dir: Option<&Path>) -> Result<SnapshotHost, String> {
    let cache = cache_dir.map(Path::to_path_buf).or_else(default_cache_dir);
    let Some(wasm) = component else {
        return SnapshotHost::bundled(cache.as_deref())
            .map_err(|e| format!("loading the built-in component: {e:#}"));
    };
    if !wasm.is_file() {
        return Err(format!(
            "component not found at {} (from --component or TRANSCRIPT_SNAPSHOT_WASM); \
             leave both unset to use the built-in component",
            wasm.display()
        ));
    }
    SnapshotHost::load(wasm, cache.as_deref())
        .map_err(|e| format!("loading {}: {e:#}", wasm.display()))
}
