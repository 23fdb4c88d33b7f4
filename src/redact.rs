//! Last line of defence for "the token never appears in any text": every
//! string leaving the component passes through here.

use crate::types::{Error, Failure};
use alloc::string::String;

const MASK: &str = "[redacted]";

/// `text` with every occurrence of each non-empty secret replaced.
pub fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = String::from(text);
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        if out.contains(*s) {
            out = out.replace(*s, MASK);
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
        assert_eq!(scrub("a tok b tok", &["tok"]), "a [redacted] b [redacted]");
        assert_eq!(scrub("nothing", &["", "zz"]), "nothing");
    }

    #[test]
    fn scrubs_every_text_of_an_error() {
        use crate::types::{TransportError, TransportKind};
        let e = Error::Transport(TransportError {
            kind: TransportKind::Other,
            detail: "InternalError(Some(\"Bearer tok\"))".into(),
        });
        let Error::Transport(t) = error(e, &["tok"]) else {
            panic!()
        };
        assert_eq!(t.detail, "InternalError(Some(\"Bearer [redacted]\"))");
        assert_eq!(
            error(Error::NotPreopened("/tok/s".into()), &["tok"]),
            Error::NotPreopened("/[redacted]/s".into())
        );
    }
}
