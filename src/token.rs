//! Checks a bearer token before it goes into a header. Messages name the
//! argument and the rule, never the token.

use alloc::format;
use alloc::string::String;

/// `name` is how the caller refers to the token (e.g. `gateway token`).
pub fn check(token: &str, name: &str) -> Result<(), String> {
    if token.is_empty() {
        return Err(format!("{name} is empty"));
    }
    if token.chars().any(char::is_control) {
        return Err(format!(
            "{name} contains a control character (CR, LF, NUL or similar)"
        ));
    }
    if token.starts_with(char::is_whitespace) || token.ends_with(char::is_whitespace) {
        return Err(format!("{name} has leading or trailing whitespace"));
    }
    Ok(())
}

/// The `authorization` header value for a checked token.
pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_opaque_tokens() {
        assert!(check("test-jwt", "token").is_ok());
        assert!(check("a.b.c+/=~ with inner space", "token").is_ok());
        assert_eq!(bearer("abc"), "Bearer abc");
    }

    #[test]
    fn rejects_without_quoting() {
        for bad in [
            "",
            "sec\rret",
            "sec\nret",
            "sec\0ret",
            "secret\u{7f}",
            " secret",
            "secret\t",
        ] {
            let e = check(bad, "gateway token").unwrap_err();
            assert!(e.starts_with("gateway token"), "{e}");
            assert!(bad.is_empty() || !e.contains("sec"), "{e}");
        }
    }
}
