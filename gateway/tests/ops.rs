//! `/healthz`, `/readyz` and `/metrics`: at the root (outside the prefix),
//! without a token, and `/metrics` counting what happened.

#[macro_use]
mod common;

use common::{header, status_json, Scope, TestGateway};
use snapshot_gateway::Backend;

async fn health_and_readiness_need_no_token_and_ignore_the_prefix(backend: Backend) {
    let gw = TestGateway::start_with_prefix(backend, "/lobu").await;
    let healthz = gw.get_root("/healthz").await;
    assert_eq!(healthz.status(), 200);
    assert_eq!(status_json(healthz).await.1["status"], "ok");
    let readyz = gw.get_root("/readyz").await;
    assert_eq!(readyz.status(), 200);
    assert_eq!(status_json(readyz).await.1["status"], "ready");
    // Not under the prefix: that path stays the contract's 404.
    let prefixed = gw.get_root("/lobu/healthz").await;
    assert_eq!(prefixed.status(), 404);

    // A database missing the newest migration is not ready.
    let db = gw.db().await;
    let newest: i64 = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
        .fetch_one(&db)
        .await
        .expect("migrations");
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = $1")
        .bind(newest)
        .execute(&db)
        .await
        .expect("forget a migration");
    let readyz = gw.get_root("/readyz").await;
    assert_eq!(readyz.status(), 503);
    let body = status_json(readyz).await.1;
    assert_eq!(body["status"], "unavailable");
    assert!(
        body["reason"]
            .as_str()
            .expect("reason")
            .contains("migration"),
        "{body}"
    );
    // Still alive, though.
    let healthz = gw.get_root("/healthz").await;
    assert_eq!(healthz.status(), 200);
}

/// `name{labels} value` lines of a scrape.
fn sample(scrape: &str, series: &str) -> Option<f64> {
    scrape.lines().find_map(|line| {
        let (name, value) = line.rsplit_once(' ')?;
        (name == series).then(|| value.parse().ok()).flatten()
    })
}

const ROUTE: &str = "/worker/transcript/snapshot";

fn requests(method: &str, route: &str, status: u16) -> String {
    format!(
        "snapshot_gateway_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}}"
    )
}

async fn metrics_count_requests_bytes_and_stored_snapshots(backend: Backend) {
    let gw = TestGateway::start_configured(backend, |c| c.with_keep_snapshots(2)).await;
    let scope = Scope::default_scope();
    let first = "{\"n\":1}\n";
    assert_eq!(gw.write(&scope, 1, "completed", first).await, 200);
    assert_eq!(gw.write(&scope, 1, "completed", first).await, 409);
    let reader = scope.deployment_token();
    let got = gw.get(Some(&reader)).await;
    assert_eq!(got.status(), 200);
    let etag = header(&got, "etag").expect("etag");
    let not_modified = gw.get_with(&reader, &[("if-none-match", &etag)]).await;
    assert_eq!(not_modified.status(), 304);
    let stale = gw
        .write_with(&scope, 2, "x\n", &[("if-match", "\"sha256-AAAA\"")])
        .await;
    assert_eq!(stale.status(), 412);
    assert_eq!(gw.get(None).await.status(), 401);
    gw.get_root("/nope").await;
    for run in 2..=4 {
        assert_eq!(gw.write(&scope, run, "completed", "abc\n").await, 200);
    }

    let scrape = gw.get_root("/metrics").await;
    assert_eq!(scrape.status(), 200);
    assert!(header(&scrape, "content-type")
        .expect("type")
        .starts_with("text/plain; version=0.0.4"));
    let text = scrape.text().await.expect("text");
    let count =
        |series: &str| sample(&text, series).unwrap_or_else(|| panic!("{series} in\n{text}"));
    assert_eq!(count(&requests("POST", ROUTE, 200)), 4.0);
    assert_eq!(count(&requests("POST", ROUTE, 409)), 1.0);
    assert_eq!(count(&requests("POST", ROUTE, 412)), 1.0);
    assert_eq!(count(&requests("GET", ROUTE, 200)), 1.0);
    assert_eq!(count(&requests("GET", ROUTE, 304)), 1.0);
    assert_eq!(count(&requests("GET", ROUTE, 401)), 1.0);
    assert_eq!(count(&requests("GET", "unmatched", 404)), 1.0);
    let bucket = format!(
        "snapshot_gateway_http_request_duration_seconds_count{{method=\"POST\",route=\"{ROUTE}\"}}"
    );
    assert_eq!(count(&bucket), 6.0);
    assert_eq!(
        count("snapshot_gateway_snapshot_bytes_written_total"),
        (first.len() + 3 * 4) as f64
    );
    assert_eq!(
        count("snapshot_gateway_snapshot_bytes_read_total"),
        first.len() as f64
    );
    // keep 2: runs 3 and 4 hold bytes; 1 and 2 were pruned.
    assert_eq!(count("snapshot_gateway_stored_snapshots"), 2.0);
    assert_eq!(count("snapshot_gateway_stored_snapshot_bytes"), 8.0);
    assert_eq!(count("snapshot_gateway_snapshots_pruned_total"), 2.0);
    assert_eq!(count("snapshot_gateway_database_up"), 1.0);

    assert_eq!(gw.delete(Some(&reader)).await.status(), 200);
    let text = gw.get_root("/metrics").await.text().await.expect("text");
    assert_eq!(
        sample(&text, "snapshot_gateway_stored_snapshots"),
        Some(0.0)
    );
    assert_eq!(sample(&text, &requests("GET", "/metrics", 200)), Some(1.0));
}

both_backends!(
    health_and_readiness_need_no_token_and_ignore_the_prefix,
    metrics_count_requests_bytes_and_stored_snapshots,
);
