//! The real `snapshot-gateway` binary as a child process.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

/// A `snapshot-gateway serve` child, killed when dropped.
pub struct GatewayProcess {
    pub child: Child,
    /// `http://ADDR`, as printed on the `listening` line.
    pub origin: String,
    _log: tempfile::NamedTempFile,
    /// Whatever stdout has after the `listening` line, until it closes.
    rest_of_stdout: tokio::task::JoinHandle<String>,
}

pub fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_snapshot-gateway"))
}

impl GatewayProcess {
    /// Starts `serve` with `args` appended and waits for its `listening` line.
    pub async fn spawn(args: &[&str], envs: &[(&str, &str)]) -> Self {
        // Logs go to a file, shown only if the gateway fails to start.
        let log = tempfile::NamedTempFile::new().expect("log file");
        let stderr = log.reopen().expect("reopen log");
        let mut command = binary();
        command
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .envs(envs.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr))
            .kill_on_drop(true);
        let mut child = command.spawn().expect("spawn snapshot-gateway");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        let mut stdout = BufReader::new(stdout);
        tokio::time::timeout(Duration::from_secs(60), stdout.read_line(&mut line))
            .await
            .expect("gateway printed nothing within 60 s")
            .expect("read stdout");
        let Some(origin) = line.trim().strip_prefix("listening ").map(str::to_owned) else {
            let logs = std::fs::read_to_string(log.path()).unwrap_or_default();
            panic!("unexpected first line {line:?}; gateway stderr:\n{logs}");
        };
        assert!(
            origin.starts_with("http://127.0.0.1:") || origin.starts_with("https://127.0.0.1:"),
            "{origin}"
        );
        // Kept reading, so later writes neither block nor fail, and tests
        // can scan all of it.
        let rest_of_stdout = tokio::spawn(async move {
            let mut rest = String::new();
            stdout.read_to_string(&mut rest).await.ok();
            rest
        });
        Self {
            child,
            origin,
            _log: log,
            rest_of_stdout,
        }
    }

    /// SIGTERM, then the exit status and everything it wrote: stderr, then
    /// stdout after the `listening` line.
    pub async fn terminate_with_logs(mut self) -> (std::process::ExitStatus, String) {
        let status = self.stop().await;
        let mut output = std::fs::read_to_string(self._log.path()).unwrap_or_default();
        let rest = tokio::time::timeout(Duration::from_secs(30), &mut self.rest_of_stdout)
            .await
            .expect("stdout closes at exit")
            .expect("stdout reader");
        output.push_str(&rest);
        (status, output)
    }

    /// SIGTERM, then the exit status (graceful shutdown must exit 0).
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        self.stop().await
    }

    async fn stop(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().expect("still running");
        let pid = libc::pid_t::try_from(pid).expect("pid fits");
        // SAFETY: signals our own, not yet reaped, child.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("gateway exits after SIGTERM")
            .expect("wait")
    }
}
