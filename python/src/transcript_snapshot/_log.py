"""One log record per hydrate, write and clear, on the "transcript_snapshot" logger.

Every record carries the same fields in `extra` (None where unknown), so a
structured formatter can rely on them; the message states the same facts for
people. Tokens are redacted from every text (`types.redact`), though the
component promises never to quote them.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Dict, Optional, Tuple

from . import types as t

LOGGER = logging.getLogger("transcript_snapshot")
FIELDS = ("operation", "outcome", "bytes", "attempts", "status", "duration_ms", "error")


def _attempts(n: Optional[int]) -> str:
    return f"{n} attempt" if n == 1 else f"{n} attempts"


def _describe(result: Any) -> Tuple[int, Dict[str, Any], str]:
    """(level, fields, message after "operation: ") of an outcome or exception."""
    f: Dict[str, Any] = dict.fromkeys(FIELDS)
    if isinstance(result, t.Hydrated):
        # Only a 200 hydrates; the status is logged as the other hosts log it.
        f.update(outcome="hydrated", bytes=result.bytes, attempts=result.attempts, status=200)
        return logging.INFO, f, f"hydrated {result.bytes} bytes in {_attempts(result.attempts)}"
    if isinstance(result, t.NoSnapshot):
        f.update(outcome="no-snapshot", attempts=result.attempts, status=404)
        return (logging.INFO, f,
                f"no snapshot (HTTP 404), file untouched, in {_attempts(result.attempts)}")
    if isinstance(result, t.UpToDate):
        f.update(outcome="up-to-date", attempts=result.attempts, status=304)
        return (logging.INFO, f, "up-to-date, session file already holds the latest snapshot "
                f"(HTTP 304), in {_attempts(result.attempts)}")
    if isinstance(result, t.Stored):
        f.update(outcome="stored", bytes=result.bytes, attempts=result.attempts,
                 status=result.status)
        return (logging.INFO, f, f"stored {result.bytes} bytes (HTTP {result.status}) "
                f"in {_attempts(result.attempts)}")
    if isinstance(result, t.Duplicate):
        f.update(outcome="duplicate", attempts=result.attempts, status=409)
        return (logging.INFO, f, "duplicate, already stored for this run (HTTP 409), "
                f"in {_attempts(result.attempts)}")
    if isinstance(result, t.Diverged):
        # Another pod continued the conversation: worth an operator's attention.
        f.update(outcome="diverged", attempts=result.attempts, status=412)
        newer = ("another snapshot is the latest" if result.latest_run_id is None
                 else f"run {result.latest_run_id} stored a newer snapshot")
        return (logging.WARNING, f, f"diverged, not stored: {newer} since this file's version "
                f"(HTTP 412), in {_attempts(result.attempts)}")
    if isinstance(result, t.Skipped):
        f.update(outcome="skipped", attempts=0)
        return logging.INFO, f, f"skipped ({result.reason.value}), nothing sent"
    if isinstance(result, t.TooLarge):
        f.update(outcome="too-large", bytes=result.size, attempts=0)
        return (logging.WARNING, f, f"too-large, {result.size} bytes over the limit of "
                f"{result.limit}, nothing sent")
    if isinstance(result, t.Cleared):
        deleted = "" if result.deleted is None else f", {result.deleted} deleted"
        f.update(outcome="cleared", attempts=result.attempts, status=result.status)
        return (logging.INFO, f, f"cleared (HTTP {result.status}{deleted}) "
                f"in {_attempts(result.attempts)}")
    # Failures: a `Failed` outcome, hydrate's SnapshotError, or anything raised.
    if isinstance(result, (t.Failed, t.SnapshotError)):
        error, attempts = result.error, result.attempts
        text = t.describe(error)
    else:
        error, attempts, text = None, None, f"{type(result).__name__}: {result}"
    f.update(outcome="failed", attempts=attempts, error=text)
    if isinstance(error, t.HttpStatus):
        f["status"] = error.status
    if isinstance(error, t.TooLarge):
        f["bytes"] = error.size
    return logging.WARNING, f, f"failed: {text}{t.after_attempts(attempts)}"


def call(operation: str, started: float, result: Any, secrets: Tuple[str, ...]) -> None:
    """Log one finished call; `started` is its `time.perf_counter()`."""
    duration_ms = (time.perf_counter() - started) * 1e3
    level, fields, text = _describe(result)
    if not LOGGER.isEnabledFor(level):
        return
    if fields["error"] is not None:
        fields["error"] = t.redact(fields["error"], secrets)
    fields.update(operation=operation, duration_ms=round(duration_ms, 3))
    # No args: the message is final text, never %-formatted again.
    LOGGER.log(level, t.redact(f"{operation}: {text} ({duration_ms:.1f} ms)", secrets),
               extra=fields)
