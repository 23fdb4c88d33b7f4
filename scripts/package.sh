#!/usr/bin/env bash
# Builds everything a user installs into dist/: the component itself, the npm
# tarball (component + transpiled bindings), the Python wheel and sdist (the
# component as package data), the Rust host crate as `cargo package` makes it
# (the component embedded), and the CLI binary (the component embedded).
#
#   bash scripts/package.sh
#
# TRANSCRIPT_SNAPSHOT_CLI=PATH ships an already-built CLI binary instead of
# building a release one (the test run hands over the binary it built, so the
# CLI's dependencies are not compiled a second time); PACKAGE_DIST=DIR writes
# somewhere other than dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

repo=$(pwd)
target=$(cd "$repo" && mkdir -p "${CARGO_TARGET_DIR:-target}" && cd "${CARGO_TARGET_DIR:-target}" && pwd)
dist=${PACKAGE_DIST:-$repo/dist}
wasm=$target/wasm32-wasip2/release/transcript_snapshot.wasm
# Copies of the component placed inside the packages' source trees for the
# packagers; removed on exit so no stale copy outlives this run.
host_copy=$repo/host/component/transcript_snapshot.wasm
python_copy=$repo/python/src/transcript_snapshot/transcript_snapshot.wasm
trap 'rm -f "$host_copy" "$python_copy"' EXIT

ensure_wasm_target
step "build the component" cargo build --target wasm32-wasip2 --release
rm -rf "$dist"
mkdir -p "$dist"
cp "$wasm" "$dist/transcript_snapshot.wasm"

# The CLI embeds the component through the host crate's build script.
# Shipped without symbols or debug info: a user needs neither, and a debug
# build's are most of its size.
if [ -n "${TRANSCRIPT_SNAPSHOT_CLI:-}" ]; then
    cli=$TRANSCRIPT_SNAPSHOT_CLI
else
    step "build the CLI (release)" cargo build -p transcript-snapshot-cli --profile native-release
    cli=$target/native-release/transcript-snapshot
fi
strip -o "$dist/transcript-snapshot" "$cli"

mkdir -p "$(dirname "$host_copy")"
cp "$wasm" "$host_copy"
step "Rust host crate" cargo package -p transcript-snapshot-host --no-verify --allow-dirty --quiet
cp "$target"/package/transcript-snapshot-host-*.crate "$dist/"

[ -d js/node_modules ] || step "npm: install the build tools" npm --prefix js ci --no-audit --no-fund
step "npm: transpile" npm --prefix js run build
step "npm: pack" bash -c "cd js && npm pack --pack-destination '$dist' --silent >/dev/null"

[ -x python/.venv/bin/python ] || step "Python: virtual environment" python3 -m venv python/.venv
python/.venv/bin/python -c 'import build' 2>/dev/null \
    || step "Python: install the build tools" python/.venv/bin/pip install --quiet -r python/requirements.lock
cp "$wasm" "$python_copy"
step "Python: wheel and sdist" python/.venv/bin/python -m build --wheel --sdist --outdir "$dist" python >/dev/null

printf '\n== artifacts in %s\n' "$dist"
for f in "$dist"/*; do
    printf '%8s  %s\n' "$(numfmt --to=iec --suffix=B "$(stat -c %s "$f")")" "$(basename "$f")"
done
