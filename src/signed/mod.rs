//! CDN signed URLs and signed cookies: one submodule per vendor scheme.
//!
//! - [`google`]: Google Cloud CDN signed URLs (plain and `URLPrefix`) and the
//!   `Cloud-CDN-Cookie` signed cookie (HMAC-SHA1 with named keys).
//! - [`akamai`]: Akamai `EdgeAuth` / Auth Token 2.0 tokens (ACL and URL tokens; HMAC-SHA256,
//!   HMAC-SHA1, HMAC-MD5).
//! - [`cloudfront`]: AWS `CloudFront` signed URLs and signed cookies (canned and custom policy;
//!   RSA and ECDSA P-256 public keys, SHA-1 or SHA-256).
//!
//! Every scheme follows the same shape: a size cap, then a strict decoder for the one canonical
//! form the vendor's signer emits (anything else is [`SignedError::Malformed`]), then the MAC
//! (or, for `CloudFront`, the public-key signature), computed over the bytes as received (never
//! re-serialised; a MAC compared in constant time), and
//! only then the time, client and scope checks. Each `verify*` function returns a grant value
//! that can only be built after the MAC checked out. The caller passes the time (`now`, Unix
//! seconds); nothing here reads a clock.
//!
//! This module has its own error type, [`SignedError`], with stable codes. It is not wired into
//! [`crate::Reason`] or the policy yet.

pub mod akamai;
pub mod cloudfront;
pub mod google;

use core::fmt;
use hmac::Mac;

/// Why a signed URL, signed cookie or token was rejected. Carries no input bytes.
///
/// Each variant has one stable `snake_case` code ([`SignedError::code`]); codes are added,
/// never renamed.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignedError {
    /// Not in the scheme's canonical form: over the size cap, a missing, repeated, misplaced or
    /// unknown field, a non-canonical number, encoding or MAC, or trailing data.
    Malformed,
    /// The credential names a key that is not configured.
    UnknownKey,
    /// The MAC does not verify (including a URL token presented for another path).
    SignatureInvalid,
    /// The expiry time has been reached (`now >= expires`).
    Expired,
    /// The start time has not been reached yet (`now < start`).
    NotYetValid,
    /// The request is outside the signed scope (URL prefix or ACL).
    ScopeMismatch,
    /// The credential is bound to a client address other than the request's (or the request
    /// has none).
    IpMismatch,
}

impl SignedError {
    /// Every variant, in declaration order (for tests and documentation tables).
    pub const ALL: [Self; 7] = [
        Self::Malformed,
        Self::UnknownKey,
        Self::SignatureInvalid,
        Self::Expired,
        Self::NotYetValid,
        Self::ScopeMismatch,
        Self::IpMismatch,
    ];

    /// The stable `snake_case` code of this error.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::UnknownKey => "unknown_key",
            Self::SignatureInvalid => "signature_invalid",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::ScopeMismatch => "scope_mismatch",
            Self::IpMismatch => "ip_mismatch",
        }
    }
}

impl fmt::Display for SignedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Why a key or scheme configuration was refused at load time. Carries no key bytes.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConfigError {
    /// The key is not in the expected encoding or has the wrong length.
    KeyInvalid,
    /// A key name is empty, too long or uses characters outside the scheme's set.
    KeyNameInvalid,
    /// Two keys have the same name.
    DuplicateKeyName,
    /// A delimiter is not a single printable ASCII punctuation character, is `=`, or both
    /// delimiters are the same.
    DelimiterInvalid,
    /// The salt is empty or contains a control character.
    SaltInvalid,
}

impl ConfigError {
    /// The stable `snake_case` code of this error.
    pub const fn code(self) -> &'static str {
        match self {
            Self::KeyInvalid => "key_invalid",
            Self::KeyNameInvalid => "key_name_invalid",
            Self::DuplicateKeyName => "duplicate_key_name",
            Self::DelimiterInvalid => "delimiter_invalid",
            Self::SaltInvalid => "salt_invalid",
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Builds a scheme's named key set from `(name, key text)` pairs: each name must pass
/// `valid_name` ([`ConfigError::KeyNameInvalid`]), each key must `load`, and no name may
/// repeat ([`ConfigError::DuplicateKeyName`]).
pub(crate) fn named_keys<'a, I, K>(
    pairs: I,
    valid_name: fn(&str) -> bool,
    load: impl Fn(&str) -> Result<K, ConfigError>,
) -> Result<alloc::collections::BTreeMap<alloc::string::String, K>, ConfigError>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut keys = alloc::collections::BTreeMap::new();
    for (name, text) in pairs {
        if !valid_name(name) {
            return Err(ConfigError::KeyNameInvalid);
        }
        if keys
            .insert(alloc::string::String::from(name), load(text)?)
            .is_some()
        {
            return Err(ConfigError::DuplicateKeyName);
        }
    }
    Ok(keys)
}

/// The most digits a time field may have: `i64::MAX` has 19.
const MAX_TIME_DIGITS: usize = 19;

/// Parses a strict decimal Unix time: ASCII digits only, no sign, no leading zero (except the
/// number `0` itself), no surrounding whitespace, at most 19 digits, within `i64`.
pub(crate) fn parse_time(s: &str) -> Result<i64, SignedError> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > MAX_TIME_DIGITS || (b.len() > 1 && b.first() == Some(&b'0')) {
        return Err(SignedError::Malformed);
    }
    let mut v: i64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return Err(SignedError::Malformed);
        }
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(c - b'0')))
            .ok_or(SignedError::Malformed)?;
    }
    Ok(v)
}

/// `Ok` while `now < expires`: a credential that expires at second `t` is no longer valid at
/// second `t` (the same rule as the JWT `exp` claim, RFC 7519 section 4.1.4).
pub(crate) fn check_expires(expires: i64, now: i64) -> Result<(), SignedError> {
    if now < expires {
        Ok(())
    } else {
        Err(SignedError::Expired)
    }
}

/// `Ok` once `now >= start`: valid from second `start` on (as the JWT `nbf` claim).
pub(crate) fn check_start(start: i64, now: i64) -> Result<(), SignedError> {
    if now >= start {
        Ok(())
    } else {
        Err(SignedError::NotYetValid)
    }
}

/// Finishes `mac` and compares it with `tag` in constant time (`hmac`'s `verify_slice`, which
/// uses `subtle`). A tag of the wrong length is [`SignedError::SignatureInvalid`] too, but the
/// decoders already refuse those as malformed.
pub(crate) fn verify_mac<M: Mac>(mac: M, tag: &[u8]) -> Result<(), SignedError> {
    mac.verify_slice(tag)
        .map_err(|_| SignedError::SignatureInvalid)
}

/// Decodes lowercase hex of exactly `out.len()` bytes (`2 * out.len()` characters, `0-9a-f`
/// only) into `out`.
pub(crate) fn decode_lower_hex(s: &str, out: &mut [u8]) -> Result<(), SignedError> {
    let b = s.as_bytes();
    if b.len() != out.len() * 2 {
        return Err(SignedError::Malformed);
    }
    for (o, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
        let (hi, lo) = match pair {
            [hi, lo] => (lower_hex_value(*hi)?, lower_hex_value(*lo)?),
            _ => return Err(SignedError::Malformed),
        };
        *o = (hi << 4) | lo;
    }
    Ok(())
}

fn lower_hex_value(c: u8) -> Result<u8, SignedError> {
    match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        _ => Err(SignedError::Malformed),
    }
}

/// Splits `s` at the first occurrence of `name` followed by `=` at its start: returns the value
/// when `s` is `name=value`.
pub(crate) fn field_value<'a>(s: &'a str, name: &str) -> Option<&'a str> {
    s.strip_prefix(name).and_then(|r| r.strip_prefix('='))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_distinct() {
        let codes: alloc::vec::Vec<&str> = SignedError::ALL.iter().map(|e| e.code()).collect();
        assert_eq!(
            codes,
            [
                "malformed",
                "unknown_key",
                "signature_invalid",
                "expired",
                "not_yet_valid",
                "scope_mismatch",
                "ip_mismatch"
            ]
        );
        assert_eq!(alloc::format!("{}", SignedError::Expired), "expired");
        assert_eq!(ConfigError::KeyInvalid.code(), "key_invalid");
        assert_eq!(
            alloc::format!("{}", ConfigError::SaltInvalid),
            "salt_invalid"
        );
    }

    #[test]
    fn strict_time() {
        assert_eq!(parse_time("0"), Ok(0));
        assert_eq!(parse_time("1700000000"), Ok(1_700_000_000));
        assert_eq!(parse_time("9223372036854775807"), Ok(i64::MAX));
        for bad in [
            "",
            "01",
            "+1",
            "-1",
            " 1",
            "1 ",
            "1.0",
            "1e9",
            "9223372036854775808",
            "99999999999999999999",
            "１",
        ] {
            assert_eq!(parse_time(bad), Err(SignedError::Malformed), "{bad:?}");
        }
    }

    #[test]
    fn time_comparisons() {
        assert_eq!(check_expires(100, 99), Ok(()));
        assert_eq!(check_expires(100, 100), Err(SignedError::Expired));
        assert_eq!(check_start(100, 100), Ok(()));
        assert_eq!(check_start(100, 99), Err(SignedError::NotYetValid));
        assert_eq!(check_expires(i64::MIN, i64::MIN), Err(SignedError::Expired));
    }

    #[test]
    fn hex() {
        let mut out = [0u8; 2];
        assert_eq!(decode_lower_hex("00ff", &mut out), Ok(()));
        assert_eq!(out, [0, 255]);
        assert_eq!(decode_lower_hex("a0b1", &mut out), Ok(()));
        assert_eq!(out, [0xa0, 0xb1]);
        for bad in ["00FF", "00f", "00fff", "0g00", "", " 0ff"] {
            assert_eq!(
                decode_lower_hex(bad, &mut out),
                Err(SignedError::Malformed),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn fields() {
        assert_eq!(field_value("exp=1", "exp"), Some("1"));
        assert_eq!(field_value("exp=", "exp"), Some(""));
        assert_eq!(field_value("expx=1", "exp"), None);
        assert_eq!(field_value("exp", "exp"), None);
    }
}
