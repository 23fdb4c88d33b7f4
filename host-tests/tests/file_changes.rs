//! A session file that changes while `write` streams it. The component reads
//! through one descriptor, so a file unlinked or replaced mid-write is sent
//! as it was opened; a file truncated or rewritten in place (even at the same
//! length, even into bytes that are not UTF-8) no longer matches the first
//! pass, and the request is abandoned short of its length (stored nowhere).
//!
//! The gateway reads nothing of the body for a while, so once it has the
//! request's headers the component is blocked mid-body: the file is large
//! enough (32 MiB) that loopback socket buffers cannot take it all.

use host_tests::bindings::{Error, Failure, RunBinding, Stored, TerminalStatus, WriteOutcome};
use host_tests::cases::Reply;
use host_tests::mock_gateway::MockGateway;
use host_tests::{options, Harness, Workspace};
use std::sync::Arc;
use std::time::Duration;

const SIZE: usize = 32 * 1024 * 1024;
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
/// runs `change` once the request is in flight, and returns the outcome.
async fn write_while(change: impl FnOnce(&Workspace)) -> (WriteOutcome, MockGateway) {
    let gw = MockGateway::start(vec![Reply {
        read_delay_ms: 3_000,
        ..Reply::ok("{\"id\":1}")
    }])
    .await;
    let ws = Arc::new(Workspace::new());
    ws.write(FILE, snapshot());
    let mut o = options();
    o.max_write_bytes = Some(2 * SIZE as u64);
    o.max_attempts = Some(1);
    let run = RunBinding {
        run_id: 9,
        token: "run-token-changes".into(),
    };
    let call = tokio::spawn({
        let (ws, url) = (ws.clone(), gw.url.clone());
        async move {
            Harness::shared()
                .write(
                    &ws,
                    &url,
                    Some(run),
                    &Workspace::guest(FILE),
                    TerminalStatus::Completed,
                    o,
                )
                .await
        }
    });
    assert!(
        gw.wait_for_heads(1, Duration::from_secs(30)).await,
        "the write never reached the gateway"
    );
    change(&ws);
    let outcome = call.await.unwrap().unwrap().outcome;
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

/// The outcome and the gateway's record of a write the file changed under.
async fn assert_abandoned(outcome: WriteOutcome, gw: MockGateway) {
    assert_eq!(
        outcome,
        WriteOutcome::Failed(Failure {
            error: Error::FileChanged,
            attempts: 1
        })
    );
    // The gateway records the request once it stops reading (after its pause).
    let requests = gw.wait_for_requests(1, Duration::from_secs(30)).await;
    assert_eq!(requests.len(), 1);
    assert!(
        !requests[0].complete,
        "the body must stop short of its content-length"
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
    assert_abandoned(outcome, gw).await;
}

/// Overwrites `bytes` in place near the end of the file, so the change lands
/// before the second pass reads it; the length stays the same.
fn rewrite_near_the_end(bytes: &'static [u8]) -> impl FnOnce(&Workspace) {
    move |ws| {
        use std::os::unix::fs::FileExt;
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(ws.host(FILE))
            .unwrap();
        f.write_all_at(bytes, (SIZE - 20) as u64).unwrap();
    }
}

/// Same length, same escaped length: only the fingerprint tells.
#[tokio::test(flavor = "multi_thread")]
async fn a_file_rewritten_in_place_at_the_same_length_is_abandoned_unstored() {
    let (outcome, gw) = write_while(rewrite_near_the_end(b"HELLO")).await;
    assert_abandoned(outcome, gw).await;
}

/// Same length, more to escape: the body would outgrow its content-length;
/// it is abandoned instead, as a change, before a byte too many is sent.
#[tokio::test(flavor = "multi_thread")]
async fn a_file_rewritten_to_need_more_escapes_is_abandoned_unstored() {
    let (outcome, gw) = write_while(rewrite_near_the_end(b"\"\"\"\"\"")).await;
    assert_abandoned(outcome, gw).await;
}

/// The second pass does not validate again: bytes that stopped being UTF-8
/// must not reach the gateway as a complete body either.
#[tokio::test(flavor = "multi_thread")]
async fn a_file_rewritten_into_invalid_utf8_is_abandoned_unstored() {
    let (outcome, gw) = write_while(rewrite_near_the_end(b"\xff\xfe")).await;
    assert_abandoned(outcome, gw).await;
}
