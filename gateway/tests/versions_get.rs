//! Versions on GET (issue 14): `etag` is the SHA-256 of the body, POST 200
//! names the same version, `If-None-Match` naming the latest gives a 304
//! that reads no snapshot bytes, anything else the full answer.

#[macro_use]
mod common;

use common::{
    assert_error, expected_etag, header, sha256_base64, status_json, write_body, Scope, TestGateway,
};
use snapshot_gateway::Backend;

both_backends!(
    get_names_the_version_of_its_body,
    post_200_etag_is_what_get_then_serves,
    post_of_a_non_completed_run_names_no_version,
    if_none_match_current_is_304_without_reading_bytes,
    if_none_match_stale_is_200_with_body,
    if_none_match_lists_star_weak_and_malformed,
    if_none_match_with_nothing_stored_is_404,
);

async fn get_names_the_version_of_its_body(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let scope = Scope::default_scope();
    let jsonl = "{\"role\":\"user\",\"text\":\"Grüße 🌍\"}\n";
    assert_eq!(gw.write(&scope, 7, "completed", jsonl).await, 200);
    let response = gw.get(Some(&scope.deployment_token())).await;
    assert_eq!(response.status(), 200);
    let etag = header(&response, "etag").expect("etag");
    let run = header(&response, "x-snapshot-run-id");
    let digest = header(&response, "repr-digest");
    let body = response.bytes().await.expect("body");
    assert_eq!(&body[..], jsonl.as_bytes());
    assert_eq!(etag, expected_etag(&body));
    assert_eq!(run.as_deref(), Some("7"));
    assert_eq!(digest, Some(format!("sha-256=:{}:", sha256_base64(&body))));
}

async fn post_200_etag_is_what_get_then_serves(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let scope = Scope::default_scope();
    let response = gw.write_with(&scope, 3, "turn 3\n", &[]).await;
    let posted = header(&response, "etag").expect("POST 200 has an etag");
    assert_eq!(header(&response, "x-snapshot-run-id").as_deref(), Some("3"));
    // The body is still exactly 7.2.0's.
    let (status, body) = status_json(response).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{body}");
    assert_eq!(posted, expected_etag(b"turn 3\n"));
    let got = gw.get(Some(&scope.deployment_token())).await;
    assert_eq!(header(&got, "etag"), Some(posted));
}

async fn post_of_a_non_completed_run_names_no_version(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let scope = Scope::default_scope();
    let token = scope.run_token(4);
    let response = gw
        .post_json(Some(&token), &write_body("failed", "half\n", 4))
        .await;
    assert_eq!(response.status(), 200);
    // GET never serves it, so it is no version a client could hold.
    assert_eq!(header(&response, "etag"), None);
    assert_eq!(header(&response, "x-snapshot-run-id"), None);
}

async fn if_none_match_current_is_304_without_reading_bytes(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let scope = Scope::default_scope();
    let token = scope.deployment_token();
    assert_eq!(gw.write(&scope, 1, "completed", "v1\n").await, 200);
    assert_eq!(gw.write(&scope, 2, "failed", "v2 failed\n").await, 200);
    let etag = expected_etag(b"v1\n");
    let reads_before = gw.gateway.snapshot_body_reads();
    for _ in 0..3 {
        let response = gw.get_with(&token, &[("if-none-match", &etag)]).await;
        assert_eq!(response.status(), 304);
        assert_eq!(header(&response, "etag"), Some(etag.clone()));
        assert_eq!(header(&response, "x-snapshot-run-id").as_deref(), Some("1"));
        assert!(response.bytes().await.expect("body").is_empty());
    }
    assert_eq!(
        gw.gateway.snapshot_body_reads(),
        reads_before,
        "a 304 reads no snapshot bytes"
    );
    // The counter does count a full answer.
    assert_eq!(gw.get(Some(&token)).await.status(), 200);
    assert_eq!(gw.gateway.snapshot_body_reads(), reads_before + 1);
}

async fn if_none_match_stale_is_200_with_body(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let scope = Scope::default_scope();
    let token = scope.deployment_token();
    assert_eq!(gw.write(&scope, 1, "completed", "v1\n").await, 200);
    assert_eq!(gw.write(&scope, 2, "completed", "v2\n").await, 200);
    let stale = expected_etag(b"v1\n");
    let response = gw.get_with(&token, &[("if-none-match", &stale)]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "etag"), Some(expected_etag(b"v2\n")));
    assert_eq!(header(&response, "x-snapshot-run-id").as_deref(), Some("2"));
    assert_eq!(response.text().await.expect("body"), "v2\n");
}

async fn if_none_match_lists_star_weak_and_malformed(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let scope = Scope::default_scope();
    let token = scope.deployment_token();
    assert_eq!(gw.write(&scope, 1, "completed", "v1\n").await, 200);
    let current = expected_etag(b"v1\n");
    let list = format!("\"sha256-other\", {current}");
    let weak = format!("W/{current}");
    for value in [list.as_str(), weak.as_str(), "*"] {
        let response = gw.get_with(&token, &[("if-none-match", value)]).await;
        assert_eq!(response.status(), 304, "{value}");
    }
    // Two header lines form one list.
    let response = gw
        .get_with(
            &token,
            &[("if-none-match", "\"x\""), ("if-none-match", &current)],
        )
        .await;
    assert_eq!(response.status(), 304);
    // A malformed field is ignored: the full answer.
    for value in ["sha256-unquoted", "\"open"] {
        let response = gw.get_with(&token, &[("if-none-match", value)]).await;
        assert_eq!(response.status(), 200, "{value}");
        assert_eq!(response.text().await.expect("body"), "v1\n");
    }
}

async fn if_none_match_with_nothing_stored_is_404(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let scope = Scope::default_scope();
    let token = scope.deployment_token();
    let etag = expected_etag(b"v1\n");
    for value in [etag.as_str(), "*"] {
        assert_error(gw.get_with(&token, &[("if-none-match", value)]).await, 404).await;
    }
    // Only `completed` runs are versions.
    assert_eq!(gw.write(&scope, 1, "failed", "v1\n").await, 200);
    assert_error(gw.get_with(&token, &[("if-none-match", &etag)]).await, 404).await;
}
