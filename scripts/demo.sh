#!/usr/bin/env bash
# The main job: build the component, then walk one conversation across two
# pods against a local reference gateway (temporary SQLite), through the CLI.
# Extra arguments go to `transcript-snapshot demo` (e.g. --replicas 2).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_wasm_target
step "build the component" cargo build --target wasm32-wasip2 --release
step "build the CLI" cargo build -p transcript-snapshot-cli
step "demo" "${CARGO_TARGET_DIR:-target}/debug/transcript-snapshot" demo "$@"
