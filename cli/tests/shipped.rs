//! The binary as a user gets it: copied out of the build tree it runs the
//! component built into it; `--component` still overrides, and a missing file
//! says so (exit 4); `-v` logs one record per call on stderr, never the token.

mod common;

use snapshot_gateway::{mint_token, TokenClaims};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

const SECRET: &str = "shipped-secret";
const TTL: Duration = Duration::from_secs(600);

/// The CLI binary, copied into `dir`: nothing of the build tree beside it.
fn copied_binary(dir: &Path) -> PathBuf {
    let bin = dir.join("transcript-snapshot");
    std::fs::copy(env!("CARGO_BIN_EXE_transcript-snapshot"), &bin).unwrap();
    bin
}

/// Runs `bin` with no component named: neither flag nor environment.
fn run(bin: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(bin)
        .args(args)
        .env_remove("TRANSCRIPT_SNAPSHOT_WASM")
        .env_remove("RUST_LOG")
        // The tests' compiled-component cache: the same bytes as the build.
        .env(
            "TRANSCRIPT_SNAPSHOT_CACHE_DIR",
            host_tests::build::component_cache_dir(),
        )
        .envs(env.iter().copied())
        .current_dir(bin.parent().unwrap())
        .output()
        .expect("run the CLI")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copied_binary_runs_its_built_in_component_and_logs_with_v() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("bin")).unwrap();
    let bin = copied_binary(&tmp.path().join("bin"));
    let gw = common::gateway(tmp.path(), SECRET).await;
    let url = gw.base_url();
    let token = mint_token(SECRET, &TokenClaims::deployment("o", "a", "c", TTL)).unwrap();
    let run_token = mint_token(SECRET, &TokenClaims::for_run("o", "a", "c", 9, TTL)).unwrap();
    let session = tmp.path().join("pod/session.jsonl");
    let session = session.to_str().unwrap();
    let env = [
        ("TRANSCRIPT_SNAPSHOT_GATEWAY_URL", url.as_str()),
        ("TRANSCRIPT_SNAPSHOT_TOKEN", token.as_str()),
    ];

    // Default: the outcome on stdout, nothing on stderr.
    let none = run(&bin, &["hydrate", "--session-file", session], &env);
    assert_eq!(none.status.code(), Some(3), "{none:?}");
    assert!(none.stderr.is_empty(), "{none:?}");

    std::fs::create_dir_all(tmp.path().join("pod")).unwrap();
    std::fs::write(session, "{\"turn\":1}\n").unwrap();
    let write_env = [
        ("TRANSCRIPT_SNAPSHOT_GATEWAY_URL", url.as_str()),
        ("TRANSCRIPT_SNAPSHOT_RUN_ID", "9"),
        ("TRANSCRIPT_SNAPSHOT_RUN_TOKEN", run_token.as_str()),
    ];
    let args = ["-v", "write", "--session-file", session];
    let stored = run(
        &bin,
        &[&args[..], &["--status", "completed"]].concat(),
        &write_env,
    );
    assert_eq!(stored.status.code(), Some(0), "{stored:?}");
    let log = String::from_utf8_lossy(&stored.stderr);
    for field in [
        "INFO",
        "transcript_snapshot",
        "operation=\"write\"",
        "outcome=\"stored\"",
        "bytes=11",
        "attempts=1",
        "status=200",
        "duration_ms=",
    ] {
        assert!(log.contains(field), "{field} not in the log: {log}");
    }
    assert_eq!(log.lines().count(), 1, "one record per call: {log}");

    // A refused token: WARN, the status and the error, and still no token.
    let forged = mint_token(
        "not-the-secret",
        &TokenClaims::deployment("o", "a", "c", TTL),
    )
    .unwrap();
    let wrong = [
        ("TRANSCRIPT_SNAPSHOT_GATEWAY_URL", url.as_str()),
        ("TRANSCRIPT_SNAPSHOT_TOKEN", forged.as_str()),
    ];
    let args = ["--verbose", "clear", "--max-attempts", "1"];
    let refused = run(&bin, &args, &wrong);
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    let log = String::from_utf8_lossy(&refused.stderr);
    for field in ["WARN", "outcome=\"failed\"", "status=401", "error=\""] {
        assert!(log.contains(field), "{field} not in the log: {log}");
    }

    // RUST_LOG alone turns the records on too. Another pod's file: the
    // writer's own holds the stored version already (up to date).
    let other = tmp.path().join("other-pod/session.jsonl");
    let hydrated = run(
        &bin,
        &["hydrate", "--session-file", other.to_str().unwrap()],
        &[&env[..], &[("RUST_LOG", "transcript_snapshot=info")]].concat(),
    );
    assert_eq!(hydrated.status.code(), Some(0), "{hydrated:?}");
    let log = String::from_utf8_lossy(&hydrated.stderr);
    assert!(log.contains("outcome=\"hydrated\""), "{log}");

    for out in [&none, &stored, &refused, &hydrated] {
        let text = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
        assert!(
            !text.contains(&token) && !text.contains(&run_token) && !text.contains(&forged),
            "a token was printed: {text}"
        );
    }
}

#[test]
fn a_missing_component_file_is_a_set_up_error() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = copied_binary(tmp.path());
    let missing = tmp.path().join("nowhere/transcript_snapshot.wasm");
    let by_flag = run(
        &bin,
        &[
            "--component",
            missing.to_str().unwrap(),
            "run-binding",
            "--payload",
            "{}",
        ],
        &[],
    );
    let by_env = run(
        &bin,
        &["run-binding", "--payload", "{}"],
        &[("TRANSCRIPT_SNAPSHOT_WASM", missing.to_str().unwrap())],
    );
    for out in [by_flag, by_env] {
        // A set-up problem (exit 4), not a failed call (exit 1).
        assert_eq!(out.status.code(), Some(4), "{out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("component not found at")
                && err.contains("nowhere/transcript_snapshot.wasm"),
            "{err}"
        );
    }
}
