//! The load mode's table, and its section of RESULTS.md ("Gateway under
//! load"), which `bench/run.sh` keeps when it rewrites the rest of the file.

use crate::load_workers::Tally;
use crate::report::{fmt_num, size_label};
use std::fmt::Write as _;
use std::path::Path;

/// The heading the section is written under (and found by).
pub const HEADING: &str = "## Gateway under load";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Deployment {
    Sqlite,
    Postgres,
    /// Two gateway processes on one PostgreSQL database, workers spread
    /// evenly across them.
    PostgresX2,
}

impl Deployment {
    pub const ALL: [Deployment; 3] = [Self::Sqlite, Self::Postgres, Self::PostgresX2];

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "sqlite" => Ok(Self::Sqlite),
            "postgres" => Ok(Self::Postgres),
            "postgres-x2" => Ok(Self::PostgresX2),
            _ => Err(format!(
                "unknown deployment {s}: sqlite, postgres or postgres-x2"
            )),
        }
    }

    pub fn postgres(self) -> bool {
        self != Self::Sqlite
    }

    pub fn processes(self) -> usize {
        if self == Self::PostgresX2 {
            2
        } else {
            1
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Sqlite => "1 gateway, SQLite",
            Self::Postgres => "1 gateway, PostgreSQL",
            Self::PostgresX2 => "2 gateways, one PostgreSQL",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Client {
    /// The Rust host crate: the component, its files and fsyncs.
    Host,
    /// reqwest: the same requests, no component, no files.
    Http,
}

impl Client {
    fn label(self) -> &'static str {
        match self {
            Self::Host => "Rust host crate",
            Self::Http => "plain HTTP",
        }
    }
}

/// One configuration's figures.
pub struct Row {
    pub size: u64,
    pub workers: usize,
    pub deployment: Deployment,
    pub client: Client,
    pub secs: f64,
    pub tally: Tally,
    /// Peak RSS of each gateway process.
    pub gateway_rss_kib: Vec<u64>,
    /// CPU over the window, in cores (1.0 = one core busy), all processes.
    pub gateway_cpu: f64,
    pub database_cpu: Option<f64>,
    pub load_cpu: f64,
    pub load_avg: String,
}

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn p50_p99(samples: &[f64]) -> String {
    let mut v = samples.to_vec();
    v.sort_by(f64::total_cmp);
    match (percentile(&v, 50.0), percentile(&v, 99.0)) {
        (Some(a), Some(b)) => format!("{} / {}", fmt_num(a), fmt_num(b)),
        _ => "—".into(),
    }
}

fn percent(cores: f64) -> String {
    format!("{:.0}%", cores * 100.0)
}

impl Row {
    fn per_second(&self) -> f64 {
        self.tally.iterations as f64 / self.secs
    }

    /// Snapshot bytes moved per second, down (hydrate) and up (write).
    fn mb_per_second(&self) -> f64 {
        self.per_second() * 2.0 * self.size as f64 / 1e6
    }

    fn rss(&self) -> String {
        let mib: Vec<String> = self
            .gateway_rss_kib
            .iter()
            .map(|k| format!("{:.1}", *k as f64 / 1024.0))
            .collect();
        mib.join(" + ")
    }
}

/// One line for the progress log on stderr.
pub fn progress(r: &Row) -> String {
    format!(
        "{} × {}, {}, {}: {:.1} iterations/s, hydrate p50/p99 {} ms, write {} ms, errors {}, gateway {} MiB, {} CPU",
        r.workers,
        size_label(r.size),
        r.deployment.label(),
        r.client.label(),
        r.per_second(),
        p50_p99(&r.tally.hydrate_ms),
        p50_p99(&r.tally.write_ms),
        r.tally.errors,
        r.rss(),
        percent(r.gateway_cpu)
    )
}

pub fn utc_now() -> String {
    std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "?".into())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("model name"))?;
            Some(line.split(':').nth(1)?.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// The whole section, heading included.
pub fn section(rows: &[Row], started: &str, warmup: f64, secs: f64, flags: &[String]) -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let flags = if flags.is_empty() {
        "the defaults".to_owned()
    } else {
        format!("the defaults and `{}`", flags.join(" "))
    };
    let mut s = String::new();
    let _ = writeln!(s, "{HEADING}\n");
    let _ = writeln!(
        s,
        "Produced by `bench/load.sh --results` (see [README](README.md#gateway-under-load)), \
         started {started} UTC on {cores} cores ({}), finished {} UTC; load average (1, 5, 15 min) \
         at the start of each configuration in the last column. The machine is shared: compare \
         rows of one run. Each configuration: a fresh database and fresh `snapshot-gateway serve` \
         processes with {flags}, N workers (tasks of one load process, each its own conversation \
         and directory) looping hydrate → write for {warmup} s of warm-up, then {secs} s measured: \
         calls that end in the window are timed and counted; errors are counted over the whole \
         run. Throughput is hydrate + write iterations per second (MB/s: snapshot bytes down and \
         up). CPU is % of one core over the window: the gateway process(es), PostgreSQL's \
         postmaster and backends, and the load process (the workers' client side). PostgreSQL is \
         `pg-cluster`'s throwaway server (fsync off); SQLite a file on the same disk.\n",
        cpu_model(),
        utc_now()
    );
    s.push_str(
        "| size | deployment | N | client | iterations/s | MB/s | hydrate p50 / p99 ms \
         | write p50 / p99 ms | errors | gateway peak RSS MiB | gateway CPU \
         | PostgreSQL CPU | load process CPU | load avg |\n",
    );
    s.push_str("| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            size_label(r.size),
            r.deployment.label(),
            r.workers,
            r.client.label(),
            fmt_num(r.per_second()),
            fmt_num(r.mb_per_second()),
            p50_p99(&r.tally.hydrate_ms),
            p50_p99(&r.tally.write_ms),
            r.tally.errors,
            r.rss(),
            percent(r.gateway_cpu),
            r.database_cpu.map_or("—".into(), percent),
            percent(r.load_cpu),
            r.load_avg
        );
    }
    let failed: Vec<&Row> = rows.iter().filter(|r| r.tally.errors > 0).collect();
    if !failed.is_empty() {
        s.push_str("\nFirst error of each configuration with errors:\n\n");
        for r in failed {
            let _ = writeln!(
                s,
                "- {} × {}, {}, {}: {}",
                r.workers,
                size_label(r.size),
                r.deployment.label(),
                r.client.label(),
                r.tally.first_error.as_deref().unwrap_or("?")
            );
        }
    }
    s
}

/// Replaces the section in `out` (up to the next `## ` heading), or appends it.
pub fn write_section(out: &Path, section: &str) -> Result<(), String> {
    let old = std::fs::read_to_string(out).unwrap_or_default();
    let doc = match old.find(HEADING) {
        Some(at) => {
            let after = &old[at + HEADING.len()..];
            let rest = after.find("\n## ").map_or("", |end| &after[end + 1..]);
            format!(
                "{}{}\n{}",
                &old[..at],
                section.trim_end(),
                rest_prefix(rest)
            )
        }
        None if old.trim().is_empty() => section.to_owned(),
        None => format!("{}\n\n{}", old.trim_end(), section),
    };
    std::fs::write(out, doc).map_err(|e| format!("cannot write {}: {e}", out.display()))
}

fn rest_prefix(rest: &str) -> String {
    if rest.is_empty() {
        String::new()
    } else {
        format!("\n{rest}")
    }
}
