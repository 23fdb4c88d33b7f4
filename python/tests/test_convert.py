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


def test_raw_hydrate_result_is_untagged_and_its_outcome_tagged(raw, gateway):
    # Since `up-to-date`, two outcome cases carry an int, so the outcome is
    # tagged, and the result's ok (a Variant) and err (a Record) no longer are.
    gw = conv.lower_gateway(ts.Gateway(gateway.url, "t"))
    assert raw("hydrate", gw, "/workspace/s.jsonl", OPTS) == Variant("no-snapshot", 1)
    gateway.snapshot, gateway.etag = b"{}\n", '"v1"'
    ok = raw("hydrate", gw, "/workspace/s.jsonl", OPTS)
    assert ok.tag == "hydrated" and vars(ok.payload) == {"bytes": 3, "attempts": 1}
    assert raw("hydrate", gw, "/workspace/s.jsonl", OPTS) == Variant("up-to-date", 1)
    err = raw("hydrate", gw, "relative", OPTS)
    assert type(err) is Record and set(vars(err)) == {"error", "attempts"}
    assert err.error.tag == "invalid-input"


def test_raw_write_and_clear_outcomes_are_tagged(raw, gateway, tmp_path):
    assert raw("write", "http://127.0.0.1:1", None, "/workspace/s", "failed", OPTS) == \
        Variant("skipped", "not-completed")
    out = raw("clear", conv.lower_gateway(ts.Gateway("nope", "t")), OPTS)
    assert out.tag == "failed" and out.payload.error.tag == "invalid-input"
    # Hydrated at "v1"; then another pod stores run 8 as "v2".
    gateway.snapshot, gateway.etag = b"{}\n", '"v1"'
    raw("hydrate", conv.lower_gateway(ts.Gateway(gateway.url, "t")), "/workspace/s", OPTS)
    gateway.etag, gateway.latest_run_id = '"v2"', 8
    run = conv.lower_run(ts.RunBinding(7, "t"))
    out = raw("write", gateway.url, run, "/workspace/s", "completed", OPTS)
    assert out.tag == "diverged" and vars(out.payload) == {"latest-run-id": 8, "attempts": 1}


# --- readers accept either form --------------------------------------------------

@pytest.mark.parametrize("case, expected", [
    ("no-snapshot", ts.NoSnapshot(2)), ("up-to-date", ts.UpToDate(2))])
@pytest.mark.parametrize("tagged_result", [True, False])
def test_int_outcomes_either_result_form(case, expected, tagged_result):
    outcome = Variant(case, 2)
    value = Variant("ok", outcome) if tagged_result else outcome
    assert conv.lift_hydrate(value) == (expected, None)


@pytest.mark.parametrize("value", [
    Variant("ok", rec(bytes=9, attempts=1)),
    Variant("ok", Variant("hydrated", rec(bytes=9, attempts=1))),
    Variant("hydrated", rec(bytes=9, attempts=1)),
])
def test_hydrated_either_form(value):
    assert conv.lift_hydrate(value) == (ts.Hydrated(9, 1), None)


@pytest.mark.parametrize("tagged_result", [True, False])
def test_hydrate_failure(tagged_result):
    failure = rec(error=Variant("timeout", "first-byte"), attempts=3)
    value = Variant("err", failure) if tagged_result else failure
    assert conv.lift_hydrate(value) == (None, ts.Failed(ts.Timeout(ts.TimeoutKind.FIRST_BYTE), 3))


@pytest.mark.parametrize("value, expected", [
    (Variant("skipped", "session-file-empty"), ts.Skipped(ts.SkipReason.SESSION_FILE_EMPTY)),
    ("session-file-empty", ts.Skipped(ts.SkipReason.SESSION_FILE_EMPTY)),
    (Variant("duplicate", 2), ts.Duplicate(2)),
    (2, ts.Duplicate(2)),
    (Variant("diverged", rec(latest_run_id=8, attempts=1)), ts.Diverged(8, 1)),
    (rec(latest_run_id=8, attempts=1), ts.Diverged(8, 1)),
    (Variant("diverged", rec(latest_run_id=None, attempts=2)), ts.Diverged(None, 2)),
    (Variant("diverged", rec(latest_run_id=Variant("some", 8), attempts=1)), ts.Diverged(8, 1)),
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


# A bare int could be `no-snapshot` or `up-to-date`: refused, never guessed.
@pytest.mark.parametrize("bad", [Variant("ok", "surprise"), "x", Variant("bogus", 1),
                                 Variant("ok", 2), 2])
def test_unexpected_shapes_fail_loudly(bad):
    with pytest.raises(conv.ShapeError):
        conv.lift_hydrate(bad)


def test_lowered_options_use_kebab_case_and_none():
    lowered = conv.lower_options(ts.Options(max_hydrate_bytes=2 ** 64 - 1, use_validators=False))
    assert getattr(lowered, "max-hydrate-bytes") == 2 ** 64 - 1
    assert getattr(lowered, "use-validators") is False
    assert getattr(lowered, "timeout-ms") is None and len(vars(lowered)) == 10


@pytest.mark.parametrize("options", [ts.Options(use_validators=0),
                                     ts.Options(use_validators="false"),
                                     ts.Options(max_attempts=True)])
def test_options_of_the_wrong_type_are_refused(options):
    # A truthy 0 or "false" would silently mean the opposite.
    with pytest.raises(TypeError):
        conv.lower_options(options)


# --- every error case in canonical JSON (their texts: test_descriptions.py) ---------

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
    (Variant("digest-mismatch"), ts.DigestMismatch(), "digest-mismatch"),
])
def test_every_error_case(raw_error, error, canonical):
    assert conv.lift_error(raw_error) == error
    assert cj.error_json(error) == canonical


# --- the outcomes of versions (0.2.0) in canonical JSON and text --------------------

def test_version_outcomes_in_canonical_json():
    assert cj.hydrate_result_json(ts.UpToDate(1), None) == {"ok": {"up-to-date": 1}}
    assert cj.outcome_json(ts.Diverged(8, 2)) == {"diverged": {"latest-run-id": 8, "attempts": 2}}
    assert cj.outcome_json(ts.Diverged(None, 1)) == \
        {"diverged": {"latest-run-id": None, "attempts": 1}}
    assert str(ts.SnapshotError(ts.DigestMismatch(), 1)) == (
        "snapshot body does not match the digest the gateway sent; session file kept")
