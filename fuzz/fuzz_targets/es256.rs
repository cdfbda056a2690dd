//! ES256 differential fuzzing: the core's P-256 fast path (`edgeward::ec_fast`, through the
//! JWK parser and `jwa::verify` as the JWS path reaches it, and its prehash entry point)
//! against the RustCrypto `p256` crate. Any disagreement on a key or a verdict panics.
//!
//! Input: byte 0 picks the mode; then either a private scalar (32 bytes: the key is d G, and
//! the target signs the message and mutates the signature as byte 1 says) or a raw point
//! x || y (64 bytes, any bytes: off-curve and out-of-range points reach the parsers), then a
//! raw signature of a length from the mode byte, then the message.
#![no_main]

use edgeward::json::{self, Limits};
use edgeward::jwa::{self, Alg, AlgSet, KeyMaterial};
use edgeward::jwk::{self, Origin};
use p256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use p256::ecdsa::signature::Verifier;
use sha2::{Digest, Sha256};

fn fast_key(x: &[u8], y: &[u8]) -> Option<KeyMaterial> {
    let jwk = format!(
        r#"{{"kty":"EC","crv":"P-256","x":"{}","y":"{}"}}"#,
        edgeward::b64::encode(x),
        edgeward::b64::encode(y)
    );
    let v = json::parse(jwk.as_bytes(), &Limits::JWKS).ok()?;
    Some(jwk::parse_jwk(&v, AlgSet::one(Alg::ES256), Origin::Local).ok()?.material)
}

fn check(x: &[u8], y: &[u8], msg: &[u8], sig: &[u8]) {
    let fast = fast_key(x, y);
    let reference = p256::ecdsa::VerifyingKey::from_sec1_bytes(&[&[4u8][..], x, y].concat()).ok();
    assert_eq!(fast.is_some(), reference.is_some(), "key acceptance: {x:02x?} {y:02x?}");
    let (Some(fast), Some(reference)) = (fast, reference) else {
        return;
    };
    let parsed = p256::ecdsa::Signature::from_slice(sig).ok();
    let want = parsed.is_some_and(|s| reference.verify(msg, &s).is_ok());
    assert_eq!(jwa::verify(Alg::ES256, &fast, msg, sig), want, "verdict: {sig:02x?}");
    // The prehash entry point with the message itself as the "hash" (any length).
    let KeyMaterial::P256(key) = &fast else {
        panic!("not a P-256 key")
    };
    let want = parsed.is_some_and(|s| reference.verify_prehash(msg, &s).is_ok());
    assert_eq!(key.verify_prehash(msg, sig), want, "prehash verdict: {sig:02x?}");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        // A real key and a real signature, then mutated.
        let Some((d, rest)) = rest.split_first_chunk::<32>() else {
            return;
        };
        let Some((&mutation, msg)) = rest.split_first() else {
            return;
        };
        let Ok(signing) = p256::ecdsa::SigningKey::from_slice(d) else {
            return;
        };
        let point = signing.verifying_key().to_encoded_point(false);
        let (Some(x), Some(y)) = (point.x(), point.y()) else {
            return;
        };
        let Ok(sig) = PrehashSigner::<p256::ecdsa::Signature>::sign_prehash(
            &signing,
            &Sha256::digest(msg),
        ) else {
            return;
        };
        // n - s: valid too (no low-s rule in JOSE).
        let high_s = (-*sig.s()).to_bytes();
        let mut sig = sig.to_bytes().to_vec();
        match mode >> 1 & 3 {
            0 => {}
            1 => sig[usize::from(mutation % 64)] ^= 1 << (mutation % 8),
            2 => sig.truncate(usize::from(mutation % 64)),
            _ => sig[32..].copy_from_slice(&high_s),
        }
        check(x, y, msg, &sig);
    } else {
        // Raw point and raw signature bytes.
        let Some((xy, rest)) = rest.split_first_chunk::<64>() else {
            return;
        };
        let sig_len = match mode >> 1 & 3 {
            0 | 1 => 64,
            2 => 63,
            _ => 65,
        };
        let (sig, msg) = rest.split_at(sig_len.min(rest.len()));
        check(&xy[..32], &xy[32..], msg, sig);
    }
});
