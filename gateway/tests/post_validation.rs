//! POST body rules, in the contract's order: JSON · terminalStatus ·
//! snapshotJsonl · runId (size has its own file).

#[macro_use]
mod common;

use common::{assert_error, write_body, Scope, TestGateway};
use serde_json::json;
use snapshot_gateway::Backend;

both_backends!(
    invalid_json_is_400,
    bad_terminal_status_is_400,
    empty_or_missing_snapshot_is_400,
    invalid_run_id_is_400,
    status_is_checked_before_run_id,
);

async fn invalid_json_is_400(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let token = Scope::default_scope().run_token(1);
    for body in [&b"{not json"[..], b"", b"[1,2]", b"\"text\""] {
        assert_error(gw.post_raw(Some(&token), body.to_vec()).await, 400).await;
    }
}

async fn bad_terminal_status_is_400(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let token = Scope::default_scope().run_token(1);
    for status in [json!("done"), json!("COMPLETED"), json!(null), json!(1)] {
        let body = json!({"terminalStatus": status, "snapshotJsonl": "{}\n", "runId": 1});
        assert_error(gw.post_json(Some(&token), &body).await, 400).await;
    }
    let missing = json!({"snapshotJsonl": "{}\n", "runId": 1});
    assert_error(gw.post_json(Some(&token), &missing).await, 400).await;
}

async fn empty_or_missing_snapshot_is_400(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let token = Scope::default_scope().run_token(1);
    for snapshot in [json!(""), json!(null), json!(42), json!(["{}"])] {
        let body = json!({"terminalStatus": "completed", "snapshotJsonl": snapshot, "runId": 1});
        assert_error(gw.post_json(Some(&token), &body).await, 400).await;
    }
    let missing = json!({"terminalStatus": "completed", "runId": 1});
    assert_error(gw.post_json(Some(&token), &missing).await, 400).await;
}

async fn invalid_run_id_is_400(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let token = Scope::default_scope().run_token(1);
    for run_id in [
        json!(0),
        json!(-1),
        json!(1.5),
        json!("1"),
        json!(null),
        json!(1e300),
    ] {
        let body = json!({"terminalStatus": "completed", "snapshotJsonl": "{}\n", "runId": run_id});
        assert_error(gw.post_json(Some(&token), &body).await, 400).await;
    }
    let missing = json!({"terminalStatus": "completed", "snapshotJsonl": "{}\n"});
    assert_error(gw.post_json(Some(&token), &missing).await, 400).await;
    // Nothing was stored along the way.
    assert_eq!(
        gw.post_json(Some(&token), &write_body("completed", "{}\n", 1))
            .await
            .status(),
        200
    );
}

async fn status_is_checked_before_run_id(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    // Bad status and a run id that does not match the token: 400, not 403.
    let token = Scope::default_scope().run_token(1);
    let body = json!({"terminalStatus": "bogus", "snapshotJsonl": "{}\n", "runId": 2});
    let (status, body) = common::status_json(gw.post_json(Some(&token), &body).await).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]
            .as_str()
            .unwrap_or_default()
            .contains("terminalStatus"),
        "{body}"
    );
}
