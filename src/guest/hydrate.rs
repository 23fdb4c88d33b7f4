//! `hydrate`: GET the latest snapshot and swap it in atomically, unless the
//! session file already holds it.

use super::attempts::{self, before_sending, AttemptError};
use super::deadline::Timing;
use super::fs::{self, Parents, SessionFile};
use super::http::{self, BodyReader, Request};
use super::prepare::{prepare, Prepared};
use super::sidecar::Seen;
use crate::body_length::{parse_content_length, BodyCounter};
use crate::classify::{hydrate_status, HydrateStatus};
use crate::options::{Operation, Resolved};
use crate::redact;
use crate::types::{Error, Failure, Gateway, HydrateOutcome, Hydrated, Options};
use crate::version::{self, BodyHash, Sidecar};
use alloc::vec::Vec;
use wasi::filesystem::types::Descriptor;
use wasi::http::types::Method;

pub fn run(
    gateway: &Gateway,
    session_file: &str,
    options: &Options,
) -> Result<HydrateOutcome, Failure> {
    fetch(gateway, session_file, options).map_err(|f| redact::failure(f, &[&gateway.token]))
}

/// What one successful attempt found.
enum Found {
    Snapshot(u64),
    Nothing,
    Current,
}

fn fetch(
    gateway: &Gateway,
    session_file: &str,
    options: &Options,
) -> Result<HydrateOutcome, Failure> {
    let Prepared { limits, endpoint } = prepare(
        Operation::Hydrate,
        options,
        &gateway.url,
        &gateway.token,
        "gateway token",
    )?;
    let file = SessionFile::locate(session_file).map_err(before_sending)?;

    let timing = Timing::start(&limits);
    // The version the file holds, only while it is untouched since recorded.
    let sidecar = file.look_up_sidecar(limits.use_validators);
    let current = sidecar
        .version
        .as_ref()
        .filter(|s| file.stamp() == Some(s.stamp));
    let request = Request {
        method: Method::Get,
        endpoint: &endpoint,
        token: &gateway.token,
        content_type: None,
        content_length: None,
        condition: current.map(|s| ("if-none-match", s.etag.as_str())),
    };
    let mut swept = None;
    let (found, attempts) = attempts::run(&limits.retry, &timing.deadline, || {
        attempt(&request, &limits, &timing, &file, &sidecar, &mut swept)
    })?;
    Ok(match found {
        Found::Snapshot(bytes) => HydrateOutcome::Hydrated(Hydrated { bytes, attempts }),
        Found::Nothing => HydrateOutcome::NoSnapshot(attempts),
        Found::Current => HydrateOutcome::UpToDate(attempts),
    })
}

/// What the first attempt did to the directory while its request was out:
/// the directory it opened to remove stale staging files, if any.
type Swept = Option<Option<Descriptor>>;

/// One GET, streamed into the staging file and promoted on success.
fn attempt(
    request: &Request<'_>,
    limits: &Resolved,
    timing: &Timing,
    file: &SessionFile,
    sidecar: &Seen,
    swept: &mut Swept,
) -> Result<Found, AttemptError> {
    let sent = http::send(request, limits, timing);
    // While the request is out, the file work that does not depend on the
    // answer. Staging files left by crashed hydrates go (once per call),
    // whatever happens next.
    let dir = swept
        .get_or_insert_with(|| file.remove_stale_temps())
        .as_ref();
    let in_flight = sent?;
    // A download is likely when no version was offered: its staging file is
    // made now, not after the answer. Only in a directory that exists (a
    // `404` must not leave new directories behind); on failure, later as usual.
    let early = match request.condition {
        None => file
            .create_staging(limits.timeout_ms, Parents::Existing)
            .ok(),
        Some(_) => None,
    };
    let response = http::response(&in_flight.response, timing)?;
    match hydrate_status(response.status(), request.condition.is_some()) {
        HydrateStatus::Snapshot => {}
        HydrateStatus::NoSnapshot => {
            // The gateway holds no version (a reset cleared it): a record
            // kept now would make the next write report a false fork.
            file.forget_version(sidecar);
            return Ok(Found::Nothing);
        }
        HydrateStatus::NotModified => return Ok(Found::Current),
        HydrateStatus::Failed(error) => return Err(http::refused(&response, error)),
    }
    let (announced, etag, digests) = {
        let headers = response.headers();
        let etag = http::first(&headers, "etag").and_then(|v| version::usable_etag(&v));
        let mut digests: Vec<Vec<u8>> = headers.get("repr-digest");
        digests.extend(headers.get("content-digest"));
        (headers.get("content-length"), etag, digests)
    };
    let mut counter =
        BodyCounter::new(parse_content_length(&announced)?, limits.max_hydrate_bytes)?;
    let mut hash =
        BodyHash::new(version::expected_sha256(&digests)).map_err(|_| Error::DigestMismatch)?;
    let mut body = BodyReader::new(response, timing)?;

    let staging = match early {
        Some(staging) => staging,
        None => file.create_staging(limits.timeout_ms, Parents::Create)?,
    };
    let temp = staging.file()?;
    let mut unflushed_from = 0;
    while let Some(chunk) = body.next().map_err(|e| counter.explain(e))? {
        let offset = counter.received();
        counter.add(chunk.len())?;
        hash.update(&chunk);
        fs::write_all_at(temp, &chunk, offset)?;
        // The disk works while the network does, instead of all at the sync.
        let end = counter.received();
        if end - unflushed_from >= fs::WRITEBACK_EVERY {
            fs::start_writeback(temp, unflushed_from, end - unflushed_from);
            unflushed_from = end;
        }
    }
    let bytes = counter.finish()?;
    drop(body);
    hash.check().map_err(|_| Error::DigestMismatch)?;
    fs::sync_file(temp)?;
    // Renaming keeps the modification time, so this is the promoted file's
    // stamp; taken here, it cannot describe another call's file renamed later.
    let record = etag
        .filter(|_| limits.use_validators)
        .and_then(|etag| Some((etag, fs::stamp(&temp.stat().ok()?))));
    // The old record goes first: a crash before the new one is written
    // leaves none, never one naming a version the file no longer holds.
    file.forget_version(sidecar);
    staging.promote()?;
    file.sync_parent(dir);
    if let Some((etag, stamp)) = record {
        file.write_sidecar(&Sidecar { etag, stamp });
    }
    Ok(Found::Snapshot(bytes))
}
