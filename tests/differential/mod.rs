//! Shared by the differential tests (`rsa_differential`, `ec_differential`,
//! `ec_wide_differential`): the run's random seed, hex for failure messages, and EC keys taken
//! both ways. Kept apart from `tests/common`, whose key kit these tests (also built for
//! wasm32-wasip1) do not need.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::sync::OnceLock;

use edgeward::b64;
use edgeward::json::{self, Limits};
use edgeward::jwa::{Alg, AlgSet, KeyMaterial};
use edgeward::jwk::{self, Origin};
use rsa::BigUint;

/// The seed of this test binary's run: `$var` if set (to replay a failure), otherwise drawn
/// from the clock; printed either way.
pub fn seed(var: &str) -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| {
        let seed = std::env::var(var)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default();
                now.as_secs() ^ u64::from(now.subsec_nanos())
            });
        println!("{var}={seed}");
        seed
    })
}

/// Lowercase hex.
pub fn hex(b: &[u8]) -> String {
    b.iter().fold(String::new(), |mut out, x| {
        let _ = write!(out, "{x:02x}");
        out
    })
}

/// An EC public key as the JWS path gets it: a JWK through `jwk::parse_jwk`; `None` if
/// refused.
pub fn ec_key(crv: &str, alg: Alg, x: &[u8], y: &[u8]) -> Option<KeyMaterial> {
    let jwk = format!(
        r#"{{"kty":"EC","crv":"{crv}","x":"{}","y":"{}"}}"#,
        b64::encode(x),
        b64::encode(y)
    );
    let v = json::parse(jwk.as_bytes(), &Limits::JWKS).ok()?;
    Some(
        jwk::parse_jwk(&v, AlgSet::one(alg), Origin::Local)
            .ok()?
            .material,
    )
}

/// The point (x, y) taken by the core and by the reference (given as an uncompressed SEC1
/// point): both accept it or both refuse it, or the test fails.
pub fn both_keys<R>(
    crv: &str,
    alg: Alg,
    x: &[u8],
    y: &[u8],
    reference: impl FnOnce(&[u8]) -> Option<R>,
) -> Option<(KeyMaterial, R)> {
    let fast = ec_key(crv, alg, x, y);
    let reference = reference(&[&[4u8][..], x, y].concat());
    assert_eq!(
        fast.is_some(),
        reference.is_some(),
        "key acceptance differs: x {} y {}",
        hex(x),
        hex(y)
    );
    Some((fast?, reference?))
}

/// `v` as exactly `len` big-endian bytes (the low bytes if longer).
pub fn fixed(v: &BigUint, len: usize) -> Vec<u8> {
    let raw = v.to_bytes_be();
    let mut out = vec![0u8; len.saturating_sub(raw.len())];
    out.extend_from_slice(&raw[raw.len().saturating_sub(len)..]);
    out
}

/// Signatures around a valid (r, s): each half replaced by an edge value, high s, swapped
/// halves, wrong lengths.
pub fn edge_signatures(sig: &[u8], n: &BigUint, p: &BigUint) -> Vec<Vec<u8>> {
    let len = sig.len() / 2;
    let (r, s) = sig.split_at(len);
    let one = BigUint::from(1u32);
    let values: Vec<Vec<u8>> = [
        BigUint::from(0u32),
        one.clone(),
        n - &one,
        n.clone(),
        n + &one,
        p.clone(),
        (BigUint::from(1u32) << (8 * len)) - &one,
    ]
    .iter()
    .map(|v| fixed(v, len))
    .collect();
    let mut out = Vec::new();
    for v in &values {
        out.push([&v[..], s].concat());
        out.push([r, &v[..]].concat());
    }
    let high_s = fixed(&(n - BigUint::from_bytes_be(s)), len);
    out.push([r, &high_s[..]].concat());
    out.push([s, r].concat());
    out.push(sig[..sig.len() - 1].to_vec());
    out.push([sig, &[0]].concat());
    out.push([&[0], sig].concat());
    out.push(Vec::new());
    out.push(sig[..len].to_vec());
    out.push([sig, sig].concat());
    out
}
