//! Loads the component through the compiled-component cache, so a call
//! loads a compiled artifact instead of compiling every time: the one built into this
//! binary (it works from any directory), or a file named by `--component` /
//! `TRANSCRIPT_SNAPSHOT_WASM`.

use crate::exit::CliError;
use std::path::{Path, PathBuf};
use transcript_snapshot_host::SnapshotHost;

fn default_cache_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .map(|d| d.join("transcript-snapshot"))
}

pub fn load(component: Option<&Path>, cache_dir: Option<&Path>) -> Result<SnapshotHost, CliError> {
    let cache = cache_dir.map(Path::to_path_buf).or_else(default_cache_dir);
    let Some(wasm) = component else {
        return SnapshotHost::bundled(cache.as_deref())
            .map_err(|e| CliError::ComponentLoad(None, e));
    };
    if !wasm.is_file() {
        return Err(CliError::ComponentNotFound(wasm.to_path_buf()));
    }
    SnapshotHost::load(wasm, cache.as_deref())
        .map_err(|e| CliError::ComponentLoad(Some(wasm.to_path_buf()), e))
}
