//! The Rust host crate's guarantees: the authority allow-list, the memory
//! cap, and the compiled-component cache.

use host_tests::bindings::{Error, Failure, Gateway, HydrateOutcome, Hydrated};
use host_tests::cases::Reply;
use host_tests::mock_gateway::MockGateway;
use host_tests::{build, options, Harness, Workspace};
use transcript_snapshot_host::SnapshotHost;

fn gateway(url: &str) -> Gateway {
    Gateway {
        url: url.into(),
        token: "allow-list-token".into(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_outside_the_allow_list_are_denied_before_they_leave() {
    let gw = MockGateway::start(vec![Reply::ok("{}\n")]).await;
    let ws = Workspace::new();
    let authority = gw.url.trim_start_matches("http://").to_string();
    let host = &Harness::shared().host;

    let denied = host
        .hydrate(
            &ws.sandbox().allow_only(["gateway.internal:8787"]),
            &gateway(&gw.url),
            &Workspace::guest("s.jsonl"),
            options(),
        )
        .await
        .unwrap();
    assert_eq!(
        denied.outcome,
        Err(Failure {
            error: Error::Denied,
            attempts: 1
        })
    );
    assert!(
        gw.requests().is_empty(),
        "a denied request reached the gateway"
    );
    assert!(ws.is_empty());

    let allowed = host
        .hydrate(
            &ws.sandbox().allow_only([authority]),
            &gateway(&gw.url),
            &Workspace::guest("s.jsonl"),
            options(),
        )
        .await
        .unwrap();
    assert_eq!(
        allowed.outcome,
        Ok(HydrateOutcome::Hydrated(Hydrated {
            bytes: 3,
            attempts: 1
        }))
    );
    assert_eq!(gw.requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_memory_cap_stops_the_guest_not_the_host() {
    let gw = MockGateway::start(vec![Reply::ok("{}\n")]).await;
    let ws = Workspace::new();
    let host = &Harness::shared().host;
    // Far below what the guest needs: instantiation fails, as an error.
    let result = host
        .hydrate(
            &ws.sandbox().memory_cap(64 * 1024),
            &gateway(&gw.url),
            &Workspace::guest("s.jsonl"),
            options(),
        )
        .await;
    assert!(result.is_err(), "a 64 KiB cap must refuse the guest");
    assert!(gw.requests().is_empty());
    assert!(ws.is_empty());
    // The default cap leaves room to spare.
    let ok = host
        .hydrate(
            &ws.sandbox(),
            &gateway(&gw.url),
            &Workspace::guest("s.jsonl"),
            options(),
        )
        .await
        .unwrap();
    assert_eq!(
        ok.outcome,
        Ok(HydrateOutcome::Hydrated(Hydrated {
            bytes: 3,
            attempts: 1
        }))
    );
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
