#!/usr/bin/env bash
# The benchmark, one command: builds the component and the bench (profile
# native-release), runs every size on every host, writes bench/RESULTS.md.
# Arguments go to snapshot-bench, e.g. `bench/run.sh --quick` or `--runs 9`.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --quiet -p snapshot-bench --profile native-release -- "$@"
