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
mod tests;
