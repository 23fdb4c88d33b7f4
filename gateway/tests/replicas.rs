//! Two gateway processes on one PostgreSQL database behave as one: a write
//! through either is read through the other, and concurrent writers of the
//! same run get exactly one 200 and one 409.

mod common;

use common::process::GatewayProcess;
use common::{client, write_body, Scope, SECRET};
use snapshot_gateway::SNAPSHOT_PATH;

const RACES: i64 = 25;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_one_postgres_database() {
    let database = pg_cluster::fresh_database()
        .await
        .expect("PostgreSQL test cluster");
    let env = [("SNAPSHOT_GATEWAY_SECRET", SECRET)];
    let args = ["--database", database.as_str(), "--prefix", "/lobu"];
    // Started together on an empty database: migrations must not collide.
    let (a, b) = tokio::join!(
        GatewayProcess::spawn(&args, &env),
        GatewayProcess::spawn(&args, &env)
    );
    let url_a = format!("{}/lobu{SNAPSHOT_PATH}", a.origin);
    let url_b = format!("{}/lobu{SNAPSHOT_PATH}", b.origin);
    let http = client();
    let scope = Scope::default_scope();
    let reader = scope.deployment_token();

    // Written through A, read through B.
    let body = write_body("completed", "written via A ✓\n", 1).to_string();
    let response = http
        .post(&url_a)
        .bearer_auth(scope.run_token(1))
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 200);
    let response = http
        .get(&url_b)
        .bearer_auth(&reader)
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.expect("body"), "written via A ✓\n");

    // Races: the same run written through both at once.
    for run_id in 2..=RACES + 1 {
        let token = scope.run_token(run_id);
        let post = |url: &str, text: &str| {
            http.post(url)
                .bearer_auth(&token)
                .body(write_body("completed", text, run_id).to_string())
                .send()
        };
        let (ra, rb) = tokio::join!(post(&url_a, "from A\n"), post(&url_b, "from B\n"));
        let mut statuses = [
            ra.expect("A").status().as_u16(),
            rb.expect("B").status().as_u16(),
        ];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "run {run_id}");
    }

    // Both replicas agree on the latest snapshot, and one DELETE clears it for both.
    let latest_a = http
        .get(&url_a)
        .bearer_auth(&reader)
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    let latest_b = http
        .get(&url_b)
        .bearer_auth(&reader)
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    assert_eq!(latest_a, latest_b);
    assert!(
        latest_a == "from A\n" || latest_a == "from B\n",
        "{latest_a}"
    );
    let deleted = http
        .delete(&url_b)
        .bearer_auth(&reader)
        .send()
        .await
        .expect("delete");
    let deleted: serde_json::Value =
        serde_json::from_slice(&deleted.bytes().await.expect("body")).expect("json");
    assert_eq!(deleted, serde_json::json!({"deleted": RACES + 1}));
    assert_eq!(
        http.get(&url_a)
            .bearer_auth(&reader)
            .send()
            .await
            .expect("get")
            .status(),
        404
    );

    assert!(a.terminate().await.success(), "A exits cleanly on SIGTERM");
    assert!(b.terminate().await.success(), "B exits cleanly on SIGTERM");
}
