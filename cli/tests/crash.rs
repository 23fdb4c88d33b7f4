//! Crash safety: a host killed (SIGKILL) while a hydrate streams into the
//! temporary file leaves the session file byte-identical, and the next
//! hydrate succeeds and leaves no temporary file behind.

mod common;

use host_tests::cases::{Reply, Then};
use host_tests::mock_gateway::MockGateway;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn reply(body: &str, send_bytes: Option<usize>, then: Then) -> Reply {
    Reply {
        send_bytes,
        then,
        ..Reply::ok(body)
    }
}

fn hydrate(url: &str, session: &Path) -> Command {
    let mut cmd = common::transcript_snapshot();
    cmd.args(["hydrate", "--session-file"])
        .arg(session)
        .args(["--gateway-url", url, "--between-bytes-timeout-ms", "60000"])
        .env("TRANSCRIPT_SNAPSHOT_TOKEN", "crash-test-token")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_mid_hydrate_leaves_the_session_file_intact() {
    let new = "{\"n\":\"new\"}\n".repeat(10_000);
    // First request: half the body, then silence; the host is killed meanwhile.
    let gw = MockGateway::start(vec![
        reply(&new, Some(new.len() / 2), Then::Stall),
        reply(&new, None, Then::Close),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("session.jsonl");
    let temp = dir.path().join(".session.jsonl.hydrate-tmp");
    let old = b"{\"n\":\"old\"}\n".repeat(50);
    std::fs::write(&session, &old).unwrap();

    let mut child = hydrate(&gw.url, &session).spawn().unwrap();
    let start = Instant::now();
    // Wait until the component has streamed bytes into the temporary file.
    while std::fs::metadata(&temp).map_or(0, |m| m.len()) == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no temporary file appeared"
        );
        assert!(child.try_wait().unwrap().is_none(), "the host exited early");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL: no destructor, no cleanup runs
    child.wait().unwrap();
    assert_eq!(
        std::fs::read(&session).unwrap(),
        old,
        "the session file changed"
    );
    assert!(
        temp.exists(),
        "the crash left its temporary file (the next hydrate must clean it)"
    );

    let status = hydrate(&gw.url, &session).status().unwrap();
    assert!(status.success());
    assert_eq!(std::fs::read_to_string(&session).unwrap(), new);
    assert!(!temp.exists(), "the temporary file was left behind");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}
