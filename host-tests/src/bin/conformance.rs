//! The conformance suite as a program, for harnesses in other languages.
//!
//! `conformance list` prints every case as a JSON array.
//! `conformance serve NAME DIR` fills DIR with the case's `before` files,
//! starts its scripted gateway and prints `{"gateway": URL, "closed": URL}`;
//! it then reads one line from stdin, the call's outcome in canonical JSON,
//! and prints `{"problems": [...]}` (outcome, files in DIR, requests) and exits.

use host_tests::cases;
use host_tests::mock_gateway::MockGateway;
use host_tests::verdict;
use serde_json::{json, Value};
use std::io::BufRead;
use std::path::Path;
use std::process::ExitCode;

fn list() -> ExitCode {
    let mut all = Vec::new();
    for f in cases::case_files(&cases::dir()) {
        let text = std::fs::read_to_string(&f).expect("read case file");
        let list: Vec<Value> = serde_json::from_str(&text).expect("case file is a JSON array");
        all.extend(list);
    }
    println!("{}", Value::Array(all));
    ExitCode::SUCCESS
}

async fn serve(name: &str, dir: &Path) -> ExitCode {
    let case = cases::find(&cases::dir(), name);
    verdict::prepare(&case, dir);
    let gw = MockGateway::start(case.gateway.clone()).await;
    println!("{}", json!({ "gateway": gw.url, "closed": gw.closed_url }));
    let line = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map(|_| line)
    })
    .await
    .expect("stdin task")
    .unwrap_or_default();
    let problems = match serde_json::from_str::<Value>(&line) {
        Ok(outcome) => {
            let mut p = verdict::check_outcome(&case, &outcome);
            p.extend(verdict::check_after(&case, dir));
            p.extend(verdict::check_requests(&case, &gw.requests()));
            p
        }
        Err(e) => vec![format!("no outcome received ({e}): {line:?}")],
    };
    println!("{}", json!({ "problems": problems }));
    ExitCode::SUCCESS
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["list"] => list(),
        ["serve", name, dir] => serve(name, Path::new(dir)).await,
        _ => {
            eprintln!("usage: conformance list | conformance serve NAME DIR");
            ExitCode::from(2)
        }
    }
}
