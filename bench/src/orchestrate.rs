//! The measuring loop: data, the gateway, then for every size and operation
//! one untimed probe run of every case (which warms the page cache and the
//! compiled-component caches, and finds hosts that are not available) and
//! `runs` measured rounds, interleaved case by case so that load from the
//! rest of the machine spreads over all clients alike.

use crate::cases::{self, Case, Client, Op, Paths, Run};
use crate::child;
use crate::data;
use std::collections::HashMap;
use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The warm-up call's snapshot, always served.
pub const WARMUP_SIZE: u64 = 1300;

pub struct Config {
    pub sizes: Vec<u64>,
    pub runs: usize,
    pub cases: Vec<Case>,
    pub limit: Duration,
}

/// One measured run.
#[derive(Debug, Clone)]
pub struct Sample {
    pub wall_ms: f64,
    pub call_ms: Option<f64>,
    pub rss_kib: u64,
    pub guest_bytes: Option<u64>,
    /// curl hydrate only: fsync of the file it wrote, timed afterwards.
    pub fsync_ms: Option<f64>,
}

/// Every run of one case at one size and operation.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub size: u64,
    pub op: Op,
    pub case: Case,
    pub samples: Vec<Sample>,
    pub error: Option<String>,
}

pub struct Results {
    pub outcomes: Vec<Outcome>,
    /// `(when, /proc/loadavg)` at the start of every size and at the end.
    pub load: Vec<(String, String)>,
    pub seconds: f64,
}

pub fn loadavg() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The gateway child; killed (by its own pid) when dropped.
struct Gateway {
    child: Child,
    ports: HashMap<u64, u16>,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Gateway {
    fn start(snapshots: &Path, sizes: &[u64]) -> io::Result<Self> {
        let mut cmd = Command::new(std::env::current_exe()?);
        cmd.arg("serve").arg("--dir").arg(snapshots);
        for s in sizes {
            cmd.arg("--size").arg(s.to_string());
        }
        let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).spawn()?;
        let mut ports = HashMap::new();
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        for line in lines.by_ref() {
            let line = line?;
            let w: Vec<&str> = line.split_whitespace().collect();
            match w.as_slice() {
                ["port", size, port] => {
                    ports.insert(size.parse().unwrap_or(0), port.parse().unwrap_or(0));
                }
                ["ready"] => return Ok(Self { child, ports }),
                _ => {}
            }
        }
        Err(io::Error::other("the gateway exited before it was ready"))
    }

    /// Bytes of the last POST body the listener on `port` drained (and resets
    /// it): how the bench knows a write really sent everything, since the
    /// reference client reports no failure.
    fn last_post(port: u16) -> io::Result<u64> {
        let mut s = TcpStream::connect(("127.0.0.1", port))?;
        s.write_all(b"GET /bench/last-post HTTP/1.0\r\nhost: 127.0.0.1\r\n\r\n")?;
        let mut text = String::new();
        s.read_to_string(&mut text)?;
        let body = text.rsplit("\r\n\r\n").next().unwrap_or("");
        body.trim()
            .parse()
            .map_err(|_| io::Error::other(format!("bad answer {text:?}")))
    }
}

fn hardlink_fresh(from: &Path, to: &Path) -> io::Result<()> {
    let _ = fs::remove_file(to);
    fs::hard_link(from, to)
}

/// Runs one case once and checks that it did the job.
fn measure(
    case: Case,
    run: &Run<'_>,
    paths: &Paths,
    cfg: &Config,
    expect_post: u64,
) -> Result<Sample, String> {
    let session = run.dir.join(".openclaw/session.jsonl");
    if run.op == Op::Hydrate {
        // Every client starts from no file: replacing a large one costs
        // some clients an unlink and others a truncate. The sidecars go too:
        // with the previous run's version recorded, a hydrate (the warm-up
        // included) would send if-none-match and get 304, not a full hydrate.
        // The up-to-date case makes its current file itself, untimed.
        for name in [
            "session.jsonl",
            ".session.jsonl.snapshot-version",
            "warmup.jsonl",
            ".warmup.jsonl.snapshot-version",
        ] {
            let _ = fs::remove_file(run.dir.join(".openclaw").join(name));
        }
    }
    let exit = child::run(&mut cases::command(case, run, paths), cfg.limit)
        .map_err(|e| format!("could not start: {e}"))?;
    if !exit.success {
        return Err(exit.reason());
    }
    let mut fsync_ms = None;
    match run.op {
        Op::Hydrate => {
            let got = fs::metadata(&session).map(|m| m.len()).unwrap_or(0);
            if got != run.size {
                return Err(format!("session file holds {got} bytes, not {}", run.size));
            }
            if case.client == Client::Curl {
                let t = Instant::now();
                fs::File::open(&session)
                    .and_then(|f| f.sync_all())
                    .map_err(|e| e.to_string())?;
                fsync_ms = Some(t.elapsed().as_secs_f64() * 1e3);
            }
        }
        Op::Write => {
            let got = Gateway::last_post(run.port).map_err(|e| e.to_string())?;
            if got != expect_post {
                return Err(format!("gateway drained {got} bytes, not {expect_post}"));
            }
        }
    }
    Ok(Sample {
        wall_ms: exit.wall_ms,
        call_ms: cases::call_ms(case, &exit),
        rss_kib: exit.max_rss_kib,
        guest_bytes: exit.field("guest_memory").and_then(|s| s.parse().ok()),
        fsync_ms,
    })
}

fn dirs(work: &Path, op: Op, size: u64, case_index: usize) -> io::Result<PathBuf> {
    let dir = match op {
        // Writes only read: one directory per size serves every client.
        Op::Write => work.join(format!("write/{size}")),
        Op::Hydrate => work.join(format!("hydrate/{case_index}")),
    };
    fs::create_dir_all(dir.join(".openclaw"))?;
    Ok(dir)
}

pub fn run(cfg: &Config, paths: &Paths, log: &mut dyn Write) -> io::Result<Results> {
    let started = Instant::now();
    let snap = paths.work.join("snap");
    let bodies = paths.work.join("body");
    fs::create_dir_all(&snap)?;
    fs::create_dir_all(&bodies)?;
    let mut sizes = cfg.sizes.clone();
    if !sizes.contains(&WARMUP_SIZE) {
        sizes.insert(0, WARMUP_SIZE);
    }
    let mut body_len = HashMap::new();
    for &size in &sizes {
        let s = snap.join(format!("{size}.jsonl"));
        data::write_snapshot(&s, size)?;
        body_len.insert(
            size,
            data::write_envelope(&s, &bodies.join(format!("{size}.json")))?,
        );
    }
    let gateway = Gateway::start(&snap, &sizes)?;
    let mut results = Results {
        outcomes: Vec::new(),
        load: Vec::new(),
        seconds: 0.0,
    };
    for &size in &cfg.sizes {
        results.load.push((
            format!("start of {}", crate::report::size_label(size)),
            loadavg(),
        ));
        for op in [Op::Hydrate, Op::Write] {
            let run_for = |i: usize| -> io::Result<(PathBuf, PathBuf)> {
                let dir = dirs(&paths.work, op, size, i)?;
                let warm = dir.join(".openclaw/warmup.jsonl");
                if op == Op::Write {
                    hardlink_fresh(
                        &snap.join(format!("{size}.jsonl")),
                        &dir.join(".openclaw/session.jsonl"),
                    )?;
                    hardlink_fresh(&snap.join(format!("{WARMUP_SIZE}.jsonl")), &warm)?;
                }
                Ok((dir, bodies.join(format!("{size}.json"))))
            };
            let mut outs: Vec<Outcome> = Vec::new();
            let mut inputs = Vec::new();
            let cases = cfg.cases.iter().filter(|c| c.applies(op));
            for (i, &case) in cases.enumerate() {
                inputs.push(run_for(i)?);
                outs.push(Outcome {
                    size,
                    op,
                    case,
                    samples: Vec::new(),
                    error: None,
                });
            }
            let port = gateway.ports[&size];
            let warm_port = gateway.ports[&WARMUP_SIZE];
            // Round 0 is the untimed probe.
            for round in 0..=cfg.runs {
                for (i, out) in outs.iter_mut().enumerate() {
                    if out.error.is_some() {
                        continue;
                    }
                    let (dir, body) = &inputs[i];
                    let run = Run {
                        op,
                        size,
                        port,
                        warm_port,
                        dir,
                        body,
                    };
                    match measure(out.case, &run, paths, cfg, body_len[&size]) {
                        Ok(s) if round > 0 => out.samples.push(s),
                        Ok(_) => {}
                        Err(e) => {
                            let _ =
                                writeln!(log, "  {} {} {}: {e}", op.name(), size, out.case.label());
                            out.error = Some(e);
                        }
                    }
                }
                let _ = writeln!(
                    log,
                    "{} {} round {round}/{} done ({:.0} s)",
                    op.name(),
                    crate::report::size_label(size),
                    cfg.runs,
                    started.elapsed().as_secs_f64()
                );
            }
            results.outcomes.extend(outs);
        }
        // Hydrated copies are not needed again; free the disk as we go.
        let _ = fs::remove_dir_all(paths.work.join("hydrate"));
    }
    results.load.push(("end".into(), loadavg()));
    drop(gateway);
    results.seconds = started.elapsed().as_secs_f64();
    Ok(results)
}
