//! `write`: stream the session file to the gateway as a JSON string.
//!
//! Two passes over the file, both in fixed-size chunks: the first checks it
//! is UTF-8 and measures its escaped length, so the request carries an exact
//! `content-length` and invalid bytes are refused before anything is sent;
//! the second escapes and sends. Both fingerprint what they read: if the
//! second pass does not see what the first saw (length, escaped length,
//! fingerprint), the request is abandoned short of its length, so the
//! gateway stores nothing.

use super::attempts::{self, before_sending, AttemptError};
use super::deadline::Timing;
use super::fs::{self, SessionFile};
use super::http::{self, BodyWriter, InFlight, Request};
use super::prepare::{prepare, Prepared};
use super::sidecar::Seen;
use crate::classify::{write_status, WriteAccepted};
use crate::fingerprint::Fingerprint;
use crate::json_escape::{escape_bytes, Counter, JsonEscaper};
use crate::options::{Operation, Resolved};
use crate::redact;
use crate::run_binding::MAX_RUN_ID;
use crate::types::{
    Diverged, Error, Failure, Options, RunBinding, SizeLimit, SkipReason, Stored, TerminalStatus,
    WriteOutcome,
};
use crate::version::{self, Sidecar, Stamp};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use wasi::filesystem::types::Descriptor;
use wasi::http::types::Method;

pub fn run(
    gateway_url: &str,
    run: Option<&RunBinding>,
    session_file: &str,
    status: TerminalStatus,
    options: &Options,
) -> WriteOutcome {
    // Only completed runs are ever read back: anything else is wasted bytes.
    if status != TerminalStatus::Completed {
        return WriteOutcome::Skipped(SkipReason::NotCompleted);
    }
    let Some(run) = run else {
        return WriteOutcome::Skipped(SkipReason::NoRunBinding);
    };
    match send(gateway_url, run, session_file, options) {
        Ok(outcome) => outcome,
        Err(f) => WriteOutcome::Failed(redact::failure(f, &[&run.token])),
    }
}

/// The JSON around the escaped file: `{"terminalStatus":"completed","snapshotJsonl":"` … `","runId":N}`.
fn envelope(run_id: u64) -> (&'static str, String) {
    (
        r#"{"terminalStatus":"completed","snapshotJsonl":""#,
        format!(r#"","runId":{run_id}}}"#),
    )
}

/// What one pass over the file saw.
#[derive(Debug, PartialEq, Eq)]
struct Pass {
    bytes: u64,
    escaped: u64,
    fingerprint: u64,
}

/// Pass one: validate and measure, holding one chunk at a time.
fn measure(file: &Descriptor) -> Result<Pass, Error> {
    let mut escaper = JsonEscaper::new();
    let mut counter = Counter::default();
    let mut fingerprint = Fingerprint::new();
    loop {
        let (chunk, eof) = fs::read_chunk(file, escaper.consumed())?;
        escaper
            .push(&chunk, &mut counter)
            .map_err(|e| Error::InvalidUtf8(e.offset))?;
        fingerprint.update(&chunk);
        if eof {
            break;
        }
    }
    escaper.finish().map_err(|e| Error::InvalidUtf8(e.offset))?;
    Ok(Pass {
        bytes: escaper.consumed(),
        escaped: counter.0,
        fingerprint: fingerprint.value(),
    })
}

/// Input bytes escaped into one buffer before it is sent.
const ESCAPE_SLICE: usize = 64 * 1024;

/// Pass two: escape and send what pass one validated, fingerprinting it so
/// the caller can tell whether it was the same. Stops before sending more
/// than pass one measured (the file grew, or now needs more escapes): the
/// caller then sees a different pass, not a body over its length.
fn stream(file: &Descriptor, seen: &Pass, body: &mut BodyWriter) -> Result<Pass, Error> {
    let mut out = Vec::new();
    let mut bytes = 0u64;
    let mut escaped = 0u64;
    let mut fingerprint = Fingerprint::new();
    'file: loop {
        let (chunk, eof) = fs::read_chunk(file, bytes)?;
        bytes += chunk.len() as u64;
        if bytes > seen.bytes {
            break;
        }
        fingerprint.update(&chunk);
        // Escaped a slice at a time: up to six bytes out per byte in, so this
        // bounds the buffer (and guest memory) however the file is made.
        for slice in chunk.chunks(ESCAPE_SLICE) {
            out.clear();
            escape_bytes(slice, &mut out);
            escaped += out.len() as u64;
            if escaped > seen.escaped {
                break 'file;
            }
            body.write_all(&out)?;
        }
        if eof {
            break;
        }
    }
    Ok(Pass {
        bytes,
        escaped,
        fingerprint: fingerprint.value(),
    })
}

fn send(
    url: &str,
    run: &RunBinding,
    session_file: &str,
    options: &Options,
) -> Result<WriteOutcome, Failure> {
    let Prepared { limits, endpoint } =
        prepare(Operation::Write, options, url, &run.token, "run token")?;
    if !(1..=MAX_RUN_ID).contains(&run.run_id) {
        return Err(before_sending(Error::InvalidInput(
            "run id must be a positive integer no larger than 2^53 - 1".to_string(),
        )));
    }
    let place = SessionFile::locate(session_file).map_err(before_sending)?;
    let Some((file, stamp)) = place.open_existing().map_err(before_sending)? else {
        return Ok(WriteOutcome::Skipped(SkipReason::SessionFileMissing));
    };
    let size = stamp.size;
    if size == 0 {
        return Ok(WriteOutcome::Skipped(SkipReason::SessionFileEmpty));
    }
    if size > limits.max_write_bytes {
        return Ok(WriteOutcome::TooLarge(SizeLimit {
            size,
            limit: limits.max_write_bytes,
        }));
    }
    let timing = Timing::start(&limits);
    let seen = measure(&file).map_err(before_sending)?;
    if seen.bytes != size {
        return Err(before_sending(Error::FileChanged));
    }
    let (head, tail) = envelope(run.run_id);
    // The version this file grew from: the gateway refuses the write (412)
    // if another snapshot has become the latest since.
    let sidecar = place.look_up_sidecar(limits.use_validators);
    let base = sidecar
        .version
        .as_ref()
        .filter(|s| version::can_match(&s.etag));
    let request = Request {
        method: Method::Post,
        endpoint: &endpoint,
        token: &run.token,
        content_type: Some("application/json"),
        content_length: Some(head.len() as u64 + seen.escaped + tail.len() as u64),
        condition: base.map(|s| ("if-match", s.etag.as_str())),
    };
    let post = Post {
        request: &request,
        limits: &limits,
        timing: &timing,
        file: &file,
        seen: &seen,
        head,
        tail: &tail,
    };
    // Retrying is safe: a retry of a write the gateway already stored gets
    // 409, which the gateway checks before any precondition.
    let answer = attempts::run(&limits.retry, &timing.deadline, || post.attempt());
    remember(&place, &sidecar, &answer, stamp, limits.use_validators);
    let (answer, attempts) = answer?;
    Ok(match answer.accepted {
        WriteAccepted::Stored(status) => WriteOutcome::Stored(Stored {
            bytes: size,
            status,
            attempts,
        }),
        WriteAccepted::Duplicate => WriteOutcome::Duplicate(attempts),
        WriteAccepted::Diverged => WriteOutcome::Diverged(Diverged {
            latest_run_id: answer.latest_run_id,
            attempts,
        }),
    })
}

/// Updates the sidecar after a write that sent something. Stored with an
/// `etag`: the file (as `stamp` saw it) is now that version. Diverged: the
/// file still grew from its recorded version. Anything else leaves which
/// version is latest unknown (a 409, or a failure after which the gateway
/// may have stored this run), and a stale record would report a false fork
/// on the next write, so it goes.
fn remember(
    place: &SessionFile,
    seen: &Seen,
    answer: &Result<(Answer, u32), Failure>,
    stamp: Stamp,
    on: bool,
) {
    match answer {
        Ok((a, _)) if a.accepted == WriteAccepted::Diverged => {}
        Ok((
            Answer {
                accepted: WriteAccepted::Stored(_),
                etag: Some(etag),
                ..
            },
            _,
        )) if on => place.write_sidecar(&Sidecar {
            etag: etag.clone(),
            stamp,
        }),
        _ => place.forget_version(seen),
    }
}

/// The gateway's answer to a write, with the version headers it carried.
struct Answer {
    accepted: WriteAccepted,
    /// The stored snapshot's `etag` (2xx).
    etag: Option<String>,
    /// The latest snapshot's run (412).
    latest_run_id: Option<u64>,
}

/// Why a request body was not sent whole.
enum Unsent {
    /// The file is not what pass one measured: the request must be abandoned.
    FileChanged,
    /// Writing the body failed; the response says why.
    Stream,
}

/// Everything one POST attempt needs.
struct Post<'a> {
    request: &'a Request<'a>,
    limits: &'a Resolved,
    timing: &'a Timing,
    file: &'a Descriptor,
    seen: &'a Pass,
    head: &'static str,
    tail: &'a str,
}

impl Post<'_> {
    /// Sends the request and streams the body; the gateway's answer decides.
    fn attempt(&self) -> Result<Answer, AttemptError> {
        let InFlight { response, body } = http::send(self.request, self.limits, self.timing)?;
        let Some(mut body) = body else {
            return Err(Error::InvalidInput("request body unavailable".to_string()).into());
        };
        match self.send_body(&mut body) {
            Ok(()) => body.finish(),
            // Dropping the body unfinished abandons the request short of its length.
            Err(Unsent::FileChanged) => return Err(Error::FileChanged.into()),
            // The gateway may have answered early (401, 413…) and closed the body;
            // its answer, or the exchange's own error, is what the caller needs.
            Err(Unsent::Stream) => drop(body),
        }
        let answer = http::response(&response, self.timing)?;
        let accepted = write_status(answer.status(), self.request.condition.is_some())
            .map_err(|error| http::refused(&answer, error))?;
        let headers = answer.headers();
        let first = |name| http::first(&headers, name);
        Ok(Answer {
            accepted,
            etag: first("etag").and_then(|v| version::usable_etag(&v)),
            latest_run_id: first("x-snapshot-run-id").and_then(|v| version::run_id(&v)),
        })
    }

    /// The envelope around the file's escaped bytes, as pass one measured them.
    fn send_body(&self, body: &mut BodyWriter) -> Result<(), Unsent> {
        body.write_all(self.head.as_bytes())
            .map_err(|_| Unsent::Stream)?;
        let pass = stream(self.file, self.seen, body).map_err(|_| Unsent::Stream)?;
        if pass != *self.seen {
            return Err(Unsent::FileChanged);
        }
        body.write_all(self.tail.as_bytes())
            .map_err(|_| Unsent::Stream)
    }
}
