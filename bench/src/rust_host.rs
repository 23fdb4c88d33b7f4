//! One measured run on the Rust wasmtime host, as its own process (so the
//! orchestrator can take its peak RSS from `wait4`).
//!
//! `warm`: load (from the compiled-artifact cache), one untimed warm-up call
//! on the small snapshot, then the timed call: what a long-lived worker pays
//! per call on a warm `InstancePre`. `cold`: load and one timed call; the
//! orchestrator's wall time of the whole process is that case's figure.
//! `--up-to-date` (warm hydrate): after the warm-up, an untimed hydrate of the
//! measured snapshot leaves the session file and its sidecar current, so the
//! timed call is the `304` path; it must report `up-to-date` and leave the
//! file exactly as it was.
//!
//! Prints one line of `key=value` fields (the format every host script uses).

use std::path::PathBuf;
use std::time::Instant;
use transcript_snapshot_host::{
    default_options, DescribeFailure, Gateway, HydrateOutcome, Options, RunBinding, Sandbox,
    SnapshotHost, TerminalStatus, WriteOutcome,
};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// hydrate or write
    #[arg(long)]
    pub op: String,
    /// warm (pre-instantiated, after a warm-up call) or cold
    #[arg(long)]
    pub mode: String,
    /// Gateway URL of the measured snapshot size (`http://127.0.0.1:PORT/lobu`).
    #[arg(long)]
    pub url: String,
    /// Gateway URL of the small snapshot, for the warm-up call.
    #[arg(long)]
    pub warm_url: String,
    /// Host directory preopened as `/workspace`.
    #[arg(long)]
    pub dir: PathBuf,
    /// Expected snapshot size in bytes.
    #[arg(long)]
    pub size: u64,
    #[arg(long)]
    pub wasm: PathBuf,
    #[arg(long)]
    pub cache: PathBuf,
    /// tokio worker threads; 0 runs the call on a current-thread runtime.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Hydrate once untimed, then time the hydrate that finds the file current.
    #[arg(long)]
    pub up_to_date: bool,
}

/// What a hydrate must report.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    Hydrated,
    UpToDate,
}

/// Limits raised to the size under test (the defaults refuse writes over
/// 4 MiB and hydrates over 64 MiB), and room for a loaded machine.
pub fn options(size: u64) -> Options {
    let mut o = default_options();
    o.max_write_bytes = Some(size.max(4 << 20));
    o.max_hydrate_bytes = Some(size.max(64 << 20));
    o.timeout_ms = Some(300_000);
    o.max_attempts = Some(1);
    o
}

fn authority(url: &str) -> String {
    let rest = url.trim_start_matches("http://");
    rest.split('/').next().unwrap_or(rest).to_string()
}

struct Runner<'a> {
    host: SnapshotHost,
    sandbox: Sandbox,
    args: &'a Args,
}

impl Runner<'_> {
    /// One call; returns the guest's peak linear memory.
    async fn call(
        &self,
        url: &str,
        file: &str,
        size: u64,
        expect: Expect,
    ) -> Result<usize, String> {
        let guest = format!("/workspace/.openclaw/{file}");
        let opts = options(size);
        match self.args.op.as_str() {
            "hydrate" => {
                let gw = Gateway {
                    url: url.into(),
                    token: "bench".into(),
                };
                let call = self.host.hydrate(&self.sandbox, &gw, &guest, opts).await;
                let call = call.map_err(|e| format!("host error: {e:#}"))?;
                match (call.outcome, expect) {
                    (Ok(HydrateOutcome::Hydrated(h)), Expect::Hydrated) if h.bytes == size => {
                        Ok(call.peak_memory)
                    }
                    (Ok(HydrateOutcome::UpToDate(_)), Expect::UpToDate) => Ok(call.peak_memory),
                    (Ok(other), _) => Err(format!("unexpected outcome {other:?}")),
                    (Err(f), _) => Err(format!("hydrate failed: {}", DescribeFailure(&f))),
                }
            }
            "write" => {
                let run = RunBinding {
                    run_id: 1,
                    token: "bench".into(),
                };
                let call = self
                    .host
                    .write(
                        &self.sandbox,
                        url,
                        Some(&run),
                        &guest,
                        TerminalStatus::Completed,
                        opts,
                    )
                    .await
                    .map_err(|e| format!("host error: {e:#}"))?;
                match call.outcome {
                    WriteOutcome::Stored(s) if s.bytes == size => Ok(call.peak_memory),
                    other => Err(format!("unexpected outcome {other:?}")),
                }
            }
            op => Err(format!("unknown op {op}")),
        }
    }
}

async fn measure(args: &Args) -> Result<String, String> {
    let t0 = Instant::now();
    let host = SnapshotHost::load(&args.wasm, Some(&args.cache)).map_err(|e| format!("{e:#}"))?;
    let load_ms = t0.elapsed().as_secs_f64() * 1e3;
    let sandbox = Sandbox::new()
        .preopen(&args.dir, "/workspace")
        .allow_only([authority(&args.url), authority(&args.warm_url)]);
    let runner = Runner {
        host,
        sandbox,
        args,
    };
    let mut warm_ms = 0.0;
    if args.mode == "warm" {
        let t = Instant::now();
        runner
            .call(&args.warm_url, "warmup.jsonl", 1300, Expect::Hydrated)
            .await?;
        warm_ms = t.elapsed().as_secs_f64() * 1e3;
    }
    let (session, size) = ("session.jsonl", args.size);
    let mut before = None;
    if args.up_to_date {
        runner
            .call(&args.url, session, size, Expect::Hydrated)
            .await?;
        before = Some(stamp(args)?);
    }
    let expect = match args.up_to_date {
        true => Expect::UpToDate,
        false => Expect::Hydrated,
    };
    let t = Instant::now();
    let peak = runner.call(&args.url, session, size, expect).await?;
    let call_ms = t.elapsed().as_secs_f64() * 1e3;
    if let Some(before) = before {
        let after = stamp(args)?;
        if after != before {
            return Err(format!(
                "an up-to-date hydrate changed the file: {before:?} → {after:?}"
            ));
        }
    }
    Ok(format!(
        "call_ms={call_ms:.3} load_ms={load_ms:.3} warmup_ms={warm_ms:.3} guest_memory={peak} cache_hit={}",
        runner.host.cache_hit()
    ))
}

/// The session file's identity, size and modification time: an up-to-date
/// hydrate must not replace, write or touch it.
fn stamp(args: &Args) -> Result<(u64, u64, std::time::SystemTime), String> {
    use std::os::unix::fs::MetadataExt;
    let path = args.dir.join(".openclaw/session.jsonl");
    let m = std::fs::metadata(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let modified = m.modified().map_err(|e| e.to_string())?;
    Ok((m.ino(), m.len(), modified))
}

pub fn run(args: &Args) -> Result<(), String> {
    let rt = if args.threads == 0 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .enable_all()
            .build()
    }
    .map_err(|e| e.to_string())?;
    let line = rt.block_on(measure(args))?;
    println!("{line}");
    Ok(())
}
