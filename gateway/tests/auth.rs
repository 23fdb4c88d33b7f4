//! 401 for a missing, malformed, expired or forged token; 400 for a valid
//! token without scope — on all three methods.

#[macro_use]
mod common;

use std::time::Duration;

use common::{assert_error, write_body, Scope, TestGateway, HOUR, SECRET};
use snapshot_gateway::{mint_token, Backend, TokenClaims};

both_backends!(
    missing_token_is_401,
    malformed_header_is_401,
    expired_token_is_401,
    forged_token_is_401,
    token_without_scope_is_400,
);

/// Sends GET, POST and DELETE with `token` and checks each answers `expected`.
async fn assert_all_methods(gw: &TestGateway, token: Option<&str>, expected: u16) {
    assert_error(gw.get(token).await, expected).await;
    assert_error(
        gw.post_json(token, &write_body("completed", "{}\n", 1))
            .await,
        expected,
    )
    .await;
    assert_error(gw.delete(token).await, expected).await;
}

async fn missing_token_is_401(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    assert_all_methods(&gw, None, 401).await;
}

async fn malformed_header_is_401(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let token = Scope::default_scope().run_token(1);
    for header in [
        token.clone(),
        format!("Basic {token}"),
        "Bearer ".into(),
        "Bearer x.y.z".into(),
    ] {
        let response = gw
            .client
            .get(gw.url())
            .header("authorization", header)
            .send()
            .await
            .expect("request");
        assert_error(response, 401).await;
    }
}

async fn expired_token_is_401(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let scope = Scope::default_scope();
    let mut claims = TokenClaims::for_run(&scope.org, &scope.agent, &scope.conversation, 1, HOUR);
    claims.expires_at -= 2 * 3600;
    let token = mint_token(SECRET, &claims).expect("mint");
    assert_all_methods(&gw, Some(&token), 401).await;
}

async fn forged_token_is_401(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let token = Scope::default_scope().token_with("another-secret", Some(1), HOUR);
    assert_all_methods(&gw, Some(&token), 401).await;
    // A valid token with one signature byte changed is just as bad.
    let mut tampered = Scope::default_scope().run_token(1).into_bytes();
    let last = tampered.len() - 2;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ascii");
    assert_all_methods(&gw, Some(&tampered), 401).await;
}

async fn token_without_scope_is_400(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    for scope in [
        Scope::new("", "agent", "conv"),
        Scope::new("org", "", "conv"),
        Scope::new("org", "agent", ""),
    ] {
        let token = scope.token_with(SECRET, Some(1), Duration::from_secs(600));
        assert_all_methods(&gw, Some(&token), 400).await;
    }
}
