#!/usr/bin/env bash
# Runs every test of the project, from a clean clone: the component's native
# unit tests, the wasmtime harness and conformance suite, the gateway and the
# CLI, the jco (on Node and Bun) and wasmtime-py packages, lints on both
# targets, and the packaged artifacts installed outside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_wasm_target
step "build the component" cargo build --target wasm32-wasip2 --release
step "rustfmt" cargo fmt --all -- --check
step "clippy (native)" cargo clippy --workspace --all-targets -- -D warnings
step "clippy (wasm32-wasip2)" cargo clippy --target wasm32-wasip2 -p transcript-snapshot -p transcript-snapshot-escape --all-targets -- -D warnings
# Every program the suites run is built once, by the test build (a plain
# `cargo build` would resolve features differently and rebuild wasmtime), and
# handed to every suite by path: none builds one again.
# The paths are set before that build: the host crate's build script reads
# TRANSCRIPT_SNAPSHOT_WASM, and a change to it would rebuild what depends on it.
target=$(cd "${CARGO_TARGET_DIR:-target}" && pwd)
export TRANSCRIPT_SNAPSHOT_WASM="$target/wasm32-wasip2/release/transcript_snapshot.wasm"
export CONFORMANCE_BIN="$target/debug/conformance"
export SNAPSHOT_GATEWAY_BIN="$target/debug/snapshot-gateway"
export PG_CLUSTER_BIN="$target/debug/pg-cluster"
export TRANSCRIPT_SNAPSHOT_CLI="$target/debug/transcript-snapshot"
step "build every test and program" cargo test --workspace --no-run --quiet

step "Rust tests: unit, wasmtime, conformance, gateway, CLI" cargo test --workspace --no-fail-fast
step "Node (jco): install" npm --prefix js ci --no-audit --no-fund
step "Node (jco): transpile" npm --prefix js run build
# Each runtime's default thread (Node: a worker; Bun: the caller's), then the other.
step "Node (jco): tests" npm --prefix js test
step "Bun (jco): tests" npm --prefix js run test:bun
step "Node (jco, caller thread): tests" env TRANSCRIPT_SNAPSHOT_THREAD=caller npm --prefix js test
step "Bun (jco, worker thread): tests" env TRANSCRIPT_SNAPSHOT_THREAD=worker npm --prefix js run test:bun
[ -x python/.venv/bin/python ] || step "Python: virtual environment" python3 -m venv python/.venv
step "Python (wasmtime-py): install" python/.venv/bin/pip install --quiet -r python/requirements.lock
step "Python (wasmtime-py): tests" bash -c "cd python && .venv/bin/python -m pytest -q"

# The artifacts users install, built by the packaging command (with the CLI
# binary the test build made), then installed and used with the repository
# out of sight.
step "package" env PACKAGE_DIST="$target/dist" bash scripts/package.sh
step "installed artifacts: Node, Bun, Python, CLI" bash host-tests/install/run.sh "$target/dist"
echo "all tests passed"
