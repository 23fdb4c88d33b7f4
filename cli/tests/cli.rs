//! The command-line host, as a shell script would use it: exit codes, output,
//! tokens from the environment, and the demo walk.

mod common;

use serde_json::Value;
use snapshot_gateway::{mint_token, TokenClaims};
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

const TTL: Duration = Duration::from_secs(600);

fn cli(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut cmd = common::transcript_snapshot();
    cmd.args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run the CLI");
    if let Some(input) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("CLI output")
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn deployment_token() -> String {
    mint_token("cli-secret", &TokenClaims::deployment("o", "a", "c", TTL)).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn exit_codes_say_done_nothing_or_failed() {
    let tmp = tempfile::tempdir().unwrap();
    let gw = common::gateway(tmp.path(), "cli-secret").await;
    let url = gw.base_url();
    let token = deployment_token();
    let session = tmp.path().join("pod/.openclaw/session.jsonl");
    let session = session.to_str().unwrap();
    let env = [
        ("TRANSCRIPT_SNAPSHOT_GATEWAY_URL", url.as_str()),
        ("TRANSCRIPT_SNAPSHOT_TOKEN", token.as_str()),
    ];

    let none = cli(&["hydrate", "--session-file", session], &env, None);
    assert_eq!(none.status.code(), Some(3), "{none:?}");
    assert!(String::from_utf8_lossy(&none.stdout).contains("no snapshot"));
    assert!(!Path::new(session).exists());

    std::fs::create_dir_all(Path::new(session).parent().unwrap()).unwrap();
    std::fs::write(session, "{\"turn\":1}\n").unwrap();
    let run_token = mint_token("cli-secret", &TokenClaims::for_run("o", "a", "c", 5, TTL)).unwrap();
    let write_env = [
        ("TRANSCRIPT_SNAPSHOT_GATEWAY_URL", url.as_str()),
        ("TRANSCRIPT_SNAPSHOT_RUN_ID", "5"),
        ("TRANSCRIPT_SNAPSHOT_RUN_TOKEN", run_token.as_str()),
    ];
    let stored = cli(
        &[
            "--json",
            "write",
            "--session-file",
            session,
            "--status",
            "completed",
        ],
        &write_env,
        None,
    );
    assert_eq!(stored.status.code(), Some(0), "{stored:?}");
    assert_eq!(
        json(&stored),
        serde_json::json!({"stored": {"bytes": 11, "status": 200, "attempts": 1}})
    );

    let skipped = cli(
        &[
            "--json",
            "write",
            "--session-file",
            session,
            "--status",
            "failed",
        ],
        &write_env,
        None,
    );
    assert_eq!(skipped.status.code(), Some(3));
    assert_eq!(
        json(&skipped),
        serde_json::json!({"skipped": "not-completed"})
    );

    std::fs::remove_file(session).unwrap();
    let hydrated = cli(
        &["--json", "hydrate", "--session-file", session],
        &env,
        None,
    );
    assert_eq!(hydrated.status.code(), Some(0), "{hydrated:?}");
    assert_eq!(
        json(&hydrated),
        serde_json::json!({"ok": {"hydrated": {"bytes": 11, "attempts": 1}}})
    );
    assert_eq!(std::fs::read_to_string(session).unwrap(), "{\"turn\":1}\n");

    let bad = cli(
        &[
            "--json",
            "hydrate",
            "--session-file",
            session,
            "--gateway-url",
            "ftp://x",
        ],
        &env,
        None,
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(json(&bad)["err"]["error"]["invalid-input"].is_string());
    for out in [&none, &stored, &skipped, &hydrated, &bad] {
        let text = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
        assert!(
            !text.contains(&token) && !text.contains(&run_token),
            "a token was printed"
        );
    }

    let cleared = cli(&["clear"], &env, None);
    assert_eq!(cleared.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&cleared.stdout).contains("1 deleted"));
}

#[tokio::test(flavor = "multi_thread")]
async fn run_binding_prints_shell_exports() {
    let out = cli(
        &["run-binding"],
        &[],
        Some(r#"{"runId": 42, "runJobToken": "it's-a-token", "botId": "b"}"#),
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "export TRANSCRIPT_SNAPSHOT_RUN_ID=42\nexport TRANSCRIPT_SNAPSHOT_RUN_TOKEN='it'\\''s-a-token'\n"
    );
    assert_eq!(
        cli(&["run-binding", "--payload", r#"{"runId": 42}"#], &[], None)
            .status
            .code(),
        Some(3)
    );
    assert_eq!(
        cli(&["run-binding", "--payload", "{oops"], &[], None)
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn the_demo_walks_two_pods_on_sqlite() {
    let out = cli(&["demo"], &[], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("all 15 steps as expected"), "{text}");
    assert!(text.contains("identical"));
}
