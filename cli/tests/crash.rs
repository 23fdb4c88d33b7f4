//! Crash safety: a host killed (SIGKILL) while a hydrate streams into its
//! staging file leaves the session file byte-identical, and a later hydrate
//! succeeds and removes the leftover once it is stale (unmodified for longer
//! than the dead call's deadline plus an hour; aged here by hand).

mod common;

use host_tests::cases::{Reply, Then};
use host_tests::mock_gateway::MockGateway;
use std::path::{Path, PathBuf};
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

/// The staging file a hydrate of `session.jsonl` in `dir` is writing, once it holds bytes.
fn staging_file(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(".session.jsonl.hydrate-tmp."))
                && std::fs::metadata(p).is_ok_and(|m| m.len() > 0)
        })
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
    let old = b"{\"n\":\"old\"}\n".repeat(50);
    std::fs::write(&session, &old).unwrap();

    let mut child = hydrate(&gw.url, &session).spawn().unwrap();
    let start = Instant::now();
    // Wait until the component has streamed bytes into its staging file.
    let temp = loop {
        if let Some(temp) = staging_file(dir.path()) {
            break temp;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no temporary file appeared"
        );
        assert!(child.try_wait().unwrap().is_none(), "the host exited early");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    child.kill().unwrap(); // SIGKILL: no destructor, no cleanup runs
    child.wait().unwrap();
    assert_eq!(
        std::fs::read(&session).unwrap(),
        old,
        "the session file changed"
    );
    assert!(
        temp.exists(),
        "the crash left its staging file (a later hydrate must clean it)"
    );
    // As if the crash were two hours ago: past the dead call's deadline (30 s)
    // plus the hour a live call is given.
    std::fs::File::options()
        .write(true)
        .open(&temp)
        .and_then(|f| f.set_modified(std::time::SystemTime::now() - Duration::from_secs(7200)))
        .unwrap();

    let status = hydrate(&gw.url, &session).status().unwrap();
    assert!(status.success());
    assert_eq!(std::fs::read_to_string(&session).unwrap(), new);
    assert!(!temp.exists(), "the temporary file was left behind");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}
