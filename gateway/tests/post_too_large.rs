//! 413: a snapshot over 4 MiB of UTF-8, and a body over the 32 MiB limit.

#[macro_use]
mod common;

use std::io::{Read, Write};

use common::{assert_error, write_body, Scope, TestGateway};
use snapshot_gateway::validate::{MAX_BODY_BYTES, MAX_SNAPSHOT_BYTES};
use snapshot_gateway::Backend;

both_backends!(
    snapshot_just_over_4_mib_is_413,
    snapshot_of_exactly_4_mib_is_stored,
    body_over_the_http_limit_is_413,
);

async fn snapshot_just_over_4_mib_is_413(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let scope = Scope::default_scope();
    // Two-byte characters: 4 MiB of bytes is only 2 Mi characters.
    let snapshot = format!("{}x", "é".repeat(MAX_SNAPSHOT_BYTES / 2));
    let body = write_body("completed", &snapshot, 1);
    assert_error(gw.post_json(Some(&scope.run_token(1)), &body).await, 413).await;
}

async fn snapshot_of_exactly_4_mib_is_stored(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let scope = Scope::default_scope();
    // Quotes escape to two bytes each: the envelope is ~8 MiB, over axum's
    // default limit, yet the snapshot itself is exactly 4 MiB.
    let snapshot = "\"".repeat(MAX_SNAPSHOT_BYTES);
    assert_eq!(gw.write(&scope, 1, "completed", &snapshot).await, 200);
    let response = gw.get(Some(&scope.deployment_token())).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.bytes().await.expect("body").len(),
        MAX_SNAPSHOT_BYTES
    );
}

async fn body_over_the_http_limit_is_413(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let token = Scope::default_scope().run_token(1);
    let addr = gw.gateway.local_addr();
    let path = format!("{}{}", "", snapshot_gateway::SNAPSHOT_PATH);
    // Raw HTTP: announce an oversize body and send none of it; the gateway
    // must answer from the header alone instead of buffering.
    let response = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).expect("connect");
        let request = format!(
            "POST {path} HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {token}\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n\r\n",
            MAX_BODY_BYTES + 1
        );
        stream.write_all(request.as_bytes()).expect("send");
        let mut buf = [0u8; 1024];
        let n = stream.read(&mut buf).expect("read");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    })
    .await
    .expect("raw client");
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(response.contains("\"error\""), "{response}");
}
