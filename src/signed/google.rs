//! Google Cloud CDN signed URLs and signed cookies.
//!
//! Facts from Google's "Using signed URLs" and "Using signed cookies" pages for Cloud CDN:
//! keys are 16 random bytes, named (1 to 63 characters from `A-Z a-z 0-9 _ -`), written as
//! base64url; the MAC is HMAC-SHA1; signatures and `URLPrefix` values are base64url WITH `=`
//! padding, as Google's tools emit them.
//!
//! Three forms, all strict (each signing parameter exactly once, in this order, at the end):
//!
//! | form | carries | signed bytes |
//! |---|---|---|
//! | signed URL | `…?…&Expires=T&KeyName=N&Signature=S` (or `?Expires=…`) | the URL up to, not including, `&Signature=` |
//! | URL-prefix signed URL | `…?…&URLPrefix=P&Expires=T&KeyName=N&Signature=S` | `URLPrefix=P&Expires=T&KeyName=N` |
//! | `Cloud-CDN-Cookie` | `URLPrefix=P:Expires=T:KeyName=N:Signature=S` | `URLPrefix=P:Expires=T:KeyName=N` |
//!
//! The MAC is computed over those bytes exactly as received. A parameter named `URLPrefix`,
//! `Expires`, `KeyName` or `Signature` (compared ignoring ASCII case) anywhere earlier in the
//! query is a duplicate and makes the URL malformed. With a prefix, the request URL must start
//! with the decoded prefix: a plain byte-string prefix, so `https://h/videos` also covers
//! `https://h/videos-private/…` (see [`prefix_lacks_trailing_slash`]).
//!
//! Checks run in this order: size cap, structure, key name, `Expires`, `Signature` and
//! `URLPrefix` encodings ([`SignedError::Malformed`]); key lookup
//! ([`SignedError::UnknownKey`]); MAC ([`SignedError::SignatureInvalid`]); expiry, valid while
//! `now < Expires` ([`SignedError::Expired`]); prefix ([`SignedError::ScopeMismatch`]).

use alloc::borrow::ToOwned;
use alloc::collections::BTreeMap;
use alloc::string::String;
use core::fmt;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use super::{check_expires, field_value, parse_time, verify_mac, ConfigError, SignedError};

type HmacSha1 = Hmac<Sha1>;

/// Key length Google uses (and requires): 16 bytes.
pub const KEY_LEN: usize = 16;
/// Longest signed URL accepted, in bytes (checked before parsing).
pub const MAX_URL_LEN: usize = 8192;
/// Longest `Cloud-CDN-Cookie` value accepted, in bytes (checked before parsing).
pub const MAX_COOKIE_LEN: usize = 4096;
/// Longest key name Google allows.
pub const MAX_KEY_NAME_LEN: usize = 63;
/// An HMAC-SHA1 tag (20 bytes) in padded base64 is 28 characters.
const SIGNATURE_B64_LEN: usize = 28;
/// The names of the signing parameters (a second occurrence is a duplicate).
const RESERVED: [&str; 4] = ["URLPrefix", "Expires", "KeyName", "Signature"];

/// A set of named Cloud CDN signing keys, each keyed once at load.
#[derive(Clone)]
pub struct GoogleKeys {
    keys: BTreeMap<String, HmacSha1>,
}

impl GoogleKeys {
    /// Builds the set from `(name, key)` pairs, where `key` is the content of a Google key
    /// file: 16 bytes as base64url with padding (surrounding ASCII whitespace, such as the
    /// file's final newline, is ignored).
    ///
    /// # Errors
    /// [`ConfigError::KeyNameInvalid`] for a name that is empty, longer than 63 bytes or uses
    /// characters outside `A-Z a-z 0-9 _ -`; [`ConfigError::KeyInvalid`] for a key that is not
    /// canonical padded base64url or not exactly 16 bytes; [`ConfigError::DuplicateKeyName`]
    /// when a name repeats.
    pub fn new<'a, I>(pairs: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let keys = super::named_keys(pairs, valid_key_name, |key| {
            let key = key.trim_ascii();
            // 16 bytes are 24 characters with padding; refuse anything longer before decoding.
            if key.len() != 24 {
                return Err(ConfigError::KeyInvalid);
            }
            let bytes = base64::engine::general_purpose::URL_SAFE
                .decode(key.as_bytes())
                .map_err(|_| ConfigError::KeyInvalid)?;
            if bytes.len() != KEY_LEN {
                return Err(ConfigError::KeyInvalid);
            }
            HmacSha1::new_from_slice(&bytes).map_err(|_| ConfigError::KeyInvalid)
        })?;
        Ok(Self { keys })
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set has no key (then every credential is [`SignedError::UnknownKey`]).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    fn get(&self, name: &str) -> Result<&HmacSha1, SignedError> {
        self.keys.get(name).ok_or(SignedError::UnknownKey)
    }
}

impl fmt::Debug for GoogleKeys {
    /// Names only: key bytes never reach a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GoogleKeys")
            .field("names", &self.keys.keys().collect::<alloc::vec::Vec<_>>())
            .finish()
    }
}

/// A verified Cloud CDN grant. Only [`verify_url`] and [`verify_cookie`] build one, after the
/// signature checked out and the expiry and prefix held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    expires: i64,
    key_name: String,
    prefix: Option<String>,
}

impl Grant {
    /// `Expires`, Unix seconds: the grant is valid while `now < expires`.
    pub fn expires(&self) -> i64 {
        self.expires
    }

    /// The `KeyName` the credential was signed with.
    pub fn key_name(&self) -> &str {
        &self.key_name
    }

    /// The decoded `URLPrefix`, for URL-prefix signed URLs and cookies; `None` for a signed
    /// URL that covers exactly itself.
    pub fn prefix(&self) -> Option<&str> {
        self.prefix.as_deref()
    }
}

/// Whether a URL prefix does not end in `/`: such a prefix also covers siblings that share
/// its spelling (`https://h/videos` covers `https://h/videos-private/x`). For a policy check
/// warning; verification itself compares plain string prefixes, as Cloud CDN does.
pub fn prefix_lacks_trailing_slash(prefix: &str) -> bool {
    !prefix.ends_with('/')
}

/// Verifies a Cloud CDN signed URL: the full request URL as received (scheme, host, path,
/// query), with `Expires`, `KeyName` and `Signature` (and optionally a `URLPrefix` before them)
/// as the last query parameters.
///
/// # Errors
/// [`SignedError::Malformed`] for a URL over [`MAX_URL_LEN`], no query, missing, misplaced or
/// repeated signing parameters, a key name outside Google's character set, a non-canonical
/// `Expires`, a `Signature` that is not 28 characters of padded base64url, or a `URLPrefix`
/// that is not canonical padded base64url of a non-empty UTF-8 string;
/// [`SignedError::UnknownKey`]; [`SignedError::SignatureInvalid`]; [`SignedError::Expired`]
/// once `now >= Expires`; [`SignedError::ScopeMismatch`] when the URL does not start with the
/// decoded `URLPrefix`.
pub fn verify_url(keys: &GoogleKeys, url: &str, now: i64) -> Result<Grant, SignedError> {
    if url.len() > MAX_URL_LEN {
        return Err(SignedError::Malformed);
    }
    let (_, query) = url.split_once('?').ok_or(SignedError::Malformed)?;
    let mut rev = query.rsplit('&');
    let sig_param = rev.next().ok_or(SignedError::Malformed)?;
    let key_param = rev.next().ok_or(SignedError::Malformed)?;
    let exp_param = rev.next().ok_or(SignedError::Malformed)?;
    let mut rest = rev.peekable();
    let prefix_param = rest
        .peek()
        .copied()
        .filter(|p| field_value(p, "URLPrefix").is_some());
    if prefix_param.is_some() {
        rest.next();
    }
    if rest.any(is_reserved) {
        return Err(SignedError::Malformed);
    }
    let fields = Fields::parse(prefix_param, exp_param, key_param, sig_param)?;

    // The signed bytes end just before `&Signature=`; with a prefix they start at `URLPrefix=`.
    let end = url
        .len()
        .checked_sub(sig_param.len() + 1)
        .ok_or(SignedError::Malformed)?;
    let start = match prefix_param {
        None => 0,
        Some(p) => end
            .checked_sub(p.len() + exp_param.len() + key_param.len() + 2)
            .ok_or(SignedError::Malformed)?,
    };
    let signed = url.get(start..end).ok_or(SignedError::Malformed)?;
    fields.verify(keys, signed, url, now)
}

/// Verifies the value of a `Cloud-CDN-Cookie` cookie
/// (`URLPrefix=P:Expires=T:KeyName=N:Signature=S`) for a request to `request_url` (the full
/// URL as received, compared with the decoded prefix).
///
/// # Errors
/// [`SignedError::Malformed`] for a value over [`MAX_COOKIE_LEN`], fields missing, repeated,
/// reordered or followed by anything, or any encoding as in [`verify_url`];
/// [`SignedError::UnknownKey`]; [`SignedError::SignatureInvalid`]; [`SignedError::Expired`]
/// once `now >= Expires`; [`SignedError::ScopeMismatch`] when `request_url` does not start
/// with the decoded prefix.
pub fn verify_cookie(
    keys: &GoogleKeys,
    cookie_value: &str,
    request_url: &str,
    now: i64,
) -> Result<Grant, SignedError> {
    if cookie_value.len() > MAX_COOKIE_LEN {
        return Err(SignedError::Malformed);
    }
    let mut parts = cookie_value.split(':');
    let mut next = || parts.next().ok_or(SignedError::Malformed);
    let (prefix_param, exp_param, key_param, sig_param) = (next()?, next()?, next()?, next()?);
    if parts.next().is_some() {
        return Err(SignedError::Malformed);
    }
    let fields = Fields::parse(Some(prefix_param), exp_param, key_param, sig_param)?;
    let end = cookie_value
        .len()
        .checked_sub(sig_param.len() + 1)
        .ok_or(SignedError::Malformed)?;
    let signed = cookie_value.get(..end).ok_or(SignedError::Malformed)?;
    fields.verify(keys, signed, request_url, now)
}

/// The decoded signing parameters, before the MAC.
struct Fields<'a> {
    prefix: Option<String>,
    expires: i64,
    key_name: &'a str,
    signature: [u8; 20],
}

impl<'a> Fields<'a> {
    fn parse(
        prefix_param: Option<&str>,
        exp_param: &str,
        key_param: &'a str,
        sig_param: &str,
    ) -> Result<Self, SignedError> {
        let expires = field_value(exp_param, "Expires").ok_or(SignedError::Malformed)?;
        let key_name = field_value(key_param, "KeyName").ok_or(SignedError::Malformed)?;
        let sig = field_value(sig_param, "Signature").ok_or(SignedError::Malformed)?;
        if !valid_key_name(key_name) || sig.len() != SIGNATURE_B64_LEN {
            return Err(SignedError::Malformed);
        }
        let expires = parse_time(expires)?;
        let mut signature = [0u8; 20];
        let n = base64::engine::general_purpose::URL_SAFE
            .decode_slice(sig.as_bytes(), &mut signature)
            .map_err(|_| SignedError::Malformed)?;
        if n != signature.len() {
            return Err(SignedError::Malformed);
        }
        let prefix = match prefix_param {
            None => None,
            Some(p) => {
                let b64 = field_value(p, "URLPrefix").ok_or(SignedError::Malformed)?;
                let bytes = base64::engine::general_purpose::URL_SAFE
                    .decode(b64.as_bytes())
                    .map_err(|_| SignedError::Malformed)?;
                let s = String::from_utf8(bytes).map_err(|_| SignedError::Malformed)?;
                if s.is_empty() {
                    // An empty prefix would cover every URL: never what a signer meant.
                    return Err(SignedError::Malformed);
                }
                Some(s)
            }
        };
        Ok(Self {
            prefix,
            expires,
            key_name,
            signature,
        })
    }

    /// MAC over `signed` (received bytes), then expiry, then `scope_url` against the prefix.
    fn verify(
        self,
        keys: &GoogleKeys,
        signed: &str,
        scope_url: &str,
        now: i64,
    ) -> Result<Grant, SignedError> {
        let mut mac = keys.get(self.key_name)?.clone();
        mac.update(signed.as_bytes());
        verify_mac(mac, &self.signature)?;
        check_expires(self.expires, now)?;
        if let Some(prefix) = &self.prefix {
            if !scope_url.starts_with(prefix.as_str()) {
                return Err(SignedError::ScopeMismatch);
            }
        }
        Ok(Grant {
            expires: self.expires,
            key_name: self.key_name.to_owned(),
            prefix: self.prefix,
        })
    }
}

fn valid_key_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_KEY_NAME_LEN
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
}

/// Whether a query parameter is named like one of the signing parameters (ignoring ASCII case,
/// so that no other parser can read a different one).
fn is_reserved(param: &str) -> bool {
    let name = param.split('=').next().unwrap_or(param);
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;

    const KEY_B64: &str = "nZtRohdNF9m3cKM24IcK4w==";
    const OTHER_B64: &str = "AAAAAAAAAAAAAAAAAAAAAA==";
    const NOW: i64 = 1_700_000_000;
    const EXP: i64 = 1_700_000_600;

    fn keys() -> GoogleKeys {
        GoogleKeys::new([("k1", KEY_B64), ("k2", OTHER_B64)]).unwrap()
    }

    fn sign(key_b64: &str, msg: &str) -> String {
        let key = base64::engine::general_purpose::URL_SAFE
            .decode(key_b64)
            .unwrap();
        let mut mac = HmacSha1::new_from_slice(&key).unwrap();
        mac.update(msg.as_bytes());
        base64::engine::general_purpose::URL_SAFE.encode(mac.finalize().into_bytes())
    }

    fn signed_url(base: &str, key: &str) -> String {
        let sep = if base.contains('?') { '&' } else { '?' };
        let unsigned = format!("{base}{sep}Expires={EXP}&KeyName=k1");
        format!("{unsigned}&Signature={}", sign(key, &unsigned))
    }

    fn prefix_url(base: &str, prefix: &str) -> String {
        let p = base64::engine::general_purpose::URL_SAFE.encode(prefix);
        let signed = format!("URLPrefix={p}&Expires={EXP}&KeyName=k1");
        let sep = if base.contains('?') { '&' } else { '?' };
        format!("{base}{sep}{signed}&Signature={}", sign(KEY_B64, &signed))
    }

    fn cookie(prefix: &str, exp: i64, name: &str, key: &str) -> String {
        let p = base64::engine::general_purpose::URL_SAFE.encode(prefix);
        let signed = format!("URLPrefix={p}:Expires={exp}:KeyName={name}");
        format!("{signed}:Signature={}", sign(key, &signed))
    }

    #[test]
    fn plain_url() {
        let url = signed_url("https://cdn.example.com/a/b.mp4?x=1", KEY_B64);
        let g = verify_url(&keys(), &url, NOW).unwrap();
        assert_eq!((g.expires(), g.key_name(), g.prefix()), (EXP, "k1", None));
        let url = signed_url("https://cdn.example.com/a/b.mp4", KEY_B64);
        assert!(verify_url(&keys(), &url, NOW).is_ok());
    }

    #[test]
    fn prefix_url_and_scope() {
        let url = prefix_url(
            "https://cdn.example.com/v/seg1.ts",
            "https://cdn.example.com/v/",
        );
        let g = verify_url(&keys(), &url, NOW).unwrap();
        assert_eq!(g.prefix(), Some("https://cdn.example.com/v/"));
        let url = prefix_url(
            "https://cdn.example.com/w/seg1.ts",
            "https://cdn.example.com/v/",
        );
        assert_eq!(
            verify_url(&keys(), &url, NOW),
            Err(SignedError::ScopeMismatch)
        );
        // Unsigned parameters before the prefix are allowed (they are covered by the prefix).
        let url = prefix_url(
            "https://cdn.example.com/v/a?x=1",
            "https://cdn.example.com/v/",
        );
        assert!(verify_url(&keys(), &url, NOW).is_ok());
    }

    #[test]
    fn cookie_form() {
        let c = cookie("https://cdn.example.com/v/", EXP, "k2", OTHER_B64);
        let g = verify_cookie(&keys(), &c, "https://cdn.example.com/v/x.ts", NOW).unwrap();
        assert_eq!(g.key_name(), "k2");
        assert_eq!(
            verify_cookie(&keys(), &c, "https://cdn.example.com/x.ts", NOW),
            Err(SignedError::ScopeMismatch)
        );
        assert_eq!(
            verify_cookie(&keys(), &c, "https://cdn.example.com/v/x.ts", EXP),
            Err(SignedError::Expired)
        );
        let c = cookie("https://cdn.example.com/v/", EXP, "nope", OTHER_B64);
        assert_eq!(
            verify_cookie(&keys(), &c, "https://cdn.example.com/v/", NOW),
            Err(SignedError::UnknownKey)
        );
        let c = cookie("https://cdn.example.com/v/", EXP, "k1", OTHER_B64);
        assert_eq!(
            verify_cookie(&keys(), &c, "https://cdn.example.com/v/", NOW),
            Err(SignedError::SignatureInvalid)
        );
    }

    #[test]
    fn cookie_canonical_form() {
        // 13 bytes: the base64 form ends in "==".
        let good = cookie("https://h/vv/", EXP, "k1", KEY_B64);
        assert!(verify_cookie(&keys(), &good, "https://h/vv/", NOW).is_ok());
        let (signed, sig) = good.rsplit_once(":Signature=").unwrap();
        let p = base64::engine::general_purpose::URL_SAFE.encode("https://h/vv/");
        assert!(p.ends_with("=="));
        for bad in [
            format!("{good}:x"),
            format!("{good}:Signature={sig}"),
            format!("{signed}:Signature={}", sig.trim_end_matches('=')),
            format!("{signed}:Signature={sig}="),
            format!("{signed}:signature={sig}"),
            format!("Expires={EXP}:URLPrefix={p}:KeyName=k1:Signature={sig}"),
            format!("URLPrefix={p}:Expires=0{EXP}:KeyName=k1:Signature={sig}"),
            format!(
                "URLPrefix={}:Expires={EXP}:KeyName=k1:Signature={sig}",
                p.trim_end_matches('=')
            ),
            format!("URLPrefix=:Expires={EXP}:KeyName=k1:Signature={sig}"),
            format!("URLPrefix={p}:Expires={EXP}:KeyName=k1"),
            format!(" {good}"),
            String::new(),
            "a".repeat(MAX_COOKIE_LEN + 1),
        ] {
            assert_eq!(
                verify_cookie(&keys(), &bad, "https://h/vv/", NOW),
                Err(SignedError::Malformed),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn url_errors() {
        let base = "https://cdn.example.com/a";
        let url = signed_url(base, KEY_B64);
        assert_eq!(verify_url(&keys(), &url, EXP), Err(SignedError::Expired));
        assert_eq!(
            verify_url(&keys(), &url, EXP - 1).map(|g| g.expires()),
            Ok(EXP)
        );
        // Signed with another key under the name k1.
        let url = signed_url(base, OTHER_B64);
        assert_eq!(
            verify_url(&keys(), &url, NOW),
            Err(SignedError::SignatureInvalid)
        );
        // Tampered path.
        let url = signed_url(base, KEY_B64).replace("/a?", "/b?");
        assert_eq!(
            verify_url(&keys(), &url, NOW),
            Err(SignedError::SignatureInvalid)
        );
        // Unknown key name.
        let unsigned = format!("{base}?Expires={EXP}&KeyName=zz");
        let url = format!("{unsigned}&Signature={}", sign(KEY_B64, &unsigned));
        assert_eq!(verify_url(&keys(), &url, NOW), Err(SignedError::UnknownKey));
    }

    #[test]
    fn url_canonical_form() {
        let url = signed_url("https://h/a?x=1", KEY_B64);
        let (unsigned, sig) = url.rsplit_once("&Signature=").unwrap();
        let bad = [
            format!("{url}&y=2"),
            format!("{url}#frag"),
            format!("{unsigned}&Signature={}", sig.trim_end_matches('=')),
            format!("{unsigned}&Signature=+{}", &sig[1..]),
            format!("{unsigned}&Signature={sig}&Signature={sig}"),
            format!("https://h/a?Expires=1&x=1&Expires={EXP}&KeyName=k1&Signature={sig}"),
            format!("https://h/a?expires=1&Expires={EXP}&KeyName=k1&Signature={sig}"),
            format!("https://h/a?Signature=&Expires={EXP}&KeyName=k1&Signature={sig}"),
            format!("https://h/a?URLPrefix=aA==&x=1&Expires={EXP}&KeyName=k1&Signature={sig}"),
            format!("https://h/a?KeyName=k1&Expires={EXP}&Signature={sig}"),
            format!("https://h/a?Expires= {EXP}&KeyName=k1&Signature={sig}"),
            format!("https://h/a?Expires={EXP}&KeyName=k%31&Signature={sig}"),
            format!("https://h/a?Expires={EXP}&KeyName=&Signature={sig}"),
            format!(
                "https://h/a?Expires={EXP}&KeyName={}&Signature={sig}",
                "k".repeat(64)
            ),
            format!("https://h/a?Expires={EXP}&Signature={sig}"),
            format!("https://h/a&Expires={EXP}&KeyName=k1&Signature={sig}"),
            "https://h/a".to_string(),
            "?".to_string(),
            String::new(),
            format!(
                "https://h/{}?Expires=1&KeyName=k1&Signature={sig}",
                "a".repeat(MAX_URL_LEN)
            ),
        ];
        for bad in bad {
            assert_eq!(
                verify_url(&keys(), &bad, NOW),
                Err(SignedError::Malformed),
                "{bad:?}"
            );
        }
        // The prefix form: URLPrefix not directly before Expires, empty, unpadded.
        let good = prefix_url("https://h/vv/a", "https://h/vv/");
        assert!(verify_url(&keys(), &good, NOW).is_ok());
        let (head, tail) = good.split_once("URLPrefix=").unwrap();
        let (p, tail) = tail.split_once('&').unwrap();
        for bad in [
            format!("{head}URLPrefix={p}&x=1&{tail}"),
            format!("{head}URLPrefix={}&{tail}", p.trim_end_matches('=')),
            format!("{head}URLPrefix={p}&URLPrefix={p}&{tail}"),
            format!("{head}URLPrefix=&{tail}"),
            format!("{head}URLPrefix=_w==&{tail}"),
        ] {
            assert_eq!(
                verify_url(&keys(), &bad, NOW),
                Err(SignedError::Malformed),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn key_loading() {
        assert_eq!(
            GoogleKeys::new([("k", "nZtRohdNF9m3cKM24IcK4w==\n")])
                .unwrap()
                .len(),
            1
        );
        assert!(GoogleKeys::new(core::iter::empty()).unwrap().is_empty());
        for (name, key, err) in [
            ("k", "nZtRohdNF9m3cKM24IcK4w", ConfigError::KeyInvalid),
            ("k", "nZtRohdNF9m3cKM24IcK4x==", ConfigError::KeyInvalid),
            ("k", "nZtRohdNF9m3cKM24IcK+w==", ConfigError::KeyInvalid),
            ("k", "AAAAAAAAAAAAAAAAAAAAAAAA", ConfigError::KeyInvalid),
            ("", KEY_B64, ConfigError::KeyNameInvalid),
            ("a b", KEY_B64, ConfigError::KeyNameInvalid),
        ] {
            assert_eq!(
                GoogleKeys::new([(name, key)]).map(|_| ()),
                Err(err),
                "{key:?}"
            );
        }
        assert_eq!(
            GoogleKeys::new([("k", KEY_B64), ("k", OTHER_B64)]).map(|_| ()),
            Err(ConfigError::DuplicateKeyName)
        );
        let dbg = format!("{:?}", keys());
        assert!(dbg.contains("k1") && !dbg.contains("nZt"), "{dbg}");
    }

    #[test]
    fn trailing_slash_helper() {
        assert!(prefix_lacks_trailing_slash("https://h/videos"));
        assert!(!prefix_lacks_trailing_slash("https://h/videos/"));
    }
}
