//! Bounded, strict JSON: the only way untrusted JSON enters the core.
//!
//! One pass parses and validates together: nesting depth, members per container, string bytes
//! and total nodes are capped; strings must be valid UTF-8 with no lone surrogate escapes; a
//! member name repeated in one object (compared after unescaping) is an error, because common
//! parsers silently keep the last copy. Numbers keep their exact text so that `NumericDates` can be
//! compared exactly.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

/// Caps for one document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Maximum input bytes.
    pub max_bytes: usize,
    /// Maximum nesting of arrays and objects.
    pub max_depth: usize,
    /// Maximum members of one object or elements of one array.
    pub max_members: usize,
    /// Maximum bytes of one string (after unescaping).
    pub max_string: usize,
    /// Maximum values in the whole document.
    pub max_nodes: usize,
}

impl Limits {
    /// Limits for a JOSE header.
    pub const HEADER: Limits = Limits {
        max_bytes: 1024,
        max_depth: 4,
        max_members: 32,
        max_string: 1024,
        max_nodes: 128,
    };
    /// Limits for a JWT claims set.
    pub const CLAIMS: Limits = Limits {
        max_bytes: 8192,
        max_depth: 8,
        max_members: 256,
        max_string: 4096,
        max_nodes: 1024,
    };
    /// Limits for a JWK set.
    pub const JWKS: Limits = Limits {
        max_bytes: 256 * 1024,
        max_depth: 6,
        max_members: 128,
        max_string: 16 * 1024,
        max_nodes: 8192,
    };
    /// Limits for a policy document.
    pub const POLICY: Limits = Limits {
        max_bytes: 1024 * 1024,
        max_depth: 24,
        max_members: 4096,
        max_string: 64 * 1024,
        max_nodes: 200_000,
    };
}

/// Why a document was refused. Carries no input bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonError {
    /// Input larger than `max_bytes`.
    TooLarge,
    /// Nesting deeper than `max_depth`.
    TooDeep,
    /// A container with more than `max_members`, or more than `max_nodes` values.
    TooMany,
    /// A string longer than `max_string`.
    StringTooLong,
    /// A member name appears twice in one object.
    DuplicateKey,
    /// Anything else: syntax, invalid UTF-8, lone surrogate, trailing data.
    Syntax,
}

impl core::fmt::Display for JsonError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            JsonError::TooLarge => "JSON document too large",
            JsonError::TooDeep => "JSON nested too deeply",
            JsonError::TooMany => "JSON has too many members",
            JsonError::StringTooLong => "JSON string too long",
            JsonError::DuplicateKey => "JSON object has a duplicate member name",
            JsonError::Syntax => "invalid JSON",
        })
    }
}

/// A JSON number, kept as its exact (validated) text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Number(String);

impl Number {
    /// The number for an integer.
    pub fn from_i64(v: i64) -> Number {
        Number(alloc::format!("{v}"))
    }

    /// The number's text as it appeared in the document.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value if it is an integer (no fraction, no exponent) that fits in `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        self.0.parse().ok()
    }

    /// The value as (negative, significant digits, power of ten): equal numbers give equal
    /// triples whatever their spelling (`1`, `1.0`, `10e-1`). `None` if the exponent overflows.
    fn canonical(&self) -> Option<(bool, Vec<u8>, i64)> {
        let s = self.0.as_str();
        let (neg, s) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (mantissa, exp) = split_exponent(s);
        let exp: i64 = match exp {
            Some(e) => e.parse().ok()?,
            None => 0,
        };
        let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let mut digits: Vec<u8> = int_part.bytes().chain(frac_part.bytes()).collect();
        let mut point = exp.checked_sub(i64::try_from(frac_part.len()).ok()?)?;
        while digits.last() == Some(&b'0') {
            digits.pop();
            point = point.checked_add(1)?;
        }
        let lead = digits.iter().take_while(|d| **d == b'0').count();
        digits.drain(..lead);
        if digits.is_empty() {
            return Some((false, Vec::new(), 0));
        }
        Some((neg, digits, point))
    }

    /// Numeric equality, independent of spelling.
    pub fn same(&self, other: &Number) -> bool {
        match (self.canonical(), other.canonical()) {
            (Some(a), Some(b)) => a == b,
            _ => self.0 == other.0,
        }
    }

    /// The exact value split as (floor, has a non-zero fraction), for non-negative numbers whose
    /// floor fits in `i64`. `None` for negative numbers and out-of-range values.
    pub fn floor_and_fraction(&self) -> Option<(i64, bool)> {
        let s = self.0.as_str();
        if s.starts_with('-') {
            // -0, -0.0 are zero; anything else is negative.
            let rest = s.strip_prefix('-')?;
            let (mantissa, _) = split_exponent(rest);
            return if mantissa.bytes().all(|b| b == b'0' || b == b'.') {
                Some((0, false))
            } else {
                None
            };
        }
        let (mantissa, exp) = split_exponent(s);
        let exp: i64 = match exp {
            Some(e) => e.parse().ok()?,
            None => 0,
        };
        let (int_part, frac_part) = match mantissa.split_once('.') {
            Some((i, f)) => (i, f),
            None => (mantissa, ""),
        };
        let mut digits: Vec<u8> = int_part.bytes().chain(frac_part.bytes()).collect();
        let frac_len = i64::try_from(frac_part.len()).ok()?;
        let mut point = exp.checked_sub(frac_len)?; // value = digits * 10^point
                                                    // Trailing zeros do not change the value; drop them to keep numbers short.
        while point < 0 && digits.last() == Some(&b'0') {
            digits.pop();
            point += 1;
        }
        while digits.first() == Some(&b'0') {
            digits.remove(0);
        }
        if digits.is_empty() {
            return Some((0, false));
        }
        let len = i64::try_from(digits.len()).ok()?;
        let int_len = len.checked_add(point)?;
        if int_len > 19 {
            return None;
        }
        let mut floor: i64 = 0;
        let mut has_fraction = false;
        for (i, d) in digits.iter().enumerate() {
            let i = i64::try_from(i).ok()?;
            if i < int_len {
                floor = floor.checked_mul(10)?.checked_add(i64::from(d - b'0'))?;
            } else if *d != b'0' {
                has_fraction = true;
            }
        }
        // Positive exponent beyond the digits: multiply.
        let mut extra = point.max(0);
        while extra > 0 {
            floor = floor.checked_mul(10)?;
            extra -= 1;
        }
        Some((floor, has_fraction))
    }
}

fn split_exponent(s: &str) -> (&str, Option<&str>) {
    match s.find(['e', 'E']) {
        Some(i) => {
            let (m, e) = s.split_at(i);
            let e = e.get(1..).unwrap_or("");
            (m, Some(e.strip_prefix('+').unwrap_or(e)))
        }
        None => (s, None),
    }
}

/// A parsed JSON value. Objects keep member order and never hold a name twice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number, exactly as written.
    Number(Number),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object.
    Object(Object),
}

/// A JSON object: members in document order, names unique.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Object(Vec<(String, Value)>);

impl Object {
    /// Sets member `name` (replacing a member of that name, in place), for values built here
    /// rather than parsed.
    pub fn insert(&mut self, name: String, value: Value) {
        match self.0.iter_mut().find(|(k, _)| *k == name) {
            Some((_, v)) => *v = value,
            None => self.0.push((name, value)),
        }
    }

    /// The member named `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Members in document order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A string member.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        }
    }
}

impl Value {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// JSON equality: numbers by value (`1` = `1.0`), objects regardless of member order,
    /// arrays element by element, strings exactly.
    pub fn same(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Number(a), Value::Number(b)) => a.same(b),
            (Value::Array(a), Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y))
            }
            (Value::Object(a), Value::Object(b)) => {
                a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| v.same(w)))
            }
            (a, b) => a == b,
        }
    }

    /// The object, if this is one.
    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// Resolves an RFC 6901 JSON Pointer (`""` is the whole value). Malformed pointers resolve
    /// to nothing.
    pub fn pointer(&self, pointer: &str) -> Option<&Value> {
        if pointer.is_empty() {
            return Some(self);
        }
        let rest = pointer.strip_prefix('/')?;
        let mut cur = self;
        for raw in rest.split('/') {
            let token = unescape_pointer_token(raw)?;
            cur = match cur {
                Value::Object(o) => o.get(&token)?,
                Value::Array(a) => {
                    if token.is_empty()
                        || (token.len() > 1 && token.starts_with('0'))
                        || !token.bytes().all(|b| b.is_ascii_digit())
                    {
                        return None;
                    }
                    a.get(token.parse::<usize>().ok()?)?
                }
                _ => return None,
            };
        }
        Some(cur)
    }

    /// Serialises compactly (the same bytes for equal values).
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }

    fn write_json(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(true) => out.push_str("true"),
            Value::Bool(false) => out.push_str("false"),
            Value::Number(n) => out.push_str(n.as_str()),
            Value::String(s) => write_string(s, out),
            Value::Array(a) => {
                out.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write_json(out);
                }
                out.push(']');
            }
            Value::Object(o) => {
                out.push('{');
                for (i, (k, v)) in o.0.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(k, out);
                    out.push(':');
                    v.write_json(out);
                }
                out.push('}');
            }
        }
    }
}

fn unescape_pointer_token(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '~' {
            match chars.next() {
                Some('0') => out.push('~'),
                Some('1') => out.push('/'),
                _ => return None,
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// Writes `s` as a JSON string literal, escaping quotes, backslashes and control characters.
pub fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Parses one JSON document under `limits`. Leading and trailing whitespace is allowed; any
/// other trailing byte is an error.
///
/// # Errors
/// A [`JsonError`] naming the first limit or rule the document broke.
pub fn parse(input: &[u8], limits: &Limits) -> Result<Value, JsonError> {
    if input.len() > limits.max_bytes {
        return Err(JsonError::TooLarge);
    }
    let mut p = Parser {
        s: input,
        i: 0,
        limits,
        nodes: 0,
    };
    p.ws();
    let v = p.value(0)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(JsonError::Syntax);
    }
    Ok(v)
}

/// Validates a document under `limits` (same rules as [`parse`]) without keeping the tree.
///
/// # Errors
/// As [`parse`].
pub fn validate(input: &[u8], limits: &Limits) -> Result<(), JsonError> {
    parse(input, limits).map(|_| ())
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    limits: &'a Limits,
    nodes: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.i += 1;
        Some(b)
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn literal(&mut self, lit: &[u8]) -> Result<(), JsonError> {
        let end = self.i.checked_add(lit.len()).ok_or(JsonError::Syntax)?;
        if self.s.get(self.i..end) == Some(lit) {
            self.i = end;
            Ok(())
        } else {
            Err(JsonError::Syntax)
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, JsonError> {
        self.nodes += 1;
        if self.nodes > self.limits.max_nodes {
            return Err(JsonError::TooMany);
        }
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string().map(Value::String),
            Some(b't') => self.literal(b"true").map(|()| Value::Bool(true)),
            Some(b'f') => self.literal(b"false").map(|()| Value::Bool(false)),
            Some(b'n') => self.literal(b"null").map(|()| Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number().map(Value::Number),
            _ => Err(JsonError::Syntax),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, JsonError> {
        if depth > self.limits.max_depth {
            return Err(JsonError::TooDeep);
        }
        self.i += 1; // '{'
        let mut members: Vec<(String, Value)> = Vec::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(Value::Object(Object(members)));
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(JsonError::Syntax);
            }
            let name = self.string()?;
            if members.iter().any(|(k, _)| *k == name) {
                return Err(JsonError::DuplicateKey);
            }
            self.ws();
            if self.bump() != Some(b':') {
                return Err(JsonError::Syntax);
            }
            self.ws();
            let v = self.value(depth)?;
            if members.len() >= self.limits.max_members {
                return Err(JsonError::TooMany);
            }
            members.push((name, v));
            self.ws();
            match self.bump() {
                Some(b',') => {}
                Some(b'}') => return Ok(Value::Object(Object(members))),
                _ => return Err(JsonError::Syntax),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, JsonError> {
        if depth > self.limits.max_depth {
            return Err(JsonError::TooDeep);
        }
        self.i += 1; // '['
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.ws();
            let v = self.value(depth)?;
            if items.len() >= self.limits.max_members {
                return Err(JsonError::TooMany);
            }
            items.push(v);
            self.ws();
            match self.bump() {
                Some(b',') => {}
                Some(b']') => return Ok(Value::Array(items)),
                _ => return Err(JsonError::Syntax),
            }
        }
    }

    fn number(&mut self) -> Result<Number, JsonError> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.bump() {
            Some(b'0') => {}
            Some(b'1'..=b'9') => {
                while matches!(self.peek(), Some(b'0'..=b'9')) {
                    self.i += 1;
                }
            }
            _ => return Err(JsonError::Syntax),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(JsonError::Syntax);
            }
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.i += 1;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(JsonError::Syntax);
            }
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.i += 1;
            }
        }
        let text = self.s.get(start..self.i).ok_or(JsonError::Syntax)?;
        if text.len() > 64 {
            return Err(JsonError::StringTooLong);
        }
        let text = core::str::from_utf8(text).map_err(|_| JsonError::Syntax)?;
        Ok(Number(String::from(text)))
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let b = self.bump().ok_or(JsonError::Syntax)?;
            let d = char::from(b).to_digit(16).ok_or(JsonError::Syntax)?;
            v = (v << 4) | d;
        }
        Ok(v)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.i += 1; // opening quote
        let mut out: Vec<u8> = Vec::new();
        loop {
            // Copy a run of plain bytes at once.
            let run_start = self.i;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.i += 1;
            }
            out.extend_from_slice(self.s.get(run_start..self.i).ok_or(JsonError::Syntax)?);
            if out.len() > self.limits.max_string {
                return Err(JsonError::StringTooLong);
            }
            match self.bump() {
                Some(b'"') => break,
                Some(b'\\') => {
                    let c = match self.bump() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            let hi = self.hex4()?;
                            let cp = if (0xD800..0xDC00).contains(&hi) {
                                self.literal(b"\\u")?;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(JsonError::Syntax);
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else if (0xDC00..0xE000).contains(&hi) {
                                return Err(JsonError::Syntax);
                            } else {
                                hi
                            };
                            char::from_u32(cp).ok_or(JsonError::Syntax)?
                        }
                        _ => return Err(JsonError::Syntax),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    if out.len() > self.limits.max_string {
                        return Err(JsonError::StringTooLong);
                    }
                }
                _ => return Err(JsonError::Syntax), // control byte or end of input
            }
        }
        String::from_utf8(out).map_err(|_| JsonError::Syntax)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Value, JsonError> {
        parse(s.as_bytes(), &Limits::CLAIMS)
    }

    #[test]
    fn parses_and_round_trips() {
        let v = p(r#" {"a":[1,-2.5e3,true,null,"x\u00e9\ud83d\ude00"],"b":{}} "#).unwrap();
        assert_eq!(
            v.to_json(),
            "{\"a\":[1,-2.5e3,true,null,\"xé😀\"],\"b\":{}}"
        );
    }

    #[test]
    fn rejects_duplicates_after_unescaping() {
        assert_eq!(p(r#"{"a":1,"a":2}"#), Err(JsonError::DuplicateKey));
        assert_eq!(p(r#"{"a":1,"\u0061":2}"#), Err(JsonError::DuplicateKey));
        assert_eq!(p(r#"{"x":{"a":1,"a":2}}"#), Err(JsonError::DuplicateKey));
    }

    #[test]
    fn rejects_bad_syntax_and_encoding() {
        for bad in [
            "",
            "{",
            "{\"a\"}",
            "[1,]",
            "01",
            "1.",
            "-",
            "\"\\ud800\"",
            "\"\\udc00x\"",
            "tru",
            "{} x",
            "\"a\u{1}\"",
            "[1 2]",
            "{\"a\":1,}",
            "\"\\x\"",
            "NaN",
            "+1",
        ] {
            assert_eq!(p(bad), Err(JsonError::Syntax), "{bad:?}");
        }
        assert_eq!(parse(b"\"\xff\"", &Limits::CLAIMS), Err(JsonError::Syntax));
    }

    #[test]
    fn enforces_limits() {
        let deep = "[".repeat(9) + &"]".repeat(9);
        assert_eq!(p(&deep), Err(JsonError::TooDeep));
        let l = Limits {
            max_bytes: 100,
            max_depth: 4,
            max_members: 2,
            max_string: 3,
            max_nodes: 10,
        };
        assert_eq!(parse(b"[1,2,3]", &l), Err(JsonError::TooMany));
        assert_eq!(parse(b"\"abcd\"", &l), Err(JsonError::StringTooLong));
        assert_eq!(parse(&[b' '; 101], &l), Err(JsonError::TooLarge));
        assert_eq!(parse(b"[[1],[1],[1]]", &l), Err(JsonError::TooMany));
    }

    #[test]
    fn numeric_dates_exact() {
        let n = |s: &str| match p(s).unwrap() {
            Value::Number(n) => n.floor_and_fraction(),
            _ => unreachable!(),
        };
        assert_eq!(n("1700000000"), Some((1_700_000_000, false)));
        assert_eq!(n("1700000000.0000000001"), Some((1_700_000_000, true)));
        assert_eq!(n("1700000000.000"), Some((1_700_000_000, false)));
        assert_eq!(n("1.7e9"), Some((1_700_000_000, false)));
        assert_eq!(n("17e-1"), Some((1, true)));
        assert_eq!(n("0.5"), Some((0, true)));
        assert_eq!(n("-0.0"), Some((0, false)));
        assert_eq!(n("-1"), None);
        assert_eq!(n("1e30"), None);
        assert_eq!(n("123E+2"), Some((12300, false)));
    }

    #[test]
    fn semantic_equality() {
        let same = |a: &str, b: &str| p(a).unwrap().same(&p(b).unwrap());
        assert!(same("1", "1.0"));
        assert!(same("100", "1e2"));
        assert!(same("0.10", "1E-1"));
        assert!(same("0", "-0.0"));
        assert!(!same("1", "-1"));
        assert!(!same("1", "10"));
        assert!(same(r#"{"a":1,"b":[2,"x"]}"#, r#"{"b":[2.0,"x"],"a":1}"#));
        assert!(!same(r#"{"a":1}"#, r#"{"a":1,"b":2}"#));
        assert!(!same("[1,2]", "[2,1]"));
        assert!(!same(r#""1""#, "1"));
    }

    #[test]
    fn pointers() {
        let v = p(r#"{"a.b":{"c/d":[10,{"~x":true}]}}"#).unwrap();
        assert_eq!(
            v.pointer("/a.b/c~1d/0").map(Value::to_json).as_deref(),
            Some("10")
        );
        assert_eq!(v.pointer("/a.b/c~1d/1/~0x"), Some(&Value::Bool(true)));
        assert_eq!(v.pointer("/a.b/c~1d/01"), None);
        assert_eq!(v.pointer("/a.b/c~2d"), None);
        assert_eq!(v.pointer("a"), None);
    }
}
