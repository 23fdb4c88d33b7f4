//! The host crate's logs: one `tracing` event per call, target
//! `transcript_snapshot`, with the documented fields, and never a token, on
//! the success paths and the failure paths alike.

use host_tests::bindings::{RunBinding, TerminalStatus};
use host_tests::cases::Reply;
use host_tests::mock_gateway::MockGateway;
use host_tests::{options, Harness, Workspace};
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::{Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

const TOKEN: &str = "tok-LEAK-CANARY-5b1e";
const RUN_TOKEN: &str = "run-LEAK-CANARY-93ad";

/// One captured event: its level and its fields (`message` included).
#[derive(Debug, Clone)]
struct Record {
    level: Level,
    fields: BTreeMap<String, String>,
}

impl Record {
    fn get(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// Captures the events of target `transcript_snapshot` on this thread.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Record>>>);

struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name().into(), format!("{value:?}"));
    }
}

impl<S: Subscriber> Layer<S> for Capture {
    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        metadata.target() == "transcript_snapshot"
    }
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut fields = Fields(BTreeMap::new());
        event.record(&mut fields);
        self.0.lock().unwrap().push(Record {
            level: *event.metadata().level(),
            fields: fields.0,
        });
    }
}

impl Capture {
    /// Runs `call` with this capture as the thread's subscriber; returns
    /// the records it logged.
    async fn during<F: std::future::Future<Output = ()>>(&self, call: F) -> Vec<Record> {
        let subscriber = tracing_subscriber::registry().with(self.clone());
        let _guard = tracing::subscriber::set_default(subscriber);
        call.await;
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// The one record a call logged, checked for the fields every record has
/// and for the tokens.
fn only(records: Vec<Record>, operation: &str, outcome: &str) -> Record {
    assert_eq!(records.len(), 1, "one record per call: {records:?}");
    let r = records.into_iter().next().unwrap();
    assert_eq!(r.get("operation"), Some(operation), "{r:?}");
    assert_eq!(r.get("outcome"), Some(outcome), "{r:?}");
    assert!(r.get("attempts").is_some(), "{r:?}");
    assert!(r.get("duration_ms").is_some(), "{r:?}");
    for value in r.fields.values() {
        assert!(
            !value.contains(TOKEN) && !value.contains(RUN_TOKEN),
            "a token was logged: {r:?}"
        );
    }
    r
}

fn one_attempt() -> host_tests::bindings::Options {
    host_tests::bindings::Options {
        max_attempts: Some(1),
        ..options()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn hydrate_logs_success_status_and_refusal_without_the_token() {
    let h = Harness::shared();
    let ws = Workspace::new();
    let file = Workspace::guest("s.jsonl");
    let cap = Capture::default();

    let gw = MockGateway::start(vec![Reply::ok("{\"a\":1}\n")]).await;
    let logged = cap
        .during(async {
            h.hydrate(&ws, &gw.url, TOKEN, &file, options())
                .await
                .unwrap();
        })
        .await;
    let r = only(logged, "hydrate", "hydrated");
    assert_eq!(r.level, Level::INFO);
    assert_eq!(r.get("bytes"), Some("8"));
    assert_eq!(r.get("status"), Some("200"));
    assert_eq!(r.get("attempts"), Some("1"));
    assert_eq!(r.get("error"), None);

    let denied = MockGateway::start(vec![Reply {
        status: 401,
        ..Reply::ok(&format!("bad token {TOKEN}"))
    }])
    .await;
    let logged = cap
        .during(async {
            h.hydrate(&ws, &denied.url, TOKEN, &file, one_attempt())
                .await
                .unwrap();
        })
        .await;
    let r = only(logged, "hydrate", "failed");
    assert_eq!(r.level, Level::WARN);
    assert_eq!(r.get("status"), Some("401"));
    assert_eq!(r.get("error"), Some("gateway answered HTTP 401"));

    let logged = cap
        .during(async {
            h.hydrate(&ws, &gw.closed_url, TOKEN, &file, one_attempt())
                .await
                .unwrap();
        })
        .await;
    let r = only(logged, "hydrate", "failed");
    assert_eq!(r.level, Level::WARN);
    assert_eq!(r.get("status"), None, "no answer, no status");
    assert!(
        r.get("error").is_some_and(|e| e.contains("refused")),
        "{r:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn write_and_clear_log_their_outcomes_without_the_tokens() {
    let h = Harness::shared();
    let ws = Workspace::new();
    ws.write("s.jsonl", "{\"turn\":1}\n");
    let file = Workspace::guest("s.jsonl");
    let run = || {
        Some(RunBinding {
            run_id: 7,
            token: RUN_TOKEN.into(),
        })
    };
    let cap = Capture::default();
    let gw = MockGateway::start(vec![Reply::ok("{}"), Reply::ok("{\"deleted\":1}")]).await;

    let logged = cap
        .during(async {
            let status = TerminalStatus::Completed;
            h.write(&ws, &gw.url, run(), &file, status, options())
                .await
                .unwrap();
        })
        .await;
    let r = only(logged, "write", "stored");
    assert_eq!(r.level, Level::INFO);
    assert_eq!((r.get("bytes"), r.get("status")), (Some("11"), Some("200")));

    let logged = cap
        .during(async {
            let status = TerminalStatus::Failed;
            h.write(&ws, &gw.url, run(), &file, status, options())
                .await
                .unwrap();
        })
        .await;
    let r = only(logged, "write", "skipped");
    assert_eq!((r.level, r.get("attempts")), (Level::INFO, Some("0")));

    let small = host_tests::bindings::Options {
        max_write_bytes: Some(4),
        ..options()
    };
    let logged = cap
        .during(async {
            let status = TerminalStatus::Completed;
            h.write(&ws, &gw.url, run(), &file, status, small)
                .await
                .unwrap();
        })
        .await;
    let r = only(logged, "write", "too-large");
    assert_eq!((r.level, r.get("bytes")), (Level::WARN, Some("11")));

    let logged = cap
        .during(async {
            let status = TerminalStatus::Completed;
            h.write(&ws, &gw.closed_url, run(), &file, status, one_attempt())
                .await
                .unwrap();
        })
        .await;
    let r = only(logged, "write", "failed");
    assert_eq!(r.level, Level::WARN);
    assert!(
        r.get("error").is_some_and(|e| e.contains("refused")),
        "{r:?}"
    );

    let logged = cap
        .during(async {
            let gateway = host_tests::bindings::Gateway {
                url: gw.url.clone(),
                token: TOKEN.into(),
            };
            h.host
                .clear(&ws.sandbox(), &gateway, options())
                .await
                .unwrap();
        })
        .await;
    let r = only(logged, "clear", "cleared");
    assert_eq!((r.level, r.get("status")), (Level::INFO, Some("200")));
    assert!(r.get("message").is_some_and(|m| m.contains("1 deleted")));

    let forbidden = MockGateway::start(vec![Reply {
        status: 403,
        ..Reply::default()
    }])
    .await;
    let logged = cap
        .during(async {
            let gateway = host_tests::bindings::Gateway {
                url: forbidden.url.clone(),
                token: TOKEN.into(),
            };
            h.host
                .clear(&ws.sandbox(), &gateway, one_attempt())
                .await
                .unwrap();
        })
        .await;
    let r = only(logged, "clear", "failed");
    assert_eq!((r.level, r.get("status")), (Level::WARN, Some("403")));
    assert_eq!(r.get("error"), Some("gateway answered HTTP 403"));
}
