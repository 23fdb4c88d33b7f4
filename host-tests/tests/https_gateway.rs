//! The Rust host crate against the reference gateway over HTTPS.
//!
//! wasmtime-wasi-http's default `send_request` (which the host crate's
//! allow-list hook delegates to) builds its rustls client from
//! `webpki_roots::TLS_SERVER_ROOTS` only: no system store, no extra roots,
//! and the host crate's `Sandbox` has no option to add one. So a gateway
//! whose certificate chains to a private CA (here a throwaway test CA) is
//! refused in the TLS handshake, as `transport(tls)`, before any request
//! reaches it. A gateway with a publicly trusted certificate works; a private
//! CA needs an extra-roots option in the host crate (its `send_request` hook
//! building its own rustls config). This test pins today's behaviour, with a
//! plain-HTTP hydrate of the same snapshot as the control.

use std::path::Path;

use pg_cluster::TestCertificates;
use snapshot_gateway::{mint_token, serve, GatewayConfig, TokenClaims};
use transcript_snapshot_host::bindings::{Failure, Gateway, HydrateOutcome, Hydrated};
use transcript_snapshot_host::{Error, Options, Sandbox, SnapshotHost};

const SECRET: &str = "https-gateway-test-secret";
const SNAPSHOT: &str = "{\"role\":\"user\",\"content\":\"over https\"}\n";

fn config(database: &Path) -> GatewayConfig {
    GatewayConfig::new(
        "127.0.0.1:0".parse().expect("addr"),
        database.to_string_lossy(),
        SECRET,
    )
}

fn token(run: Option<i64>) -> String {
    let ttl = std::time::Duration::from_secs(600);
    let mut claims = TokenClaims::deployment("o", "a", "c", ttl);
    claims.run_id = run;
    mint_token(SECRET, &claims).expect("token")
}

fn one_attempt() -> Options {
    Options {
        max_attempts: Some(1),
        ..transcript_snapshot_host::default_options()
    }
}

async fn hydrate(
    host: &SnapshotHost,
    workspace: &Path,
    url: &str,
) -> Result<HydrateOutcome, Failure> {
    let sandbox = Sandbox::new().preopen(workspace, "/workspace");
    let gateway = Gateway {
        url: url.into(),
        token: token(None),
    };
    host.hydrate(&sandbox, &gateway, "/workspace/s.jsonl", one_attempt())
        .await
        .expect("the guest runs")
        .outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hydrate_over_https_with_a_private_ca_is_refused_in_the_handshake() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = dir.path().join("snapshots.db");
    let certs_dir = dir.path().join("certs");
    std::fs::create_dir(&certs_dir).expect("certs dir");
    let certs = TestCertificates::generate(&certs_dir).expect("certificates");
    let host = SnapshotHost::bundled(None).expect("component");

    // Control: the snapshot, stored and hydrated over plain HTTP.
    let plain = serve(config(&database)).await.expect("plain gateway");
    let stored = reqwest_free_post(&plain.snapshot_url()).await;
    assert_eq!(stored, 200);
    let ws = tempfile::tempdir().expect("workspace");
    let outcome = hydrate(&host, ws.path(), &plain.base_url()).await;
    assert_eq!(
        outcome,
        Ok(HydrateOutcome::Hydrated(Hydrated {
            bytes: SNAPSHOT.len() as u64,
            attempts: 1,
        }))
    );
    plain.shutdown().await.expect("shutdown");

    // The same database served over HTTPS with the test CA's certificate.
    let https = serve(config(&database).with_tls(&certs.server_cert, &certs.server_key))
        .await
        .expect("https gateway");
    assert!(https.base_url().starts_with("https://"));
    let ws = tempfile::tempdir().expect("workspace");
    let outcome = hydrate(&host, ws.path(), &https.base_url()).await;
    let Err(Failure {
        error: Error::Transport(transport),
        attempts: 1,
    }) = &outcome
    else {
        panic!("expected a TLS transport failure, got {outcome:?}");
    };
    assert_eq!(
        transport.kind,
        transcript_snapshot_host::bindings::TransportKind::Tls,
        "{transport:?}"
    );
    assert_eq!(https.snapshot_body_reads(), 0, "no request got through");
    assert!(
        std::fs::read_dir(ws.path()).expect("ls").next().is_none(),
        "nothing written to the workspace"
    );
    https.shutdown().await.expect("shutdown");
}

/// POSTs the snapshot for run 1 with a raw HTTP/1.1 request (host-tests has
/// no HTTP client dependency of its own); returns the status code.
async fn reqwest_free_post(url: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").expect("http url");
    let (authority, path) = rest.split_at(rest.find('/').expect("path"));
    let body = serde_json::json!({
        "terminalStatus": "completed",
        "snapshotJsonl": SNAPSHOT,
        "runId": 1,
    })
    .to_string();
    let request = format!(
        "POST {path} HTTP/1.1\r\nhost: {authority}\r\nauthorization: Bearer {}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        token(Some(1)),
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(authority)
        .await
        .expect("connect");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("read");
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}
