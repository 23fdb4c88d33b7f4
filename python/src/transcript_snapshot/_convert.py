"""Between wasmtime-py's dynamic component values and `types`.

wasmtime-py (46 to 50) has no bindgen: a call takes and returns generic values whose
shape depends on the WIT type in a way that is easy to get wrong.
  * records are `wasmtime.component.Record` objects whose attributes carry the
    WIT's kebab-case names (read them with `getattr`);
  * a variant, option or result comes back *untagged* (just the payload) when
    its cases' Python classes do not overlap, and as `Variant(tag, payload)`
    when they do.  For this WIT (0.2.0) in 46.0.1 to 50.0.1: `option<...>`
    is untagged, and so are both results: `result<option<run-binding>, error>`
    (ok: `Record`/`None`, err: the `error` `Variant`) and
    `result<hydrate-outcome, failure>` (ok: the `hydrate-outcome` `Variant`,
    err: the failure `Record`), while `error`, `hydrate-outcome` (two cases
    carry an int since `up-to-date`), `write-outcome` and `clear-outcome` are
    tagged (tests/test_convert.py pins these shapes);
  * enums are plain `str`; integers are plain `int` and are *not* range
    checked on the way in (ctypes silently truncates), so we check them here.
Every reader below accepts both the tagged and the untagged form (an untagged
form that could be two cases, such as a bare int for `hydrate-outcome`, is
refused), so a wasmtime-py release that changes the tagging rule fails loudly
or not at all, never silently.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Tuple

from wasmtime.component import Record, Variant

from . import types as t

U32 = (1 << 32) - 1
U64 = (1 << 64) - 1


class ShapeError(TypeError):
    """wasmtime-py returned a value this WIT type cannot have."""


# --- lowering (Python -> wasmtime) --------------------------------------------

def _record(**fields: Any) -> Record:
    # Untagged options are lowered by `isinstance(value, Record)`, so records
    # must be real `Record` instances; the attribute names are kebab-case.
    r = Record()
    for name, value in fields.items():
        setattr(r, name.replace("_", "-"), value)
    return r


def _int(name: str, value: Any, top: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not 0 <= value <= top:
        raise ValueError(f"{name} must be between 0 and {top}")
    return value


def _str(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    return value


def _bool(name: str, value: Any) -> bool:
    # Strict: a truthy 0/1 or "false" would silently mean something else.
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, not {type(value).__name__}")
    return value


_U64_OPTIONS = {"max_write_bytes", "max_hydrate_bytes"}
_BOOL_OPTIONS = {"use_validators"}


def lower_options(o: Optional[t.Options]) -> Record:
    o = o if o is not None else t.Options()
    if not isinstance(o, t.Options):
        raise TypeError("options must be a transcript_snapshot.Options")
    fields = {}
    for name, value in vars(o).items():
        if value is None:
            fields[name] = None
        elif name in _BOOL_OPTIONS:
            fields[name] = _bool(name, value)
        else:
            fields[name] = _int(name, value, U64 if name in _U64_OPTIONS else U32)
    return _record(**fields)


def lower_gateway(g: t.Gateway) -> Record:
    if not isinstance(g, t.Gateway):
        raise TypeError("gateway must be a transcript_snapshot.Gateway")
    return _record(url=_str("gateway.url", g.url), token=_str("gateway.token", g.token))


def lower_run(run: Optional[t.RunBinding]) -> Optional[Record]:
    if run is None:
        return None
    if not isinstance(run, t.RunBinding):
        raise TypeError("run must be a transcript_snapshot.RunBinding or None")
    return _record(run_id=_int("run.run_id", run.run_id, U64),
                   token=_str("run.token", run.token))


def lower_status(status: Any) -> str:
    # Accept the enum or its WIT name; anything else is a caller bug.
    return t.TerminalStatus(status).value


# --- lifting (wasmtime -> Python) ---------------------------------------------

def _is_rec(*names: str) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, Record) and all(hasattr(v, n) for n in names)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _case(value: Any, what: str,
          cases: Dict[str, Optional[Callable[[Any], bool]]]) -> Tuple[str, Any]:
    """(tag, payload) of a variant/result/option value, tagged or not.

    `cases` maps each case name to a test that recognises its untagged payload
    (None when the payload alone cannot identify the case).
    """
    if isinstance(value, Variant) and value.tag in cases:
        return value.tag, value.payload
    found = [tag for tag, test in cases.items() if test is not None and test(value)]
    if len(found) == 1:
        return found[0], value
    raise ShapeError(f"unexpected {what} value from wasmtime: {value!r}")


def _get(rec: Any, name: str) -> Any:
    try:
        return getattr(rec, name)
    except AttributeError:
        raise ShapeError(f"record without field {name!r}: {rec!r}") from None


def _option(value: Any) -> Any:
    if isinstance(value, Variant) and value.tag in ("none", "some"):
        return value.payload if value.tag == "some" else None
    return value


def lift_error(value: Any) -> t.Error:
    if not isinstance(value, Variant):
        raise ShapeError(f"unexpected error value from wasmtime: {value!r}")
    tag, p = value.tag, value.payload
    if tag == "invalid-input":
        return t.InvalidInput(p)
    if tag == "not-preopened":
        return t.NotPreopened(p)
    if tag == "http-status":
        return t.HttpStatus(p)
    if tag == "denied":
        return t.Denied()
    if tag == "transport":
        return t.Transport(t.TransportKind(_get(p, "kind")), _get(p, "detail"))
    if tag == "timeout":
        return t.Timeout(t.TimeoutKind(p))
    if tag == "length-mismatch":
        return t.LengthMismatch(_get(p, "expected"), _get(p, "received"))
    if tag == "too-large":
        return t.TooLarge(_get(p, "size"), _get(p, "limit"))
    if tag == "filesystem":
        return t.Filesystem(_get(p, "operation"), _get(p, "code"))
    if tag == "invalid-utf8":
        return t.InvalidUtf8(p)
    if tag == "file-changed":
        return t.FileChanged()
    if tag == "digest-mismatch":
        return t.DigestMismatch()
    raise ShapeError(f"unknown error case {tag!r}")


def lift_failure(rec: Any) -> t.Failed:
    return t.Failed(lift_error(_get(rec, "error")), _get(rec, "attempts"))


# `no-snapshot` and `up-to-date` both carry only an int, so a bare int names
# neither: it is refused rather than guessed.
_HYDRATE_OUTCOME = {"hydrated": _is_rec("bytes", "attempts"), "no-snapshot": None,
                    "up-to-date": None}
_HYDRATE_RESULT = {
    "ok": lambda v: _is_rec("bytes")(v) or (isinstance(v, Variant) and v.tag in _HYDRATE_OUTCOME),
    "err": _is_rec("error", "attempts"),
}


def lift_hydrate(value: Any) -> Tuple[Optional[t.HydrateOutcome], Optional[t.Failed]]:
    """(outcome, None) for `ok`, (None, failure) for `err`."""
    tag, payload = _case(value, "result<hydrate-outcome, failure>", _HYDRATE_RESULT)
    if tag == "err":
        return None, lift_failure(payload)
    tag, p = _case(payload, "hydrate-outcome", _HYDRATE_OUTCOME)
    if tag == "hydrated":
        return t.Hydrated(_get(p, "bytes"), _get(p, "attempts")), None
    if tag == "up-to-date":
        return t.UpToDate(p), None
    return t.NoSnapshot(p), None


_WRITE_OUTCOME = {
    "stored": _is_rec("bytes", "status", "attempts"),
    "duplicate": _is_int,
    "diverged": _is_rec("latest-run-id", "attempts"),
    "skipped": lambda v: isinstance(v, str),
    "too-large": _is_rec("size", "limit"),
    "failed": _is_rec("error", "attempts"),
}


def lift_write(value: Any) -> t.WriteOutcome:
    tag, p = _case(value, "write-outcome", _WRITE_OUTCOME)
    if tag == "stored":
        return t.Stored(_get(p, "bytes"), _get(p, "status"), _get(p, "attempts"))
    if tag == "duplicate":
        return t.Duplicate(p)
    if tag == "diverged":
        return t.Diverged(_option(_get(p, "latest-run-id")), _get(p, "attempts"))
    if tag == "skipped":
        return t.Skipped(t.SkipReason(p))
    if tag == "too-large":
        return t.TooLarge(_get(p, "size"), _get(p, "limit"))
    return lift_failure(p)


_CLEAR_OUTCOME = {"cleared": _is_rec("status", "attempts"), "failed": _is_rec("error", "attempts")}


def lift_clear(value: Any) -> t.ClearOutcome:
    tag, p = _case(value, "clear-outcome", _CLEAR_OUTCOME)
    if tag == "cleared":
        return t.Cleared(_get(p, "status"), _option(_get(p, "deleted")), _get(p, "attempts"))
    return lift_failure(p)


_RUN_BINDING_RESULT = {
    "ok": lambda v: v is None or _is_rec("run-id", "token")(v)
    or (isinstance(v, Variant) and v.tag in ("none", "some")),
    # `error` always comes back tagged (two of its cases carry a string).
    "err": lambda v: isinstance(v, Variant) and v.tag not in ("none", "some"),
}


def lift_run_binding(value: Any) -> Tuple[Optional[t.RunBinding], Optional[t.Error]]:
    tag, payload = _case(value, "result<option<run-binding>, error>", _RUN_BINDING_RESULT)
    if tag == "err":
        return None, lift_error(payload)
    rec = _option(payload)
    if rec is None:
        return None, None
    return t.RunBinding(_get(rec, "run-id"), _get(rec, "token")), None
