"""Logs: one record per hydrate, write and clear on the "transcript_snapshot"
logger, with the documented fields in `extra`, and never the token."""

from __future__ import annotations

import asyncio
import logging
import re
import time

import pytest

import transcript_snapshot as ts
from transcript_snapshot import _log

TOKEN = "tok-SECRET-4242"
SESSION = "/workspace/.openclaw/session.jsonl"
FAST = ts.Options(timeout_ms=5000, max_attempts=1)
FIELDS = ("operation", "outcome", "bytes", "attempts", "status", "duration_ms", "error")
CLOSED = "http://127.0.0.1:1"  # nothing listens on port 1: connection refused


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.DEBUG, logger="transcript_snapshot")
    return caplog


@pytest.fixture
def client(tmp_path):
    (tmp_path / ".openclaw").mkdir()
    return ts.SnapshotClient(preopens={"/workspace": str(tmp_path)})


def only_record(logs) -> logging.LogRecord:
    records = [r for r in logs.records if r.name == "transcript_snapshot"]
    assert len(records) == 1, [r.getMessage() for r in records]
    logs.clear()
    return records[0]


def fields(record: logging.LogRecord) -> dict:
    return {name: getattr(record, name) for name in FIELDS}


def check(record, level, message, **expected):
    """The record's level, message (the ms figure varies) and every field."""
    assert record.levelno == level
    assert re.fullmatch(re.escape(message).replace(r"\{ms\}", r"\d+\.\d ms"),
                        record.getMessage()), record.getMessage()
    got = fields(record)
    assert isinstance(got.pop("duration_ms"), float)
    want = {**dict.fromkeys(FIELDS), **expected}
    del want["duration_ms"]
    assert got == want


def test_hydrate_records(client, gateway, logs):
    gw = ts.Gateway(gateway.url, TOKEN)
    gateway.snapshot = b'{"turn":1}\n' * 15
    client.hydrate(gw, SESSION, FAST)
    check(only_record(logs), logging.INFO, "hydrate: hydrated 165 bytes in 1 attempt ({ms})",
          operation="hydrate", outcome="hydrated", bytes=165, attempts=1, status=200)
    gateway.snapshot = None
    client.hydrate(gw, SESSION, FAST)
    check(only_record(logs), logging.INFO,
          "hydrate: no snapshot (HTTP 404), file untouched, in 1 attempt ({ms})",
          operation="hydrate", outcome="no-snapshot", attempts=1, status=404)


def test_version_records(tmp_path, client, gateway, logs):
    gw = ts.Gateway(gateway.url, TOKEN)
    gateway.snapshot, gateway.etag = b'{"turn":1}\n', '"v1"'
    client.hydrate(gw, SESSION, FAST)
    logs.clear()
    assert client.hydrate(gw, SESSION, FAST) == ts.UpToDate(1)
    check(only_record(logs), logging.INFO,
          "hydrate: up-to-date, session file already holds the latest snapshot (HTTP 304), "
          "in 1 attempt ({ms})",
          operation="hydrate", outcome="up-to-date", attempts=1, status=304)
    # Another pod stored run 8 since this file was hydrated at "v1".
    gateway.etag, gateway.latest_run_id = '"v2"', 8
    assert client.write(gateway.url, ts.RunBinding(7, TOKEN), SESSION, "completed", FAST) == \
        ts.Diverged(8, 1)
    check(only_record(logs), logging.WARNING,
          "write: diverged, not stored: run 8 stored a newer snapshot since this file's "
          "version (HTTP 412), in 1 attempt ({ms})",
          operation="write", outcome="diverged", attempts=1, status=412)
    gateway.latest_run_id = None
    client.write(gateway.url, ts.RunBinding(7, TOKEN), SESSION, "completed", FAST)
    assert only_record(logs).getMessage().startswith(
        "write: diverged, not stored: another snapshot is the latest since this file's "
        "version (HTTP 412), in 1 attempt (")


def test_hydrate_failures_are_warnings(client, gateway, logs):
    gateway.status = 503
    with pytest.raises(ts.SnapshotError):
        client.hydrate(ts.Gateway(gateway.url, TOKEN), SESSION, FAST)
    check(only_record(logs), logging.WARNING,
          "hydrate: failed: gateway answered HTTP 503 ({ms})",
          operation="hydrate", outcome="failed", attempts=1, status=503,
          error="gateway answered HTTP 503")
    with pytest.raises(ts.SnapshotError):
        client.hydrate(ts.Gateway(CLOSED, TOKEN), SESSION, FAST)
    record = only_record(logs)
    assert (record.levelno, record.outcome, record.status) == (logging.WARNING, "failed", None)
    assert record.error.startswith("connection refused (connection-refused)")
    assert record.getMessage().startswith("hydrate: failed: connection refused")


def test_a_retried_failure_says_after_how_many_attempts(client, gateway, logs):
    # The Rust host's words (host/src/display.rs), in the exception and the record.
    gateway.status = 503
    retried = ts.Options(timeout_ms=5000, max_attempts=3, retry_base_ms=1, retry_cap_ms=1)
    with pytest.raises(ts.SnapshotError) as info:
        client.hydrate(ts.Gateway(gateway.url, TOKEN), SESSION, retried)
    assert str(info.value) == "gateway answered HTTP 503 after 3 attempts"
    check(only_record(logs), logging.WARNING,
          "hydrate: failed: gateway answered HTTP 503 after 3 attempts ({ms})",
          operation="hydrate", outcome="failed", attempts=3, status=503,
          error="gateway answered HTTP 503")
    client.clear(ts.Gateway(gateway.url, TOKEN), retried)
    check(only_record(logs), logging.WARNING,
          "clear: failed: gateway answered HTTP 503 after 3 attempts ({ms})",
          operation="clear", outcome="failed", attempts=3, status=503,
          error="gateway answered HTTP 503")


def test_write_records(tmp_path, client, gateway, logs):
    (tmp_path / ".openclaw/session.jsonl").write_bytes(b'{"turn":1}\n' * 10)
    run = ts.RunBinding(7, TOKEN)
    client.write(gateway.url, run, SESSION, "completed", FAST)
    check(only_record(logs), logging.INFO, "write: stored 110 bytes (HTTP 200) in 1 attempt ({ms})",
          operation="write", outcome="stored", bytes=110, attempts=1, status=200)
    client.write(gateway.url, run, SESSION, "failed", FAST)
    check(only_record(logs), logging.INFO, "write: skipped (not-completed), nothing sent ({ms})",
          operation="write", outcome="skipped", attempts=0)
    client.write(gateway.url, run, SESSION, "completed", ts.Options(max_write_bytes=100))
    check(only_record(logs), logging.WARNING,
          "write: too-large, 110 bytes over the limit of 100, nothing sent ({ms})",
          operation="write", outcome="too-large", bytes=110, attempts=0)
    gateway.status = 409
    client.write(gateway.url, run, SESSION, "completed", FAST)
    check(only_record(logs), logging.INFO,
          "write: duplicate, already stored for this run (HTTP 409), in 1 attempt ({ms})",
          operation="write", outcome="duplicate", attempts=1, status=409)
    gateway.status = 401
    client.write(gateway.url, run, SESSION, "completed", FAST)
    check(only_record(logs), logging.WARNING,
          "write: failed: gateway answered HTTP 401 ({ms})",
          operation="write", outcome="failed", attempts=1, status=401,
          error="gateway answered HTTP 401")


def test_clear_records(client, gateway, logs):
    client.clear(ts.Gateway(gateway.url, TOKEN), FAST)
    check(only_record(logs), logging.INFO, "clear: cleared (HTTP 200, 1 deleted) in 1 attempt ({ms})",
          operation="clear", outcome="cleared", attempts=1, status=200)
    client.clear(ts.Gateway(CLOSED, TOKEN), FAST)
    record = only_record(logs)
    assert (record.levelno, record.operation, record.outcome, record.attempts) == \
        (logging.WARNING, "clear", "failed", 1)
    assert record.error.startswith("connection refused (connection-refused)")


def test_async_forms_log_one_record_each(tmp_path, gateway, logs):
    client = ts.AsyncSnapshotClient(preopens={"/workspace": str(tmp_path)})
    gw = ts.Gateway(gateway.url, TOKEN)

    async def main():
        await client.hydrate(gw, SESSION, FAST)
        await client.write(gateway.url, None, SESSION, "completed", FAST)
        await client.clear(gw, FAST)

    asyncio.run(main())
    records = [r for r in logs.records if r.name == "transcript_snapshot"]
    assert [(r.operation, r.outcome) for r in records] == [
        ("hydrate", "no-snapshot"), ("write", "skipped"), ("clear", "cleared")]
    assert records[1].getMessage().startswith("write: skipped (no-run-binding), nothing sent")


def test_no_record_holds_the_token(tmp_path, client, gateway, logs):
    # Success and failure paths, including an invalid token the component
    # refuses (its error describes the token without quoting it).
    (tmp_path / ".openclaw/session.jsonl").write_text('{"turn":1}\n')
    gateway.snapshot = b'{"turn":1}\n'
    good, closed = ts.Gateway(gateway.url, TOKEN), ts.Gateway(CLOSED, TOKEN)
    client.hydrate(good, SESSION, FAST)
    client.write(gateway.url, ts.RunBinding(1, TOKEN), SESSION, "completed", FAST)
    client.clear(good, FAST)
    for call in (lambda: client.hydrate(closed, SESSION, FAST),
                 lambda: client.hydrate(ts.Gateway(gateway.url, TOKEN + "\n"), SESSION, FAST)):
        with pytest.raises(ts.SnapshotError):
            call()
    client.write(CLOSED, ts.RunBinding(1, TOKEN), SESSION, "completed", FAST)
    client.write(gateway.url, ts.RunBinding(1, TOKEN + "\r"), SESSION, "completed", FAST)
    client.clear(closed, FAST)
    gateway.status = 403
    client.clear(good, FAST)
    records = [r for r in logs.records if r.name == "transcript_snapshot"]
    assert len(records) == 9
    assert {r.outcome for r in records} == {"hydrated", "stored", "cleared", "failed"}
    for record in records:
        texts = [record.getMessage(), *(str(v) for v in vars(record).values())]
        assert not [text for text in texts if "SECRET" in text], record.getMessage()


def test_a_token_quoted_in_an_error_is_redacted(logs):
    # The component never quotes a token; should one ever do so, the
    # exception and the record still hide it.
    failed = ts.Failed(ts.InvalidInput(f"token {TOKEN} refused"), 1)
    assert TOKEN not in str(ts.SnapshotError(failed.error, 1, (TOKEN,)))
    _log.call("write", time.perf_counter(), failed, (TOKEN,))
    record = only_record(logs)
    assert record.error == "invalid input: token [redacted] refused"
    assert record.getMessage().startswith("write: failed: invalid input: "
                                          "token [redacted] refused (")


def test_a_short_token_does_not_garble_messages(client, logs):
    # Redacting "t" would rewrite every "t" in the text; real tokens are JWTs.
    client.clear(ts.Gateway(CLOSED, "t"), FAST)
    assert "connection refused (connection-refused)" in only_record(logs).getMessage()


def test_a_trap_is_logged_as_failed(client, logs, monkeypatch):
    def trap(name, args, secrets):
        raise ts.ComponentTrap(f"{name} trapped: wasm trap: unreachable")

    monkeypatch.setattr(client, "_call", trap)
    with pytest.raises(ts.ComponentTrap):
        client.clear(ts.Gateway(CLOSED, TOKEN), FAST)
    check(only_record(logs), logging.WARNING,
          "clear: failed: ComponentTrap: clear trapped: wasm trap: unreachable ({ms})",
          operation="clear", outcome="failed",
          error="ComponentTrap: clear trapped: wasm trap: unreachable")
