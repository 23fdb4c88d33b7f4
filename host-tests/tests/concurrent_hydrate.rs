//! Concurrent hydrates of one session file never mix their bodies: each call
//! stages into its own file and renames it over the session file whole. Eight
//! calls race with distinct, slowly sent bodies while a watcher reads the
//! session file over and over; every read must be one complete body (or the
//! original), the file must end as the body of a call that reported
//! `hydrated`, and no staging file may remain.

use host_tests::bindings::{HydrateOutcome, Hydrated};
use host_tests::{options, Harness, Workspace};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const CALLS: usize = 8;
const SIZE: usize = 2 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;
const SESSION: &str = ".openclaw/session.jsonl";

/// Body `i`: its own line repeated, and `i` bytes longer than body 0, so a
/// call's reported size names the body it received.
fn body(i: usize) -> Vec<u8> {
    let line = format!("{{\"call\":{i},\"text\":\"{}\"}}\n", "x".repeat(40 + i));
    line.bytes().cycle().take(SIZE + i).collect()
}

/// A gateway that answers request `n` with body `n % CALLS`, sent in small
/// chunks with a pause between them, so the calls' downloads overlap.
async fn slow_gateway(bodies: Arc<Vec<Vec<u8>>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let served = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let body = bodies[served.fetch_add(1, Ordering::SeqCst) % CALLS].clone();
            tokio::spawn(serve(socket, body));
        }
    });
    url
}

async fn serve(mut socket: TcpStream, body: Vec<u8>) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let headers = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/x-ndjson\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    if socket.write_all(headers.as_bytes()).await.is_err() {
        return;
    }
    for chunk in body.chunks(CHUNK) {
        if socket.write_all(chunk).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let _ = socket.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn eight_concurrent_hydrates_never_mix_bodies() {
    let bodies: Arc<Vec<Vec<u8>>> = Arc::new((0..CALLS).map(body).collect());
    let url = slow_gateway(Arc::clone(&bodies)).await;
    let ws = Arc::new(Workspace::new());
    let original = b"{\"type\":\"session\",\"id\":\"original\"}\n".repeat(1000);
    ws.write(SESSION, &original);

    // The watcher: every read of the session file is one whole version.
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (stop, bodies, path) = (Arc::clone(&stop), Arc::clone(&bodies), ws.host(SESSION));
        let original = original.clone();
        std::thread::spawn(move || {
            let mut reads = 0usize;
            while !stop.load(Ordering::SeqCst) {
                let seen = std::fs::read(&path).expect("the session file is always there");
                reads += 1;
                assert!(
                    seen == original || bodies.contains(&seen),
                    "read {reads}: the session file holds {} bytes that are no single body",
                    seen.len()
                );
            }
            reads
        })
    };

    let calls: Vec<_> = (0..CALLS)
        .map(|_| {
            let (ws, url) = (Arc::clone(&ws), url.clone());
            tokio::spawn(async move {
                Harness::shared()
                    .hydrate(
                        &ws,
                        &url,
                        "concurrent-token",
                        &Workspace::guest(SESSION),
                        options(),
                    )
                    .await
                    .expect("the host runs the call")
                    .outcome
            })
        })
        .collect();
    let mut hydrated = Vec::new();
    for call in calls {
        match call.await.unwrap() {
            Ok(HydrateOutcome::Hydrated(Hydrated { bytes, .. })) => hydrated.push(bytes),
            other => panic!("a call did not hydrate: {other:?}"),
        }
    }
    stop.store(true, Ordering::SeqCst);
    let reads = watcher.join().expect("every read was one whole version");
    assert!(reads > 0);

    // Every body was served once, so each call reports a distinct size.
    hydrated.sort_unstable();
    let sizes: Vec<u64> = bodies.iter().map(|b| b.len() as u64).collect();
    assert_eq!(hydrated, sizes);
    let last = ws.read(SESSION).unwrap();
    assert!(
        bodies.contains(&last) && hydrated.contains(&(last.len() as u64)),
        "the file ends as no call's body"
    );
    let left: Vec<_> = std::fs::read_dir(ws.host(".openclaw"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(left, ["session.jsonl"], "a staging file remains");
}
