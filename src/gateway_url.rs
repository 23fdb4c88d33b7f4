//! Checks a gateway base URL and joins the snapshot endpoint onto it.
//!
//! Deliberately small: an `http(s)://host[:port][/prefix]` URL is all the
//! contract allows, and a full URL parser (with IDNA tables) would triple the
//! component's size. Messages never echo the URL, which could carry secrets.

use alloc::string::{String, ToString};

/// The path every call goes to, below the gateway's own prefix.
pub const SNAPSHOT_PATH: &str = "/worker/transcript/snapshot";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

/// Where a request goes, in the pieces wasi:http asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub scheme: Scheme,
    /// `host[:port]`, as given.
    pub authority: String,
    /// The prefix joined with [`SNAPSHOT_PATH`], never with `//` at the seam.
    pub path: String,
}

fn check_host(host: &str) -> Result<(), &'static str> {
    if host.is_empty() {
        return Err("gateway URL has no host");
    }
    if let Some(inner) = host.strip_prefix('[') {
        let Some(addr) = inner.strip_suffix(']') else {
            return Err("gateway URL has an unclosed IPv6 address");
        };
        if addr.is_empty()
            || !addr
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return Err("gateway URL has an invalid IPv6 address");
        }
        return Ok(());
    }
    if host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~'))
    {
        Ok(())
    } else {
        Err("gateway URL host has characters outside letters, digits, '-', '.', '_' and '~'")
    }
}

/// RFC 3986 `pchar` plus `/`: unreserved, sub-delims, ':', '@' and '%'.
fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || (c.is_ascii() && b"-._~!$&'()*+,;=:@%/".contains(&(c as u8)))
}

fn check_port(port: &str) -> Result<(), &'static str> {
    match port.parse::<u16>() {
        Ok(p) if p > 0 && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
        _ => Err("gateway URL port must be a number from 1 to 65535"),
    }
}

fn check_authority(authority: &str) -> Result<(), &'static str> {
    if authority.as_bytes().contains(&b'@') {
        return Err("gateway URL must not contain user-info; credentials belong in the token");
    }
    // A port follows the last ':' unless that ':' is inside an IPv6 literal.
    let (host, port) = match authority.rfind(':') {
        Some(i) if !authority.as_bytes()[i..].contains(&b']') => {
            (&authority[..i], Some(&authority[i + 1..]))
        }
        _ => (authority, None),
    };
    check_host(host)?;
    port.map_or(Ok(()), check_port)
}

/// Validates `base` and returns the snapshot endpoint below it.
pub fn endpoint(base: &str) -> Result<Endpoint, String> {
    parse(base).map_err(ToString::to_string)
}

fn parse(base: &str) -> Result<Endpoint, &'static str> {
    if base.is_empty() {
        return Err("gateway URL is empty");
    }
    if base.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("gateway URL contains whitespace or control characters");
    }
    if !base.is_ascii() {
        return Err("gateway URL must be ASCII (percent-encode the path)");
    }
    let (scheme, rest) = crate::find::find(base, "://")
        .map(|i| (&base[..i], &base[i + 3..]))
        .ok_or("gateway URL must start with http:// or https://")?;
    let scheme = if scheme.eq_ignore_ascii_case("http") {
        Scheme::Http
    } else if scheme.eq_ignore_ascii_case("https") {
        Scheme::Https
    } else {
        return Err("gateway URL must start with http:// or https://");
    };
    if rest.contains(['?', '#']) {
        return Err("gateway URL must not have a query or fragment");
    }
    let (authority, prefix) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
    check_authority(authority)?;
    if !prefix.chars().all(is_path_char) {
        return Err("gateway URL path has characters that must be percent-encoded");
    }
    let prefix = prefix.trim_end_matches('/');
    let mut path = String::with_capacity(prefix.len() + SNAPSHOT_PATH.len());
    path.push_str(prefix);
    path.push_str(SNAPSHOT_PATH);
    Ok(Endpoint {
        scheme,
        authority: authority.to_string(),
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ok(base: &str) -> Endpoint {
        endpoint(base).unwrap_or_else(|e| panic!("{base}: {e}"))
    }

    #[test]
    fn joins_without_double_slash() {
        for (base, path) in [
            ("http://gw.test", "/worker/transcript/snapshot"),
            ("http://gw.test/", "/worker/transcript/snapshot"),
            ("http://gw.test/lobu", "/lobu/worker/transcript/snapshot"),
            ("http://gw.test/lobu/", "/lobu/worker/transcript/snapshot"),
            ("http://gw.test/a/b//", "/a/b/worker/transcript/snapshot"),
        ] {
            assert_eq!(ok(base).path, path, "{base}");
        }
    }

    #[test]
    fn keeps_scheme_and_authority() {
        let e = ok("HTTPS://127.0.0.1:8787/lobu");
        assert_eq!(e.scheme, Scheme::Https);
        assert_eq!(e.authority, "127.0.0.1:8787");
        assert_eq!(ok("http://[::1]:9/").authority, "[::1]:9");
        assert_eq!(ok("http://[::1]").authority, "[::1]");
        assert_eq!(ok("http://gateway.svc.cluster.local").scheme, Scheme::Http);
    }

    #[test]
    fn rejects_bad_urls_with_a_reason() {
        for (base, why) in [
            ("", "empty"),
            ("gw.test", "http:// or https://"),
            ("ftp://gw.test", "http:// or https://"),
            ("http://", "no host"),
            ("http:///lobu", "no host"),
            ("http://user:pw@gw.test", "user-info"),
            ("http://gw.test?x=1", "query"),
            ("http://gw.test/#f", "fragment"),
            ("http://gw.test:0", "port"),
            ("http://gw.test:65536", "port"),
            ("http://gw.test:", "port"),
            ("http://gw.test:+80", "port"),
            ("http://gw test", "whitespace"),
            ("http://gw.test/\r\nx", "control"),
            ("http://gw.tést", "ASCII"),
            ("http://[::1", "IPv6"),
            ("http://gw/test\\x", "percent-encoded"),
            ("http://gw/a b", "whitespace"),
        ] {
            match endpoint(base) {
                Err(e) => assert!(e.contains(why), "{base}: {e}"),
                Ok(e) => panic!("{base} accepted as {e:?}"),
            }
        }
    }

    #[test]
    fn never_echoes_the_url() {
        let e = endpoint("http://alice:s3cret@gw.test").unwrap_err();
        assert!(!e.contains("s3cret") && !e.contains("alice"));
    }

    proptest! {
        /// Any input: no panic; an accepted URL yields a path that ends in the
        /// endpoint, starts with '/', and has no '//' at the seam.
        #[test]
        fn total_and_well_formed(base in ".{0,40}", prefix in "(https?://)?") {
            let input = alloc::format!("{prefix}{base}");
            if let Ok(e) = endpoint(&input) {
                prop_assert!(e.path.starts_with('/'));
                prop_assert!(e.path.ends_with(SNAPSHOT_PATH));
                prop_assert!(!e.path.contains("//worker/transcript"));
                prop_assert!(!e.authority.is_empty());
            }
        }
    }
}
