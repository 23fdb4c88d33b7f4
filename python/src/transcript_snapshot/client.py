"""`SnapshotClient`: the transcript-snapshot component on wasmtime-py.

One `Engine` and one compiled `Component` per process (and per wasm file),
cached on disk in serialized form. Each client keeps one `Store` and instance
between calls (the component keeps no state from one call to the next, as on
the Node host); a call that traps discards them, so a trap cannot poison later
calls, and a call made while another runs gets a fresh pair of its own.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional, Tuple, Union

import wasmtime
from wasmtime.component import Component, Linker

from . import _convert as conv
from . import _log
from . import types as t

INTERFACE = "lobu:transcript-snapshot/snapshot@0.2.0"
_FUNCS = ("hydrate", "write", "clear", "run-binding-from-payload")


def _wasmtime_build() -> str:
    """Identifies the wasmtime build for the compiled-component cache key.

    The native library's platform directory, size and mtime rather than the
    package version and `platform.machine()`: `importlib.metadata` and
    `platform` cost a cold process ~50 ms of imports, and wasmtime checks
    compatibility itself when deserializing anyway.
    """
    try:
        from wasmtime import _ffi
        lib = Path(_ffi.filename)
        st = lib.stat()
        return f"{lib.parent.name}-{st.st_size:x}{st.st_mtime_ns:x}"
    except (ImportError, AttributeError, OSError):
        # The slow way, should wasmtime's layout change.
        import importlib.metadata
        import platform
        return f"{importlib.metadata.version('wasmtime')}-{platform.machine()}"

PathLike = Union[str, os.PathLike]


@dataclass(frozen=True)
class LoadInfo:
    """How a client got its compiled component (observable for tests and ops)."""

    source: str  # "compiled", "disk-cache" or "memory" (already loaded in this process)
    cache_file: Optional[Path]
    seconds: float


WASM_ENV = "TRANSCRIPT_SNAPSHOT_WASM"
_BUNDLED = "transcript_snapshot.wasm"


def default_component_path() -> Path:
    """$TRANSCRIPT_SNAPSHOT_WASM if set, else the component bundled in the package.

    Raises `ComponentNotFoundError`, saying how to fix it, when the variable
    names no file or (unset) the installation carries no component.
    """
    env = os.environ.get(WASM_ENV)
    if env:
        path = Path(env)
        if not path.is_file():
            raise t.ComponentNotFoundError(
                f"${WASM_ENV} is {env!r}, which is not a file: point it at a "
                "transcript_snapshot.wasm, or unset it to use the component bundled "
                "in the package")
        return path
    # Imported here: only a client without the variable pays for the import.
    from importlib.resources import files

    bundled = files(__package__) / _BUNDLED
    if not bundled.is_file():
        raise t.ComponentNotFoundError(
            f"no component: ${WASM_ENV} is not set and this installation of "
            f"transcript_snapshot has no bundled {_BUNDLED} (install the wheel, which "
            f"carries it), so set ${WASM_ENV} to a transcript_snapshot.wasm or pass "
            "component_path=")
    return bundled  # a Path for any unpacked install; read_bytes() is all we need


def default_cache_dir() -> Path:
    env = os.environ.get("TRANSCRIPT_SNAPSHOT_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "transcript-snapshot"


_ENGINE: Optional[wasmtime.Engine] = None
_LOADED: dict = {}  # cache key -> Component
_LOCK = threading.Lock()


def _engine() -> wasmtime.Engine:
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = wasmtime.Engine()
    return _ENGINE


def _load(wasm_path: Path, cache_dir: Optional[Path]) -> Tuple[Component, LoadInfo]:
    start = time.perf_counter()
    wasm = wasm_path.read_bytes()
    # The serialized form is only valid for the same wasm, wasmtime build and
    # CPU; wasmtime also checks this itself and we recompile if it refuses.
    key = (f"transcript_snapshot-{hashlib.sha256(wasm).hexdigest()[:32]}"
           f"-wasmtime-{_wasmtime_build()}")
    cache_file = cache_dir / f"{key}.cwasm" if cache_dir else None
    with _LOCK:
        engine = _engine()
        if key in _LOADED:
            return _LOADED[key], LoadInfo("memory", cache_file, time.perf_counter() - start)
        component, source = None, "compiled"
        if cache_file is not None and cache_file.exists():
            try:
                # Deserializing trusts the file (it is native code): the cache
                # dir must be writable only by this user, hence mode 0o700.
                component = Component.deserialize_file(engine, str(cache_file))
                source = "disk-cache"
            except wasmtime.WasmtimeError:
                component = None  # stale or corrupt: recompile and overwrite
        if component is None:
            component = Component(engine, wasm)
            if cache_file is not None:
                _write_atomically(cache_file, component.serialize())
        _LOADED[key] = component
        return component, LoadInfo(source, cache_file, time.perf_counter() - start)


def _write_atomically(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        import tempfile  # only on a cache miss

        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)  # other processes see the whole file or none
    except OSError:
        pass  # a cache we cannot write only costs a compile next time


class SnapshotClient:
    """The component, ready to call. Thread-safe; every call blocks its thread.

    `preopens` maps guest directories (absolute, e.g. "/workspace") to host
    directories; session-file paths must lie under one of them. The guest
    gets nothing else: no environment, arguments, stdio or other files.
    Network access is whatever the host process has: wasmtime-py offers no
    hook to filter outgoing requests.

    Each method blocks the calling thread until the gateway exchange ends
    (bounded by `Options.timeout_ms`); use `AsyncSnapshotClient` from asyncio.
    """

    def __init__(self, component_path: Optional[PathLike] = None,
                 preopens: Optional[Mapping[str, PathLike]] = None,
                 cache_dir: Union[PathLike, None, bool] = None):
        """`cache_dir=None` uses `default_cache_dir()`; `False` disables the disk cache."""
        if component_path:
            path = Path(component_path)
            if not path.is_file():
                raise t.ComponentNotFoundError(
                    f"component_path {os.fspath(component_path)!r} is not a file: pass a "
                    "transcript_snapshot.wasm, or leave it out to use the default component")
        else:
            path = default_component_path()
        cache = None if cache_dir is False else Path(cache_dir or default_cache_dir())
        self._preopens = []
        for guest, host in (preopens or {}).items():
            if not guest.startswith("/"):
                raise ValueError(f"guest path {guest!r} must be absolute")
            if not Path(host).is_dir():
                raise ValueError(f"preopen {guest!r}: {host!r} is not a directory")
            self._preopens.append((os.fspath(host), guest))
        self._component, self.load_info = _load(path, cache)
        iface = self._component.get_export_index(INTERFACE)
        if iface is None:
            raise ValueError(f"{path} does not export {INTERFACE}")
        self._funcs = {name: self._component.get_export_index(name, iface) for name in _FUNCS}
        self._linker: Optional[Linker] = None
        # The (store, instance) kept between calls; taken by a call, given back
        # after it returns normally. Instantiating and closing a store took
        # about a tenth of a warm 1.3 KB call.
        self._idle: Optional[tuple] = None
        self._idle_lock = threading.Lock()

    def _instantiate(self):
        # The only place a Store is created. wasmtime-py aborts the whole
        # process (an uncatchable panic) when a guest uses wasi:http on a store
        # without `set_wasi_http`, so the linker's `add_wasi_http` and
        # the store's `set_wasi_http` live here and nowhere else.
        engine = _engine()
        linker = self._linker
        if linker is None:
            # Made once per client (two threads racing here both make a valid
            # one): instantiating only reads it, and setting one up was most of
            # a call's instantiation cost.
            linker = Linker(engine)
            linker.add_wasip2()
            linker.add_wasi_http()
            self._linker = linker
        wasi = wasmtime.WasiConfig()
        for host, guest in self._preopens:
            wasi.preopen_dir(host, guest)
        store = wasmtime.Store(engine)
        store.set_wasi(wasi)
        store.set_wasi_http()
        return store, linker.instantiate(store, self._component)

    def _call(self, name: str, args: tuple, secrets: tuple) -> Any:
        with self._idle_lock:
            pair, self._idle = self._idle, None
        store, instance = pair or self._instantiate()
        returned = False
        try:
            func = instance.get_func(store, self._funcs[name])
            result = func(store, *args)
            func.post_return(store)
            returned = True
            return result
        except wasmtime.WasmtimeError as e:
            raise t.ComponentTrap(t.redact(f"{name} trapped: {e}", secrets)) from None
        finally:
            kept = False
            if returned:
                with self._idle_lock:
                    if self._idle is None:
                        self._idle, kept = (store, instance), True
            if not kept:
                store.close()

    def hydrate(self, gateway: t.Gateway, session_file: str,
                options: Optional[t.Options] = None) -> t.HydrateOutcome:
        """Pull the latest completed snapshot into `session_file`.

        Returns `Hydrated`, `NoSnapshot` or `UpToDate`; raises `SnapshotError`
        (with the typed `.error` and `.attempts`) when the WIT returns `err`.
        """
        args = (conv.lower_gateway(gateway), conv._str("session_file", session_file),
                conv.lower_options(options))
        secrets = (gateway.token,)

        def call() -> t.HydrateOutcome:
            outcome, failure = conv.lift_hydrate(self._call("hydrate", args, secrets))
            if failure is not None:
                raise t.SnapshotError(failure.error, failure.attempts, secrets)
            return outcome
        return _logged("hydrate", call, secrets)

    def write(self, gateway_url: str, run: Optional[t.RunBinding], session_file: str,
              status: Union[t.TerminalStatus, str],
              options: Optional[t.Options] = None) -> t.WriteOutcome:
        """Push `session_file` as the snapshot of a finished run. Never raises
        for gateway or file problems: every case is a `WriteOutcome`."""
        args = (conv._str("gateway_url", gateway_url), conv.lower_run(run),
                conv._str("session_file", session_file), conv.lower_status(status),
                conv.lower_options(options))
        secrets = (run.token,) if run is not None else ()
        return _logged("write", lambda: conv.lift_write(self._call("write", args, secrets)),
                       secrets)

    def clear(self, gateway: t.Gateway, options: Optional[t.Options] = None) -> t.ClearOutcome:
        """Delete every snapshot of the conversation: `Cleared` or `Failed`."""
        args = (conv.lower_gateway(gateway), conv.lower_options(options))
        secrets = (gateway.token,)
        return _logged("clear", lambda: conv.lift_clear(self._call("clear", args, secrets)),
                       secrets)

    def run_binding_from_payload(self, payload_json: str) -> Optional[t.RunBinding]:
        """The run binding in a job payload, or None; `SnapshotError` (always
        `InvalidInput`) when the payload is not a JSON object."""
        args = (conv._str("payload_json", payload_json),)
        binding, error = conv.lift_run_binding(self._call("run-binding-from-payload", args, ()))
        if error is not None:
            raise t.SnapshotError(error, None)
        return binding


def _logged(operation: str, call, secrets: tuple):
    """`call()`, logged as one record (see _log.py) whether it returns or raises.

    Arguments are checked before this, so a call refused for a bad argument
    (TypeError, ValueError) raises without a record: nothing ran.
    """
    started = time.perf_counter()
    try:
        result = call()
    except Exception as e:
        _log.call(operation, started, e, secrets)
        raise
    _log.call(operation, started, result, secrets)
    return result


async def _in_thread(fn, *args):
    # asyncio is imported here, not at the top: its imports would slow every
    # process that only uses the synchronous client.
    import asyncio

    return await asyncio.to_thread(fn, *args)


class AsyncSnapshotClient:
    """`SnapshotClient` for asyncio: each call runs in a worker thread
    (`asyncio.to_thread`), so the event loop keeps running meanwhile.

    Cancelling the awaiting task does not stop a call already running: it
    finishes in its thread, bounded by `Options.timeout_ms`.
    """

    def __init__(self, component_path: Optional[PathLike] = None,
                 preopens: Optional[Mapping[str, PathLike]] = None,
                 cache_dir: Union[PathLike, None, bool] = None, *,
                 client: Optional[SnapshotClient] = None):
        self.sync = client or SnapshotClient(component_path, preopens, cache_dir)

    async def hydrate(self, gateway: t.Gateway, session_file: str,
                      options: Optional[t.Options] = None) -> t.HydrateOutcome:
        return await _in_thread(self.sync.hydrate, gateway, session_file, options)

    async def write(self, gateway_url: str, run: Optional[t.RunBinding], session_file: str,
                    status: Union[t.TerminalStatus, str],
                    options: Optional[t.Options] = None) -> t.WriteOutcome:
        return await _in_thread(self.sync.write, gateway_url, run, session_file,
                                status, options)

    async def clear(self, gateway: t.Gateway,
                    options: Optional[t.Options] = None) -> t.ClearOutcome:
        return await _in_thread(self.sync.clear, gateway, options)

    async def run_binding_from_payload(self, payload_json: str) -> Optional[t.RunBinding]:
        return await _in_thread(self.sync.run_binding_from_payload, payload_json)
