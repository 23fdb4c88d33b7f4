"""Python mirrors of the types in wit/snapshot.wit.

Each WIT variant case is its own frozen dataclass so callers can use
`match`/`isinstance`; the WIT variant itself is a `Union` alias.  Field names
are the WIT names in snake_case.  Tokens are excluded from `repr` so that
logging an argument or a result never prints a secret.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Optional, Union


class TerminalStatus(str, enum.Enum):
    COMPLETED = "completed"
    FAILED = "failed"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"


class SkipReason(str, enum.Enum):
    NOT_COMPLETED = "not-completed"
    NO_RUN_BINDING = "no-run-binding"
    SESSION_FILE_MISSING = "session-file-missing"
    SESSION_FILE_EMPTY = "session-file-empty"


class TimeoutKind(str, enum.Enum):
    CONNECT = "connect"
    FIRST_BYTE = "first-byte"
    BETWEEN_BYTES = "between-bytes"
    DEADLINE = "deadline"


class TransportKind(str, enum.Enum):
    DNS = "dns"
    CONNECTION_REFUSED = "connection-refused"
    CONNECTION_RESET = "connection-reset"
    TLS = "tls"
    PROTOCOL = "protocol"
    OTHER = "other"


@dataclass(frozen=True)
class Gateway:
    url: str
    token: str = field(repr=False)


@dataclass(frozen=True)
class RunBinding:
    run_id: int
    token: str = field(repr=False)


@dataclass(frozen=True)
class Options:
    """Per-call overrides; `None` keeps the component's default (see the WIT)."""

    timeout_ms: Optional[int] = None
    connect_timeout_ms: Optional[int] = None
    first_byte_timeout_ms: Optional[int] = None
    between_bytes_timeout_ms: Optional[int] = None
    max_write_bytes: Optional[int] = None
    max_hydrate_bytes: Optional[int] = None
    max_attempts: Optional[int] = None
    retry_base_ms: Optional[int] = None
    retry_cap_ms: Optional[int] = None
    use_validators: Optional[bool] = None


# --- the `error` variant -----------------------------------------------------

@dataclass(frozen=True)
class InvalidInput:
    message: str


@dataclass(frozen=True)
class NotPreopened:
    path: str


@dataclass(frozen=True)
class HttpStatus:
    status: int


@dataclass(frozen=True)
class Denied:
    pass


@dataclass(frozen=True)
class Transport:
    kind: TransportKind
    detail: str


@dataclass(frozen=True)
class Timeout:
    kind: TimeoutKind


@dataclass(frozen=True)
class LengthMismatch:
    expected: int
    received: int


@dataclass(frozen=True)
class TooLarge:
    """A `size-limit`: the `too-large` case of both `error` and `write-outcome`."""

    size: int
    limit: int


@dataclass(frozen=True)
class Filesystem:
    operation: str
    code: str


@dataclass(frozen=True)
class InvalidUtf8:
    offset: int


@dataclass(frozen=True)
class FileChanged:
    pass


@dataclass(frozen=True)
class DigestMismatch:
    pass


Error = Union[InvalidInput, NotPreopened, HttpStatus, Denied, Transport, Timeout,
              LengthMismatch, TooLarge, Filesystem, InvalidUtf8, FileChanged, DigestMismatch]


# --- outcomes ----------------------------------------------------------------

@dataclass(frozen=True)
class Hydrated:
    bytes: int
    attempts: int


@dataclass(frozen=True)
class NoSnapshot:
    attempts: int


@dataclass(frozen=True)
class UpToDate:
    """The session file already holds the latest snapshot (304); nothing was written."""

    attempts: int


HydrateOutcome = Union[Hydrated, NoSnapshot, UpToDate]


@dataclass(frozen=True)
class Stored:
    bytes: int
    status: int
    attempts: int


@dataclass(frozen=True)
class Duplicate:
    attempts: int


@dataclass(frozen=True)
class Diverged:
    """412: another pod stored a newer snapshot since the session file's
    version; nothing was stored and the file is untouched."""

    latest_run_id: Optional[int]
    attempts: int


@dataclass(frozen=True)
class Skipped:
    reason: SkipReason


@dataclass(frozen=True)
class Failed:
    """The WIT `failure` record, as the `failed` case of write and clear."""

    error: Error
    attempts: int


WriteOutcome = Union[Stored, Duplicate, Diverged, Skipped, TooLarge, Failed]


@dataclass(frozen=True)
class Cleared:
    status: int
    deleted: Optional[int]
    attempts: int


ClearOutcome = Union[Cleared, Failed]


# --- exceptions --------------------------------------------------------------

class SnapshotError(Exception):
    """`hydrate` or `run_binding_from_payload` returned the WIT `err` case.

    `error` is the typed WIT error (match on its class); `attempts` is the
    failure's request count for `hydrate` and `None` for
    `run_binding_from_payload`, whose WIT error carries no count.
    """

    def __init__(self, error: Error, attempts: Optional[int], secrets: tuple = ()):
        self.error = error
        self.attempts = attempts
        # The component promises error texts never quote the token; redacting
        # the message as well costs nothing and protects logs if it ever did.
        super().__init__(redact(describe(error) + after_attempts(attempts), secrets))


REDACT_MIN = 8
# What stands in for a token in every text: the component writes the same
# mark, so a reader sees one sign whichever layer removed the secret.
REDACTED = "[redacted]"


def redact(text: str, secrets: tuple) -> str:
    """`text` with each secret replaced by REDACTED.

    Secrets shorter than REDACT_MIN are left alone: such a string turns up
    inside ordinary words by chance (a token "t" would garble "timeout"), so
    replacing it would mangle every message and, by the pattern, reveal it.
    Real tokens (JWTs) are far longer, and the component never quotes one.
    """
    for s in secrets:
        if s and len(s) >= REDACT_MIN:
            text = text.replace(s, REDACTED)
    return text


class ComponentTrap(RuntimeError):
    """The component trapped. The WIT says it never does: this is a bug report."""


class ComponentNotFoundError(FileNotFoundError):
    """No component where the client looked; the message says how to provide one."""


_TIMEOUT = {
    TimeoutKind.CONNECT: "connecting",
    TimeoutKind.FIRST_BYTE: "waiting for the response",
    TimeoutKind.BETWEEN_BYTES: "waiting for more of the body",
    TimeoutKind.DEADLINE: "overall deadline",
}

_TRANSPORT = {
    TransportKind.DNS: "DNS lookup failed",
    TransportKind.CONNECTION_REFUSED: "connection refused",
    TransportKind.CONNECTION_RESET: "connection reset",
    TransportKind.TLS: "TLS failed",
    TransportKind.PROTOCOL: "HTTP protocol error",
    TransportKind.OTHER: "transport error",
}


def after_attempts(attempts: Optional[int]) -> str:
    """What follows a failure's description when it was retried: the Rust
    host's words (host/src/display.rs, `DescribeFailure`), as the Node host's."""
    return f" after {attempts} attempts" if attempts is not None and attempts > 1 else ""


def describe(error: Error) -> str:
    """One line for exception messages and logs: the Rust and Node hosts'
    words exactly (host-tests/cases/descriptions.json pins them)."""
    e = error
    if isinstance(e, InvalidInput):
        return f"invalid input: {e.message}"
    if isinstance(e, NotPreopened):
        return f"{e.path} is under no preopened directory"
    if isinstance(e, HttpStatus):
        return f"gateway answered HTTP {e.status}"
    if isinstance(e, Denied):
        return "the host refused to send the request"
    if isinstance(e, Transport):
        return f"{_TRANSPORT[e.kind]} ({e.detail})"
    if isinstance(e, Timeout):
        return f"timed out ({_TIMEOUT[e.kind]})"
    if isinstance(e, LengthMismatch):
        return f"body of {e.received} bytes does not match its content-length of {e.expected}"
    if isinstance(e, TooLarge):
        return f"snapshot of {e.size} bytes is over the limit of {e.limit}"
    if isinstance(e, Filesystem):
        return f"could not {e.operation} ({e.code})"
    if isinstance(e, InvalidUtf8):
        return f"session file is not UTF-8 (first bad byte at offset {e.offset})"
    if isinstance(e, FileChanged):
        return "session file changed while it was being sent; nothing stored"
    if isinstance(e, DigestMismatch):
        return "snapshot body does not match the digest the gateway sent; session file kept"
    raise TypeError(f"not an error: {e!r}")
