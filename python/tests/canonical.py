"""The canonical JSON of outcomes and errors (host-tests/cases/README.md),
which the conformance program compares; the CLI's `--json` prints the same.

Test scaffolding: it lives here, not in the package, because only the shared
conformance cases need it.
"""

from __future__ import annotations

from typing import Any, Optional

import transcript_snapshot as ts

CASE_NAMES = {
    ts.InvalidInput: "invalid-input", ts.NotPreopened: "not-preopened",
    ts.HttpStatus: "http-status", ts.Denied: "denied", ts.Transport: "transport",
    ts.Timeout: "timeout", ts.LengthMismatch: "length-mismatch", ts.TooLarge: "too-large",
    ts.Filesystem: "filesystem", ts.InvalidUtf8: "invalid-utf8", ts.FileChanged: "file-changed",
    ts.DigestMismatch: "digest-mismatch",
}


def _error_payload(e: ts.Error) -> Any:
    if isinstance(e, ts.InvalidInput):
        return e.message
    if isinstance(e, ts.NotPreopened):
        return e.path
    if isinstance(e, ts.HttpStatus):
        return e.status
    if isinstance(e, ts.Transport):
        return {"kind": e.kind.value, "detail": e.detail}
    if isinstance(e, ts.Timeout):
        return e.kind.value
    if isinstance(e, ts.LengthMismatch):
        return {"expected": e.expected, "received": e.received}
    if isinstance(e, ts.TooLarge):
        return {"size": e.size, "limit": e.limit}
    if isinstance(e, ts.Filesystem):
        return {"operation": e.operation, "code": e.code}
    if isinstance(e, ts.InvalidUtf8):
        return e.offset
    return None  # denied, file-changed, digest-mismatch: cases without payload


def error_json(e: ts.Error) -> Any:
    payload = _error_payload(e)
    name = CASE_NAMES[type(e)]
    return name if payload is None else {name: payload}


def failure_json(error: ts.Error, attempts: Optional[int]) -> Any:
    return {"error": error_json(error), "attempts": attempts}


def outcome_json(outcome: Any) -> Any:
    """Canonical JSON of a hydrate, write or clear outcome (not the `result`)."""
    if isinstance(outcome, ts.Hydrated):
        return {"hydrated": {"bytes": outcome.bytes, "attempts": outcome.attempts}}
    if isinstance(outcome, ts.NoSnapshot):
        return {"no-snapshot": outcome.attempts}
    if isinstance(outcome, ts.UpToDate):
        return {"up-to-date": outcome.attempts}
    if isinstance(outcome, ts.Stored):
        return {"stored": {"bytes": outcome.bytes, "status": outcome.status,
                           "attempts": outcome.attempts}}
    if isinstance(outcome, ts.Duplicate):
        return {"duplicate": outcome.attempts}
    if isinstance(outcome, ts.Diverged):
        return {"diverged": {"latest-run-id": outcome.latest_run_id,
                             "attempts": outcome.attempts}}
    if isinstance(outcome, ts.Skipped):
        return {"skipped": outcome.reason.value}
    if isinstance(outcome, ts.TooLarge):
        return {"too-large": {"size": outcome.size, "limit": outcome.limit}}
    if isinstance(outcome, ts.Failed):
        return {"failed": failure_json(outcome.error, outcome.attempts)}
    if isinstance(outcome, ts.Cleared):
        return {"cleared": {"status": outcome.status, "deleted": outcome.deleted,
                            "attempts": outcome.attempts}}
    raise TypeError(f"not an outcome: {outcome!r}")


def hydrate_result_json(outcome: Optional[ts.HydrateOutcome],
                        exc: Optional[ts.SnapshotError]) -> Any:
    if exc is not None:
        return {"err": failure_json(exc.error, exc.attempts)}
    return {"ok": outcome_json(outcome)}


def run_binding_result_json(binding: Optional[ts.RunBinding],
                            exc: Optional[ts.SnapshotError]) -> Any:
    if exc is not None:
        return {"err": error_json(exc.error)}
    if binding is None:
        return {"ok": None}
    return {"ok": {"run-id": binding.run_id, "token": binding.token}}
