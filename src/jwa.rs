//! JSON Web Algorithms (RFC 7518, RFC 8037): the allow-list and the verify functions.
//!
//! Every function here takes the exact algorithm and a key already bound to it; failures carry
//! no detail (a signature is valid or it is not).

use alloc::vec::Vec;
use hmac::{Hmac, Mac};
use sha2::{Sha256, Sha384, Sha512};

use crate::ec_fast::{P256PublicKey, P384PublicKey, P521PublicKey};
use crate::rsa_fast::RsaPublicKey;

/// A JWS algorithm we implement. `none` is not one, and never will be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(clippy::upper_case_acronyms)]
pub enum Alg {
    /// HMAC with SHA-256.
    HS256,
    /// HMAC with SHA-384.
    HS384,
    /// HMAC with SHA-512.
    HS512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256, 32-byte salt.
    PS256,
    /// RSASSA-PSS with SHA-384, MGF1-SHA-384, 48-byte salt.
    PS384,
    /// RSASSA-PSS with SHA-512, MGF1-SHA-512, 64-byte salt.
    PS512,
    /// ECDSA P-256 with SHA-256, fixed-length r||s.
    ES256,
    /// ECDSA P-384 with SHA-384, fixed-length r||s.
    ES384,
    /// ECDSA P-521 with SHA-512, fixed-length r||s.
    ES512,
    /// Ed25519 (RFC 8037), strict verification.
    EdDSA,
}

/// The key family an algorithm needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Symmetric (`oct`).
    Hmac,
    /// RSA (PKCS#1 v1.5 and PSS).
    Rsa,
    /// EC over one NIST curve.
    Ec(Curve),
    /// OKP Ed25519.
    Ed25519,
}

/// A NIST curve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Curve {
    /// P-256.
    P256,
    /// P-384.
    P384,
    /// P-521.
    P521,
}

impl Alg {
    /// Every algorithm, in a fixed order (bit positions in [`AlgSet`]).
    pub const ALL: [Alg; 13] = [
        Alg::HS256,
        Alg::HS384,
        Alg::HS512,
        Alg::RS256,
        Alg::RS384,
        Alg::RS512,
        Alg::PS256,
        Alg::PS384,
        Alg::PS512,
        Alg::ES256,
        Alg::ES384,
        Alg::ES512,
        Alg::EdDSA,
    ];

    /// Parses a JOSE `alg` name; exact and case-sensitive, as RFC 7515 requires.
    pub fn from_name(name: &str) -> Option<Alg> {
        Alg::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// The JOSE name.
    pub const fn name(self) -> &'static str {
        match self {
            Alg::HS256 => "HS256",
            Alg::HS384 => "HS384",
            Alg::HS512 => "HS512",
            Alg::RS256 => "RS256",
            Alg::RS384 => "RS384",
            Alg::RS512 => "RS512",
            Alg::PS256 => "PS256",
            Alg::PS384 => "PS384",
            Alg::PS512 => "PS512",
            Alg::ES256 => "ES256",
            Alg::ES384 => "ES384",
            Alg::ES512 => "ES512",
            Alg::EdDSA => "EdDSA",
        }
    }

    /// The key family this algorithm needs.
    pub const fn family(self) -> Family {
        match self {
            Alg::HS256 | Alg::HS384 | Alg::HS512 => Family::Hmac,
            Alg::RS256 | Alg::RS384 | Alg::RS512 | Alg::PS256 | Alg::PS384 | Alg::PS512 => {
                Family::Rsa
            }
            Alg::ES256 => Family::Ec(Curve::P256),
            Alg::ES384 => Family::Ec(Curve::P384),
            Alg::ES512 => Family::Ec(Curve::P521),
            Alg::EdDSA => Family::Ed25519,
        }
    }

    /// Output bytes of the algorithm's hash (the minimum HMAC key length).
    pub const fn hash_len(self) -> usize {
        match self {
            Alg::HS256 | Alg::RS256 | Alg::PS256 | Alg::ES256 => 32,
            Alg::HS384 | Alg::RS384 | Alg::PS384 | Alg::ES384 => 48,
            Alg::HS512 | Alg::RS512 | Alg::PS512 | Alg::ES512 | Alg::EdDSA => 64,
        }
    }

    const fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A set of algorithms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct AlgSet(u16);

impl AlgSet {
    /// No algorithm.
    pub const EMPTY: AlgSet = AlgSet(0);

    /// Every implemented algorithm.
    pub const fn all() -> AlgSet {
        AlgSet((1 << Alg::ALL.len()) - 1)
    }

    /// The set with one algorithm.
    pub const fn one(alg: Alg) -> AlgSet {
        AlgSet(alg.bit())
    }

    /// All algorithms of one family.
    pub fn family(family: Family) -> AlgSet {
        Alg::ALL
            .iter()
            .filter(|a| a.family() == family)
            .fold(AlgSet::EMPTY, |s, a| s.with(*a))
    }

    /// This set plus `alg`.
    #[must_use]
    pub const fn with(self, alg: Alg) -> AlgSet {
        AlgSet(self.0 | alg.bit())
    }

    /// True when `alg` is in the set.
    pub const fn contains(self, alg: Alg) -> bool {
        self.0 & alg.bit() != 0
    }

    /// The intersection.
    #[must_use]
    pub const fn and(self, other: AlgSet) -> AlgSet {
        AlgSet(self.0 & other.0)
    }

    /// True when empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The members in [`Alg::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Alg> {
        Alg::ALL.into_iter().filter(move |a| self.contains(*a))
    }
}

impl FromIterator<Alg> for AlgSet {
    fn from_iter<I: IntoIterator<Item = Alg>>(iter: I) -> Self {
        iter.into_iter().fold(AlgSet::EMPTY, AlgSet::with)
    }
}

/// An HMAC secret with its keyed states computed once at key load: each verification then
/// clones a state that has already absorbed the padded key, sparing two hash compressions
/// per token (a third of the work for a typical HS256 token, and these are software hashes
/// in wasm).
#[derive(Clone)]
pub struct HmacKey {
    secret: Vec<u8>,
    s256: Hmac<Sha256>,
    s384: Hmac<Sha384>,
    s512: Hmac<Sha512>,
}

impl HmacKey {
    /// Keys the three HMAC states with `secret`. `None` only if the MAC refuses the key
    /// length, which HMAC never does.
    pub fn new(secret: Vec<u8>) -> Option<HmacKey> {
        Some(HmacKey {
            s256: <Hmac<Sha256> as Mac>::new_from_slice(&secret).ok()?,
            s384: <Hmac<Sha384> as Mac>::new_from_slice(&secret).ok()?,
            s512: <Hmac<Sha512> as Mac>::new_from_slice(&secret).ok()?,
            secret,
        })
    }

    /// The secret's length in bytes.
    pub fn len(&self) -> usize {
        self.secret.len()
    }

    /// True for an empty secret (never bound to an algorithm: shorter than every hash).
    pub fn is_empty(&self) -> bool {
        self.secret.is_empty()
    }

    /// The secret (for signing in tools and tests).
    pub fn secret(&self) -> &[u8] {
        &self.secret
    }
}

/// Verifying key material, already validated (see [`crate::jwk`]).
#[derive(Clone)]
pub enum KeyMaterial {
    /// An HMAC secret (at least the hash length of every algorithm it is bound to); boxed,
    /// since its keyed states are larger than the other variants.
    Hmac(alloc::boxed::Box<HmacKey>),
    /// An RSA public key (2048 to 8192 bits, odd e with 3 <= e < 2^32), precomputed for
    /// verification.
    Rsa(RsaPublicKey),
    /// A P-256 public point with its comb table.
    P256(P256PublicKey),
    /// A P-384 public point with its comb table.
    P384(P384PublicKey),
    /// A P-521 public point with its comb table.
    P521(P521PublicKey),
    /// An Ed25519 public key.
    Ed25519(ed25519_dalek::VerifyingKey),
}

impl core::fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never print secrets; public keys are summarised by family.
        write!(f, "KeyMaterial({:?})", self.family())
    }
}

impl KeyMaterial {
    /// The family of this key.
    pub fn family(&self) -> Family {
        match self {
            KeyMaterial::Hmac(_) => Family::Hmac,
            KeyMaterial::Rsa(_) => Family::Rsa,
            KeyMaterial::P256(_) => Family::Ec(Curve::P256),
            KeyMaterial::P384(_) => Family::Ec(Curve::P384),
            KeyMaterial::P521(_) => Family::Ec(Curve::P521),
            KeyMaterial::Ed25519(_) => Family::Ed25519,
        }
    }
}

/// Verifies `sig` over `msg` with `alg` and `key`. Returns `false` on any mismatch, including
/// a key of the wrong family: the key type is always bound to the algorithm.
pub fn verify(alg: Alg, key: &KeyMaterial, msg: &[u8], sig: &[u8]) -> bool {
    match (alg, key) {
        (Alg::HS256 | Alg::HS384 | Alg::HS512, KeyMaterial::Hmac(k)) => {
            hmac_verify(alg, k, msg, sig)
        }
        // PKCS#1 v1.5 compares the whole encoded message; PSS uses MGF1 over the same hash and
        // a salt as long as the hash. Both refuse a signature that is not exactly k bytes.
        (Alg::RS256, KeyMaterial::Rsa(k)) => k.verify_pkcs1v15::<Sha256>(msg, sig),
        (Alg::RS384, KeyMaterial::Rsa(k)) => k.verify_pkcs1v15::<Sha384>(msg, sig),
        (Alg::RS512, KeyMaterial::Rsa(k)) => k.verify_pkcs1v15::<Sha512>(msg, sig),
        (Alg::PS256, KeyMaterial::Rsa(k)) => k.verify_pss::<Sha256>(msg, sig),
        (Alg::PS384, KeyMaterial::Rsa(k)) => k.verify_pss::<Sha384>(msg, sig),
        (Alg::PS512, KeyMaterial::Rsa(k)) => k.verify_pss::<Sha512>(msg, sig),
        // Exactly 64, 96 or 132 bytes (r || s), r and s in [1, n-1].
        (Alg::ES256, KeyMaterial::P256(k)) => k.verify(msg, sig),
        (Alg::ES384, KeyMaterial::P384(k)) => k.verify(msg, sig),
        (Alg::ES512, KeyMaterial::P521(k)) => k.verify(msg, sig),
        (Alg::EdDSA, KeyMaterial::Ed25519(k)) => {
            // Strict: rejects non-canonical S, small-order A and R (ed25519-dalek verify_strict).
            ed25519_dalek::Signature::from_slice(sig)
                .is_ok_and(|s| k.verify_strict(msg, &s).is_ok())
        }
        _ => false,
    }
}

/// Constant-time HMAC check (`verify_slice`); a tag of the wrong length fails.
fn hmac_verify(alg: Alg, key: &HmacKey, msg: &[u8], tag: &[u8]) -> bool {
    macro_rules! check {
        ($state:expr) => {{
            let mut mac = $state.clone();
            mac.update(msg);
            mac.verify_slice(tag).is_ok()
        }};
    }
    match alg {
        Alg::HS256 => check!(key.s256),
        Alg::HS384 => check!(key.s384),
        Alg::HS512 => check!(key.s512),
        _ => false,
    }
}

/// Computes an HMAC tag (for minting and tests); `None` for a non-HMAC algorithm.
pub fn hmac_sign(alg: Alg, key: &[u8], msg: &[u8]) -> Option<Vec<u8>> {
    macro_rules! tag {
        ($d:ty) => {{
            let mut mac = <Hmac<$d> as Mac>::new_from_slice(key).ok()?;
            mac.update(msg);
            Some(mac.finalize().into_bytes().to_vec())
        }};
    }
    match alg {
        Alg::HS256 => tag!(Sha256),
        Alg::HS384 => tag!(Sha384),
        Alg::HS512 => tag!(Sha512),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_case_sensitive() {
        for a in Alg::ALL {
            assert_eq!(Alg::from_name(a.name()), Some(a));
        }
        for bad in [
            "none", "None", "NONE", "hs256", "eddsa", "ES256K", "RS1", "",
        ] {
            assert_eq!(Alg::from_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn algsets() {
        let rsa = AlgSet::family(Family::Rsa);
        assert!(rsa.contains(Alg::PS512) && !rsa.contains(Alg::HS256));
        assert_eq!(rsa.iter().count(), 6);
        assert_eq!(AlgSet::all().iter().count(), 13);
        assert!(rsa.and(AlgSet::one(Alg::ES256)).is_empty());
    }

    #[test]
    fn wrong_family_never_verifies() {
        let key = KeyMaterial::Hmac(alloc::boxed::Box::new(
            HmacKey::new(alloc::vec![7u8; 64]).unwrap(),
        ));
        let tag = hmac_sign(Alg::HS256, &[7u8; 64], b"m").unwrap();
        assert!(verify(Alg::HS256, &key, b"m", &tag));
        assert!(!verify(Alg::RS256, &key, b"m", &tag));
        assert!(!verify(Alg::HS384, &key, b"m", &tag));
        assert!(!verify(Alg::HS256, &key, b"m", &tag[..31]));
    }
}
