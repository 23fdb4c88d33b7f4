//! A small, strict JSON reader for the two JSON inputs the component reads:
//! a job payload's `runId`/`runJobToken` and a clear's `{"deleted": n}`.
//!
//! Why not serde_json: its error and float formatting alone made up a third
//! of the component. This reader takes one object, keeps its top-level string
//! and number members, and skips everything else without building it. It is
//! tested against serde_json as the oracle (see the property tests).

use alloc::string::String;
use alloc::vec::Vec;

/// serde_json's limit too: deeper nesting is refused rather than risking the stack.
const MAX_DEPTH: usize = 128;

/// A top-level member's value, as far as the component cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value<'a> {
    Str(String),
    /// A number, as written (already checked against the JSON grammar).
    Num(&'a str),
    /// Anything else: `true`, `false`, `null`, an array or an object.
    Other,
}

/// Why a text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonError {
    /// Not JSON at all; the byte offset where reading stopped.
    Syntax(usize),
    /// Valid JSON, but not an object.
    NotObject,
}

struct Reader<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn fail<T>(&self) -> Result<T, JsonError> {
        Err(JsonError::Syntax(self.pos))
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Result<(), JsonError> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            self.fail()
        }
    }

    fn literal(&mut self, word: &str) -> Result<(), JsonError> {
        if self.text[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            self.fail()
        }
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .ok_or(JsonError::Syntax(self.pos))?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return self.fail();
        }
        self.pos += 4;
        u32::from_str_radix(digits, 16).map_err(|_| JsonError::Syntax(self.pos))
    }

    /// A string, decoded. `out` is `None` when the value is only skipped.
    fn string(&mut self, mut out: Option<&mut String>) -> Result<(), JsonError> {
        self.eat(b'"')?;
        loop {
            let start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            if let Some(o) = out.as_deref_mut() {
                o.push_str(&self.text[start..self.pos]);
            }
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => self.pos += 1,
                _ => return self.fail(),
            }
            let c = match self.peek() {
                Some(b'"') => '"',
                Some(b'\\') => '\\',
                Some(b'/') => '/',
                Some(b'b') => '\u{8}',
                Some(b'f') => '\u{c}',
                Some(b'n') => '\n',
                Some(b'r') => '\r',
                Some(b't') => '\t',
                Some(b'u') => {
                    self.pos += 1;
                    let hi = self.hex4()?;
                    let code = match hi {
                        0xD800..=0xDBFF => {
                            self.literal("\\u")?;
                            let lo = self.hex4()?;
                            if !(0xDC00..=0xDFFF).contains(&lo) {
                                return self.fail();
                            }
                            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                        }
                        0xDC00..=0xDFFF => return self.fail(),
                        _ => hi,
                    };
                    let c = char::from_u32(code).ok_or(JsonError::Syntax(self.pos))?;
                    if let Some(o) = out.as_deref_mut() {
                        o.push(c);
                    }
                    continue;
                }
                _ => return self.fail(),
            };
            self.pos += 1;
            if let Some(o) = out.as_deref_mut() {
                o.push(c);
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// A number's text: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Result<&'a str, JsonError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return self.fail(),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return self.fail();
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return self.fail();
            }
        }
        Ok(&self.text[start..self.pos])
    }

    /// Any value; containers are skipped member by member.
    fn value(&mut self, depth: usize) -> Result<Value<'a>, JsonError> {
        self.ws();
        match self.peek() {
            Some(b'"') => {
                let mut s = String::new();
                self.string(Some(&mut s))?;
                Ok(Value::Str(s))
            }
            Some(b'-' | b'0'..=b'9') => self.number().map(Value::Num),
            Some(b't') => self.literal("true").map(|()| Value::Other),
            Some(b'f') => self.literal("false").map(|()| Value::Other),
            Some(b'n') => self.literal("null").map(|()| Value::Other),
            Some(b'[' | b'{') if depth >= MAX_DEPTH => self.fail(),
            Some(b'[') => {
                self.pos += 1;
                self.ws();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(Value::Other);
                }
                loop {
                    self.value(depth + 1)?;
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Value::Other);
                        }
                        _ => return self.fail(),
                    }
                }
            }
            Some(b'{') => {
                self.members(depth + 1, &mut |_, _| {})?;
                Ok(Value::Other)
            }
            _ => self.fail(),
        }
    }

    /// An object, handing each member to `each`.
    fn members(
        &mut self,
        depth: usize,
        each: &mut dyn FnMut(String, Value<'a>),
    ) -> Result<(), JsonError> {
        self.eat(b'{')?;
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.ws();
            let mut key = String::new();
            self.string(Some(&mut key))?;
            self.ws();
            self.eat(b':')?;
            let value = self.value(depth)?;
            each(key, value);
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return self.fail(),
            }
        }
    }
}

/// The top-level members of `text`, which must be exactly one JSON object.
/// Nested values are validated and skipped (they come back as `Other`).
pub fn object(text: &str) -> Result<Vec<(String, Value<'_>)>, JsonError> {
    let mut r = Reader { text, pos: 0 };
    r.ws();
    let mut out = Vec::new();
    if r.peek() == Some(b'{') {
        r.members(1, &mut |k, v| out.push((k, v)))?;
    } else {
        // Tell "valid but not an object" from "not JSON".
        r.value(0)?;
        r.ws();
        return if r.pos == text.len() {
            Err(JsonError::NotObject)
        } else {
            r.fail()
        };
    }
    r.ws();
    if r.pos != text.len() {
        return r.fail();
    }
    Ok(out)
}

/// The last value given for `key` (as `JSON.parse` keeps the last of duplicates).
pub fn last<'m, 'a>(members: &'m [(String, Value<'a>)], key: &str) -> Option<&'m Value<'a>> {
    members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// The value of a number's text when it is a whole number from 0 to `max`,
/// computed exactly in decimal (`42`, `42.0`, `4.2e1` and `4200e-2` are 42).
pub fn whole_number(text: &str, max: u64) -> Option<u64> {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (mantissa, exp) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], unsigned[i + 1..].parse::<i64>().ok()?),
        None => (unsigned, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: String = int.chars().chain(frac.chars()).collect();
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Some(0); // -0 is 0 too
    }
    if text.starts_with('-') {
        return None;
    }
    // value = digits * 10^shift
    let shift = exp.checked_sub(frac.len() as i64)?;
    let whole = if shift < 0 {
        let cut = digits.len().checked_sub(usize::try_from(-shift).ok()?)?;
        let (keep, dropped) = digits.split_at(cut);
        if !dropped.bytes().all(|b| b == b'0') {
            return None;
        }
        if keep.is_empty() {
            return None;
        }
        keep.parse::<u64>().ok()?
    } else {
        if digits.len() as i64 + shift > 20 {
            return None;
        }
        let mut n = digits.parse::<u64>().ok()?;
        for _ in 0..shift {
            n = n.checked_mul(10)?;
        }
        n
    };
    (whole <= max).then_some(whole)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use proptest::prelude::*;

    #[test]
    fn keeps_top_level_strings_and_numbers() {
        let m = object(r#" {"a": "x\"\u00e9\ud83d\ude00", "n": -1.5e3, "o": {"k": [1, {"z": null}]}, "b": true} "#).unwrap();
        assert_eq!(last(&m, "a"), Some(&Value::Str("x\"é😀".to_string())));
        assert_eq!(last(&m, "n"), Some(&Value::Num("-1.5e3")));
        assert_eq!(last(&m, "o"), Some(&Value::Other));
        assert_eq!(last(&m, "b"), Some(&Value::Other));
        assert_eq!(last(&m, "missing"), None);
    }

    #[test]
    fn refuses_what_json_refuses() {
        for bad in [
            "",
            "{",
            "{\"a\" 1}",
            "{\"a\":1,}",
            "{\"a\":01}",
            "{\"a\":1.}",
            "{\"a\":.5}",
            "{\"a\":\"\\x\"}",
            "{\"a\":\"\\ud800\"}",
            "{\"a\":\"\\udc00\"}",
            "{\"a\":\"tab\there\"}",
            "{} x",
            "{\"a\":tru}",
            "{'a':1}",
        ] {
            assert!(matches!(object(bad), Err(JsonError::Syntax(_))), "{bad:?}");
        }
        for not_object in ["[1]", "1", "\"s\"", "null", " true "] {
            assert_eq!(
                object(not_object),
                Err(JsonError::NotObject),
                "{not_object:?}"
            );
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(object(&alloc::format!("{{\"a\":{deep}}}")).is_err());
    }

    #[test]
    fn whole_numbers_exactly() {
        let max = (1 << 53) - 1;
        for (text, want) in [
            ("42", Some(42)),
            ("42.0", Some(42)),
            ("4.2e1", Some(42)),
            ("4200e-2", Some(42)),
            ("1e3", Some(1000)),
            ("1.5", None),
            ("-1", None),
            ("0", Some(0)),
            ("-0", Some(0)),
            ("9007199254740991", Some(max)),
            ("9007199254740992", None),
            ("1e300", None),
            ("1e-300", None),
            ("12e-1", None),
            ("0.0", Some(0)),
        ] {
            assert_eq!(whole_number(text, max), want, "{text}");
        }
    }

    fn oracle(text: &str) -> Option<Result<Vec<(String, serde_json::Value)>, bool>> {
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(m)) => Some(Ok(m.into_iter().collect())),
            Ok(_) => Some(Err(true)),
            // serde_json refuses numbers beyond f64; JSON (and JavaScript) does not.
            Err(e) if e.to_string().contains("number out of range") => None,
            Err(_) => Some(Err(false)),
        }
    }

    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(|n| serde_json::json!(n)),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| serde_json::json!(f)),
            any::<String>().prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                proptest::collection::btree_map(any::<String>(), inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// Any JSON object serde_json writes: same top-level strings and numbers.
        #[test]
        fn agrees_with_serde_on_objects(members in proptest::collection::btree_map(any::<String>(), json_value(), 0..5)) {
            let text = serde_json::to_string(&serde_json::Value::Object(members.clone().into_iter().collect())).unwrap();
            let got = object(&text).unwrap();
            prop_assert_eq!(got.len(), members.len());
            for (k, v) in &members {
                match (last(&got, k), v) {
                    (Some(Value::Str(s)), serde_json::Value::String(t)) => prop_assert_eq!(s, t),
                    (Some(Value::Num(n)), serde_json::Value::Number(t)) => prop_assert_eq!(*n, t.to_string()),
                    (Some(Value::Other), other) => prop_assert!(!other.is_string() && !other.is_number()),
                    (got, want) => prop_assert!(false, "{got:?} for {want}"),
                }
            }
        }

        /// Any text at all: accepted, refused, or "not an object" exactly as serde_json decides.
        #[test]
        fn agrees_with_serde_on_any_text(text in "[ {}\\[\\]\":,0-9.eE+\\-a-z\\\\]{0,24}") {
            if let Some(want) = oracle(&text) {
                match (object(&text), want) {
                    (Ok(got), Ok(want)) => {
                        let mut keys: Vec<&String> = got.iter().map(|(k, _)| k).collect();
                        keys.sort();
                        keys.dedup();
                        prop_assert_eq!(keys.len(), want.len());
                    }
                    (Err(JsonError::NotObject), Err(true)) | (Err(JsonError::Syntax(_)), Err(false)) => {}
                    (got, want) => prop_assert!(false, "{text:?}: {got:?} vs {want:?}"),
                }
            }
        }
    }
}
