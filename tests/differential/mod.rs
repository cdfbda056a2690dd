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
