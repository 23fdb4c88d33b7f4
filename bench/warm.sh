#!/usr/bin/env bash
# Warm calls on Node and on Bun, one process each (bench/hosts/warm.mjs):
# the reference client, the plain-JavaScript durable floor, SnapshotClient and
# the drop-ins, interleaved, at 1.3 KB, 633 KB and 4 MiB. Needs js/ built
# (npm --prefix js ci && npm --prefix js run build). Arguments go to warm.mjs,
# e.g. `bench/warm.sh --quick` or `--n 50`.
set -euo pipefail
cd "$(dirname "$0")/.."
BUN="${BUN:-js/node_modules/.bin/bun}"
node bench/hosts/warm.mjs "$@"
"$BUN" bench/hosts/warm.mjs "$@"
