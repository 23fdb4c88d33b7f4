//! Retention (`keep_snapshots`): older snapshots lose their bytes in the
//! write's transaction, but keep their row, so a late retry of a pruned run
//! is still 409 and the newest completed snapshot is always the one served.

#[macro_use]
mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::{Scope, TestGateway};
use snapshot_gateway::Backend;
use sqlx::Row;

/// (run_id, status, pruned, byte length) of every row of the scope, by run.
async fn rows(gw: &TestGateway) -> Vec<(i64, String, bool, usize)> {
    let db = gw.db().await;
    let rows = sqlx::query(
        "SELECT run_id, terminal_status, pruned, snapshot_jsonl FROM agent_transcript_snapshot \
         ORDER BY run_id",
    )
    .fetch_all(&db)
    .await
    .expect("rows");
    db.close().await;
    rows.iter()
        .map(|row| {
            let pruned: i32 = row.get(2);
            let jsonl: String = row.get(3);
            (row.get(0), row.get(1), pruned != 0, jsonl.len())
        })
        .collect()
}

fn body(run: i64) -> String {
    format!("{{\"run\":{run}}}\n")
}

async fn keeps_the_newest_n_and_refuses_pruned_runs(backend: Backend) {
    let gw = TestGateway::start_configured(backend, |c| c.with_keep_snapshots(3)).await;
    let scope = Scope::default_scope();
    for run in 1..=5 {
        assert_eq!(gw.write(&scope, run, "completed", &body(run)).await, 200);
    }
    let kept: Vec<_> = rows(&gw)
        .await
        .into_iter()
        .map(|r| (r.0, r.2, r.3))
        .collect();
    let len = body(1).len();
    assert_eq!(
        kept,
        vec![
            (1, true, 0),
            (2, true, 0),
            (3, false, len),
            (4, false, len),
            (5, false, len)
        ]
    );
    // A late retry of a pruned run is the same 409 as before pruning, and it
    // cannot become the latest.
    assert_eq!(gw.write(&scope, 1, "completed", "late retry\n").await, 409);
    let got = gw.get(Some(&scope.deployment_token())).await;
    assert_eq!(got.status(), 200);
    assert_eq!(got.text().await.expect("body"), body(5));
    assert_eq!(rows(&gw).await.len(), 5, "no row added by the retry");
    // Other conversations are untouched.
    let other = Scope::new("org-1", "agent-1", "conv-2");
    assert_eq!(gw.write(&other, 1, "completed", &body(1)).await, 200);
    assert_eq!(rows(&gw).await.iter().filter(|r| !r.2).count(), 4);
}

async fn failed_runs_are_kept_only_while_newer_than_the_newest_completed(backend: Backend) {
    let gw = TestGateway::start_configured(backend, |c| c.with_keep_snapshots(2)).await;
    let scope = Scope::default_scope();
    assert_eq!(gw.write(&scope, 1, "completed", &body(1)).await, 200);
    assert_eq!(gw.write(&scope, 2, "failed", &body(2)).await, 200);
    assert_eq!(gw.write(&scope, 3, "timeout", &body(3)).await, 200);
    assert_eq!(gw.write(&scope, 4, "cancelled", &body(4)).await, 200);
    // No newer completed run: the two newest non-completed ones are kept.
    let pruned: Vec<_> = rows(&gw).await.into_iter().map(|r| (r.0, r.2)).collect();
    assert_eq!(pruned, vec![(1, false), (2, true), (3, false), (4, false)]);
    assert_eq!(gw.write(&scope, 5, "completed", &body(5)).await, 200);
    // Now every non-completed run is older than the newest completed one.
    let pruned: Vec<_> = rows(&gw).await.into_iter().map(|r| (r.0, r.2)).collect();
    assert_eq!(
        pruned,
        vec![(1, false), (2, true), (3, true), (4, true), (5, false)]
    );
    let got = gw.get(Some(&scope.deployment_token())).await;
    assert_eq!(got.text().await.expect("body"), body(5));
}

async fn zero_keeps_everything(backend: Backend) {
    let gw = TestGateway::start_configured(backend, |c| c.with_keep_snapshots(0)).await;
    let scope = Scope::default_scope();
    for run in 1..=6 {
        assert_eq!(gw.write(&scope, run, "completed", &body(run)).await, 200);
    }
    assert!(rows(&gw).await.iter().all(|r| !r.2 && r.3 > 0));
}

const RUNS: i64 = 40;
const KEEP: u32 = 3;

/// Writers race with run ids in a scrambled order while a reader polls:
/// the reader never sees the latest go backwards or vanish, and at the end
/// exactly the newest `KEEP` completed runs hold their bytes.
async fn racing_writers_lose_nothing_among_the_newest(backend: Backend) {
    let gw =
        Arc::new(TestGateway::start_configured(backend, |c| c.with_keep_snapshots(KEEP)).await);
    let scope = Scope::default_scope();
    // 7 is coprime with 40: a permutation of 1..=40 that jumps around.
    let order: Vec<i64> = (0..RUNS).map(|i| (i * 7) % RUNS + 1).collect();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (gw, scope, stop) = (gw.clone(), scope.clone(), stop.clone());
        tokio::spawn(async move {
            let token = scope.deployment_token();
            let mut newest_seen = 0i64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let got = gw.get(Some(&token)).await;
                let status = got.status().as_u16();
                if newest_seen > 0 {
                    assert_eq!(status, 200, "latest vanished after run {newest_seen}");
                }
                if status == 200 {
                    let run: serde_json::Value =
                        serde_json::from_str(got.text().await.expect("body").trim()).expect("json");
                    let run = run["run"].as_i64().expect("run");
                    assert!(
                        run >= newest_seen,
                        "latest went back from {newest_seen} to {run}"
                    );
                    newest_seen = run;
                }
            }
            newest_seen
        })
    };
    let mut writers = Vec::new();
    for chunk in order.chunks(8) {
        for &run in chunk {
            let (gw, scope) = (gw.clone(), scope.clone());
            writers.push(tokio::spawn(async move {
                gw.write(&scope, run, "completed", &body(run)).await
            }));
        }
    }
    for writer in writers {
        assert_eq!(writer.await.expect("writer"), 200);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let newest_seen = reader.await.expect("reader never failed");
    assert!(newest_seen <= RUNS);
    let latest = gw.get(Some(&scope.deployment_token())).await;
    assert_eq!(latest.text().await.expect("body"), body(RUNS));

    let all = rows(&gw).await;
    assert_eq!(all.len() as i64, RUNS, "every run keeps its row");
    let kept: BTreeSet<i64> = all.iter().filter(|r| !r.2).map(|r| r.0).collect();
    let newest: BTreeSet<i64> = (RUNS - i64::from(KEEP) + 1..=RUNS).collect();
    assert_eq!(kept, newest);
    assert!(all.iter().filter(|r| !r.2).all(|r| r.3 == body(r.0).len()));
    // Every run, pruned or not, is still a duplicate.
    for run in 1..=RUNS {
        assert_eq!(
            gw.write(&scope, run, "completed", "again\n").await,
            409,
            "run {run}"
        );
    }
}

both_backends!(
    keeps_the_newest_n_and_refuses_pruned_runs,
    failed_runs_are_kept_only_while_newer_than_the_newest_completed,
    zero_keeps_everything,
    racing_writers_lose_nothing_among_the_newest,
);
