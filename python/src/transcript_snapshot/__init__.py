"""Durable agent transcripts: the transcript-snapshot WebAssembly component
(wit/snapshot.wit) on wasmtime-py. See python/README.md.

Each hydrate, write and clear logs one record on the "transcript_snapshot"
logger (fields in `extra`: operation, outcome, bytes, attempts, status,
duration_ms, error); tokens never appear in it.
"""

from .client import (AsyncSnapshotClient, LoadInfo, SnapshotClient, default_cache_dir,
                     default_component_path)
from .types import (ClearOutcome, Cleared, ComponentNotFoundError, ComponentTrap, Denied,
                    DigestMismatch, Diverged, Duplicate, Error, Failed, FileChanged, Filesystem,
                    Gateway, HttpStatus, Hydrated, HydrateOutcome, InvalidInput, InvalidUtf8,
                    LengthMismatch, NoSnapshot, NotPreopened, Options, RunBinding, SkipReason,
                    Skipped, SnapshotError, Stored, TerminalStatus, Timeout, TimeoutKind,
                    TooLarge, Transport, TransportKind, UpToDate, WriteOutcome, describe)

__version__ = "0.2.0"

__all__ = [
    "AsyncSnapshotClient", "LoadInfo", "SnapshotClient", "default_cache_dir",
    "default_component_path", "ClearOutcome", "Cleared", "ComponentNotFoundError",
    "ComponentTrap", "Denied", "DigestMismatch", "Diverged", "Duplicate", "Error",
    "Failed", "FileChanged", "Filesystem", "Gateway", "HttpStatus", "Hydrated",
    "HydrateOutcome", "InvalidInput", "InvalidUtf8", "LengthMismatch", "NoSnapshot",
    "NotPreopened", "Options", "RunBinding", "SkipReason", "Skipped", "SnapshotError",
    "Stored", "TerminalStatus", "Timeout", "TimeoutKind", "TooLarge", "Transport",
    "TransportKind", "UpToDate", "WriteOutcome", "describe",
]
