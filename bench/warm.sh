#!/usr/bin/env bash
# Warm calls on Node and on Bun, one process each (bench/hosts/warm.mjs):
# the reference client, the plain-JavaScript durable floor, SnapshotClient and
# the drop-ins, interleaved, at 1.3 KB, 633 KB and 4 MiB. Needs js/ built
# (npm --prefix js ci && npm --prefix js run build). Arguments go to warm.mjs,
# e.g. `bench/warm.sh --quick` or `--n 50`; `--results` also writes the
# "Warm calls on Node and Bun" section of bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BUN="${BUN:-js/node_modules/.bin/bun}"
results=0
args=()
for a in "$@"; do
  if [ "$a" = --results ]; then results=1; else args+=("$a"); fi
done
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
node bench/hosts/warm.mjs ${args[@]+"${args[@]}"} --md "$tmp/node.md"
"$BUN" bench/hosts/warm.mjs ${args[@]+"${args[@]}"} --md "$tmp/bun.md"
if [ "$results" = 1 ]; then node bench/hosts/warm-results.mjs "$tmp/node.md" "$tmp/bun.md"; fi
