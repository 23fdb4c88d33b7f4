//! 403: the token's run id must equal the body's; a deployment token may not write.

#[macro_use]
mod common;

use common::{assert_error, write_body, Scope, TestGateway};
use snapshot_gateway::Backend;

both_backends!(run_id_mismatch_is_403, deployment_token_cannot_write);

async fn run_id_mismatch_is_403(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let scope = Scope::default_scope();
    let body = write_body("completed", "{}\n", 8);
    assert_error(gw.post_json(Some(&scope.run_token(7)), &body).await, 403).await;
    assert_eq!(gw.get(Some(&scope.deployment_token())).await.status(), 404);
}

async fn deployment_token_cannot_write(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let scope = Scope::default_scope();
    let body = write_body("completed", "{}\n", 1);
    assert_error(
        gw.post_json(Some(&scope.deployment_token()), &body).await,
        403,
    )
    .await;
}
