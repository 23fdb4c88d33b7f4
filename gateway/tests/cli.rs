//! The binary's two commands, and the library entry points another crate uses.

mod common;

use common::process::{binary, GatewayProcess};
use common::{client, write_body, SECRET};
use snapshot_gateway::{mint_token, serve, GatewayConfig, TokenClaims, SNAPSHOT_PATH};

async fn cli_token(extra: &[&str]) -> String {
    let output = binary()
        .args([
            "mint-token",
            "--secret",
            SECRET,
            "--org",
            "o",
            "--agent",
            "a",
            "--conversation",
            "c",
        ])
        .args(extra)
        .output()
        .await
        .expect("run mint-token");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout)
        .expect("utf-8")
        .trim()
        .to_owned();
    assert!(!token.is_empty() && !token.contains(char::is_whitespace));
    token
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_on_a_sqlite_file_with_cli_tokens() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("sub dir").join("gw.db");
    std::fs::create_dir_all(db.parent().expect("parent")).expect("mkdir");
    let db = db.to_string_lossy().into_owned();
    let gw = GatewayProcess::spawn(
        &["--database", &db, "--prefix", "/lobu", "--secret", SECRET],
        &[],
    )
    .await;
    let url = format!("{}/lobu{SNAPSHOT_PATH}", gw.origin);
    let http = client();

    let run = cli_token(&["--run-id", "9", "--ttl-secs", "600"]).await;
    let deployment = cli_token(&[]).await;
    let body = write_body("completed", "cli\n", 9).to_string();
    let posted = http
        .post(&url)
        .bearer_auth(&run)
        .body(body.clone())
        .send()
        .await
        .expect("post");
    assert_eq!(posted.status(), 200);
    let refused = http
        .post(&url)
        .bearer_auth(&deployment)
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), 403);
    let got = http
        .get(&url)
        .bearer_auth(&deployment)
        .send()
        .await
        .expect("get");
    assert_eq!(got.text().await.expect("body"), "cli\n");
    assert!(
        std::path::Path::new(&db).is_file(),
        "SQLite file created at {db}"
    );
    assert!(gw.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_refuses_an_empty_secret_without_echoing_config() {
    let output = binary()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            "sqlite::memory:",
            "--secret",
            "",
        ])
        .env_remove("SNAPSHOT_GATEWAY_SECRET")
        .output()
        .await
        .expect("run serve");
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn library_serves_in_memory_sqlite() {
    let config = GatewayConfig::new(
        "127.0.0.1:0".parse().expect("addr"),
        "sqlite::memory:",
        SECRET,
    )
    .with_prefix("lobu/");
    let gateway = serve(config).await.expect("serve");
    assert!(
        gateway.base_url().ends_with("/lobu"),
        "{}",
        gateway.base_url()
    );
    let ttl = std::time::Duration::from_secs(60);
    let run = mint_token(SECRET, &TokenClaims::for_run("o", "a", "c", 1, ttl)).expect("mint");
    let deployment =
        mint_token(SECRET, &TokenClaims::deployment("o", "a", "c", ttl)).expect("mint");
    let http = client();
    let url = gateway.snapshot_url();
    let body = write_body("completed", "mem\n", 1).to_string();
    let posted = http
        .post(&url)
        .bearer_auth(&run)
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(posted.status(), 200);
    // Several requests in a row: the single in-memory connection persists.
    for _ in 0..3 {
        let got = http
            .get(&url)
            .bearer_auth(&deployment)
            .send()
            .await
            .expect("get");
        assert_eq!(got.text().await.expect("body"), "mem\n");
    }
    gateway.shutdown().await.expect("clean shutdown");
    assert!(http.get(&url).send().await.is_err(), "no longer listening");
}
