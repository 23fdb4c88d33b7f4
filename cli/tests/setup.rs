//! Exit 4 (set-up) against exit 1 (the call failed) and exit 2 (usage), and
//! tokens read from a file: trimmed, preferred to the environment, never printed.

mod common;

use snapshot_gateway::{mint_token, TokenClaims};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use std::process::Output;
use std::time::Duration;

const SECRET: &str = "setup-secret";
const TTL: Duration = Duration::from_secs(600);
/// Nothing listens there: a call that gets as far as a request fails (exit 1).
const NOWHERE: &str = "http://127.0.0.1:1/lobu";

fn cli<S: AsRef<OsStr>>(args: &[S], env: &[(&str, &str)]) -> Output {
    let mut cmd = common::transcript_snapshot();
    for var in [
        "TRANSCRIPT_SNAPSHOT_GATEWAY_URL",
        "TRANSCRIPT_SNAPSHOT_TOKEN",
        "TRANSCRIPT_SNAPSHOT_RUN_ID",
        "TRANSCRIPT_SNAPSHOT_RUN_TOKEN",
    ] {
        cmd.env_remove(var);
    }
    cmd.args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run the CLI")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_session_path_that_cannot_be_mounted_is_a_set_up_error() {
    let tmp = tempfile::tempdir().unwrap();
    let env = [
        ("TRANSCRIPT_SNAPSHOT_GATEWAY_URL", NOWHERE),
        ("TRANSCRIPT_SNAPSHOT_TOKEN", "tok"),
    ];
    let not_a_file = tmp.path().join("..");
    let mut not_utf8 = tmp.path().as_os_str().to_owned();
    not_utf8.push("/");
    not_utf8.push(OsStr::from_bytes(b"session-\xff.jsonl"));
    for session in [not_a_file.as_os_str(), &not_utf8] {
        let hydrate = cli(
            &[OsStr::new("hydrate"), OsStr::new("--session-file"), session],
            &env,
        );
        let write = cli(
            &[
                OsStr::new("write"),
                OsStr::new("--status"),
                OsStr::new("completed"),
                OsStr::new("--session-file"),
                session,
            ],
            &env,
        );
        for out in [hydrate, write] {
            assert_eq!(out.status.code(), Some(4), "{session:?}: {out:?}");
            assert!(out.stdout.is_empty(), "no outcome is printed: {out:?}");
            assert!(stderr(&out).contains("as the session file"), "{out:?}");
        }
    }
    // A good path on an unreachable gateway gets as far as the call: exit 1.
    let session = tmp.path().join("session.jsonl");
    let session = session.to_str().unwrap();
    let failed = cli(
        &["hydrate", "--session-file", session, "--max-attempts", "1"],
        &env,
    );
    assert_eq!(failed.status.code(), Some(1), "{failed:?}");
    assert!(String::from_utf8_lossy(&failed.stdout).contains("hydrate failed"));
}

#[test]
fn an_unreadable_token_file_is_a_set_up_error_naming_only_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-such-token");
    let missing = missing.to_str().unwrap();
    let env = [("TRANSCRIPT_SNAPSHOT_GATEWAY_URL", NOWHERE)];
    let clear = cli(&["clear", "--token-file", missing], &env);
    let write = cli(
        &[
            "write",
            "--session-file",
            "s.jsonl",
            "--status",
            "completed",
            "--run-id",
            "1",
            "--run-token-file",
            missing,
        ],
        &env,
    );
    for out in [clear, write] {
        assert_eq!(out.status.code(), Some(4), "{out:?}");
        assert!(stderr(&out).contains(missing), "{out:?}");
    }

    // A directory is no token file either; its error names the path, not content.
    let dir = tmp.path().to_str().unwrap();
    let out = cli(&["clear", "--token-file", dir], &env);
    assert_eq!(out.status.code(), Some(4), "{out:?}");
}

#[test]
fn a_token_as_flag_and_file_together_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("token");
    std::fs::write(&file, "tok\n").unwrap();
    let file = file.to_str().unwrap();
    let env = [("TRANSCRIPT_SNAPSHOT_GATEWAY_URL", NOWHERE)];
    let both = cli(&["clear", "--token", "tok", "--token-file", file], &env);
    let run_both = cli(
        &[
            "write",
            "--session-file",
            "s.jsonl",
            "--status",
            "completed",
            "--run-token",
            "tok",
            "--run-token-file",
            file,
        ],
        &env,
    );
    let neither = cli(&["clear"], &env);
    let bad_status = cli(&["write", "--session-file", "s", "--status", "done"], &env);
    for out in [both, run_both, neither, bad_status] {
        assert_eq!(out.status.code(), Some(2), "{out:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_from_files_are_trimmed_preferred_to_the_environment_and_never_printed() {
    let tmp = tempfile::tempdir().unwrap();
    let gw = common::gateway(tmp.path(), SECRET).await;
    let url = gw.base_url();
    let token = mint_token(SECRET, &TokenClaims::deployment("o", "a", "c", TTL)).unwrap();
    let run_token = mint_token(SECRET, &TokenClaims::for_run("o", "a", "c", 3, TTL)).unwrap();
    // As `echo "$TOKEN" > file` leaves them: a newline the gateway must not see.
    let token_file = tmp.path().join("token");
    std::fs::write(&token_file, format!("{token}\n")).unwrap();
    let run_token_file = tmp.path().join("run-token");
    std::fs::write(&run_token_file, format!("{run_token}\r\n")).unwrap();
    let (token_file, run_token_file) = (
        token_file.to_str().unwrap(),
        run_token_file.to_str().unwrap(),
    );
    let session = tmp.path().join("pod/session.jsonl");
    std::fs::create_dir_all(session.parent().unwrap()).unwrap();
    std::fs::write(&session, "{\"turn\":1}\n").unwrap();
    let session = session.to_str().unwrap();
    // A stale token in the environment: the file named on the command line wins.
    let env = [
        ("TRANSCRIPT_SNAPSHOT_GATEWAY_URL", url.as_str()),
        ("TRANSCRIPT_SNAPSHOT_TOKEN", "stale-env-token"),
        ("TRANSCRIPT_SNAPSHOT_RUN_TOKEN", "stale-env-token"),
    ];

    let stored = cli(
        &[
            "write",
            "--session-file",
            session,
            "--status",
            "completed",
            "--run-id",
            "3",
            "--run-token-file",
            run_token_file,
        ],
        &env,
    );
    assert_eq!(stored.status.code(), Some(0), "{stored:?}");
    let hydrated = cli(
        &[
            "hydrate",
            "--session-file",
            session,
            "--token-file",
            token_file,
        ],
        &env,
    );
    assert_eq!(hydrated.status.code(), Some(0), "{hydrated:?}");
    let cleared = cli(&["-v", "clear", "--token-file", token_file], &env);
    assert_eq!(cleared.status.code(), Some(0), "{cleared:?}");
    assert!(String::from_utf8_lossy(&cleared.stdout).contains("1 deleted"));
    // The stale environment token alone is refused: the file was what worked.
    let refused = cli(&["clear", "--max-attempts", "1"], &env);
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");

    for out in [&stored, &hydrated, &cleared, &refused] {
        let text = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
        assert!(
            !text.contains(&token)
                && !text.contains(&run_token)
                && !text.contains("stale-env-token"),
            "a token was printed: {text}"
        );
    }
}
