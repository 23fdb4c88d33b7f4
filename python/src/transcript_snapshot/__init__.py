"""Durable agent transcripts: the transcript-snapshot WebAssembly component
(wit/snapshot.wit) on wasmtime-py. See python/README.md."""

from .client import (AsyncSnapshotClient, LoadInfo, SnapshotClient, default_cache_dir,
                     default_component_path)
from .types import (ClearOutcome, Cleared, ComponentTrap, Denied, Duplicate, Error, Failed,
                    FileChanged, Filesystem, Gateway, HttpStatus, Hydrated, HydrateOutcome,
                    InvalidInput, InvalidUtf8, LengthMismatch, NoSnapshot, NotPreopened, Options,
                    RunBinding, SkipReason, Skipped, SnapshotError, Stored, TerminalStatus, Timeout,
                    TimeoutKind, TooLarge, Transport, TransportKind, WriteOutcome, describe,
                    error_json, hydrate_result_json, outcome_json, run_binding_result_json)

__all__ = [
    "AsyncSnapshotClient", "LoadInfo", "SnapshotClient", "default_cache_dir",
    "default_component_path", "ClearOutcome", "Cleared", "ComponentTrap", "Denied",
    "Duplicate", "Error", "Failed", "FileChanged", "Filesystem", "Gateway", "HttpStatus",
    "Hydrated", "HydrateOutcome", "InvalidInput", "InvalidUtf8", "LengthMismatch",
    "NoSnapshot", "NotPreopened", "Options", "RunBinding", "SkipReason", "Skipped",
    "SnapshotError", "Stored", "TerminalStatus", "Timeout", "TimeoutKind", "TooLarge",
    "Transport", "TransportKind", "WriteOutcome", "describe", "error_json",
    "hydrate_result_json", "outcome_json", "run_binding_result_json",
]
