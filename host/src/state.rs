//! What a call may touch, and the store data that enforces it.

use crate::tls::{ExtraRoots, IoFuture, TrustRootsError};
use http::uri::Scheme;
use http::{Request, Response};
use rustls::ClientConfig;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use wasmtime::component::ResourceTable;
use wasmtime::ResourceLimiter;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{
    default_hooks, Error as HttpError, RequestOptions, WasiBody, WasiHttpCtx, WasiHttpCtxView,
    WasiHttpHooks, WasiHttpView,
};

/// The guest needs ~1.3 MiB at any snapshot size; this leaves room to spare.
const DEFAULT_MEMORY_CAP: usize = 16 * 1024 * 1024;

/// What one call may touch.
#[derive(Debug, Clone)]
pub struct Sandbox {
    pub(crate) preopens: Vec<(PathBuf, String, FsPerms)>,
    pub(crate) allowed_authorities: Option<Vec<String>>,
    pub(crate) memory_cap: usize,
    pub(crate) extra_roots: Option<ExtraRoots>,
}

impl Default for Sandbox {
    fn default() -> Self {
        Self {
            preopens: Vec::new(),
            allowed_authorities: None,
            memory_cap: DEFAULT_MEMORY_CAP,
            extra_roots: None,
        }
    }
}

impl Sandbox {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes host directory `host` visible, read-write, at absolute guest path `guest`.
    pub fn preopen(mut self, host: impl Into<PathBuf>, guest: impl Into<String>) -> Self {
        self.preopens
            .push((host.into(), guest.into(), FsPerms::ReadWrite));
        self
    }

    /// Like [`Sandbox::preopen`], read-only: enough for `write`, which only reads.
    pub fn preopen_read_only(mut self, host: impl Into<PathBuf>, guest: impl Into<String>) -> Self {
        self.preopens
            .push((host.into(), guest.into(), FsPerms::ReadOnly));
        self
    }

    /// Only these `host[:port]` authorities may be reached; any other request
    /// fails in the guest as `denied`. Without this, any authority may be.
    pub fn allow_only<S: Into<String>>(mut self, authorities: impl IntoIterator<Item = S>) -> Self {
        self.allowed_authorities = Some(authorities.into_iter().map(Into::into).collect());
        self
    }

    /// Caps the guest's linear memory (default 16 MiB).
    pub fn memory_cap(mut self, bytes: usize) -> Self {
        self.memory_cap = bytes;
        self
    }

    /// Trusts the root certificates in `pem` (one or more `CERTIFICATE`
    /// blocks; other blocks are skipped) for HTTPS, on top of the webpki
    /// (Mozilla) roots: for a gateway whose certificate chains to a private
    /// CA. Call again to add more. Without it, a certificate from a private
    /// CA fails the handshake (`transport` error, kind `tls`).
    pub fn trust_roots_pem(mut self, pem: impl AsRef<[u8]>) -> Result<Self, TrustRootsError> {
        self.extra_roots = Some(ExtraRoots::add_pem(
            self.extra_roots.as_ref(),
            pem.as_ref(),
        )?);
        Ok(self)
    }
}

type SendFuture =
    Box<dyn Future<Output = Result<(Response<WasiBody>, IoFuture), HttpError>> + Send>;

/// Refuses requests to any authority outside the allow-list; sends HTTPS
/// with the sandbox's extra roots when it has some.
pub(crate) struct AuthorityFilter {
    pub allowed: Option<Vec<String>>,
    /// Client config trusting the webpki roots plus the sandbox's extra ones.
    pub tls: Option<Arc<ClientConfig>>,
}

impl WasiHttpHooks for AuthorityFilter {
    fn send_request(
        &mut self,
        request: Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: IoFuture,
    ) -> SendFuture {
        let authority = request
            .uri()
            .authority()
            .map(|a| a.as_str().to_ascii_lowercase());
        let allowed = match (&self.allowed, authority) {
            (None, _) => true,
            (Some(list), Some(a)) => list.iter().any(|x| x.eq_ignore_ascii_case(&a)),
            (Some(_), None) => false,
        };
        if !allowed {
            return Box::new(async { Err(HttpError::HttpRequestDenied) });
        }
        // The default sender cannot take extra roots, so HTTPS goes through
        // ours when there are some; everything else stays on the default.
        match &self.tls {
            Some(config) if request.uri().scheme() == Some(&Scheme::HTTPS) => {
                Box::new(crate::tls::send(config.clone(), request, options))
            }
            _ => default_hooks().send_request(request, options, fut),
        }
    }
}

/// Caps the guest's linear memory and records how far it grew.
pub(crate) struct MemoryLimiter {
    pub cap: usize,
    pub peak: usize,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.cap {
            return Ok(false);
        }
        self.peak = self.peak.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        _desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(true)
    }
}

/// Store data for one call.
pub(crate) struct State {
    pub wasi: WasiCtx,
    pub http: WasiHttpCtx,
    pub table: ResourceTable,
    pub filter: AuthorityFilter,
    pub memory: MemoryLimiter,
    pub write_back: crate::write_back::WriteBack,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for State {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.filter,
        }
    }
}
