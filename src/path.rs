//! Request-target normalisation, so that rules match what the upstream will serve.
//!
//! RFC 3986: `%XX` of unreserved characters decoded, other escapes kept (upper-cased), slashes
//! merged, dot-segments removed. Refused outright (`path_invalid`): encoded `/`, `\` or NUL, a
//! raw `\`, control or non-ASCII bytes, a fragment, a path not starting with `/`, and `..`
//! climbing above the root.

use alloc::string::String;
use alloc::vec::Vec;

use crate::reason::{Reason, Rejection};

/// A request target split into its normalised path and raw query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target<'a> {
    /// The normalised path.
    pub path: String,
    /// The query string as sent (without `?`), if any.
    pub query: Option<&'a str>,
}

fn hex(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

const fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Normalises a raw `:path` (origin-form request target).
///
/// # Errors
/// `path_invalid` (with a detail) for the inputs listed in the module documentation.
pub fn normalize(raw: &str) -> Result<Target<'_>, Rejection> {
    let bad = |d: &'static str| Rejection::new(Reason::PathInvalid, d);
    let (path, query) = match raw.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (raw, None),
    };
    if raw.contains('#') {
        return Err(bad("fragment"));
    }
    if !path.starts_with('/') {
        return Err(bad("not origin-form"));
    }
    if let Some(q) = query {
        if !q.bytes().all(|b| (0x21..0x7f).contains(&b)) {
            return Err(bad("query bytes"));
        }
    }
    // 1. Decode unreserved escapes; refuse dangerous ones and raw bytes outside visible ASCII.
    let bytes = path.as_bytes();
    let mut decoded: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let (Some(h), Some(l)) = (
                    bytes.get(i + 1).copied().and_then(hex),
                    bytes.get(i + 2).copied().and_then(hex),
                ) else {
                    return Err(bad("bad escape"));
                };
                let v = (h << 4) | l;
                match v {
                    b'/' | b'\\' | 0 => return Err(bad("encoded separator")),
                    v if is_unreserved(v) => decoded.push(v),
                    v => {
                        decoded.push(b'%');
                        decoded.extend_from_slice(&hex_upper(v));
                    }
                }
                i += 3;
            }
            b'\\' => return Err(bad("backslash")),
            0x21..=0x7e => {
                decoded.push(b);
                i += 1;
            }
            _ => return Err(bad("path bytes")),
        }
    }
    // 2. Remove dot-segments (RFC 3986 5.2.4, empty segments count), then merge slashes: the
    // order Envoy applies `normalize_path` and `merge_slashes`, so hosts agree.
    let text = String::from_utf8(decoded).map_err(|_| bad("path bytes"))?;
    let segments: Vec<&str> = text.split('/').skip(1).collect();
    let last = segments.len().saturating_sub(1);
    let mut out: Vec<&str> = Vec::new();
    for (i, seg) in segments.iter().enumerate() {
        match *seg {
            "." => {}
            ".." => {
                if out.pop().is_none() {
                    return Err(bad("above root"));
                }
            }
            s => out.push(s),
        }
        if i == last && (*seg == "." || *seg == "..") {
            out.push("");
        }
    }
    let mut path = String::with_capacity(text.len());
    for s in &out {
        if !s.is_empty() {
            path.push('/');
            path.push_str(s);
        }
    }
    if out.last().is_none_or(|s| s.is_empty()) {
        path.push('/');
    }
    Ok(Target { path, query })
}

fn hex_upper(v: u8) -> [u8; 2] {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let hi = DIGITS.get(usize::from(v >> 4)).copied().unwrap_or(b'0');
    let lo = DIGITS.get(usize::from(v & 15)).copied().unwrap_or(b'0');
    [hi, lo]
}

/// Percent-decodes a query component (`+` is not a space here; invalid escapes stay literal).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            if let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) {
                out.push((h << 4) | l);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The values of query parameter `name` (names compared after decoding).
pub fn query_values<'q>(
    query: Option<&'q str>,
    name: &'q str,
) -> impl Iterator<Item = String> + 'q {
    query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(move |pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k) == name).then(|| percent_decode(v))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Result<String, &'static str> {
        normalize(s).map(|t| t.path).map_err(|r| r.detail)
    }

    #[test]
    fn normalises() {
        assert_eq!(n("/").unwrap(), "/");
        assert_eq!(n("/a/b").unwrap(), "/a/b");
        assert_eq!(n("/a//b///c").unwrap(), "/a/b/c");
        assert_eq!(n("/a/./b/../c").unwrap(), "/a/c");
        assert_eq!(n("/a/b/..").unwrap(), "/a/");
        // Dot-segments first (an empty segment is one), then slashes merged, like Envoy.
        assert_eq!(n("/public//../x").unwrap(), "/public/x");
        assert_eq!(n("/a//b/").unwrap(), "/a/b/");
        assert_eq!(n("/a/.").unwrap(), "/a/");
        assert_eq!(n("/a/%2e%2E/admin").unwrap(), "/admin");
        assert_eq!(n("/%61dmin").unwrap(), "/admin");
        assert_eq!(n("/a%3fb%3A").unwrap(), "/a%3Fb%3A");
        assert_eq!(n("/a?x=%2F&y").unwrap(), "/a");
        assert_eq!(normalize("/a?x=1").unwrap().query, Some("x=1"));
    }

    #[test]
    fn refuses() {
        assert_eq!(n("/a%2fb"), Err("encoded separator"));
        assert_eq!(n("/a%2Fb"), Err("encoded separator"));
        assert_eq!(n("/a%5cb"), Err("encoded separator"));
        assert_eq!(n("/a%00"), Err("encoded separator"));
        assert_eq!(n("/a\\b"), Err("backslash"));
        assert_eq!(n("/.."), Err("above root"));
        assert_eq!(n("/a/../../b"), Err("above root"));
        assert_eq!(n("/a/%2e%2e/%2e%2e/b"), Err("above root"));
        assert_eq!(n("a/b"), Err("not origin-form"));
        assert_eq!(n("*"), Err("not origin-form"));
        assert_eq!(n("/a#f"), Err("fragment"));
        assert_eq!(n("/a%zz"), Err("bad escape"));
        assert_eq!(n("/a%4"), Err("bad escape"));
        assert_eq!(n("/a b"), Err("path bytes"));
        assert_eq!(n("/é"), Err("path bytes"));
    }

    #[test]
    fn query() {
        let v: Vec<String> = query_values(
            Some("a=1&access_token=x%2Ey&access_token&b"),
            "access_token",
        )
        .collect();
        assert_eq!(v, ["x.y", ""]);
        assert_eq!(query_values(None, "a").count(), 0);
    }
}
