//! What the numbers were measured on, and the report document around the table.

use crate::cases::Paths;
use crate::child;
use crate::orchestrate::Results;
use crate::report;
use std::fmt::Write as _;
use std::fs::File;
use std::io::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn first_line(cmd: &mut Command) -> String {
    cmd.output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| {
            let text = String::from_utf8_lossy(&o.stdout).to_string()
                + &String::from_utf8_lossy(&o.stderr);
            text.lines().next().map(|l| l.trim().to_string())
        })
        .unwrap_or_else(|| "not available".into())
}

fn proc_field(file: &str, key: &str) -> String {
    std::fs::read_to_string(file)
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split(':').nth(1))
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_default()
}

/// `(fact, value)` lines about the machine and the tools, taken before the run.
pub fn describe(paths: &Paths, component_bytes: u64) -> Vec<(String, String)> {
    let mut facts = Vec::new();
    let mut add = |k: &str, v: String| facts.push((k.to_string(), v));
    add(
        "date (UTC)",
        first_line(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M"])),
    );
    add("CPU", proc_field("/proc/cpuinfo", "model name"));
    add(
        "cores",
        std::thread::available_parallelism().map_or("?".into(), |n| n.to_string()),
    );
    add("memory", proc_field("/proc/meminfo", "MemTotal"));
    add(
        "kernel",
        std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim()
            .into(),
    );
    add(
        "component",
        format!("{} ({component_bytes} bytes)", paths.wasm.display()),
    );
    add(
        "wasmtime (Rust host)",
        "48.0.8, `transcript-snapshot-host`, bench built with `native-release`".into(),
    );
    add("Node", first_line(Command::new("node").arg("--version")));
    add(
        "Python, wasmtime-py",
        first_line(Command::new(paths.python()).args([
            "-c",
            "import sys, importlib.metadata as m; print(sys.version.split()[0], m.version('wasmtime'))",
        ])),
    );
    add("curl", first_line(Command::new("curl").arg("--version")));
    let generated = paths
        .root
        .join("js/generated/transcript_snapshot.core.wasm");
    let fresh = match (
        std::fs::metadata(&generated),
        std::fs::metadata(&paths.wasm),
    ) {
        (Ok(g), Ok(w)) => match (g.modified(), w.modified()) {
            (Ok(g), Ok(w)) if g >= w => "transpiled from the current component".into(),
            _ => "**older than the component**: the Node rows may measure a previous build".into(),
        },
        _ => "not built".into(),
    };
    add("js/generated (jco)", fresh);
    add(
        "disk: 64 MiB written and fdatasync'd in the scratch dir, no network (median of 3; the floor of a durable 64 MiB hydrate)",
        durable_write_ms(&paths.work).map_or_else(
            |e| format!("not measured: {e}"),
            |ms| format!("{ms:.0} ms ({:.0} MB/s)", 67.108864 / ms * 1e3),
        ),
    );
    let floor = child::run(&mut Command::new("true"), Duration::from_secs(10))
        .map_or("?".into(), |e| {
            format!("{:.1} MiB", e.max_rss_kib as f64 / 1024.0)
        });
    add(
        "peak RSS of `true` run the same way (the floor of every RSS figure)",
        floor,
    );
    facts
}

/// How long this disk takes to make 64 MiB durable: no hydrate that syncs
/// (the component's promise) can beat it, whatever the network does.
fn durable_write_ms(work: &Path) -> std::io::Result<f64> {
    std::fs::create_dir_all(work)?;
    let path = work.join("disk-probe");
    let chunk = vec![b'x'; 1 << 20];
    let mut times = Vec::new();
    for _ in 0..3 {
        let start = Instant::now();
        let mut file = File::create(&path)?;
        for _ in 0..64 {
            file.write_all(&chunk)?;
        }
        file.sync_data()?;
        times.push(start.elapsed().as_secs_f64() * 1e3);
        drop(file);
        std::fs::remove_file(&path)?;
    }
    times.sort_by(f64::total_cmp);
    Ok(times[1])
}

pub fn document(
    r: &Results,
    facts: &[(String, String)],
    component_bytes: u64,
    runs: usize,
    quick: bool,
) -> String {
    let mut d = String::from("# transcript-snapshot benchmark results\n\n");
    if quick {
        d.push_str(
            "**Quick run** (`--quick`: tiny sizes, one run): a smoke test, not a measurement.\n\n",
        );
    }
    let _ = writeln!(
        d,
        "Produced by `bench/run.sh` (see [README](README.md) for what each column means). \
         {runs} measured runs per case after one untimed probe run, interleaved across clients; \
         {:.0} s in all. Component: **{component_bytes} bytes** ({:.1} KiB).\n",
        r.seconds,
        component_bytes as f64 / 1024.0
    );
    d.push_str("## Results\n\n");
    d.push_str(&report::table(r));
    d.push_str(
        "\n*median / min–max*: a warm row's **call** time (in-process, one call on an already loaded \
         host), every other row's **process** wall time (spawn to exit). ×curl and ref ÷ this compare \
         like with like: a warm row with curl's own transfer time (`-w %{time_total}`) and the \
         reference's in-process time, a process row with their process times. ×curl < 1 is faster \
         than curl; ref ÷ this > 1 is faster than the reference.\n\n",
    );
    d.push_str("## Snapshot versions: up-to-date hydrate and repr-digest (issue 14)\n\n");
    d.push_str(&crate::versions::section(r));
    d.push_str("\n## Targets\n\n");
    d.push_str(&report::targets(r, component_bytes));
    d.push_str("\n## Machine\n\n| | |\n| --- | --- |\n");
    for (k, v) in facts {
        let _ = writeln!(d, "| {k} | {} |", v.replace('|', "\\|"));
    }
    for (when, load) in &r.load {
        let _ = writeln!(d, "| load average (1, 5, 15 min), {when} | {load} |");
    }
    d
}
