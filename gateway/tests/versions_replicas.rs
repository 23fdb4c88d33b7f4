//! Two gateway processes on one PostgreSQL database: writers naming the
//! same version through different replicas race, and exactly one stores;
//! a version written through one replica is current (304) on the other.

mod common;

use common::process::GatewayProcess;
use common::{client, expected_etag, write_body, Scope, SECRET};
use snapshot_gateway::SNAPSHOT_PATH;

const ROUNDS: i64 = 15;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn if_match_writers_on_two_replicas_exactly_one_stores() {
    let database = pg_cluster::fresh_database()
        .await
        .expect("PostgreSQL test cluster");
    let env = [("SNAPSHOT_GATEWAY_SECRET", SECRET)];
    let args = ["--database", database.as_str()];
    let (a, b) = tokio::join!(
        GatewayProcess::spawn(&args, &env),
        GatewayProcess::spawn(&args, &env)
    );
    let url_a = format!("{}{SNAPSHOT_PATH}", a.origin);
    let url_b = format!("{}{SNAPSHOT_PATH}", b.origin);
    let http = client();
    let scope = Scope::default_scope();
    let reader = scope.deployment_token();

    let first = http
        .post(&url_a)
        .bearer_auth(scope.run_token(1))
        .body(write_body("completed", "v1\n", 1).to_string())
        .send()
        .await
        .expect("post");
    assert_eq!(first.status(), 200);
    let mut current = expected_etag(b"v1\n");
    // Written through A, current on B.
    let response = http
        .get(&url_b)
        .bearer_auth(&reader)
        .header("if-none-match", &current)
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), 304);

    for round in 0..ROUNDS {
        let (run_a, run_b) = (2 + 2 * round, 3 + 2 * round);
        let post = |url: &str, run: i64| {
            http.post(url)
                .bearer_auth(scope.run_token(run))
                .header("if-match", &current)
                .body(write_body("completed", &format!("run {run}\n"), run).to_string())
                .send()
        };
        let (ra, rb) = tokio::join!(post(&url_a, run_a), post(&url_b, run_b));
        let (sa, sb) = (
            ra.expect("A").status().as_u16(),
            rb.expect("B").status().as_u16(),
        );
        let winner = match (sa, sb) {
            (200, 412) => run_a,
            (412, 200) => run_b,
            other => panic!("round {round}: statuses {other:?}"),
        };
        current = expected_etag(format!("run {winner}\n").as_bytes());
        for url in [&url_a, &url_b] {
            let response = http
                .get(url)
                .bearer_auth(&reader)
                .header("if-none-match", &current)
                .send()
                .await
                .expect("get");
            assert_eq!(response.status(), 304, "round {round}");
        }
    }

    assert!(a.terminate().await.success(), "A exits cleanly on SIGTERM");
    assert!(b.terminate().await.success(), "B exits cleanly on SIGTERM");
}
