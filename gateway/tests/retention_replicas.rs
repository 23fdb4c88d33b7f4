//! Retention across two gateway processes on one PostgreSQL database:
//! writers racing through both replicas keep exactly the newest N, and a
//! pruned run re-posted through either replica is still 409.

mod common;

use common::process::GatewayProcess;
use common::{client, db_pool, write_body, Scope, SECRET};
use snapshot_gateway::SNAPSHOT_PATH;
use sqlx::Row;

const RUNS: i64 = 30;
const KEEP: i64 = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_prune_to_the_newest_n() {
    let database = pg_cluster::fresh_database()
        .await
        .expect("PostgreSQL test cluster");
    let env = [("SNAPSHOT_GATEWAY_SECRET", SECRET)];
    let args = ["--database", database.as_str(), "--keep-snapshots", "3"];
    let (a, b) = tokio::join!(
        GatewayProcess::spawn(&args, &env),
        GatewayProcess::spawn(&args, &env)
    );
    let urls = [
        format!("{}{SNAPSHOT_PATH}", a.origin),
        format!("{}{SNAPSHOT_PATH}", b.origin),
    ];
    let http = client();
    let scope = Scope::default_scope();
    let post = |run: i64, url: String| {
        let request = http
            .post(url)
            .bearer_auth(scope.run_token(run))
            .body(write_body("completed", &format!("run {run}\n"), run).to_string());
        async move { request.send().await.expect("post").status().as_u16() }
    };
    // Runs alternate between replicas, in a scrambled order, 6 at a time.
    let order: Vec<i64> = (0..RUNS).map(|i| (i * 7) % RUNS + 1).collect();
    for chunk in order.chunks(6) {
        let mut racing = tokio::task::JoinSet::new();
        for &run in chunk {
            racing.spawn(post(run, urls[(run % 2) as usize].clone()));
        }
        while let Some(status) = racing.join_next().await {
            assert_eq!(status.expect("writer"), 200);
        }
    }
    let db = db_pool(&database).await;
    let rows = sqlx::query(
        "SELECT run_id, pruned, snapshot_jsonl FROM agent_transcript_snapshot ORDER BY run_id",
    )
    .fetch_all(&db)
    .await
    .expect("rows");
    assert_eq!(rows.len() as i64, RUNS);
    let kept: Vec<i64> = rows
        .iter()
        .filter(|r| r.get::<i32, _>(1) == 0)
        .map(|r| r.get::<i64, _>(0))
        .collect();
    assert_eq!(kept, ((RUNS - KEEP + 1)..=RUNS).collect::<Vec<_>>());
    for row in &rows {
        let (run, jsonl): (i64, String) = (row.get(0), row.get(2));
        let expected = if run > RUNS - KEEP {
            format!("run {run}\n")
        } else {
            String::new()
        };
        assert_eq!(jsonl, expected, "run {run}");
    }
    // A pruned run, re-posted through the other replica, is still a duplicate.
    assert_eq!(post(1, urls[0].clone()).await, 409);
    assert_eq!(post(1, urls[1].clone()).await, 409);
    let latest = http
        .get(&urls[0])
        .bearer_auth(scope.deployment_token())
        .send()
        .await
        .expect("get");
    assert_eq!(latest.text().await.expect("body"), format!("run {RUNS}\n"));
    assert!(a.terminate().await.success());
    assert!(b.terminate().await.success());
}
