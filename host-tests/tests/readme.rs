//! The README's embedding examples are real code: the Rust one runs here
//! against the scripted gateway, and every example file must appear in the
//! README verbatim (so the README cannot drift from what is tested).

use host_tests::build::workspace_root;
use host_tests::cases::Reply;
use host_tests::mock_gateway::MockGateway;
use host_tests::readme_region;
use std::path::Path;
use transcript_snapshot_host::{
    default_options, DescribeFailure, Gateway, HydrateOutcome, Sandbox, SnapshotHost,
};

async fn embed(
    cache_dir: &Path,
    workspace: &Path,
    gateway_url: &str,
    authority: &str,
    worker_token: String,
) -> wasmtime::Result<()> {
    // README:rust:begin
    let host = SnapshotHost::bundled(Some(cache_dir))?; // the built-in component, compiled once and cached
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
        Err(e) => eprintln!(
            "hydrate failed, going on with the local file: {}",
            DescribeFailure(&e)
        ),
    }
    // README:rust:end
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rust_example_hydrates() {
    let gw = MockGateway::start(vec![Reply::ok(
        "{\"resumed\":true}
",
    )])
    .await;
    let ws = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let authority = gw.url.trim_start_matches("http://").to_string();
    let url = format!("{}/lobu", gw.url);
    embed(
        cache.path(),
        ws.path(),
        &url,
        &authority,
        "tok-readme".into(),
    )
    .await
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(ws.path().join(".openclaw/session.jsonl")).unwrap(),
        "{\"resumed\":true}\n"
    );
}

#[test]
fn every_example_appears_in_the_readme_verbatim() {
    let root = workspace_root();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let examples = [
        ("host-tests/tests/readme.rs", Some("rust")),
        ("js/examples/embed.mjs", None),
        ("python/examples/embed.py", None),
    ];
    for (file, marker) in examples {
        let Ok(text) = std::fs::read_to_string(root.join(file)) else {
            panic!("{file} is missing");
        };
        let snippet = match marker {
            Some(name) => readme_region(&text, name),
            None => text.trim_end().to_string(),
        };
        assert!(!snippet.is_empty(), "{file}: empty example");
        assert!(
            readme.contains(&snippet),
            "README.md does not quote {file} verbatim:\n{snippet}"
        );
    }
}
