//! Starting and stopping the gateway in-process.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::error::GatewayError;
use crate::routes::{router, AppState, SNAPSHOT_PATH};
use crate::store::{Backend, Store};
use crate::token::TokenVerifier;

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
}

impl GatewayConfig {
    pub fn new(listen: SocketAddr, database: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            listen,
            database: database.into(),
            secret: secret.into(),
            prefix: String::new(),
        }
    }

    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
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
            .finish()
    }
}

/// A gateway serving on a background task of the current tokio runtime.
/// Dropping it asks the server to stop; [`RunningGateway::shutdown`] also
/// waits for that and closes the database pool.
#[derive(Debug)]
pub struct RunningGateway {
    local_addr: SocketAddr,
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

    /// `http://ADDR{prefix}`: the `gateway-url` a client is configured with.
    pub fn base_url(&self) -> String {
        format!("http://{}{}", self.local_addr, self.prefix)
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
    let store = Store::connect(&config.database).await?;
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
    let app = router(
        Arc::new(AppState {
            store: store.clone(),
            verifier,
        }),
        &prefix,
    );
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                // Either a stop request or the handle being gone ends serving.
                let _ = stopped.await;
            })
            .await
    });
    Ok(RunningGateway {
        local_addr,
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
