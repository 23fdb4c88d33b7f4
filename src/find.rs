//! Substring search for the component's few short texts (error details,
//! URLs). core's `str::find(&str)` brings its two-way searcher, ~2 KiB of
//! code the component's size budget would rather spend on speed; on texts of
//! a few hundred bytes a plain scan is as fast.

/// Byte offset of the first `needle` in `haystack`.
pub fn find(haystack: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
}

pub fn contains(haystack: &str, needle: &str) -> bool {
    find(haystack, needle).is_some()
}

/// `haystack` with every `needle` (non-empty) replaced by `with`.
pub fn replace(haystack: &str, needle: &str, with: &str) -> alloc::string::String {
    let mut out = alloc::string::String::with_capacity(haystack.len());
    let mut rest = haystack;
    while let Some(i) = find(rest, needle).filter(|_| !needle.is_empty()) {
        out.push_str(&rest[..i]);
        out.push_str(with);
        rest = &rest[i + needle.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn agrees_with_core(h in "[ab\u{e9}]{0,12}", n in "[ab\u{e9}]{0,3}") {
            prop_assert_eq!(find(&h, &n), h.find(n.as_str()));
            if !n.is_empty() {
                prop_assert_eq!(replace(&h, &n, "*"), h.replace(n.as_str(), "*"));
            }
        }
    }
}
