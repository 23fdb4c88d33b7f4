//! The demo: one conversation walked across two pods with separate
//! workspaces, through the component, against the reference gateway on a
//! temporary SQLite database. Each step prints one table row; any step whose
//! outcome is not the expected one makes the demo exit non-zero.

use crate::exit::CliError;
use crate::mount::authority;
use sha2::{Digest, Sha256};
use snapshot_gateway::{mint_token, serve, GatewayConfig, TokenClaims};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;
use transcript_snapshot_host::{
    default_options, ClearOutcome, Gateway, HydrateOutcome, RunBinding, Sandbox, SkipReason,
    SnapshotHost, TerminalStatus, WriteOutcome,
};

const GUEST_FILE: &str = "/workspace/.openclaw/session.jsonl";
const TTL: Duration = Duration::from_secs(600);
const SCOPE: (&str, &str, &str) = ("org-demo", "agent-demo", "conversation-42");

struct Pod {
    name: &'static str,
    workspace: PathBuf,
}

impl Pod {
    fn session(&self) -> PathBuf {
        self.workspace.join(".openclaw/session.jsonl")
    }

    /// One agent turn: the worker appends to its session file.
    fn append_turn(&self, run: u64, text: &str) -> std::io::Result<()> {
        use std::io::Write;
        std::fs::create_dir_all(self.session().parent().unwrap_or(Path::new(".")))?;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.session())?;
        writeln!(
            f,
            r#"{{"type":"message","run":{run},"role":"user","text":"{text}"}}"#
        )?;
        writeln!(
            f,
            r#"{{"type":"message","run":{run},"role":"assistant","text":"noted: {text} ✓"}}"#
        )
    }

    fn sha256(&self) -> String {
        let bytes = std::fs::read(self.session()).unwrap_or_default();
        Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

struct Walk<'a> {
    host: &'a SnapshotHost,
    /// Gateway replicas; pod A talks to the first, pod B to the last.
    urls: Vec<String>,
    secret: String,
    step: usize,
    failures: usize,
}

impl Walk<'_> {
    fn url(&self, pod: &Pod) -> String {
        let i = if pod.name == "pod-A" {
            0
        } else {
            self.urls.len() - 1
        };
        self.urls[i].clone()
    }

    fn sandbox(&self, pod: &Pod) -> Sandbox {
        Sandbox::new()
            .preopen(&pod.workspace, "/workspace")
            .allow_only(authority(&self.url(pod)))
    }

    fn token(&self, run: Option<u64>) -> Result<String, CliError> {
        let (org, agent, conv) = SCOPE;
        let claims = match run {
            Some(r) => TokenClaims::for_run(org, agent, conv, r as i64, TTL),
            None => TokenClaims::deployment(org, agent, conv, TTL),
        };
        mint_token(&self.secret, &claims).map_err(CliError::demo("minting a token"))
    }

    /// The gateway `pod` talks to, with a deployment token (hydrate, clear).
    fn gateway(&self, pod: &Pod) -> Result<Gateway, CliError> {
        Ok(Gateway {
            url: self.url(pod),
            token: self.token(None)?,
        })
    }

    fn row(&mut self, pod: &Pod, action: &str, outcome: String, expected: &str, ok: bool) {
        self.step += 1;
        if !ok {
            self.failures += 1;
        }
        let mark = if ok { "ok" } else { "UNEXPECTED" };
        println!(
            "{:>2}  {:<5} {:<34} {:<44} {:<22} {mark}",
            self.step, pod.name, action, outcome, expected
        );
    }

    async fn hydrate(
        &mut self,
        pod: &Pod,
        action: &str,
        expected: &str,
        want: impl Fn(&HydrateOutcome) -> bool,
    ) -> Result<(), CliError> {
        let gateway = self.gateway(pod)?;
        let call = self
            .host
            .hydrate(&self.sandbox(pod), &gateway, GUEST_FILE, default_options())
            .await
            .map_err(CliError::trapped("hydrate"))?;
        let (text, ok) = match &call.outcome {
            Ok(o) => (o.to_string(), want(o)),
            Err(e) => (
                transcript_snapshot_host::DescribeFailure(e).to_string(),
                false,
            ),
        };
        self.row(pod, action, text, expected, ok);
        Ok(())
    }

    async fn write(
        &mut self,
        pod: &Pod,
        run: u64,
        status: TerminalStatus,
        action: &str,
        expected: &str,
        want: impl Fn(&WriteOutcome) -> bool,
    ) -> Result<(), CliError> {
        let binding = RunBinding {
            run_id: run,
            token: self.token(Some(run))?,
        };
        let call = self
            .host
            .write(
                &self.sandbox(pod),
                &self.url(pod),
                Some(&binding),
                GUEST_FILE,
                status,
                default_options(),
            )
            .await
            .map_err(CliError::trapped("write"))?;
        let ok = want(&call.outcome);
        self.row(pod, action, call.outcome.to_string(), expected, ok);
        Ok(())
    }

    async fn clear(
        &mut self,
        pod: &Pod,
        expected: &str,
        want: impl Fn(&ClearOutcome) -> bool,
    ) -> Result<(), CliError> {
        let gateway = self.gateway(pod)?;
        let call = self
            .host
            .clear(
                &Sandbox::new().allow_only(authority(&gateway.url)),
                &gateway,
                default_options(),
            )
            .await
            .map_err(CliError::trapped("clear"))?;
        let ok = want(&call.outcome);
        self.row(
            pod,
            "clear (session reset)",
            call.outcome.to_string(),
            expected,
            ok,
        );
        Ok(())
    }

    fn same_bytes(&mut self, a: &Pod, b: &Pod) {
        let (ha, hb) = (a.sha256(), b.sha256());
        let ok = ha == hb && !ha.is_empty();
        println!(
            "      sha256 {}: {ha}\n      sha256 {}: {hb}  {}",
            a.name,
            b.name,
            if ok { "identical" } else { "DIFFERENT" }
        );
        if !ok {
            self.failures += 1;
        }
    }
}

/// A database URL without its password, for printing.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://…{}", &url[..s], &url[at..]),
        _ => url.to_string(),
    }
}

fn is<T: PartialEq>(want: T) -> impl Fn(&T) -> bool {
    move |got| *got == want
}

/// Which gateways the walk talks to.
pub enum Gateways {
    /// Start `replicas` in-process gateways on `database` (default: a
    /// temporary SQLite file); the pods use different ones.
    Own {
        database: Option<String>,
        replicas: usize,
    },
    /// Gateways already running (e.g. separate processes on one PostgreSQL
    /// database), sharing `secret` to mint tokens.
    Running { urls: Vec<String>, secret: String },
}

/// Runs the walk.
pub async fn run(host: &SnapshotHost, gateways: Gateways) -> Result<ExitCode, CliError> {
    let tmp = tempfile::tempdir().map_err(CliError::local("creating the demo's directory"))?;
    let mut started = Vec::new();
    let (urls, secret) = match gateways {
        Gateways::Running { urls, secret } if !urls.is_empty() => {
            println!("gateways {}\n", urls.join(" and "));
            (urls, secret)
        }
        Gateways::Running { .. } => return Err(CliError::Demo("walking", "no gateway URL".into())),
        Gateways::Own { database, replicas } => {
            let database = database.unwrap_or_else(|| {
                tmp.path()
                    .join("gateway.sqlite3")
                    .to_string_lossy()
                    .into_owned()
            });
            let secret = format!("demo-secret-{}", std::process::id());
            for _ in 0..replicas.max(1) {
                let config = GatewayConfig::new(
                    std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
                    database.clone(),
                    secret.clone(),
                )
                .with_prefix("/lobu");
                started.push(
                    serve(config)
                        .await
                        .map_err(CliError::demo("starting the gateway"))?,
                );
            }
            let urls: Vec<String> = started.iter().map(|g| g.base_url()).collect();
            println!(
                "reference gateway{} {} on {}\n",
                if urls.len() > 1 { "s" } else { "" },
                urls.join(" and "),
                redact_url(&database)
            );
            (urls, secret)
        }
    };
    let pod_a = Pod {
        name: "pod-A",
        workspace: tmp.path().join("pod-a"),
    };
    let pod_b = Pod {
        name: "pod-B",
        workspace: tmp.path().join("pod-b"),
    };
    for pod in [&pod_a, &pod_b] {
        std::fs::create_dir_all(&pod.workspace)
            .map_err(CliError::local("creating a pod's workspace"))?;
    }
    println!(
        "{:>2}  {:<5} {:<34} {:<44} {:<22} result",
        "#", "pod", "call", "outcome", "expected"
    );
    let mut w = Walk {
        host,
        urls,
        secret,
        step: 0,
        failures: 0,
    };
    let stored = |o: &WriteOutcome| matches!(o, WriteOutcome::Stored(_));
    let hydrated = |o: &HydrateOutcome| matches!(o, HydrateOutcome::Hydrated(h) if h.bytes > 0);

    w.hydrate(
        &pod_a,
        "hydrate (first turn)",
        "no snapshot",
        |o: &HydrateOutcome| matches!(o, HydrateOutcome::NoSnapshot(_)),
    )
    .await?;
    pod_a
        .append_turn(1, "hello from run 1")
        .map_err(CliError::local("appending a turn"))?;
    w.write(
        &pod_a,
        1,
        TerminalStatus::Completed,
        "run 1 completed: write",
        "stored",
        stored,
    )
    .await?;
    w.hydrate(&pod_b, "hydrate (conversation moved)", "hydrated", hydrated)
        .await?;
    w.same_bytes(&pod_a, &pod_b);
    pod_b
        .append_turn(2, "run 2 continues on pod B")
        .map_err(CliError::local("appending a turn"))?;
    w.write(
        &pod_b,
        2,
        TerminalStatus::Completed,
        "run 2 completed: write",
        "stored",
        stored,
    )
    .await?;
    w.write(
        &pod_a,
        1,
        TerminalStatus::Completed,
        "late retry of run 1's write",
        "duplicate",
        |o: &WriteOutcome| matches!(o, WriteOutcome::Duplicate(_)),
    )
    .await?;
    let after_run_2 = pod_b.sha256();
    pod_b
        .append_turn(3, "run 3 crashes midway")
        .map_err(CliError::local("appending a turn"))?;
    w.write(
        &pod_b,
        3,
        TerminalStatus::Failed,
        "run 3 failed: write",
        "skipped, nothing sent",
        is(WriteOutcome::Skipped(SkipReason::NotCompleted)),
    )
    .await?;
    w.hydrate(&pod_a, "hydrate (run 2's snapshot)", "hydrated", hydrated)
        .await?;
    let ok = pod_a.sha256() == after_run_2;
    println!(
        "      pod-A now holds run 2's transcript: {}",
        if ok { "yes" } else { "NO" }
    );
    if !ok {
        w.failures += 1;
    }
    w.clear(
        &pod_b,
        "cleared, 2 deleted",
        |o| matches!(o, ClearOutcome::Cleared(c) if c.deleted == Some(2)),
    )
    .await?;
    w.hydrate(
        &pod_a,
        "hydrate after reset",
        "no snapshot",
        |o: &HydrateOutcome| matches!(o, HydrateOutcome::NoSnapshot(_)),
    )
    .await?;
    w.hydrate(
        &pod_b,
        "hydrate after reset",
        "no snapshot",
        |o: &HydrateOutcome| matches!(o, HydrateOutcome::NoSnapshot(_)),
    )
    .await?;

    for g in started {
        let stopped = g.shutdown().await;
        stopped.map_err(CliError::demo("stopping the gateway"))?;
    }
    if w.failures == 0 {
        println!("\nall {} steps as expected", w.step);
        Ok(ExitCode::SUCCESS)
    } else {
        println!("\n{} of {} checks unexpected", w.failures, w.step);
        Ok(ExitCode::FAILURE)
    }
}
