//! Operator limits: a client that stalls in its headers is disconnected, a
//! request that outlives the request timeout gets 408, and over the
//! concurrency cap a request waits for a slot rather than failing.

mod common;

use std::time::Duration;

use common::{Scope, TestGateway};
use snapshot_gateway::{Backend, SNAPSHOT_PATH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Generous bound for "the gateway reacted": far above the 1 s settings.
const PATIENCE: Duration = Duration::from_secs(30);

async fn read_all(stream: &mut TcpStream) -> String {
    let mut seen = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut seen))
        .await
        .expect("the gateway closes the connection")
        .ok();
    String::from_utf8_lossy(&seen).into_owned()
}

/// Headers and the first `sent` bytes of a body declared as 100 bytes.
async fn stalled_post(gw: &TestGateway, scope: &Scope, sent: &str) -> TcpStream {
    let mut stream = TcpStream::connect(gw.gateway.local_addr())
        .await
        .expect("connect");
    let head = format!(
        "POST {SNAPSHOT_PATH} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\n\
         content-type: application/json\r\ncontent-length: 100\r\n\r\n{sent}",
        scope.run_token(1)
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_headers_are_cut_off() {
    let gw = TestGateway::start_configured(Backend::Sqlite, |c| {
        c.with_header_read_timeout(Some(Duration::from_secs(1)))
    })
    .await;
    let mut stream = TcpStream::connect(gw.gateway.local_addr())
        .await
        .expect("connect");
    // Half a request head, then nothing.
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n")
        .await
        .expect("write");
    let answer = read_all(&mut stream).await;
    // hyper closes without a response, or with a 408; never a 200.
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer:?}"
    );
    // The gateway still serves others.
    let ok = gw.get_root("/healthz").await;
    assert_eq!(ok.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_gets_408_after_the_request_timeout() {
    let gw = TestGateway::start_configured(Backend::Sqlite, |c| {
        c.with_request_timeout(Some(Duration::from_secs(1)))
    })
    .await;
    let scope = Scope::default_scope();
    let mut stream = stalled_post(&gw, &scope, "{\"terminalStatus\":").await;
    let answer = read_all(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(answer.contains("request timeout"), "{answer:?}");
    // Nothing was stored.
    assert_eq!(gw.get(Some(&scope.deployment_token())).await.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_concurrency_cap_requests_wait_for_a_slot() {
    let gw = TestGateway::start_configured(Backend::Sqlite, |c| {
        c.with_max_concurrent_requests(Some(1))
            .with_request_timeout(None)
    })
    .await;
    let scope = Scope::default_scope();
    let jsonl = "x".repeat(30);
    let body = common::write_body("completed", &jsonl, 1).to_string();
    assert!(body.len() < 100);
    let padded = format!("{body:<100}");
    // Holds the only slot: its handler waits for the rest of the body.
    let (first, rest) = padded.split_at(10);
    let mut holder = stalled_post(&gw, &scope, first).await;
    // Probes are outside the cap: this answers while the slot is taken.
    let healthz = gw.get_root("/healthz").await;
    assert_eq!(healthz.status(), 200);
    let waiting = {
        let client = gw.client.clone();
        let (url, token) = (gw.url(), scope.deployment_token());
        tokio::spawn(async move { client.get(url).bearer_auth(token).send().await })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !waiting.is_finished(),
        "a second request ran beside the slot holder"
    );
    holder
        .write_all(rest.as_bytes())
        .await
        .expect("finish body");
    let answer = {
        let mut buf = vec![0u8; 1024];
        let n = tokio::time::timeout(PATIENCE, holder.read(&mut buf))
            .await
            .expect("holder answered")
            .expect("read");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    };
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
    let waited = tokio::time::timeout(PATIENCE, waiting)
        .await
        .expect("waiting request served once the slot freed")
        .expect("join")
        .expect("response");
    assert_eq!(waited.status(), 200);
    assert_eq!(waited.text().await.expect("body"), jsonl);
}
