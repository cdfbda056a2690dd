//! `CloudFront` policy statements: the canned policy rebuilt from the URL and `Expires`, and the
//! custom policy read (after its signature checked out) from the bytes the client sent.
//!
//! A custom policy is one JSON object `{"Statement": S}` where `S` is one statement or an array
//! of exactly one; the statement has `Condition` (required) and `Resource` (optional: without
//! it the policy covers every URL, as `CloudFront` and AWS's SDKs document). `Condition` has
//! `DateLessThan` (required), `DateGreaterThan` and `IpAddress` (optional). Each date is
//! `{"AWS:EpochTime": N}` with N a non-negative JSON integer (no fraction, exponent or string);
//! `IpAddress` is `{"AWS:SourceIp": "a.b.c.d/n"}`. Any other member, a repeated member, or a
//! value of another type is [`SignedError::Malformed`].

use alloc::string::{String, ToString};
use core::net::{IpAddr, Ipv4Addr};

use crate::json::{self, Limits, Object, Value};

use super::super::SignedError;
use super::{MAX_POLICY_LEN, MAX_URL_LEN};

/// Caps for a custom policy document (after base64 decoding).
const POLICY_LIMITS: Limits = Limits {
    max_bytes: MAX_POLICY_LEN,
    max_depth: 6,
    max_members: 4,
    max_string: MAX_URL_LEN,
    max_nodes: 32,
};

/// The canned policy `CloudFront`'s signers sign for `resource` and `expires`, byte for byte:
/// `{"Statement":[{"Resource":"R","Condition":{"DateLessThan":{"AWS:EpochTime":T}}}]}`.
///
/// `resource` must not need JSON escaping (the callers refuse URLs with `"`, `\`, control or
/// non-ASCII bytes), so the two JSON encoders the signers use agree on these bytes.
pub(crate) fn canned(resource: &str, expires: i64) -> String {
    let mut s = String::with_capacity(resource.len() + 96);
    s.push_str(r#"{"Statement":[{"Resource":""#);
    s.push_str(resource);
    s.push_str(r#"","Condition":{"DateLessThan":{"AWS:EpochTime":"#);
    s.push_str(&expires.to_string());
    s.push_str("}}}]}");
    s
}

/// An IPv4 network from `AWS:SourceIp`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cidr {
    addr: Ipv4Addr,
    prefix: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n`: four decimal octets without leading zeros, n in 0..=32. Host bits
    /// may be set (signers pass `192.0.2.10/24` through); they are ignored when matching.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        let (addr, prefix) = s.split_once('/')?;
        let mut octets = [0u8; 4];
        let mut parts = addr.split('.');
        for o in &mut octets {
            *o = dec_u8(parts.next()?)?;
        }
        if parts.next().is_some() {
            return None;
        }
        let prefix = dec_u8(prefix).filter(|p| *p <= 32)?;
        Some(Self {
            addr: Ipv4Addr::from(octets),
            prefix,
        })
    }

    /// Whether `ip` is in the network. IPv6 addresses (including IPv4-mapped ones) never are.
    pub(crate) fn contains(self, ip: IpAddr) -> bool {
        let IpAddr::V4(v4) = ip else {
            return false;
        };
        let mask = u32::MAX
            .checked_shl(32 - u32::from(self.prefix))
            .unwrap_or(0);
        u32::from(v4) & mask == u32::from(self.addr) & mask
    }
}

impl core::fmt::Display for Cidr {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// A decimal 0..=255 without sign or leading zero.
fn dec_u8(s: &str) -> Option<u8> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 3 || (b.len() > 1 && b.first() == Some(&b'0')) {
        return None;
    }
    if !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.parse().ok()
}

/// The conditions of a verified custom policy.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Custom {
    pub(crate) resource: Option<String>,
    pub(crate) expires: i64,
    pub(crate) start: Option<i64>,
    pub(crate) source_ip: Option<Cidr>,
}

/// Reads a custom policy (see the module documentation for the accepted shape).
pub(crate) fn parse_custom(bytes: &[u8]) -> Result<Custom, SignedError> {
    let doc = json::parse(bytes, &POLICY_LIMITS).map_err(|_| SignedError::Malformed)?;
    let top = object(&doc, &["Statement"])?;
    let statement = match top.get("Statement") {
        Some(Value::Array(items)) => match items.as_slice() {
            [one] => one,
            _ => return Err(SignedError::Malformed),
        },
        Some(v @ Value::Object(_)) => v,
        _ => return Err(SignedError::Malformed),
    };
    let statement = object(statement, &["Resource", "Condition"])?;
    let resource = match statement.get("Resource") {
        None => None,
        Some(Value::String(r)) if !r.is_empty() => Some(r.clone()),
        Some(_) => return Err(SignedError::Malformed),
    };
    let condition = object(
        statement.get("Condition").ok_or(SignedError::Malformed)?,
        &["DateLessThan", "DateGreaterThan", "IpAddress"],
    )?;
    let expires = epoch(
        condition
            .get("DateLessThan")
            .ok_or(SignedError::Malformed)?,
    )?;
    let start = condition.get("DateGreaterThan").map(epoch).transpose()?;
    let source_ip = match condition.get("IpAddress") {
        None => None,
        Some(v) => {
            let o = object(v, &["AWS:SourceIp"])?;
            let s = o.get_str("AWS:SourceIp").ok_or(SignedError::Malformed)?;
            Some(Cidr::parse(s).ok_or(SignedError::Malformed)?)
        }
    };
    Ok(Custom {
        resource,
        expires,
        start,
        source_ip,
    })
}

/// `v` as an object whose members are all in `allowed` (the JSON parser already refused
/// repeated names).
fn object<'a>(v: &'a Value, allowed: &[&str]) -> Result<&'a Object, SignedError> {
    let o = v.as_object().ok_or(SignedError::Malformed)?;
    if o.iter().all(|(name, _)| allowed.contains(&name)) {
        Ok(o)
    } else {
        Err(SignedError::Malformed)
    }
}

/// `{"AWS:EpochTime": N}` with N a non-negative integer that fits `i64`.
fn epoch(v: &Value) -> Result<i64, SignedError> {
    let o = object(v, &["AWS:EpochTime"])?;
    match o.get("AWS:EpochTime") {
        Some(Value::Number(n)) => n.as_i64().filter(|t| *t >= 0).ok_or(SignedError::Malformed),
        _ => Err(SignedError::Malformed),
    }
}

/// Whether `url` matches the policy `Resource` pattern: `*` matches any run of bytes (empty or
/// not, `/` and `?` included), `?` exactly one byte, every other byte itself (case sensitive,
/// no decoding). The whole URL must match.
///
/// The pattern is split at `*` into literal segments: the first must be a prefix, the last a
/// suffix, and the ones between are found left to right, each at its earliest position (which
/// is optimal for `*`-only gaps, so there is no backtracking). Cost is at most
/// `pattern.len() * url.len()` byte comparisons; both are capped before this runs, and the
/// pattern comes from a policy whose signature has already been verified.
pub fn resource_matches(pattern: &str, url: &str) -> bool {
    let (p, s) = (pattern.as_bytes(), url.as_bytes());
    let mut segments = p.split(|&c| c == b'*');
    let Some(first) = segments.next() else {
        return s.is_empty();
    };
    let Some(mut rest) = take_prefix(s, first) else {
        return false;
    };
    let mut middle: alloc::vec::Vec<&[u8]> = segments.collect();
    let Some(last) = middle.pop() else {
        // No `*`: the first segment must be the whole URL.
        return rest.is_empty();
    };
    // The suffix is fixed: take it off the end first so middle segments cannot use it.
    let Some(cut) = rest.len().checked_sub(last.len()) else {
        return false;
    };
    let Some((body, tail)) = rest.split_at_checked(cut) else {
        return false;
    };
    if !seg_eq(tail, last) {
        return false;
    }
    rest = body;
    for seg in middle {
        match find(rest, seg) {
            Some(end) => rest = rest.get(end..).unwrap_or_default(),
            None => return false,
        }
    }
    true
}

/// `s` after `seg` when `s` starts with `seg` (with `?` matching any byte).
fn take_prefix<'a>(s: &'a [u8], seg: &[u8]) -> Option<&'a [u8]> {
    let (head, rest) = s.split_at_checked(seg.len())?;
    seg_eq(head, seg).then_some(rest)
}

/// Equal length and every byte equal or `?` in `seg`.
fn seg_eq(s: &[u8], seg: &[u8]) -> bool {
    s.len() == seg.len() && s.iter().zip(seg).all(|(a, b)| *b == b'?' || a == b)
}

/// The end of the earliest occurrence of `seg` in `s`.
fn find(s: &[u8], seg: &[u8]) -> Option<usize> {
    if seg.is_empty() {
        return Some(0);
    }
    s.windows(seg.len())
        .position(|w| seg_eq(w, seg))
        .map(|i| i + seg.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn canned_bytes() {
        assert_eq!(
            canned("https://d.example/a?b=1", 1_800_000_000),
            r#"{"Statement":[{"Resource":"https://d.example/a?b=1","Condition":{"DateLessThan":{"AWS:EpochTime":1800000000}}}]}"#
        );
    }

    #[test]
    fn wildcards() {
        for (p, u, want) in [
            ("https://h/a", "https://h/a", true),
            ("https://h/a", "https://h/ab", false),
            ("https://h/a", "https://h/", false),
            ("https://h/*", "https://h/", true),
            ("https://h/*", "https://h/x/y?z=1", true),
            ("https://h/*", "http://h/x", false),
            ("*", "", true),
            ("*", "anything", true),
            ("", "", true),
            ("", "a", false),
            ("http*://h/v/*.ts", "https://h/v/a/b.ts", true),
            ("http*://h/v/*.ts", "http://h/v/a.ts", true),
            ("http*://h/v/*.ts", "https://h/v/a.tsx", false),
            ("https://h/?.ts", "https://h/a.ts", true),
            ("https://h/?.ts", "https://h/ab.ts", false),
            ("https://h/?.ts", "https://h/.ts", false),
            ("a*b*c", "abc", true),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "acb", false),
            ("a*bc*bc", "abcbc", true),
            ("a*bc*bc", "abc", false),
            ("*a*", "bab", true),
            ("*a*", "bbb", false),
            ("ab*ba", "aba", false),
            ("a?*?b", "axyb", true),
            ("a?*?b", "axb", false),
            ("**", "", true),
            ("a**b", "ab", true),
            ("*.ts", "x.ts.ts", true),
        ] {
            assert_eq!(resource_matches(p, u), want, "{p:?} vs {u:?}");
        }
    }

    #[test]
    fn wildcard_worst_case_is_bounded() {
        // The classic exponential case for backtracking matchers: a*a*a*...a*b against a^n.
        let pattern = format!("{}b", "a*".repeat(1000));
        let url = "a".repeat(8000);
        assert!(!resource_matches(&pattern, &url));
        let pattern = format!("{}a", "*a".repeat(1000));
        assert!(resource_matches(&pattern, &url));
    }

    fn policy(condition: &str) -> String {
        format!(r#"{{"Statement":[{{"Resource":"https://h/*","Condition":{condition}}}]}}"#)
    }

    #[test]
    fn custom_accepts() {
        let c = parse_custom(
            policy(r#"{"DateLessThan":{"AWS:EpochTime":200},"DateGreaterThan":{"AWS:EpochTime":100},"IpAddress":{"AWS:SourceIp":"192.0.2.0/24"}}"#)
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(c.resource.as_deref(), Some("https://h/*"));
        assert_eq!((c.expires, c.start), (200, Some(100)));
        assert_eq!(
            c.source_ip.map(|c| format!("{c}")).as_deref(),
            Some("192.0.2.0/24")
        );
        // Statement as a bare object, whitespace, members in any order, no Resource.
        let c = parse_custom(
            br#" { "Statement" : { "Condition" : { "DateLessThan" : { "AWS:EpochTime" : 5 } } } } "#,
        )
        .unwrap();
        assert_eq!(
            (c.resource, c.expires, c.start, c.source_ip),
            (None, 5, None, None)
        );
    }

    #[test]
    fn custom_rejects() {
        let dlt = r#""DateLessThan":{"AWS:EpochTime":200}"#;
        let stmt = format!(r#"{{"Resource":"https://h/*","Condition":{{{dlt}}}}}"#);
        for (what, doc) in [
            (
                "duplicate top-level key",
                format!(r#"{{"Statement":[{stmt}],"Statement":[{stmt}]}}"#),
            ),
            (
                "duplicate condition key",
                policy(&format!("{{{dlt},{dlt}}}")),
            ),
            (
                "two statements",
                format!(r#"{{"Statement":[{stmt},{stmt}]}}"#),
            ),
            ("no statement", r#"{"Statement":[]}"#.into()),
            ("statement is a string", r#"{"Statement":"x"}"#.into()),
            (
                "missing DateLessThan",
                policy(r#"{"DateGreaterThan":{"AWS:EpochTime":1}}"#),
            ),
            (
                "missing Condition",
                r#"{"Statement":[{"Resource":"*"}]}"#.into(),
            ),
            (
                "float epoch",
                policy(r#"{"DateLessThan":{"AWS:EpochTime":200.0}}"#),
            ),
            (
                "exponent epoch",
                policy(r#"{"DateLessThan":{"AWS:EpochTime":2e2}}"#),
            ),
            (
                "string epoch",
                policy(r#"{"DateLessThan":{"AWS:EpochTime":"200"}}"#),
            ),
            (
                "negative epoch",
                policy(r#"{"DateLessThan":{"AWS:EpochTime":-1}}"#),
            ),
            (
                "huge epoch",
                policy(r#"{"DateLessThan":{"AWS:EpochTime":99999999999999999999}}"#),
            ),
            ("bare epoch", policy(r#"{"DateLessThan":200}"#)),
            (
                "extra epoch member",
                policy(r#"{"DateLessThan":{"AWS:EpochTime":200,"x":1}}"#),
            ),
            (
                "unknown condition",
                policy(&format!(r#"{{{dlt},"NotIpAddress":{{}}}}"#)),
            ),
            (
                "ip without mask",
                policy(&format!(
                    r#"{{{dlt},"IpAddress":{{"AWS:SourceIp":"192.0.2.1"}}}}"#
                )),
            ),
            (
                "ipv6 source",
                policy(&format!(
                    r#"{{{dlt},"IpAddress":{{"AWS:SourceIp":"2001:db8::/32"}}}}"#
                )),
            ),
            (
                "ip list",
                policy(&format!(
                    r#"{{{dlt},"IpAddress":{{"AWS:SourceIp":["192.0.2.1/32"]}}}}"#
                )),
            ),
            (
                "unknown statement key",
                format!(r#"{{"Statement":[{{"Effect":"Allow","Condition":{{{dlt}}}}}]}}"#),
            ),
            (
                "unknown top key",
                format!(r#"{{"Version":"1","Statement":[{stmt}]}}"#),
            ),
            (
                "empty resource",
                format!(r#"{{"Statement":[{{"Resource":"","Condition":{{{dlt}}}}}]}}"#),
            ),
            (
                "resource not a string",
                format!(r#"{{"Statement":[{{"Resource":["a"],"Condition":{{{dlt}}}}}]}}"#),
            ),
            ("trailing bytes", format!(r#"{{"Statement":[{stmt}]}}x"#)),
            ("not json", "Statement".into()),
            (
                "too large",
                format!(r#"{{"Statement":[{stmt}]}}{}"#, " ".repeat(MAX_POLICY_LEN)),
            ),
        ] {
            assert_eq!(
                parse_custom(doc.as_bytes()),
                Err(SignedError::Malformed),
                "{what}"
            );
        }
    }

    #[test]
    fn cidr() {
        let c = Cidr::parse("192.0.2.77/24").unwrap();
        assert!(c.contains("192.0.2.1".parse().unwrap()));
        assert!(!c.contains("192.0.3.1".parse().unwrap()));
        assert!(!c.contains("::ffff:192.0.2.1".parse().unwrap()));
        assert!(!c.contains("2001:db8::1".parse().unwrap()));
        let all = Cidr::parse("0.0.0.0/0").unwrap();
        assert!(all.contains("203.0.113.9".parse().unwrap()));
        let one = Cidr::parse("203.0.113.9/32").unwrap();
        assert!(one.contains("203.0.113.9".parse().unwrap()));
        assert!(!one.contains("203.0.113.8".parse().unwrap()));
        for bad in [
            "192.0.2.1",
            "192.0.2.1/33",
            "192.0.2.1/",
            "192.0.2/24",
            "192.0.2.1.5/24",
            "192.0.2.01/24",
            "192.0.2.256/24",
            "192.0.2.1/024",
            "192.0.2.+1/24",
            " 192.0.2.1/24",
            "/24",
        ] {
            assert_eq!(Cidr::parse(bad), None, "{bad}");
        }
    }
}
