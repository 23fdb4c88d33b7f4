#!/usr/bin/env bash
# The reference gateway under load (bench/README.md, "Gateway under load"):
# N workers looping hydrate → write through the Rust host crate and through a
# plain HTTP client, against one gateway on SQLite, one on PostgreSQL and two
# on one PostgreSQL. Builds the gateway and the bench at the native-release
# profile (what an operator runs). Arguments go to `snapshot-bench load`, e.g.
# `--quick` (a few seconds: 4 workers, SQLite only) or `--secs 8`;
# `--results` also writes the "Gateway under load" section of
# bench/RESULTS.md (bench/run.sh keeps it when it rewrites the file).
set -euo pipefail
cd "$(dirname "$0")/.."
args=()
for a in "$@"; do
  if [ "$a" = --results ]; then args+=(--results bench/RESULTS.md); else args+=("$a"); fi
done
cargo build --quiet -p snapshot-gateway --profile native-release
target="${CARGO_TARGET_DIR:-target}"
exec cargo run --quiet -p snapshot-bench --profile native-release -- \
  load --gateway "$target/native-release/snapshot-gateway" ${args[@]+"${args[@]}"}
