//! The harness: the component loaded once per test process through the
//! project's own Rust host crate, and a temporary workspace per call.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use transcript_snapshot_host::bindings::{
    ClearOutcome, Error, Failure, Gateway, HydrateOutcome, Options, RunBinding, TerminalStatus,
    WriteOutcome,
};
use transcript_snapshot_host::{Call, Sandbox, SnapshotHost};
use wasmtime::Result;

/// Where each workspace is mounted inside the guest.
pub const GUEST_ROOT: &str = "/workspace";

/// A temporary directory mounted at [`GUEST_ROOT`].
pub struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("create workspace dir"),
        }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The host path of a file given relative to the workspace.
    pub fn host(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// The guest path of a file given relative to the workspace.
    pub fn guest(rel: &str) -> String {
        format!("{GUEST_ROOT}/{rel}")
    }

    pub fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) {
        let path = self.host(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("create parent");
        std::fs::write(path, bytes).expect("write file");
    }

    pub fn read(&self, rel: &str) -> Option<Vec<u8>> {
        std::fs::read(self.host(rel)).ok()
    }

    /// Whether anything at all exists in the workspace.
    pub fn is_empty(&self) -> bool {
        std::fs::read_dir(self.root()).map_or(true, |mut d| d.next().is_none())
    }

    /// The sandbox a call gets: this workspace at [`GUEST_ROOT`], nothing else.
    pub fn sandbox(&self) -> Sandbox {
        Sandbox::new().preopen(self.root(), GUEST_ROOT)
    }
}

impl Default for Workspace {
    fn default() -> Self {
        Self::new()
    }
}

/// Every option unset: the component's defaults.
pub fn options() -> Options {
    transcript_snapshot_host::default_options()
}

/// The component, loaded once per test process.
pub struct Harness {
    pub host: SnapshotHost,
}

fn gateway(url: &str, token: &str) -> Gateway {
    Gateway {
        url: url.into(),
        token: token.into(),
    }
}

impl Harness {
    pub fn shared() -> &'static Harness {
        static HARNESS: OnceLock<Harness> = OnceLock::new();
        HARNESS.get_or_init(|| {
            let cache = crate::build::component_cache_dir();
            let host = SnapshotHost::load(crate::build::component_path(), Some(&cache))
                .expect("load component");
            Harness { host }
        })
    }

    pub async fn hydrate(
        &self,
        ws: &Workspace,
        url: &str,
        token: &str,
        session_file: &str,
        options: Options,
    ) -> Result<Call<Result<HydrateOutcome, Failure>>> {
        self.host
            .hydrate(&ws.sandbox(), &gateway(url, token), session_file, options)
            .await
    }

    pub async fn write(
        &self,
        ws: &Workspace,
        url: &str,
        run: Option<RunBinding>,
        session_file: &str,
        status: TerminalStatus,
        options: Options,
    ) -> Result<Call<WriteOutcome>> {
        self.host
            .write(
                &ws.sandbox(),
                url,
                run.as_ref(),
                session_file,
                status,
                options,
            )
            .await
    }

    pub async fn clear(
        &self,
        ws: &Workspace,
        url: &str,
        token: &str,
        options: Options,
    ) -> Result<Call<ClearOutcome>> {
        self.host
            .clear(&ws.sandbox(), &gateway(url, token), options)
            .await
    }

    pub async fn run_binding(&self, payload: &str) -> Result<Result<Option<RunBinding>, Error>> {
        self.host.run_binding_from_payload(payload).await
    }
}
