//! `snapshot-bench load`: the reference gateway under many workers at once.
//!
//! For every transcript size × worker count × deployment (one gateway on
//! SQLite, one on PostgreSQL, two on one PostgreSQL) × client (the Rust host
//! crate, a plain HTTP client), a fresh database and fresh `snapshot-gateway`
//! processes (the real binary, so their RSS and CPU are an operator's
//! figures), then N concurrent tasks of this process looping hydrate → write
//! for a warm-up and a measured window. See bench/README.md "Gateway under
//! load"; the table goes to stdout and, with `--results`, into its section of
//! RESULTS.md.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::load_procs::{self as procs, GatewayProc};
use crate::load_report::{self as report, Client, Deployment, Row};
use crate::load_workers::{self as workers, Shared, Tally, Window, Worker};
use transcript_snapshot_host::SnapshotHost;

/// 1.3 KB (production p99) and 633 KiB (the largest seen in production).
const SIZES: [u64; 2] = [1331, 648_192];
const WORKERS: [usize; 3] = [16, 64, 256];
const SECRET: &str = "snapshot-bench-load-secret";

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A smoke run of a few seconds: 4 workers, SQLite only, short windows.
    #[arg(long)]
    pub quick: bool,
    /// Measured seconds per configuration (default 5; 1 with --quick).
    #[arg(long)]
    pub secs: Option<f64>,
    /// Warm-up seconds before each window (default 1; 0.5 with --quick).
    #[arg(long)]
    pub warmup_secs: Option<f64>,
    /// Worker counts, instead of 16, 64 and 256 (repeatable).
    #[arg(long = "workers")]
    pub workers: Vec<usize>,
    /// Transcript sizes in bytes, instead of 1331 and 648192 (repeatable).
    #[arg(long = "size")]
    pub sizes: Vec<u64>,
    /// Deployments: sqlite, postgres, postgres-x2 (repeatable; default all).
    #[arg(long = "deployment")]
    pub deployments: Vec<String>,
    /// The `snapshot-gateway` binary (default: build it with this binary's
    /// profile and take it from beside this binary).
    #[arg(long)]
    pub gateway: Option<PathBuf>,
    /// More flags for every `snapshot-gateway serve`, e.g.
    /// `--gateway-arg=--max-concurrent-requests=512` (repeatable).
    #[arg(long = "gateway-arg", allow_hyphen_values = true)]
    pub gateway_args: Vec<String>,
    /// The component (default: build it and use the release build).
    #[arg(long, env = "TRANSCRIPT_SNAPSHOT_WASM")]
    pub wasm: Option<PathBuf>,
    /// Write the "Gateway under load" section into this file (RESULTS.md).
    #[arg(long)]
    pub results: Option<PathBuf>,
    /// Scratch directory (default under $TMPDIR, removed afterwards).
    #[arg(long)]
    pub work: Option<PathBuf>,
}

/// Builds `snapshot-gateway` with the profile this binary was built with
/// (its directory's name), so `cargo test` and `load.sh` each get theirs.
fn build_gateway() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let dir = exe.parent().ok_or("no directory for this binary")?;
    // Test binaries live one level down, in deps/.
    let dir = if dir.ends_with("deps") {
        dir.parent().unwrap_or(dir)
    } else {
        dir
    };
    let profile = match dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => "dev".to_owned(),
        Some(p) => p.to_owned(),
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "-p",
            "snapshot-gateway",
            "--profile",
            &profile,
        ])
        .current_dir(crate::root())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("building snapshot-gateway failed".into());
    }
    Ok(dir.join("snapshot-gateway"))
}

struct Ctx {
    host: Arc<SnapshotHost>,
    http: reqwest::Client,
    gateway: PathBuf,
    gateway_args: Vec<String>,
    work: PathBuf,
    cluster: Option<pg_cluster::PgCluster>,
    postmaster: Option<u32>,
    warmup: Duration,
    secs: Duration,
}

struct Case {
    size: u64,
    transcript: PathBuf,
    escaped: Arc<Vec<u8>>,
    workers: usize,
    deployment: Deployment,
    client: Client,
}

pub fn run(args: &Args) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(run_all(args))
}

async fn run_all(args: &Args) -> Result<(), String> {
    let secs = args.secs.unwrap_or(if args.quick { 1.0 } else { 5.0 });
    let warmup = args
        .warmup_secs
        .unwrap_or(if args.quick { 0.5 } else { 1.0 });
    let counts = match (&args.workers[..], args.quick) {
        ([], true) => vec![4],
        ([], false) => WORKERS.to_vec(),
        (w, _) => w.to_vec(),
    };
    let sizes = if args.sizes.is_empty() {
        SIZES.to_vec()
    } else {
        args.sizes.clone()
    };
    let deployments = match (&args.deployments[..], args.quick) {
        ([], true) => vec![Deployment::Sqlite],
        ([], false) => Deployment::ALL.to_vec(),
        (d, _) => d
            .iter()
            .map(|d| Deployment::parse(d))
            .collect::<Result<_, _>>()?,
    };
    let wasm = match &args.wasm {
        Some(w) => w.clone(),
        None => crate::build_component()?,
    };
    let gateway = match &args.gateway {
        Some(g) => g.clone(),
        None => build_gateway()?,
    };
    let work = args.work.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("snapshot-bench-load-{}", std::process::id()))
    });
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let result = measure(
        args,
        &work,
        wasm,
        gateway,
        counts,
        sizes,
        deployments,
        secs,
        warmup,
    );
    let result = result.await;
    let _ = std::fs::remove_dir_all(&work);
    let doc = result?;
    println!("{doc}");
    if let Some(out) = &args.results {
        report::write_section(out, &doc)?;
        eprintln!("written to {}", out.display());
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn measure(
    args: &Args,
    work: &Path,
    wasm: PathBuf,
    gateway: PathBuf,
    counts: Vec<usize>,
    sizes: Vec<u64>,
    deployments: Vec<Deployment>,
    secs: f64,
    warmup: f64,
) -> Result<String, String> {
    let host =
        SnapshotHost::load(&wasm, Some(&work.join("cache"))).map_err(|e| format!("{e:#}"))?;
    let cluster = if deployments.iter().any(|d| d.postgres()) {
        Some(pg_cluster::PgCluster::start().map_err(|e| e.to_string())?)
    } else {
        None
    };
    let postmaster = cluster
        .as_ref()
        .and_then(|c| procs::postmaster_of(&procs::cluster_data_dir(c.dir())));
    let http = reqwest::Client::builder()
        .timeout(workers::CALL_TIMEOUT)
        .build()
        .map_err(|e| e.to_string())?;
    let ctx = Ctx {
        host: Arc::new(host),
        http,
        gateway,
        gateway_args: args.gateway_args.clone(),
        work: work.to_path_buf(),
        cluster,
        postmaster,
        warmup: Duration::from_secs_f64(warmup),
        secs: Duration::from_secs_f64(secs),
    };
    let started = report::utc_now();
    let mut rows = Vec::new();
    for &size in &sizes {
        let transcript = work.join(format!("transcript-{size}.jsonl"));
        crate::data::write_snapshot(&transcript, size).map_err(|e| e.to_string())?;
        let text = std::fs::read(&transcript).map_err(|e| e.to_string())?;
        let escaped = Arc::new(crate::data::escaped(&text));
        for &deployment in &deployments {
            for &n in &counts {
                for client in [Client::Host, Client::Http] {
                    let case = Case {
                        size,
                        transcript: transcript.clone(),
                        escaped: escaped.clone(),
                        workers: n,
                        deployment,
                        client,
                    };
                    let row = run_case(&ctx, &case, rows.len()).await?;
                    eprintln!("{}", report::progress(&row));
                    rows.push(row);
                }
            }
        }
    }
    Ok(report::section(
        &rows,
        &started,
        warmup,
        secs,
        &ctx.gateway_args,
    ))
}

async fn run_case(ctx: &Ctx, case: &Case, index: usize) -> Result<Row, String> {
    let database = match (case.deployment.postgres(), &ctx.cluster) {
        (false, _) => ctx
            .work
            .join(format!("case-{index}.db"))
            .display()
            .to_string(),
        (true, Some(c)) => c.create_database().await.map_err(|e| e.to_string())?,
        (true, None) => return Err("no PostgreSQL cluster".into()),
    };
    let mut gateways = Vec::new();
    for g in 0..case.deployment.processes() {
        let log = ctx.work.join(format!("gateway-{index}-{g}.log"));
        let extra = &ctx.gateway_args;
        gateways.push(GatewayProc::start(
            &ctx.gateway,
            &database,
            SECRET,
            extra,
            &log,
        )?);
    }
    let root = ctx.work.join(format!("case-{index}"));
    let load_avg = procs::load_average();
    let start = Instant::now() + Duration::from_millis(50);
    let window = Window {
        start: start + ctx.warmup,
        end: start + ctx.warmup + ctx.secs,
    };
    let shared = Arc::new(Shared {
        secret: SECRET.into(),
        size: case.size,
        transcript: case.transcript.clone(),
        escaped: case.escaped.clone(),
        window,
    });
    let mut tasks = Vec::new();
    for i in 0..case.workers {
        let gw = &gateways[i % gateways.len()];
        let dir = root.join(format!("w{i}"));
        std::fs::create_dir_all(dir.join(".openclaw")).map_err(|e| e.to_string())?;
        let worker = Worker {
            conversation: format!("c{i}"),
            url: gw.url.clone(),
            authority: gw.authority(),
            dir,
        };
        let shared = shared.clone();
        tasks.push(match case.client {
            Client::Host => tokio::spawn(workers::host_worker(ctx.host.clone(), worker, shared)),
            Client::Http => tokio::spawn(workers::http_worker(ctx.http.clone(), worker, shared)),
        });
    }
    let pids: Vec<u32> = gateways.iter().map(|g| g.pid()).collect();
    let me = std::process::id();
    tokio::time::sleep_until(window.start.into()).await;
    let gw0: u64 = pids.iter().map(|&p| procs::cpu_ticks(p)).sum();
    let me0 = procs::cpu_ticks(me);
    let db0 = ctx.postmaster.map(procs::cluster_ticks);
    tokio::time::sleep_until(window.end.into()).await;
    let gw1: u64 = pids.iter().map(|&p| procs::cpu_ticks(p)).sum();
    let me1 = procs::cpu_ticks(me);
    let db = match (ctx.postmaster, db0) {
        (Some(pm), Some(before)) if case.deployment.postgres() => {
            Some(procs::ticks_between(&before, &procs::cluster_ticks(pm)))
        }
        _ => None,
    };
    let mut tally = Tally::default();
    for t in tasks {
        tally.merge(t.await.map_err(|e| format!("a worker panicked: {e}"))?);
    }
    let rss: Vec<u64> = gateways.iter().filter_map(|g| g.peak_rss_kib()).collect();
    let logs: Vec<PathBuf> = (0..gateways.len())
        .map(|g| ctx.work.join(format!("gateway-{index}-{g}.log")))
        .collect();
    for g in gateways {
        g.stop();
    }
    if tally.errors > 0 {
        eprintln!("errors: first: {:?}", tally.first_error);
        for log in &logs {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            let tail: Vec<&str> = text.lines().filter(|l| !l.contains("INFO")).collect();
            let from = tail.len().saturating_sub(10);
            eprintln!("{}:\n{}", log.display(), tail[from..].join("\n"));
        }
    }
    let _ = std::fs::remove_dir_all(&root);
    if !case.deployment.postgres() {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(format!("{database}{suffix}"));
        }
    }
    let per_core = |ticks: u64| ticks as f64 / procs::ticks_per_second() / ctx.secs.as_secs_f64();
    Ok(Row {
        size: case.size,
        workers: case.workers,
        deployment: case.deployment,
        client: case.client,
        secs: ctx.secs.as_secs_f64(),
        tally,
        gateway_rss_kib: rss,
        gateway_cpu: per_core(gw1.saturating_sub(gw0)),
        database_cpu: db.map(per_core),
        load_cpu: per_core(me1.saturating_sub(me0)),
        load_avg,
    })
}
