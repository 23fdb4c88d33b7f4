//! Turns what the gateway or the host said into the outcome a caller sees.

use crate::types::{Error, TimeoutKind, TransportError, TransportKind};
use crate::{find, json_reader};
use alloc::string::String;
use wasi::http::types::ErrorCode;

/// What a hydrate response means before its body is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HydrateStatus {
    /// 200: the body is the snapshot.
    Snapshot,
    /// 404: the gateway has none.
    NoSnapshot,
    /// 304 to an `if-none-match`: the session file holds the latest.
    NotModified,
    Failed(Error),
}

/// `sent_validator`: whether the request carried `if-none-match` (a 304
/// without one is a gateway fault, not good news).
pub fn hydrate_status(status: u16, sent_validator: bool) -> HydrateStatus {
    match status {
        200 => HydrateStatus::Snapshot,
        404 => HydrateStatus::NoSnapshot,
        304 if sent_validator => HydrateStatus::NotModified,
        other => HydrateStatus::Failed(Error::HttpStatus(other)),
    }
}

/// A write the gateway accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteAccepted {
    /// 2xx, with the status.
    Stored(u16),
    /// 409: a snapshot for this run is already there (benign).
    Duplicate,
    /// 412 to an `if-match`: another snapshot is the latest now.
    Diverged,
}

/// A write's response: 2xx stored, 409 already stored, 412 diverged when the
/// request carried `if-match` (`sent_precondition`), anything else an error.
pub fn write_status(status: u16, sent_precondition: bool) -> Result<WriteAccepted, Error> {
    match status {
        200..=299 => Ok(WriteAccepted::Stored(status)),
        409 => Ok(WriteAccepted::Duplicate),
        412 if sent_precondition => Ok(WriteAccepted::Diverged),
        other => Err(Error::HttpStatus(other)),
    }
}

/// A clear's response: 2xx or 404 (nothing to delete) means the gateway's
/// copy is gone; `body` is the start of the response body.
pub fn clear_status(status: u16, body: &[u8]) -> Result<(u16, Option<u64>), Error> {
    if (200..=299).contains(&status) || status == 404 {
        Ok((status, deleted_count(body)))
    } else {
        Err(Error::HttpStatus(status))
    }
}

/// `n` from a `{"deleted": n}` body, if the body is that shape.
pub fn deleted_count(body: &[u8]) -> Option<u64> {
    let members = json_reader::object(core::str::from_utf8(body).ok()?).ok()?;
    match json_reader::last(&members, "deleted")? {
        json_reader::Value::Num(n) => json_reader::whole_number(n, u64::MAX),
        _ => None,
    }
}

/// Where in the exchange a host error happened; decides which timeout it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Connecting, sending, and waiting for the response headers.
    Request,
    /// Reading the response body.
    ResponseBody,
}

/// The WIT name of a wasi:http error code (cheaper than `Debug`, which would
/// pull formatting machinery into the component).
pub fn code_name(code: &ErrorCode) -> &'static str {
    use ErrorCode as C;
    match code {
        C::DnsTimeout => "DNS-timeout",
        C::DnsError(_) => "DNS-error",
        C::DestinationNotFound => "destination-not-found",
        C::DestinationUnavailable => "destination-unavailable",
        C::DestinationIpProhibited => "destination-IP-prohibited",
        C::DestinationIpUnroutable => "destination-IP-unroutable",
        C::ConnectionRefused => "connection-refused",
        C::ConnectionTerminated => "connection-terminated",
        C::ConnectionTimeout => "connection-timeout",
        C::ConnectionReadTimeout => "connection-read-timeout",
        C::ConnectionWriteTimeout => "connection-write-timeout",
        C::ConnectionLimitReached => "connection-limit-reached",
        C::TlsProtocolError => "TLS-protocol-error",
        C::TlsCertificateError => "TLS-certificate-error",
        C::TlsAlertReceived(_) => "TLS-alert-received",
        C::HttpRequestDenied => "HTTP-request-denied",
        C::HttpRequestLengthRequired => "HTTP-request-length-required",
        C::HttpRequestBodySize(_) => "HTTP-request-body-size",
        C::HttpRequestMethodInvalid => "HTTP-request-method-invalid",
        C::HttpRequestUriInvalid => "HTTP-request-URI-invalid",
        C::HttpRequestUriTooLong => "HTTP-request-URI-too-long",
        C::HttpRequestHeaderSectionSize(_) => "HTTP-request-header-section-size",
        C::HttpRequestHeaderSize(_) => "HTTP-request-header-size",
        C::HttpRequestTrailerSectionSize(_) => "HTTP-request-trailer-section-size",
        C::HttpRequestTrailerSize(_) => "HTTP-request-trailer-size",
        C::HttpResponseIncomplete => "HTTP-response-incomplete",
        C::HttpResponseHeaderSectionSize(_) => "HTTP-response-header-section-size",
        C::HttpResponseHeaderSize(_) => "HTTP-response-header-size",
        C::HttpResponseBodySize(_) => "HTTP-response-body-size",
        C::HttpResponseTrailerSectionSize(_) => "HTTP-response-trailer-section-size",
        C::HttpResponseTrailerSize(_) => "HTTP-response-trailer-size",
        C::HttpResponseTransferCoding(_) => "HTTP-response-transfer-coding",
        C::HttpResponseContentCoding(_) => "HTTP-response-content-coding",
        C::HttpResponseTimeout => "HTTP-response-timeout",
        C::HttpUpgradeFailed => "HTTP-upgrade-failed",
        C::HttpProtocolError => "HTTP-protocol-error",
        C::LoopDetected => "loop-detected",
        C::ConfigurationError => "configuration-error",
        C::InternalError(_) => "internal-error",
    }
}

fn transport(kind: TransportKind, code: &ErrorCode) -> Error {
    let mut detail = String::from(code_name(code));
    // The host's own words, when it gave any.
    if let ErrorCode::InternalError(Some(text)) = code {
        detail.push_str(": ");
        detail.push_str(text);
    }
    Error::Transport(TransportError { kind, detail })
}

/// Maps a wasi:http error code onto the component's error.
pub fn from_http_error(code: &ErrorCode, phase: Phase) -> Error {
    use ErrorCode as C;
    let read_timeout = match phase {
        Phase::Request => TimeoutKind::FirstByte,
        Phase::ResponseBody => TimeoutKind::BetweenBytes,
    };
    match code {
        C::DnsTimeout | C::ConnectionTimeout => Error::Timeout(TimeoutKind::Connect),
        C::ConnectionReadTimeout | C::HttpResponseTimeout => Error::Timeout(read_timeout),
        C::ConnectionWriteTimeout => Error::Timeout(TimeoutKind::BetweenBytes),
        C::HttpRequestDenied | C::DestinationIpProhibited => Error::Denied,
        C::DnsError(_) | C::DestinationNotFound => transport(TransportKind::Dns, code),
        C::ConnectionRefused | C::DestinationUnavailable | C::DestinationIpUnroutable => {
            transport(TransportKind::ConnectionRefused, code)
        }
        C::ConnectionTerminated | C::HttpResponseIncomplete | C::ConnectionLimitReached => {
            transport(TransportKind::ConnectionReset, code)
        }
        C::TlsProtocolError | C::TlsCertificateError | C::TlsAlertReceived(_) => {
            transport(TransportKind::Tls, code)
        }
        C::HttpProtocolError
        | C::HttpResponseHeaderSectionSize(_)
        | C::HttpResponseHeaderSize(_)
        | C::HttpResponseBodySize(_)
        | C::HttpResponseTrailerSectionSize(_)
        | C::HttpResponseTrailerSize(_)
        | C::HttpResponseTransferCoding(_)
        | C::HttpResponseContentCoding(_)
        | C::HttpUpgradeFailed
        | C::LoopDetected => transport(TransportKind::Protocol, code),
        _ => transport(TransportKind::Other, code),
    }
}

/// Maps a stream failure the host did not tag with a wasi:http error code
/// (wasmtime reports body failures as plain text) by its description.
pub fn from_io_detail(detail: &str, phase: Phase) -> Error {
    let lower = detail.to_ascii_lowercase();
    let kind = if find::contains(&lower, "timeout") || find::contains(&lower, "timed out") {
        return Error::Timeout(match phase {
            Phase::Request => TimeoutKind::FirstByte,
            Phase::ResponseBody => TimeoutKind::BetweenBytes,
        });
    } else if [
        "reset",
        "closed",
        "incomplete",
        "reading a body",
        "broken pipe",
        "terminated",
    ]
    .iter()
    .any(|w| find::contains(&lower, w))
    {
        TransportKind::ConnectionReset
    } else {
        TransportKind::Other
    };
    Error::Transport(TransportError {
        kind,
        detail: String::from(detail),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hydrate_accepts_200_and_404_and_304_only_to_a_validator() {
        for sent in [false, true] {
            assert_eq!(hydrate_status(200, sent), HydrateStatus::Snapshot);
            assert_eq!(hydrate_status(404, sent), HydrateStatus::NoSnapshot);
            for s in [201, 204, 301, 400, 401, 403, 412, 500, 503] {
                assert_eq!(
                    hydrate_status(s, sent),
                    HydrateStatus::Failed(Error::HttpStatus(s))
                );
            }
        }
        assert_eq!(hydrate_status(304, true), HydrateStatus::NotModified);
        assert_eq!(
            hydrate_status(304, false),
            HydrateStatus::Failed(Error::HttpStatus(304))
        );
    }

    #[test]
    fn write_409_is_duplicate_and_other_errors_fail() {
        for sent in [false, true] {
            assert_eq!(write_status(200, sent), Ok(WriteAccepted::Stored(200)));
            assert_eq!(write_status(201, sent), Ok(WriteAccepted::Stored(201)));
            assert_eq!(write_status(409, sent), Ok(WriteAccepted::Duplicate));
            assert_eq!(write_status(500, sent), Err(Error::HttpStatus(500)));
            assert_eq!(write_status(413, sent), Err(Error::HttpStatus(413)));
        }
        assert_eq!(write_status(412, true), Ok(WriteAccepted::Diverged));
        assert_eq!(write_status(412, false), Err(Error::HttpStatus(412)));
    }

    #[test]
    fn clear_treats_404_as_success_and_reads_deleted() {
        assert_eq!(clear_status(200, br#"{"deleted": 3}"#), Ok((200, Some(3))));
        assert_eq!(clear_status(404, b"not found"), Ok((404, None)));
        assert_eq!(clear_status(500, b""), Err(Error::HttpStatus(500)));
        assert_eq!(clear_status(401, b""), Err(Error::HttpStatus(401)));
    }

    #[test]
    fn untagged_stream_failures_map_by_description() {
        assert_eq!(
            from_io_detail("connection read timeout", Phase::ResponseBody),
            Error::Timeout(TimeoutKind::BetweenBytes)
        );
        let Error::Transport(t) = from_io_detail(
            "hyper error: error reading a body from connection",
            Phase::ResponseBody,
        ) else {
            panic!("not transport")
        };
        assert_eq!(t.kind, TransportKind::ConnectionReset);
        let Error::Transport(t) = from_io_detail("something odd", Phase::Request) else {
            panic!("not transport")
        };
        assert_eq!(
            (t.kind, t.detail.as_str()),
            (TransportKind::Other, "something odd")
        );
    }

    #[test]
    fn host_errors_map_to_typed_errors() {
        assert_eq!(
            from_http_error(&ErrorCode::ConnectionReadTimeout, Phase::Request),
            Error::Timeout(TimeoutKind::FirstByte)
        );
        assert_eq!(
            from_http_error(&ErrorCode::ConnectionReadTimeout, Phase::ResponseBody),
            Error::Timeout(TimeoutKind::BetweenBytes)
        );
        assert_eq!(
            from_http_error(&ErrorCode::HttpRequestDenied, Phase::Request),
            Error::Denied
        );
        let Error::Transport(t) = from_http_error(&ErrorCode::ConnectionRefused, Phase::Request)
        else {
            panic!("not transport")
        };
        assert_eq!(t.kind, TransportKind::ConnectionRefused);
        assert_eq!(t.detail, "connection-refused");
        let Error::Transport(t) = from_http_error(
            &ErrorCode::InternalError(Some(String::from("x"))),
            Phase::Request,
        ) else {
            panic!("not transport")
        };
        assert_eq!(
            (t.kind, t.detail.as_str()),
            (TransportKind::Other, "internal-error: x")
        );
    }
}
