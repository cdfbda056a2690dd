//! `DPoP` proofs (RFC 9449): the proof JWT in the `DPoP` request header, checked against the
//! request and the access token, and stateless server nonces.
//!
//! Order of checks in [`verify_proof`], each before the next is attempted: size cap -> exactly
//! three segments of the base64url alphabet -> strict base64url into capped buffers -> bounded
//! JSON header -> `typ` exactly `dpop+jwt` -> `alg` asymmetric and in the allow-list (never
//! `none`, never `HS*`) -> no `crit`, `b64` -> no `jku` / `x5u` / `x5c` -> the `jwk` header: a
//! public key only, of the family `alg` needs (RSA >= 2048 bits) -> signature verified with that
//! key -> only then the claims: `jti`, `htm`, `htu`, `iat`, `ath`, `nonce`.
//!
//! The proof's `jwk` header is the one place a key comes from a token header: it is used only to
//! check the proof itself, and what it proves is possession of the key whose RFC 7638 thumbprint
//! is returned ([`Proof::jkt`]); the access token's `cnf.jkt` must then equal it
//! ([`check_binding`]). `kid` is ignored (the key is the `jwk`, nothing is looked up); `jku`,
//! `x5u` and `x5c` are refused, since a proof carrying them expects a key choice or a certificate
//! trust we never make.
//!
//! `htu` is compared after RFC 3986 syntax- and scheme-based normalisation of both sides
//! ([`normalize_htu`]), as RFC 9449 section 4.3 recommends. Replay of a proof within its window
//! is the job of server nonces ([`NonceKey`], the control that works in every host) and, as an
//! extra, of the `jti` caches in [`crate::replay`].

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Write as _};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::b64;
use crate::json::{self, Limits, Object, Value};
use crate::jwa::{self, Alg, AlgSet, Family};
use crate::jwk::{self, Origin};

/// Maximum bytes of a proof, checked before anything is decoded.
pub const MAX_PROOF_BYTES: usize = 8 * 1024;
/// Maximum decoded bytes of the proof's header (an RSA 8192-bit `jwk` is about 1.4 KiB).
pub const MAX_HEADER_BYTES: usize = 3 * 1024;
/// Maximum decoded bytes of the proof's claims.
pub const MAX_CLAIMS_BYTES: usize = 4 * 1024;
/// Maximum decoded bytes of the signature (RSA 8192 bits).
pub const MAX_SIGNATURE_BYTES: usize = 1024;
/// Maximum bytes of `jti` (RFC 9449 section 11.1: refuse unnecessarily large values).
pub const MAX_JTI_BYTES: usize = 256;
/// Maximum bytes of a URL given to [`normalize_htu`] once query and fragment are dropped.
pub const MAX_HTU_BYTES: usize = 8 * 1024;

/// The `typ` a proof must carry, exactly.
pub const TYP: &str = "dpop+jwt";

const HEADER_LIMITS: Limits = Limits {
    max_bytes: MAX_HEADER_BYTES,
    max_depth: 3,
    max_members: 24,
    max_string: 2048,
    max_nodes: 96,
};

const CLAIMS_LIMITS: Limits = Limits {
    max_bytes: MAX_CLAIMS_BYTES,
    max_depth: 6,
    max_members: 64,
    max_string: 2048,
    max_nodes: 256,
};

/// Private JWK members (RFC 7518 section 6): a `jwk` header with any of them is refused.
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// The asymmetric algorithms a proof may use (every implemented one but `HS*`).
pub const ASYMMETRIC: AlgSet = AlgSet::one(Alg::RS256)
    .with(Alg::RS384)
    .with(Alg::RS512)
    .with(Alg::PS256)
    .with(Alg::PS384)
    .with(Alg::PS512)
    .with(Alg::ES256)
    .with(Alg::ES384)
    .with(Alg::ES512)
    .with(Alg::EdDSA);

/// How proofs are checked.
#[derive(Clone, Debug)]
pub struct DpopConfig {
    /// The algorithms a proof may use: asymmetric only (RS*, PS*, ES*, `EdDSA`); `HS*` in this
    /// set is refused by [`DpopConfig::validate`] and never accepted by [`verify_proof`].
    pub algorithms: AlgSet,
    /// How far `iat` may lie in the past, in seconds.
    pub max_age_seconds: i64,
    /// How far `iat` may lie in the future, in seconds (the policy adds its clock skew here).
    pub max_future_seconds: i64,
    /// When set, every proof must carry a `nonce` this key issued recently.
    pub nonce: Option<NonceKey>,
}

impl Default for DpopConfig {
    /// ES256, ES384, PS256, RS256 and `EdDSA`; `iat` up to 300 s old and 5 s ahead; no nonce.
    fn default() -> Self {
        DpopConfig {
            algorithms: DpopConfig::DEFAULT_ALGORITHMS,
            max_age_seconds: 300,
            max_future_seconds: 5,
            nonce: None,
        }
    }
}

impl DpopConfig {
    /// The default algorithms: ES256, ES384, PS256, RS256, `EdDSA`.
    pub const DEFAULT_ALGORITHMS: AlgSet = AlgSet::one(Alg::ES256)
        .with(Alg::ES384)
        .with(Alg::PS256)
        .with(Alg::RS256)
        .with(Alg::EdDSA);

    /// Checks the configuration as a policy loader should before use.
    ///
    /// # Errors
    /// A message naming the problem: no algorithm, a symmetric algorithm, a negative window.
    pub fn validate(&self) -> Result<(), &'static str> {
        if self.algorithms.is_empty() {
            return Err("dpop: no algorithm allowed");
        }
        if self.algorithms.and(ASYMMETRIC) != self.algorithms {
            return Err("dpop: proofs use asymmetric algorithms only (no HS256/HS384/HS512)");
        }
        if self.max_age_seconds < 0 || self.max_future_seconds < 0 {
            return Err("dpop: iat windows are not negative");
        }
        Ok(())
    }
}

/// A proof that verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proof {
    /// The RFC 7638 SHA-256 thumbprint of the proof key, base64url: compare with `cnf.jkt`.
    pub jkt: String,
    /// The proof's `jti` (1 to [`MAX_JTI_BYTES`] bytes), for a replay cache.
    pub jti: String,
    /// The proof's `iat`, in whole seconds (a fraction is dropped).
    pub iat: i64,
}

/// Why a proof, or its binding, was refused. Each variant has one stable `snake_case` code; no
/// variant carries input bytes.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DpopError {
    /// A `DPoP`-bound token came without a `DPoP` header.
    ProofMissing,
    /// More than one `DPoP` header (or one value holding several).
    ProofMultiple,
    /// Not a well-formed compact JWS within the size caps; bad base64url or JSON; a `crit`
    /// or `b64` header; claims not an object.
    ProofMalformed,
    /// `typ` missing or not exactly `dpop+jwt`.
    ProofTyp,
    /// `alg` missing, `none`, symmetric, unknown or outside the allow-list.
    ProofAlg,
    /// `jwk` missing, not a usable public key for `alg` (private members, symmetric key, weak
    /// RSA, invalid point, another family); or a `jku` / `x5u` / `x5c` header.
    ProofKey,
    /// The signature does not verify with the `jwk` key.
    ProofSignature,
    /// `jti` missing, not a string, empty or over [`MAX_JTI_BYTES`].
    ProofJti,
    /// `htm` missing or not the request method.
    ProofHtm,
    /// `htu` missing, not a URL, or not the request URL after normalisation.
    ProofHtu,
    /// `iat` missing, not a number, or outside the accepted window.
    ProofIat,
    /// `ath` missing (with an access token) or not the hash of the access token.
    ProofAth,
    /// The configuration requires a server nonce and the proof has none, or one not issued
    /// recently: answer `use_dpop_nonce` with a fresh `DPoP-Nonce`.
    UseNonce,
    /// The access token's `cnf.jkt` is not the proof key's thumbprint.
    BindingMismatch,
    /// The proof's `jti` was seen before (a replay cache said so).
    Replayed,
}

impl DpopError {
    /// Every variant, in declaration order. Append only.
    pub const ALL: &'static [DpopError] = &[
        DpopError::ProofMissing,
        DpopError::ProofMultiple,
        DpopError::ProofMalformed,
        DpopError::ProofTyp,
        DpopError::ProofAlg,
        DpopError::ProofKey,
        DpopError::ProofSignature,
        DpopError::ProofJti,
        DpopError::ProofHtm,
        DpopError::ProofHtu,
        DpopError::ProofIat,
        DpopError::ProofAth,
        DpopError::UseNonce,
        DpopError::BindingMismatch,
        DpopError::Replayed,
    ];

    /// The stable code (for logs, metrics and response bodies).
    pub const fn code(self) -> &'static str {
        match self {
            DpopError::ProofMissing => "proof_missing",
            DpopError::ProofMultiple => "proof_multiple",
            DpopError::ProofMalformed => "proof_malformed",
            DpopError::ProofTyp => "proof_typ",
            DpopError::ProofAlg => "proof_alg",
            DpopError::ProofKey => "proof_key",
            DpopError::ProofSignature => "proof_signature",
            DpopError::ProofJti => "proof_jti",
            DpopError::ProofHtm => "proof_htm",
            DpopError::ProofHtu => "proof_htu",
            DpopError::ProofIat => "proof_iat",
            DpopError::ProofAth => "proof_ath",
            DpopError::UseNonce => "use_nonce",
            DpopError::BindingMismatch => "binding_mismatch",
            DpopError::Replayed => "replayed",
        }
    }

    /// The RFC 9449 / RFC 6750 `error` value for a `WWW-Authenticate: DPoP` challenge:
    /// `use_dpop_nonce` (section 9), `invalid_token` for a failed key binding (figure 16),
    /// `invalid_dpop_proof` (section 7.1) for everything else.
    pub const fn oauth_error(self) -> &'static str {
        match self {
            DpopError::UseNonce => "use_dpop_nonce",
            DpopError::BindingMismatch => "invalid_token",
            _ => "invalid_dpop_proof",
        }
    }
}

impl fmt::Display for DpopError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Picks the one proof among the `DPoP` header values of a request (RFC 9449 section 4.3,
/// check 1). A value with a comma is several headers joined by a proxy (a JWS has no comma).
///
/// # Errors
/// [`DpopError::ProofMissing`] for none, [`DpopError::ProofMultiple`] for more than one.
pub fn single_proof<'a, I>(values: I) -> Result<&'a str, DpopError>
where
    I: IntoIterator<Item = &'a str>,
{
    let mut it = values.into_iter();
    let first = it.next().ok_or(DpopError::ProofMissing)?;
    if it.next().is_some() || first.contains(',') {
        return Err(DpopError::ProofMultiple);
    }
    Ok(first.trim_matches([' ', '\t']))
}

/// The `ath` value for an access token: base64url(SHA-256(token)).
pub fn access_token_hash(access_token: &str) -> String {
    b64::encode(&Sha256::digest(access_token.as_bytes()))
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'
}

/// Verifies a `DPoP` proof for a request with `method` and public URL `htu` (the policy's
/// `public_origin` followed by the raw request target, see [`crate::context::public_url`]).
/// With `access_token`, the proof must carry its `ath`. `now` is Unix seconds.
///
/// # Errors
/// - [`DpopError::ProofMalformed`]: over [`MAX_PROOF_BYTES`], not three base64url segments,
///   a part over its cap, a header or claims set that is not bounded JSON, `crit`, `b64`.
/// - [`DpopError::ProofTyp`], [`DpopError::ProofAlg`], [`DpopError::ProofKey`],
///   [`DpopError::ProofSignature`]: the header checks, in that order.
/// - [`DpopError::ProofJti`], [`DpopError::ProofHtm`], [`DpopError::ProofHtu`],
///   [`DpopError::ProofIat`], [`DpopError::ProofAth`]: the claims, after the signature.
/// - [`DpopError::UseNonce`]: `cfg.nonce` is set and the proof's `nonce` is missing, not one
///   the key issued, or older than the previous slot (checked last).
pub fn verify_proof(
    proof: &str,
    method: &str,
    htu: &str,
    access_token: Option<&str>,
    now: i64,
    cfg: &DpopConfig,
) -> Result<Proof, DpopError> {
    verify(proof, method, htu, access_token, now, cfg, None)
}

/// As [`verify_proof`], with the proof key taken from (or added to) `keys`: a client signs
/// every proof with the same key, and loading it costs more than verifying with it (a P-256
/// key builds its comb table, an RSA key its Montgomery constants). The cache changes the cost
/// only, never the verdict: the `jwk` header is checked for private members first, and a key
/// is found only under the exact `jwk` JSON and `alg` it was loaded from.
///
/// # Errors
/// As [`verify_proof`].
pub fn verify_proof_cached(
    proof: &str,
    method: &str,
    htu: &str,
    access_token: Option<&str>,
    now: i64,
    cfg: &DpopConfig,
    keys: &mut ProofKeyCache,
) -> Result<Proof, DpopError> {
    verify(proof, method, htu, access_token, now, cfg, Some(keys))
}

fn verify(
    proof: &str,
    method: &str,
    htu: &str,
    access_token: Option<&str>,
    now: i64,
    cfg: &DpopConfig,
    cache: Option<&mut ProofKeyCache>,
) -> Result<Proof, DpopError> {
    let malformed = DpopError::ProofMalformed;
    if proof.len() > MAX_PROOF_BYTES || !proof.bytes().all(is_token_byte) {
        return Err(malformed);
    }
    let mut parts = proof.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed);
    };
    let header_bytes = b64::decode_capped(h, MAX_HEADER_BYTES).map_err(|_| malformed)?;
    let header = json::parse(&header_bytes, &HEADER_LIMITS).map_err(|_| malformed)?;
    let header = header.as_object().ok_or(malformed)?;

    // typ, exactly (RFC 9449 section 11.5: no other JWT may pass for a proof).
    if header.get_str("typ") != Some(TYP) {
        return Err(DpopError::ProofTyp);
    }
    let alg = header
        .get_str("alg")
        .and_then(Alg::from_name)
        .filter(|a| ASYMMETRIC.and(cfg.algorithms).contains(*a))
        .ok_or(DpopError::ProofAlg)?;
    if header.get("crit").is_some() {
        return Err(malformed);
    }
    match header.get("b64") {
        None | Some(Value::Bool(true)) => {}
        Some(_) => return Err(malformed),
    }
    if ["jku", "x5u", "x5c"]
        .iter()
        .any(|m| header.get(m).is_some())
    {
        return Err(DpopError::ProofKey);
    }
    let loaded;
    let key = match cache {
        Some(c) if c.capacity > 0 => c.get_or_load(header, alg)?,
        _ => {
            loaded = proof_key(header, alg)?;
            &loaded
        }
    };

    let payload = b64::decode_capped(p, MAX_CLAIMS_BYTES).map_err(|_| malformed)?;
    let signature = b64::decode_capped(s, MAX_SIGNATURE_BYTES).map_err(|_| malformed)?;
    // The signing input is the first two segments and the dot between them.
    let signing_input = proof
        .get(..h.len().saturating_add(1).saturating_add(p.len()))
        .ok_or(malformed)?;
    if !jwa::verify(alg, &key.material, signing_input.as_bytes(), &signature) {
        return Err(DpopError::ProofSignature);
    }

    let claims = json::parse(&payload, &CLAIMS_LIMITS).map_err(|_| malformed)?;
    let claims = claims.as_object().ok_or(malformed)?;
    let jti = match claims.get_str("jti") {
        Some(j) if !j.is_empty() && j.len() <= MAX_JTI_BYTES => j,
        _ => return Err(DpopError::ProofJti),
    };
    if claims.get_str("htm") != Some(method) {
        return Err(DpopError::ProofHtm);
    }
    let htu_claim = claims
        .get_str("htu")
        .and_then(normalize_htu)
        .ok_or(DpopError::ProofHtu)?;
    if normalize_htu(htu).as_deref() != Some(htu_claim.as_str()) {
        return Err(DpopError::ProofHtu);
    }
    let iat = check_iat(claims, now, cfg)?;
    if let Some(token) = access_token {
        let expected = access_token_hash(token);
        let ok = claims
            .get_str("ath")
            .is_some_and(|a| bool::from(a.as_bytes().ct_eq(expected.as_bytes())));
        if !ok {
            return Err(DpopError::ProofAth);
        }
    }
    if let Some(nonce_key) = &cfg.nonce {
        let ok = claims
            .get_str("nonce")
            .is_some_and(|n| nonce_key.check(n, now));
        if !ok {
            return Err(DpopError::UseNonce);
        }
    }
    Ok(Proof {
        jkt: key.thumbprint.clone(),
        jti: String::from(jti),
        iat,
    })
}

/// The `jwk` header, refused when it is not an object or has a private member.
fn public_jwk(header: &Object) -> Result<&Object, DpopError> {
    let Some(Value::Object(jwk_obj)) = header.get("jwk") else {
        return Err(DpopError::ProofKey);
    };
    if PRIVATE_MEMBERS.iter().any(|m| jwk_obj.get(m).is_some()) {
        return Err(DpopError::ProofKey);
    }
    Ok(jwk_obj)
}

/// The `jwk` header as a public key bound to `alg` alone.
fn proof_key(header: &Object, alg: Alg) -> Result<jwk::Key, DpopError> {
    let jwk_obj = public_jwk(header)?;
    if alg.family() == Family::Hmac {
        return Err(DpopError::ProofAlg);
    }
    // Fetched: never a symmetric key. The key is bound to `alg` only, so an RSA key cannot
    // verify an ES256 proof, and `jwk::parse_jwk` enforces RSA >= 2048 bits, points on the
    // curve, `use`/`key_ops`, and a `jwk` `alg` (if any) equal to the header's.
    let value = Value::Object(jwk_obj.clone());
    jwk::parse_jwk(&value, AlgSet::one(alg), Origin::Fetched).map_err(|_| DpopError::ProofKey)
}

/// Proof keys already loaded, for [`verify_proof_cached`]: at most `capacity` keys, the oldest
/// replaced first. A cache of performance only: any key can be loaded again, so replacing one
/// is harmless. Each entry holds the loaded key (about 23 KiB for P-256 with its comb table,
/// under 3 KiB for RSA, less for the others) and a 32-byte digest of its `alg` and `jwk` JSON.
#[derive(Clone, Debug, Default)]
pub struct ProofKeyCache {
    entries: Vec<([u8; 32], jwk::Key)>,
    capacity: usize,
    next: usize,
}

impl ProofKeyCache {
    /// A cache of up to `capacity` keys (0 keeps none).
    pub fn new(capacity: usize) -> ProofKeyCache {
        ProofKeyCache {
            entries: Vec::new(),
            capacity,
            next: 0,
        }
    }

    /// Keys held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no key is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn get_or_load(&mut self, header: &Object, alg: Alg) -> Result<&jwk::Key, DpopError> {
        let jwk_obj = public_jwk(header)?;
        let mut h = Sha256::new();
        h.update(alg.name().as_bytes());
        h.update([0]);
        h.update(Value::Object(jwk_obj.clone()).to_json().as_bytes());
        let id: [u8; 32] = h.finalize().into();
        if let Some(i) = self.entries.iter().position(|(k, _)| *k == id) {
            return self
                .entries
                .get(i)
                .map(|(_, key)| key)
                .ok_or(DpopError::ProofKey);
        }
        let key = proof_key(header, alg)?;
        let slot = if self.entries.len() < self.capacity {
            self.entries.push((id, key));
            self.entries.len() - 1
        } else {
            let slot = self.next % self.capacity;
            if let Some(e) = self.entries.get_mut(slot) {
                *e = (id, key);
            }
            self.next = slot + 1;
            slot
        };
        self.entries
            .get(slot)
            .map(|(_, key)| key)
            .ok_or(DpopError::ProofKey)
    }
}

fn check_iat(claims: &Object, now: i64, cfg: &DpopConfig) -> Result<i64, DpopError> {
    let Some(Value::Number(n)) = claims.get("iat") else {
        return Err(DpopError::ProofIat);
    };
    let (floor, fraction) = n.floor_and_fraction().ok_or(DpopError::ProofIat)?;
    let earliest = now.saturating_sub(cfg.max_age_seconds.max(0));
    let latest = now.saturating_add(cfg.max_future_seconds.max(0));
    // iat = floor + fraction: too old if below `earliest`, too new if above `latest`.
    if floor < earliest || floor > latest || (floor == latest && fraction) {
        return Err(DpopError::ProofIat);
    }
    Ok(floor)
}

/// Checks an access token's `cnf.jkt` against the proof key's thumbprint, in constant time.
///
/// # Errors
/// [`DpopError::BindingMismatch`] when they differ.
pub fn check_binding(cnf_jkt: &str, proof: &Proof) -> Result<(), DpopError> {
    if bool::from(cnf_jkt.as_bytes().ct_eq(proof.jkt.as_bytes())) {
        Ok(())
    } else {
        Err(DpopError::BindingMismatch)
    }
}

// ---------------------------------------------------------------------------------------------
// htu normalisation

/// Normalises an HTTP(S) URL for the `htu` comparison (RFC 9449 section 4.3; RFC 3986
/// sections 6.2.2 and 6.2.3): query and fragment dropped; scheme and host lower-case; the
/// default port (80 for http, 443 for https) and an empty port removed, other ports without
/// leading zeros; an empty path becomes `/`; percent-encodings with upper-case hex, those of
/// unreserved characters decoded; dot-segments removed (RFC 3986 section 5.2.4; slashes are not
/// merged). `None` for anything else than `http://` or `https://` with a host, user info,
/// bytes outside visible ASCII, a bad percent-encoding or port, or more than [`MAX_HTU_BYTES`]
/// once query and fragment are dropped.
pub fn normalize_htu(url: &str) -> Option<String> {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    let url = url.get(..end)?;
    if url.len() > MAX_HTU_BYTES || !url.bytes().all(|b| (0x21..0x7f).contains(&b)) {
        return None;
    }
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (rest.get(..i)?, rest.get(i..)?),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return None;
    }
    let (host, port) = split_host_port(authority)?;
    if !host_chars_ok(host) {
        return None;
    }
    let mut out = String::with_capacity(url.len());
    out.push_str(&scheme);
    out.push_str("://");
    let host = normalize_percent(host)?;
    if host.is_empty() {
        return None;
    }
    // Lower-case everything but the hex digits of escapes (already upper-case).
    let mut escape = 0u8;
    for c in host.chars() {
        if c == '%' {
            escape = 2;
            out.push(c);
        } else if escape > 0 {
            escape -= 1;
            out.push(c);
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    if let Some(port) = port {
        if port != default_port {
            let _ = write!(out, ":{port}");
        }
    }
    let path = normalize_percent(path)?;
    out.push_str(&remove_dot_segments(&path));
    Some(out)
}

/// Splits `host[:port]` / `[v6]:port`; an empty port is no port. `None` for a bad port.
fn split_host_port(authority: &str) -> Option<(&str, Option<u32>)> {
    let (host, port) = if authority.starts_with('[') {
        let close = authority.find(']')?;
        let host = authority.get(..=close)?;
        let after = authority.get(close + 1..)?;
        match after.strip_prefix(':') {
            Some(p) => (host, Some(p)),
            None if after.is_empty() => (host, None),
            None => return None,
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        None | Some("") => None,
        Some(p) => {
            if p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let v: u32 = p.parse().ok()?;
            if v > 65535 {
                return None;
            }
            Some(v)
        }
    };
    Some((host, port))
}

/// A host is an IP literal in brackets (hex digits, `:`, `.`) or a registered name of
/// unreserved characters, percent-encodings and sub-delimiters (RFC 3986 section 3.2.2): no
/// `:`, brackets or other delimiters.
fn host_chars_ok(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return !inner.is_empty()
            && inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
    }
    host.bytes()
        .all(|b| is_unreserved(b) || b == b'%' || b"!$&'()*+,;=".contains(&b))
}

const fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-encoding normalisation (RFC 3986 section 6.2.2.2): escapes of unreserved
/// characters decoded, the others upper-cased. `None` for a `%` not followed by two hex digits.
fn normalize_percent(s: &str) -> Option<String> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(hex_value)?;
            let lo = bytes.get(i + 2).copied().and_then(hex_value)?;
            let v = (hi << 4) | lo;
            if is_unreserved(v) {
                out.push(char::from(v));
            } else {
                out.push('%');
                out.push(char::from(*HEX.get(usize::from(hi))?));
                out.push(char::from(*HEX.get(usize::from(lo))?));
            }
            i += 3;
        } else {
            out.push(char::from(b));
            i += 1;
        }
    }
    Some(out)
}

/// RFC 3986 section 5.2.4 on an absolute path (or the empty path, which becomes `/`).
fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let last = segments.len().saturating_sub(1);
    for (i, seg) in segments.iter().enumerate() {
        match *seg {
            "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
        // A trailing `.` or `..` leaves the path ending in `/`.
        if i == last && (*seg == "." || *seg == "..") {
            out.push("");
        }
    }
    let mut s = String::with_capacity(path.len().max(1));
    for seg in &out {
        s.push('/');
        s.push_str(seg);
    }
    if s.is_empty() {
        s.push('/');
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Server nonces

const NONCE_LABEL: &[u8] = b"edgeward dpop nonce v1\0";
const NONCE_BYTES: usize = 8 + 32;
/// Length of an issued nonce in characters (base64url of 40 bytes).
pub const NONCE_LEN: usize = 54;

/// A stateless `DPoP-Nonce` issuer (RFC 9449 sections 8 and 9): a nonce is the time slot it
/// was issued in and an HMAC-SHA256 of that slot, base64url (54 characters, all `NQCHAR`).
/// It is accepted during its slot and the next, so it lives between `slot_seconds` and twice
/// that. Every Envoy worker and edge isolate given the same secret issues and accepts the same
/// nonces: nothing is stored.
#[derive(Clone)]
pub struct NonceKey {
    mac: Hmac<Sha256>,
    slot_seconds: i64,
}

impl fmt::Debug for NonceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the secret.
        write!(f, "NonceKey {{ slot_seconds: {} }}", self.slot_seconds)
    }
}

impl NonceKey {
    /// The shortest secret accepted, in bytes.
    pub const MIN_SECRET_BYTES: usize = 32;

    /// A key from a secret of at least [`NonceKey::MIN_SECRET_BYTES`] and a slot length of
    /// at least one second. `None` otherwise.
    pub fn new(secret: &[u8], slot_seconds: i64) -> Option<NonceKey> {
        if secret.len() < Self::MIN_SECRET_BYTES || slot_seconds < 1 {
            return None;
        }
        Some(NonceKey {
            mac: <Hmac<Sha256> as Mac>::new_from_slice(secret).ok()?,
            slot_seconds,
        })
    }

    /// The slot length in seconds.
    pub fn slot_seconds(&self) -> i64 {
        self.slot_seconds
    }

    fn slot(&self, now: i64) -> i64 {
        now.div_euclid(self.slot_seconds)
    }

    fn tagged(&self, slot: i64) -> Hmac<Sha256> {
        let mut mac = self.mac.clone();
        mac.update(NONCE_LABEL);
        mac.update(&slot.to_be_bytes());
        mac
    }

    /// The nonce for the slot holding `now`: send it in `DPoP-Nonce`.
    pub fn issue(&self, now: i64) -> String {
        let slot = self.slot(now);
        let tag = self.tagged(slot).finalize().into_bytes();
        let mut raw = Vec::with_capacity(NONCE_BYTES);
        raw.extend_from_slice(&slot.to_be_bytes());
        raw.extend_from_slice(&tag);
        b64::encode(&raw)
    }

    /// True when `nonce` was issued by this key in the current or the previous slot. The MAC
    /// is compared in constant time.
    pub fn check(&self, nonce: &str, now: i64) -> bool {
        if nonce.len() != NONCE_LEN {
            return false;
        }
        let Ok(raw) = b64::decode(nonce) else {
            return false;
        };
        let (Some(slot_bytes), Some(tag)) = (raw.get(..8), raw.get(8..)) else {
            return false;
        };
        let Ok(slot_bytes) = <[u8; 8]>::try_from(slot_bytes) else {
            return false;
        };
        let slot = i64::from_be_bytes(slot_bytes);
        let current = self.slot(now);
        if slot != current && Some(slot) != current.checked_sub(1) {
            return false;
        }
        self.tagged(slot).verify_slice(tag).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;

    const NOW: i64 = 1_800_000_000;

    /// An Ed25519 key derived at run time from a label (no key material is committed).
    fn ed_key() -> ed25519_dalek::SigningKey {
        let seed: [u8; 32] = Sha256::digest(b"edgeward dpop unit test key").into();
        ed25519_dalek::SigningKey::from_bytes(&seed)
    }

    fn ed_jwk() -> String {
        format!(
            r#"{{"kty":"OKP","crv":"Ed25519","x":"{}"}}"#,
            b64::encode(ed_key().verifying_key().as_bytes())
        )
    }

    fn sign(header: &str, claims: &str) -> String {
        use ed25519_dalek::Signer;
        let input = format!(
            "{}.{}",
            b64::encode(header.as_bytes()),
            b64::encode(claims.as_bytes())
        );
        let sig = ed_key().sign(input.as_bytes());
        format!("{input}.{}", b64::encode(&sig.to_bytes()))
    }

    fn header() -> String {
        format!(r#"{{"typ":"dpop+jwt","alg":"EdDSA","jwk":{}}}"#, ed_jwk())
    }

    fn claims(extra: &str) -> String {
        format!(r#"{{"jti":"j-1","htm":"GET","htu":"https://api.example/r","iat":{NOW}{extra}}}"#)
    }

    fn check(proof: &str) -> Result<Proof, DpopError> {
        verify_proof(
            proof,
            "GET",
            "https://api.example/r?x=1",
            None,
            NOW,
            &DpopConfig::default(),
        )
    }

    #[test]
    fn a_good_proof_and_its_thumbprint() {
        let p = check(&sign(&header(), &claims(""))).unwrap();
        assert_eq!(p.jti, "j-1");
        assert_eq!(p.iat, NOW);
        let thumb_input = format!(
            r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
            b64::encode(ed_key().verifying_key().as_bytes())
        );
        assert_eq!(p.jkt, b64::encode(&Sha256::digest(thumb_input.as_bytes())));
        assert_eq!(check_binding(&p.jkt, &p), Ok(()));
        let mut other = p.jkt.clone();
        other.replace_range(..1, if other.starts_with('A') { "B" } else { "A" });
        assert_eq!(check_binding(&other, &p), Err(DpopError::BindingMismatch));
        assert_eq!(check_binding("", &p), Err(DpopError::BindingMismatch));
    }

    #[test]
    fn header_rules() {
        let c = claims("");
        let jwk = ed_jwk();
        let cases: &[(String, DpopError)] = &[
            (
                format!(r#"{{"typ":"JWT","alg":"EdDSA","jwk":{jwk}}}"#),
                DpopError::ProofTyp,
            ),
            (
                format!(r#"{{"typ":"DPoP+jwt","alg":"EdDSA","jwk":{jwk}}}"#),
                DpopError::ProofTyp,
            ),
            (
                format!(r#"{{"alg":"EdDSA","jwk":{jwk}}}"#),
                DpopError::ProofTyp,
            ),
            (
                format!(r#"{{"typ":"dpop+jwt","alg":"none","jwk":{jwk}}}"#),
                DpopError::ProofAlg,
            ),
            (
                format!(r#"{{"typ":"dpop+jwt","alg":"HS256","jwk":{jwk}}}"#),
                DpopError::ProofAlg,
            ),
            (
                format!(r#"{{"typ":"dpop+jwt","jwk":{jwk}}}"#),
                DpopError::ProofAlg,
            ),
            // A key of another family than `alg`.
            (
                format!(r#"{{"typ":"dpop+jwt","alg":"ES256","jwk":{jwk}}}"#),
                DpopError::ProofKey,
            ),
            (
                r#"{"typ":"dpop+jwt","alg":"EdDSA"}"#.to_string(),
                DpopError::ProofKey,
            ),
            (
                r#"{"typ":"dpop+jwt","alg":"EdDSA","jwk":"x"}"#.to_string(),
                DpopError::ProofKey,
            ),
            (
                format!(
                    r#"{{"typ":"dpop+jwt","alg":"EdDSA","jwk":{}}}"#,
                    jwk.replace('}', r#","d":"AAAA"}"#)
                ),
                DpopError::ProofKey,
            ),
            (
                format!(r#"{{"typ":"dpop+jwt","alg":"EdDSA","jwk":{jwk},"x5c":["AA"]}}"#),
                DpopError::ProofKey,
            ),
            (
                format!(r#"{{"typ":"dpop+jwt","alg":"EdDSA","jwk":{jwk},"jku":"https://x"}}"#),
                DpopError::ProofKey,
            ),
            (
                format!(r#"{{"typ":"dpop+jwt","alg":"EdDSA","jwk":{jwk},"crit":["x"],"x":1}}"#),
                DpopError::ProofMalformed,
            ),
            (
                format!(r#"{{"typ":"dpop+jwt","alg":"EdDSA","jwk":{jwk},"b64":false}}"#),
                DpopError::ProofMalformed,
            ),
            (
                format!(r#"{{"typ":"dpop+jwt","typ":"dpop+jwt","alg":"EdDSA","jwk":{jwk}}}"#),
                DpopError::ProofMalformed,
            ),
        ];
        for (h, want) in cases {
            assert_eq!(check(&sign(h, &c)), Err(*want), "{h}");
        }
        // `kid` is ignored: the key is the `jwk`.
        let h = format!(r#"{{"typ":"dpop+jwt","alg":"EdDSA","jwk":{jwk},"kid":"zz"}}"#);
        assert!(check(&sign(&h, &c)).is_ok());
        // An allow-list without EdDSA.
        let cfg = DpopConfig {
            algorithms: AlgSet::one(Alg::ES256),
            ..DpopConfig::default()
        };
        let p = sign(&header(), &c);
        assert_eq!(
            verify_proof(&p, "GET", "https://api.example/r", None, NOW, &cfg),
            Err(DpopError::ProofAlg)
        );
    }

    #[test]
    fn structure_and_signature() {
        let good = sign(&header(), &claims(""));
        for bad in [
            "",
            "a.b",
            "a.b.c.d",
            "a.b.c.d.e",
            "e30.e30.e30 ",
            "e30=.e30.AA",
        ] {
            assert_eq!(check(bad), Err(DpopError::ProofMalformed), "{bad:?}");
        }
        assert_eq!(
            check(&"a".repeat(MAX_PROOF_BYTES + 1)),
            Err(DpopError::ProofMalformed)
        );
        let (input, sig) = good.rsplit_once('.').unwrap();
        let mut sig = b64::decode(sig).unwrap();
        sig[0] ^= 1;
        let forged = format!("{input}.{}", b64::encode(&sig));
        assert_eq!(check(&forged), Err(DpopError::ProofSignature));
        // Claims are read only after the signature: garbage claims with a bad signature.
        let garbage = format!(
            "{}.{}.{}",
            b64::encode(header().as_bytes()),
            b64::encode(b"not json"),
            b64::encode(&[0u8; 64])
        );
        assert_eq!(check(&garbage), Err(DpopError::ProofSignature));
        assert_eq!(
            check(&sign(&header(), "not json")),
            Err(DpopError::ProofMalformed)
        );
        assert_eq!(
            check(&sign(&header(), "[]")),
            Err(DpopError::ProofMalformed)
        );
    }

    #[test]
    fn claim_rules() {
        let h = header();
        let long_jti = "j".repeat(MAX_JTI_BYTES + 1);
        let max_jti = "j".repeat(MAX_JTI_BYTES);
        let cases: &[(String, Result<(), DpopError>)] = &[
            (
                format!(r#"{{"htm":"GET","htu":"https://api.example/r","iat":{NOW}}}"#),
                Err(DpopError::ProofJti),
            ),
            (
                format!(r#"{{"jti":"","htm":"GET","htu":"https://api.example/r","iat":{NOW}}}"#),
                Err(DpopError::ProofJti),
            ),
            (
                format!(r#"{{"jti":7,"htm":"GET","htu":"https://api.example/r","iat":{NOW}}}"#),
                Err(DpopError::ProofJti),
            ),
            (
                format!(
                    r#"{{"jti":"{long_jti}","htm":"GET","htu":"https://api.example/r","iat":{NOW}}}"#
                ),
                Err(DpopError::ProofJti),
            ),
            (
                format!(
                    r#"{{"jti":"{max_jti}","htm":"GET","htu":"https://api.example/r","iat":{NOW}}}"#
                ),
                Ok(()),
            ),
            (
                format!(r#"{{"jti":"j","htm":"get","htu":"https://api.example/r","iat":{NOW}}}"#),
                Err(DpopError::ProofHtm),
            ),
            (
                format!(r#"{{"jti":"j","htu":"https://api.example/r","iat":{NOW}}}"#),
                Err(DpopError::ProofHtm),
            ),
            (
                format!(r#"{{"jti":"j","htm":"GET","htu":"https://api.example/s","iat":{NOW}}}"#),
                Err(DpopError::ProofHtu),
            ),
            (
                format!(r#"{{"jti":"j","htm":"GET","htu":"http://api.example/r","iat":{NOW}}}"#),
                Err(DpopError::ProofHtu),
            ),
            (
                format!(r#"{{"jti":"j","htm":"GET","iat":{NOW}}}"#),
                Err(DpopError::ProofHtu),
            ),
            (
                format!(
                    r#"{{"jti":"j","htm":"GET","htu":"HTTPS://API.example:443/a/../r?q#f","iat":{NOW}}}"#
                ),
                Ok(()),
            ),
            (
                r#"{"jti":"j","htm":"GET","htu":"https://api.example/r"}"#.to_string(),
                Err(DpopError::ProofIat),
            ),
            (
                r#"{"jti":"j","htm":"GET","htu":"https://api.example/r","iat":"1"}"#.to_string(),
                Err(DpopError::ProofIat),
            ),
            (
                r#"{"jti":"j","htm":"GET","htu":"https://api.example/r","iat":-1}"#.to_string(),
                Err(DpopError::ProofIat),
            ),
            (
                format!(
                    r#"{{"jti":"j","htm":"GET","htu":"https://api.example/r","iat":{}}}"#,
                    NOW - 301
                ),
                Err(DpopError::ProofIat),
            ),
            (
                format!(
                    r#"{{"jti":"j","htm":"GET","htu":"https://api.example/r","iat":{}}}"#,
                    NOW - 300
                ),
                Ok(()),
            ),
            (
                format!(
                    r#"{{"jti":"j","htm":"GET","htu":"https://api.example/r","iat":{}}}"#,
                    NOW + 5
                ),
                Ok(()),
            ),
            (
                format!(
                    r#"{{"jti":"j","htm":"GET","htu":"https://api.example/r","iat":{}.5}}"#,
                    NOW + 5
                ),
                Err(DpopError::ProofIat),
            ),
            (
                format!(
                    r#"{{"jti":"j","htm":"GET","htu":"https://api.example/r","iat":{}}}"#,
                    NOW + 6
                ),
                Err(DpopError::ProofIat),
            ),
        ];
        for (c, want) in cases {
            assert_eq!(check(&sign(&h, c)).map(|_| ()), *want, "{c}");
        }
    }

    #[test]
    fn access_token_hash_is_required_and_compared() {
        let token = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
        // RFC 9449 section 7.1, figure 14.
        assert_eq!(
            access_token_hash(token),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
        );
        let cfg = DpopConfig::default();
        let run = |c: &str, t: Option<&str>| {
            verify_proof(
                &sign(&header(), c),
                "GET",
                "https://api.example/r",
                t,
                NOW,
                &cfg,
            )
            .map(|_| ())
        };
        let with_ath = claims(&format!(r#","ath":"{}""#, access_token_hash(token)));
        assert_eq!(run(&with_ath, Some(token)), Ok(()));
        assert_eq!(run(&with_ath, Some("other")), Err(DpopError::ProofAth));
        assert_eq!(run(&claims(""), Some(token)), Err(DpopError::ProofAth));
        assert_eq!(
            run(&claims(r#","ath":1"#), Some(token)),
            Err(DpopError::ProofAth)
        );
        // Without an access token (a token endpoint), `ath` is not looked at.
        assert_eq!(run(&with_ath, None), Ok(()));
    }

    #[test]
    fn nonces() {
        let secret = Sha256::digest(b"edgeward nonce unit test");
        assert!(NonceKey::new(&secret[..31], 60).is_none());
        assert!(NonceKey::new(&secret, 0).is_none());
        let k = NonceKey::new(&secret, 60).unwrap();
        assert!(!format!("{k:?}").contains(&format!("{:?}", &secret[..4])));
        let n = k.issue(NOW);
        assert_eq!(n.len(), NONCE_LEN);
        assert!(n
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b)));
        let slot_start = NOW - NOW.rem_euclid(60);
        assert!(k.check(&n, slot_start));
        assert!(k.check(&n, slot_start + 119));
        assert!(!k.check(&n, slot_start + 120));
        assert!(!k.check(&n, slot_start - 1));
        let other = NonceKey::new(&Sha256::digest(b"another"), 60).unwrap();
        assert!(!other.check(&n, NOW));
        let mut raw = b64::decode(&n).unwrap();
        raw[39] ^= 1;
        assert!(!k.check(&b64::encode(&raw), NOW));
        for bad in ["", "x", &n[..NONCE_LEN - 1], &format!("{n}A")] {
            assert!(!k.check(bad, NOW), "{bad}");
        }
        // Negative and extreme times do not panic.
        for t in [i64::MIN, -1, 0, i64::MAX] {
            assert!(k.check(&k.issue(t), t));
        }

        let cfg = DpopConfig {
            nonce: Some(k.clone()),
            ..DpopConfig::default()
        };
        let run = |c: &str, now: i64| {
            verify_proof(
                &sign(&header(), c),
                "GET",
                "https://api.example/r",
                None,
                now,
                &cfg,
            )
            .map(|_| ())
        };
        assert_eq!(run(&claims(&format!(r#","nonce":"{n}""#)), NOW), Ok(()));
        assert_eq!(run(&claims(""), NOW), Err(DpopError::UseNonce));
        assert_eq!(
            run(&claims(r#","nonce":"abc""#), NOW),
            Err(DpopError::UseNonce)
        );
        let stale = k.issue(NOW - 180);
        assert_eq!(
            run(&claims(&format!(r#","nonce":"{stale}""#)), NOW),
            Err(DpopError::UseNonce)
        );
    }

    #[test]
    fn config_validation() {
        assert_eq!(DpopConfig::default().validate(), Ok(()));
        let hs = DpopConfig {
            algorithms: DpopConfig::DEFAULT_ALGORITHMS.with(Alg::HS256),
            ..DpopConfig::default()
        };
        assert!(hs.validate().is_err());
        let empty = DpopConfig {
            algorithms: AlgSet::EMPTY,
            ..DpopConfig::default()
        };
        assert!(empty.validate().is_err());
        let negative = DpopConfig {
            max_age_seconds: -1,
            ..DpopConfig::default()
        };
        assert!(negative.validate().is_err());
        // Even when misconfigured with HS256, an HS256 proof is refused.
        let proof = {
            let h = r#"{"typ":"dpop+jwt","alg":"HS256","jwk":{"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}"#;
            let input = format!(
                "{}.{}",
                b64::encode(h.as_bytes()),
                b64::encode(claims("").as_bytes())
            );
            let tag = jwa::hmac_sign(Alg::HS256, &[0u8; 32], input.as_bytes()).unwrap();
            format!("{input}.{}", b64::encode(&tag))
        };
        assert_eq!(
            verify_proof(&proof, "GET", "https://api.example/r", None, NOW, &hs),
            Err(DpopError::ProofAlg)
        );
    }

    #[test]
    fn the_key_cache_changes_cost_not_verdicts() {
        let mut cache = ProofKeyCache::new(2);
        let cfg = DpopConfig::default();
        let run = |p: &str, cache: &mut ProofKeyCache| {
            let cached =
                verify_proof_cached(p, "GET", "https://api.example/r", None, NOW, &cfg, cache);
            let plain = verify_proof(p, "GET", "https://api.example/r", None, NOW, &cfg);
            assert_eq!(cached, plain);
            cached
        };
        let good = sign(&header(), &claims(""));
        let first = run(&good, &mut cache).unwrap();
        assert_eq!(cache.len(), 1);
        assert_eq!(run(&good, &mut cache).unwrap(), first);
        assert_eq!(cache.len(), 1);
        // The same key with a private member is refused, cached public key or not.
        let private = format!(
            r#"{{"typ":"dpop+jwt","alg":"EdDSA","jwk":{}}}"#,
            ed_jwk().replace('}', r#","d":"AAAA"}"#)
        );
        assert_eq!(
            run(&sign(&private, &claims("")), &mut cache),
            Err(DpopError::ProofKey)
        );
        // The same key under another `alg` is another entry, refused as before.
        let es = format!(r#"{{"typ":"dpop+jwt","alg":"ES256","jwk":{}}}"#, ed_jwk());
        assert_eq!(
            run(&sign(&es, &claims("")), &mut cache),
            Err(DpopError::ProofKey)
        );
        // Member order or extra members make new entries; the oldest is replaced at capacity.
        let kid = format!(
            r#"{{"typ":"dpop+jwt","alg":"EdDSA","jwk":{}}}"#,
            ed_jwk().replace('}', r#","kid":"a"}"#)
        );
        let kid2 = format!(
            r#"{{"typ":"dpop+jwt","alg":"EdDSA","jwk":{}}}"#,
            ed_jwk().replace('}', r#","kid":"b"}"#)
        );
        for h in [&kid, &kid2, &kid, &header()] {
            assert_eq!(
                run(&sign(h, &claims("")), &mut cache).unwrap().jkt,
                first.jkt
            );
            assert!(cache.len() <= 2);
        }
        let mut none = ProofKeyCache::new(0);
        assert!(run(&good, &mut none).is_ok());
        assert!(none.is_empty());
    }

    #[test]
    fn single_header() {
        assert_eq!(single_proof([]), Err(DpopError::ProofMissing));
        assert_eq!(single_proof(["a.b.c"]), Ok("a.b.c"));
        assert_eq!(single_proof([" a.b.c "]), Ok("a.b.c"));
        assert_eq!(
            single_proof(["a.b.c", "d.e.f"]),
            Err(DpopError::ProofMultiple)
        );
        assert_eq!(
            single_proof(["a.b.c, d.e.f"]),
            Err(DpopError::ProofMultiple)
        );
    }

    #[test]
    fn codes_are_stable_and_unique() {
        let codes: Vec<&str> = DpopError::ALL.iter().map(|e| e.code()).collect();
        assert_eq!(
            codes,
            [
                "proof_missing",
                "proof_multiple",
                "proof_malformed",
                "proof_typ",
                "proof_alg",
                "proof_key",
                "proof_signature",
                "proof_jti",
                "proof_htm",
                "proof_htu",
                "proof_iat",
                "proof_ath",
                "use_nonce",
                "binding_mismatch",
                "replayed"
            ]
        );
        assert_eq!(DpopError::UseNonce.oauth_error(), "use_dpop_nonce");
        assert_eq!(DpopError::BindingMismatch.oauth_error(), "invalid_token");
        assert_eq!(DpopError::ProofIat.oauth_error(), "invalid_dpop_proof");
        assert_eq!(DpopError::ProofHtu.to_string(), "proof_htu");
    }

    #[test]
    fn htu_normalisation_table() {
        let table: &[(&str, Option<&str>)] = &[
            ("https://a.example/r", Some("https://a.example/r")),
            ("HTTPS://A.Example/R", Some("https://a.example/R")),
            ("https://a.example:443/r", Some("https://a.example/r")),
            ("http://a.example:80/r", Some("http://a.example/r")),
            ("http://a.example:443/r", Some("http://a.example:443/r")),
            ("https://a.example:80/r", Some("https://a.example:80/r")),
            ("https://a.example:0443/r", Some("https://a.example/r")),
            ("https://a.example:8443/r", Some("https://a.example:8443/r")),
            ("https://a.example:/r", Some("https://a.example/r")),
            ("https://a.example", Some("https://a.example/")),
            ("https://a.example?x", Some("https://a.example/")),
            ("https://a.example/r?x=1&y=2", Some("https://a.example/r")),
            ("https://a.example/r#frag", Some("https://a.example/r")),
            ("https://a.example/r?x#f", Some("https://a.example/r")),
            ("https://a.example/r?x=/../y", Some("https://a.example/r")),
            ("https://a.example/%7euser", Some("https://a.example/~user")),
            ("https://a.example/%41%2d%5F", Some("https://a.example/A-_")),
            ("https://a.example/a%2fb", Some("https://a.example/a%2Fb")),
            (
                "https://a.example/a%c3%a9",
                Some("https://a.example/a%C3%A9"),
            ),
            (
                "https://a.example/a/./b/../c",
                Some("https://a.example/a/c"),
            ),
            ("https://a.example/a/%2e%2E/c", Some("https://a.example/c")),
            ("https://a.example/../../c", Some("https://a.example/c")),
            ("https://a.example/a/..", Some("https://a.example/")),
            ("https://a.example/a/b/.", Some("https://a.example/a/b/")),
            ("https://a.example/a//b", Some("https://a.example/a//b")),
            ("https://a.example/a/", Some("https://a.example/a/")),
            (
                "https://[2001:DB8::1]:443/r",
                Some("https://[2001:db8::1]/r"),
            ),
            ("https://[::1]:8443/r", Some("https://[::1]:8443/r")),
            ("https://%41.example/r", Some("https://a.example/r")),
            ("https://a%2eexample/r", Some("https://a.example/r")),
            ("https://a.example/%zz", None),
            ("https://a.example/%4", None),
            ("https://a.example/a b", None),
            ("https://a.example/é", None),
            ("https://user@a.example/r", None),
            ("https://a.example:99999/r", None),
            ("https://a.example:12a/r", None),
            ("https://a.example:123456/r", None),
            ("https:///r", None),
            ("https://:443/r", None),
            ("https://[::1/r", None),
            ("https://[::1]x/r", None),
            ("https://a:b:80/r", None),
            ("https://a:b/r", None),
            ("https://[]/r", None),
            ("https://[v1.x]/r", None),
            ("https://a]b/r", None),
            ("https://a<b/r", None),
            ("https://a.example/a|b", Some("https://a.example/a|b")),
            ("ftp://a.example/r", None),
            ("a.example/r", None),
            ("/r", None),
            ("", None),
        ];
        for (input, want) in table {
            assert_eq!(normalize_htu(input).as_deref(), *want, "{input}");
        }
        // Both sides are normalised before comparison: idempotent.
        for (input, want) in table {
            if let Some(w) = want {
                assert_eq!(normalize_htu(w).as_deref(), Some(*w), "{input}");
            }
        }
        let long = format!("https://a.example/{}", "a".repeat(MAX_HTU_BYTES));
        assert_eq!(normalize_htu(&long), None);
        // A long query does not count against the cap: it is dropped first.
        let long_query = format!("https://a.example/r?{}", "a".repeat(MAX_HTU_BYTES));
        assert_eq!(
            normalize_htu(&long_query).as_deref(),
            Some("https://a.example/r")
        );
    }
}
