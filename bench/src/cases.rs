//! The clients under test and the command line of one run of each.

use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Hydrate,
    Write,
}

impl Op {
    pub fn name(self) -> &'static str {
        match self {
            Op::Hydrate => "hydrate",
            Op::Write => "write",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    Curl,
    Reference,
    Rust,
    Node,
    Python,
}

/// `Warm`: the figure is the in-process time of a call in a host that has
/// already loaded the component and made one call. `Process`: the figure is
/// the wall time of a whole fresh process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Warm,
    Process,
}

/// What a hydrate finds (issue 14's rows; writes are always `Full`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// No session file before the call: the whole snapshot is downloaded.
    Full,
    /// The session file and its sidecar already hold the gateway's version
    /// (an untimed hydrate in the same host made them): the call gets `304`.
    UpToDate,
    /// A full hydrate whose response carries `repr-digest`, which the
    /// component checks: against `Full`, the cost of hashing the body.
    Digest,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Case {
    pub client: Client,
    pub mode: Mode,
    pub variant: Variant,
}

impl Case {
    pub fn full(client: Client, mode: Mode) -> Self {
        Case {
            client,
            mode,
            variant: Variant::Full,
        }
    }

    /// Whether the case has a row for `op` (the versions rows are hydrates).
    pub fn applies(&self, op: Op) -> bool {
        self.variant == Variant::Full || op == Op::Hydrate
    }

    pub fn label(&self) -> &'static str {
        match self.variant {
            Variant::UpToDate => return "Rust wasmtime, pre-instantiated, up-to-date (304)",
            Variant::Digest => return "Rust wasmtime, pre-instantiated, repr-digest checked",
            Variant::Full => {}
        }
        match (self.client, self.mode) {
            (Client::Curl, _) => "curl",
            (Client::Reference, _) => "reference TS client (Node)",
            (Client::Rust, Mode::Warm) => "Rust wasmtime, pre-instantiated",
            (Client::Rust, Mode::Process) => "Rust wasmtime, cold process",
            (Client::Node, Mode::Warm) => "Node jco, warm client",
            (Client::Node, Mode::Process) => "Node jco, cold process",
            (Client::Python, Mode::Warm) => "Python wasmtime-py, warm client",
            (Client::Python, Mode::Process) => "Python wasmtime-py, cold process",
        }
    }

    /// Runs through the component (so its guest memory applies).
    pub fn is_component(&self) -> bool {
        matches!(self.client, Client::Rust | Client::Node | Client::Python)
    }
}

/// Every case, in the order the table lists them: the versions rows right
/// after the full hydrate they are compared with.
pub fn all() -> Vec<Case> {
    use Client::*;
    use Mode::*;
    let mut cases: Vec<Case> = [(Curl, Process), (Reference, Process), (Rust, Warm)]
        .into_iter()
        .map(|(client, mode)| Case::full(client, mode))
        .collect();
    for variant in [Variant::UpToDate, Variant::Digest] {
        cases.push(Case {
            client: Rust,
            mode: Warm,
            variant,
        });
    }
    cases.extend(
        [
            (Rust, Process),
            (Node, Warm),
            (Node, Process),
            (Python, Warm),
            (Python, Process),
        ]
        .into_iter()
        .map(|(client, mode)| Case::full(client, mode)),
    );
    cases
}

/// Where everything lives for one run.
pub struct Paths {
    /// The bench crate (for `hosts/`).
    pub bench: PathBuf,
    /// The workspace root (for `python/`).
    pub root: PathBuf,
    pub wasm: PathBuf,
    pub work: PathBuf,
    pub ts_baseline: PathBuf,
}

impl Paths {
    pub fn python(&self) -> PathBuf {
        let venv = self.root.join("python/.venv/bin/python");
        if venv.exists() {
            venv
        } else {
            PathBuf::from("python3")
        }
    }
}

/// One run's inputs.
pub struct Run<'a> {
    pub op: Op,
    pub size: u64,
    pub port: u16,
    pub warm_port: u16,
    /// Host directory holding `.openclaw/` (preopened as `/workspace`).
    pub dir: &'a Path,
    /// The pre-built JSON body, for curl's POST.
    pub body: &'a Path,
}

fn url(port: u16) -> String {
    format!("http://127.0.0.1:{port}/lobu")
}

/// The gateway's prefix that adds `repr-digest` (see `serve`).
fn digest_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}/lobu-digest")
}

/// The command for one run of `case`.
pub fn command(case: Case, run: &Run<'_>, paths: &Paths) -> Command {
    let mode = match case.mode {
        Mode::Warm => "warm",
        Mode::Process => "cold",
    };
    let endpoint = format!("{}/worker/transcript/snapshot", url(run.port));
    let session = run.dir.join(".openclaw/session.jsonl");
    let (op, size) = (run.op.name(), run.size.to_string());
    match case.client {
        Client::Curl => {
            let mut c = Command::new("curl");
            // -w: curl's own transfer time, the counterpart of a warm call.
            c.args(["-s", "-S", "-f", "-w", "time_total=%{time_total}"])
                .args(["-H", "authorization: Bearer bench"]);
            match run.op {
                Op::Hydrate => c.arg("-o").arg(&session),
                Op::Write => c
                    .args(["-o", "/dev/null", "-H", "content-type: application/json"])
                    .arg("--data-binary")
                    .arg(format!("@{}", run.body.display())),
            };
            c.arg(endpoint);
            c
        }
        Client::Reference => {
            let mut c = Command::new("node");
            c.arg(paths.ts_baseline.join("bench.mjs"))
                .arg(op)
                .arg(run.dir)
                .arg(run.port.to_string());
            c
        }
        Client::Rust => {
            let mut c = Command::new(std::env::current_exe().expect("own path"));
            let measured = match case.variant {
                Variant::Digest => digest_url(run.port),
                _ => url(run.port),
            };
            c.args(["rust-host", "--op", op, "--mode", mode])
                .args(["--url", &measured, "--warm-url", &url(run.warm_port)])
                .arg("--dir")
                .arg(run.dir)
                .args(["--size", &size])
                .arg("--wasm")
                .arg(&paths.wasm)
                .arg("--cache")
                .arg(paths.work.join("cache/rust"));
            if case.variant == Variant::UpToDate {
                c.arg("--up-to-date");
            }
            c
        }
        Client::Node => {
            let mut c = Command::new("node");
            c.arg(paths.bench.join("hosts/node.mjs"))
                .args([op, mode, &url(run.port), &url(run.warm_port)])
                .arg(run.dir)
                .arg(&size);
            c
        }
        Client::Python => {
            let mut c = Command::new(paths.python());
            c.arg(paths.bench.join("hosts/py_host.py"))
                .args([op, mode, &url(run.port), &url(run.warm_port)])
                .arg(run.dir)
                .arg(&size)
                .env("PYTHONPATH", paths.root.join("python/src"))
                // Bytecode cached as an installed package has it (pip compiles
                // at install), in the scratch dir rather than the source tree,
                // even where the environment sets PYTHONDONTWRITEBYTECODE.
                .env_remove("PYTHONDONTWRITEBYTECODE")
                .env("PYTHONPYCACHEPREFIX", paths.work.join("cache/pyc"))
                .env("TRANSCRIPT_SNAPSHOT_WASM", &paths.wasm)
                .env("TRANSCRIPT_SNAPSHOT_CACHE_DIR", paths.work.join("cache/py"));
            c
        }
    }
}

/// The in-process time a run reported, in ms: the `call_ms=` of the hosts,
/// curl's `time_total=` (seconds), the reference's `hydrate 12.3 ms`.
pub fn call_ms(case: Case, exit: &crate::child::Exit) -> Option<f64> {
    match case.client {
        Client::Curl => exit
            .field("time_total")
            .and_then(|s| s.parse::<f64>().ok())
            .map(|s| s * 1e3),
        Client::Reference => {
            let mut words = exit.stdout.split_whitespace().skip(1);
            words.next().and_then(|s| s.parse().ok())
        }
        _ => exit.field("call_ms").and_then(|s| s.parse().ok()),
    }
}
