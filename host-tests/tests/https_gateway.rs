//! The Rust host crate against the reference gateway over HTTPS, its
//! certificate signed by a throwaway private CA.
//!
//! wasmtime-wasi-http's default sender trusts the webpki (Mozilla) roots
//! only, so without `Sandbox::trust_roots_pem` the handshake is refused as
//! `transport(tls)` before any request reaches the gateway. With the CA
//! trusted, hydrate and write work as over HTTP; a root for another CA is
//! still refused, and the allow-list is still checked first.

use std::path::Path;
use std::sync::OnceLock;

use pg_cluster::TestCertificates;
use snapshot_gateway::{mint_token, serve, GatewayConfig, RunningGateway, TokenClaims};
use transcript_snapshot_host::bindings::{
    Failure, Gateway, HydrateOutcome, Hydrated, Stored, TimeoutKind, TransportKind,
};
use transcript_snapshot_host::{
    Error, Options, RunBinding, Sandbox, SnapshotHost, TerminalStatus, WriteOutcome,
};

const SECRET: &str = "https-gateway-test-secret";
const SNAPSHOT: &str = "{\"role\":\"user\",\"content\":\"over https\"}\n";
const SESSION: &str = "/workspace/s.jsonl";

/// One compiled component for every test in this file.
fn host() -> &'static SnapshotHost {
    static HOST: OnceLock<SnapshotHost> = OnceLock::new();
    HOST.get_or_init(|| SnapshotHost::bundled(None).expect("component"))
}

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

/// A gateway over HTTPS with a certificate from a fresh private CA, its
/// database, and that CA's certificate (PEM).
struct HttpsGateway {
    gateway: RunningGateway,
    ca_pem: Vec<u8>,
    dir: tempfile::TempDir,
}

impl HttpsGateway {
    /// Starts it; with `seeded`, the database first gets [`SNAPSHOT`] for
    /// run 1, stored over plain HTTP so the tests over HTTPS depend on
    /// nothing but the hydrate they make.
    async fn start(seeded: bool) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let database = dir.path().join("snapshots.db");
        let certs = new_ca(dir.path(), "certs");
        if seeded {
            let plain = serve(config(&database)).await.expect("plain gateway");
            assert_eq!(raw_post(&plain.snapshot_url()).await, 200);
            plain.shutdown().await.expect("shutdown");
        }
        let gateway = serve(config(&database).with_tls(&certs.server_cert, &certs.server_key))
            .await
            .expect("https gateway");
        assert!(gateway.base_url().starts_with("https://"));
        let ca_pem = std::fs::read(&certs.ca_cert).expect("CA certificate");
        Self {
            gateway,
            ca_pem,
            dir,
        }
    }

    /// The PEM of a CA that did not sign the gateway's certificate.
    fn other_ca_pem(&self) -> Vec<u8> {
        let other = new_ca(self.dir.path(), "other");
        std::fs::read(other.ca_cert).expect("other CA certificate")
    }

    fn assert_nothing_read(&self) {
        let reads = self.gateway.snapshot_body_reads();
        assert_eq!(reads, 0, "no request got through");
    }

    fn authority(&self) -> String {
        self.gateway.local_addr().to_string()
    }
}

fn new_ca(parent: &Path, name: &str) -> TestCertificates {
    let dir = parent.join(name);
    std::fs::create_dir(&dir).expect("certs dir");
    TestCertificates::generate(&dir).expect("certificates")
}

async fn hydrate(sandbox: &Sandbox, url: &str) -> Result<HydrateOutcome, Failure> {
    hydrate_with(sandbox, url, one_attempt()).await
}

async fn hydrate_with(
    sandbox: &Sandbox,
    url: &str,
    options: Options,
) -> Result<HydrateOutcome, Failure> {
    let gateway = Gateway {
        url: url.into(),
        token: token(None),
    };
    host()
        .hydrate(sandbox, &gateway, SESSION, options)
        .await
        .expect("the guest runs")
        .outcome
}

fn hydrated(bytes: &str) -> Result<HydrateOutcome, Failure> {
    Ok(HydrateOutcome::Hydrated(Hydrated {
        bytes: bytes.len() as u64,
        attempts: 1,
    }))
}

/// Asserts `outcome` is the handshake refusal: one attempt, `transport(tls)`.
fn assert_tls_refused(outcome: &Result<HydrateOutcome, Failure>) {
    let Err(Failure {
        error: Error::Transport(transport),
        attempts: 1,
    }) = outcome
    else {
        panic!("expected a TLS transport failure, got {outcome:?}");
    };
    assert_eq!(transport.kind, TransportKind::Tls, "{transport:?}");
}

/// A hydrate through `sandbox` is refused in the handshake: nothing reaches
/// the gateway, nothing is written.
async fn assert_refused(https: &HttpsGateway, ws: &Path, sandbox: &Sandbox) {
    let outcome = hydrate(sandbox, &https.gateway.base_url()).await;
    assert_tls_refused(&outcome);
    https.assert_nothing_read();
    assert!(is_empty(ws), "nothing written to the workspace");
}

fn is_empty(dir: &Path) -> bool {
    std::fs::read_dir(dir).expect("ls").next().is_none()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hydrate_over_https_trusting_the_private_ca() {
    let https = HttpsGateway::start(true).await;
    let ws = tempfile::tempdir().expect("workspace");
    let sandbox = Sandbox::new()
        .preopen(ws.path(), "/workspace")
        .allow_only([https.authority()])
        .trust_roots_pem(&https.ca_pem)
        .expect("the CA's PEM");

    let outcome = hydrate(&sandbox, &https.gateway.base_url()).await;

    assert_eq!(outcome, hydrated(SNAPSHOT));
    let file = std::fs::read(ws.path().join("s.jsonl")).expect("hydrated file");
    assert_eq!(file, SNAPSHOT.as_bytes());
    https.gateway.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_ca_the_handshake_is_refused_and_nothing_is_sent() {
    let https = HttpsGateway::start(true).await;
    let ws = tempfile::tempdir().expect("workspace");
    let sandbox = Sandbox::new().preopen(ws.path(), "/workspace");

    assert_refused(&https, ws.path(), &sandbox).await;
    https.gateway.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_root_for_another_ca_is_refused_too() {
    let https = HttpsGateway::start(true).await;
    let ws = tempfile::tempdir().expect("workspace");
    let sandbox = Sandbox::new()
        .preopen(ws.path(), "/workspace")
        .trust_roots_pem(https.other_ca_pem())
        .expect("the other CA's PEM");

    assert_refused(&https, ws.path(), &sandbox).await;
    https.gateway.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trusting_a_root_does_not_bypass_the_allow_list() {
    let https = HttpsGateway::start(true).await;
    let ws = tempfile::tempdir().expect("workspace");
    let sandbox = Sandbox::new()
        .preopen(ws.path(), "/workspace")
        .allow_only(["gateway.internal:8443"])
        .trust_roots_pem(&https.ca_pem)
        .expect("the CA's PEM");

    let outcome = hydrate(&sandbox, &https.gateway.base_url()).await;

    let denied = Failure {
        error: Error::Denied,
        attempts: 1,
    };
    assert_eq!(outcome, Err(denied));
    https.assert_nothing_read();
    https.gateway.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_over_https_is_stored_and_read_back() {
    const WRITTEN: &str = "{\"role\":\"assistant\",\"content\":\"written over https\"}\n";
    let https = HttpsGateway::start(false).await;
    let url = https.gateway.base_url();
    let source = tempfile::tempdir().expect("workspace");
    std::fs::write(source.path().join("s.jsonl"), WRITTEN).expect("session file");
    let run = RunBinding {
        run_id: 1,
        token: token(Some(1)),
    };
    let writer = Sandbox::new()
        .preopen_read_only(source.path(), "/workspace")
        .trust_roots_pem(&https.ca_pem)
        .expect("the CA's PEM");

    let written = host()
        .write(
            &writer,
            &url,
            Some(&run),
            SESSION,
            TerminalStatus::Completed,
            one_attempt(),
        )
        .await
        .expect("the guest runs")
        .outcome;

    assert_eq!(
        written,
        WriteOutcome::Stored(Stored {
            bytes: WRITTEN.len() as u64,
            status: 200,
            attempts: 1,
        })
    );
    // The gateway's GET (a hydrate into an empty workspace) returns it.
    let target = tempfile::tempdir().expect("workspace");
    let reader = Sandbox::new()
        .preopen(target.path(), "/workspace")
        .trust_roots_pem(&https.ca_pem)
        .expect("the CA's PEM");
    assert_eq!(hydrate(&reader, &url).await, hydrated(WRITTEN));
    let file = std::fs::read(target.path().join("s.jsonl")).expect("hydrated file");
    assert_eq!(file, WRITTEN.as_bytes());
    https.gateway.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_stalls_the_handshake_times_out_as_connect() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ca_pem = std::fs::read(new_ca(dir.path(), "certs").ca_cert).expect("CA certificate");
    // Accepts the connection, then says nothing: no TLS server hello.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listener");
    let addr = listener.local_addr().expect("addr");
    let silent = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.expect("accept");
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        drop(socket);
    });
    let ws = tempfile::tempdir().expect("workspace");
    let sandbox = Sandbox::new()
        .preopen(ws.path(), "/workspace")
        .trust_roots_pem(&ca_pem)
        .expect("the CA's PEM");
    let options = Options {
        connect_timeout_ms: Some(300),
        ..one_attempt()
    };

    let outcome = hydrate_with(&sandbox, &format!("https://{addr}"), options).await;

    let timed_out = Failure {
        error: Error::Timeout(TimeoutKind::Connect),
        attempts: 1,
    };
    assert_eq!(outcome, Err(timed_out));
    silent.abort();
}

/// POSTs [`SNAPSHOT`] for run 1 with a raw HTTP/1.1 request (host-tests has
/// no HTTP client dependency of its own); returns the status code.
async fn raw_post(url: &str) -> u16 {
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
