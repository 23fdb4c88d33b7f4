//! Snapshot versions as plain HTTP validators (RFC 9110 §8.8, §13.1).
//!
//! A version is the SHA-256 of a snapshot's UTF-8 bytes. It is stored as
//! standard base64 (`snapshot_sha256`) and shown as the strong entity tag
//! `"sha256-<base64>"` and as `repr-digest: sha-256=:<base64>:` (RFC 9530).
//! Clients treat the entity tag as opaque.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// The SHA-256 of one snapshot's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SnapshotDigest([u8; 32]);

impl SnapshotDigest {
    pub fn of(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    /// A stored value; `None` unless it is base64 of exactly 32 bytes, so a
    /// damaged cell is recomputed rather than sent.
    pub fn from_base64(stored: &str) -> Option<Self> {
        let bytes = STANDARD.decode(stored).ok()?;
        <[u8; 32]>::try_from(bytes).ok().map(Self)
    }

    /// What the `snapshot_sha256` column holds.
    pub fn to_base64(self) -> String {
        STANDARD.encode(self.0)
    }

    /// The entity tag without its quotes: what If-Match/If-None-Match compare.
    pub fn opaque_tag(self) -> String {
        format!("sha256-{}", self.to_base64())
    }

    /// The `etag` header value (quoted, strong).
    pub fn etag(self) -> String {
        format!("\"{}\"", self.opaque_tag())
    }

    /// The `repr-digest` header value (RFC 9530).
    pub fn repr_digest(self) -> String {
        format!("sha-256=:{}:", self.to_base64())
    }
}

/// One element of an If-Match / If-None-Match list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntityTag {
    pub weak: bool,
    /// Between the quotes.
    pub opaque: String,
}

/// A parsed If-Match or If-None-Match field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TagList {
    /// `*`: any current representation.
    Any,
    Tags(Vec<EntityTag>),
    /// Not `*` nor a list of entity tags. Never matches anything.
    Malformed,
}

impl TagList {
    /// Parses every line of the field, joined as one list (RFC 9110 §5.3).
    /// `None` when the field is absent.
    pub fn from_lines<'a>(mut lines: impl Iterator<Item = &'a [u8]>) -> Option<Self> {
        let first = lines.next()?;
        let mut joined = first.to_vec();
        for line in lines {
            joined.push(b',');
            joined.extend_from_slice(line);
        }
        Some(Self::parse(&joined))
    }

    fn parse(field: &[u8]) -> Self {
        let Ok(field) = std::str::from_utf8(field) else {
            return Self::Malformed;
        };
        if field.trim_matches(is_ows) == "*" {
            return Self::Any;
        }
        let mut tags = Vec::new();
        let mut rest = field;
        loop {
            rest = rest.trim_start_matches(|c| is_ows(c) || c == ',');
            if rest.is_empty() {
                break;
            }
            let (weak, after_weak) = match rest.strip_prefix("W/") {
                Some(tail) => (true, tail),
                None => (false, rest),
            };
            let Some(quoted) = after_weak.strip_prefix('"') else {
                return Self::Malformed;
            };
            let Some(end) = quoted.find('"') else {
                return Self::Malformed;
            };
            let opaque = &quoted[..end];
            if !opaque.bytes().all(is_etagc) {
                return Self::Malformed;
            }
            tags.push(EntityTag {
                weak,
                opaque: opaque.to_owned(),
            });
            rest = quoted[end + 1..].trim_start_matches(is_ows);
            if !(rest.is_empty() || rest.starts_with(',')) {
                return Self::Malformed;
            }
        }
        if tags.is_empty() {
            return Self::Malformed;
        }
        Self::Tags(tags)
    }

    /// If-Match (§13.1.1): strong comparison; `*` needs a current version;
    /// a malformed field fails, so a garbled precondition never lets a write
    /// through.
    pub fn if_match_passes(&self, current: Option<SnapshotDigest>) -> bool {
        let Some(current) = current else {
            return false;
        };
        match self {
            Self::Any => true,
            Self::Tags(tags) => {
                let opaque = current.opaque_tag();
                tags.iter().any(|t| !t.weak && t.opaque == opaque)
            }
            Self::Malformed => false,
        }
    }

    /// If-None-Match (§13.1.2): weak comparison; `*` fails when a current
    /// version exists. Callers ignore a malformed field, so it passes.
    pub fn if_none_match_passes(&self, current: Option<SnapshotDigest>) -> bool {
        let Some(current) = current else {
            return true;
        };
        match self {
            Self::Any => false,
            Self::Tags(tags) => {
                let opaque = current.opaque_tag();
                !tags.iter().any(|t| t.opaque == opaque)
            }
            Self::Malformed => true,
        }
    }
}

/// The preconditions of a write. Absent fields impose nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WritePreconditions {
    pub if_match: Option<TagList>,
    pub if_none_match: Option<TagList>,
}

impl WritePreconditions {
    pub fn is_empty(&self) -> bool {
        self.if_match.is_none() && self.if_none_match.is_none()
    }

    /// §13.2.2's order: If-Match first, then If-None-Match.
    pub fn pass(&self, current: Option<SnapshotDigest>) -> bool {
        let if_match = self
            .if_match
            .as_ref()
            .is_none_or(|tags| tags.if_match_passes(current));
        if_match
            && self
                .if_none_match
                .as_ref()
                .is_none_or(|tags| tags.if_none_match_passes(current))
    }
}

fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// etagc = %x21 / %x23-7E / obs-text
fn is_etagc(b: u8) -> bool {
    b == 0x21 || (0x23..=0x7e).contains(&b) || b >= 0x80
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(field: &str) -> TagList {
        TagList::parse(field.as_bytes())
    }

    #[test]
    fn digest_formats() {
        let d = SnapshotDigest::of(b"");
        let b64 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
        assert_eq!(d.to_base64(), b64);
        assert_eq!(d.etag(), format!("\"sha256-{b64}\""));
        assert_eq!(d.repr_digest(), format!("sha-256=:{b64}:"));
        assert_eq!(SnapshotDigest::from_base64(b64), Some(d));
        assert_eq!(SnapshotDigest::from_base64("AAAA"), None);
        assert_eq!(SnapshotDigest::from_base64("not base64!"), None);
    }

    #[test]
    fn parses_lists() {
        assert_eq!(list(" * "), TagList::Any);
        let parsed = list("W/\"a\", \"b,c\" ,,\"\"");
        let TagList::Tags(tags) = parsed else {
            panic!("{parsed:?}")
        };
        let got: Vec<_> = tags.iter().map(|t| (t.weak, t.opaque.as_str())).collect();
        assert_eq!(got, [(true, "a"), (false, "b,c"), (false, "")]);
        for bad in ["", " , ", "abc", "\"a", "\"a\" b", "*, \"a\"", "\"a b\""] {
            assert_eq!(list(bad), TagList::Malformed, "{bad:?}");
        }
        let joined = TagList::from_lines([&b"\"a\""[..], b"\"b\""].into_iter());
        assert!(matches!(joined, Some(TagList::Tags(t)) if t.len() == 2));
        assert_eq!(TagList::from_lines(std::iter::empty()), None);
    }

    #[test]
    fn comparisons() {
        let d = SnapshotDigest::of(b"x");
        let strong = list(&d.etag());
        let weak = list(&format!("W/{}", d.etag()));
        let other = list("\"sha256-other\"");
        assert!(strong.if_match_passes(Some(d)));
        assert!(!weak.if_match_passes(Some(d)), "If-Match compares strongly");
        assert!(!other.if_match_passes(Some(d)));
        assert!(!strong.if_match_passes(None), "no current version");
        assert!(TagList::Any.if_match_passes(Some(d)));
        assert!(!TagList::Any.if_match_passes(None));
        assert!(!TagList::Malformed.if_match_passes(Some(d)));

        assert!(!strong.if_none_match_passes(Some(d)));
        assert!(!weak.if_none_match_passes(Some(d)), "weak comparison");
        assert!(other.if_none_match_passes(Some(d)));
        assert!(strong.if_none_match_passes(None));
        assert!(!TagList::Any.if_none_match_passes(Some(d)));
        assert!(TagList::Any.if_none_match_passes(None));

        let none = WritePreconditions::default();
        assert!(none.is_empty() && none.pass(None) && none.pass(Some(d)));
        let only_new = WritePreconditions {
            if_match: None,
            if_none_match: Some(TagList::Any),
        };
        assert!(only_new.pass(None) && !only_new.pass(Some(d)));
    }
}
