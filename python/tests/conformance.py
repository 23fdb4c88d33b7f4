"""Runs one shared conformance case (host-tests/cases) through the public API.

Protocol (host-tests/cases/README.md): `conformance serve NAME DIR` fills DIR,
starts the scripted gateway and prints `{"gateway", "closed"}`; we make the
call with DIR preopened at /workspace, send the canonical outcome as one
line, and get `{"problems": [...]}` back.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, List

import transcript_snapshot as ts

import canonical as cj
from repo import target_dir

BIN = Path(os.environ.get("CONFORMANCE_BIN", target_dir() / "debug/conformance"))
HOST = "wasmtime-py"


def _spawn(*args: str, **kw) -> subprocess.Popen:
    # Others rebuild target/debug/conformance in this shared checkout; exec'ing
    # it mid-link fails (ETXTBSY, EFAULT) before any case work, so retry then.
    for attempt in range(30):
        try:
            return subprocess.Popen([str(BIN), *args], text=True, **kw)
        except OSError:
            if attempt == 29 or not BIN.exists():
                raise
            time.sleep(1)
    raise AssertionError("unreachable")


def list_cases() -> List[dict]:
    if not BIN.exists():
        raise RuntimeError(f"{BIN} is missing: cargo build -p host-tests --bin conformance")
    proc = _spawn("list", stdout=subprocess.PIPE)
    out, _ = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{BIN} list exited with {proc.returncode}")
    return [c for c in json.loads(out) if HOST in c.get("hosts", [HOST])]


def _options(kebab: dict) -> ts.Options:
    # An unknown option name is a TypeError here: a case we cannot express fails.
    # Values pass through as JSON gave them (ints, and a bool for use-validators).
    return ts.Options(**{k.replace("-", "_"): v for k, v in kebab.items()})


def outcome(client: ts.SnapshotClient, call: dict, gateway: str, closed: str) -> Any:
    """Make the case's call; the result in canonical JSON."""
    op = call["op"]
    url = call.get("url", "").replace("{gateway}", gateway).replace("{closed}", closed)
    options = _options(call.get("options", {}))
    if op == "hydrate":
        try:
            got = client.hydrate(ts.Gateway(url, call["token"]), call["session-file"], options)
        except ts.SnapshotError as e:
            return cj.hydrate_result_json(None, e)
        return cj.hydrate_result_json(got, None)
    if op == "write":
        run = call.get("run")
        binding = ts.RunBinding(run["run-id"], run["token"]) if run is not None else None
        got = client.write(url, binding, call["session-file"], call["status"], options)
        return cj.outcome_json(got)
    if op == "clear":
        return cj.outcome_json(client.clear(ts.Gateway(url, call["token"]), options))
    if op == "run-binding-from-payload":
        try:
            return cj.run_binding_result_json(client.run_binding_from_payload(call["payload"]), None)
        except ts.SnapshotError as e:
            return cj.run_binding_result_json(None, e)
    raise ValueError(f"unknown op {op}")


def run_case(case: dict) -> List[str]:
    """Every problem the conformance program found; empty when the case passes."""
    with tempfile.TemporaryDirectory(prefix="ts-case-") as sandbox:
        proc = _spawn("serve", case["name"], sandbox, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        try:
            urls = json.loads(proc.stdout.readline())
            client = ts.SnapshotClient(preopens={"/workspace": sandbox})
            try:
                line = json.dumps(outcome(client, case["call"], urls["gateway"], urls["closed"]))
            except Exception as e:  # report it as the case's problem, and still end the program
                proc.kill()
                return [f"call raised {type(e).__name__}: {e}"]
            try:
                answer, _ = proc.communicate(line + "\n", timeout=60)
                return json.loads(answer)["problems"]
            except (OSError, ValueError) as e:  # the program died: say so, not just "OSError"
                return [f"conformance serve failed (exit {proc.poll()}): {e!r}"]
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
