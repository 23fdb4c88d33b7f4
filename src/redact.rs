//! Last line of defence for "the token never appears in any text": every
//! string leaving the component passes through here.

use crate::find;
use crate::types::{Error, Failure};
use alloc::string::String;

/// The same mark the hosts write when they redact their own texts, so a
/// reader sees one sign for "a secret was here" whichever layer removed it.
const MASK: &str = "[redacted]";

/// Secrets shorter than this are not masked: a 3-letter token would garble
/// every message that happens to contain those letters. Real tokens (JWTs,
/// encrypted envelopes) are far longer.
pub const MIN_MASKED_LEN: usize = 8;

/// `text` with every occurrence of each secret of at least
/// [`MIN_MASKED_LEN`] characters replaced.
pub fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = String::from(text);
    for s in secrets.iter().filter(|s| s.len() >= MIN_MASKED_LEN) {
        if find::contains(&out, s) {
            out = find::replace(&out, s, MASK);
        }
    }
    out
}

/// `e` with every secret scrubbed from its texts.
pub fn error(e: Error, secrets: &[&str]) -> Error {
    match e {
        Error::InvalidInput(m) => Error::InvalidInput(scrub(&m, secrets)),
        Error::NotPreopened(p) => Error::NotPreopened(scrub(&p, secrets)),
        Error::Transport(mut t) => {
            t.detail = scrub(&t.detail, secrets);
            Error::Transport(t)
        }
        Error::Filesystem(mut f) => {
            f.operation = scrub(&f.operation, secrets);
            f.code = scrub(&f.code, secrets);
            Error::Filesystem(f)
        }
        other => other,
    }
}

/// `f` with every secret scrubbed from its error's texts.
pub fn failure(f: Failure, secrets: &[&str]) -> Failure {
    Failure {
        error: error(f.error, secrets),
        attempts: f.attempts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_every_occurrence() {
        assert_eq!(
            scrub("a secret-1 b secret-1", &["secret-1"]),
            "a [redacted] b [redacted]"
        );
        assert_eq!(scrub("nothing", &["", "zz"]), "nothing");
        // Too short to mask without garbling the message.
        assert_eq!(scrub("session file path", &["t"]), "session file path");
    }

    #[test]
    fn scrubs_every_text_of_an_error() {
        use crate::types::{TransportError, TransportKind};
        let e = Error::Transport(TransportError {
            kind: TransportKind::Other,
            detail: "internal-error: Bearer tok-12345".into(),
        });
        let Error::Transport(t) = error(e, &["tok-12345"]) else {
            panic!()
        };
        assert_eq!(t.detail, "internal-error: Bearer [redacted]");
        assert_eq!(
            error(Error::NotPreopened("/tok-12345/s".into()), &["tok-12345"]),
            Error::NotPreopened("/[redacted]/s".into())
        );
    }
}
