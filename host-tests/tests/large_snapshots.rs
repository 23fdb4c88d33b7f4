//! 64 MiB snapshots stream through the component in both directions while
//! its linear memory stays under 2 MiB: the guest never holds the snapshot.

use host_tests::bindings::{
    HydrateOutcome, Hydrated, RunBinding, Stored, TerminalStatus, WriteOutcome,
};
use host_tests::cases::{Bytes, Reply};
use host_tests::mock_gateway::MockGateway;
use host_tests::{options, Harness, Workspace};

const SIZE: usize = 64 * 1024 * 1024;
const MEMORY_BUDGET: usize = 2 * 1024 * 1024;
const LINE: &str = "{\"type\":\"message\",\"text\":\"a \\\"quoted\\\" line, tab\\t, é and 😀\"}\n";

fn snapshot() -> Vec<u8> {
    LINE.bytes().cycle().take(SIZE).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn hydrate_64_mib_in_constant_memory() {
    let body = Bytes::Repeat {
        repeat: LINE.into(),
        bytes: SIZE,
    };
    let gw = MockGateway::start(vec![Reply {
        body: Some(body),
        ..Reply::default()
    }])
    .await;
    let sandbox = Workspace::new();
    let mut o = options();
    o.max_hydrate_bytes = Some(SIZE as u64);
    let call = Harness::shared()
        .hydrate(
            &sandbox,
            &gw.url,
            "tok-64mib",
            &Workspace::guest("s/session.jsonl"),
            o,
        )
        .await
        .unwrap();
    assert_eq!(
        call.outcome,
        Ok(HydrateOutcome::Hydrated(Hydrated {
            bytes: SIZE as u64,
            attempts: 1
        }))
    );
    assert!(
        sandbox.read("s/session.jsonl").unwrap() == snapshot(),
        "bytes differ"
    );
    println!(
        "hydrate 64 MiB: guest peak memory {} bytes",
        call.peak_memory
    );
    assert!(
        call.peak_memory < MEMORY_BUDGET,
        "guest grew to {} bytes",
        call.peak_memory
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn write_64_mib_in_constant_memory() {
    let gw = MockGateway::start(vec![Reply::default()]).await;
    let sandbox = Workspace::new();
    sandbox.write("s/session.jsonl", snapshot());
    let mut o = options();
    o.max_write_bytes = Some(SIZE as u64);
    let run = RunBinding {
        run_id: 7,
        token: "run-tok-64mib".into(),
    };
    let call = Harness::shared()
        .write(
            &sandbox,
            &gw.url,
            Some(run),
            &Workspace::guest("s/session.jsonl"),
            TerminalStatus::Completed,
            o,
        )
        .await
        .unwrap();
    assert_eq!(
        call.outcome,
        WriteOutcome::Stored(Stored {
            bytes: SIZE as u64,
            status: 200,
            attempts: 1
        })
    );
    let requests = gw.requests();
    assert_eq!(requests.len(), 1);
    let body: serde_json::Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert!(
        body["snapshotJsonl"].as_str().unwrap().as_bytes() == snapshot(),
        "snapshot differs"
    );
    assert_eq!(body["runId"], 7);
    println!("write 64 MiB: guest peak memory {} bytes", call.peak_memory);
    assert!(
        call.peak_memory < MEMORY_BUDGET,
        "guest grew to {} bytes",
        call.peak_memory
    );
}
