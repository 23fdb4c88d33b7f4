//! The load mode's server processes: the real `snapshot-gateway` binary as a
//! child (so its peak RSS and CPU time can be read from /proc, as an
//! operator's monitoring would), and the CPU of the PostgreSQL cluster it
//! talks to (the postmaster and its backends: the database's share of the
//! work, which the gateway's own figure leaves out).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// One `snapshot-gateway serve` process.
pub struct GatewayProc {
    child: Child,
    /// `http://127.0.0.1:PORT/lobu`, from its `listening` line.
    pub url: String,
}

impl GatewayProc {
    /// Starts `bin serve` on a free loopback port and waits for its
    /// `listening` line. Its log (stderr, the default `info` access records
    /// an operator gets) goes to `log`, to be shown if anything failed.
    pub fn start(
        bin: &Path,
        database: &str,
        secret: &str,
        extra: &[String],
        log: &Path,
    ) -> Result<Self, String> {
        let stderr = File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
        let mut child = Command::new(bin)
            .args(["serve", "--listen", "127.0.0.1:0", "--prefix", "/lobu"])
            .args(["--database", database, "--secret", secret])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line);
        let Some(base) = line.trim().strip_prefix("listening ") else {
            let _ = child.kill();
            let _ = child.wait();
            let log = std::fs::read_to_string(log).unwrap_or_default();
            return Err(format!("the gateway did not start ({read:?}):\n{log}"));
        };
        Ok(Self {
            url: format!("{base}/lobu"),
            child,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `host:port`, for the sandbox's allow-list.
    pub fn authority(&self) -> String {
        let rest = self.url.trim_start_matches("http://");
        rest.split('/').next().unwrap_or(rest).to_owned()
    }

    /// Peak resident set (VmHWM) in KiB, over the process's life so far.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// SIGTERM (the gateway finishes what is in flight and exits), then reap.
    pub fn stop(mut self) {
        // SAFETY: kill(2) on our own child's pid, which we have not reaped.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

/// utime + stime of a process, in clock ticks (0 if it is gone).
pub fn cpu_ticks(pid: u32) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    // The command name may hold spaces: fields are counted after its ')'.
    let Some(rest) = stat.rfind(')').map(|at| &stat[at + 1..]) else {
        return 0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14 and 15 of proc(5); `rest` starts at field 3.
    let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok());
    field(14).unwrap_or(0) + field(15).unwrap_or(0)
}

pub fn ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as f64
    } else {
        100.0
    }
}

fn parent_of(pid: u32) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("PPid:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn pids() -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

/// The postmaster of the cluster whose data directory is `data`: the
/// process whose command line names it.
pub fn postmaster_of(data: &Path) -> Option<u32> {
    let needle = data.to_string_lossy().into_owned();
    pids().into_iter().find(|pid| {
        std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|c| String::from_utf8_lossy(&c).split('\0').any(|a| a == needle))
            .unwrap_or(false)
    })
}

/// CPU ticks of a postmaster and its children (backends, writers), per pid,
/// so a backend that started during the window counts from zero.
pub fn cluster_ticks(postmaster: u32) -> Vec<(u32, u64)> {
    let mut out = vec![(postmaster, cpu_ticks(postmaster))];
    for pid in pids() {
        if parent_of(pid) == Some(postmaster) {
            out.push((pid, cpu_ticks(pid)));
        }
    }
    out
}

/// Ticks spent between two [`cluster_ticks`] readings.
pub fn ticks_between(before: &[(u32, u64)], after: &[(u32, u64)]) -> u64 {
    after
        .iter()
        .map(|(pid, t)| {
            let was = before.iter().find(|(p, _)| p == pid).map_or(0, |(_, t)| *t);
            t.saturating_sub(was)
        })
        .sum()
}

/// The 1-, 5- and 15-minute load averages, as /proc/loadavg gives them.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// The data directory of a [`pg_cluster::PgCluster`] rooted at `dir`.
pub fn cluster_data_dir(dir: &Path) -> PathBuf {
    dir.join("data")
}
