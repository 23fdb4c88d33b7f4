//! The host crate as it ships: the component it embeds is the workspace's
//! build, its WIT is the workspace's, and its README's example runs (and is
//! quoted there verbatim).

use host_tests::build::{component_path, workspace_root};
use host_tests::cases::Reply;
use host_tests::mock_gateway::MockGateway;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use transcript_snapshot_host::{
    default_options, DescribeFailure, Gateway, HydrateOutcome, Sandbox, SnapshotHost,
    BUNDLED_COMPONENT,
};

async fn embed(
    workspace: &Path,
    gateway_url: &str,
    authority: &str,
    worker_token: String,
) -> wasmtime::Result<()> {
    // README:host:begin
    // The component ships inside the crate; compiled once, cached on disk.
    let cache = std::env::temp_dir().join("transcript-snapshot-cache");
    let host = SnapshotHost::bundled(Some(&cache))?;
    let sandbox = Sandbox::new()
        .preopen(workspace, "/workspace") // the only directory the component sees
        .allow_only([authority]); // the only gateway it may reach
    let gateway = Gateway {
        url: gateway_url.into(),
        token: worker_token,
    };
    let session = "/workspace/.openclaw/session.jsonl";
    let call = host
        .hydrate(&sandbox, &gateway, session, default_options())
        .await?;
    match call.outcome {
        Ok(HydrateOutcome::Hydrated(h)) => println!("resumed {} bytes", h.bytes),
        Ok(HydrateOutcome::NoSnapshot(_)) => println!("first turn: nothing to resume"),
        Ok(HydrateOutcome::UpToDate(_)) => println!("already current: nothing downloaded"),
        Err(e) => eprintln!("hydrate failed: {}", DescribeFailure(&e)),
    }
    // README:host:end
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_host_readme_example_hydrates_with_the_bundled_component() {
    let gw = MockGateway::start(vec![Reply::ok("{\"bundled\":true}\n")]).await;
    let ws = tempfile::tempdir().unwrap();
    let authority = gw.url.trim_start_matches("http://").to_string();
    embed(
        ws.path(),
        &format!("{}/lobu", gw.url),
        &authority,
        "t".into(),
    )
    .await
    .unwrap();
    assert_eq!(
        std::fs::read(ws.path().join(".openclaw/session.jsonl")).unwrap(),
        b"{\"bundled\":true}\n"
    );
}

#[test]
fn the_host_readme_quotes_the_example_verbatim() {
    let readme = std::fs::read_to_string(workspace_root().join("host/README.md")).unwrap();
    let source =
        std::fs::read_to_string(workspace_root().join("host-tests/tests/bundled.rs")).unwrap();
    let snippet = host_tests::readme_region(&source, "host");
    assert!(!snippet.is_empty());
    assert!(
        readme.contains(&snippet),
        "host/README.md does not quote the example verbatim:\n{snippet}"
    );
}

#[test]
fn the_bundled_component_is_the_workspace_build() {
    let built = std::fs::read(component_path()).unwrap();
    assert!(
        BUNDLED_COMPONENT == built.as_slice(),
        "the host crate embeds a component other than {} (rebuild the host crate after the \
         component, and delete a stale host/component/transcript_snapshot.wasm)",
        component_path().display()
    );
}

#[test]
fn bundled_and_loaded_share_one_cache_entry() {
    // The cache keys on the component's bytes, not on where they came from.
    let cache = tempfile::tempdir().unwrap();
    let first = SnapshotHost::bundled(Some(cache.path())).unwrap();
    assert!(!first.cache_hit());
    let again = SnapshotHost::load(component_path(), Some(cache.path())).unwrap();
    assert!(again.cache_hit(), "same bytes, same artifact");
    assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 1);
}

#[test]
fn a_missing_component_file_is_named_in_the_error() {
    let missing = workspace_root().join("no/such/component.wasm");
    let err = SnapshotHost::load(&missing, None)
        .err()
        .expect("no such file");
    assert!(
        format!("{err:#}").contains("no/such/component.wasm"),
        "{err:#}"
    );
}

/// Every file under `dir`, by path relative to it.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().to_path_buf();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

#[test]
fn the_host_crates_wit_is_a_copy_of_the_workspace_wit() {
    let root = workspace_root();
    let ours = files(&root.join("wit"));
    let shipped = files(&root.join("host/wit"));
    let names = |m: &BTreeMap<PathBuf, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&shipped),
        names(&ours),
        "host/wit lists other files than wit/: copy wit/ to host/wit"
    );
    for (path, bytes) in &ours {
        assert!(
            shipped[path] == *bytes,
            "host/wit/{} differs from wit/{0}: copy wit/ to host/wit",
            path.display()
        );
    }
}
