//! `clear`: DELETE every snapshot of the conversation.

use super::attempts::{self, AttemptError};
use super::deadline::Timing;
use super::http::{self, BodyReader, Request};
use super::prepare::{prepare, Prepared};
use crate::classify::clear_status;
use crate::options::Operation;
use crate::redact;
use crate::types::{ClearOutcome, Cleared, Failure, Gateway, Options};
use wasi::http::types::Method;

/// Enough for `{"deleted": n}`; a larger body is not that answer.
const MAX_ANSWER: usize = 4096;

pub fn run(gateway: &Gateway, options: &Options) -> ClearOutcome {
    match delete(gateway, options) {
        Ok(cleared) => ClearOutcome::Cleared(cleared),
        Err(f) => ClearOutcome::Failed(redact::failure(f, &[&gateway.token])),
    }
}

fn delete(gateway: &Gateway, options: &Options) -> Result<Cleared, Failure> {
    let Prepared { limits, endpoint } = prepare(
        Operation::Clear,
        options,
        &gateway.url,
        &gateway.token,
        "gateway token",
    )?;

    let timing = Timing::start(&limits);
    let request = Request {
        method: Method::Delete,
        endpoint: &endpoint,
        token: &gateway.token,
        content_type: None,
        content_length: None,
        condition: None,
    };
    let ((status, deleted), attempts) = attempts::run(&limits.retry, &timing.deadline, || {
        let in_flight = http::send(&request, &limits, &timing)?;
        let response = http::response(&in_flight.response, &timing)?;
        let status = response.status();
        let retry_after = http::retry_after(&response);
        // The count is a courtesy: a body that fails to arrive does not undo the delete.
        let answer = BodyReader::new(response, &timing)
            .and_then(|mut body| body.read_up_to(MAX_ANSWER))
            .unwrap_or_default();
        clear_status(status, &answer).map_err(|error| AttemptError { error, retry_after })
    })?;
    Ok(Cleared {
        status,
        deleted,
        attempts,
    })
}
