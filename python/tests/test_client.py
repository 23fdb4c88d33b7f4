"""The wrapper's own promises: sandboxing, asyncio, the compiled-component
cache, argument checks, secrets, and the example quoted in the README."""

from __future__ import annotations

import ast
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import wasmtime

import transcript_snapshot as ts
from repo import PYDIR

SESSION = "/workspace/.openclaw/session.jsonl"
FAST = ts.Options(timeout_ms=5000, max_attempts=1)


def client_for(directory, guest="/workspace"):
    return ts.SnapshotClient(preopens={guest: str(directory)})


# --- sandbox ----------------------------------------------------------------------

def test_path_outside_preopens_is_not_preopened(tmp_path, gateway):
    client = client_for(tmp_path)
    with pytest.raises(ts.SnapshotError) as info:
        client.hydrate(ts.Gateway(gateway.url, "secret-token-1"), "/etc/session.jsonl", FAST)
    assert info.value.error == ts.NotPreopened("/etc/session.jsonl")
    assert info.value.attempts == 0
    assert "secret-token-1" not in str(info.value)
    out = client.write(gateway.url, ts.RunBinding(1, "tok"), "/tmp/x.jsonl", "completed", FAST)
    assert out == ts.Failed(ts.NotPreopened("/tmp/x.jsonl"), 0)
    assert gateway.requests == []  # rejected before anything was sent


def test_dot_dot_cannot_escape_the_preopen(tmp_path, gateway):
    (tmp_path / "inside").mkdir()
    gateway.snapshot = b'{"x":1}\n'
    client = client_for(tmp_path / "inside")
    with pytest.raises(ts.SnapshotError) as info:
        client.hydrate(ts.Gateway(gateway.url, "t"), "/workspace/../escaped.jsonl", FAST)
    # Refused as input before any request: the component never resolves `..`.
    assert info.value.error == ts.InvalidInput(
        "session file path must not contain '.' or '..' components")
    assert info.value.attempts == 0
    assert gateway.requests == []
    assert not (tmp_path / "escaped.jsonl").exists()


def test_clients_see_only_their_own_preopens(tmp_path, gateway):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    (a / "session.jsonl").write_text('{"secret":"of a"}\n')
    client_b = client_for(b)
    run = ts.RunBinding(7, "run-token")
    out = client_b.write(gateway.url, run, "/workspace/session.jsonl", "completed", FAST)
    assert out == ts.Skipped(ts.SkipReason.SESSION_FILE_MISSING)
    # A client whose only preopen is /data cannot reach /workspace at all.
    elsewhere = client_for(b, guest="/data")
    out = elsewhere.write(gateway.url, run, "/workspace/session.jsonl", "completed", FAST)
    assert out == ts.Failed(ts.NotPreopened("/workspace/session.jsonl"), 0)
    # Hydrating through B lands in B, never in A.
    gateway.snapshot = b'{"from":"gateway"}\n'
    assert client_b.hydrate(ts.Gateway(gateway.url, "t"), "/workspace/session.jsonl") == \
        ts.Hydrated(len(gateway.snapshot), 1)
    assert (b / "session.jsonl").read_bytes() == gateway.snapshot
    assert (a / "session.jsonl").read_text() == '{"secret":"of a"}\n'
    assert [r.method for r in gateway.requests] == ["GET"]


# --- asyncio ----------------------------------------------------------------------

def test_async_call_does_not_block_the_event_loop(tmp_path, gateway):
    gateway.snapshot, gateway.delay = b"{}\n", 1.0
    client = ts.AsyncSnapshotClient(preopens={"/workspace": str(tmp_path)})

    async def main():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        started = time.monotonic()
        outcome = await client.hydrate(ts.Gateway(gateway.url, "t"), SESSION, FAST)
        elapsed = time.monotonic() - started
        task.cancel()
        return outcome, ticks, elapsed

    outcome, ticks, elapsed = asyncio.run(main())
    assert outcome == ts.Hydrated(3, 1)
    assert elapsed >= 1.0
    assert ticks >= 30, f"the loop ticked only {ticks} times in {elapsed:.2f}s"


def test_async_forms_of_every_call(tmp_path, gateway):
    client = ts.AsyncSnapshotClient(client=client_for(tmp_path))

    async def main():
        gw = ts.Gateway(gateway.url, "t")
        return (await client.hydrate(gw, SESSION, FAST),
                await client.write(gateway.url, None, SESSION, ts.TerminalStatus.COMPLETED),
                await client.clear(gw, FAST),
                await client.run_binding_from_payload('{"runId": 3, "runJobToken": "x"}'))

    assert asyncio.run(main()) == (ts.NoSnapshot(1), ts.Skipped(ts.SkipReason.NO_RUN_BINDING),
                                   ts.Cleared(200, 1, 1), ts.RunBinding(3, "x"))


# --- the compiled-component cache ------------------------------------------------

LOAD = ("import json, transcript_snapshot as ts; c = ts.SnapshotClient(); i = c.load_info; "
        "print(json.dumps([i.source, str(i.cache_file), i.seconds]))")


def test_second_process_loads_from_the_disk_cache(tmp_path):
    env = dict(os.environ, TRANSCRIPT_SNAPSHOT_CACHE_DIR=str(tmp_path / "cache"),
               PYTHONPATH=str(PYDIR / "src"))

    def load():
        out = subprocess.run([sys.executable, "-c", LOAD], env=env, check=True,
                             capture_output=True, text=True).stdout
        return json.loads(out)

    source, cache_file, _ = load()
    assert source == "compiled" and Path(cache_file).is_file()
    assert Path(cache_file).parent == tmp_path / "cache"
    # How much faster the second load is belongs to the benchmark, not here.
    source, cache_file2, _ = load()
    assert (source, cache_file2) == ("disk-cache", cache_file)


def test_same_process_compiles_once(tmp_path):
    ts.SnapshotClient()
    assert ts.SnapshotClient(preopens={"/w": str(tmp_path)}).load_info.source == "memory"


def test_corrupt_cache_file_is_replaced(tmp_path):
    env = dict(os.environ, TRANSCRIPT_SNAPSHOT_CACHE_DIR=str(tmp_path),
               PYTHONPATH=str(PYDIR / "src"))
    run = lambda: json.loads(subprocess.run([sys.executable, "-c", LOAD], env=env, check=True,  # noqa: E731
                                            capture_output=True, text=True).stdout)
    _, cache_file, _ = run()
    Path(cache_file).write_bytes(b"not a compiled component")
    assert run()[0] == "compiled"
    assert run()[0] == "disk-cache"


# --- arguments and secrets ----------------------------------------------------------

@pytest.mark.parametrize("options, error", [
    (ts.Options(timeout_ms=2 ** 32), ValueError),  # ctypes would silently truncate it
    (ts.Options(max_write_bytes=-1), ValueError),
    (ts.Options(max_attempts=True), TypeError),
    (ts.Options(retry_base_ms="200"), TypeError),
    (ts.Options(use_validators=0), TypeError),  # a falsy int would silently mean "off"
])
def test_out_of_range_options_are_refused_before_calling(tmp_path, options, error):
    with pytest.raises(error):
        client_for(tmp_path).clear(ts.Gateway("http://127.0.0.1:1", "t"), options)


def test_use_validators_false_reaches_the_component(tmp_path, gateway):
    # By default a re-hydrate sends the version the file holds and is told
    # it is up to date; with False no version is sent and the body comes again.
    gateway.snapshot, gateway.etag = b"{}\n", '"v1"'
    client, gw = client_for(tmp_path), ts.Gateway(gateway.url, "t")
    assert client.hydrate(gw, SESSION, FAST) == ts.Hydrated(3, 1)
    assert client.hydrate(gw, SESSION, FAST) == ts.UpToDate(1)
    assert gateway.requests[-1].headers["if-none-match"] == '"v1"'
    off = ts.Options(timeout_ms=5000, max_attempts=1, use_validators=False)
    assert client.hydrate(gw, SESSION, off) == ts.Hydrated(3, 1)
    assert "if-none-match" not in gateway.requests[-1].headers


def test_bad_arguments_are_python_errors(tmp_path):
    client = client_for(tmp_path)
    with pytest.raises(ValueError):
        client.write("http://127.0.0.1:1", None, SESSION, "finished")
    with pytest.raises(TypeError):
        client.hydrate(("http://127.0.0.1:1", "t"), SESSION)
    with pytest.raises(ValueError):
        ts.SnapshotClient(preopens={"relative": str(tmp_path)})


def test_tokens_stay_out_of_reprs_and_messages(tmp_path):
    gw = ts.Gateway("http://127.0.0.1:1", "tok\nen-secret")
    assert "secret" not in repr(gw) and "secret" not in repr(ts.RunBinding(1, "secret"))
    with pytest.raises(ts.SnapshotError) as info:
        client_for(tmp_path).hydrate(gw, SESSION)
    assert isinstance(info.value.error, ts.InvalidInput)
    assert "secret" not in str(info.value) and "secret" not in repr(info.value.error)


def test_run_binding_errors_are_typed(tmp_path):
    with pytest.raises(ts.SnapshotError) as info:
        client_for(tmp_path).run_binding_from_payload("[1]")
    assert isinstance(info.value.error, ts.InvalidInput) and info.value.attempts is None


def test_every_store_gets_wasi_http():
    # Forgetting `set_wasi_http` aborts the interpreter, so stores may be made
    # in exactly one function, next to `add_wasi_http` and `set_wasi_http`.
    src_dir = PYDIR / "src" / "transcript_snapshot"
    places = {}
    for path in src_dir.glob("*.py"):
        for fn in ast.walk(ast.parse(path.read_text())):
            if isinstance(fn, ast.FunctionDef):
                for node in ast.walk(fn):
                    if isinstance(node, ast.Attribute) and node.attr in (
                            "Store", "add_wasi_http", "set_wasi_http"):
                        places.setdefault(node.attr, set()).add((path.name, fn.name))
    assert places == {k: {("client.py", "_instantiate")}
                      for k in ("Store", "add_wasi_http", "set_wasi_http")}


# --- the instance kept between calls ----------------------------------------------

def test_a_call_after_a_trap_runs_on_a_fresh_instance(tmp_path, gateway, monkeypatch):
    gateway.snapshot = b'{"x":1}\n'
    client = client_for(tmp_path)
    g = ts.Gateway(gateway.url, "t")
    assert client.hydrate(g, SESSION, FAST) == ts.Hydrated(8, 1)
    # The instance kept from that call traps on its next call, and would on
    # every later one: only a fresh instance lets the call after it work.
    _store, kept = client._idle

    def trap(*_args):
        raise wasmtime.WasmtimeError("wasm trap: unreachable")
    monkeypatch.setattr(kept, "get_func", trap)
    with pytest.raises(ts.ComponentTrap, match="hydrate trapped: wasm trap: unreachable"):
        client.hydrate(g, SESSION, FAST)
    assert client._idle is None
    assert client.hydrate(g, SESSION, FAST) == ts.Hydrated(8, 1)
    assert (tmp_path / ".openclaw" / "session.jsonl").read_bytes() == b'{"x":1}\n'
    assert client._idle[1] is not kept


# --- the README example -------------------------------------------------------------

def test_example_runs_against_a_mock_gateway(tmp_path, gateway):
    gateway.snapshot = b'{"role":"user","text":"hi"}\n'
    env = dict(os.environ, PYTHONPATH=str(PYDIR / "src"), WORKSPACE=str(tmp_path),
               GATEWAY_URL=gateway.url, WORKER_TOKEN="worker-jwt",
               JOB_PAYLOAD=json.dumps({"runId": 42, "runJobToken": "run-jwt", "other": 1}))
    out = subprocess.run([sys.executable, str(PYDIR / "examples" / "embed.py")], env=env,
                         check=True, capture_output=True, text=True, timeout=60).stdout
    size = len(gateway.snapshot)
    assert out.splitlines() == [f"hydrate: Hydrated(bytes={size}, attempts=1)",
                                f"write: Stored(bytes={size}, status=200, attempts=1)"]
    get, post = gateway.requests
    assert (get.method, get.path) == ("GET", "/lobu/worker/transcript/snapshot")
    assert get.headers["authorization"] == "Bearer worker-jwt"
    assert post.headers["authorization"] == "Bearer run-jwt"
    assert json.loads(post.body) == {"terminalStatus": "completed", "runId": 42,
                                     "snapshotJsonl": gateway.snapshot.decode()}
