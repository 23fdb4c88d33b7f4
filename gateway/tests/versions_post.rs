//! Forks detected on write (issue 14): `If-Match` naming the latest
//! completed version stores; naming another gives 412 naming the latest and
//! stores nothing; a retried run is still the benign 409; 401/400/413/403
//! come first; racing writers naming one version: exactly one stores.

#[macro_use]
mod common;

use common::{assert_error, expected_etag, header, status_json, write_body, Scope, TestGateway};
use snapshot_gateway::Backend;

both_backends!(
    if_match_current_stores,
    if_match_stale_is_412_naming_the_latest_and_stores_nothing,
    if_match_with_nothing_stored_is_412,
    if_match_star_weak_and_lists,
    if_none_match_star_on_post_creates_only,
    retried_run_with_stale_if_match_is_409,
    auth_and_validation_errors_come_before_412,
    racing_if_match_writers_exactly_one_stores,
);

async fn if_match_current_stores(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let scope = Scope::default_scope();
    let first = gw.write_with(&scope, 1, "v1\n", &[]).await;
    let etag = header(&first, "etag").expect("etag");
    let second = gw
        .write_with(&scope, 2, "v2\n", &[("if-match", &etag)])
        .await;
    assert_eq!(header(&second, "etag"), Some(expected_etag(b"v2\n")));
    let (status, body) = status_json(second).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["id"].as_i64().is_some(), "{body}");
    let got = gw.get(Some(&scope.deployment_token())).await;
    assert_eq!(got.text().await.expect("body"), "v2\n");
}

async fn if_match_stale_is_412_naming_the_latest_and_stores_nothing(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let scope = Scope::default_scope();
    assert_eq!(gw.write(&scope, 1, "completed", "v1\n").await, 200);
    assert_eq!(
        gw.write(&scope, 2, "completed", "v2 other pod\n").await,
        200
    );
    let stale = expected_etag(b"v1\n");
    let latest = expected_etag(b"v2 other pod\n");

    let response = gw
        .write_with(&scope, 3, "v3 fork\n", &[("if-match", &stale)])
        .await;
    assert_eq!(header(&response, "etag"), Some(latest.clone()));
    assert_eq!(header(&response, "x-snapshot-run-id").as_deref(), Some("2"));
    let (status, body) = status_json(response).await;
    assert_eq!(status, 412, "{body}");
    assert!(body["error"].is_string(), "{body}");
    assert_eq!(body["latestRunId"], 2, "{body}");
    assert_eq!(body["etag"], latest.as_str(), "{body}");

    // Nothing stored: the latest is unchanged, and run 3 is still free.
    let got = gw.get(Some(&scope.deployment_token())).await;
    assert_eq!(got.text().await.expect("body"), "v2 other pod\n");
    assert_eq!(gw.write(&scope, 3, "completed", "v3\n").await, 200);
}

async fn if_match_with_nothing_stored_is_412(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let scope = Scope::default_scope();
    // A version named where none exists: the conversation was cleared.
    let named = expected_etag(b"v1\n");
    for value in [named.as_str(), "*"] {
        let response = gw
            .write_with(&scope, 1, "v1\n", &[("if-match", value)])
            .await;
        assert_eq!(header(&response, "etag"), None);
        let (status, body) = status_json(response).await;
        assert_eq!(status, 412, "{value}: {body}");
        assert!(body["latestRunId"].is_null(), "{body}");
        assert!(body["etag"].is_null(), "{body}");
    }
    // Non-completed runs are no versions either.
    assert_eq!(gw.write(&scope, 1, "failed", "v1\n").await, 200);
    let response = gw.write_with(&scope, 2, "v2\n", &[("if-match", "*")]).await;
    assert_eq!(response.status(), 412);
    assert_eq!(gw.get(Some(&scope.deployment_token())).await.status(), 404);
}

async fn if_match_star_weak_and_lists(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let scope = Scope::default_scope();
    assert_eq!(gw.write(&scope, 1, "completed", "v1\n").await, 200);
    let v1 = expected_etag(b"v1\n");
    // Strong comparison: a weak tag never matches; garbage never matches.
    let weak = format!("W/{v1}");
    for value in [weak.as_str(), "sha256-unquoted"] {
        let response = gw
            .write_with(&scope, 2, "v2\n", &[("if-match", value)])
            .await;
        assert_eq!(response.status(), 412, "{value}");
    }
    let list = format!("\"sha256-other\", {v1}");
    let response = gw
        .write_with(&scope, 2, "v2\n", &[("if-match", &list)])
        .await;
    assert_eq!(response.status(), 200);
    let response = gw.write_with(&scope, 3, "v3\n", &[("if-match", "*")]).await;
    assert_eq!(response.status(), 200);
}

async fn if_none_match_star_on_post_creates_only(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let scope = Scope::default_scope();
    let first = gw
        .write_with(&scope, 1, "v1\n", &[("if-none-match", "*")])
        .await;
    assert_eq!(first.status(), 200);
    let second = gw
        .write_with(&scope, 2, "v2\n", &[("if-none-match", "*")])
        .await;
    let (status, body) = status_json(second).await;
    assert_eq!(status, 412, "{body}");
    assert_eq!(body["latestRunId"], 1, "{body}");
}

async fn retried_run_with_stale_if_match_is_409(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let scope = Scope::default_scope();
    assert_eq!(gw.write(&scope, 1, "completed", "v1\n").await, 200);
    let v1 = expected_etag(b"v1\n");
    let stored = gw.write_with(&scope, 2, "v2\n", &[("if-match", &v1)]).await;
    assert_eq!(stored.status(), 200);
    // The first attempt's response was lost; the retry names v1, now stale.
    let retry = gw.write_with(&scope, 2, "v2\n", &[("if-match", &v1)]).await;
    assert_eq!(header(&retry, "etag"), None);
    assert_error(retry, 409).await;
}

async fn auth_and_validation_errors_come_before_412(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let scope = Scope::default_scope();
    assert_eq!(gw.write(&scope, 1, "completed", "v1\n").await, 200);
    let stale = [("if-match", "\"sha256-stale\"")];
    let post = |token: Option<String>, body: Vec<u8>| {
        let mut request = gw
            .client
            .post(gw.url())
            .header("content-type", "application/json")
            .header(stale[0].0, stale[0].1)
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let valid = write_body("completed", "v2\n", 2).to_string().into_bytes();
    let cases = [
        (None, valid.clone(), 401),
        (Some(scope.run_token(2)), b"{not json".to_vec(), 400),
        (
            Some(scope.run_token(2)),
            write_body("completed", &"x".repeat(4 * 1024 * 1024 + 1), 2)
                .to_string()
                .into_bytes(),
            413,
        ),
        (Some(scope.run_token(9)), valid.clone(), 403),
        (Some(scope.deployment_token()), valid, 403),
    ];
    for (token, body, expected) in cases {
        assert_error(post(token, body).await.expect("request"), expected).await;
    }
}

async fn racing_if_match_writers_exactly_one_stores(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let scope = Scope::default_scope();
    let mut current = header(&gw.write_with(&scope, 1, "v1\n", &[]).await, "etag").expect("etag");
    let mut next_run = 2;
    for round in 0..5 {
        let runs = [next_run, next_run + 1, next_run + 2, next_run + 3];
        next_run += 4;
        let (gw, scope) = (&gw, &scope);
        let post = |run: i64| {
            let body = format!("run {run}\n");
            let current = current.clone();
            async move {
                let response = gw
                    .write_with(scope, run, &body, &[("if-match", &current)])
                    .await;
                status_json(response).await
            }
        };
        let (a, b, c, d) = tokio::join!(post(runs[0]), post(runs[1]), post(runs[2]), post(runs[3]));
        let mut winners = Vec::new();
        let mut losers = Vec::new();
        for (run, (status, body)) in runs.into_iter().zip([a, b, c, d]) {
            match status {
                200 => winners.push(run),
                412 => losers.push(body),
                other => panic!("round {round}: run {run} got {other}: {body}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: {winners:?}");
        let winner = winners[0];
        let winner_etag = expected_etag(format!("run {winner}\n").as_bytes());
        for body in losers {
            assert_eq!(body["latestRunId"], winner, "round {round}: {body}");
            assert_eq!(body["etag"], winner_etag.as_str(), "round {round}: {body}");
        }
        let got = gw.get(Some(&scope.deployment_token())).await;
        assert_eq!(header(&got, "etag"), Some(winner_etag.clone()));
        current = winner_etag;
    }
}
