//! AWS `CloudFront` signed URLs and signed cookies, canned and custom policy, RSA and ECDSA
//! P-256 keys, SHA-1 (the default) and SHA-256.
//!
//! Facts from `CloudFront`'s developer guide ("Use signed URLs", "Use signed cookies", the
//! canned- and custom-policy pages) and from AWS's two signers, botocore's `CloudFrontSigner`
//! and `@aws-sdk/cloudfront-signer`, which the tests run:
//!
//! - A **signed URL** ends with the signing parameters `Expires=T` (canned policy) or
//!   `Policy=P` (custom policy), `Signature=S`, `Key-Pair-Id=K` and optionally
//!   `Hash-Algorithm=SHA256`. The signers order them differently (botocore: `Expires`,
//!   `Signature`, `Key-Pair-Id`; npm: `Expires`, `Key-Pair-Id`, `Signature`,
//!   `Hash-Algorithm`), so here they must be the last query parameters, in any order, each
//!   once. A parameter with one of these names (ignoring ASCII case) earlier in the query is a
//!   duplicate and makes the URL [`SignedError::Malformed`].
//! - **Signed cookies** carry the same values in `CloudFront-Expires` / `CloudFront-Policy`,
//!   `CloudFront-Signature`, `CloudFront-Key-Pair-Id` and the optional
//!   `CloudFront-Hash-Algorithm` (see [`Cookies`]).
//! - **Canned policy**: the signed bytes are rebuilt here, exactly as the signers write them:
//!   `{"Statement":[{"Resource":"R","Condition":{"DateLessThan":{"AWS:EpochTime":T}}}]}`, where
//!   R is the URL without the signing parameters (for a cookie, the request URL). A URL used
//!   for another resource therefore fails as [`SignedError::SignatureInvalid`].
//! - **Custom policy**: the signature covers the policy bytes as received (after decoding),
//!   never a re-serialisation; only then is the JSON read (see [`resource_matches`] and the
//!   `policy` submodule): `DateLessThan` (required), `DateGreaterThan`, `IpAddress`
//!   (`AWS:SourceIp`, one IPv4 CIDR) and `Resource` with `*` / `?` wildcards, matched against
//!   the URL without the signing parameters (for a cookie, the request URL). A policy without
//!   `Resource` covers every URL.
//! - `Policy` and `Signature` use `CloudFront`'s base64: the standard alphabet with `+`, `=`
//!   and `/` replaced by `-`, `_` and `~`, padded. Only the canonical encoding is accepted.
//! - **Signatures**: RSASSA-PKCS1-v1_5 (RSA keys) or ECDSA P-256 (EC keys, the signature
//!   DER-encoded, parsed strictly by the `der` submodule), over SHA-1 unless the hash
//!   algorithm is `SHA256`. `CloudFront` accepts ECDSA with SHA-1 too, and
//!   `@aws-sdk/cloudfront-signer` makes it by default for an EC key, so both hashes are
//!   verified for both key types.
//!
//! URLs and request URLs are compared as strings, exactly as given: the caller passes the URL
//! the client used (scheme, host, path and query as received, no fragment). They must be
//! printable ASCII without `"`, `\` or `#` ([`SignedError::Malformed`] otherwise): what a
//! client sends on the wire, and what both signers' JSON encoders write unescaped.
//!
//! Checks run in this order: size caps and structure, encodings ([`SignedError::Malformed`]);
//! key lookup ([`SignedError::UnknownKey`]); for an EC key, the signature's DER
//! ([`SignedError::Malformed`]); the signature ([`SignedError::SignatureInvalid`]);
//! the custom policy's JSON ([`SignedError::Malformed`]); expiry, valid while
//! `now < DateLessThan` ([`SignedError::Expired`]); start, valid once `now >= DateGreaterThan`
//! ([`SignedError::NotYetValid`]); client address ([`SignedError::IpMismatch`]: an IPv6
//! client, or none, never matches an IP condition); resource
//! ([`SignedError::ScopeMismatch`]).

mod der;
mod policy;

use alloc::borrow::ToOwned;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::net::IpAddr;

use base64::Engine as _;
use sha1::{Digest as _, Sha1};
use sha2::Sha256;

use super::{check_expires, check_start, parse_time, ConfigError, SignedError};
use crate::rsa_fast::{self, RsaPublicKey};

pub use policy::resource_matches;

/// Longest signed URL or request URL accepted, in bytes (checked before parsing).
pub const MAX_URL_LEN: usize = 8192;
/// Longest custom policy accepted, in bytes after decoding (checked on the encoded length
/// before decoding).
pub const MAX_POLICY_LEN: usize = 4096;
/// Longest signature accepted, in bytes after decoding: an 8192-bit RSA signature.
pub const MAX_SIGNATURE_LEN: usize = rsa_fast::MAX_BITS / 8;
/// Longest key pair id accepted.
pub const MAX_KEY_PAIR_ID_LEN: usize = 64;
/// Longest PEM public key accepted at load.
pub const MAX_PEM_LEN: usize = 16 * 1024;
/// The RSA public exponent `CloudFront`'s keys use, and the only one accepted.
pub const RSA_EXPONENT: u32 = 65_537;

/// The names of the signing parameters in a URL.
const URL_PARAMS: [&str; 5] = [
    "Expires",
    "Policy",
    "Signature",
    "Key-Pair-Id",
    "Hash-Algorithm",
];

/// The hash the signature was made over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// SHA-1: the default, when no hash algorithm is given.
    Sha1,
    /// SHA-256: `Hash-Algorithm=SHA256` / `CloudFront-Hash-Algorithm=SHA256`.
    Sha256,
}

impl HashAlgorithm {
    /// Reads the value of `Hash-Algorithm` / `CloudFront-Hash-Algorithm`: `SHA256` or `SHA1`,
    /// exactly (`CloudFront`'s spelling); `None` for anything else.
    pub fn from_param(value: &str) -> Option<Self> {
        match value {
            "SHA1" => Some(Self::Sha1),
            "SHA256" => Some(Self::Sha256),
            _ => None,
        }
    }

    /// `CloudFront`'s name for it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
        }
    }
}

/// Which kind of policy a credential carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// `Expires`: the policy is rebuilt from the URL and the expiry.
    Canned,
    /// `Policy`: the signer's own policy statement, sent along.
    Custom,
}

/// A verifying key: RSA, or P-256 (kept for both hashes).
#[derive(Clone)]
enum PublicKey {
    Rsa(RsaPublicKey),
    /// The core's fast P-256 verifier (per-key comb table), for SHA-256 and SHA-1 alike.
    P256(crate::ec_fast::P256PublicKey),
}

impl PublicKey {
    fn from_pem(pem: &str) -> Result<Self, ConfigError> {
        if pem.len() > MAX_PEM_LEN {
            return Err(ConfigError::KeyInvalid);
        }
        let der = der::pem_public_key(pem).ok_or(ConfigError::KeyInvalid)?;
        match der::spki(&der).ok_or(ConfigError::KeyInvalid)? {
            der::Spki::Rsa { n, e } => {
                let key = RsaPublicKey::new(n, e).ok_or(ConfigError::KeyInvalid)?;
                if key.exponent() != RSA_EXPONENT || key.bits() < rsa_fast::MIN_BITS {
                    return Err(ConfigError::KeyInvalid);
                }
                Ok(Self::Rsa(key))
            }
            der::Spki::P256(point) => {
                let (x, y) = point
                    .get(1..)
                    .and_then(|xy| xy.split_at_checked(32))
                    .ok_or(ConfigError::KeyInvalid)?;
                // Checks both coordinates are 32 bytes, below p, and on the curve.
                let key = crate::ec_fast::P256PublicKey::from_affine(x, y)
                    .ok_or(ConfigError::KeyInvalid)?;
                Ok(Self::P256(key))
            }
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Self::Rsa(_) => "rsa",
            Self::P256(_) => "p256",
        }
    }

    /// Verifies `sig` (as decoded from `CloudFront`'s base64) over `msg`.
    fn verify(&self, hash: HashAlgorithm, msg: &[u8], sig: &[u8]) -> Result<(), SignedError> {
        let ok = match self {
            Self::Rsa(k) => match hash {
                HashAlgorithm::Sha1 => k.verify_pkcs1v15::<Sha1>(msg, sig),
                HashAlgorithm::Sha256 => k.verify_pkcs1v15::<Sha256>(msg, sig),
            },
            Self::P256(key) => {
                // CloudFront's ECDSA signatures are DER; the verifier takes r || s (and refuses
                // r or s outside [1, n-1]).
                let fixed = der::ecdsa_signature(sig).ok_or(SignedError::Malformed)?;
                match hash {
                    HashAlgorithm::Sha256 => key.verify(msg, &fixed),
                    HashAlgorithm::Sha1 => key.verify_prehash(&Sha1::digest(msg), &fixed),
                }
            }
        };
        if ok {
            Ok(())
        } else {
            Err(SignedError::SignatureInvalid)
        }
    }
}

/// The public keys of a `CloudFront` key group, by key pair id (the public key's id, such as
/// `K2JCJMDEHXQW5F`, or a legacy `APKA…` key pair id).
#[derive(Clone)]
pub struct CloudFrontKeys {
    keys: BTreeMap<String, PublicKey>,
}

impl CloudFrontKeys {
    /// Builds the set from `(key pair id, PEM)` pairs, the PEM being the public key as
    /// uploaded to `CloudFront` (`-----BEGIN PUBLIC KEY-----`, a `SubjectPublicKeyInfo`).
    ///
    /// # Errors
    /// [`ConfigError::KeyNameInvalid`] for an id that is empty, longer than
    /// [`MAX_KEY_PAIR_ID_LEN`] or not made of `A-Z 0-9`; [`ConfigError::KeyInvalid`] for a PEM
    /// that is not one strict `PUBLIC KEY` block, or a key that is not RSA (2048 to 8192 bits,
    /// e = 65537) or an uncompressed P-256 point on the curve;
    /// [`ConfigError::DuplicateKeyName`] when an id repeats.
    pub fn new<'a, I>(pairs: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let keys = super::named_keys(pairs, valid_key_pair_id, PublicKey::from_pem)?;
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

    fn get(&self, id: &str) -> Result<&PublicKey, SignedError> {
        self.keys.get(id).ok_or(SignedError::UnknownKey)
    }
}

impl fmt::Debug for CloudFrontKeys {
    /// Ids and key types only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.keys.iter().map(|(id, k)| (id, k.kind())))
            .finish()
    }
}

/// The values of `CloudFront`'s signed cookies, as the host found them (one of each name;
/// resolving repeated cookies is the host's job). Values are as sent, without quotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cookies<'a> {
    /// `CloudFront-Policy` (custom policy).
    pub policy: Option<&'a str>,
    /// `CloudFront-Expires` (canned policy).
    pub expires: Option<&'a str>,
    /// `CloudFront-Signature`.
    pub signature: &'a str,
    /// `CloudFront-Key-Pair-Id`.
    pub key_pair_id: &'a str,
    /// `CloudFront-Hash-Algorithm`.
    pub hash_algorithm: Option<&'a str>,
}

/// A verified `CloudFront` grant. Only [`verify_url`] and [`verify_cookies`] build one, after
/// the signature checked out and the policy's conditions held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    kind: PolicyKind,
    hash: HashAlgorithm,
    expires: i64,
    start: Option<i64>,
    key_pair_id: String,
    resource: Option<String>,
    source_ip: Option<String>,
}

impl Grant {
    /// `Expires` or `DateLessThan`, Unix seconds: valid while `now < expires`.
    pub fn expires(&self) -> i64 {
        self.expires
    }

    /// `DateGreaterThan`, Unix seconds, when the custom policy has one: valid once
    /// `now >= start`.
    pub fn start(&self) -> Option<i64> {
        self.start
    }

    /// The key pair id the credential was signed with.
    pub fn key_pair_id(&self) -> &str {
        &self.key_pair_id
    }

    /// A custom policy's `Resource` pattern (the request URL matched it); `None` for a canned
    /// policy (which covers exactly the URL it was verified for) and for a custom policy
    /// without `Resource` (which covers every URL).
    pub fn resource(&self) -> Option<&str> {
        self.resource.as_deref()
    }

    /// A custom policy's `AWS:SourceIp` network, as `a.b.c.d/n` (the client was in it).
    pub fn source_ip(&self) -> Option<&str> {
        self.source_ip.as_deref()
    }

    /// Canned or custom.
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    /// The hash the signature was made over.
    pub fn hash_algorithm(&self) -> HashAlgorithm {
        self.hash
    }
}

/// Verifies a `CloudFront` signed URL: `url` is the full URL the client used
/// (`scheme://host/path?query`), ending with the signing parameters; `client_ip` the
/// client's address (for a custom policy's `IpAddress`).
///
/// # Errors
/// [`SignedError::Malformed`] for a URL over [`MAX_URL_LEN`] or outside printable ASCII (or
/// with `"`, `\`, `#`), signing parameters missing, repeated, not last, or both `Expires` and
/// `Policy`, a non-canonical `Expires`, a `Policy` or `Signature` not in canonical `CloudFront`
/// base64 or over its cap, an unknown `Hash-Algorithm`, an invalid key pair id, an ECDSA
/// signature that is not strict DER, or a custom policy that is not in the accepted shape;
/// [`SignedError::UnknownKey`]; [`SignedError::SignatureInvalid`] (also for a canned URL
/// whose resource was changed); [`SignedError::Expired`]; [`SignedError::NotYetValid`];
/// [`SignedError::IpMismatch`]; [`SignedError::ScopeMismatch`] when the URL does not match
/// the custom policy's `Resource`.
pub fn verify_url(
    keys: &CloudFrontKeys,
    url: &str,
    client_ip: Option<IpAddr>,
    now: i64,
) -> Result<Grant, SignedError> {
    check_url(url)?;
    let (resource, fields) = split_signed_url(url)?;
    let hash = match fields.hash_algorithm {
        None => HashAlgorithm::Sha1,
        Some(h) => HashAlgorithm::from_param(h).ok_or(SignedError::Malformed)?,
    };
    let credential = Credential::parse(
        fields.policy,
        fields.expires,
        fields.signature.ok_or(SignedError::Malformed)?,
        fields.key_pair_id.ok_or(SignedError::Malformed)?,
        hash,
    )?;
    credential.verify(keys, resource, client_ip, now)
}

/// Verifies `CloudFront` signed cookies for a request to `request_url` (the full URL the client
/// used) from `client_ip`.
///
/// # Errors
/// [`SignedError::Malformed`] for a request URL as in [`verify_url`], both or neither of
/// `CloudFront-Policy` and `CloudFront-Expires`, or any value not in its canonical form (as in
/// [`verify_url`]); [`SignedError::UnknownKey`]; [`SignedError::SignatureInvalid`] (also for a
/// canned-policy cookie presented for another URL); [`SignedError::Expired`];
/// [`SignedError::NotYetValid`]; [`SignedError::IpMismatch`]; [`SignedError::ScopeMismatch`]
/// when the request URL does not match the custom policy's `Resource`.
pub fn verify_cookies(
    keys: &CloudFrontKeys,
    cookies: &Cookies<'_>,
    request_url: &str,
    client_ip: Option<IpAddr>,
    now: i64,
) -> Result<Grant, SignedError> {
    check_url(request_url)?;
    let hash = match cookies.hash_algorithm {
        None => HashAlgorithm::Sha1,
        Some(h) => HashAlgorithm::from_param(h).ok_or(SignedError::Malformed)?,
    };
    let credential = Credential::parse(
        cookies.policy,
        cookies.expires,
        cookies.signature,
        cookies.key_pair_id,
        hash,
    )?;
    credential.verify(keys, request_url, client_ip, now)
}

/// Size cap and character set of a URL: printable ASCII, no `"`, `\` or `#`.
fn check_url(url: &str) -> Result<(), SignedError> {
    let ok = url.len() <= MAX_URL_LEN
        && !url.is_empty()
        && url
            .bytes()
            .all(|c| c.is_ascii_graphic() && !matches!(c, b'"' | b'\\' | b'#'));
    if ok {
        Ok(())
    } else {
        Err(SignedError::Malformed)
    }
}

/// The raw signing parameters of a URL.
#[derive(Default)]
struct UrlFields<'a> {
    expires: Option<&'a str>,
    policy: Option<&'a str>,
    signature: Option<&'a str>,
    key_pair_id: Option<&'a str>,
    hash_algorithm: Option<&'a str>,
}

/// Splits a signed URL into the URL without its signing parameters and those parameters: the
/// trailing run of query parameters named like one (exact case), each at most once; no such
/// name (in any case) earlier in the query.
fn split_signed_url(url: &str) -> Result<(&str, UrlFields<'_>), SignedError> {
    let q = url.find('?').ok_or(SignedError::Malformed)?;
    let query = url.get(q + 1..).ok_or(SignedError::Malformed)?;
    let mut fields = UrlFields::default();
    // Where the signing parameters start, as an offset into `query`.
    let mut start = query.len() + 1;
    for param in query.rsplit('&') {
        let (name, value) = param.split_once('=').unwrap_or((param, ""));
        let slot = match name {
            "Expires" => &mut fields.expires,
            "Policy" => &mut fields.policy,
            "Signature" => &mut fields.signature,
            "Key-Pair-Id" => &mut fields.key_pair_id,
            "Hash-Algorithm" => &mut fields.hash_algorithm,
            _ => break,
        };
        if slot.replace(value).is_some() {
            return Err(SignedError::Malformed);
        }
        // INVARIANT: the pieces of `rsplit` and their separators add up to `query.len() + 1`,
        // so this never saturates.
        start = start.saturating_sub(param.len() + 1);
    }
    let before = query.get(..start.saturating_sub(1)).unwrap_or_default();
    let reserved = |p: &str| {
        let name = p.split('=').next().unwrap_or(p);
        URL_PARAMS.iter().any(|r| r.eq_ignore_ascii_case(name))
    };
    if start > query.len() || before.split('&').any(reserved) {
        return Err(SignedError::Malformed);
    }
    // Drop the `?` (no parameter of the client's own) or the `&` before the signing ones.
    let end = if start == 0 { q } else { q + start };
    let resource = url.get(..end).ok_or(SignedError::Malformed)?;
    Ok((resource, fields))
}

/// The decoded credential, before the signature.
struct Credential<'a> {
    /// The canned policy's expiry, or the custom policy's bytes.
    policy: Policy,
    signature: Vec<u8>,
    key_pair_id: &'a str,
    hash: HashAlgorithm,
}

enum Policy {
    Canned(i64),
    Custom(Vec<u8>),
}

impl<'a> Credential<'a> {
    fn parse(
        policy: Option<&str>,
        expires: Option<&str>,
        signature: &str,
        key_pair_id: &'a str,
        hash: HashAlgorithm,
    ) -> Result<Self, SignedError> {
        if !valid_key_pair_id(key_pair_id) {
            return Err(SignedError::Malformed);
        }
        let policy = match (policy, expires) {
            (Some(p), None) => Policy::Custom(decode(p, MAX_POLICY_LEN)?),
            (None, Some(e)) => Policy::Canned(parse_time(e)?),
            _ => return Err(SignedError::Malformed),
        };
        let signature = decode(signature, MAX_SIGNATURE_LEN)?;
        Ok(Self {
            policy,
            signature,
            key_pair_id,
            hash,
        })
    }

    /// The signature over the policy bytes, then the policy's conditions for `resource_url`.
    fn verify(
        self,
        keys: &CloudFrontKeys,
        resource_url: &str,
        client_ip: Option<IpAddr>,
        now: i64,
    ) -> Result<Grant, SignedError> {
        let key = keys.get(self.key_pair_id)?;
        let grant = |kind, expires, start, resource, source_ip| Grant {
            kind,
            hash: self.hash,
            expires,
            start,
            key_pair_id: self.key_pair_id.to_owned(),
            resource,
            source_ip,
        };
        match &self.policy {
            Policy::Canned(expires) => {
                let signed = policy::canned(resource_url, *expires);
                key.verify(self.hash, signed.as_bytes(), &self.signature)?;
                check_expires(*expires, now)?;
                Ok(grant(PolicyKind::Canned, *expires, None, None, None))
            }
            Policy::Custom(bytes) => {
                key.verify(self.hash, bytes, &self.signature)?;
                let p = policy::parse_custom(bytes)?;
                check_expires(p.expires, now)?;
                if let Some(start) = p.start {
                    check_start(start, now)?;
                }
                if let Some(net) = p.source_ip {
                    if !client_ip.is_some_and(|ip| net.contains(ip)) {
                        return Err(SignedError::IpMismatch);
                    }
                }
                if let Some(r) = &p.resource {
                    if !resource_matches(r, resource_url) {
                        return Err(SignedError::ScopeMismatch);
                    }
                }
                let source_ip = p.source_ip.map(|n| alloc::format!("{n}"));
                Ok(grant(
                    PolicyKind::Custom,
                    p.expires,
                    p.start,
                    p.resource,
                    source_ip,
                ))
            }
        }
    }
}

/// Decodes `CloudFront`'s base64 (`-`, `_`, `~` for `+`, `=`, `/`; padded; canonical) of at
/// most `cap` bytes. The standard characters `+`, `=`, `/` themselves are refused.
fn decode(s: &str, cap: usize) -> Result<Vec<u8>, SignedError> {
    if s.is_empty() || s.len() > cap.div_ceil(3) * 4 {
        return Err(SignedError::Malformed);
    }
    let mut std = Vec::with_capacity(s.len());
    for c in s.bytes() {
        std.push(match c {
            b'-' => b'+',
            b'_' => b'=',
            b'~' => b'/',
            b'+' | b'=' | b'/' => return Err(SignedError::Malformed),
            c => c,
        });
    }
    let out = base64::engine::general_purpose::STANDARD
        .decode(&std)
        .map_err(|_| SignedError::Malformed)?;
    if out.len() > cap {
        return Err(SignedError::Malformed);
    }
    Ok(out)
}

/// A key pair id: 1 to 64 characters from `A-Z 0-9` (`CloudFront`'s public key ids and legacy
/// key pair ids are upper-case alphanumeric).
fn valid_key_pair_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_KEY_PAIR_ID_LEN
        && id
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Fuzzing hooks: the parsers behind the public functions, on raw input.
#[cfg(any(all(test, feature = "std"), feature = "fuzzing"))]
pub(crate) fn fuzz_parsers(data: &[u8], text: &str) {
    let _ = der::spki(data);
    let _ = der::ecdsa_signature(data);
    let _ = der::pem_public_key(text);
    let _ = policy::parse_custom(data);
    let _ = policy::Cidr::parse(text);
    let _ = decode(text, MAX_POLICY_LEN);
    let _ = split_signed_url(text);
}

#[cfg(test)]
mod tests;
