//! `clear`: DELETE every snapshot of the conversation.

use super::http::{self, BodyReader, Deadline, Request};
use crate::classify::{clear_accepted, clear_status};
use crate::options::{self, Operation};
use crate::types::{ClearOutcome, Error, Gateway, Options};
use crate::{gateway_url, redact, token};
use wasi::http::types::Method;

/// Enough for `{"deleted": n}`; a larger body is not that answer.
const MAX_ANSWER: usize = 4096;

pub fn run(gateway: &Gateway, options: &Options) -> ClearOutcome {
    match delete(gateway, options) {
        Ok(outcome) => outcome,
        Err(e) => ClearOutcome::Failed(redact::error(e, &[&gateway.token])),
    }
}

fn delete(gateway: &Gateway, options: &Options) -> Result<ClearOutcome, Error> {
    let limits = options::resolve(Operation::Clear, options).map_err(Error::InvalidInput)?;
    let endpoint = gateway_url::endpoint(&gateway.url).map_err(Error::InvalidInput)?;
    token::check(&gateway.token, "gateway token").map_err(Error::InvalidInput)?;

    let deadline = Deadline::after_ms(limits.timeout_ms);
    let request = Request {
        method: Method::Delete,
        endpoint: &endpoint,
        token: &gateway.token,
        content_type: None,
        content_length: None,
    };
    let in_flight = http::send(&request, &limits, &deadline)?;
    let response = http::response(&in_flight.response, &deadline)?;
    let status = response.status();
    if !clear_accepted(status) {
        return Ok(clear_status(status, b""));
    }
    // The count is a courtesy: a body that fails to arrive does not undo the delete.
    let answer = BodyReader::new(response)
        .and_then(|mut body| body.read_up_to(MAX_ANSWER, &deadline))
        .unwrap_or_default();
    Ok(clear_status(status, &answer))
}
