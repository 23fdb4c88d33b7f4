//! `hydrate`: GET the latest snapshot and swap it in atomically.

use super::fs::{self, SessionFile};
use super::http::{self, BodyReader, Deadline, Request};
use crate::body_length::{parse_content_length, BodyCounter};
use crate::classify::{hydrate_status, HydrateStatus};
use crate::options::{self, Operation};
use crate::types::{Error, Gateway, HydrateOutcome, Options};
use crate::{gateway_url, redact, token};
use wasi::http::types::Method;

pub fn run(
    gateway: &Gateway,
    session_file: &str,
    options: &Options,
) -> Result<HydrateOutcome, Error> {
    fetch(gateway, session_file, options).map_err(|e| redact::error(e, &[&gateway.token]))
}

/// Removes the staging file however the call ends; after a successful
/// rename there is nothing left to remove.
struct TempGuard<'a>(&'a SessionFile);

impl Drop for TempGuard<'_> {
    fn drop(&mut self) {
        self.0.remove_temp();
    }
}

fn fetch(
    gateway: &Gateway,
    session_file: &str,
    options: &Options,
) -> Result<HydrateOutcome, Error> {
    let limits = options::resolve(Operation::Hydrate, options).map_err(Error::InvalidInput)?;
    let endpoint = gateway_url::endpoint(&gateway.url).map_err(Error::InvalidInput)?;
    token::check(&gateway.token, "gateway token").map_err(Error::InvalidInput)?;
    let file = SessionFile::locate(session_file)?;

    let deadline = Deadline::after_ms(limits.timeout_ms);
    let request = Request {
        method: Method::Get,
        endpoint: &endpoint,
        token: &gateway.token,
        content_type: None,
        content_length: None,
    };
    let in_flight = http::send(&request, &limits, &deadline)?;
    let response = http::response(&in_flight.response, &deadline)?;
    // A staging file left by a crashed hydrate goes, whatever happens next.
    let _guard = TempGuard(&file);
    match hydrate_status(response.status()) {
        HydrateStatus::Snapshot => {}
        HydrateStatus::NoSnapshot => return Ok(HydrateOutcome::NoSnapshot),
        HydrateStatus::Failed(e) => return Err(e),
    }
    let announced = parse_content_length(&http::header(&response, "content-length"))?;
    let mut counter = BodyCounter::new(announced, limits.max_hydrate_bytes)?;
    let mut body = BodyReader::new(response)?;

    file.create_parents()?;
    let temp = file.create_temp()?;
    while let Some(chunk) = body.next(&deadline).map_err(|e| counter.explain(e))? {
        let offset = counter.received();
        counter.add(chunk.len())?;
        fs::write_all_at(&temp, &chunk, offset)?;
    }
    let bytes = counter.finish()?;
    drop(body);
    fs::sync_file(&temp)?;
    drop(temp);
    file.promote_temp()?;
    file.sync_parent();
    Ok(HydrateOutcome::Hydrated(bytes))
}
