//! JWK and JWK sets (RFC 7517, RFC 7518 section 6, RFC 8037) into verifying keys, each bound
//! to the algorithms it may verify, with RFC 7638 thumbprints.
//!
//! A malformed or unsupported key in a set is skipped and reported; a set with no usable key is
//! an error. Keys never come from token headers.

use alloc::string::String;
use alloc::vec::Vec;
use sha2::{Digest, Sha256};

use crate::b64;
use crate::ec_fast::{P256PublicKey, P384PublicKey, P521PublicKey};
use crate::json::{self, Limits, Object, Value};
use crate::jwa::{Alg, AlgSet, Curve, KeyMaterial};
use crate::rsa_fast::{self, RsaPublicKey};

/// Maximum keys in one set.
pub const MAX_KEYS: usize = 64;
/// Maximum keys tried for a token without `kid`.
pub const MAX_KID_LESS_CANDIDATES: usize = 4;
/// Smallest RSA modulus accepted, in bits.
pub const RSA_MIN_BITS: usize = rsa_fast::MIN_BITS;
/// Largest RSA modulus accepted, in bits.
pub const RSA_MAX_BITS: usize = rsa_fast::MAX_BITS;

/// A verifying key bound to the algorithms it may verify.
#[derive(Clone, Debug)]
pub struct Key {
    /// The `kid`, if the JWK had one.
    pub kid: Option<String>,
    /// The algorithms this key may verify (never empty, always of one family).
    pub algs: AlgSet,
    /// The key itself.
    pub material: KeyMaterial,
    /// RFC 7638 SHA-256 thumbprint, base64url.
    pub thumbprint: String,
}

/// Why one JWK was not usable. Stable `snake_case` codes for reports.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyError {
    /// Not an object, or a member has the wrong type.
    Malformed,
    /// `kty` missing or not RSA, EC, OKP or oct.
    UnsupportedKty,
    /// `crv` not supported for this `kty`.
    UnsupportedCurve,
    /// `alg` unknown, or of another family than the key.
    AlgMismatch,
    /// The key's algorithms and the provider's allow-list do not intersect.
    AlgNotAllowed,
    /// `use` is not `sig`, or `key_ops` lacks `verify`.
    NotForVerification,
    /// A member is not strict base64url.
    BadEncoding,
    /// RSA modulus outside 2048..=8192 bits or even, or an exponent that is even, below 3
    /// or not below 2^32.
    WeakRsa,
    /// EC coordinates of the wrong length or not on the curve; Ed25519 point invalid.
    InvalidPoint,
    /// HMAC key shorter than the hash length of every permitted algorithm.
    ShortSecret,
    /// A symmetric key where only public keys are accepted (fetched sets).
    SymmetricNotAllowed,
    /// The JWK carries private key members.
    PrivateKey,
    /// Another usable key in the set has the same `kid` and an overlapping algorithm.
    DuplicateKid,
}

impl KeyError {
    /// Stable code.
    pub const fn code(self) -> &'static str {
        match self {
            KeyError::Malformed => "malformed",
            KeyError::UnsupportedKty => "unsupported_kty",
            KeyError::UnsupportedCurve => "unsupported_curve",
            KeyError::AlgMismatch => "alg_mismatch",
            KeyError::AlgNotAllowed => "alg_not_allowed",
            KeyError::NotForVerification => "not_for_verification",
            KeyError::BadEncoding => "bad_encoding",
            KeyError::WeakRsa => "weak_rsa",
            KeyError::InvalidPoint => "invalid_point",
            KeyError::ShortSecret => "short_secret",
            KeyError::SymmetricNotAllowed => "symmetric_not_allowed",
            KeyError::PrivateKey => "private_key",
            KeyError::DuplicateKid => "duplicate_kid",
        }
    }
}

/// Why a whole set was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JwksError {
    /// Not bounded, valid JSON.
    Json(json::JsonError),
    /// Not an object with a `keys` array.
    NotASet,
    /// More than [`MAX_KEYS`] keys.
    TooManyKeys,
    /// No key in the set is usable; the per-key reasons are given.
    NoUsableKey(Vec<Skipped>),
}

impl core::fmt::Display for JwksError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            JwksError::Json(e) => write!(f, "JWKS: {e}"),
            JwksError::NotASet => f.write_str("JWKS: not an object with a \"keys\" array"),
            JwksError::TooManyKeys => write!(f, "JWKS: more than {MAX_KEYS} keys"),
            JwksError::NoUsableKey(skipped) => {
                f.write_str("JWKS: no usable key")?;
                for s in skipped {
                    write!(f, "; key #{} {}", s.index, s.error.code())?;
                }
                Ok(())
            }
        }
    }
}

/// A key that was skipped, with why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// Position in the `keys` array.
    pub index: usize,
    /// The `kid`, if it had a string one.
    pub kid: Option<String>,
    /// Why.
    pub error: KeyError,
}

/// Where a set comes from, which decides what it may contain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Written in the local policy: symmetric keys are allowed.
    Local,
    /// Fetched from the network: public keys only.
    Fetched,
}

/// An immutable set of verifying keys.
#[derive(Clone, Debug, Default)]
pub struct KeySet {
    keys: Vec<Key>,
    skipped: Vec<Skipped>,
    fingerprint: [u8; 8],
}

impl KeySet {
    /// Parses a JWK set under the JWKS limits, binding each key to `allowed`.
    ///
    /// # Errors
    /// [`JwksError`] when the document is not a bounded set or has no usable key.
    pub fn from_jwks(bytes: &[u8], allowed: AlgSet, origin: Origin) -> Result<KeySet, JwksError> {
        let doc = json::parse(bytes, &Limits::JWKS).map_err(JwksError::Json)?;
        KeySet::from_value(&doc, allowed, origin)
    }

    /// As [`KeySet::from_jwks`], from a parsed value.
    ///
    /// # Errors
    /// As [`KeySet::from_jwks`].
    pub fn from_value(doc: &Value, allowed: AlgSet, origin: Origin) -> Result<KeySet, JwksError> {
        let Some(Value::Array(entries)) = doc.as_object().and_then(|o| o.get("keys")) else {
            return Err(JwksError::NotASet);
        };
        if entries.len() > MAX_KEYS {
            return Err(JwksError::TooManyKeys);
        }
        let mut keys: Vec<(usize, Key)> = Vec::new();
        let mut skipped = Vec::new();
        for (index, entry) in entries.iter().enumerate() {
            match parse_jwk(entry, allowed, origin) {
                Ok(k) => keys.push((index, k)),
                Err(error) => skipped.push(Skipped {
                    index,
                    kid: entry
                        .as_object()
                        .and_then(|o| o.get_str("kid"))
                        .map(String::from),
                    error,
                }),
            }
        }
        // A kid shared by two keys with overlapping algorithms is ambiguous: drop all of them.
        let mut dup = alloc::vec![false; keys.len()];
        for (i, (_, a)) in keys.iter().enumerate() {
            for (j, (_, b)) in keys.iter().enumerate().skip(i + 1) {
                if a.kid.is_some() && a.kid == b.kid && !a.algs.and(b.algs).is_empty() {
                    if let Some(d) = dup.get_mut(i) {
                        *d = true;
                    }
                    if let Some(d) = dup.get_mut(j) {
                        *d = true;
                    }
                }
            }
        }
        let mut kept = Vec::with_capacity(keys.len());
        for ((index, k), is_dup) in keys.into_iter().zip(dup) {
            if is_dup {
                skipped.push(Skipped {
                    index,
                    kid: k.kid,
                    error: KeyError::DuplicateKid,
                });
            } else {
                kept.push(k);
            }
        }
        if kept.is_empty() {
            return Err(JwksError::NoUsableKey(skipped));
        }
        let mut h = Sha256::new();
        for k in &kept {
            h.update(k.thumbprint.as_bytes());
            h.update([0]);
            h.update(k.kid.as_deref().unwrap_or("").as_bytes());
            h.update([0]);
            for a in k.algs.iter() {
                h.update(a.name().as_bytes());
            }
            h.update([0xff]);
        }
        let digest = h.finalize();
        let mut fingerprint = [0u8; 8];
        fingerprint.copy_from_slice(digest.get(..8).unwrap_or(&[0u8; 8]));
        Ok(KeySet {
            keys: kept,
            skipped,
            fingerprint,
        })
    }

    /// A digest of the usable keys (thumbprints, kids, bound algorithms): changes whenever
    /// the set's keys change. Part of the verified-token cache key.
    pub fn fingerprint(&self) -> [u8; 8] {
        self.fingerprint
    }

    /// The usable keys.
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// The keys that were skipped, with why.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// Chooses the keys for a token.
    ///
    /// # Errors
    /// - [`crate::Reason::KeyNotFound`]: no key has this `kid` (never falls back to other keys),
    ///   or, without `kid`, no key is bound to `alg`.
    /// - [`crate::Reason::AlgNotAllowed`]: the key with this `kid` is not bound to `alg`.
    /// - [`crate::Reason::KidMissing`]: no `kid` and more than
    ///   [`MAX_KID_LESS_CANDIDATES`] keys are bound to `alg`.
    pub fn select(&self, kid: Option<&str>, alg: Alg) -> Result<Vec<&Key>, crate::Reason> {
        use crate::Reason;
        if let Some(kid) = kid {
            let mut by_kid = self
                .keys
                .iter()
                .filter(|k| k.kid.as_deref() == Some(kid))
                .peekable();
            if by_kid.peek().is_none() {
                return Err(Reason::KeyNotFound);
            }
            let found: Vec<&Key> = by_kid.filter(|k| k.algs.contains(alg)).collect();
            if found.is_empty() {
                return Err(Reason::AlgNotAllowed);
            }
            return Ok(found);
        }
        let found: Vec<&Key> = self.keys.iter().filter(|k| k.algs.contains(alg)).collect();
        match found.len() {
            0 => Err(Reason::KeyNotFound),
            n if n > MAX_KID_LESS_CANDIDATES => Err(Reason::KidMissing),
            _ => Ok(found),
        }
    }
}

/// Parses one JWK object into a key bound to `allowed`.
///
/// # Errors
/// The [`KeyError`] saying why the key is not usable.
pub fn parse_jwk(v: &Value, allowed: AlgSet, origin: Origin) -> Result<Key, KeyError> {
    let o = v.as_object().ok_or(KeyError::Malformed)?;
    let kty = o.get_str("kty").ok_or(KeyError::UnsupportedKty)?;
    let kid = opt_str(o, "kid")?.map(String::from);
    let jwk_alg = match opt_str(o, "alg")? {
        Some(name) => Some(Alg::from_name(name).ok_or(KeyError::AlgMismatch)?),
        None => None,
    };
    if let Some(u) = opt_str(o, "use")? {
        if u != "sig" {
            return Err(KeyError::NotForVerification);
        }
    }
    if let Some(ops) = o.get("key_ops") {
        let Value::Array(ops) = ops else {
            return Err(KeyError::Malformed);
        };
        if !ops.iter().any(|op| op.as_str() == Some("verify")) {
            return Err(KeyError::NotForVerification);
        }
    }
    for private in ["d", "p", "q", "dp", "dq", "qi", "oth"] {
        if o.get(private).is_some() {
            return Err(KeyError::PrivateKey);
        }
    }
    let (material, thumb_input) = match kty {
        "RSA" => rsa_key(o)?,
        "EC" => ec_key(o)?,
        "OKP" => okp_key(o)?,
        "oct" => {
            if origin != Origin::Local {
                return Err(KeyError::SymmetricNotAllowed);
            }
            let k = o.get_str("k").ok_or(KeyError::Malformed)?;
            let secret = b64::decode(k).map_err(|_| KeyError::BadEncoding)?;
            let thumb = thumbprint_input(&[("k", k), ("kty", "oct")]);
            let key = crate::jwa::HmacKey::new(secret).ok_or(KeyError::Malformed)?;
            (KeyMaterial::Hmac(alloc::boxed::Box::new(key)), thumb)
        }
        _ => return Err(KeyError::UnsupportedKty),
    };
    let family = material.family();
    let mut algs = match jwk_alg {
        Some(a) if a.family() == family => AlgSet::one(a),
        Some(_) => return Err(KeyError::AlgMismatch),
        None => AlgSet::family(family),
    };
    if let KeyMaterial::Hmac(secret) = &material {
        let long_enough: AlgSet = algs
            .iter()
            .filter(|a| secret.len() >= a.hash_len())
            .collect();
        if long_enough.is_empty() {
            return Err(KeyError::ShortSecret);
        }
        algs = long_enough;
    }
    let algs = algs.and(allowed);
    if algs.is_empty() {
        return Err(KeyError::AlgNotAllowed);
    }
    Ok(Key {
        kid,
        algs,
        material,
        thumbprint: b64::encode(&Sha256::digest(thumb_input.as_bytes())),
    })
}

fn opt_str<'a>(o: &'a Object, name: &str) -> Result<Option<&'a str>, KeyError> {
    match o.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(KeyError::Malformed),
    }
}

fn req_b64(o: &Object, name: &str) -> Result<(String, Vec<u8>), KeyError> {
    let s = o.get_str(name).ok_or(KeyError::Malformed)?;
    let bytes = b64::decode(s).map_err(|_| KeyError::BadEncoding)?;
    Ok((String::from(s), bytes))
}

/// The RFC 7638 canonical JSON: required members only, sorted, no whitespace.
fn thumbprint_input(members: &[(&str, &str)]) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json::write_string(k, &mut out);
        out.push(':');
        json::write_string(v, &mut out);
    }
    out.push('}');
    out
}

fn rsa_key(o: &Object) -> Result<(KeyMaterial, String), KeyError> {
    let (n_s, n) = req_b64(o, "n")?;
    let (e_s, e) = req_b64(o, "e")?;
    // 2048..=8192 bits, n odd, e odd with 3 <= e < 2^32; the Montgomery constants are
    // computed here, once per key.
    let key = RsaPublicKey::new(&n, &e).ok_or(KeyError::WeakRsa)?;
    if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&key.bits()) {
        return Err(KeyError::WeakRsa);
    }
    let thumb = thumbprint_input(&[("e", &e_s), ("kty", "RSA"), ("n", &n_s)]);
    Ok((KeyMaterial::Rsa(key), thumb))
}

fn ec_key(o: &Object) -> Result<(KeyMaterial, String), KeyError> {
    let crv = o.get_str("crv").ok_or(KeyError::Malformed)?;
    let curve = match crv {
        "P-256" => Curve::P256,
        "P-384" => Curve::P384,
        "P-521" => Curve::P521,
        _ => return Err(KeyError::UnsupportedCurve),
    };
    let (x_s, x) = req_b64(o, "x")?;
    let (y_s, y) = req_b64(o, "y")?;
    let len = match curve {
        Curve::P256 => 32,
        Curve::P384 => 48,
        Curve::P521 => 66,
    };
    if x.len() != len || y.len() != len {
        return Err(KeyError::InvalidPoint);
    }
    // from_affine checks the coordinates are below p and the point is on the curve (so not
    // the identity), and builds the key's comb table.
    let material = match curve {
        Curve::P256 => P256PublicKey::from_affine(&x, &y).map(KeyMaterial::P256),
        Curve::P384 => P384PublicKey::from_affine(&x, &y).map(KeyMaterial::P384),
        Curve::P521 => P521PublicKey::from_affine(&x, &y).map(KeyMaterial::P521),
    }
    .ok_or(KeyError::InvalidPoint)?;
    let thumb = thumbprint_input(&[("crv", crv), ("kty", "EC"), ("x", &x_s), ("y", &y_s)]);
    Ok((material, thumb))
}

fn okp_key(o: &Object) -> Result<(KeyMaterial, String), KeyError> {
    let crv = o.get_str("crv").ok_or(KeyError::Malformed)?;
    if crv != "Ed25519" {
        return Err(KeyError::UnsupportedCurve);
    }
    let (x_s, x) = req_b64(o, "x")?;
    let bytes: [u8; 32] = x
        .as_slice()
        .try_into()
        .map_err(|_| KeyError::InvalidPoint)?;
    let key =
        ed25519_dalek::VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::InvalidPoint)?;
    if key.is_weak() {
        return Err(KeyError::InvalidPoint);
    }
    let thumb = thumbprint_input(&[("crv", "Ed25519"), ("kty", "OKP"), ("x", &x_s)]);
    Ok((KeyMaterial::Ed25519(key), thumb))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwa::Family;

    // RFC 7638 section 3.1 example key and thumbprint.
    const RFC7638_N: &str = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

    fn set(json: &str, allowed: AlgSet, origin: Origin) -> Result<KeySet, JwksError> {
        KeySet::from_jwks(json.as_bytes(), allowed, origin)
    }

    #[test]
    fn rfc7638_thumbprint() {
        let jwks = alloc::format!(
            r#"{{"keys":[{{"kty":"RSA","n":"{RFC7638_N}","e":"AQAB","alg":"RS256","kid":"2011-04-29"}}]}}"#
        );
        let s = set(&jwks, AlgSet::all(), Origin::Fetched).unwrap();
        assert_eq!(
            s.keys()[0].thumbprint,
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
        assert_eq!(s.keys()[0].algs, AlgSet::one(Alg::RS256));
    }

    #[test]
    fn binding_and_skips() {
        let jwks = alloc::format!(
            r#"{{"keys":[
              {{"kty":"RSA","n":"{RFC7638_N}","e":"AQAB","kid":"r"}},
              {{"kty":"RSA","n":"{RFC7638_N}","e":"AQAB","kid":"enc","use":"enc"}},
              {{"kty":"RSA","n":"{RFC7638_N}","e":"AQAB","kid":"hs","alg":"HS256"}},
              {{"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","kid":"o"}},
              {{"kty":"RSA","n":"{RFC7638_N}","e":"Aw","kid":"e3","d":"AA"}},
              {{"kty":"XYZ"}}
            ]}}"#
        );
        let s = set(&jwks, AlgSet::all(), Origin::Fetched).unwrap();
        assert_eq!(s.keys().len(), 1);
        assert_eq!(s.keys()[0].algs, AlgSet::family(Family::Rsa));
        let codes: Vec<&str> = s.skipped().iter().map(|k| k.error.code()).collect();
        assert_eq!(
            codes,
            [
                "not_for_verification",
                "alg_mismatch",
                "symmetric_not_allowed",
                "private_key",
                "unsupported_kty"
            ]
        );
        // Allow-list intersection.
        let only_ps = AlgSet::one(Alg::PS256);
        let s = set(&jwks, only_ps, Origin::Local).unwrap();
        assert_eq!(s.keys()[0].algs, only_ps);
    }

    #[test]
    fn hmac_length_binding() {
        // 32-byte secret: HS256 only.
        let s = set(
            r#"{"keys":[{"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]}"#,
            AlgSet::all(),
            Origin::Local,
        )
        .unwrap();
        assert_eq!(s.keys()[0].algs, AlgSet::one(Alg::HS256));
        let short = set(
            r#"{"keys":[{"kty":"oct","k":"AAAA","alg":"HS256"}]}"#,
            AlgSet::all(),
            Origin::Local,
        );
        assert!(
            matches!(short, Err(JwksError::NoUsableKey(ref v)) if v[0].error == KeyError::ShortSecret)
        );
    }

    #[test]
    fn selection_rules() {
        let jwks = alloc::format!(
            r#"{{"keys":[{{"kty":"RSA","n":"{RFC7638_N}","e":"AQAB","kid":"a","alg":"RS256"}},
                        {{"kty":"RSA","n":"{RFC7638_N}","e":"AQAB","kid":"b","alg":"PS256"}}]}}"#
        );
        let s = set(&jwks, AlgSet::all(), Origin::Fetched).unwrap();
        assert_eq!(s.select(Some("a"), Alg::RS256).unwrap().len(), 1);
        assert_eq!(
            s.select(Some("a"), Alg::PS256).unwrap_err(),
            crate::Reason::AlgNotAllowed
        );
        assert_eq!(
            s.select(Some("zz"), Alg::RS256).unwrap_err(),
            crate::Reason::KeyNotFound
        );
        assert_eq!(s.select(None, Alg::PS256).unwrap().len(), 1);
        assert_eq!(
            s.select(None, Alg::ES256).unwrap_err(),
            crate::Reason::KeyNotFound
        );
        let many: Vec<String> = (0..5)
            .map(|i| alloc::format!(r#"{{"kty":"RSA","n":"{RFC7638_N}","e":"AQAB","kid":"k{i}"}}"#))
            .collect();
        let s = set(
            &alloc::format!(r#"{{"keys":[{}]}}"#, many.join(",")),
            AlgSet::all(),
            Origin::Fetched,
        )
        .unwrap();
        assert_eq!(
            s.select(None, Alg::RS256).unwrap_err(),
            crate::Reason::KidMissing
        );
    }

    #[test]
    fn duplicate_kids_are_dropped() {
        let jwks = alloc::format!(
            r#"{{"keys":[{{"kty":"RSA","n":"{RFC7638_N}","e":"AQAB","kid":"a"}},
                        {{"kty":"RSA","n":"{RFC7638_N}","e":"AQAB","kid":"a"}}]}}"#
        );
        assert!(matches!(
            set(&jwks, AlgSet::all(), Origin::Fetched),
            Err(JwksError::NoUsableKey(_))
        ));
    }

    #[test]
    fn set_level_errors() {
        assert_eq!(
            set("[]", AlgSet::all(), Origin::Fetched).unwrap_err(),
            JwksError::NotASet
        );
        assert!(matches!(
            set("{\"keys\":[", AlgSet::all(), Origin::Fetched),
            Err(JwksError::Json(_))
        ));
        let many = alloc::vec!["{}"; 65].join(",");
        assert_eq!(
            set(
                &alloc::format!("{{\"keys\":[{many}]}}"),
                AlgSet::all(),
                Origin::Fetched
            )
            .unwrap_err(),
            JwksError::TooManyKeys
        );
    }

    #[test]
    fn weak_and_invalid_keys() {
        // 512-bit modulus.
        let n512 = b64::encode(&[0xC1u8; 64]);
        let jwks = alloc::format!(r#"{{"keys":[{{"kty":"RSA","n":"{n512}","e":"AQAB"}}]}}"#);
        assert!(
            matches!(set(&jwks, AlgSet::all(), Origin::Fetched), Err(JwksError::NoUsableKey(ref v)) if v[0].error == KeyError::WeakRsa)
        );
        // Even exponent.
        let jwks = alloc::format!(r#"{{"keys":[{{"kty":"RSA","n":"{RFC7638_N}","e":"AQAA"}}]}}"#);
        assert!(
            matches!(set(&jwks, AlgSet::all(), Origin::Fetched), Err(JwksError::NoUsableKey(ref v)) if v[0].error == KeyError::WeakRsa)
        );
        // Even modulus.
        let mut even = [0xffu8; 256];
        even[255] = 0xfe;
        let jwks = alloc::format!(
            r#"{{"keys":[{{"kty":"RSA","n":"{}","e":"AQAB"}}]}}"#,
            b64::encode(&even)
        );
        assert!(
            matches!(set(&jwks, AlgSet::all(), Origin::Fetched), Err(JwksError::NoUsableKey(ref v)) if v[0].error == KeyError::WeakRsa)
        );
        // Exponent 1 and exponent 2^32 + 1.
        for e in ["AQ", "AQAAAAE"] {
            let jwks =
                alloc::format!(r#"{{"keys":[{{"kty":"RSA","n":"{RFC7638_N}","e":"{e}"}}]}}"#);
            assert!(
                matches!(set(&jwks, AlgSet::all(), Origin::Fetched), Err(JwksError::NoUsableKey(ref v)) if v[0].error == KeyError::WeakRsa),
                "{e}"
            );
        }
        // Ed25519 small-order key (the identity point).
        let mut id = [0u8; 32];
        id[0] = 1;
        let jwks = alloc::format!(
            r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","x":"{}"}}]}}"#,
            b64::encode(&id)
        );
        assert!(
            matches!(set(&jwks, AlgSet::all(), Origin::Fetched), Err(JwksError::NoUsableKey(ref v)) if v[0].error == KeyError::InvalidPoint)
        );
        // Off-curve P-256 point.
        let c = b64::encode(&[1u8; 32]);
        let jwks =
            alloc::format!(r#"{{"keys":[{{"kty":"EC","crv":"P-256","x":"{c}","y":"{c}"}}]}}"#);
        assert!(
            matches!(set(&jwks, AlgSet::all(), Origin::Fetched), Err(JwksError::NoUsableKey(ref v)) if v[0].error == KeyError::InvalidPoint)
        );
    }
}
