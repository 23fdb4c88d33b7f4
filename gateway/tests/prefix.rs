//! The route lives under the configured prefix and nowhere else.

#[macro_use]
mod common;

use common::{assert_error, Scope, TestGateway};
use snapshot_gateway::{Backend, SNAPSHOT_PATH};

both_backends!(prefixed_route_only, unprefixed_route_only);

async fn prefixed_route_only(backend: Backend) {
    let gw = TestGateway::start_with_prefix(backend, "/lobu").await;
    let scope = Scope::default_scope();
    let addr = gw.gateway.local_addr();
    assert_eq!(gw.gateway.base_url(), format!("http://{addr}/lobu"));
    assert_eq!(gw.url(), format!("http://{addr}/lobu{SNAPSHOT_PATH}"));

    assert_eq!(gw.write(&scope, 1, "completed", "x\n").await, 200);
    assert_eq!(gw.get(Some(&scope.deployment_token())).await.status(), 200);

    let token = scope.deployment_token();
    for wrong in [
        format!("http://{addr}{SNAPSHOT_PATH}"),
        format!("http://{addr}/other{SNAPSHOT_PATH}"),
    ] {
        let response = gw
            .client
            .get(wrong)
            .bearer_auth(&token)
            .send()
            .await
            .expect("request");
        assert_error(response, 404).await;
    }
}

async fn unprefixed_route_only(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let addr = gw.gateway.local_addr();
    assert_eq!(gw.url(), format!("http://{addr}{SNAPSHOT_PATH}"));
    let scope = Scope::default_scope();
    assert_eq!(gw.write(&scope, 1, "completed", "x\n").await, 200);
    let token = scope.deployment_token();
    assert_eq!(gw.get(Some(&token)).await.status(), 200);
    let other = format!("http://{addr}/lobu{SNAPSHOT_PATH}");
    assert_error(
        gw.client
            .get(other)
            .bearer_auth(&token)
            .send()
            .await
            .expect("request"),
        404,
    )
    .await;
    // Other methods on the route are refused with a JSON body too.
    assert_error(
        gw.client
            .put(gw.url())
            .bearer_auth(&token)
            .send()
            .await
            .expect("request"),
        405,
    )
    .await;
}
