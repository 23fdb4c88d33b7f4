//! The binary's logs, in both formats and at RUST_LOG=debug: one access
//! record per request with method, route template, status, sizes, duration
//! and the verified token's scope; never a token or a snapshot's bytes.

mod common;

use common::process::GatewayProcess;
use common::{client, write_body, Scope};
use snapshot_gateway::SNAPSHOT_PATH;

const MARKER: &str = "zebra-quartz-transcript-7f3a91";
const BOGUS_TOKEN: &str = "not.a-real.token-giraffe-55d2";

/// Runs a small session against the binary; returns its stderr.
async fn session_logs(format: &str) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("logs.db");
    let gw = GatewayProcess::spawn(
        &[
            "--database",
            &db.to_string_lossy(),
            "--log-format",
            format,
            "--keep-snapshots",
            "1",
        ],
        &[
            ("SNAPSHOT_GATEWAY_SECRET", common::SECRET),
            ("RUST_LOG", "debug"),
        ],
    )
    .await;
    let url = format!("{}{SNAPSHOT_PATH}", gw.origin);
    let http = client();
    let scope = Scope::default_scope();
    let run_token = scope.run_token(1);
    let reader = scope.deployment_token();
    let jsonl = format!("{{\"role\":\"user\",\"content\":\"{MARKER}\"}}\n");
    let post = || {
        http.post(&url)
            .bearer_auth(&run_token)
            .header("content-type", "application/json")
            .body(write_body("completed", &jsonl, 1).to_string())
            .send()
    };
    assert_eq!(post().await.expect("post").status(), 200);
    assert_eq!(post().await.expect("post").status(), 409);
    let got = http
        .get(&url)
        .bearer_auth(&reader)
        .send()
        .await
        .expect("get");
    assert_eq!(got.text().await.expect("body"), jsonl, "stored as sent");
    let forged = http
        .get(&url)
        .bearer_auth(BOGUS_TOKEN)
        .send()
        .await
        .expect("get");
    assert_eq!(forged.status(), 401);
    let cleared = http
        .delete(&url)
        .bearer_auth(&reader)
        .send()
        .await
        .expect("delete");
    assert_eq!(cleared.status(), 200);
    let healthz = http
        .get(format!("{}/healthz", gw.origin))
        .send()
        .await
        .expect("healthz");
    assert_eq!(healthz.status(), 200);

    let (status, logs) = gw.terminate_with_logs().await;
    assert!(status.success(), "exit {status:?}; logs:\n{logs}");
    for secret in [run_token.as_str(), reader.as_str(), BOGUS_TOKEN, MARKER] {
        assert!(!logs.contains(secret), "logs contain {secret:?}:\n{logs}");
    }
    // Nor any part of a token (the signature alone would do harm).
    for part in run_token.split('.').chain(reader.split('.')) {
        assert!(!logs.contains(part), "logs contain a token part:\n{logs}");
    }
    logs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_access_records_carry_scope_and_never_tokens_or_bytes() {
    let logs = session_logs("json").await;
    let records: Vec<serde_json::Value> = logs
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    let access: Vec<&serde_json::Value> = records
        .iter()
        .filter(|r| r["target"] == "snapshot_gateway::access")
        .collect();
    let statuses: Vec<(String, i64)> = access
        .iter()
        .map(|r| {
            (
                r["method"].as_str().unwrap_or("").to_owned(),
                r["status"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    let expected = [
        ("POST", 200),
        ("POST", 409),
        ("GET", 200),
        ("GET", 401),
        ("DELETE", 200),
        ("GET", 200),
    ];
    assert_eq!(
        statuses,
        expected.map(|(m, s)| (m.to_owned(), s)).to_vec(),
        "one record per request:\n{logs}"
    );
    let stored = access[0];
    assert_eq!(stored["route"], SNAPSHOT_PATH);
    assert_eq!(stored["org"], "org-1");
    assert_eq!(stored["agent"], "agent-1");
    assert_eq!(stored["conversation"], "conv-1");
    assert_eq!(stored["run_id"], 1);
    assert!(stored["bytes_in"].as_u64().expect("bytes_in") > MARKER.len() as u64);
    assert!(stored["bytes_out"].as_u64().expect("bytes_out") > 0);
    assert!(stored["duration_ms"].is_number());
    assert_eq!(stored["level"], "INFO");
    // The forged token verified to nothing: no scope in its record.
    assert!(access[3]["org"].is_null(), "{}", access[3]);
    // Probes are logged at DEBUG only.
    assert_eq!(access[5]["route"], "/healthz");
    assert_eq!(access[5]["level"], "DEBUG");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_access_records_carry_scope_and_never_tokens_or_bytes() {
    let logs = session_logs("text").await;
    let access: Vec<&str> = logs
        .lines()
        .filter(|line| line.contains("snapshot_gateway::access"))
        .collect();
    assert_eq!(access.len(), 6, "one record per request:\n{logs}");
    let stored = access[0];
    for part in [
        "method=POST",
        "status=200",
        SNAPSHOT_PATH,
        "org-1",
        "agent-1",
        "conv-1",
        "run_id=1",
        "bytes_in=",
        "duration_ms=",
    ] {
        assert!(stored.contains(part), "{part} missing from {stored}");
    }
    assert!(access[1].contains("status=409"), "{}", access[1]);
}
