//! The multi-replica walk on a real PostgreSQL server: two gateways on one
//! database, pods alternating between them, and two writers racing for one run.

mod common;

use snapshot_gateway::{mint_token, serve, GatewayConfig, TokenClaims};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use transcript_snapshot_host::{
    default_options, RunBinding, Sandbox, SnapshotHost, TerminalStatus, WriteOutcome,
};

/// A gateway process; killed when dropped.
struct GatewayProcess(Child, String);

impl GatewayProcess {
    fn start(database: &str, secret: &str) -> Self {
        let mut child = Command::new(host_tests::build::gateway_binary())
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--prefix",
                "/lobu",
                "--database",
                database,
            ])
            .env("SNAPSHOT_GATEWAY_SECRET", secret)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start a gateway process");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening ")
            .expect("listening line")
            .to_string();
        GatewayProcess(child, format!("{addr}/lobu"))
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_walk_crosses_two_gateway_processes_on_postgres() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let database = rt
        .block_on(pg_cluster::fresh_database())
        .expect("start PostgreSQL");
    let secret = "e2e-two-processes";
    let (a, b) = (
        GatewayProcess::start(&database, secret),
        GatewayProcess::start(&database, secret),
    );
    let out = common::transcript_snapshot()
        .args(["demo", "--gateway-url", &a.1, "--gateway-url", &b.1])
        .env("SNAPSHOT_GATEWAY_SECRET", secret)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("all 15 steps as expected"), "{text}");
    assert!(
        text.contains(&a.1) && text.contains(&b.1),
        "both gateways used: {text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_writers_racing_for_one_run_store_it_exactly_once() {
    let database = pg_cluster::fresh_database()
        .await
        .expect("start PostgreSQL");
    let replica = || {
        serve(GatewayConfig::new(
            "127.0.0.1:0".parse().unwrap(),
            database.clone(),
            "race-secret",
        ))
    };
    let (a, b) = (replica().await.unwrap(), replica().await.unwrap());
    let (url_a, url_b) = (a.base_url(), b.base_url());
    let host = SnapshotHost::load(
        host_tests::build::component_path(),
        Some(&host_tests::build::component_cache_dir()),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("session.jsonl"), "{\"race\":true}\n").unwrap();
    let sandbox = Sandbox::new().preopen_read_only(dir.path(), "/w");
    for round in 0..5 {
        // A fresh run id per round: both writers target the same run.
        let run = RunBinding {
            run_id: 77 + round,
            token: mint_token(
                "race-secret",
                &TokenClaims::for_run("o", "a", "c", (77 + round) as i64, Duration::from_secs(600)),
            )
            .unwrap(),
        };
        let (x, y) = tokio::join!(
            host.write(
                &sandbox,
                &url_a,
                Some(&run),
                "/w/session.jsonl",
                TerminalStatus::Completed,
                default_options()
            ),
            host.write(
                &sandbox,
                &url_b,
                Some(&run),
                "/w/session.jsonl",
                TerminalStatus::Completed,
                default_options()
            ),
        );
        let outcomes = [x.unwrap().outcome, y.unwrap().outcome];
        let stored = outcomes
            .iter()
            .filter(|o| matches!(o, WriteOutcome::Stored(_)))
            .count();
        let duplicate = outcomes
            .iter()
            .filter(|o| matches!(o, WriteOutcome::Duplicate(_)))
            .count();
        assert_eq!((stored, duplicate), (1, 1), "round {round}: {outcomes:?}");
    }
}
