//! A snapshot is visible only to its own (org, agent, conversation).

#[macro_use]
mod common;

use common::{Scope, TestGateway};
use snapshot_gateway::Backend;

both_backends!(other_scopes_do_not_see_the_snapshot);

async fn other_scopes_do_not_see_the_snapshot(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let owner = Scope::new("org-1", "agent-1", "conv-1");
    assert_eq!(gw.write(&owner, 1, "completed", "mine\n").await, 200);
    for stranger in [
        Scope::new("org-1", "agent-1", "conv-2"),
        Scope::new("org-1", "agent-2", "conv-1"),
        Scope::new("org-2", "agent-1", "conv-1"),
    ] {
        let token = stranger.deployment_token();
        assert_eq!(gw.get(Some(&token)).await.status(), 404, "{stranger:?}");
        // The same run id in another scope is a different row, not a 409.
        assert_eq!(gw.write(&stranger, 1, "completed", "theirs\n").await, 200);
        assert_eq!(
            gw.get(Some(&token)).await.text().await.expect("body"),
            "theirs\n"
        );
    }
    let mine = gw.get(Some(&owner.deployment_token())).await;
    assert_eq!(mine.text().await.expect("body"), "mine\n");
}
