//! DELETE: `{"deleted": n}`, then `{"deleted": 0}`, and GET is 404 after.

#[macro_use]
mod common;

use common::{status_json, Scope, TestGateway};
use serde_json::json;
use snapshot_gateway::Backend;

both_backends!(delete_is_counted_and_idempotent);

async fn delete_is_counted_and_idempotent(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let scope = Scope::default_scope();
    let other = Scope::new("org-1", "agent-1", "conv-other");
    assert_eq!(gw.write(&scope, 1, "completed", "a\n").await, 200);
    assert_eq!(gw.write(&scope, 2, "failed", "b\n").await, 200);
    assert_eq!(gw.write(&other, 1, "completed", "keep\n").await, 200);

    let token = scope.deployment_token();
    let (status, body) = status_json(gw.delete(Some(&token)).await).await;
    assert_eq!((status, body), (200, json!({"deleted": 2})));
    let (status, body) = status_json(gw.delete(Some(&token)).await).await;
    assert_eq!((status, body), (200, json!({"deleted": 0})));
    assert_eq!(gw.get(Some(&token)).await.status(), 404);

    // Only the scope was cleared; and a cleared run id may be written again.
    let kept = gw.get(Some(&other.deployment_token())).await;
    assert_eq!(kept.text().await.expect("body"), "keep\n");
    assert_eq!(gw.write(&scope, 1, "completed", "again\n").await, 200);
}
