#!/usr/bin/env bash
# The packages as users get them: installed from dist/ into fresh directories
# outside the repository, with the repository itself hidden (a private mount
# namespace lays an empty tmpfs over it), then one conversation per host
# against the reference gateway: write, hydrate elsewhere, clear, hydrate
# again. Each host's hydrated file must equal the file it wrote, byte for byte.
#
#   bash host-tests/install/run.sh DIST
#
# Needs root (or CAP_SYS_ADMIN) for the mount namespace. The reference
# gateway runs outside the namespace: it is the stand-in for a deployed one.
# SNAPSHOT_GATEWAY_BIN and BUN_BIN override where the gateway and bun are found.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
dist=$(cd "${1:?usage: run.sh DIST}" && pwd)
target=$(cd "$repo" && cd "${CARGO_TARGET_DIR:-target}" && pwd)
gateway_bin=${SNAPSHOT_GATEWAY_BIN:-$target/debug/snapshot-gateway}
bun_bin=$(realpath "${BUN_BIN:-$repo/js/node_modules/.bin/bun}")

tmp=$(mktemp -d /tmp/transcript-snapshot-install.XXXXXX)
gateway_pid=
cleanup() {
    [ -z "$gateway_pid" ] || kill "$gateway_pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

mkdir -p "$tmp/dist" "$tmp/bin"
cp "$dist"/* "$tmp/dist/"
cp "$here/walk.mjs" "$here/walk.py" "$tmp/"
cp "$bun_bin" "$tmp/bin/bun"
cp "$tmp/dist/transcript-snapshot" "$tmp/bin/transcript-snapshot"

secret=install-test-secret-$RANDOM$RANDOM
"$gateway_bin" serve --listen 127.0.0.1:0 --database "$tmp/gateway.db" --secret "$secret" \
    >"$tmp/gateway.out" 2>"$tmp/gateway.log" &
gateway_pid=$!
for _ in $(seq 100); do
    grep -q '^listening ' "$tmp/gateway.out" 2>/dev/null && break
    sleep 0.1
done
url=$(sed -n 's/^listening //p' "$tmp/gateway.out")
[ -n "$url" ] || { cat "$tmp/gateway.log"; echo "the gateway did not start" >&2; exit 1; }

hosts=(node bun python cli)
# A conversation of its own per host, a session file with multi-byte text,
# escapes and a trailing newline.
for host in "${hosts[@]}"; do
    scope=(--org install-org --agent install-agent --conversation "conv-$host")
    mkdir -p "$tmp/$host/a"
    # The drop-ins create the session file's directory, as the client they
    # replace did; the Python client and the CLI are handed existing ones.
    case $host in python | cli) mkdir -p "$tmp/$host/b" "$tmp/$host/c" ;; esac
    printf '{"type":"message","role":"user","text":"hello from %s: \\"quoted\\" \\u00e9 caf\xc3\xa9 \xf0\x9f\x90\x8d\\ttab"}\n{"type":"message","role":"assistant","text":"line\\nbreak"}\n' \
        "$host" >"$tmp/$host/a/session.jsonl"
    SNAPSHOT_GATEWAY_SECRET=$secret "$gateway_bin" mint-token "${scope[@]}" >"$tmp/$host/token"
    SNAPSHOT_GATEWAY_SECRET=$secret "$gateway_bin" mint-token "${scope[@]}" --run-id 7 >"$tmp/$host/run-token"
done

# Runs in the namespace: every path into the repository is gone.
cat >"$tmp/inside.sh" <<'INSIDE'
set -euo pipefail
# (A target dir inside the repository is gone with it.)
for dir in "$REPO" "$TARGET"; do [ ! -d "$dir" ] || mount -t tmpfs hidden "$dir"; done
[ -z "$(ls -A "$REPO")" ] || { echo "the repository is still visible" >&2; exit 1; }
cd "$TMP"
walk_env() { # host
    export WORK=$TMP/$1 RUN_ID=7 TOKEN RUN_TOKEN
    TOKEN=$(cat "$TMP/$1/token"); RUN_TOKEN=$(cat "$TMP/$1/run-token")
}

echo "== node $(node --version): npm install the tarball into an empty project"
mkdir node-app && cd node-app
npm init -y >/dev/null
npm install --no-audit --no-fund --silent "$TMP"/dist/*.tgz
cp "$TMP/walk.mjs" .
( walk_env node; node walk.mjs )
cd "$TMP"

echo "== bun $("$TMP/bin/bun" --version): bun add the tarball into an empty project"
mkdir bun-app && cd bun-app
echo '{"name":"bun-app","private":true}' >package.json
"$TMP/bin/bun" add --silent "$TMP"/dist/*.tgz
cp "$TMP/walk.mjs" .
( walk_env bun; "$TMP/bin/bun" walk.mjs )
cd "$TMP"

echo "== python $(python3 --version | cut -d' ' -f2): pip install the wheel into a new venv"
python3 -m venv venv
venv/bin/pip install --quiet --disable-pip-version-check "$TMP"/dist/*.whl
( walk_env python; cd "$TMP" && PYTHONDONTWRITEBYTECODE=1 venv/bin/python walk.py )

echo "== the CLI binary, copied out alone"
(
    walk_env cli
    cli=$TMP/bin/transcript-snapshot
    export TRANSCRIPT_SNAPSHOT_GATEWAY_URL=$GATEWAY_URL TRANSCRIPT_SNAPSHOT_CACHE_DIR=$TMP/cli-cache
    export TRANSCRIPT_SNAPSHOT_TOKEN=$TOKEN TRANSCRIPT_SNAPSHOT_RUN_ID=7 TRANSCRIPT_SNAPSHOT_RUN_TOKEN=$RUN_TOKEN
    unset TRANSCRIPT_SNAPSHOT_WASM
    log=$TMP/cli.log
    "$cli" -v write --session-file "$WORK/a/session.jsonl" --status completed 2>>"$log"
    "$cli" -v hydrate --session-file "$WORK/b/session.jsonl" 2>>"$log"
    "$cli" -v clear 2>>"$log"
    status=0
    "$cli" -v hydrate --session-file "$WORK/c/session.jsonl" 2>>"$log" || status=$?
    [ "$status" -eq 3 ] || { echo "hydrate after clear: exit $status, expected 3 (no snapshot)" >&2; exit 1; }
    records=$(grep -c 'operation=' "$log")
    [ "$records" -eq 4 ] || { cat "$log"; echo "expected 4 log records, got $records" >&2; exit 1; }
    ! grep -qF -e "$TOKEN" -e "$RUN_TOKEN" "$log" || { echo "a log line holds a token" >&2; exit 1; }
    echo "$records log lines, no token in any"
)
INSIDE
env -u TRANSCRIPT_SNAPSHOT_WASM -u CARGO_TARGET_DIR \
    REPO="$repo" TARGET="$target" TMP="$tmp" GATEWAY_URL="$url" \
    unshare --mount --propagation private bash "$tmp/inside.sh"

echo "== every hydrated file equals the file written"
for host in "${hosts[@]}"; do
    cmp "$tmp/$host/a/session.jsonl" "$tmp/$host/b/session.jsonl"
    [ ! -e "$tmp/$host/c/session.jsonl" ] || { echo "$host: hydrate after clear created a file" >&2; exit 1; }
    echo "$host: identical ($(stat -c %s "$tmp/$host/b/session.jsonl") bytes)"
done
echo "${#hosts[@]} passed, 0 failed"
