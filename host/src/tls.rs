//! HTTPS to a gateway whose certificate chains to a private CA.
//!
//! wasmtime-wasi-http's default sender trusts the webpki (Mozilla) roots and
//! nothing else, with no way to add a root. When a [`crate::Sandbox`] trusts
//! extra roots, its HTTPS requests are sent from here instead: the same steps
//! (TCP, TLS, HTTP/1.1), the same timeouts and the same
//! `wasmtime_wasi_http::Error` values, so the guest sees the same error codes
//! as with the default sender. Plain HTTP, and sandboxes without extra roots,
//! keep the default sender.

use std::fmt;
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::uri::PathAndQuery;
use http::{Request, Response, Uri};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};
use tokio_rustls::TlsConnector;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody};

/// What a timeout the guest leaves unset means: the default sender's value,
/// so trusting a root changes nothing else.
const UNSET_TIMEOUT: Duration = Duration::from_secs(600);

/// The connection task wasi:http drives once the response is handed back.
pub(crate) type IoFuture = Box<dyn Future<Output = Result<(), HttpError>> + Send>;

/// Why [`crate::Sandbox::trust_roots_pem`] refused its input.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustRootsError {
    /// The PEM text could not be read.
    Pem(String),
    /// The PEM text holds no `CERTIFICATE` block.
    NoCertificates,
    /// A certificate is not usable as a trust anchor.
    Certificate(String),
    /// rustls refused the client configuration (not expected with ring).
    Config(String),
}

impl fmt::Display for TrustRootsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pem(e) => write!(f, "cannot read the root certificates' PEM: {e}"),
            Self::NoCertificates => write!(f, "the PEM holds no CERTIFICATE block"),
            Self::Certificate(e) => write!(f, "not a usable root certificate: {e}"),
            Self::Config(e) => write!(f, "cannot build the TLS client configuration: {e}"),
        }
    }
}

impl std::error::Error for TrustRootsError {}

/// Roots trusted on top of the webpki ones, and the client config built from
/// them: built once here, not per request.
#[derive(Clone)]
pub(crate) struct ExtraRoots {
    certs: Vec<CertificateDer<'static>>,
    config: Arc<ClientConfig>,
}

impl fmt::Debug for ExtraRoots {
    // The config's own Debug runs to pages; how many roots were added is
    // what a reader of a `Sandbox` wants.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExtraRoots")
            .field("certificates", &self.certs.len())
            .finish()
    }
}

impl ExtraRoots {
    /// The roots in `previous` (if any) plus every certificate in `pem`.
    pub(crate) fn add_pem(previous: Option<&Self>, pem: &[u8]) -> Result<Self, TrustRootsError> {
        let mut certs = previous.map(|p| p.certs.clone()).unwrap_or_default();
        let before = certs.len();
        for cert in CertificateDer::pem_slice_iter(pem) {
            certs.push(cert.map_err(|e| TrustRootsError::Pem(e.to_string()))?);
        }
        if certs.len() == before {
            return Err(TrustRootsError::NoCertificates);
        }
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        for cert in &certs {
            roots
                .add(cert.clone())
                .map_err(|e| TrustRootsError::Certificate(e.to_string()))?;
        }
        // ring by name: `ClientConfig::builder()` asks for the process-wide
        // provider, and panics if the build's features enable two or none.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TrustRootsError::Config(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self {
            certs,
            config: Arc::new(config),
        })
    }

    pub(crate) fn config(&self) -> Arc<ClientConfig> {
        self.config.clone()
    }
}

/// Sends one HTTPS request, trusting `config`'s roots.
pub(crate) async fn send(
    config: Arc<ClientConfig>,
    mut request: Request<WasiBody>,
    options: Option<RequestOptions>,
) -> Result<(Response<WasiBody>, IoFuture), HttpError> {
    let timeout = |pick: fn(&RequestOptions) -> Option<Duration>| {
        options.as_ref().and_then(pick).unwrap_or(UNSET_TIMEOUT)
    };
    let connect_timeout = timeout(|o| o.connect_timeout);
    let first_byte_timeout = timeout(|o| o.first_byte_timeout);
    let between_bytes = timeout(|o| o.between_bytes_timeout);

    let uri = request.uri();
    // `Uri::host` keeps an IPv6 literal's brackets; neither the socket
    // address nor the certificate's name has them.
    let host = uri
        .host()
        .ok_or(HttpError::HttpRequestUriInvalid)?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = uri.port_u16().unwrap_or(443);
    let name = ServerName::try_from(host.clone())?;

    // One budget for TCP and TLS together: a peer that accepts the socket but
    // stalls the handshake is as unreachable as one that never answers.
    let deadline = Instant::now() + connect_timeout;
    let tcp = tokio::time::timeout_at(deadline, TcpStream::connect((host.as_str(), port)))
        .await
        .map_err(|_| HttpError::ConnectionTimeout)?
        .map_err(HttpError::Connect)?;
    let tls = tokio::time::timeout_at(deadline, TlsConnector::from(config).connect(name, tcp))
        .await
        .map_err(|_| HttpError::ConnectionTimeout)?
        .map_err(HttpError::Tls)?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;

    // Scheme and authority belong on the request line only when talking to a
    // proxy; hyper sends the URI as given, so keep the path and query.
    let path = uri
        .path_and_query()
        .cloned()
        .unwrap_or_else(|| PathAndQuery::from_static("/"));
    *request.uri_mut() = Uri::from(path);

    // hyper writes the request and reads the answer only while the connection
    // is polled, and wasi:http polls it (the returned io future) only once a
    // response is back: until then, drive both here.
    let mut conn = Box::pin(conn);
    let mut response = pin!(tokio::time::timeout(
        first_byte_timeout,
        sender.send_request(request)
    ));
    let (response, conn_done) = tokio::select! {
        response = &mut response => (response, false),
        ended = &mut conn => {
            ended?;
            // The connection closed cleanly: the response, if there is one,
            // was read before it did.
            ((&mut response).await, true)
        }
    };
    let response = response.map_err(|_| HttpError::ConnectionReadTimeout)??;

    let io: IoFuture = if conn_done {
        Box::new(async { Ok(()) })
    } else {
        Box::new(async move { conn.await.map_err(HttpError::from) })
    };
    let response = response.map(|incoming| {
        TimedBody {
            incoming,
            between_bytes,
            timer: Box::pin(tokio::time::sleep(between_bytes)),
        }
        .boxed_unsync()
    });
    Ok((response, io))
}

/// The response body, failing with a read timeout when the gateway sends
/// nothing for `between_bytes`: a stalled body would otherwise hang the call
/// until the guest's overall timeout.
struct TimedBody {
    incoming: Incoming,
    between_bytes: Duration,
    timer: Pin<Box<Sleep>>,
}

impl Body for TimedBody {
    type Data = <Incoming as Body>::Data;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.incoming).poll_frame(cx) {
            Poll::Ready(frame) => {
                let next = Instant::now() + this.between_bytes;
                this.timer.as_mut().reset(next);
                Poll::Ready(frame.map(|f| f.map_err(HttpError::from)))
            }
            Poll::Pending => match this.timer.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(HttpError::ConnectionReadTimeout))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.incoming.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::{ExtraRoots, TrustRootsError};

    #[test]
    fn pem_without_a_certificate_is_refused() {
        let key_only = b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        for pem in [&b""[..], b"not pem at all", key_only] {
            let err = ExtraRoots::add_pem(None, pem).map(|_| ());
            assert_eq!(err, Err(TrustRootsError::NoCertificates), "{pem:?}");
        }
    }

    #[test]
    fn a_certificate_block_that_is_not_a_certificate_is_refused() {
        let pem = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let err = ExtraRoots::add_pem(None, pem).map(|_| ());
        assert!(
            matches!(err, Err(TrustRootsError::Certificate(_))),
            "{err:?}"
        );
    }
}
