//! The Rust host crate's guarantees: the authority allow-list, the memory
//! cap, and the compiled-component cache.

use host_tests::bindings::{Error, Failure, Gateway, HydrateOutcome, Hydrated};
use host_tests::cases::Reply;
use host_tests::mock_gateway::MockGateway;
use host_tests::{build, options, Harness, Workspace};
use transcript_snapshot_host::{Call, Sandbox, SnapshotHost};

fn gateway(url: &str) -> Gateway {
    Gateway {
        url: url.into(),
        token: "allow-list-token".into(),
    }
}

/// Hydrates `/workspace/s.jsonl` under `sandbox` from the scripted gateway.
async fn hydrate(
    sandbox: Sandbox,
    url: &str,
) -> wasmtime::Result<Call<Result<HydrateOutcome, Failure>>> {
    Harness::shared()
        .host
        .hydrate(
            &sandbox,
            &gateway(url),
            &Workspace::guest("s.jsonl"),
            options(),
        )
        .await
}

/// The 3-byte snapshot the gateway serves, hydrated in one attempt.
fn hydrated() -> Result<HydrateOutcome, Failure> {
    Ok(HydrateOutcome::Hydrated(Hydrated {
        bytes: 3,
        attempts: 1,
    }))
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_outside_the_allow_list_are_denied_before_they_leave() {
    let gw = MockGateway::start(vec![Reply::ok("{}\n")]).await;
    let ws = Workspace::new();
    let authority = gw.url.trim_start_matches("http://").to_string();

    let denied = hydrate(ws.sandbox().allow_only(["gateway.internal:8787"]), &gw.url)
        .await
        .unwrap();
    let refused = Failure {
        error: Error::Denied,
        attempts: 1,
    };
    assert_eq!(denied.outcome, Err(refused));
    assert!(
        gw.requests().is_empty(),
        "a denied request reached the gateway"
    );
    assert!(ws.is_empty());

    let allowed = hydrate(ws.sandbox().allow_only([authority]), &gw.url)
        .await
        .unwrap();
    assert_eq!(allowed.outcome, hydrated());
    assert_eq!(gw.requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_memory_cap_stops_the_guest_not_the_host() {
    let gw = MockGateway::start(vec![Reply::ok("{}\n")]).await;
    let ws = Workspace::new();
    // Far below what the guest needs: instantiation fails, as an error.
    let result = hydrate(ws.sandbox().memory_cap(64 * 1024), &gw.url).await;
    assert!(result.is_err(), "a 64 KiB cap must refuse the guest");
    assert!(gw.requests().is_empty());
    assert!(ws.is_empty());
    // The default cap leaves room to spare.
    let ok = hydrate(ws.sandbox(), &gw.url).await.unwrap();
    assert_eq!(ok.outcome, hydrated());
}

#[test]
fn a_second_load_uses_the_compiled_artifact() {
    let cache = tempfile::tempdir().unwrap();
    let first = SnapshotHost::load(build::component_path(), Some(cache.path())).unwrap();
    assert!(!first.cache_hit());
    assert_eq!(
        std::fs::read_dir(cache.path()).unwrap().count(),
        1,
        "one artifact written"
    );
    let second = SnapshotHost::load(build::component_path(), Some(cache.path())).unwrap();
    assert!(second.cache_hit());
}
