//! wasi:http glue: one request at a time, every wait bounded by the call's
//! own timers (see `deadline`), bodies streamed in both directions.

use super::attempts::AttemptError;
use super::deadline::{Timing, HOST_MARGIN_MS};
use crate::classify::{from_http_error, from_io_detail, Phase};
use crate::gateway_url::{Endpoint, Scheme};
use crate::options::{ms_to_ns, Resolved};
use crate::retry::parse_retry_after;
use crate::token;
use crate::types::{Error, TimeoutKind, TransportError, TransportKind};
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use wasi::clocks::monotonic_clock;
use wasi::http::outgoing_handler;
use wasi::http::types::{
    Fields, FutureIncomingResponse, IncomingBody, IncomingResponse, Method, OutgoingBody,
    OutgoingRequest, RequestOptions,
};
use wasi::io::streams::{InputStream, OutputStream, StreamError};

/// Bytes asked of the response stream per read: larger reads mean fewer
/// host calls, which dominate a large hydrate (figures in bench/README.md),
/// while the guest's memory stays under 2 MiB.
const READ_CHUNK: u64 = 256 * 1024;

fn invalid(message: &str) -> Error {
    Error::InvalidInput(message.to_string())
}

fn stream_error(e: StreamError, phase: Phase) -> Error {
    match e {
        StreamError::Closed => Error::Transport(TransportError {
            kind: TransportKind::ConnectionReset,
            detail: "stream closed".to_string(),
        }),
        StreamError::LastOperationFailed(io) => match wasi::http::types::http_error_code(&io) {
            Some(code) => from_http_error(&code, phase),
            None => from_io_detail(&io.to_debug_string(), phase),
        },
    }
}

/// What to send. `content_length` is set only when there is a body.
pub struct Request<'a> {
    pub method: Method,
    pub endpoint: &'a Endpoint,
    pub token: &'a str,
    pub content_type: Option<&'a str>,
    pub content_length: Option<u64>,
    /// A precondition header and its validator (`if-none-match` or `if-match`).
    pub condition: Option<(&'static str, &'a str)>,
}

/// A request in flight: the response to wait for, and the body to stream
/// when the request has one.
pub struct InFlight {
    pub response: FutureIncomingResponse,
    pub body: Option<BodyWriter>,
}

/// The request's headers, each with what to report if the host refuses it.
fn header_list(req: &Request<'_>) -> Vec<((String, Vec<u8>), &'static str)> {
    let mut list = Vec::with_capacity(4);
    let mut add = |name: &str, value: Vec<u8>, refused| list.push(((name.into(), value), refused));
    add(
        "authorization",
        token::bearer(req.token).into_bytes(),
        "token is not a valid header value",
    );
    if let Some(ct) = req.content_type {
        add(
            "content-type",
            ct.as_bytes().to_vec(),
            "content-type rejected by the host",
        );
    }
    if let Some((name, validator)) = req.condition {
        let refused = "recorded snapshot version rejected by the host";
        add(name, validator.as_bytes().to_vec(), refused);
    }
    if let Some(len) = req.content_length {
        let refused = "content-length rejected by the host";
        add("content-length", len.to_string().into_bytes(), refused);
    }
    list
}

fn build(req: &Request<'_>) -> Result<OutgoingRequest, Error> {
    let (entries, refusals): (Vec<_>, Vec<_>) = header_list(req).into_iter().unzip();
    // One call into the host for them all; only when it refuses one are they
    // tried one by one, to say which.
    let Ok(headers) = Fields::from_list(&entries) else {
        let probe = Fields::new();
        let refused = entries
            .iter()
            .zip(refusals)
            .find(|((n, v), _)| probe.append(n, v).is_err());
        return Err(invalid(
            refused.map_or("a header rejected by the host", |(_, r)| r),
        ));
    };
    let request = OutgoingRequest::new(headers);
    request
        .set_method(&req.method)
        .map_err(|()| invalid("method rejected by the host"))?;
    // Set explicitly: a host's default scheme is https.
    let scheme = match req.endpoint.scheme {
        Scheme::Http => wasi::http::types::Scheme::Http,
        Scheme::Https => wasi::http::types::Scheme::Https,
    };
    request
        .set_scheme(Some(&scheme))
        .map_err(|()| invalid("gateway URL scheme rejected by the host"))?;
    request
        .set_authority(Some(&req.endpoint.authority))
        .map_err(|()| invalid("gateway URL authority rejected by the host"))?;
    request
        .set_path_with_query(Some(&req.endpoint.path))
        .map_err(|()| invalid("gateway URL path rejected by the host"))?;
    Ok(request)
}

/// The host's timeouts. Connecting is the one phase only the host can see,
/// so its limit is exact; the others are backstops behind the guest's own
/// timers. A host that does not support a timeout says so; the guest's still hold.
fn request_options(t: &Resolved, timing: &Timing) -> RequestOptions {
    let options = RequestOptions::new();
    let left = timing.deadline.remaining_ns().max(1);
    let backstop = |ms: u32| ms_to_ns(ms.saturating_add(HOST_MARGIN_MS));
    let _ = options.set_connect_timeout(Some(ms_to_ns(t.connect_timeout_ms).min(left)));
    let _ = options.set_first_byte_timeout(Some(backstop(t.first_byte_timeout_ms)));
    let _ = options.set_between_bytes_timeout(Some(backstop(t.between_bytes_timeout_ms)));
    options
}

/// Hands the request to the host. A body is opened before `handle`, and must
/// be written after it: writing first deadlocks once it outgrows the host's buffer.
pub fn send(req: &Request<'_>, t: &Resolved, timing: &Timing) -> Result<InFlight, Error> {
    let request = build(req)?;
    let body = match req.content_length {
        Some(_) => {
            let body = request
                .body()
                .map_err(|()| invalid("request body unavailable"))?;
            let stream = body
                .write()
                .map_err(|()| invalid("request body stream unavailable"))?;
            Some(BodyWriter {
                stream,
                body,
                timing: *timing,
            })
        }
        None => None,
    };
    let response = outgoing_handler::handle(request, Some(request_options(t, timing)))
        .map_err(|code| from_http_error(&code, Phase::Request))?;
    Ok(InFlight { response, body })
}

/// Waits for the response headers, at most the first-byte limit from now
/// (once the request, body included, is sent).
pub fn response(
    future: &FutureIncomingResponse,
    timing: &Timing,
) -> Result<IncomingResponse, Error> {
    {
        let ready = future.subscribe();
        timing.deadline.wait(&ready, timing.first_byte)?;
    }
    match future.get() {
        Some(Ok(Ok(response))) => Ok(response),
        Some(Ok(Err(code))) => Err(timing
            .deadline
            .explain(from_http_error(&code, Phase::Request))),
        Some(Err(())) => Err(Error::Transport(TransportError {
            kind: TransportKind::Other,
            detail: "response already taken".to_string(),
        })),
        None => Err(Error::Timeout(TimeoutKind::Deadline)),
    }
}

/// The first value of a header. A caller reading several headers of one
/// response asks for its `headers()` once: each handle is a call into the host.
pub fn first(headers: &Fields, name: &str) -> Option<Vec<u8>> {
    headers.get(name).into_iter().next()
}

/// A status the call does not accept, with the `retry-after` the gateway
/// sent with it (a 429 or 503 may say when to come back).
pub fn refused(response: &IncomingResponse, error: Error) -> AttemptError {
    AttemptError {
        error,
        retry_after: retry_after(response),
    }
}

/// The `retry-after` seconds of a response, when it has a usable one.
pub fn retry_after(response: &IncomingResponse) -> Option<u64> {
    first(&response.headers(), "retry-after").and_then(|v| parse_retry_after(&v))
}

/// A response body being read. Fields drop in order: stream, body, response
/// (each is a child of the next; dropping a parent first traps).
pub struct BodyReader {
    stream: InputStream,
    _body: IncomingBody,
    _response: IncomingResponse,
    timing: Timing,
}

impl BodyReader {
    pub fn new(response: IncomingResponse, timing: &Timing) -> Result<Self, Error> {
        let body = response
            .consume()
            .map_err(|()| invalid("response body already consumed"))?;
        let stream = body
            .stream()
            .map_err(|()| invalid("response body stream unavailable"))?;
        Ok(Self {
            stream,
            _body: body,
            _response: response,
            timing: *timing,
        })
    }

    /// The next chunk, or `None` at the end of the body; fails when no byte
    /// arrives within the between-bytes limit.
    pub fn next(&mut self) -> Result<Option<Vec<u8>>, Error> {
        let t = &self.timing;
        let until = monotonic_clock::now().saturating_add(ms_to_ns(t.between_bytes.ms));
        let mut said_ready = false;
        loop {
            match self.stream.read(READ_CHUNK) {
                Ok(bytes) if bytes.is_empty() => {
                    if said_ready {
                        t.deadline.pause();
                    }
                    t.deadline
                        .wait_until(&self.stream.subscribe(), until, t.between_bytes.kind)?;
                    said_ready = true;
                }
                Ok(bytes) => return Ok(Some(bytes)),
                Err(StreamError::Closed) => return Ok(None),
                Err(e) => return Err(t.deadline.explain(stream_error(e, Phase::ResponseBody))),
            }
        }
    }

    /// Reads at most `limit` bytes of the body (for small JSON answers).
    pub fn read_up_to(&mut self, limit: usize) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        while out.len() < limit {
            match self.next()? {
                Some(chunk) => out.extend_from_slice(&chunk[..chunk.len().min(limit - out.len())]),
                None => break,
            }
        }
        Ok(out)
    }
}

/// A request body being written. Fields drop in order: stream, then body.
/// Dropping it without [`BodyWriter::finish`] abandons the request, so the
/// gateway sees a body shorter than its `content-length` and stores nothing.
pub struct BodyWriter {
    stream: OutputStream,
    body: OutgoingBody,
    timing: Timing,
}

impl BodyWriter {
    /// Writes all of `data`, as fast as the host's permits allow. A gateway
    /// that stops reading for longer than the between-bytes limit fails it.
    pub fn write_all(&mut self, mut data: &[u8]) -> Result<(), Error> {
        let t = &self.timing;
        // When the gateway stopped reading, and whether the host already
        // claimed it could take more (see `BodyReader::next`).
        let mut stalled: Option<(monotonic_clock::Instant, bool)> = None;
        while !data.is_empty() {
            let permit = self
                .stream
                .check_write()
                .map_err(|e| t.deadline.explain(stream_error(e, Phase::Request)))?;
            if permit == 0 {
                let (until, said_ready) = stalled.get_or_insert_with(|| {
                    (
                        monotonic_clock::now().saturating_add(ms_to_ns(t.between_bytes.ms)),
                        false,
                    )
                });
                if *said_ready {
                    t.deadline.pause();
                }
                t.deadline
                    .wait_until(&self.stream.subscribe(), *until, t.between_bytes.kind)?;
                *said_ready = true;
                continue;
            }
            stalled = None;
            let n = data
                .len()
                .min(usize::try_from(permit).unwrap_or(usize::MAX));
            self.stream
                .write(&data[..n])
                .map_err(|e| t.deadline.explain(stream_error(e, Phase::Request)))?;
            data = &data[n..];
        }
        Ok(())
    }

    /// Flushes and closes the body: the request is complete. A failure here
    /// fails the response too, which is where the caller learns of it.
    pub fn finish(self) {
        let Self {
            stream,
            body,
            timing,
        } = self;
        if stream.flush().is_ok() {
            let _ = timing
                .deadline
                .wait(&stream.subscribe(), timing.between_bytes);
        }
        // The stream is the body's child: it must go first.
        drop(stream);
        let _ = OutgoingBody::finish(body, None);
    }
}
