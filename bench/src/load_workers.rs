//! The load mode's simulated workers. Each loops, until the window closes,
//! over what a fresh pod does for one run: hydrate the conversation (a full
//! download: the session file and its sidecar are removed first, as a new
//! pod has neither), then write the transcript back as the next run id with
//! a per-run token. Two kinds: through the Rust host crate (the component,
//! its files, its fsyncs), and a plain HTTP client sending the same requests
//! (no component, no files), so the client's share is visible beside it.
//!
//! Every outcome is checked. A call is an error unless a hydrate is
//! `hydrated` with the transcript's size (or finds no snapshot on a
//! worker's first iteration) and a write is `stored`; errors are counted over
//! the whole run, warm-up included, so none can hide outside the window.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use snapshot_gateway::{mint_token, TokenClaims};
use transcript_snapshot_host::{
    default_options, DescribeFailure, Gateway, HydrateOutcome, Options, RunBinding, Sandbox,
    SnapshotHost, TerminalStatus, WriteOutcome,
};

const ORG: &str = "bench";
const AGENT: &str = "load";
const GUEST_SESSION: &str = "/workspace/.openclaw/session.jsonl";
/// Both clients give up on a call after this long, the component's own
/// default for a hydrate.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The measured interval: calls that end inside it are timed and counted.
#[derive(Clone, Copy)]
pub struct Window {
    pub start: Instant,
    pub end: Instant,
}

impl Window {
    fn holds(&self, t: Instant) -> bool {
        t >= self.start && t <= self.end
    }
}

/// What a configuration's workers share.
pub struct Shared {
    pub secret: String,
    pub size: u64,
    /// The transcript on disk, put in place when a worker has none yet.
    pub transcript: PathBuf,
    /// The transcript JSON-escaped: the plain client's envelope body.
    pub escaped: Arc<Vec<u8>>,
    pub window: Window,
}

/// One simulated worker: its own conversation, directory and gateway.
pub struct Worker {
    pub conversation: String,
    /// `http://127.0.0.1:PORT/lobu`
    pub url: String,
    pub authority: String,
    pub dir: PathBuf,
}

#[derive(Default)]
pub struct Tally {
    pub hydrate_ms: Vec<f64>,
    pub write_ms: Vec<f64>,
    /// Hydrate + write iterations whose write completed in the window.
    pub iterations: u64,
    pub errors: u64,
    pub first_error: Option<String>,
}

impl Tally {
    fn error(&mut self, what: String) {
        self.errors += 1;
        self.first_error.get_or_insert(what);
    }

    pub fn merge(&mut self, other: Tally) {
        self.hydrate_ms.extend(other.hydrate_ms);
        self.write_ms.extend(other.write_ms);
        self.iterations += other.iterations;
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    /// Records one call: timed if it succeeded inside the window (`timed`
    /// false for a first-iteration `no-snapshot`, which downloads nothing).
    fn record(&mut self, w: &Window, t0: Instant, verdict: Result<bool, String>, write: bool) {
        let end = Instant::now();
        match verdict {
            Ok(timed) if timed && w.holds(end) => {
                let ms = (end - t0).as_secs_f64() * 1e3;
                if write {
                    self.write_ms.push(ms);
                    self.iterations += 1;
                } else {
                    self.hydrate_ms.push(ms);
                }
            }
            Ok(_) => {}
            Err(e) => self.error(e),
        }
    }
}

fn deployment_token(s: &Shared, w: &Worker) -> String {
    let claims = TokenClaims::deployment(ORG, AGENT, &w.conversation, Duration::from_secs(7200));
    mint_token(&s.secret, &claims).expect("minting with a non-empty secret")
}

fn run_token(s: &Shared, w: &Worker, run_id: u64) -> String {
    let claims = TokenClaims::for_run(
        ORG,
        AGENT,
        &w.conversation,
        run_id as i64,
        Duration::from_secs(7200),
    );
    mint_token(&s.secret, &claims).expect("minting with a non-empty secret")
}

/// The defaults a worker would use, retries off: a failed attempt is an
/// error to count, not something a retry may hide.
fn options() -> Options {
    let mut o = default_options();
    o.max_attempts = Some(1);
    o
}

/// Through the Rust host crate: the real client.
pub async fn host_worker(host: Arc<SnapshotHost>, w: Worker, s: Arc<Shared>) -> Tally {
    let mut tally = Tally::default();
    let sandbox = Sandbox::new()
        .preopen(&w.dir, "/workspace")
        .allow_only([w.authority.clone()]);
    let gateway = Gateway {
        url: w.url.clone(),
        token: deployment_token(&s, &w),
    };
    let openclaw = w.dir.join(".openclaw");
    let session = openclaw.join("session.jsonl");
    let mut run_id = 0;
    while Instant::now() < s.window.end {
        run_id += 1;
        for name in ["session.jsonl", ".session.jsonl.snapshot-version"] {
            let _ = std::fs::remove_file(openclaw.join(name));
        }
        let t0 = Instant::now();
        let call = host.hydrate(&sandbox, &gateway, GUEST_SESSION, options());
        let verdict = match call.await.map(|c| c.outcome) {
            Ok(Ok(HydrateOutcome::Hydrated(h))) if h.bytes == s.size => Ok(true),
            Ok(Ok(HydrateOutcome::NoSnapshot(_))) if run_id == 1 => Ok(false),
            Ok(Ok(other)) => Err(format!("hydrate: unexpected {other:?}")),
            Ok(Err(f)) => Err(format!("hydrate failed: {}", DescribeFailure(&f))),
            Err(e) => Err(format!("hydrate: host error: {e:#}")),
        };
        tally.record(&s.window, t0, verdict, false);
        if !session.exists() {
            if let Err(e) = std::fs::copy(&s.transcript, &session) {
                tally.error(format!("cannot place the transcript: {e}"));
                continue;
            }
        }
        let run = RunBinding {
            run_id,
            token: run_token(&s, &w, run_id),
        };
        let t0 = Instant::now();
        let call = host.write(
            &sandbox,
            &w.url,
            Some(&run),
            GUEST_SESSION,
            TerminalStatus::Completed,
            options(),
        );
        let verdict = match call.await.map(|c| c.outcome) {
            Ok(WriteOutcome::Stored(st)) if st.bytes == s.size => Ok(true),
            Ok(other) => Err(format!("write: unexpected {other:?}")),
            Err(e) => Err(format!("write: host error: {e:#}")),
        };
        tally.record(&s.window, t0, verdict, true);
    }
    tally
}

/// A plain HTTP client (one shared connection pool, as a load generator
/// keeps): the same GET and POST, the envelope built in memory.
pub async fn http_worker(client: reqwest::Client, w: Worker, s: Arc<Shared>) -> Tally {
    let mut tally = Tally::default();
    let url = format!("{}/worker/transcript/snapshot", w.url);
    let deployment = deployment_token(&s, &w);
    let mut run_id = 0;
    while Instant::now() < s.window.end {
        run_id += 1;
        let t0 = Instant::now();
        let got = async {
            let r = client.get(&url).bearer_auth(&deployment).send().await?;
            let status = r.status().as_u16();
            Ok::<_, reqwest::Error>((status, r.bytes().await?.len() as u64))
        };
        let verdict = match got.await {
            Ok((200, n)) if n == s.size => Ok(true),
            Ok((404, _)) if run_id == 1 => Ok(false),
            Ok((status, n)) => Err(format!("GET: HTTP {status}, {n} bytes")),
            Err(e) => Err(format!("GET: {e}")),
        };
        tally.record(&s.window, t0, verdict, false);
        let mut body = Vec::with_capacity(s.escaped.len() + 80);
        body.extend_from_slice(br#"{"terminalStatus":"completed","snapshotJsonl":""#);
        body.extend_from_slice(&s.escaped);
        body.extend_from_slice(format!(r#"","runId":{run_id}}}"#).as_bytes());
        let token = run_token(&s, &w, run_id);
        let t0 = Instant::now();
        let sent = async {
            let r = client
                .post(&url)
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await?;
            let status = r.status().as_u16();
            r.bytes().await?;
            Ok::<_, reqwest::Error>(status)
        };
        let verdict = match sent.await {
            Ok(200) => Ok(true),
            Ok(status) => Err(format!("POST: HTTP {status}")),
            Err(e) => Err(format!("POST: {e}")),
        };
        tally.record(&s.window, t0, verdict, true);
    }
    tally
}
