//! Every conformance case (`host-tests/cases/*.json`) on wasmtime.

use host_tests::{cases, runner, Harness};
use std::sync::Arc;
use tokio::sync::Semaphore;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_case_passes_on_wasmtime() {
    let harness = Harness::shared();
    let all = cases::load_all(&cases::dir());
    let limit = Arc::new(Semaphore::new(4));
    let mut runs = tokio::task::JoinSet::new();
    // CASE=substring runs only the matching cases.
    let only = std::env::var("CASE").unwrap_or_default();
    for case in all
        .into_iter()
        .filter(|c| c.applies_to("wasmtime") && c.name.contains(&only))
    {
        let limit = limit.clone();
        runs.spawn(async move {
            let _slot = limit.acquire().await.expect("semaphore");
            let problems = runner::run(harness, &case).await;
            (case.name, problems)
        });
    }
    let mut failed = Vec::new();
    let mut passed = 0;
    while let Some(done) = runs.join_next().await {
        let (name, problems) = done.expect("case task");
        if problems.is_empty() {
            passed += 1;
        } else {
            failed.push(format!("{name}:\n  {}", problems.join("\n  ")));
        }
    }
    failed.sort();
    println!("{passed} cases passed on wasmtime");
    assert!(
        failed.is_empty(),
        "{} cases failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
}
