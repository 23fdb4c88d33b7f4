//! The canonical JSON form of outcomes (the conformance suite's and the
//! CLI's `--json`): a variant
//! case with a payload is `{"case": payload}`, without one it is `"case"`;
//! records are objects; names are the WIT's kebab-case names; `result` is
//! `{"ok": …}` or `{"err": …}`.

use crate::bindings::Failure;
use crate::bindings::{
    ClearOutcome, Error, HydrateOutcome, RunBinding, SkipReason, TimeoutKind, TransportKind,
    WriteOutcome,
};
use serde_json::{json, Value};

fn timeout_kind(k: TimeoutKind) -> &'static str {
    match k {
        TimeoutKind::Connect => "connect",
        TimeoutKind::FirstByte => "first-byte",
        TimeoutKind::BetweenBytes => "between-bytes",
        TimeoutKind::Deadline => "deadline",
    }
}

fn transport_kind(k: TransportKind) -> &'static str {
    match k {
        TransportKind::Dns => "dns",
        TransportKind::ConnectionRefused => "connection-refused",
        TransportKind::ConnectionReset => "connection-reset",
        TransportKind::Tls => "tls",
        TransportKind::Protocol => "protocol",
        TransportKind::Other => "other",
    }
}

pub fn error(e: &Error) -> Value {
    match e {
        Error::InvalidInput(m) => json!({ "invalid-input": m }),
        Error::NotPreopened(p) => json!({ "not-preopened": p }),
        Error::HttpStatus(s) => json!({ "http-status": s }),
        Error::Denied => json!("denied"),
        Error::Transport(t) => {
            json!({ "transport": { "kind": transport_kind(t.kind), "detail": t.detail } })
        }
        Error::Timeout(k) => json!({ "timeout": timeout_kind(*k) }),
        Error::LengthMismatch(l) => {
            json!({ "length-mismatch": { "expected": l.expected, "received": l.received } })
        }
        Error::TooLarge(s) => json!({ "too-large": { "size": s.size, "limit": s.limit } }),
        Error::Filesystem(f) => {
            json!({ "filesystem": { "operation": f.operation, "code": f.code } })
        }
        Error::InvalidUtf8(o) => json!({ "invalid-utf8": o }),
        Error::FileChanged => json!("file-changed"),
        Error::DigestMismatch => json!("digest-mismatch"),
    }
}

pub fn failure(f: &Failure) -> Value {
    json!({ "error": error(&f.error), "attempts": f.attempts })
}

pub fn hydrate(r: &Result<HydrateOutcome, Failure>) -> Value {
    match r {
        Ok(HydrateOutcome::Hydrated(h)) => {
            json!({ "ok": { "hydrated": { "bytes": h.bytes, "attempts": h.attempts } } })
        }
        Ok(HydrateOutcome::NoSnapshot(n)) => json!({ "ok": { "no-snapshot": n } }),
        Ok(HydrateOutcome::UpToDate(n)) => json!({ "ok": { "up-to-date": n } }),
        Err(f) => json!({ "err": failure(f) }),
    }
}

fn skip_reason(r: SkipReason) -> &'static str {
    match r {
        SkipReason::NotCompleted => "not-completed",
        SkipReason::NoRunBinding => "no-run-binding",
        SkipReason::SessionFileMissing => "session-file-missing",
        SkipReason::SessionFileEmpty => "session-file-empty",
    }
}

pub fn write(o: &WriteOutcome) -> Value {
    match o {
        WriteOutcome::Stored(s) => {
            json!({ "stored": { "bytes": s.bytes, "status": s.status, "attempts": s.attempts } })
        }
        WriteOutcome::Duplicate(n) => json!({ "duplicate": n }),
        WriteOutcome::Diverged(d) => {
            json!({ "diverged": { "latest-run-id": d.latest_run_id, "attempts": d.attempts } })
        }
        WriteOutcome::Skipped(r) => json!({ "skipped": skip_reason(*r) }),
        WriteOutcome::TooLarge(s) => json!({ "too-large": { "size": s.size, "limit": s.limit } }),
        WriteOutcome::Failed(f) => json!({ "failed": failure(f) }),
    }
}

pub fn clear(o: &ClearOutcome) -> Value {
    match o {
        ClearOutcome::Cleared(c) => {
            json!({ "cleared": { "status": c.status, "deleted": c.deleted, "attempts": c.attempts } })
        }
        ClearOutcome::Failed(f) => json!({ "failed": failure(f) }),
    }
}

pub fn run_binding(r: &Result<Option<RunBinding>, Error>) -> Value {
    match r {
        Ok(Some(b)) => json!({ "ok": { "run-id": b.run_id, "token": b.token } }),
        Ok(None) => json!({ "ok": null }),
        Err(e) => json!({ "err": error(e) }),
    }
}
