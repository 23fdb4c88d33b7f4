//! Finds the component this crate embeds and copies it into OUT_DIR, where
//! `include_bytes!` picks it up. The first of:
//! 1. `$TRANSCRIPT_SNAPSHOT_WASM`;
//! 2. `component/transcript_snapshot.wasm` in this crate (the packaging
//!    script puts it there before `cargo package`, so the published crate
//!    carries it);
//! 3. the workspace's release build, `<target-dir>/wasm32-wasip2/release/`,
//!    where target-dir is `$CARGO_TARGET_DIR` (a relative one from the
//!    workspace root), `<workspace>/target`, or the target dir this build
//!    runs in (found from OUT_DIR, for a target dir set in cargo's config).

use std::env;
use std::path::{Path, PathBuf};

const NAME: &str = "transcript_snapshot.wasm";
const RELEASE: &str = "wasm32-wasip2/release";

fn candidates(manifest: &Path, out_dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    if let Some(p) = env::var_os("TRANSCRIPT_SNAPSHOT_WASM").filter(|p| !p.is_empty()) {
        // An explicit choice: nothing else is considered.
        return vec![PathBuf::from(p)];
    }
    found.push(manifest.join("component").join(NAME));
    let workspace = manifest.parent().unwrap_or(manifest);
    if let Some(dir) = env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        found.push(workspace.join(dir).join(RELEASE).join(NAME));
    }
    found.push(workspace.join("target").join(RELEASE).join(NAME));
    // OUT_DIR is <target-dir>/[<triple>/]<profile>/build/<pkg>-<hash>/out;
    // cargo marks the target dir with a CACHEDIR.TAG.
    let running = out_dir
        .ancestors()
        .find(|a| a.join("CACHEDIR.TAG").is_file());
    found.extend(running.map(|dir| dir.join(RELEASE).join(NAME)));
    let mut unique = Vec::new();
    for path in found {
        if !unique.contains(&path) {
            unique.push(path);
        }
    }
    unique
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=TRANSCRIPT_SNAPSHOT_WASM");
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_DIR");
    let (Some(manifest), Some(out_dir)) = (
        env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from),
        env::var_os("OUT_DIR").map(PathBuf::from),
    ) else {
        fail("cargo did not set CARGO_MANIFEST_DIR and OUT_DIR".into());
    };
    // Watch the packaged location too when it exists, so copying a component
    // there takes effect. (Watching a missing path would rerun every build.)
    let packaged = manifest.join("component");
    if packaged.is_dir() {
        println!("cargo:rerun-if-changed={}", packaged.display());
    }
    let tried = candidates(&manifest, &out_dir);
    let Some(wasm) = tried.iter().find(|p| p.is_file()) else {
        let list: Vec<String> = tried.iter().map(|p| format!("  {}", p.display())).collect();
        fail(format!(
            "the transcript-snapshot component was not found. Build it first, at the \
             workspace root:\n\n  cargo build --target wasm32-wasip2 --release\n\nor point \
             TRANSCRIPT_SNAPSHOT_WASM at a transcript_snapshot.wasm. Looked at:\n{}",
            list.join("\n")
        ));
    };
    println!("cargo:rerun-if-changed={}", wasm.display());
    if *wasm == packaged.join(NAME) {
        warn_if_stale(wasm, &tried);
    }
    if let Err(e) = std::fs::copy(wasm, out_dir.join(NAME)) {
        fail(format!("cannot copy {} into OUT_DIR: {e}", wasm.display()));
    }
}

/// A packaged copy left in `component/` wins over the workspace's build,
/// which may be newer: say so rather than embed an old component silently.
fn warn_if_stale(chosen: &Path, tried: &[PathBuf]) {
    let Some(built) = tried.iter().skip(1).find(|p| p.is_file()) else {
        return;
    };
    if std::fs::read(chosen).ok() != std::fs::read(built).ok() {
        println!(
            "cargo:warning=embedding {}, which differs from {}; delete the former to embed the fresh build",
            chosen.display(),
            built.display()
        );
    }
}

fn fail(message: String) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}
