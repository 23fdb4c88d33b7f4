use super::*;
use crate::test_support::cut;
use proptest::prelude::*;

fn escape_chunks(chunks: &[&[u8]]) -> Result<Vec<u8>, InvalidUtf8> {
    let mut e = JsonEscaper::new();
    let mut out = Vec::new();
    for c in chunks {
        e.push(c, &mut out)?;
    }
    e.finish()?;
    Ok(out)
}

fn serde_inner(s: &str) -> Vec<u8> {
    let quoted = serde_json::to_string(s).unwrap();
    quoted.as_bytes()[1..quoted.len() - 1].to_vec()
}

#[test]
fn escapes_quotes_backslashes_and_controls_like_serde() {
    let s = "a\"b\\c\nd\re\tf\u{8}g\u{c}h\u{0}i\u{1f}j\u{7f}k";
    assert_eq!(escape_chunks(&[s.as_bytes()]).unwrap(), serde_inner(s));
    assert_eq!(
        escape_chunks(&[b"\x01"]).unwrap(),
        b"\\u0001".to_vec(),
        "controls use lowercase \\u00xx"
    );
}

#[test]
fn non_ascii_passes_through_even_when_split() {
    let s = "é€😀";
    let b = s.as_bytes();
    for cut in 0..=b.len() {
        assert_eq!(
            escape_chunks(&[&b[..cut], &b[cut..]]).unwrap(),
            b.to_vec(),
            "cut at {cut}"
        );
    }
    // One byte at a time.
    let chunks: Vec<&[u8]> = b.chunks(1).collect();
    assert_eq!(escape_chunks(&chunks).unwrap(), b.to_vec());
}

#[test]
fn reports_offset_of_first_invalid_byte() {
    assert_eq!(
        escape_chunks(&[b"ab\xffcd"]),
        Err(InvalidUtf8 { offset: 2 })
    );
    assert_eq!(
        escape_chunks(&[b"abc", b"d\xe2\x82", b"A"]),
        Err(InvalidUtf8 { offset: 4 })
    );
    // Truncated sequence at the very end.
    assert_eq!(
        escape_chunks(&[b"ok", b"\xf0\x9f\x98"]),
        Err(InvalidUtf8 { offset: 2 })
    );
    // Surrogates encoded in UTF-8 are not valid UTF-8.
    assert_eq!(
        escape_chunks(&[b"x\xed", b"\xa0\x80"]),
        Err(InvalidUtf8 { offset: 1 })
    );
}

#[test]
fn counter_measures_exactly_what_the_buffer_gets() {
    let s = "line \"one\"\n\u{2}é";
    let mut e = JsonEscaper::new();
    let mut c = Counter::default();
    e.push(s.as_bytes(), &mut c).unwrap();
    assert_eq!(c.0, serde_inner(s).len() as u64);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The streaming escape equals serde_json's for any string split anywhere.
    #[test]
    fn equals_serde_for_any_split(s in any::<String>(), cuts in proptest::collection::vec(any::<usize>(), 0..8)) {
        let chunks = cut(s.as_bytes(), cuts);
        prop_assert_eq!(escape_chunks(&chunks).unwrap(), serde_inner(&s));
    }

    /// The counter measures what the escape produces, for text long enough
    /// to take whole blocks with escapes anywhere in them, split anywhere.
    #[test]
    fn counter_equals_serde_for_long_text(s in "[\"\\\\\n\t\u{1}\u{1f}a \u{e9}\u{2713}]{0,12}(a{0,40}[\"\n\u{1}é]){0,12}", cuts in proptest::collection::vec(any::<usize>(), 0..8)) {
        let mut e = JsonEscaper::new();
        let mut c = Counter::default();
        for chunk in cut(s.as_bytes(), cuts) {
            e.push(chunk, &mut c).unwrap();
        }
        prop_assert_eq!(c.0, serde_inner(&s).len() as u64);
    }

    /// Dense escapes: every position in an 8-byte word, runs of them,
    /// controls with short and long forms, and characters around them.
    #[test]
    fn equals_serde_when_escapes_are_dense(s in "[\"\\\\\n\t\u{1}\u{1f}a \u{e9}\u{2713}]{0,70}") {
        prop_assert_eq!(escape_chunks(&[s.as_bytes()]).unwrap(), serde_inner(&s));
        let mut c = Counter::default();
        JsonEscaper::new().push(s.as_bytes(), &mut c).unwrap();
        prop_assert_eq!(c.0, serde_inner(&s).len() as u64);
    }

    /// Arbitrary bytes: accepted exactly when they are UTF-8, else the
    /// offset is where std's validator stops.
    #[test]
    fn validates_like_std(bytes in proptest::collection::vec(any::<u8>(), 0..64), cuts in proptest::collection::vec(any::<usize>(), 0..6)) {
        let chunks = cut(&bytes, cuts);
        let got = escape_chunks(&chunks);
        match core::str::from_utf8(&bytes) {
            Ok(s) => prop_assert_eq!(got.unwrap(), serde_inner(s)),
            Err(e) => prop_assert_eq!(got, Err(InvalidUtf8 { offset: e.valid_up_to() as u64 })),
        }
    }
}
