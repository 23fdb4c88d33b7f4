//! The scripted gateway every harness talks to. It speaks raw HTTP/1.1 over
//! TCP so a case can do what a well-behaved server never would: announce a
//! wrong length, stall, or reset mid-body. It records every request.

use crate::cases::{Length, Reply, Then};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A request as the gateway saw it.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// Lower-cased names; repeated headers joined with ", ".
    pub headers: BTreeMap<String, String>,
    /// The body, as far as it arrived (de-chunked).
    #[serde(with = "body_b64")]
    pub body: Vec<u8>,
    /// Whether the body arrived as long as announced.
    pub complete: bool,
}

mod body_b64 {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(b))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(serde::de::Error::custom)
    }
}

/// A running scripted gateway on 127.0.0.1.
pub struct MockGateway {
    /// Base URL of the gateway, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    /// A URL where nothing listens (for connection-refused cases).
    pub closed_url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    /// Requests whose headers have arrived (their bodies may still be coming).
    heads: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for MockGateway {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads until `\r\n\r\n`; returns (head, bytes already read past it).
async fn read_head<R: AsyncRead + Unpin>(r: &mut R) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buf.split_off(end + 4);
            buf.truncate(end);
            return Some((String::from_utf8_lossy(&buf).into_owned(), rest));
        }
        let n = r.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Reads a body of `len` bytes; returns what arrived and whether it was all.
async fn read_sized<R: AsyncRead + Unpin>(
    r: &mut R,
    mut body: Vec<u8>,
    len: usize,
) -> (Vec<u8>, bool) {
    let mut chunk = vec![0u8; 64 * 1024];
    while body.len() < len {
        match r.read(&mut chunk).await {
            Ok(0) | Err(_) => return (body, false),
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    body.truncate(len);
    (body, true)
}

/// De-chunks a chunked body, reading until the last chunk.
async fn read_chunked<R: AsyncRead + Unpin>(r: &mut R, mut raw: Vec<u8>) -> (Vec<u8>, bool) {
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        if let Some((body, done)) = dechunk(&raw) {
            if done {
                return (body, true);
            }
        }
        match r.read(&mut chunk).await {
            Ok(0) | Err(_) => return (dechunk(&raw).map(|(b, _)| b).unwrap_or_default(), false),
            Ok(n) => raw.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Decodes as much of a chunked body as is present; `true` once the last chunk is in.
fn dechunk(raw: &[u8]) -> Option<(Vec<u8>, bool)> {
    let mut out = Vec::new();
    let mut at = 0;
    loop {
        let line_end = raw[at..].windows(2).position(|w| w == b"\r\n")? + at;
        let size_text = std::str::from_utf8(&raw[at..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        let start = line_end + 2;
        if size == 0 {
            return Some((out, true));
        }
        if raw.len() < start + size + 2 {
            out.extend_from_slice(&raw[start..raw.len().min(start + size)]);
            return Some((out, false));
        }
        out.extend_from_slice(&raw[start..start + size]);
        at = start + size + 2;
    }
}

async fn read_request(
    stream: &mut TcpStream,
    read_body: bool,
    read_delay: Duration,
    heads: &AtomicUsize,
) -> Option<Recorded> {
    let (head, rest) = read_head(stream).await?;
    heads.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(read_delay).await;
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let path = first.next()?.to_string();
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for line in lines {
        if let Some((k, v)) = line.split_once(':') {
            let k = k.trim().to_ascii_lowercase();
            let v = v.trim().to_string();
            headers
                .entry(k)
                .and_modify(|e| {
                    e.push_str(", ");
                    e.push_str(&v)
                })
                .or_insert(v);
        }
    }
    let (body, complete) = if !read_body {
        (rest, true)
    } else if headers
        .get("transfer-encoding")
        .is_some_and(|t| t.contains("chunked"))
    {
        read_chunked(stream, rest).await
    } else {
        let len = headers
            .get("content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        read_sized(stream, rest, len).await
    };
    Some(Recorded {
        method,
        path,
        headers,
        body,
        complete,
    })
}

async fn answer(stream: &mut TcpStream, reply: &Reply) {
    tokio::time::sleep(Duration::from_millis(reply.delay_ms)).await;
    if reply.status == 0 {
        // No response at all: only the ending (close, stall, reset).
        return end(stream, reply.then).await;
    }
    let body = reply.body.as_ref().map(|b| b.to_vec()).unwrap_or_default();
    let mut head = format!(
        "HTTP/1.1 {} Scripted\r\nconnection: close\r\n",
        reply.status
    );
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if reply.chunked.is_some() {
        head.push_str("transfer-encoding: chunked\r\n");
    } else {
        match &reply.content_length {
            None => head.push_str(&format!("content-length: {}\r\n", body.len())),
            Some(Length::Mode(m)) if m == "auto" => {
                head.push_str(&format!("content-length: {}\r\n", body.len()))
            }
            Some(Length::Mode(_)) => {}
            Some(Length::Lie(n)) => head.push_str(&format!("content-length: {n}\r\n")),
        }
    }
    head.push_str("\r\n");
    let mut wire = head.into_bytes();
    let sent = &body[..reply.send_bytes.unwrap_or(body.len()).min(body.len())];
    match reply.chunked {
        Some(size) => {
            for piece in sent.chunks(size.max(1)) {
                wire.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
                wire.extend_from_slice(piece);
                wire.extend_from_slice(b"\r\n");
            }
            if reply.send_bytes.is_none() {
                wire.extend_from_slice(b"0\r\n\r\n");
            }
        }
        None => wire.extend_from_slice(sent),
    }
    let _ = stream.write_all(&wire).await;
    let _ = stream.flush().await;
    end(stream, reply.then).await;
}

async fn end(stream: &mut TcpStream, then: Then) {
    match then {
        Then::Close => {
            let _ = stream.shutdown().await;
        }
        Then::Stall => tokio::time::sleep(Duration::from_secs(3600)).await,
        Then::Reset => {
            let _ = stream.set_zero_linger();
        }
    }
}

impl MockGateway {
    /// Starts serving `replies` (the last one repeats; none at all means 404).
    pub async fn start(replies: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind mock gateway");
        let url = format!("http://{}", listener.local_addr().expect("local addr"));
        let closed = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind closed port");
        let closed_url = format!("http://{}", closed.local_addr().expect("local addr"));
        drop(closed);
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let heads = Arc::new(AtomicUsize::new(0));
        let heads_seen = heads.clone();
        let replies = Arc::new(replies);
        let next = Arc::new(AtomicUsize::new(0));
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let (seen, replies, next) = (seen.clone(), replies.clone(), next.clone());
                let heads_seen = heads_seen.clone();
                tokio::spawn(async move {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let reply = replies.get(i.min(replies.len().saturating_sub(1))).cloned();
                    let early = reply.as_ref().is_some_and(|r| r.answer_early);
                    let read_delay =
                        Duration::from_millis(reply.as_ref().map_or(0, |r| r.read_delay_ms));
                    let Some(recorded) =
                        read_request(&mut stream, !early, read_delay, &heads_seen).await
                    else {
                        return;
                    };
                    seen.lock().expect("requests lock").push(recorded);
                    match reply {
                        Some(reply) => answer(&mut stream, &reply).await,
                        None => {
                            let _ = stream
                                .write_all(b"HTTP/1.1 404 No Script\r\nconnection: close\r\ncontent-length: 0\r\n\r\n")
                                .await;
                        }
                    }
                });
            }
        });
        Self {
            url,
            closed_url,
            requests,
            heads,
            task,
        }
    }

    /// Waits (up to `limit`) until `n` requests have sent their headers: the
    /// client is then sending, or blocked sending, the body.
    pub async fn wait_for_heads(&self, n: usize, limit: Duration) -> bool {
        let start = std::time::Instant::now();
        while self.heads.load(Ordering::SeqCst) < n {
            if start.elapsed() > limit {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        true
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("requests lock").clone()
    }

    /// Waits (up to `limit`) until `n` requests are recorded, for callers that
    /// return before the gateway has finished reading (an abandoned body).
    pub async fn wait_for_requests(&self, n: usize, limit: Duration) -> Vec<Recorded> {
        let start = std::time::Instant::now();
        while self.requests().len() < n && start.elapsed() < limit {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.requests()
    }
}

#[cfg(test)]
mod tests {
    use super::dechunk;

    #[test]
    fn dechunks_partial_and_whole_bodies() {
        assert_eq!(
            dechunk(b"3\r\nabc\r\n0\r\n\r\n"),
            Some((b"abc".to_vec(), true))
        );
        assert_eq!(
            dechunk(b"3\r\nabc\r\n2\r\nd"),
            Some((b"abcd".to_vec(), false))
        );
    }
}
