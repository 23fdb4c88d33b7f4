//! An experiment, not a host to ship: the Rust host's setup with one change,
//! `WasiCtxBuilder::allow_blocking_current_thread(true)`, so the guest's file
//! reads and writes run on the calling thread instead of a `spawn_blocking`
//! hand-off per 64 KiB chunk. It measures what `transcript-snapshot-host`
//! (host/src/client.rs, not this crate's to change) would gain from it.

use std::hash::{Hash, Hasher};
use std::path::Path;
use transcript_snapshot_host::bindings::{SnapshotClientPre, TerminalStatus};
use transcript_snapshot_host::{Gateway, HydrateOutcome, Options, RunBinding, WriteOutcome};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

pub struct State {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    // wasmtime-wasi-http's default hooks (what `default_hooks()` hands out).
    hooks: [(); 0],
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
            hooks: &mut self.hooks,
        }
    }
}

pub struct Host {
    engine: Engine,
    pre: SnapshotClientPre<State>,
    dir: std::path::PathBuf,
}

impl Host {
    /// Like `SnapshotHost::load`, with its own compiled-artifact cache in
    /// `cache` (so its RSS and start-up compare with the real host's).
    pub fn load(wasm: &Path, dir: &Path, cache: &Path) -> wasmtime::Result<Self> {
        let engine = Engine::default();
        let bytes = std::fs::read(wasm)?;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (&bytes, engine.precompile_compatibility_hash()).hash(&mut h);
        let artifact = cache.join(format!("experiment-{:016x}.cwasm", h.finish()));
        // SAFETY: the artifact was written below by this engine configuration
        // for these exact bytes (both are in its name).
        let component = match unsafe { Component::deserialize_file(&engine, &artifact) } {
            Ok(c) => c,
            Err(_) => {
                let c = Component::new(&engine, &bytes)?;
                std::fs::create_dir_all(cache)?;
                std::fs::write(&artifact, c.serialize()?)?;
                c
            }
        };
        let mut linker = Linker::<State>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        let pre = SnapshotClientPre::new(linker.instantiate_pre(&component)?)?;
        Ok(Self {
            engine,
            pre,
            dir: dir.to_path_buf(),
        })
    }

    async fn store(&self) -> wasmtime::Result<Store<State>> {
        let mut wasi = WasiCtx::builder();
        wasi.preopened_dir(&self.dir, "/workspace", FsPerms::ReadWrite)?;
        wasi.allow_blocking_current_thread(true);
        Ok(Store::new(
            &self.engine,
            State {
                wasi: wasi.build(),
                http: WasiHttpCtx::new(),
                table: ResourceTable::new(),
                hooks: [],
            },
        ))
    }

    /// One call, checked like the real host's; the guest memory is not tracked.
    pub async fn call(
        &self,
        op: &str,
        url: &str,
        guest: &str,
        size: u64,
        opts: Options,
    ) -> Result<(), String> {
        let mut store = self.store().await.map_err(|e| format!("{e:#}"))?;
        let client = self
            .pre
            .instantiate_async(&mut store)
            .await
            .map_err(|e| format!("{e:#}"))?;
        let api = client.lobu_transcript_snapshot_snapshot();
        if op == "hydrate" {
            let gw = Gateway {
                url: url.into(),
                token: "bench".into(),
            };
            match api.call_hydrate(&mut store, &gw, guest, opts).await {
                Ok(Ok(HydrateOutcome::Hydrated(h))) if h.bytes == size => Ok(()),
                other => Err(format!("unexpected outcome {other:?}")),
            }
        } else {
            let run = RunBinding {
                run_id: 1,
                token: "bench".into(),
            };
            match api
                .call_write(
                    &mut store,
                    url,
                    Some(&run),
                    guest,
                    TerminalStatus::Completed,
                    opts,
                )
                .await
            {
                Ok(WriteOutcome::Stored(s)) if s.bytes == size => Ok(()),
                other => Err(format!("unexpected outcome {other:?}")),
            }
        }
    }
}
