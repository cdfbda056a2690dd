//! Akamai `EdgeAuth` tokens (Auth Token 2.0), as made by Akamai's reference signer
//! (`akamai-edgeauth` on `PyPI`, 0.3.2).
//!
//! A token is a list of `name=value` fields joined by the field delimiter (default `~`), in
//! this order, each at most once: `ip`, `st`, `exp` (required), `acl` (ACL tokens only), `id`,
//! `data`, and last `hmac` (required; lowercase hex). Any other name, order, repetition, empty
//! value or trailing data is [`SignedError::Malformed`].
//!
//! The MAC (HMAC-SHA256, HMAC-SHA1 or HMAC-MD5 keyed with the hex-decoded key) covers the
//! token's bytes before `<delimiter>hmac=`, exactly as received, then, for a URL token (one
//! without `acl`), `<delimiter>url=<request path>`: the path is signed but not carried, so the
//! verifier supplies it and a token presented for another path fails as
//! [`SignedError::SignatureInvalid`]. With a salt configured, `<delimiter>salt=<salt>` follows.
//!
//! With `escape_early`, the signer `quote_plus`-encodes `ip`, `id`, `data` and the URL path with
//! lower-case `%xx` before signing (but not `acl`); the verifier encodes the request path and
//! client address the same way before comparing them.
//!
//! Checks after the MAC: expiry, valid while `now < exp` ([`SignedError::Expired`]); start,
//! valid once `now >= st` ([`SignedError::NotYetValid`]); client address, an exact string match
//! with `ip` when the token has one ([`SignedError::IpMismatch`]); ACL scope
//! ([`SignedError::ScopeMismatch`], see [`acl_matches`]).

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use hmac::{Hmac, Mac};
use md5::Md5;
use sha1::Sha1;
use sha2::Sha256;

use super::{
    check_expires, check_start, decode_lower_hex, parse_time, verify_mac, ConfigError, SignedError,
};

/// Longest token accepted, in bytes (checked before parsing).
pub const MAX_TOKEN_LEN: usize = 4096;
/// Longest request path accepted, in bytes (checked before anything else).
pub const MAX_PATH_LEN: usize = 4096;
/// Shortest key accepted, in bytes after hex decoding (32 hex digits).
pub const MIN_KEY_LEN: usize = 16;
/// Longest key accepted, in bytes after hex decoding.
pub const MAX_KEY_LEN: usize = 128;

/// The HMAC hash of a token, as the signer's `algorithm` option names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// HMAC-SHA256 (the signer's default).
    Sha256,
    /// HMAC-SHA1.
    Sha1,
    /// HMAC-MD5.
    Md5,
}

impl Algorithm {
    /// Parses the signer's name for it: `sha256`, `sha1` or `md5` (ignoring ASCII case, as the
    /// signer does).
    ///
    /// # Errors
    /// `None` for any other name.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Sha256, Self::Sha1, Self::Md5]
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
    }

    /// The signer's name for it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha1 => "sha1",
            Self::Md5 => "md5",
        }
    }

    /// The MAC length in bytes.
    pub const fn mac_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha1 => 20,
            Self::Md5 => 16,
        }
    }
}

/// The key, keyed once at load for its algorithm.
#[derive(Clone)]
enum Keyed {
    Sha256(Hmac<Sha256>),
    Sha1(Hmac<Sha1>),
    Md5(Hmac<Md5>),
}

impl Keyed {
    fn algorithm(&self) -> Algorithm {
        match self {
            Self::Sha256(_) => Algorithm::Sha256,
            Self::Sha1(_) => Algorithm::Sha1,
            Self::Md5(_) => Algorithm::Md5,
        }
    }

    fn verify(&self, message: &[&[u8]], tag: &[u8]) -> Result<(), SignedError> {
        fn run<M: Mac + Clone>(k: &M, message: &[&[u8]], tag: &[u8]) -> Result<(), SignedError> {
            let mut mac = k.clone();
            for part in message {
                mac.update(part);
            }
            verify_mac(mac, tag)
        }
        match self {
            Self::Sha256(k) => run(k, message, tag),
            Self::Sha1(k) => run(k, message, tag),
            Self::Md5(k) => run(k, message, tag),
        }
    }
}

/// How tokens of one Akamai property are signed: key, algorithm, optional salt, delimiters and
/// `escape_early`. Defaults match the reference signer's: `~`, `!`, no salt, no early escaping.
#[derive(Clone)]
pub struct AkamaiConfig {
    key: Keyed,
    salt: Option<String>,
    field_delimiter: u8,
    acl_delimiter: u8,
    escape_early: bool,
}

impl AkamaiConfig {
    /// A configuration for `key` (hex, as the signer takes it; either case) and `algorithm`.
    ///
    /// # Errors
    /// [`ConfigError::KeyInvalid`] for a key that is not hex of an even length, or decodes to
    /// fewer than [`MIN_KEY_LEN`] or more than [`MAX_KEY_LEN`] bytes.
    pub fn new(key_hex: &str, algorithm: Algorithm) -> Result<Self, ConfigError> {
        let key = decode_any_hex(key_hex.trim_ascii()).ok_or(ConfigError::KeyInvalid)?;
        if !(MIN_KEY_LEN..=MAX_KEY_LEN).contains(&key.len()) {
            return Err(ConfigError::KeyInvalid);
        }
        let key = match algorithm {
            Algorithm::Sha256 => Hmac::new_from_slice(&key).map(Keyed::Sha256),
            Algorithm::Sha1 => Hmac::new_from_slice(&key).map(Keyed::Sha1),
            Algorithm::Md5 => Hmac::new_from_slice(&key).map(Keyed::Md5),
        }
        .map_err(|_| ConfigError::KeyInvalid)?;
        Ok(Self {
            key,
            salt: None,
            field_delimiter: b'~',
            acl_delimiter: b'!',
            escape_early: false,
        })
    }

    /// Sets the salt (the signer's `salt` option).
    ///
    /// # Errors
    /// [`ConfigError::SaltInvalid`] for an empty salt (the signer treats it as none) or one
    /// with an ASCII control character.
    pub fn with_salt(mut self, salt: &str) -> Result<Self, ConfigError> {
        if salt.is_empty() || salt.bytes().any(|c| c.is_ascii_control()) {
            return Err(ConfigError::SaltInvalid);
        }
        self.salt = Some(salt.to_owned());
        Ok(self)
    }

    /// Sets the field and ACL delimiters (the signer's `field_delimiter` and `acl_delimiter`).
    ///
    /// # Errors
    /// [`ConfigError::DelimiterInvalid`] unless both are ASCII punctuation other than `=`,
    /// and different from each other.
    pub fn with_delimiters(mut self, field: char, acl: char) -> Result<Self, ConfigError> {
        let ok = |c: char| c.is_ascii_punctuation() && c != '=';
        if !ok(field) || !ok(acl) || field == acl {
            return Err(ConfigError::DelimiterInvalid);
        }
        self.field_delimiter = u8::try_from(field).map_err(|_| ConfigError::DelimiterInvalid)?;
        self.acl_delimiter = u8::try_from(acl).map_err(|_| ConfigError::DelimiterInvalid)?;
        Ok(self)
    }

    /// Sets `escape_early` (the signer's option of the same name).
    #[must_use]
    pub fn with_escape_early(mut self, on: bool) -> Self {
        self.escape_early = on;
        self
    }

    /// The MAC algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.key.algorithm()
    }
}

impl fmt::Debug for AkamaiConfig {
    /// Everything but the key and the salt.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AkamaiConfig")
            .field("algorithm", &self.algorithm())
            .field("salt", &self.salt.as_ref().map(|_| "<set>"))
            .field("field_delimiter", &char::from(self.field_delimiter))
            .field("acl_delimiter", &char::from(self.acl_delimiter))
            .field("escape_early", &self.escape_early)
            .finish_non_exhaustive()
    }
}

/// What a verified token grants access to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// An ACL token: the ACL entries (wildcards allowed, see [`acl_matches`]); the request path
    /// matched at least one.
    Acl(Vec<String>),
    /// A URL token: the request path it was verified for.
    Url(String),
}

/// A verified `EdgeAuth` token. Only [`verify`] builds one, after the MAC checked out and the
/// time, client and scope checks held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    expires: i64,
    start: Option<i64>,
    ip: Option<String>,
    scope: Scope,
    id: Option<String>,
    data: Option<String>,
}

impl Grant {
    /// `exp`, Unix seconds: valid while `now < exp`.
    pub fn expires(&self) -> i64 {
        self.expires
    }

    /// `st`, Unix seconds, when the token has one: valid once `now >= st`.
    pub fn start(&self) -> Option<i64> {
        self.start
    }

    /// `ip` as carried in the token (percent-encoded with `escape_early`).
    pub fn ip(&self) -> Option<&str> {
        self.ip.as_deref()
    }

    /// The ACL entries or the URL path.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// `id` (session id) as carried in the token (percent-encoded with `escape_early`).
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// `data` (payload) as carried in the token (percent-encoded with `escape_early`).
    pub fn data(&self) -> Option<&str> {
        self.data.as_deref()
    }
}

/// Field names in their one allowed order.
const ORDER: [&str; 7] = ["ip", "st", "exp", "acl", "id", "data", "hmac"];
const IP: usize = 0;
const ST: usize = 1;
const EXP: usize = 2;
const ACL: usize = 3;
const ID: usize = 4;
const DATA: usize = 5;
const HMAC: usize = 6;

/// Verifies an `EdgeAuth` token (the value of the `__token__` cookie, query parameter or header;
/// extracting it is the host's job) for a request to `request_path` from `client_ip`.
///
/// `request_path` is the string the signer was given as `url` for URL tokens (usually the path
/// without the query string) and the string ACL entries are matched against.
///
/// # Errors
/// [`SignedError::Malformed`] for a token over [`MAX_TOKEN_LEN`] or a path over
/// [`MAX_PATH_LEN`], a token not in the canonical form above, a non-canonical `st`/`exp`, an
/// empty ACL entry, or an `hmac` that is not lowercase hex of the algorithm's length;
/// [`SignedError::SignatureInvalid`] when the MAC does not verify (for a URL token, also when
/// `request_path` is not the signed path); [`SignedError::Expired`] once `now >= exp`;
/// [`SignedError::NotYetValid`] while `now < st`; [`SignedError::IpMismatch`] when the token
/// has `ip` and `client_ip` is absent or differs; [`SignedError::ScopeMismatch`] when no ACL
/// entry matches `request_path`.
pub fn verify(
    cfg: &AkamaiConfig,
    token: &str,
    request_path: &str,
    client_ip: Option<&str>,
    now: i64,
) -> Result<Grant, SignedError> {
    if token.len() > MAX_TOKEN_LEN || request_path.len() > MAX_PATH_LEN {
        return Err(SignedError::Malformed);
    }
    let delim = char::from(cfg.field_delimiter);
    let mut fields: [Option<&str>; 7] = [None; 7];
    let mut last: Option<usize> = None;
    let mut offset = 0usize;
    let mut signed_end = None;
    for field in token.split(delim) {
        let (name, value) = field.split_once('=').ok_or(SignedError::Malformed)?;
        let rank = ORDER
            .iter()
            .position(|n| *n == name)
            .ok_or(SignedError::Malformed)?;
        if value.is_empty() || last.is_some_and(|l| rank <= l) {
            return Err(SignedError::Malformed);
        }
        if rank == HMAC {
            signed_end = Some(offset.checked_sub(1).ok_or(SignedError::Malformed)?);
        }
        if let Some(slot) = fields.get_mut(rank) {
            *slot = Some(value);
        }
        last = Some(rank);
        offset = offset.saturating_add(field.len()).saturating_add(1);
    }
    let get = |i: usize| fields.get(i).copied().flatten();
    let (Some(signed_end), Some(exp), Some(hmac_hex)) = (signed_end, get(EXP), get(HMAC)) else {
        return Err(SignedError::Malformed);
    };
    let signed = token.get(..signed_end).ok_or(SignedError::Malformed)?;
    let expires = parse_time(exp)?;
    let start = get(ST).map(parse_time).transpose()?;
    let acl = match get(ACL) {
        None => None,
        Some(a) => {
            let entries: Vec<&str> = a.split(char::from(cfg.acl_delimiter)).collect();
            if entries.iter().any(|e| e.is_empty()) {
                return Err(SignedError::Malformed);
            }
            Some(entries)
        }
    };
    let mut tag = [0u8; 32];
    let tag = tag
        .get_mut(..cfg.algorithm().mac_len())
        .ok_or(SignedError::Malformed)?;
    decode_lower_hex(hmac_hex, tag)?;

    // The MAC: received bytes, then the verifier-supplied path (URL tokens), then the salt.
    let escaped_path;
    let url: &str = if acl.is_some() {
        ""
    } else if cfg.escape_early {
        escaped_path = quote_plus_lower(request_path);
        &escaped_path
    } else {
        request_path
    };
    let d = [cfg.field_delimiter];
    let (url_sep, url_name): (&[u8], &[u8]) = if acl.is_some() {
        (b"", b"")
    } else {
        (&d, b"url=")
    };
    let (salt_sep, salt_name, salt): (&[u8], &[u8], &[u8]) = match &cfg.salt {
        Some(s) => (&d, b"salt=", s.as_bytes()),
        None => (b"", b"", b""),
    };
    let message: [&[u8]; 7] = [
        signed.as_bytes(),
        url_sep,
        url_name,
        url.as_bytes(),
        salt_sep,
        salt_name,
        salt,
    ];
    cfg.key.verify(&message, tag)?;

    check_expires(expires, now)?;
    if let Some(start) = start {
        check_start(start, now)?;
    }
    if let Some(ip) = get(IP) {
        let client = client_ip.ok_or(SignedError::IpMismatch)?;
        let same = if cfg.escape_early {
            quote_plus_lower(client) == ip
        } else {
            client == ip
        };
        if !same {
            return Err(SignedError::IpMismatch);
        }
    }
    let scope = match acl {
        Some(entries) => {
            if !entries.iter().any(|e| acl_matches(e, request_path)) {
                return Err(SignedError::ScopeMismatch);
            }
            Scope::Acl(entries.into_iter().map(ToOwned::to_owned).collect())
        }
        None => Scope::Url(request_path.to_owned()),
    };
    Ok(Grant {
        expires,
        start,
        ip: get(IP).map(ToOwned::to_owned),
        scope,
        id: get(ID).map(ToOwned::to_owned),
        data: get(DATA).map(ToOwned::to_owned),
    })
}

/// Whether `path` matches the ACL entry `pattern`: `*` matches any run of bytes, empty or not
/// and including `/`; `?` matches exactly one byte; every other byte matches itself (case
/// sensitive, no decoding). The whole path must match.
///
/// Runs in at most `pattern.len() * path.len()` steps (no recursion).
pub fn acl_matches(pattern: &str, path: &str) -> bool {
    let (p, s) = (pattern.as_bytes(), path.as_bytes());
    let (mut pi, mut si) = (0usize, 0usize);
    // The last `*` seen and the path position it is currently matched up to.
    let mut star: Option<(usize, usize)> = None;
    while let Some(&c) = s.get(si) {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(&pc) if pc == b'?' || pc == c => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == b'*'))
}

/// Python's `quote_plus` (UTF-8, nothing but `A-Za-z0-9_.-~` left as is, space as `+`) with the
/// `%xx` escapes lower-cased, as the signer's `escape_early` does.
fn quote_plus_lower(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
                out.push(char::from_digit(u32::from(b & 0x0f), 16).unwrap_or('0'));
            }
        }
    }
    out
}

/// Hex of either case and even length (the signer's `binascii.a2b_hex`).
fn decode_any_hex(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if b.len() % 2 != 0 {
        return None;
    }
    b.chunks_exact(2)
        .map(|pair| match pair {
            [hi, lo] => Some((hex_value(*hi)? << 4) | hex_value(*lo)?),
            _ => None,
        })
        .collect()
}

fn hex_value(c: u8) -> Option<u8> {
    char::from(c)
        .to_digit(16)
        .and_then(|v| u8::try_from(v).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;
    use alloc::vec;

    const KEY: &str = "52a152a152a152a152a152a152a152a1";
    const OTHER: &str = "0000000000000000000000000000000000";
    const NOW: i64 = 1_700_000_000;
    const EXP: i64 = 1_700_000_600;

    /// The reference signer's algorithm, for these unit tests (tests/cdn.rs runs the real one).
    fn sign(alg: Algorithm, key: &str, fields: &str, extra: &str) -> String {
        let key = decode_any_hex(key).unwrap();
        let msg = format!("{fields}{extra}");
        let tag = match alg {
            Algorithm::Sha256 => {
                let mut m = Hmac::<Sha256>::new_from_slice(&key).unwrap();
                m.update(msg.as_bytes());
                hex(&m.finalize().into_bytes())
            }
            Algorithm::Sha1 => {
                let mut m = Hmac::<Sha1>::new_from_slice(&key).unwrap();
                m.update(msg.as_bytes());
                hex(&m.finalize().into_bytes())
            }
            Algorithm::Md5 => {
                let mut m = Hmac::<Md5>::new_from_slice(&key).unwrap();
                m.update(msg.as_bytes());
                hex(&m.finalize().into_bytes())
            }
        };
        format!("{fields}~hmac={tag}")
    }

    fn hex(bytes: &[u8]) -> String {
        use core::fmt::Write as _;
        bytes.iter().fold(String::new(), |mut s, b| {
            write!(s, "{b:02x}").unwrap();
            s
        })
    }

    fn cfg() -> AkamaiConfig {
        AkamaiConfig::new(KEY, Algorithm::Sha256).unwrap()
    }

    fn acl_token(fields: &str) -> String {
        sign(Algorithm::Sha256, KEY, fields, "")
    }

    #[test]
    fn acl_token_ok() {
        let t = acl_token(&format!("st={NOW}~exp={EXP}~acl=/v/*!/w/a.ts~id=s1~data=x"));
        let g = verify(&cfg(), &t, "/v/seg.ts", None, NOW).unwrap();
        assert_eq!(g.expires(), EXP);
        assert_eq!(g.start(), Some(NOW));
        assert_eq!(
            g.scope(),
            &Scope::Acl(vec!["/v/*".into(), "/w/a.ts".into()])
        );
        assert_eq!((g.id(), g.data(), g.ip()), (Some("s1"), Some("x"), None));
        assert!(verify(&cfg(), &t, "/w/a.ts", None, NOW).is_ok());
        assert_eq!(
            verify(&cfg(), &t, "/w/b.ts", None, NOW),
            Err(SignedError::ScopeMismatch)
        );
    }

    #[test]
    fn times() {
        let t = acl_token(&format!("st={}~exp={EXP}~acl=/*", NOW + 10));
        assert_eq!(
            verify(&cfg(), &t, "/a", None, NOW),
            Err(SignedError::NotYetValid)
        );
        assert!(verify(&cfg(), &t, "/a", None, NOW + 10).is_ok());
        assert!(verify(&cfg(), &t, "/a", None, EXP - 1).is_ok());
        assert_eq!(
            verify(&cfg(), &t, "/a", None, EXP),
            Err(SignedError::Expired)
        );
    }

    #[test]
    fn url_token_and_salt() {
        let fields = format!("exp={EXP}~id=abc");
        let t = sign(Algorithm::Sha1, KEY, &fields, "~url=/a/b.mp4");
        let c = AkamaiConfig::new(KEY, Algorithm::Sha1).unwrap();
        let g = verify(&c, &t, "/a/b.mp4", None, NOW).unwrap();
        assert_eq!(g.scope(), &Scope::Url("/a/b.mp4".into()));
        assert_eq!(
            verify(&c, &t, "/a/c.mp4", None, NOW),
            Err(SignedError::SignatureInvalid)
        );
        let t = sign(Algorithm::Md5, KEY, &fields, "~url=/a~salt=pepper");
        let c = AkamaiConfig::new(KEY, Algorithm::Md5).unwrap();
        assert_eq!(
            verify(&c, &t, "/a", None, NOW),
            Err(SignedError::SignatureInvalid)
        );
        let c = c.with_salt("pepper").unwrap();
        assert!(verify(&c, &t, "/a", None, NOW).is_ok());
    }

    #[test]
    fn escape_early_and_ip() {
        // ip "::1" and the path are quote_plus-encoded with lower-case escapes.
        let fields = format!("ip=%3a%3a1~exp={EXP}~data=a+b%2fc");
        let t = sign(Algorithm::Sha256, KEY, &fields, "~url=%2fa+b%c3%a9");
        let c = cfg().with_escape_early(true);
        let g = verify(&c, &t, "/a bé", Some("::1"), NOW).unwrap();
        assert_eq!((g.ip(), g.data()), (Some("%3a%3a1"), Some("a+b%2fc")));
        assert_eq!(
            verify(&c, &t, "/a bé", Some("::2"), NOW),
            Err(SignedError::IpMismatch)
        );
        assert_eq!(
            verify(&c, &t, "/a bé", None, NOW),
            Err(SignedError::IpMismatch)
        );
        assert_eq!(
            verify(&cfg(), &t, "/a bé", Some("::1"), NOW),
            Err(SignedError::SignatureInvalid)
        );
        let t = acl_token(&format!("ip=10.0.0.1~exp={EXP}~acl=/*"));
        assert!(verify(&cfg(), &t, "/x", Some("10.0.0.1"), NOW).is_ok());
        assert_eq!(
            verify(&cfg(), &t, "/x", Some("10.0.0.10"), NOW),
            Err(SignedError::IpMismatch)
        );
    }

    #[test]
    fn wrong_key_and_tamper() {
        let t = sign(Algorithm::Sha256, OTHER, &format!("exp={EXP}~acl=/*"), "");
        assert_eq!(
            verify(&cfg(), &t, "/x", None, NOW),
            Err(SignedError::SignatureInvalid)
        );
        let t = acl_token(&format!("exp={EXP}~acl=/a/*")).replace("/a/", "/b/");
        assert_eq!(
            verify(&cfg(), &t, "/b/x", None, NOW),
            Err(SignedError::SignatureInvalid)
        );
        // A token signed with SHA-1 presented to a SHA-256 configuration has the wrong length.
        let t = sign(Algorithm::Sha1, KEY, &format!("exp={EXP}~acl=/*"), "");
        assert_eq!(
            verify(&cfg(), &t, "/x", None, NOW),
            Err(SignedError::Malformed)
        );
    }

    #[test]
    fn canonical_form() {
        let good = acl_token(&format!("exp={EXP}~acl=/*~id=s"));
        assert!(verify(&cfg(), &good, "/x", None, NOW).is_ok());
        let (fields, mac) = good.rsplit_once("~hmac=").unwrap();
        let bad = [
            format!("{good}~"),
            format!("{good}~x=1"),
            format!("{good}~hmac={mac}"),
            format!("{good}0"),
            format!("{fields}~hmac={}", mac.to_uppercase()),
            format!("{fields}~hmac={}", &mac[1..]),
            format!("{fields}~HMAC={mac}"),
            format!("{fields}~hmac= {mac}"),
            fields.to_string(),
            format!("exp={EXP}~exp={EXP}~acl=/*~id=s~hmac={mac}"),
            format!("acl=/*~exp={EXP}~id=s~hmac={mac}"),
            format!("exp={EXP}~acl=/*~hmac={mac}~id=s"),
            format!("exp=0{EXP}~acl=/*~id=s~hmac={mac}"),
            format!("exp=-{EXP}~acl=/*~id=s~hmac={mac}"),
            format!("exp={EXP}~acl=/*~id=~hmac={mac}"),
            format!("exp={EXP}~acl=/*!~id=s~hmac={mac}"),
            format!("exp={EXP}~acl=/*~id=s~foo=1~hmac={mac}"),
            format!("exp={EXP}~acl=/*~id~hmac={mac}"),
            format!("st=x~exp={EXP}~acl=/*~id=s~hmac={mac}"),
            format!("acl=/*~id=s~hmac={mac}"),
            format!("hmac={mac}"),
            format!("~exp={EXP}~acl=/*~id=s~hmac={mac}"),
            format!(" exp={EXP}~acl=/*~id=s~hmac={mac}"),
            String::new(),
            "~".to_string(),
            "a".repeat(MAX_TOKEN_LEN + 1),
        ];
        for t in bad {
            assert_eq!(
                verify(&cfg(), &t, "/x", None, NOW),
                Err(SignedError::Malformed),
                "{t:?}"
            );
        }
        let long_path = "/".repeat(MAX_PATH_LEN + 1);
        assert_eq!(
            verify(&cfg(), &good, &long_path, None, NOW),
            Err(SignedError::Malformed)
        );
    }

    #[test]
    fn other_delimiters() {
        let c = cfg().with_delimiters(',', ';').unwrap();
        let fields = format!("exp={EXP},acl=/a/*;/b/*,id=x~y");
        let key = decode_any_hex(KEY).unwrap();
        let mut m = Hmac::<Sha256>::new_from_slice(&key).unwrap();
        m.update(fields.as_bytes());
        let tag = hex(&m.finalize().into_bytes());
        let t = format!("{fields},hmac={tag}");
        let g = verify(&c, &t, "/b/q", None, NOW).unwrap();
        assert_eq!(g.id(), Some("x~y"));
        assert_eq!(
            verify(&cfg(), &t, "/b/q", None, NOW),
            Err(SignedError::Malformed)
        );
    }

    #[test]
    fn config() {
        assert_eq!(Algorithm::from_name("SHA256"), Some(Algorithm::Sha256));
        assert_eq!(Algorithm::from_name("md5"), Some(Algorithm::Md5));
        assert_eq!(Algorithm::from_name("sha512"), None);
        assert!(AkamaiConfig::new(&KEY.to_uppercase(), Algorithm::Sha1).is_ok());
        for k in [
            "",
            "abc",
            "zz".repeat(16).as_str(),
            "00".repeat(15).as_str(),
            &"00".repeat(129),
        ] {
            assert_eq!(
                AkamaiConfig::new(k, Algorithm::Sha256).map(|_| ()),
                Err(ConfigError::KeyInvalid),
                "{k:?}"
            );
        }
        assert_eq!(
            cfg().with_salt("").map(|_| ()),
            Err(ConfigError::SaltInvalid)
        );
        assert_eq!(
            cfg().with_salt("a\nb").map(|_| ()),
            Err(ConfigError::SaltInvalid)
        );
        for (f, a) in [('~', '~'), ('a', '!'), ('=', '!'), ('~', 'é'), (' ', '!')] {
            assert_eq!(
                cfg().with_delimiters(f, a).map(|_| ()),
                Err(ConfigError::DelimiterInvalid)
            );
        }
        let dbg = format!("{:?}", cfg().with_salt("pepper").unwrap());
        assert!(!dbg.contains("pepper") && !dbg.contains("52a1"), "{dbg}");
    }

    #[test]
    fn acl_globs() {
        for (p, s, m) in [
            ("/*", "/", true),
            ("/*", "/a/b/c", true),
            ("/a/*", "/a/", true),
            ("/a/*", "/a", false),
            ("/a/*.ts", "/a/b/c.ts", true),
            ("/a/*.ts", "/a/b/c.tsx", false),
            ("/a/?.ts", "/a/b.ts", true),
            ("/a/?.ts", "/a/bb.ts", false),
            ("/a/?.ts", "/a/.ts", false),
            ("/a", "/a", true),
            ("/a", "/A", false),
            ("/a", "/a/", false),
            ("*", "", true),
            ("", "", true),
            ("", "/", false),
            ("*a*b*c", "xxaxxbxxcx", false),
            ("*a*b*c", "xxaxxbxxc", true),
            ("**", "/x", true),
        ] {
            assert_eq!(acl_matches(p, s), m, "{p:?} {s:?}");
        }
    }

    #[test]
    fn quote_plus() {
        assert_eq!(quote_plus_lower("/a b~c-d_e.f"), "%2fa+b~c-d_e.f");
        assert_eq!(quote_plus_lower("é?&="), "%c3%a9%3f%26%3d");
    }
}
