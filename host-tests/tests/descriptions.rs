//! The shared specifications beside the conformance cases, on the Rust host:
//! `cases/descriptions.json` (the one description of every error, and the
//! one redaction mark) and `cases/canonical.json` (every outcome shape in
//! canonical JSON). The Node and Python suites check the same two files, so
//! the three hosts cannot drift apart unnoticed.

use host_tests::bindings::{
    ClearOutcome, Cleared, Diverged, Error, Failure, FilesystemError, HydrateOutcome, Hydrated,
    LengthMismatch, RunBinding, SizeLimit, SkipReason, Stored, TimeoutKind, TransportError,
    TransportKind, WriteOutcome,
};
use host_tests::{cases, options, Harness, Workspace};
use serde_json::Value;
use std::collections::BTreeSet;
use transcript_snapshot_host::{json, Describe};

fn spec(name: &str) -> Value {
    let path = cases::dir().join(name);
    let text = std::fs::read_to_string(&path).expect("read spec file");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn text(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .into()
}

fn int<T: TryFrom<u64>>(v: &Value) -> T {
    v.as_u64()
        .and_then(|n| T::try_from(n).ok())
        .unwrap_or_else(|| panic!("not an integer in range: {v}"))
}

/// `(case, payload)` of a canonical variant: `"case"` or `{"case": payload}`.
fn variant(v: &Value) -> (&str, &Value) {
    match v {
        Value::String(case) => (case, &Value::Null),
        Value::Object(m) if m.len() == 1 => {
            let (case, payload) = m.iter().next().expect("one key");
            (case, payload)
        }
        _ => panic!("not a canonical variant: {v}"),
    }
}

fn transport_kind(v: &Value) -> TransportKind {
    match v.as_str() {
        Some("dns") => TransportKind::Dns,
        Some("connection-refused") => TransportKind::ConnectionRefused,
        Some("connection-reset") => TransportKind::ConnectionReset,
        Some("tls") => TransportKind::Tls,
        Some("protocol") => TransportKind::Protocol,
        Some("other") => TransportKind::Other,
        _ => panic!("unknown transport kind {v}"),
    }
}

fn timeout_kind(v: &Value) -> TimeoutKind {
    match v.as_str() {
        Some("connect") => TimeoutKind::Connect,
        Some("first-byte") => TimeoutKind::FirstByte,
        Some("between-bytes") => TimeoutKind::BetweenBytes,
        Some("deadline") => TimeoutKind::Deadline,
        _ => panic!("unknown timeout kind {v}"),
    }
}

fn error(v: &Value) -> Error {
    let (case, p) = variant(v);
    match case {
        "invalid-input" => Error::InvalidInput(text(p)),
        "not-preopened" => Error::NotPreopened(text(p)),
        "http-status" => Error::HttpStatus(int(p)),
        "denied" => Error::Denied,
        "transport" => Error::Transport(TransportError {
            kind: transport_kind(&p["kind"]),
            detail: text(&p["detail"]),
        }),
        "timeout" => Error::Timeout(timeout_kind(p)),
        "length-mismatch" => Error::LengthMismatch(LengthMismatch {
            expected: int(&p["expected"]),
            received: int(&p["received"]),
        }),
        "too-large" => Error::TooLarge(size_limit(p)),
        "filesystem" => Error::Filesystem(FilesystemError {
            operation: text(&p["operation"]),
            code: text(&p["code"]),
        }),
        "invalid-utf8" => Error::InvalidUtf8(int(p)),
        "file-changed" => Error::FileChanged,
        "digest-mismatch" => Error::DigestMismatch,
        _ => panic!("unknown error case {case}"),
    }
}

fn size_limit(p: &Value) -> SizeLimit {
    SizeLimit {
        size: int(&p["size"]),
        limit: int(&p["limit"]),
    }
}

fn failure(p: &Value) -> Failure {
    Failure {
        error: error(&p["error"]),
        attempts: int(&p["attempts"]),
    }
}

fn option_u64(v: &Value) -> Option<u64> {
    (!v.is_null()).then(|| int(v))
}

fn hydrate(v: &Value) -> Result<HydrateOutcome, Failure> {
    match variant(v) {
        ("ok", o) => Ok(match variant(o) {
            ("hydrated", h) => HydrateOutcome::Hydrated(Hydrated {
                bytes: int(&h["bytes"]),
                attempts: int(&h["attempts"]),
            }),
            ("no-snapshot", n) => HydrateOutcome::NoSnapshot(int(n)),
            ("up-to-date", n) => HydrateOutcome::UpToDate(int(n)),
            (case, _) => panic!("unknown hydrate outcome {case}"),
        }),
        ("err", f) => Err(failure(f)),
        (case, _) => panic!("not a result: {case}"),
    }
}

fn skip_reason(v: &Value) -> SkipReason {
    match v.as_str() {
        Some("not-completed") => SkipReason::NotCompleted,
        Some("no-run-binding") => SkipReason::NoRunBinding,
        Some("session-file-missing") => SkipReason::SessionFileMissing,
        Some("session-file-empty") => SkipReason::SessionFileEmpty,
        _ => panic!("unknown skip reason {v}"),
    }
}

fn write(v: &Value) -> WriteOutcome {
    match variant(v) {
        ("stored", s) => WriteOutcome::Stored(Stored {
            bytes: int(&s["bytes"]),
            status: int(&s["status"]),
            attempts: int(&s["attempts"]),
        }),
        ("duplicate", n) => WriteOutcome::Duplicate(int(n)),
        ("diverged", d) => WriteOutcome::Diverged(Diverged {
            latest_run_id: option_u64(&d["latest-run-id"]),
            attempts: int(&d["attempts"]),
        }),
        ("skipped", r) => WriteOutcome::Skipped(skip_reason(r)),
        ("too-large", s) => WriteOutcome::TooLarge(size_limit(s)),
        ("failed", f) => WriteOutcome::Failed(failure(f)),
        (case, _) => panic!("unknown write outcome {case}"),
    }
}

fn clear(v: &Value) -> ClearOutcome {
    match variant(v) {
        ("cleared", c) => ClearOutcome::Cleared(Cleared {
            status: int(&c["status"]),
            deleted: option_u64(&c["deleted"]),
            attempts: int(&c["attempts"]),
        }),
        ("failed", f) => ClearOutcome::Failed(failure(f)),
        (case, _) => panic!("unknown clear outcome {case}"),
    }
}

fn run_binding(v: &Value) -> Result<Option<RunBinding>, Error> {
    match variant(v) {
        ("ok", Value::Null) => Ok(None),
        ("ok", b) => Ok(Some(RunBinding {
            run_id: int(&b["run-id"]),
            token: text(&b["token"]),
        })),
        ("err", e) => Err(error(e)),
        (case, _) => panic!("not a result: {case}"),
    }
}

#[test]
fn every_error_has_the_described_text_and_canonical_json() {
    let spec = spec("descriptions.json");
    let entries = spec["descriptions"].as_array().expect("descriptions");
    let mut problems = Vec::new();
    for entry in entries {
        let e = error(&entry["error"]);
        if json::error(&e) != entry["error"] {
            problems.push(format!("{} written as {}", entry["error"], json::error(&e)));
        }
        let described = Describe(&e).to_string();
        if described != text(&entry["text"]) {
            problems.push(format!("{} described as {described:?}", entry["error"]));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_descriptions_cover_every_error_case_and_kind() {
    let spec = spec("descriptions.json");
    let mut seen = BTreeSet::new();
    for entry in spec["descriptions"].as_array().expect("descriptions") {
        let (case, p) = variant(&entry["error"]);
        seen.insert(match case {
            "transport" => format!("transport {}", text(&p["kind"])),
            "timeout" => format!("timeout {}", text(p)),
            _ => case.to_string(),
        });
    }
    let every = [
        "invalid-input",
        "not-preopened",
        "http-status",
        "denied",
        "transport dns",
        "transport connection-refused",
        "transport connection-reset",
        "transport tls",
        "transport protocol",
        "transport other",
        "timeout connect",
        "timeout first-byte",
        "timeout between-bytes",
        "timeout deadline",
        "length-mismatch",
        "too-large",
        "filesystem",
        "invalid-utf8",
        "file-changed",
        "digest-mismatch",
    ];
    let every: BTreeSet<String> = every.iter().map(|s| s.to_string()).collect();
    assert_eq!(seen, every);
}

#[test]
fn every_outcome_shape_reads_back_as_written() {
    let spec = spec("canonical.json");
    let examples = |call: &str| spec[call].as_array().expect(call).clone();
    let mut problems = Vec::new();
    let mut check = |example: &Value, written: Value| {
        if written != *example {
            problems.push(format!("{example} written as {written}"));
        }
    };
    for ex in examples("hydrate") {
        check(&ex, json::hydrate(&hydrate(&ex)));
    }
    for ex in examples("write") {
        check(&ex, json::write(&write(&ex)));
    }
    for ex in examples("clear") {
        check(&ex, json::clear(&clear(&ex)));
    }
    for ex in examples("run-binding-from-payload") {
        check(&ex, json::run_binding(&run_binding(&ex)));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_component_masks_a_token_with_the_redaction_mark() {
    let mark = text(&spec("descriptions.json")["redaction-mark"]);
    let token = "tok-LEAK-CANARY-5b1e";
    let ws = Workspace::new();
    let path = format!("/etc/{token}/session.jsonl");
    let call = Harness::shared()
        .hydrate(&ws, "http://127.0.0.1:1", token, &path, options())
        .await
        .expect("hydrate");
    let Err(f) = call.outcome else {
        panic!("hydrate outside every preopen succeeded")
    };
    assert_eq!(
        f.error,
        Error::NotPreopened(format!("/etc/{mark}/session.jsonl"))
    );
}
