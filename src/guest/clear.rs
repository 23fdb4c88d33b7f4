//! `clear`: DELETE every snapshot of the conversation.

use super::attempts::{self, before_sending, AttemptError};
use super::deadline::Timing;
use super::http::{self, BodyReader, Request};
use crate::classify::clear_status;
use crate::options::{self, Operation};
use crate::retry::parse_retry_after;
use crate::types::{ClearOutcome, Cleared, Error, Failure, Gateway, Options};
use crate::{gateway_url, redact, token};
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
    let limits = options::resolve(Operation::Clear, options)
        .map_err(|m| before_sending(Error::InvalidInput(m)))?;
    let endpoint =
        gateway_url::endpoint(&gateway.url).map_err(|m| before_sending(Error::InvalidInput(m)))?;
    token::check(&gateway.token, "gateway token")
        .map_err(|m| before_sending(Error::InvalidInput(m)))?;

    let timing = Timing::start(&limits);
    let request = Request {
        method: Method::Delete,
        endpoint: &endpoint,
        token: &gateway.token,
        content_type: None,
        content_length: None,
        condition: None,
    };
    let ((status, deleted), attempts) = attempts::run(&limits.retry, &timing.deadline, |_| {
        let in_flight = http::send(&request, &limits, &timing)?;
        let response = http::response(&in_flight.response, &timing)?;
        let status = response.status();
        let retry_after = http::header(&response, "retry-after")
            .first()
            .and_then(|v| parse_retry_after(v));
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
