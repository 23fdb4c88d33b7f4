"""The shared specifications beside the conformance cases, on the Python host:
host-tests/cases/descriptions.json (the one description of every error, and
the one redaction mark) and host-tests/cases/canonical.json (every outcome
shape in canonical JSON).  The Rust and Node suites check the same files, so
the three hosts cannot drift apart unnoticed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from wasmtime.component import Variant

import transcript_snapshot as ts
from transcript_snapshot import _convert as conv
from transcript_snapshot import types as t

import canonical as cj
from repo import REPO

CASES = REPO / "host-tests" / "cases"
DESCRIPTIONS = json.loads((CASES / "descriptions.json").read_text())
CANONICAL = json.loads((CASES / "canonical.json").read_text())


# Canonical JSON -> the values wasmtime-py returns, so each example goes
# through the package's own readers (lift_error, lift_hydrate, ...) as a real
# result would: variants tagged, records as `Record`s with kebab-case fields.
# Payloads are plain values, except a failure's `error` field.

def raw_payload(p: Any) -> Any:
    if not isinstance(p, dict):
        return p
    return conv._record(**{k: raw_variant(v) if k == "error" else raw_payload(v)
                           for k, v in p.items()})


def raw_variant(v: Any) -> Variant:
    if isinstance(v, str):
        return Variant(v)
    (tag, payload), = v.items()
    return Variant(tag, raw_variant(payload) if tag == "err" else raw_payload(payload))


def raw_result(v: Any) -> Variant:
    """`{"ok": outcome}` / `{"err": failure}`, the ok payload a variant."""
    (tag, payload), = v.items()
    return Variant(tag, raw_variant(payload) if tag == "ok" else raw_payload(payload))


ENTRIES = DESCRIPTIONS["descriptions"]


@pytest.mark.parametrize("entry", ENTRIES, ids=[json.dumps(e["error"]) for e in ENTRIES])
def test_every_error_has_the_shared_description(entry):
    error = conv.lift_error(raw_variant(entry["error"]))
    assert ts.describe(error) == entry["text"]
    assert str(ts.SnapshotError(error, 1)) == entry["text"]
    assert cj.error_json(error) == entry["error"]


def _hydrate(example):
    outcome, failed = conv.lift_hydrate(raw_result(example))
    exc = None if failed is None else ts.SnapshotError(failed.error, failed.attempts)
    return cj.hydrate_result_json(outcome, exc)


def _run_binding(example):
    binding, error = conv.lift_run_binding(raw_variant(example))
    return cj.run_binding_result_json(
        binding, None if error is None else ts.SnapshotError(error, None))


ROUND_TRIPS = {
    "hydrate": _hydrate,
    "write": lambda ex: cj.outcome_json(conv.lift_write(raw_variant(ex))),
    "clear": lambda ex: cj.outcome_json(conv.lift_clear(raw_variant(ex))),
    "run-binding-from-payload": _run_binding,
}


@pytest.mark.parametrize("call", ROUND_TRIPS)
def test_every_outcome_shape_reads_back_as_written(call):
    for example in CANONICAL[call]:
        assert ROUND_TRIPS[call](example) == example


def test_the_component_and_this_package_mask_a_token_with_the_same_mark(tmp_path):
    mark = DESCRIPTIONS["redaction-mark"]
    token = "tok-LEAK-CANARY-5b1e"
    client = ts.SnapshotClient(preopens={"/workspace": str(tmp_path)})
    with pytest.raises(ts.SnapshotError) as info:
        client.hydrate(ts.Gateway("http://127.0.0.1:1", token), f"/etc/{token}/session.jsonl")
    assert info.value.error == ts.NotPreopened(f"/etc/{mark}/session.jsonl")
    # The package's own texts (log records, exception messages, traps).
    assert t.redact(f"bad url for {token}", (token,)) == f"bad url for {mark}"
