//! The component against a real HTTP server (wiremock on hyper): exact
//! headers and bodies, one pre-instantiated component reused across calls,
//! and invalid input that never reaches the network.

use host_tests::bindings::{
    ClearOutcome, Cleared, Error, HydrateOutcome, Hydrated, RunBinding, Stored, TerminalStatus,
    WriteOutcome,
};
use host_tests::{options, Harness, Workspace};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ENDPOINT: &str = "/lobu/worker/transcript/snapshot";
const SESSION: &str = ".openclaw/session.jsonl";

#[tokio::test(flavor = "multi_thread")]
async fn hydrate_write_clear_send_exactly_what_the_gateway_expects() {
    let server = MockServer::start().await;
    let snapshot = "{\"type\":\"session\",\"id\":\"w\"}\n{\"text\":\"é \\\"q\\\"\"}\n";
    Mock::given(method("GET"))
        .and(path(ENDPOINT))
        .and(header("authorization", "Bearer deploy-token-1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/x-ndjson; charset=utf-8")
                .set_body_string(snapshot),
        )
        .expect(20)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(ENDPOINT))
        .and(header("authorization", "Bearer run-token-42"))
        .and(header("content-type", "application/json"))
        .and(body_json(
            json!({"terminalStatus": "completed", "snapshotJsonl": snapshot, "runId": 42}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"id\":9}"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(ENDPOINT))
        .and(header("authorization", "Bearer deploy-token-1"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"deleted\":1}"))
        .expect(1)
        .mount(&server)
        .await;

    let h = Harness::shared();
    let url = format!("{}/lobu", server.uri());
    let sandbox = Workspace::new();
    // One InstancePre, many instances: every hydrate is a fresh store.
    for _ in 0..20 {
        let call = h
            .hydrate(
                &sandbox,
                &url,
                "deploy-token-1",
                &Workspace::guest(SESSION),
                options(),
            )
            .await
            .unwrap();
        assert_eq!(
            call.outcome,
            Ok(HydrateOutcome::Hydrated(Hydrated {
                bytes: snapshot.len() as u64,
                attempts: 1
            }))
        );
    }
    assert_eq!(sandbox.read(SESSION).unwrap(), snapshot.as_bytes());

    let run = RunBinding {
        run_id: 42,
        token: "run-token-42".into(),
    };
    let written = h
        .write(
            &sandbox,
            &url,
            Some(run),
            &Workspace::guest(SESSION),
            TerminalStatus::Completed,
            options(),
        )
        .await
        .unwrap();
    assert_eq!(
        written.outcome,
        WriteOutcome::Stored(Stored {
            bytes: snapshot.len() as u64,
            status: 200,
            attempts: 1
        })
    );

    let cleared = h
        .clear(&sandbox, &url, "deploy-token-1", options())
        .await
        .unwrap();
    assert_eq!(
        cleared.outcome,
        ClearOutcome::Cleared(Cleared {
            status: 200,
            deleted: Some(1),
            attempts: 1
        })
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_input_sends_nothing_and_names_no_secret() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let h = Harness::shared();
    let sandbox = Workspace::new();
    let secret = "s3cr3t-token";
    let good = server.uri();
    let cases = [
        (
            format!("http://u:{secret}@{}", &good[7..]),
            "tok-ok-123".to_string(),
            Workspace::guest(SESSION),
        ),
        (
            good.clone(),
            format!("{secret}\r\nx-injected: 1"),
            Workspace::guest(SESSION),
        ),
        (good.clone(), String::new(), Workspace::guest(SESSION)),
        (
            good.clone(),
            secret.to_string(),
            "relative/session.jsonl".to_string(),
        ),
        (
            good.clone(),
            secret.to_string(),
            format!("/{secret}/session.jsonl"),
        ),
        (
            "mailto:x".to_string(),
            secret.to_string(),
            Workspace::guest(SESSION),
        ),
    ];
    for (url, token, file) in cases {
        let call = h
            .hydrate(&sandbox, &url, &token, &file, options())
            .await
            .unwrap();
        let err = call.outcome.expect_err("must be rejected");
        assert!(
            matches!(err.error, Error::InvalidInput(_) | Error::NotPreopened(_))
                && err.attempts == 0,
            "{err:?}"
        );
        assert!(
            !format!("{err:?}").contains(secret),
            "{err:?} leaks the secret"
        );
    }
    assert!(sandbox.is_empty(), "nothing may be touched");
}
