//! `snapshot-bench`: hydrate and write through the transcript-snapshot
//! component on every host, against curl and the reference TypeScript client.
//! See bench/README.md. Subcommands `serve` and `rust-host` are the children
//! the benchmark starts; `load` is bench/load.sh's gateway under load.

mod cases;
mod child;
mod data;
mod load;
mod load_procs;
mod load_report;
mod load_workers;
mod machine;
mod orchestrate;
mod report;
mod rust_host;
mod serve;
mod versions;

use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(
    about = "Benchmarks the transcript-snapshot component against curl and the reference client"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Tiny sizes (1.3 KB, 64 KiB), one run each: a smoke test.
    #[arg(long)]
    quick: bool,
    /// Measured runs per case (default 5, 1 with --quick).
    #[arg(long)]
    runs: Option<usize>,
    /// Snapshot sizes in bytes, instead of the standard set.
    #[arg(long = "size")]
    sizes: Vec<u64>,
    /// Where the Markdown report goes (default bench/RESULTS.md).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The component to measure (default: build it and use the release build).
    #[arg(long, env = "TRANSCRIPT_SNAPSHOT_WASM")]
    wasm: Option<PathBuf>,
    /// Scratch directory for snapshots and sessions (removed afterwards).
    #[arg(long)]
    work: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// The static gateway (started by the benchmark).
    Serve {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long = "size")]
        sizes: Vec<u64>,
    },
    /// One run on the Rust wasmtime host (started by the benchmark).
    RustHost(rust_host::Args),
    /// The reference gateway under N concurrent workers (bench/load.sh).
    Load(load::Args),
}

const STANDARD_SIZES: [u64; 5] = [1300, 633_000, 4 << 20, 64 << 20, 256 << 20];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bench lives in the workspace")
        .to_path_buf()
}

/// Builds the component (incremental: about a second when nothing changed),
/// so the numbers are never of a stale one.
fn build_component() -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args(["build", "--quiet", "--target", "wasm32-wasip2", "--release"])
        .args(["-p", "transcript-snapshot"])
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("building the component failed".into());
    }
    // A relative CARGO_TARGET_DIR is taken from the workspace root, as cargo
    // does when run there.
    let dir = std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty());
    let target = root().join(dir.as_deref().unwrap_or("target".as_ref()));
    Ok(target.join("wasm32-wasip2/release/transcript_snapshot.wasm"))
}

fn bench(cli: Cli) -> Result<(), String> {
    let wasm = match cli.wasm {
        Some(w) => w,
        None => build_component()?,
    };
    let component_bytes = std::fs::metadata(&wasm)
        .map_err(|e| format!("no component at {}: {e}", wasm.display()))?
        .len();
    let work = cli.work.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("snapshot-bench-{}", std::process::id()))
    });
    let paths = cases::Paths {
        bench: root().join("bench"),
        root: root(),
        wasm,
        work: work.clone(),
        ts_baseline: std::env::var_os("TS_BASELINE_DIR")
            .map_or_else(|| root().join("../shared/bench/ts-baseline"), PathBuf::from),
    };
    let sizes = if !cli.sizes.is_empty() {
        cli.sizes
    } else if cli.quick {
        vec![1300, 64 << 10]
    } else {
        STANDARD_SIZES.to_vec()
    };
    let cfg = orchestrate::Config {
        sizes,
        runs: cli.runs.unwrap_or(if cli.quick { 1 } else { 5 }),
        cases: cases::all(),
        limit: Duration::from_secs(if cli.quick { 60 } else { 300 }),
    };
    let before = machine::describe(&paths, component_bytes);
    let results = orchestrate::run(&cfg, &paths, &mut std::io::stderr());
    let _ = std::fs::remove_dir_all(&work);
    let results = results.map_err(|e| format!("benchmark failed: {e}"))?;
    let mut doc = machine::document(&results, &before, component_bytes, cfg.runs, cli.quick);
    let out = cli.out.unwrap_or_else(|| root().join("bench/RESULTS.md"));
    // The sections of bench/warm.sh (warm calls on Node and Bun) and
    // bench/load.sh (the gateway under load) are not measured here: keep them,
    // from whichever comes first to the end.
    if let Ok(old) = std::fs::read_to_string(&out) {
        let kept = [WARM_SECTION, load_report::HEADING]
            .iter()
            .filter_map(|h| old.find(h))
            .min();
        if let Some(at) = kept {
            doc.push('\n');
            doc.push_str(&old[at..]);
        }
    }
    std::fs::write(&out, &doc).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!("{doc}");
    eprintln!("written to {}", out.display());
    Ok(())
}

/// The heading `bench/hosts/warm.mjs --results` writes its section under.
const WARM_SECTION: &str = "## Warm calls on Node and Bun";

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Serve { dir, sizes }) => serve::run(&dir, &sizes).map_err(|e| e.to_string()),
        Some(Command::RustHost(ref args)) => rust_host::run(args),
        Some(Command::Load(ref args)) => load::run(args),
        None => bench(cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("snapshot-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
