//! 200 `{"id": n}` on insert, 409 on a second write of the same run; every
//! terminal status is stored; concurrent writers of one run get one 200.

#[macro_use]
mod common;

use common::{assert_error, status_json, write_body, Scope, TestGateway};
use snapshot_gateway::Backend;

both_backends!(
    second_write_of_a_run_is_409,
    every_terminal_status_is_stored,
    concurrent_writes_of_a_run_yield_one_200,
);

async fn second_write_of_a_run_is_409(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let scope = Scope::default_scope();
    let token = scope.run_token(5);
    let (status, body) = status_json(
        gw.post_json(Some(&token), &write_body("completed", "{\"a\":1}\n", 5))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["id"].as_i64().is_some_and(|id| id > 0), "{body}");
    assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{body}");

    // A retry, even with another status or content, does not overwrite.
    let retry = write_body("failed", "{\"a\":2}\n", 5);
    assert_error(gw.post_json(Some(&token), &retry).await, 409).await;
    let stored = gw.get(Some(&scope.deployment_token())).await;
    assert_eq!(stored.text().await.expect("body"), "{\"a\":1}\n");
}

async fn every_terminal_status_is_stored(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let scope = Scope::default_scope();
    let mut ids = Vec::new();
    for (run_id, status) in [(1, "failed"), (2, "timeout"), (3, "cancelled")] {
        let token = scope.run_token(run_id);
        let (code, body) = status_json(
            gw.post_json(Some(&token), &write_body(status, "{}\n", run_id))
                .await,
        )
        .await;
        assert_eq!(code, 200, "{status}: {body}");
        ids.push(body["id"].as_i64().expect("id"));
        // Stored: the same run cannot be written again.
        assert_eq!(gw.write(&scope, run_id, "completed", "{}\n").await, 409);
    }
    ids.dedup();
    assert_eq!(ids.len(), 3, "distinct ids");
    // None of them is `completed`, so there is nothing to hydrate.
    assert_eq!(gw.get(Some(&scope.deployment_token())).await.status(), 404);
    // DELETE counts them all.
    let (_, body) = status_json(gw.delete(Some(&scope.deployment_token())).await).await;
    assert_eq!(body, serde_json::json!({"deleted": 3}));
}

async fn concurrent_writes_of_a_run_yield_one_200(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let scope = Scope::default_scope();
    for run_id in 1..=10 {
        let (a, b, c) = tokio::join!(
            gw.write(&scope, run_id, "completed", "a\n"),
            gw.write(&scope, run_id, "completed", "b\n"),
            gw.write(&scope, run_id, "failed", "c\n"),
        );
        let mut statuses = [a, b, c];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409, 409], "run {run_id}");
    }
}
