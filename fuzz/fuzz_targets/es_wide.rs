//! ES384 and ES512 differential fuzzing: the core's P-384 and P-521 fast paths (`edgeward::ec_fast`,
//! through the JWK parser and `jwa::verify` as the JWS path reaches them, and their prehash entry
//! points) against the RustCrypto `p384` and `p521` crates. Any disagreement on a key or a verdict
//! panics. (`es256.rs` does the same for P-256.)
//!
//! Input: byte 0 picks the curve (bit 0) and the mode (bit 1); then either a private scalar (the
//! key is d G, and the target signs the message and mutates the signature as the next byte says)
//! or a raw point x || y (any bytes: off-curve and out-of-range points reach the parsers) and a
//! raw signature of a length from the mode byte, then the message.
#![no_main]

use edgeward::json::{self, Limits};
use edgeward::jwa::{self, Alg, AlgSet, KeyMaterial};
use edgeward::jwk::{self, Origin};

fn fast_key(crv: &str, alg: Alg, x: &[u8], y: &[u8]) -> Option<KeyMaterial> {
    let jwk = format!(
        r#"{{"kty":"EC","crv":"{crv}","x":"{}","y":"{}"}}"#,
        edgeward::b64::encode(x),
        edgeward::b64::encode(y)
    );
    let v = json::parse(jwk.as_bytes(), &Limits::JWKS).ok()?;
    Some(jwk::parse_jwk(&v, AlgSet::one(alg), Origin::Local).ok()?.material)
}

macro_rules! curve {
    ($name:ident, $krate:ident, $crv:literal, $alg:expr, $len:literal, $hash:ident, $variant:ident) => {
        fn $name(mode: u8, rest: &[u8]) {
            use $krate::ecdsa::signature::hazmat::{PrehashVerifier, RandomizedPrehashSigner};
            use rand_chacha::rand_core::SeedableRng;
            use $krate::ecdsa::signature::Verifier;
            use $krate::ecdsa::{Signature, SigningKey, VerifyingKey};
            use sha2::{Digest, $hash};

            let check = |x: &[u8], y: &[u8], msg: &[u8], sig: &[u8]| {
                let fast = fast_key($crv, $alg, x, y);
                let reference = VerifyingKey::from_sec1_bytes(&[&[4u8][..], x, y].concat()).ok();
                assert_eq!(fast.is_some(), reference.is_some(), "key acceptance: {x:02x?} {y:02x?}");
                let (Some(fast), Some(reference)) = (fast, reference) else {
                    return;
                };
                let parsed = Signature::from_slice(sig).ok();
                let want = parsed.is_some_and(|s| reference.verify(msg, &s).is_ok());
                assert_eq!(jwa::verify($alg, &fast, msg, sig), want, "verdict: {sig:02x?}");
                let KeyMaterial::$variant(key) = &fast else {
                    panic!("not a {} key", $crv)
                };
                // The prehash entry point with the message itself as the "hash" (any length).
                let want = parsed.is_some_and(|s| reference.verify_prehash(msg, &s).is_ok());
                assert_eq!(key.verify_prehash(msg, sig), want, "prehash verdict: {sig:02x?}");
            };

            if mode & 2 == 0 {
                // A real key and a real signature, then mutated.
                let Some((d, rest)) = rest.split_first_chunk::<$len>() else {
                    return;
                };
                let Some((&mutation, msg)) = rest.split_first() else {
                    return;
                };
                let Ok(signing) = SigningKey::from_slice(d) else {
                    return;
                };
                let point = VerifyingKey::from(&signing).to_encoded_point(false);
                let (Some(x), Some(y)) = (point.x(), point.y()) else {
                    return;
                };
                // A nonce from a generator seeded by the input, so that a finding replays.
                let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(u64::from(mutation));
                let Ok(sig) = RandomizedPrehashSigner::<Signature>::sign_prehash_with_rng(
                    &signing,
                    &mut rng,
                    &$hash::digest(msg),
                ) else {
                    return;
                };
                // n - s: valid too (no low-s rule in JOSE).
                let high_s = (-*sig.s()).to_bytes();
                let mut sig = sig.to_bytes().to_vec();
                let at = usize::from(mutation) % (2 * $len);
                match mode >> 2 & 3 {
                    0 => {}
                    1 => sig[at] ^= 1 << (mutation % 8),
                    2 => sig.truncate(at),
                    _ => sig[$len..].copy_from_slice(&high_s),
                }
                check(x, y, msg, &sig);
            } else {
                // Raw point and raw signature bytes.
                let Some((xy, rest)) = rest.split_first_chunk::<{ 2 * $len }>() else {
                    return;
                };
                let sig_len = match mode >> 2 & 3 {
                    0 | 1 => 2 * $len,
                    2 => 2 * $len - 1,
                    _ => 2 * $len + 1,
                };
                let (sig, msg) = rest.split_at(sig_len.min(rest.len()));
                check(&xy[..$len], &xy[$len..], msg, sig);
            }
        }
    };
}

curve!(p384, p384, "P-384", Alg::ES384, 48, Sha384, P384);
curve!(p521, p521, "P-521", Alg::ES512, 66, Sha512, P521);

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        p384(mode, rest);
    } else {
        p521(mode, rest);
    }
});
