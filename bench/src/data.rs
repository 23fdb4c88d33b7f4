//! The benchmark's snapshots: JSONL like the reference gateway's (quotes to
//! escape, non-ASCII to pass through), written straight to disk so the
//! orchestrator never holds one in memory (its RSS is a floor under every
//! child's measured peak: see `run::spawn`).

use std::fs::File;
use std::io::{BufWriter, Read, Result, Write};
use std::path::Path;

/// One transcript line, shaped like `ts-baseline/gateway.mjs`'s.
fn line(i: u64) -> String {
    format!(
        "{{\"type\":\"message\",\"id\":\"m{i}\",\"parentId\":null,\"timestamp\":\"2026-05-18T10:00:01Z\",\
         \"message\":{{\"role\":\"user\",\"content\":[{{\"type\":\"text\",\"text\":\"{}\"}}]}}}}\n",
        "résumé ✓ ".repeat(8)
    )
}

/// Writes a snapshot of exactly `size` bytes: whole lines, then one ASCII
/// filler line. Exact sizes matter: 4 MiB is the write limit itself, and a
/// line cut mid-character would be refused as invalid UTF-8.
pub fn write_snapshot(path: &Path, size: u64) -> Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut left = size;
    let mut i = 0;
    loop {
        let l = line(i);
        // Keep room for a filler line of at least `{"p":""}\n` (9 bytes).
        if (l.len() as u64) + 9 > left {
            break;
        }
        out.write_all(l.as_bytes())?;
        left -= l.len() as u64;
        i += 1;
    }
    if left >= 9 {
        out.write_all(b"{\"p\":\"")?;
        out.write_all(&vec![b'x'; (left - 9) as usize])?;
        out.write_all(b"\"}\n")?;
    } else {
        out.write_all(&vec![b'\n'; left as usize])?;
    }
    out.into_inner()?.sync_all()
}

/// serde_json's escaping of one byte of UTF-8 text (non-ASCII passes through),
/// which is also what `JSON.stringify` and the component send.
fn escape_into(b: u8, out: &mut Vec<u8>) {
    match b {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\t' => out.extend_from_slice(b"\\t"),
        0x08 => out.extend_from_slice(b"\\b"),
        0x0c => out.extend_from_slice(b"\\f"),
        0..=0x1f => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
        _ => out.push(b),
    }
}

/// `text` JSON-escaped as the component escapes it: the load mode's
/// plain-HTTP envelope body.
pub fn escaped(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 8);
    for &b in text {
        escape_into(b, &mut out);
    }
    out
}

/// The request body `write` sends for `snapshot` with run id 1, for curl's
/// `--data-binary @file`. Streams in 1 MiB chunks.
pub fn write_envelope(snapshot: &Path, path: &Path) -> Result<u64> {
    let mut input = File::open(snapshot)?;
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    out.write_all(br#"{"terminalStatus":"completed","snapshotJsonl":""#)?;
    let mut chunk = vec![0; 1 << 20];
    let mut escaped = Vec::with_capacity(2 << 20);
    loop {
        let n = input.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        escaped.clear();
        for &b in &chunk[..n] {
            escape_into(b, &mut escaped);
        }
        out.write_all(&escaped)?;
    }
    out.write_all(br#"","runId":1}"#)?;
    let file = out.into_inner()?;
    file.sync_all()?;
    Ok(file.metadata()?.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_have_the_exact_size_and_are_utf8() {
        let dir = std::env::temp_dir().join(format!("snapshot-bench-data-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for size in [1, 8, 9, 300, 1300, 633_000] {
            let p = dir.join(format!("{size}.jsonl"));
            write_snapshot(&p, size).unwrap();
            let bytes = std::fs::read(&p).unwrap();
            assert_eq!(bytes.len() as u64, size);
            let text = std::str::from_utf8(&bytes).unwrap();
            // The envelope decodes back to the snapshot: the escaping is right.
            let env = dir.join(format!("{size}.json"));
            write_envelope(&p, &env).unwrap();
            let body = std::fs::read_to_string(&env).unwrap();
            let inner = body
                .strip_prefix(r#"{"terminalStatus":"completed","snapshotJsonl":""#)
                .and_then(|s| s.strip_suffix(r#"","runId":1}"#))
                .unwrap();
            let unescaped = inner.replace("\\n", "\n").replace("\\\"", "\"");
            assert_eq!(unescaped, text);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
