//! Starting and stopping the gateway in-process.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::app::app;
use crate::error::GatewayError;
use crate::limits::Limits;
use crate::listener::{self, Listener};
use crate::metrics::Metrics;
use crate::routes::{AppState, SNAPSHOT_PATH};
use crate::store::{Backend, Retention, Store, StoreOptions};
use crate::tls::{self, TlsFiles};
use crate::token::TokenVerifier;

/// Defaults of the operator settings (see the README's "Operating it").
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 256;
pub const DEFAULT_DB_MAX_CONNECTIONS: u32 = 10;

/// How to run one gateway.
#[derive(Clone)]
pub struct GatewayConfig {
    /// Address to bind; port 0 picks a free port (see [`RunningGateway::local_addr`]).
    pub listen: SocketAddr,
    /// A SQLite file path, `sqlite::memory:`, a `sqlite:` URL, or a
    /// `postgres://` URL.
    pub database: String,
    /// HS256 key for verifying tokens; must not be empty.
    pub secret: String,
    /// Path prefix before `/worker/transcript/snapshot`, e.g. `/lobu`; empty
    /// for none. A missing leading `/` or a trailing `/` is tolerated.
    pub prefix: String,
    /// Completed snapshots kept per conversation (default 3); 0 keeps all.
    pub keep_snapshots: u32,
    /// Serve HTTPS with this certificate and key instead of plain HTTP.
    pub tls: Option<TlsFiles>,
    /// How long a client may take to send a request's headers (default
    /// 30 s); the connection is closed after it. `None`: no limit.
    pub header_read_timeout: Option<Duration>,
    /// Deadline for a whole snapshot request, body upload and waiting for a
    /// slot included (default 60 s): 408 or 503 after it. `None`: no limit.
    pub request_timeout: Option<Duration>,
    /// Snapshot requests handled at once (default 256); more wait for a
    /// slot. `None`: no limit.
    pub max_concurrent_requests: Option<usize>,
    /// Database connections in the pool (default 10; in-memory SQLite: 1).
    pub db_max_connections: u32,
}

impl GatewayConfig {
    pub fn new(listen: SocketAddr, database: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            listen,
            database: database.into(),
            secret: secret.into(),
            prefix: String::new(),
            keep_snapshots: Retention::DEFAULT_KEEP,
            tls: None,
            header_read_timeout: Some(DEFAULT_HEADER_READ_TIMEOUT),
            request_timeout: Some(DEFAULT_REQUEST_TIMEOUT),
            max_concurrent_requests: Some(DEFAULT_MAX_CONCURRENT_REQUESTS),
            db_max_connections: DEFAULT_DB_MAX_CONNECTIONS,
        }
    }

    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Keep the newest `keep` completed snapshots per conversation; 0 keeps all.
    pub fn with_keep_snapshots(mut self, keep: u32) -> Self {
        self.keep_snapshots = keep;
        self
    }

    /// Serve HTTPS with a PEM certificate chain and private key.
    pub fn with_tls(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.tls = Some(TlsFiles {
            cert: cert.into(),
            key: key.into(),
        });
        self
    }

    pub fn with_header_read_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    pub fn with_request_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.request_timeout = timeout;
        self
    }

    pub fn with_max_concurrent_requests(mut self, max: Option<usize>) -> Self {
        self.max_concurrent_requests = max;
        self
    }

    pub fn with_db_max_connections(mut self, max: u32) -> Self {
        self.db_max_connections = max;
        self
    }
}

// Hand-written so the secret never reaches a log line.
impl std::fmt::Debug for GatewayConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayConfig")
            .field("listen", &self.listen)
            .field("database", &redact_url(&self.database))
            .field("secret", &"<redacted>")
            .field("prefix", &self.prefix)
            .field("keep_snapshots", &self.keep_snapshots)
            .field("tls", &self.tls)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("max_concurrent_requests", &self.max_concurrent_requests)
            .field("db_max_connections", &self.db_max_connections)
            .finish()
    }
}

/// A gateway serving on a background task of the current tokio runtime.
/// Dropping it asks the server to stop; [`RunningGateway::shutdown`] also
/// waits for that and closes the database pool.
#[derive(Debug)]
pub struct RunningGateway {
    local_addr: SocketAddr,
    scheme: &'static str,
    prefix: String,
    store: Store,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningGateway {
    /// The bound address (the real port when the config asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://ADDR{prefix}` (`https://` with TLS): the `gateway-url` a
    /// client is configured with.
    pub fn base_url(&self) -> String {
        format!("{}{}", self.origin(), self.prefix)
    }

    /// `http://ADDR` or `https://ADDR`, where `/healthz`, `/readyz` and
    /// `/metrics` are.
    pub fn origin(&self) -> String {
        format!("{}://{}", self.scheme, self.local_addr)
    }

    /// The full snapshot endpoint URL.
    pub fn snapshot_url(&self) -> String {
        format!("{}{SNAPSHOT_PATH}", self.base_url())
    }

    pub fn backend(&self) -> Backend {
        self.store.backend()
    }

    /// Snapshot bodies read from the database so far. A 304 adds none.
    pub fn snapshot_body_reads(&self) -> u64 {
        self.store.snapshot_body_reads()
    }

    /// Stops accepting connections, lets in-flight requests finish, then
    /// closes the database pool.
    pub async fn shutdown(mut self) -> Result<(), GatewayError> {
        if let Some(stop) = self.stop.take() {
            // An Err means the server already stopped: nothing to signal.
            let _ = stop.send(());
        }
        let result = match self.task.take() {
            Some(task) => task.await?.map_err(GatewayError::Serve),
            None => Ok(()),
        };
        self.store.close().await;
        result
    }
}

impl Drop for RunningGateway {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Connects to the database, applies migrations, binds and starts serving.
/// Returns once the listener is bound, so requests can be sent at once.
pub async fn serve(config: GatewayConfig) -> Result<RunningGateway, GatewayError> {
    let prefix = normalize_prefix(&config.prefix)?;
    let verifier = TokenVerifier::new(&config.secret)?;
    // Before the database: a bad certificate path should fail fast.
    let tls = config.tls.as_ref().map(tls::acceptor).transpose()?;
    let store = Store::connect_with(
        &config.database,
        StoreOptions {
            retention: Retention::keep(config.keep_snapshots),
            max_connections: config.db_max_connections,
        },
    )
    .await?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| GatewayError::Bind {
            addr: config.listen,
            source,
        })?;
    let local_addr = listener.local_addr().map_err(|source| GatewayError::Bind {
        addr: config.listen,
        source,
    })?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let app = app(
        Arc::new(AppState {
            store: store.clone(),
            verifier,
            metrics: Metrics::new(),
        }),
        &prefix,
        Limits::new(config.request_timeout, config.max_concurrent_requests),
    );
    let (stop, stopped) = oneshot::channel::<()>();
    let listener = Listener {
        tcp: listener,
        tls,
        header_read_timeout: config.header_read_timeout,
    };
    // Either a stop request or the handle being gone ends serving.
    let task = tokio::spawn(listener::run(listener, app, stopped));
    Ok(RunningGateway {
        local_addr,
        scheme,
        prefix,
        store,
        stop: Some(stop),
        task: Some(task),
    })
}

/// `""`, `"/"` → `""`; `"lobu/"` → `"/lobu"`. Characters the router would
/// read as captures or wildcards, and query/fragment marks, are refused.
pub fn normalize_prefix(prefix: &str) -> Result<String, GatewayError> {
    let trimmed = prefix.trim().trim_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    let bad = |c: char| matches!(c, '{' | '}' | '*' | '?' | '#' | ':') || c.is_whitespace();
    if trimmed.chars().any(bad) || trimmed.split('/').any(str::is_empty) {
        return Err(GatewayError::InvalidPrefix(prefix.to_owned()));
    }
    Ok(format!("/{trimmed}"))
}

/// Drops a password from a database URL for display.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_normalise() {
        assert_eq!(normalize_prefix("").unwrap(), "");
        assert_eq!(normalize_prefix("/").unwrap(), "");
        assert_eq!(normalize_prefix("lobu/").unwrap(), "/lobu");
        assert_eq!(normalize_prefix("/a/b").unwrap(), "/a/b");
        for bad in ["/{id}", "/a*", "/a//b", "/a b", "/a?x"] {
            assert!(normalize_prefix(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_hides_secret_and_password() {
        let config = GatewayConfig::new(
            "127.0.0.1:0".parse().unwrap(),
            "postgres://u:pw@h/db",
            "topsecret",
        );
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("topsecret") && !shown.contains("pw@"),
            "{shown}"
        );
    }
}
