use host_tests::{options, Harness, Sandbox};
use host_tests::bindings::HydrateOutcome;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test(flavor = "multi_thread")]
async fn smoke_hydrate() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/lobu/worker/transcript/snapshot"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"{\"a\":1}\n".to_vec()))
        .mount(&server)
        .await;
    let sb = Sandbox::new();
    let call = Harness::shared()
        .hydrate(&sb, &format!("{}/lobu", server.uri()), "test-jwt", &Sandbox::guest(".openclaw/session.jsonl"), options())
        .await
        .unwrap();
    assert_eq!(call.outcome, Ok(HydrateOutcome::Hydrated(8)));
    assert_eq!(sb.read(".openclaw/session.jsonl").unwrap(), b"{\"a\":1}\n");
    println!("peak {}", call.peak_memory);
}
