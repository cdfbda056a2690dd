//! Differential tests: the core's P-384 and P-521 fast paths (`ec_fast`, reached through the
//! JWK parser and `jwa::verify` exactly as the JWS path reaches them) against the `RustCrypto`
//! `p384` and `p521` crates, the implementations they replaced. They must agree exactly on every
//! key (accepted or refused) and every verdict: valid signatures, other keys and messages, r or
//! s = 0, 1, n - 1, n, n + 1, p, all-ones, high s, swapped halves, wrong lengths, bit flips,
//! random (r, s), off-curve and out-of-range points, and every prehash length.
//! (`tests/ec_differential.rs` does the same for P-256, with constructed edge cases.)
//!
//! Keys are generated at test time (never committed) from a seeded `ChaCha8` RNG; the seed is
//! printed and `EDGEWARD_EC_SEED=<n>` replays it. Runs natively and on wasm32-wasip1 under Node
//! (`scripts/test.sh`, stage `wasm32-vectors`).

mod differential;
use differential::{edge_signatures, fixed, hex};

use edgeward::jwa::{self, Alg, KeyMaterial};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rsa::BigUint;

fn seed() -> u64 {
    differential::seed("EDGEWARD_EC_SEED")
}

/// The key as the JWS path gets it; `None` if refused.
fn fast_key(crv: &str, alg: Alg, x: &[u8], y: &[u8]) -> Option<KeyMaterial> {
    differential::ec_key(crv, alg, x, y)
}

macro_rules! differential {
    ($module:ident, $krate:ident, $crv:literal, $alg:expr, $bytes:literal, $hash:ident, $p:literal, $n:literal) => {
        mod $module {
            use super::*;
            use sha2::{$hash, Digest};
            use $krate::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
            use $krate::ecdsa::signature::Verifier;
            use $krate::ecdsa::{Signature, SigningKey, VerifyingKey};

            const LEN: usize = $bytes;

            fn p() -> BigUint {
                BigUint::parse_bytes($p, 16).unwrap()
            }

            fn n() -> BigUint {
                BigUint::parse_bytes($n, 16).unwrap()
            }

            /// One key both ways.
            struct Pair {
                fast: KeyMaterial,
                reference: VerifyingKey,
            }

            impl Pair {
                fn new(x: &[u8], y: &[u8]) -> Option<Pair> {
                    let (fast, reference) = differential::both_keys($crv, $alg, x, y, |sec1| {
                        VerifyingKey::from_sec1_bytes(sec1).ok()
                    })?;
                    Some(Pair { fast, reference })
                }

                fn of(signing: &SigningKey) -> Pair {
                    let e = VerifyingKey::from(signing).to_encoded_point(false);
                    Pair::new(e.x().unwrap(), e.y().unwrap()).expect("a curve point")
                }

                /// Both verdicts agree; returns the verdict.
                fn agree(&self, msg: &[u8], sig: &[u8]) -> bool {
                    let fast = jwa::verify($alg, &self.fast, msg, sig);
                    let reference = Signature::from_slice(sig)
                        .is_ok_and(|s| self.reference.verify(msg, &s).is_ok());
                    assert_eq!(
                        fast,
                        reference,
                        "verdicts differ (seed {}): msg {} sig {}",
                        seed(),
                        hex(msg),
                        hex(sig)
                    );
                    fast
                }
            }

            fn sign(key: &SigningKey, msg: &[u8]) -> Vec<u8> {
                let sig: Signature = key.sign_prehash(&$hash::digest(msg)).expect("sign");
                sig.to_bytes().to_vec()
            }

            #[test]
            fn random_keys_messages_and_signatures_agree() {
                let mut rng = ChaCha8Rng::seed_from_u64(seed() ^ 0x384_521);
                let (n, p) = (n(), p());
                let (mut valid, mut rejected) = (0, 0);
                for k in 0..12 {
                    let signing = SigningKey::random(&mut rng);
                    let pair = Pair::of(&signing);
                    let other = SigningKey::random(&mut rng);
                    let mut msg = vec![0u8; (rng.next_u32() % 300) as usize];
                    rng.fill_bytes(&mut msg);
                    let sig = sign(&signing, &msg);
                    assert!(pair.agree(&msg, &sig), "key {k}: valid signature rejected");
                    valid += 1;
                    assert!(!pair.agree(&msg, &sign(&other, &msg)));
                    assert!(!pair.agree(&[&msg[..], b"x"].concat(), &sig));
                    for bad in edge_signatures(&sig, &n, &p) {
                        if !pair.agree(&msg, &bad) {
                            rejected += 1;
                        }
                    }
                    for bit in (0..16 * LEN).step_by(11) {
                        let mut flipped = sig.clone();
                        flipped[bit / 8] ^= 1 << (bit % 8);
                        assert!(!pair.agree(&msg, &flipped));
                    }
                    // Random (r, s) below n: almost never valid, must agree anyway.
                    for _ in 0..4 {
                        let mut rs = vec![0u8; 2 * LEN];
                        rng.fill_bytes(&mut rs);
                        let r = fixed(&(BigUint::from_bytes_be(&rs[..LEN]) % &n), LEN);
                        let s = fixed(&(BigUint::from_bytes_be(&rs[LEN..]) % &n), LEN);
                        pair.agree(&msg, &[r, s].concat());
                    }
                }
                assert_eq!(valid, 12);
                assert!(rejected > 12 * 10, "{rejected}");
            }

            #[test]
            fn key_acceptance_agrees() {
                let mut rng = ChaCha8Rng::seed_from_u64(seed() ^ 0x384_522);
                for _ in 0..8 {
                    let e =
                        VerifyingKey::from(&SigningKey::random(&mut rng)).to_encoded_point(false);
                    let (x, y) = (e.x().unwrap().to_vec(), e.y().unwrap().to_vec());
                    assert!(Pair::new(&x, &y).is_some());
                    let mut y1 = y.clone();
                    y1[LEN - 1] = y1[LEN - 1].wrapping_add(1);
                    assert!(Pair::new(&x, &y1).is_none());
                    let mut x1 = x.clone();
                    x1[LEN - 1] = x1[LEN - 1].wrapping_add(1);
                    assert!(Pair::new(&x1, &y).is_none());
                    assert!(Pair::new(&y, &x).is_none());
                    let (mut rx, mut ry) = (vec![0u8; LEN], vec![0u8; LEN]);
                    rng.fill_bytes(&mut rx);
                    rng.fill_bytes(&mut ry);
                    assert!(Pair::new(&rx, &ry).is_none());
                    // The same point with y + p, when that still fits: out of range for both.
                    let shifted = BigUint::from_bytes_be(&y) + p();
                    if shifted.bits() <= 8 * LEN {
                        assert!(Pair::new(&x, &fixed(&shifted, LEN)).is_none());
                    }
                }
                let p = fixed(&p(), LEN);
                assert!(Pair::new(&p, &p).is_none());
                assert!(Pair::new(&[0; LEN], &[0; LEN]).is_none());
                assert!(Pair::new(&[0xff; LEN], &[0xff; LEN]).is_none());
                // Wrong lengths never reach either verifier: the JWK parser refuses them.
                assert!(fast_key($crv, $alg, &[1; LEN - 1], &[1; LEN]).is_none());
                assert!(fast_key($crv, $alg, &[1; LEN + 1], &[1; LEN]).is_none());
            }

            /// The prehash entry point against the `ecdsa` crate's `PrehashVerifier`: every
            /// hash length from 0 to 80 bytes.
            #[test]
            fn prehash_lengths_agree() {
                let mut rng = ChaCha8Rng::seed_from_u64(seed() ^ 0x384_523);
                let signing = SigningKey::random(&mut rng);
                let Pair { fast, reference } = Pair::of(&signing);
                let (KeyMaterial::P384(_) | KeyMaterial::P521(_)) = &fast else {
                    panic!("not a wide curve")
                };
                let verify = |hash: &[u8], sig: &[u8]| match &fast {
                    KeyMaterial::P384(k) => k.verify_prehash(hash, sig),
                    KeyMaterial::P521(k) => k.verify_prehash(hash, sig),
                    _ => unreachable!(),
                };
                let mut accepted = 0;
                for len in 0..=80usize {
                    let mut hash = vec![0u8; len];
                    rng.fill_bytes(&mut hash);
                    if len == 70 {
                        hash.fill(0xff);
                    }
                    let signed: Option<Signature> = signing.sign_prehash(&hash).ok();
                    let sig = signed.map_or_else(|| vec![1u8; 2 * LEN], |s| s.to_bytes().to_vec());
                    let want = Signature::from_slice(&sig)
                        .is_ok_and(|s| reference.verify_prehash(&hash, &s).is_ok());
                    assert_eq!(verify(&hash, &sig), want, "hash length {len}");
                    accepted += usize::from(want);
                    let mut bad = sig.clone();
                    bad[2 * LEN - 1] ^= 1;
                    assert!(!verify(&hash, &bad));
                }
                assert_eq!(accepted, 81 - LEN / 2);
            }
        }
    };
}

differential!(
    p384_vs_reference,
    p384,
    "P-384",
    Alg::ES384,
    48,
    Sha384,
    b"fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff",
    b"ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973"
);

differential!(
    p521_vs_reference,
    p521,
    "P-521",
    Alg::ES512,
    66,
    Sha512,
    b"01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    b"01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409"
);
