//! GET: 404 before any snapshot; the latest `completed` run (not a later
//! failed one); bytes identical, with the contract's content-type.

#[macro_use]
mod common;

use common::{assert_error, Scope, TestGateway};
use snapshot_gateway::Backend;

both_backends!(
    nothing_stored_is_404,
    latest_completed_wins_over_later_failed,
    bytes_are_identical_including_non_ascii,
);

async fn nothing_stored_is_404(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let scope = Scope::default_scope();
    assert_error(gw.get(Some(&scope.deployment_token())).await, 404).await;
    // A per-run token reads the same scope.
    assert_error(gw.get(Some(&scope.run_token(3))).await, 404).await;
}

async fn latest_completed_wins_over_later_failed(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let scope = Scope::default_scope();
    // Written out of order: run id, not insertion order, decides.
    assert_eq!(gw.write(&scope, 3, "completed", "run 3\n").await, 200);
    assert_eq!(gw.write(&scope, 1, "completed", "run 1\n").await, 200);
    assert_eq!(gw.write(&scope, 4, "failed", "run 4\n").await, 200);
    assert_eq!(gw.write(&scope, 5, "timeout", "run 5\n").await, 200);
    assert_eq!(gw.write(&scope, 2, "completed", "run 2\n").await, 200);
    let response = gw.get(Some(&scope.deployment_token())).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.expect("body"), "run 3\n");
}

async fn bytes_are_identical_including_non_ascii(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let scope = Scope::default_scope();
    let jsonl = concat!(
        "{\"role\":\"user\",\"text\":\"Grüße, 世界 🌍 — \\\"quoted\\\"\\n\"}\n",
        "{\"role\":\"assistant\",\"text\":\"tab\\tand \\u0000 escaped\",\"emoji\":\"👩‍💻\"}\r\n",
        "   \n",
        "{\"last\":true}"
    );
    assert_eq!(gw.write(&scope, 1, "completed", jsonl).await, 200);
    let response = gw.get(Some(&scope.deployment_token())).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(
        headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/x-ndjson; charset=utf-8")
    );
    assert_eq!(
        headers.get("content-length").and_then(|v| v.to_str().ok()),
        Some(jsonl.len().to_string().as_str())
    );
    assert_eq!(&response.bytes().await.expect("body")[..], jsonl.as_bytes());
}
