//! Runs one measured process: wall time from spawn to reaping, peak RSS from
//! `wait4`'s rusage, its output, and a watchdog that kills it past a limit.
//!
//! A caveat that shapes the orchestrator: Linux folds the RSS high-water mark
//! of the address space a child execs *from* into the child's `ru_maxrss`, and
//! `posix_spawn` execs from the parent's (vfork). So the orchestrator's own
//! peak RSS is a floor under every figure; it therefore never holds a
//! snapshot in memory, and the report prints that floor.

use std::io::{self, Read};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// What one process did.
#[derive(Debug, Clone)]
pub struct Exit {
    pub wall_ms: f64,
    pub max_rss_kib: u64,
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Exit {
    /// The value of `key=` in the output's first `key=value` line.
    pub fn field(&self, key: &str) -> Option<&str> {
        let prefix = format!("{key}=");
        self.stdout
            .split_whitespace()
            .find_map(|w| w.strip_prefix(prefix.as_str()))
    }

    /// A one-line reason for a failed run.
    pub fn reason(&self) -> String {
        let text = if self.stderr.trim().is_empty() {
            &self.stdout
        } else {
            &self.stderr
        };
        let last = text.lines().rev().find(|l| !l.trim().is_empty());
        let mut r = last.unwrap_or("no output").trim().to_string();
        r.truncate(160);
        r
    }
}

fn reader(stream: Option<impl Read + Send + 'static>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut s = String::new();
        if let Some(mut stream) = stream {
            let _ = stream.read_to_string(&mut s);
        }
        s
    })
}

/// Runs `cmd` to completion (killing it after `limit`).
pub fn run(cmd: &mut Command, limit: Duration) -> io::Result<Exit> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn()?;
    let pid = child.id() as libc::pid_t;
    let out = reader(child.stdout.take());
    let err = reader(child.stderr.take());
    let (done, wait) = mpsc::channel::<()>();
    let watchdog = thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(limit) {
            // Not yet reaped (the main thread is blocked in wait4), so the pid
            // is still this child's.
            // SAFETY: kill(2) on our own unreaped child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    });
    let mut status = 0;
    // SAFETY: rusage is plain data, fully written by wait4 on success.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: waits for our own child; both out-pointers are valid.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
    let wall_ms = start.elapsed().as_secs_f64() * 1e3;
    let _ = done.send(());
    let _ = watchdog.join();
    let timed_out = libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGKILL;
    let mut stderr = err.join().unwrap_or_default();
    if timed_out {
        stderr.push_str(&format!("\nkilled after {} s", limit.as_secs()));
    }
    Ok(Exit {
        wall_ms,
        max_rss_kib: usage.ru_maxrss as u64,
        success: libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        stdout: out.join().unwrap_or_default(),
        stderr,
    })
}
