//! Snapshot versions through the command line, against the reference
//! gateway: a second hydrate is up to date (exit 0, nothing downloaded, file
//! untouched), a forked write is diverged (exit 5, nothing stored), and
//! `--no-validators` sends no precondition.

mod common;

use serde_json::{json, Value};
use snapshot_gateway::{mint_token, RunningGateway, TokenClaims};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, SystemTime};

const SECRET: &str = "versions-secret";
const TTL: Duration = Duration::from_secs(600);

/// One pod's view: the gateway, a deployment token and a session file in a
/// directory of its own.
struct Pod {
    url: String,
    token: String,
    session: PathBuf,
}

impl Pod {
    fn new(gw: &RunningGateway, dir: &Path, name: &str) -> Self {
        let claims = TokenClaims::deployment("o", "a", "c", TTL);
        Pod {
            url: gw.base_url(),
            token: mint_token(SECRET, &claims).unwrap(),
            session: dir.join(name).join("session.jsonl"),
        }
    }

    fn run(&self, args: &[&str], run: Option<u64>) -> Output {
        let mut cmd = common::transcript_snapshot();
        cmd.env("TRANSCRIPT_SNAPSHOT_GATEWAY_URL", &self.url)
            .env("TRANSCRIPT_SNAPSHOT_TOKEN", &self.token)
            .env_remove("TRANSCRIPT_SNAPSHOT_RUN_ID")
            .env_remove("TRANSCRIPT_SNAPSHOT_RUN_TOKEN");
        let mut run_token = String::new();
        if let Some(run) = run {
            let claims = TokenClaims::for_run("o", "a", "c", run as i64, TTL);
            run_token = mint_token(SECRET, &claims).unwrap();
            cmd.env("TRANSCRIPT_SNAPSHOT_RUN_ID", run.to_string())
                .env("TRANSCRIPT_SNAPSHOT_RUN_TOKEN", &run_token);
        }
        let out = cmd
            .args(args)
            .args(["--session-file".as_ref(), self.session.as_os_str()])
            .output()
            .expect("run the CLI");
        let text = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
        assert!(!text.contains(&self.token), "the token was printed");
        assert!(
            run_token.is_empty() || !text.contains(&run_token),
            "the run token was printed"
        );
        out
    }

    fn hydrate(&self, extra: &[&str]) -> Output {
        self.run(&[&["--json", "hydrate"], extra].concat(), None)
    }

    fn write(&self, run: u64, extra: &[&str]) -> Output {
        let args = [&["--json", "write", "--status", "completed"], extra].concat();
        self.run(&args, Some(run))
    }

    fn append(&self, line: &str) {
        use std::io::Write;
        std::fs::create_dir_all(self.session.parent().unwrap()).unwrap();
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.session)
            .unwrap();
        writeln!(f, "{line}").unwrap();
    }

    fn bytes(&self) -> Vec<u8> {
        std::fs::read(&self.session).unwrap()
    }

    fn modified(&self) -> SystemTime {
        std::fs::metadata(&self.session)
            .unwrap()
            .modified()
            .unwrap()
    }
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_hydrate_is_up_to_date_and_downloads_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let gw = common::gateway(tmp.path(), SECRET).await;
    let writer = Pod::new(&gw, tmp.path(), "writer");
    writer.append(r#"{"turn":1}"#);
    assert_eq!(writer.write(1, &[]).status.code(), Some(0));

    let pod = Pod::new(&gw, tmp.path(), "pod");
    let first = pod.hydrate(&[]);
    assert_eq!(first.status.code(), Some(0), "{first:?}");
    assert_eq!(pod.bytes(), writer.bytes());
    let (bytes, modified) = (pod.bytes(), pod.modified());
    let downloads = gw.snapshot_body_reads();

    let second = pod.run(&["hydrate"], None);
    assert_eq!(second.status.code(), Some(0), "{second:?}");
    assert!(
        String::from_utf8_lossy(&second.stdout).contains("already holds the latest snapshot"),
        "{second:?}"
    );
    let as_json = pod.hydrate(&[]);
    assert_eq!(as_json.status.code(), Some(0), "{as_json:?}");
    assert_eq!(json_of(&as_json), json!({"ok": {"up-to-date": 1}}));
    assert_eq!(gw.snapshot_body_reads(), downloads, "nothing downloaded");
    assert_eq!((pod.bytes(), pod.modified()), (bytes.clone(), modified));

    // Without validators the snapshot is downloaded again.
    let again = pod.hydrate(&["--no-validators"]);
    assert_eq!(again.status.code(), Some(0), "{again:?}");
    assert_eq!(
        json_of(&again),
        json!({"ok": {"hydrated": {"bytes": bytes.len(), "attempts": 1}}})
    );
    assert!(gw.snapshot_body_reads() > downloads);
    assert_eq!(pod.bytes(), bytes);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forked_write_is_diverged_and_no_validators_stores_it() {
    let tmp = tempfile::tempdir().unwrap();
    let gw = common::gateway(tmp.path(), SECRET).await;
    let seed = Pod::new(&gw, tmp.path(), "seed");
    seed.append(r#"{"turn":1}"#);
    assert_eq!(seed.write(1, &[]).status.code(), Some(0));

    // Both pods hold run 1's version, then each continues on its own.
    let (a, b) = (
        Pod::new(&gw, tmp.path(), "a"),
        Pod::new(&gw, tmp.path(), "b"),
    );
    for pod in [&a, &b] {
        assert_eq!(pod.hydrate(&[]).status.code(), Some(0));
        assert_eq!(pod.bytes(), seed.bytes());
    }
    a.append(r#"{"turn":2,"pod":"a"}"#);
    b.append(r#"{"turn":3,"pod":"b"}"#);
    let first = a.write(2, &[]);
    assert_eq!(first.status.code(), Some(0), "{first:?}");
    assert_eq!(json_of(&first)["stored"]["status"], 200);

    let (b_bytes, b_modified) = (b.bytes(), b.modified());
    let forked = b.write(3, &[]);
    assert_eq!(forked.status.code(), Some(5), "{forked:?}");
    assert_eq!(
        json_of(&forked),
        json!({"diverged": {"latest-run-id": 2, "attempts": 1}})
    );
    assert_eq!((b.bytes(), b.modified()), (b_bytes.clone(), b_modified));
    let reader = Pod::new(&gw, tmp.path(), "reader");
    assert_eq!(reader.hydrate(&[]).status.code(), Some(0));
    assert_eq!(reader.bytes(), a.bytes(), "run 2's snapshot is the latest");

    // No if-match: the gateway has no precondition to refuse, and run 3
    // becomes the latest.
    let forced = b.write(3, &["--no-validators"]);
    assert_eq!(forced.status.code(), Some(0), "{forced:?}");
    assert_eq!(json_of(&forced)["stored"]["status"], 200);
    assert_eq!(reader.hydrate(&[]).status.code(), Some(0));
    assert_eq!(reader.bytes(), b_bytes, "run 3's snapshot is the latest");
}
