//! Reference gateway for transcript snapshots.
//!
//! Serves the wire contract's GET/POST/DELETE on
//! `{prefix}/worker/transcript/snapshot`, stores snapshots in SQLite or
//! PostgreSQL, and mints/verifies its own bearer tokens. Each snapshot's
//! SHA-256 is its version: `etag` on GET and POST, `304` for a current
//! `If-None-Match`, `412` for a stale `If-Match` (see [`version`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use snapshot_gateway::{mint_token, serve, GatewayConfig, TokenClaims};
//!
//! let config = GatewayConfig::new("127.0.0.1:0".parse()?, "sqlite::memory:", "secret")
//!     .with_prefix("/lobu");
//! let gateway = serve(config).await?;
//! let token = mint_token(
//!     "secret",
//!     &TokenClaims::for_run("org", "agent", "conv", 1, Duration::from_secs(600)),
//! )?;
//! println!("{} {}", gateway.base_url(), token.len());
//! gateway.shutdown().await?;
//! # Ok(()) }
//! ```

mod access;
mod app;
pub mod error;
mod limits;
mod listener;
pub mod logging;
pub mod metrics;
pub mod ops;
pub mod routes;
pub mod server;
pub mod store;
pub mod tls;
pub mod token;
pub mod validate;
pub mod version;

pub use access::ACCESS_TARGET;
pub use error::{ApiError, GatewayError};
pub use logging::{init_logging, LogFormat};
pub use ops::{HEALTHZ_PATH, METRICS_PATH, READYZ_PATH};
pub use routes::{REPR_DIGEST, SNAPSHOT_PATH, SNAPSHOT_RUN_ID};
pub use server::{serve, GatewayConfig, RunningGateway};
pub use store::{Backend, Retention, StoreOptions};
pub use tls::TlsFiles;
pub use token::{mint_token, TokenClaims, TokenError};
