//! One wasmtime engine and pre-instantiated component per test process; one
//! store, instance and sandbox directory per call.

use crate::bindings::{
    ClearOutcome, Error, Gateway, HydrateOutcome, Options, RunBinding, SnapshotClientPre, TerminalStatus,
    WriteOutcome,
};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, ResourceLimiter, Result, Store};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// Where each sandbox is mounted inside the guest.
pub const GUEST_ROOT: &str = "/workspace";

/// Records the guest's largest linear memory and enforces a cap.
#[derive(Debug, Default)]
pub struct MemoryWatch {
    pub peak: usize,
    pub cap: Option<usize>,
}

impl ResourceLimiter for MemoryWatch {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> Result<bool> {
        if self.cap.is_some_and(|cap| desired > cap) {
            return Ok(false);
        }
        self.peak = self.peak.max(desired);
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, _desired: usize, _maximum: Option<usize>) -> Result<bool> {
        Ok(true)
    }
}

/// Store data: WASI contexts plus what the harness observes.
pub struct Ctx {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    pub memory: MemoryWatch,
}

impl WasiView for Ctx {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for Ctx {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: Default::default(),
        }
    }
}

/// A temporary directory mounted at [`GUEST_ROOT`].
pub struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("create sandbox dir"),
        }
    }

    /// The host path of a file given relative to the sandbox.
    pub fn host(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The guest path of a file given relative to the sandbox.
    pub fn guest(rel: &str) -> String {
        format!("{GUEST_ROOT}/{rel}")
    }

    pub fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) {
        let path = self.host(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    pub fn read(&self, rel: &str) -> Option<Vec<u8>> {
        std::fs::read(self.host(rel)).ok()
    }

    /// Every path under the sandbox, relative and sorted (to spot stray files).
    pub fn listing(&self) -> Vec<String> {
        fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let p = entry.path();
                out.push(p.strip_prefix(base).unwrap().to_string_lossy().into_owned());
                if p.is_dir() {
                    walk(base, &p, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(self.root(), self.root(), &mut out);
        out.sort();
        out
    }
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

/// Every option unset: the component's defaults.
pub fn options() -> Options {
    Options {
        timeout_ms: None,
        connect_timeout_ms: None,
        first_byte_timeout_ms: None,
        between_bytes_timeout_ms: None,
        max_write_bytes: None,
        max_hydrate_bytes: None,
    }
}

/// What a finished call left behind besides its outcome.
#[derive(Debug, Clone, Copy)]
pub struct Call<T> {
    pub outcome: T,
    /// Largest linear memory the guest grew to, in bytes.
    pub peak_memory: usize,
}

/// The compiled component, pre-instantiated against a WASI linker.
pub struct Harness {
    engine: Engine,
    pre: SnapshotClientPre<Ctx>,
}

impl Harness {
    /// Compiles the component once per process.
    pub fn shared() -> &'static Harness {
        static HARNESS: OnceLock<Harness> = OnceLock::new();
        HARNESS.get_or_init(|| Harness::load(crate::build::component_path()).expect("load component"))
    }

    pub fn load(path: &Path) -> Result<Self> {
        let engine = Engine::default();
        let component = Component::from_file(&engine, path)?;
        let mut linker = Linker::<Ctx>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        let pre = SnapshotClientPre::new(linker.instantiate_pre(&component)?)?;
        Ok(Self { engine, pre })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    fn store(&self, sandbox: &Sandbox) -> Result<Store<Ctx>> {
        let wasi = WasiCtx::builder()
            .preopened_dir(sandbox.root(), GUEST_ROOT, FsPerms::ReadWrite)?
            .build();
        let mut store = Store::new(
            &self.engine,
            Ctx {
                wasi,
                http: WasiHttpCtx::new(),
                table: ResourceTable::new(),
                memory: MemoryWatch::default(),
            },
        );
        store.limiter(|ctx| &mut ctx.memory);
        Ok(store)
    }

    pub async fn hydrate(
        &self,
        sandbox: &Sandbox,
        url: &str,
        token: &str,
        session_file: &str,
        options: Options,
    ) -> Result<Call<Result<HydrateOutcome, Error>>> {
        let mut store = self.store(sandbox)?;
        let client = self.pre.instantiate_async(&mut store).await?;
        let gateway = Gateway {
            url: url.into(),
            token: token.into(),
        };
        let outcome = client
            .lobu_transcript_snapshot_snapshot()
            .call_hydrate(&mut store, &gateway, session_file, options)
            .await?;
        Ok(Call {
            outcome,
            peak_memory: store.data().memory.peak,
        })
    }

    pub async fn write(
        &self,
        sandbox: &Sandbox,
        url: &str,
        run: Option<RunBinding>,
        session_file: &str,
        status: TerminalStatus,
        options: Options,
    ) -> Result<Call<WriteOutcome>> {
        let mut store = self.store(sandbox)?;
        let client = self.pre.instantiate_async(&mut store).await?;
        let outcome = client
            .lobu_transcript_snapshot_snapshot()
            .call_write(&mut store, url, run.as_ref(), session_file, status, options)
            .await?;
        Ok(Call {
            outcome,
            peak_memory: store.data().memory.peak,
        })
    }

    pub async fn clear(&self, sandbox: &Sandbox, url: &str, token: &str, options: Options) -> Result<Call<ClearOutcome>> {
        let mut store = self.store(sandbox)?;
        let client = self.pre.instantiate_async(&mut store).await?;
        let gateway = Gateway {
            url: url.into(),
            token: token.into(),
        };
        let outcome = client
            .lobu_transcript_snapshot_snapshot()
            .call_clear(&mut store, &gateway, options)
            .await?;
        Ok(Call {
            outcome,
            peak_memory: store.data().memory.peak,
        })
    }

    pub async fn run_binding(&self, payload: &str) -> Result<Result<Option<RunBinding>, Error>> {
        let sandbox = Sandbox::new();
        let mut store = self.store(&sandbox)?;
        let client = self.pre.instantiate_async(&mut store).await?;
        Ok(client
            .lobu_transcript_snapshot_snapshot()
            .call_run_binding_from_payload(&mut store, payload)
            .await?)
    }
}
