//! A session file that changes while `write` streams it. The component reads
//! through one descriptor, so a file unlinked or replaced mid-write is sent
//! as it was opened; a file truncated in place no longer matches the first
//! pass, and the request is abandoned short of its length (stored nowhere).

use host_tests::bindings::{Error, Failure, RunBinding, Stored, TerminalStatus, WriteOutcome};
use host_tests::cases::Reply;
use host_tests::mock_gateway::MockGateway;
use host_tests::{options, Harness, Workspace};
use std::time::Duration;

const SIZE: usize = 8 * 1024 * 1024;
const FILE: &str = "s/session.jsonl";

fn snapshot() -> Vec<u8> {
    b"{\"type\":\"message\",\"text\":\"hello \\\"world\\\"\"}\n"
        .iter()
        .copied()
        .cycle()
        .take(SIZE)
        .collect()
}

/// Starts a write against a gateway that reads the body only after a pause,
/// so the component is mid-stream when `change` runs; returns the outcome.
async fn write_while(change: impl FnOnce(&Workspace)) -> (WriteOutcome, MockGateway) {
    let gw = MockGateway::start(vec![Reply {
        read_delay_ms: 1_500,
        ..Reply::ok("{\"id\":1}")
    }])
    .await;
    let ws = Workspace::new();
    ws.write(FILE, snapshot());
    let mut o = options();
    o.max_write_bytes = Some(2 * SIZE as u64);
    o.max_attempts = Some(1);
    let run = RunBinding {
        run_id: 9,
        token: "run-token-changes".into(),
    };
    let (url, path) = (gw.url.clone(), Workspace::guest(FILE));
    let outcome = std::thread::scope(|s| {
        let call = s.spawn(|| {
            tokio::runtime::Runtime::new()
                .unwrap()
                .block_on(Harness::shared().write(
                    &ws,
                    &url,
                    Some(run),
                    &path,
                    TerminalStatus::Completed,
                    o,
                ))
        });
        std::thread::sleep(Duration::from_millis(600));
        change(&ws);
        call.join().unwrap().unwrap().outcome
    });
    (outcome, gw)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_replaced_mid_write_is_sent_as_it_was_opened() {
    let (outcome, gw) = write_while(|ws| {
        std::fs::remove_file(ws.host(FILE)).unwrap();
        std::fs::write(ws.host(FILE), b"{\"replaced\":true}\n").unwrap();
    })
    .await;
    assert_eq!(
        outcome,
        WriteOutcome::Stored(Stored {
            bytes: SIZE as u64,
            status: 200,
            attempts: 1
        })
    );
    let requests = gw.requests();
    let body: serde_json::Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert!(
        body["snapshotJsonl"].as_str().unwrap().as_bytes() == snapshot(),
        "not the opened file"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_truncated_mid_write_is_abandoned_unstored() {
    let (outcome, gw) = write_while(|ws| {
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(ws.host(FILE))
            .unwrap();
        f.set_len(100).unwrap();
    })
    .await;
    assert_eq!(
        outcome,
        WriteOutcome::Failed(Failure {
            error: Error::FileChanged,
            attempts: 1
        })
    );
    let requests = gw.requests();
    assert_eq!(requests.len(), 1);
    assert!(
        !requests[0].complete,
        "the body must stop short of its content-length"
    );
}
