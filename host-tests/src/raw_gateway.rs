//! A gateway that misbehaves on purpose. wiremock (hyper) always sends
//! well-formed responses; this one writes raw bytes so a test can cut a body
//! short, overrun its length, stall, or reset the connection.

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What to do after the scripted bytes are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Then {
    /// Close the connection cleanly.
    Close,
    /// Keep the connection open and send nothing more.
    Stall,
    /// Close with a TCP reset.
    Reset,
}

/// One scripted answer: optional delay, raw response bytes, then an ending.
#[derive(Debug, Clone)]
pub struct Script {
    pub delay: Duration,
    pub bytes: Vec<u8>,
    pub then: Then,
}

impl Script {
    /// A response with headers (including any content-length) and body as given.
    pub fn response(status: u16, headers: &[(&str, String)], body: &[u8], then: Then) -> Self {
        let mut bytes = format!("HTTP/1.1 {status} X\r\n").into_bytes();
        for (name, value) in headers {
            bytes.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        bytes.extend_from_slice(b"\r\n");
        bytes.extend_from_slice(body);
        Self {
            delay: Duration::ZERO,
            bytes,
            then,
        }
    }
}

/// A listener on 127.0.0.1:0 answering every connection with `script`.
pub struct RawGateway {
    pub url: String,
    requests: Arc<Mutex<Vec<Vec<u8>>>>,
}

async fn read_request(stream: &mut TcpStream) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    // Headers, then as much body as content-length says.
    loop {
        let Ok(n) = stream.read(&mut chunk).await else { break };
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                break;
            }
        }
    }
    buf
}

impl RawGateway {
    pub async fn start(script: Script) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else { return };
                let script = script.clone();
                let seen = seen.clone();
                tokio::spawn(async move {
                    let request = read_request(&mut stream).await;
                    seen.lock().unwrap().push(request);
                    tokio::time::sleep(script.delay).await;
                    let _ = stream.write_all(&script.bytes).await;
                    let _ = stream.flush().await;
                    match script.then {
                        Then::Close => {
                            let _ = stream.shutdown().await;
                        }
                        Then::Stall => tokio::time::sleep(Duration::from_secs(3600)).await,
                        Then::Reset => {
                            let _ = stream.set_zero_linger();
                            drop(stream);
                        }
                    }
                });
            }
        });
        Self { url, requests }
    }

    /// Raw bytes of every request received so far.
    pub fn requests(&self) -> Vec<Vec<u8>> {
        self.requests.lock().unwrap().clone()
    }
}
