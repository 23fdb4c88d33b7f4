//! `hydrate`: GET the latest snapshot and swap it in atomically.

use super::attempts::{self, before_sending, AttemptError};
use super::deadline::Timing;
use super::fs::{self, SessionFile};
use super::http::{self, BodyReader, Request};
use crate::body_length::{parse_content_length, BodyCounter};
use crate::classify::{hydrate_status, HydrateStatus};
use crate::options::{self, Operation, Resolved};
use crate::retry::parse_retry_after;
use crate::types::{Error, Failure, Gateway, HydrateOutcome, Hydrated, Options};
use crate::{gateway_url, redact, token};
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
}

fn fetch(
    gateway: &Gateway,
    session_file: &str,
    options: &Options,
) -> Result<HydrateOutcome, Failure> {
    let limits = options::resolve(Operation::Hydrate, options)
        .map_err(|m| before_sending(Error::InvalidInput(m)))?;
    let endpoint =
        gateway_url::endpoint(&gateway.url).map_err(|m| before_sending(Error::InvalidInput(m)))?;
    token::check(&gateway.token, "gateway token")
        .map_err(|m| before_sending(Error::InvalidInput(m)))?;
    let file = SessionFile::locate(session_file).map_err(before_sending)?;

    let timing = Timing::start(&limits);
    let request = Request {
        method: Method::Get,
        endpoint: &endpoint,
        token: &gateway.token,
        content_type: None,
        content_length: None,
    };
    // Staging files left by crashed hydrates go, whatever happens next.
    file.remove_stale_temps();
    let (found, attempts) = attempts::run(&limits.retry, &timing.deadline, |_| {
        attempt(&request, &limits, &timing, &file)
    })?;
    Ok(match found {
        Found::Snapshot(bytes) => HydrateOutcome::Hydrated(Hydrated { bytes, attempts }),
        Found::Nothing => HydrateOutcome::NoSnapshot(attempts),
    })
}

/// One GET, streamed into the staging file and promoted on success.
fn attempt(
    request: &Request<'_>,
    limits: &Resolved,
    timing: &Timing,
    file: &SessionFile,
) -> Result<Found, AttemptError> {
    let in_flight = http::send(request, limits, timing)?;
    let response = http::response(&in_flight.response, timing)?;
    match hydrate_status(response.status()) {
        HydrateStatus::Snapshot => {}
        HydrateStatus::NoSnapshot => return Ok(Found::Nothing),
        HydrateStatus::Failed(error) => {
            let retry_after = http::header(&response, "retry-after")
                .first()
                .and_then(|v| parse_retry_after(v));
            return Err(AttemptError { error, retry_after });
        }
    }
    let announced = parse_content_length(&http::header(&response, "content-length"))?;
    let mut counter = BodyCounter::new(announced, limits.max_hydrate_bytes)?;
    let mut body = BodyReader::new(response, timing)?;

    file.create_parents()?;
    let staging = file.create_staging(limits.timeout_ms)?;
    let temp = staging.file()?;
    let mut unflushed_from = 0;
    while let Some(chunk) = body.next().map_err(|e| counter.explain(e))? {
        let offset = counter.received();
        counter.add(chunk.len())?;
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
    fs::sync_file(temp)?;
    staging.promote()?;
    file.sync_parent();
    Ok(Found::Snapshot(bytes))
}
