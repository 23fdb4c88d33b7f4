//! Snapshot versions: the sidecar recording which version a session file
//! holds, the validators sent from it, and the body digest a gateway may send.
//!
//! The sidecar, `.<name>.snapshot-version`, is a few lines of text:
//!
//! ```text
//! transcript-snapshot version 1
//! size 242
//! modified 1764590000.123456789
//! etag "sha256-…"
//! ```
//!
//! `size` and `modified` are the session file's when it held exactly that
//! version. Anything else (a torn write, a hand edit, a newer format) parses
//! as no sidecar, which only costs a full download.

use crate::staging::Time;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use base64::Engine as _;
use sha2::{Digest as _, Sha256};

const MAGIC: &str = "transcript-snapshot version 1";

/// Longest `etag` recorded; a longer one is not kept (and not echoed).
pub const MAX_ETAG_LEN: usize = 512;

/// The sidecar's name beside the session file `file_name`.
pub fn sidecar_name(file_name: &str) -> String {
    format!(".{file_name}.snapshot-version")
}

/// The session file as a stat saw it: what a sidecar ties its version to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub size: u64,
    pub modified: Time,
}

/// Which version a session file held, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sidecar {
    pub etag: String,
    pub stamp: Stamp,
}

impl Sidecar {
    pub fn encode(&self) -> String {
        let Stamp { size, modified } = self.stamp;
        format!(
            "{MAGIC}\nsize {size}\nmodified {}.{:09}\netag {}\n",
            modified.seconds, modified.nanoseconds, self.etag
        )
    }

    /// The sidecar in `bytes`, or `None` for anything not exactly that format.
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        let text = core::str::from_utf8(bytes).ok()?;
        let mut lines = text.strip_suffix('\n')?.split('\n');
        if lines.next()? != MAGIC {
            return None;
        }
        let size = number(lines.next()?.strip_prefix("size ")?)?;
        let (seconds, nanos) = lines.next()?.strip_prefix("modified ")?.split_once('.')?;
        let nanoseconds = u32::try_from(number(nanos)?).ok()?;
        if nanos.len() != 9 || nanoseconds >= 1_000_000_000 {
            return None;
        }
        let etag = usable_etag(lines.next()?.strip_prefix("etag ")?.as_bytes())?;
        if lines.next().is_some() {
            return None;
        }
        Some(Self {
            etag,
            stamp: Stamp {
                size,
                modified: Time {
                    seconds: number(seconds)?,
                    nanoseconds,
                },
            },
        })
    }
}

fn number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// An `etag` header value worth recording: non-empty, at most
/// [`MAX_ETAG_LEN`] bytes, visible ASCII only, so it can be sent back as a
/// header and stored as one line. Its contents are never interpreted.
pub fn usable_etag(value: &[u8]) -> Option<String> {
    let ok = !value.is_empty()
        && value.len() <= MAX_ETAG_LEN
        && value.iter().all(|b| (0x21..=0x7e).contains(b));
    ok.then(|| String::from_utf8_lossy(value).to_string())
}

/// Whether `etag` can serve `if-match`, which compares strongly (RFC 9110
/// 13.1.1): a weak one never matches, so sending it would report a false fork.
pub fn can_match(etag: &str) -> bool {
    !etag.starts_with("W/")
}

/// The run id in an `x-snapshot-run-id` header.
pub fn run_id(value: &[u8]) -> Option<u64> {
    number(core::str::from_utf8(value).ok()?)
}

/// A body digest the gateway announced, to check the body against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// No `sha-256` member in any digest field.
    Nothing,
    /// The body's SHA-256 must be this.
    Sha256([u8; 32]),
    /// A `sha-256` member that is not a 32-byte base64 value: the body
    /// cannot be shown to be what the gateway meant to send.
    Malformed,
}

/// The `sha-256` digest announced by `repr-digest` and `content-digest`
/// field values (RFC 9530 dictionaries, `sha-256=:<base64>:`). Other
/// algorithms are ignored. Two different `sha-256` values are malformed.
pub fn expected_sha256(values: &[Vec<u8>]) -> Expected {
    let mut found = Expected::Nothing;
    for member in values.iter().flat_map(|v| v.split(|&b| b == b',')) {
        let member = trim(member);
        let Some(rest) = member.strip_prefix(b"sha-256=") else {
            continue;
        };
        let value = rest.split(|&b| b == b';').next().unwrap_or(rest);
        let this = decode_sha256(trim(value)).map_or(Expected::Malformed, Expected::Sha256);
        found = match (found, this) {
            (Expected::Nothing, this) => this,
            (a, b) if a == b => a,
            _ => Expected::Malformed,
        };
    }
    found
}

fn decode_sha256(value: &[u8]) -> Option<[u8; 32]> {
    let b64 = value.strip_prefix(b":")?.strip_suffix(b":")?;
    let mut out = [0u8; 32];
    let n = base64::engine::general_purpose::STANDARD
        .decode_slice(b64, &mut out)
        .ok()?;
    (n == 32).then_some(out)
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// SHA-256 over a body as it streams by, when a digest is to be checked.
pub struct BodyHash(Option<(Sha256, [u8; 32])>);

impl BodyHash {
    pub fn new(expected: Expected) -> Result<Self, DigestMismatch> {
        match expected {
            Expected::Nothing => Ok(Self(None)),
            Expected::Sha256(want) => Ok(Self(Some((Sha256::new(), want)))),
            Expected::Malformed => Err(DigestMismatch),
        }
    }

    pub fn update(&mut self, chunk: &[u8]) {
        if let Some((hash, _)) = &mut self.0 {
            hash.update(chunk);
        }
    }

    /// Whether the whole body was what the gateway announced.
    pub fn check(self) -> Result<(), DigestMismatch> {
        match self.0 {
            Some((hash, want)) => match hash.finalize().as_slice() == want {
                true => Ok(()),
                false => Err(DigestMismatch),
            },
            None => Ok(()),
        }
    }
}

/// The body is not the one its digest names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestMismatch;

#[cfg(test)]
mod tests;
