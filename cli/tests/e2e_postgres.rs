//! The multi-replica walk on a real PostgreSQL server: two gateways on one
//! database, pods alternating between them, and two writers racing for one run.

use snapshot_gateway::pg_cluster;
use snapshot_gateway::{mint_token, serve, GatewayConfig, TokenClaims};
use std::process::Command;
use std::time::Duration;
use transcript_snapshot_host::{
    default_options, RunBinding, Sandbox, SnapshotHost, TerminalStatus, WriteOutcome,
};

#[test]
fn the_demo_walks_two_pods_across_two_gateways_on_postgres() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let database = rt
        .block_on(pg_cluster::fresh_database())
        .expect("start PostgreSQL");
    let out = Command::new(env!("CARGO_BIN_EXE_transcript-snapshot"))
        .args(["demo", "--replicas", "2"])
        .env("TRANSCRIPT_SNAPSHOT_DEMO_DATABASE", &database)
        .env(
            "TRANSCRIPT_SNAPSHOT_WASM",
            host_tests::build::component_path(),
        )
        .env(
            "TRANSCRIPT_SNAPSHOT_CACHE_DIR",
            host_tests::build::workspace_root().join("target/host-tests-cache"),
        )
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("all 10 steps as expected"), "{text}");
    assert!(text.contains("reference gateways"), "two replicas: {text}");
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
        Some(&host_tests::build::workspace_root().join("target/host-tests-cache")),
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
