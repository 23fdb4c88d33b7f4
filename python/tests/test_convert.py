"""wasmtime-py's value shapes for this WIT, and our conversion of them.

The first tests pin what wasmtime-py (46 to 50) really returns (raw calls, no
conversion), so an upgrade that changes a shape is noticed here; the rest
check that the readers accept both the tagged and the untagged form.
"""

from __future__ import annotations

import pytest
from wasmtime.component import Record, Variant

import transcript_snapshot as ts
from transcript_snapshot import _convert as conv

import canonical as cj

OPTS = conv.lower_options(ts.Options(timeout_ms=3000, max_attempts=1))


def rec(**fields):
    return conv._record(**fields)


@pytest.fixture
def raw(tmp_path):
    client = ts.SnapshotClient(preopens={"/workspace": str(tmp_path)})
    return lambda name, *args: client._call(name, args, ())


# --- the raw shapes of wasmtime-py 46 to 50 ----------------------------------------

def test_raw_run_binding_result_is_untagged(raw):
    some = raw("run-binding-from-payload", '{"runId": 5, "runJobToken": "x"}')
    assert type(some) is Record and vars(some) == {"run-id": 5, "token": "x"}
    assert raw("run-binding-from-payload", "{}") is None
    err = raw("run-binding-from-payload", "[]")
    assert isinstance(err, Variant) and err.tag == "invalid-input"


def test_raw_hydrate_result_is_tagged_and_its_outcome_untagged(raw, gateway):
    gw = conv.lower_gateway(ts.Gateway(gateway.url, "t"))
    assert raw("hydrate", gw, "/workspace/s.jsonl", OPTS) == Variant("ok", 1)  # no-snapshot(1)
    gateway.snapshot = b"{}\n"
    ok = raw("hydrate", gw, "/workspace/s.jsonl", OPTS)
    assert ok.tag == "ok" and vars(ok.payload) == {"bytes": 3, "attempts": 1}
    err = raw("hydrate", gw, "relative", OPTS)
    assert err.tag == "err" and set(vars(err.payload)) == {"error", "attempts"}
    assert err.payload.error.tag == "invalid-input"


def test_raw_write_and_clear_outcomes_are_tagged(raw):
    assert raw("write", "http://127.0.0.1:1", None, "/workspace/s", "failed", OPTS) == \
        Variant("skipped", "not-completed")
    out = raw("clear", conv.lower_gateway(ts.Gateway("nope", "t")), OPTS)
    assert out.tag == "failed" and out.payload.error.tag == "invalid-input"


# --- readers accept either form --------------------------------------------------

@pytest.mark.parametrize("value", [Variant("ok", 2), Variant("ok", Variant("no-snapshot", 2))])
def test_no_snapshot_either_form(value):
    assert conv.lift_hydrate(value) == (ts.NoSnapshot(2), None)


@pytest.mark.parametrize("value", [
    Variant("ok", rec(bytes=9, attempts=1)),
    Variant("ok", Variant("hydrated", rec(bytes=9, attempts=1))),
])
def test_hydrated_either_form(value):
    assert conv.lift_hydrate(value) == (ts.Hydrated(9, 1), None)


def test_hydrate_failure():
    value = Variant("err", rec(error=Variant("timeout", "first-byte"), attempts=3))
    assert conv.lift_hydrate(value) == (None, ts.Failed(ts.Timeout(ts.TimeoutKind.FIRST_BYTE), 3))


@pytest.mark.parametrize("value, expected", [
    (Variant("skipped", "session-file-empty"), ts.Skipped(ts.SkipReason.SESSION_FILE_EMPTY)),
    ("session-file-empty", ts.Skipped(ts.SkipReason.SESSION_FILE_EMPTY)),
    (Variant("duplicate", 2), ts.Duplicate(2)),
    (2, ts.Duplicate(2)),
    (rec(bytes=5, status=201, attempts=1), ts.Stored(5, 201, 1)),
    (Variant("too-large", rec(size=10, limit=4)), ts.TooLarge(10, 4)),
    (rec(size=10, limit=4), ts.TooLarge(10, 4)),
    (Variant("failed", rec(error=Variant("file-changed"), attempts=1)),
     ts.Failed(ts.FileChanged(), 1)),
])
def test_write_outcomes_either_form(value, expected):
    assert conv.lift_write(value) == expected


@pytest.mark.parametrize("deleted, expected", [
    (None, None), (3, 3), (Variant("none"), None), (Variant("some", 3), 3)])
def test_cleared_deleted_option_either_form(deleted, expected):
    value = Variant("cleared", rec(status=404, deleted=deleted, attempts=1))
    assert conv.lift_clear(value) == ts.Cleared(404, expected, 1)


@pytest.mark.parametrize("value, expected", [
    (rec(run_id=1, token="x"), (ts.RunBinding(1, "x"), None)),
    (Variant("ok", Variant("some", rec(run_id=1, token="x"))), (ts.RunBinding(1, "x"), None)),
    (None, (None, None)),
    (Variant("ok", None), (None, None)),
    (Variant("invalid-input", "bad"), (None, ts.InvalidInput("bad"))),
    (Variant("err", Variant("invalid-input", "bad")), (None, ts.InvalidInput("bad"))),
])
def test_run_binding_either_form(value, expected):
    assert conv.lift_run_binding(value) == expected


@pytest.mark.parametrize("bad", [Variant("ok", "surprise"), "x", Variant("bogus", 1)])
def test_unexpected_shapes_fail_loudly(bad):
    with pytest.raises(conv.ShapeError):
        conv.lift_hydrate(bad)


def test_lowered_options_use_kebab_case_and_none():
    lowered = conv.lower_options(ts.Options(max_hydrate_bytes=2 ** 64 - 1))
    assert getattr(lowered, "max-hydrate-bytes") == 2 ** 64 - 1
    assert getattr(lowered, "timeout-ms") is None and len(vars(lowered)) == 9


# --- every error case in canonical JSON and text ---------------------------------

@pytest.mark.parametrize("raw_error, error, canonical", [
    (Variant("invalid-input", "m"), ts.InvalidInput("m"), {"invalid-input": "m"}),
    (Variant("not-preopened", "/p"), ts.NotPreopened("/p"), {"not-preopened": "/p"}),
    (Variant("http-status", 500), ts.HttpStatus(500), {"http-status": 500}),
    (Variant("denied"), ts.Denied(), "denied"),
    (Variant("transport", rec(kind="connection-refused", detail="d")),
     ts.Transport(ts.TransportKind.CONNECTION_REFUSED, "d"),
     {"transport": {"kind": "connection-refused", "detail": "d"}}),
    (Variant("timeout", "deadline"), ts.Timeout(ts.TimeoutKind.DEADLINE), {"timeout": "deadline"}),
    (Variant("length-mismatch", rec(expected=5, received=6)), ts.LengthMismatch(5, 6),
     {"length-mismatch": {"expected": 5, "received": 6}}),
    (Variant("too-large", rec(size=9, limit=8)), ts.TooLarge(9, 8),
     {"too-large": {"size": 9, "limit": 8}}),
    (Variant("filesystem", rec(operation="sync", code="io")), ts.Filesystem("sync", "io"),
     {"filesystem": {"operation": "sync", "code": "io"}}),
    (Variant("invalid-utf8", 4), ts.InvalidUtf8(4), {"invalid-utf8": 4}),
    (Variant("file-changed"), ts.FileChanged(), "file-changed"),
])
def test_every_error_case(raw_error, error, canonical):
    assert conv.lift_error(raw_error) == error
    assert cj.error_json(error) == canonical
    assert str(ts.SnapshotError(error, 0)).startswith(raw_error.tag)
