//! The component, compiled once and pre-instantiated; a fresh store per call.

use crate::bindings::{
    ClearOutcome, Error, Failure, Gateway, HydrateOutcome, Options, RunBinding, SnapshotClient,
    SnapshotClientPre, TerminalStatus, WriteOutcome,
};
use crate::state::{AuthorityFilter, MemoryLimiter, Sandbox, State};
use std::path::Path;
use std::time::Instant;
use wasmtime::component::{Linker, ResourceTable};
use wasmtime::error::Context;
use wasmtime::{Engine, Result, Store};
use wasmtime_wasi::WasiCtx;
use wasmtime_wasi_http::WasiHttpCtx;

/// A finished call: its outcome and how far the guest's memory grew.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call<T> {
    pub outcome: T,
    /// Largest linear memory the guest reached, in bytes.
    pub peak_memory: usize,
}

/// The compiled component, linked against WASI and ready to instantiate.
pub struct SnapshotHost {
    engine: Engine,
    pre: SnapshotClientPre<State>,
    cache_hit: bool,
}

impl SnapshotHost {
    /// The component this crate was built with (embedded in it), compiled,
    /// or loaded from `cache_dir` when compiled there before.
    pub fn bundled(cache_dir: Option<&Path>) -> Result<Self> {
        Self::from_bytes(crate::BUNDLED_COMPONENT, cache_dir)
    }

    /// Compiles the component at `wasm`, or loads it from `cache_dir`.
    pub fn load(wasm: &Path, cache_dir: Option<&Path>) -> Result<Self> {
        let bytes = std::fs::read(wasm)
            .with_context(|| format!("cannot read the component at {}", wasm.display()))?;
        Self::from_bytes(&bytes, cache_dir)
    }

    /// Compiles the component `wasm` (its bytes), or loads it from `cache_dir`.
    pub fn from_bytes(wasm: &[u8], cache_dir: Option<&Path>) -> Result<Self> {
        let engine = Engine::default();
        let (component, cache_hit) = crate::cache::load(&engine, wasm, cache_dir)?;
        let mut linker = Linker::<State>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        crate::write_back::add_to_linker(&mut linker)?;
        let pre = SnapshotClientPre::new(linker.instantiate_pre(&component)?)?;
        Ok(Self {
            engine,
            pre,
            cache_hit,
        })
    }

    /// Whether loading found a compiled artifact in its cache.
    pub fn cache_hit(&self) -> bool {
        self.cache_hit
    }

    async fn instantiate(&self, sandbox: &Sandbox) -> Result<(Store<State>, SnapshotClient)> {
        let mut wasi = WasiCtx::builder();
        // File reads and writes run on the calling thread instead of hopping
        // to tokio's blocking pool for every 64 KiB: halves a large hydrate.
        // Set before the preopens, which take the setting when added.
        wasi.allow_blocking_current_thread(true);
        for (host, guest, perms) in &sandbox.preopens {
            wasi.preopened_dir(host, guest, *perms)?;
        }
        let state = State {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            filter: AuthorityFilter {
                allowed: sandbox.allowed_authorities.clone(),
                tls: sandbox.extra_roots.as_ref().map(|roots| roots.config()),
            },
            memory: MemoryLimiter {
                cap: sandbox.memory_cap,
                peak: 0,
            },
            write_back: Default::default(),
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.memory);
        let client = self.pre.instantiate_async(&mut store).await?;
        Ok((store, client))
    }

    fn finish<T>(store: &Store<State>, outcome: T) -> Call<T> {
        Call {
            outcome,
            peak_memory: store.data().memory.peak,
        }
    }

    pub async fn hydrate(
        &self,
        sandbox: &Sandbox,
        gateway: &Gateway,
        session_file: &str,
        options: Options,
    ) -> Result<Call<Result<HydrateOutcome, Failure>>> {
        let start = Instant::now();
        let call = async {
            let (mut store, client) = self.instantiate(sandbox).await?;
            let outcome = client
                .lobu_transcript_snapshot_snapshot()
                .call_hydrate(&mut store, gateway, session_file, options)
                .await?;
            Ok::<_, wasmtime::Error>(Self::finish(&store, outcome))
        }
        .await;
        match &call {
            Ok(c) => crate::log::hydrate(&c.outcome, start.elapsed()),
            Err(e) => crate::log::trapped("hydrate", e, start.elapsed()),
        }
        call
    }

    pub async fn write(
        &self,
        sandbox: &Sandbox,
        gateway_url: &str,
        run: Option<&RunBinding>,
        session_file: &str,
        status: TerminalStatus,
        options: Options,
    ) -> Result<Call<WriteOutcome>> {
        let start = Instant::now();
        let call = async {
            let (mut store, client) = self.instantiate(sandbox).await?;
            let outcome = client
                .lobu_transcript_snapshot_snapshot()
                .call_write(&mut store, gateway_url, run, session_file, status, options)
                .await?;
            Ok::<_, wasmtime::Error>(Self::finish(&store, outcome))
        }
        .await;
        match &call {
            Ok(c) => crate::log::write(&c.outcome, start.elapsed()),
            Err(e) => crate::log::trapped("write", e, start.elapsed()),
        }
        call
    }

    pub async fn clear(
        &self,
        sandbox: &Sandbox,
        gateway: &Gateway,
        options: Options,
    ) -> Result<Call<ClearOutcome>> {
        let start = Instant::now();
        let call = async {
            let (mut store, client) = self.instantiate(sandbox).await?;
            let outcome = client
                .lobu_transcript_snapshot_snapshot()
                .call_clear(&mut store, gateway, options)
                .await?;
            Ok::<_, wasmtime::Error>(Self::finish(&store, outcome))
        }
        .await;
        match &call {
            Ok(c) => crate::log::clear(&c.outcome, start.elapsed()),
            Err(e) => crate::log::trapped("clear", e, start.elapsed()),
        }
        call
    }

    pub async fn run_binding_from_payload(
        &self,
        payload: &str,
    ) -> Result<Result<Option<RunBinding>, Error>> {
        let (mut store, client) = self.instantiate(&Sandbox::new()).await?;
        client
            .lobu_transcript_snapshot_snapshot()
            .call_run_binding_from_payload(&mut store, payload)
            .await
    }
}
