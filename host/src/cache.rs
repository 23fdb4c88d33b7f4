//! Compiled-component cache: compiling is the slow part of starting a host
//! (far slower in a debug build); loading a precompiled artifact is not.

use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::component::Component;
use wasmtime::{Engine, Result};

/// The artifact's name: the component's digest and the engine's compatibility
/// hash, so a new component or a different wasmtime never loads a stale artifact.
fn artifact(dir: &Path, engine: &Engine, wasm: &[u8]) -> PathBuf {
    let digest = Sha256::digest(wasm);
    let mut h = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!(
        "transcript-snapshot-{hex}-{:016x}.cwasm",
        h.finish()
    ))
}

/// Loads the component from `cache_dir` when a matching artifact is there,
/// else compiles it and stores the artifact (best effort). Returns whether
/// the cache was hit.
pub fn load(engine: &Engine, wasm: &[u8], cache_dir: Option<&Path>) -> Result<(Component, bool)> {
    let Some(dir) = cache_dir else {
        return Ok((Component::new(engine, wasm)?, false));
    };
    let path = artifact(dir, engine, wasm);
    if path.exists() {
        // SAFETY: the artifact was written by `Component::serialize` from this
        // very component (its digest is in the name) for a compatible engine.
        if let Ok(c) = unsafe { Component::deserialize_file(engine, &path) } {
            return Ok((c, true));
        }
    }
    let component = Component::new(engine, wasm)?;
    if std::fs::create_dir_all(dir).is_ok() {
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        if std::fs::write(&tmp, component.serialize()?).is_ok() {
            // Rename: a concurrent reader sees the whole artifact or none.
            let _ = std::fs::rename(&tmp, &path);
        }
    }
    Ok((component, false))
}
