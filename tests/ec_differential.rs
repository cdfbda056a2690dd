//! Differential tests: the core's P-256 fast path (`p256_fast`, reached through the JWK parser
//! and `jwa::verify` exactly as the JWS path reaches it) against the `RustCrypto` `p256` crate,
//! the implementation it replaced. They must agree exactly on every key (accepted or refused)
//! and on every verdict: valid signatures, mutated ones, r or s = 0, 1, n - 1, n, > n, high s,
//! wrong lengths, off-curve and out-of-range points, and signatures whose R has x >= n.
//!
//! Keys are generated at test time (never committed) from a seeded `ChaCha8` RNG; the seed is
//! printed and `EDGEWARD_EC_SEED=<n>` replays it. Runs natively and on wasm32-wasip1 under Node
//! (`scripts/test.sh`, stage `wasm32-vectors`).

// Textbook names: g, q, r, s, e, k, x, y, b, t.
#![allow(clippy::many_single_char_names)]

mod differential;
use differential::hex;

use std::sync::OnceLock;

use edgeward::jwa::{self, Alg, KeyMaterial};
use p256::ecdsa::signature::hazmat::PrehashSigner;
use p256::ecdsa::signature::Verifier;
use p256::elliptic_curve::ops::Reduce;
use p256::elliptic_curve::point::AffineCoordinates;
use p256::elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint};
use p256::elliptic_curve::{Field, PrimeField};
use p256::{AffinePoint, EncodedPoint, ProjectivePoint, Scalar, U256};
use proptest::prelude::*;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rsa::BigUint;
use sha2::{Digest, Sha256};

/// The group order n and the field prime p, big-endian.
const N: [u8; 32] = hex32("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
const P: [u8; 32] = hex32("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff");

const fn hex32(s: &str) -> [u8; 32] {
    let b = s.as_bytes();
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = (nibble(b[2 * i]) << 4) | nibble(b[2 * i + 1]);
        i += 1;
    }
    out
}

const fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        _ => c - b'a' + 10,
    }
}

fn seed() -> u64 {
    differential::seed("EDGEWARD_EC_SEED")
}

/// The key as the JWS path gets it; `None` if refused.
fn fast_key(x: &[u8], y: &[u8]) -> Option<KeyMaterial> {
    differential::ec_key("P-256", Alg::ES256, x, y)
}

/// What the core did before: `Signature::from_slice` (exactly 64 bytes, r and s in [1, n-1])
/// and `verify` over SHA-256.
fn reference_verify(key: &p256::ecdsa::VerifyingKey, msg: &[u8], sig: &[u8]) -> bool {
    p256::ecdsa::Signature::from_slice(sig).is_ok_and(|s| key.verify(msg, &s).is_ok())
}

/// One key both ways.
struct Pair {
    fast: KeyMaterial,
    reference: p256::ecdsa::VerifyingKey,
}

impl Pair {
    fn new(x: &[u8], y: &[u8]) -> Option<Pair> {
        // The reference key, as the core built it before: SEC1 uncompressed point.
        let (fast, reference) = differential::both_keys("P-256", Alg::ES256, x, y, |sec1| {
            p256::ecdsa::VerifyingKey::from_sec1_bytes(sec1).ok()
        })?;
        Some(Pair { fast, reference })
    }

    fn of(point: &AffinePoint) -> Pair {
        let e = point.to_encoded_point(false);
        Pair::new(e.x().unwrap(), e.y().unwrap()).expect("a curve point")
    }

    /// Both verdicts agree; returns the verdict.
    fn agree(&self, msg: &[u8], sig: &[u8]) -> bool {
        let fast = jwa::verify(Alg::ES256, &self.fast, msg, sig);
        let reference = reference_verify(&self.reference, msg, sig);
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

fn scalar_bytes(s: &Scalar) -> [u8; 32] {
    s.to_repr().into()
}

fn random_scalar(rng: &mut ChaCha8Rng) -> Scalar {
    Scalar::random(rng)
}

#[test]
fn random_keys_messages_and_signatures_agree() {
    let mut rng = ChaCha8Rng::seed_from_u64(seed());
    let mut valid = 0;
    let mut rejected = 0;
    for k in 0..24 {
        let signing = p256::ecdsa::SigningKey::random(&mut rng);
        let pair = Pair::of(signing.verifying_key().as_affine());
        let other = p256::ecdsa::SigningKey::random(&mut rng);
        let mut msg = vec![0u8; (rng.next_u32() % 300) as usize];
        rng.fill_bytes(&mut msg);
        let sig: p256::ecdsa::Signature =
            signing.sign_prehash(&Sha256::digest(&msg)).expect("sign");
        let sig = sig.to_bytes().to_vec();
        assert!(pair.agree(&msg, &sig), "key {k}: valid signature rejected");
        valid += 1;
        // The other key's signature, the wrong message.
        let theirs: p256::ecdsa::Signature =
            other.sign_prehash(&Sha256::digest(&msg)).expect("sign");
        assert!(!pair.agree(&msg, &theirs.to_bytes()));
        assert!(!pair.agree(&[&msg[..], b"x"].concat(), &sig));
        let (n, p) = (BigUint::from_bytes_be(&N), BigUint::from_bytes_be(&P));
        for bad in differential::edge_signatures(&sig, &n, &p) {
            if !pair.agree(&msg, &bad) {
                rejected += 1;
            }
        }
        // Every single-bit flip of the signature.
        for bit in (0..512).step_by(7) {
            let mut flipped = sig.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert!(!pair.agree(&msg, &flipped));
        }
        // Random (r, s) in range: almost never valid, must agree anyway.
        for _ in 0..4 {
            let r = scalar_bytes(&random_scalar(&mut rng));
            let s = scalar_bytes(&random_scalar(&mut rng));
            pair.agree(&msg, &[r, s].concat());
        }
    }
    assert_eq!(valid, 24);
    assert!(rejected > 24 * 10, "{rejected}");
}

/// Signatures that verify through u1 = 0 (hash = 0 mod n or = n) and through r = x(R) - n
/// for an R with n <= x(R) < p, on keys chosen so that they verify.
#[test]
fn constructed_edge_signatures_agree() {
    let mut rng = ChaCha8Rng::seed_from_u64(seed() ^ 1);
    let g = ProjectivePoint::GENERATOR;

    // x(R) >= n: R = (n + t, y) on the curve for some small t; pick s and e, then the key
    // Q = (R - u1 G) / u2 makes (r, s) = (x - n, s) valid for hash e.
    let (p_big, n_big) = (BigUint::from_bytes_be(&P), BigUint::from_bytes_be(&N));
    let b = BigUint::parse_bytes(
        b"5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b",
        16,
    )
    .unwrap();
    let mut found = 0;
    let mut t = 0u32;
    while found < 4 && t < 200 {
        let x = &n_big + BigUint::from(t);
        t += 1;
        let rhs =
            (&x * &x * &x + &b + &p_big * BigUint::from(3u32) - &x * BigUint::from(3u32)) % &p_big;
        let y = rhs.modpow(&((&p_big + BigUint::from(1u32)) >> 2), &p_big);
        if (&y * &y) % &p_big != rhs {
            continue;
        }
        found += 1;
        let enc = EncodedPoint::from_affine_coordinates(
            &pad(&x.to_bytes_be()).into(),
            &pad(&y.to_bytes_be()).into(),
            false,
        );
        let r_point = Option::<AffinePoint>::from(AffinePoint::from_encoded_point(&enc)).unwrap();
        let r_val = pad(&(&x - &n_big).to_bytes_be());
        let msg = format!("x >= n, t = {t}");
        let e = <Scalar as Reduce<U256>>::reduce_bytes(&Sha256::digest(msg.as_bytes()));
        let s = random_scalar(&mut rng);
        let r_scalar = Option::<Scalar>::from(Scalar::from_repr(r_val.into())).unwrap();
        let s_inv = s.invert().unwrap();
        let (u1, u2) = (e * s_inv, r_scalar * s_inv);
        let q = (ProjectivePoint::from(r_point) - g * u1) * u2.invert().unwrap();
        let pair = Pair::of(&q.to_affine());
        let sig = [r_val, scalar_bytes(&s)].concat();
        assert!(
            pair.agree(msg.as_bytes(), &sig),
            "x >= n signature rejected"
        );
        // r = x itself (not reduced) is out of range: refused by both.
        assert!(!pair.agree(
            msg.as_bytes(),
            &[pad(&x.to_bytes_be()), scalar_bytes(&s)].concat()
        ));
    }
    assert_eq!(found, 4);

    // u1 = 0 is reachable only through a prehash of 0 or n; the JOSE path always hashes, so
    // check the same sum through a key where u1 G + u2 Q meets its special cases instead:
    // Q = G (u1 G + u2 G, doubling inside the sum) and Q = -G.
    for q in [g, -g, g + g] {
        let pair = Pair::of(&q.to_affine());
        for i in 0..8u8 {
            let msg = [i; 5];
            // A signature by the private key 1, -1 or 2 with a random nonce.
            let d = if q == g {
                Scalar::ONE
            } else if q == -g {
                -Scalar::ONE
            } else {
                Scalar::from(2u64)
            };
            let k = random_scalar(&mut rng);
            let r_x = (g * k).to_affine().x();
            let r = <Scalar as Reduce<U256>>::reduce_bytes(&r_x);
            let e = <Scalar as Reduce<U256>>::reduce_bytes(&Sha256::digest(msg));
            let s = k.invert().unwrap() * (e + r * d);
            let sig = [scalar_bytes(&r), scalar_bytes(&s)].concat();
            assert!(pair.agree(&msg, &sig));
            // R = u1 G + u2 Q with u2 Q = -u1 G: choose s so that e/s G = -(r/s) d G, i.e.
            // e = -r d; not reachable with a hashed message, so just mutate s.
            assert!(!pair.agree(
                &msg,
                &[scalar_bytes(&r), scalar_bytes(&(s + Scalar::ONE))].concat()
            ));
        }
    }
}

fn pad(b: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out[32 - b.len()..].copy_from_slice(b);
    out
}

#[test]
fn key_acceptance_agrees() {
    let mut rng = ChaCha8Rng::seed_from_u64(seed() ^ 2);
    let g = ProjectivePoint::GENERATOR;
    for _ in 0..16 {
        let q = (g * random_scalar(&mut rng)).to_affine();
        let e = q.to_encoded_point(false);
        let (x, y) = (pad(e.x().unwrap()), pad(e.y().unwrap()));
        assert!(Pair::new(&x, &y).is_some());
        // Off the curve: y + 1, x + 1, swapped coordinates.
        let mut y1 = y;
        y1[31] = y1[31].wrapping_add(1);
        assert!(Pair::new(&x, &y1).is_none());
        let mut x1 = x;
        x1[31] = x1[31].wrapping_add(1);
        assert!(Pair::new(&x1, &y).is_none());
        assert!(Pair::new(&y, &x).is_none());
        // Random coordinates.
        let mut rx = [0u8; 32];
        let mut ry = [0u8; 32];
        rng.fill_bytes(&mut rx);
        rng.fill_bytes(&mut ry);
        assert!(Pair::new(&rx, &ry).is_none());
    }
    // Coordinates >= p, the identity's encodings, all-ones.
    assert!(Pair::new(&P, &P).is_none());
    assert!(Pair::new(&[0; 32], &[0; 32]).is_none());
    assert!(Pair::new(&[0xff; 32], &[0xff; 32]).is_none());
    // The same point with y + p (when it fits in 32 bytes): out of range, refused by both.
    let q = (g * Scalar::from(3u64)).to_affine();
    let e = q.to_encoded_point(false);
    let y = BigUint::from_bytes_be(e.y().unwrap());
    let p_big = BigUint::from_bytes_be(&P);
    let neg_y = &p_big - &y;
    let (small_y, big_y) = if y < neg_y { (y, neg_y) } else { (neg_y, y) };
    let _ = big_y;
    let shifted = &small_y + &p_big;
    if shifted.bits() <= 256 {
        assert!(Pair::new(e.x().unwrap(), &pad(&shifted.to_bytes_be())).is_none());
    }
    // Wrong lengths never reach either verifier: the JWK parser refuses them.
    assert!(fast_key(&[1; 31], &[1; 32]).is_none());
    assert!(fast_key(&[1; 33], &[1; 32]).is_none());
}

/// The prehash entry point (used with other hashes than SHA-256) against the `ecdsa` crate's
/// `PrehashVerifier`: every hash length from 0 to 80 bytes (shorter than 16 refused, shorter
/// than 32 left-padded, longer truncated to the leftmost 256 bits).
#[test]
fn prehash_lengths_agree() {
    use p256::ecdsa::signature::hazmat::PrehashVerifier;
    let mut rng = ChaCha8Rng::seed_from_u64(seed() ^ 4);
    let signing = p256::ecdsa::SigningKey::random(&mut rng);
    let Pair { fast, reference } = Pair::of(signing.verifying_key().as_affine());
    let KeyMaterial::P256(fast) = fast else {
        panic!("not P-256")
    };
    let mut accepted = 0;
    for len in 0..=80usize {
        let mut hash = vec![0u8; len];
        rng.fill_bytes(&mut hash);
        if len == 40 {
            hash.fill(0xff);
        }
        let signed: Option<p256::ecdsa::Signature> = signing.sign_prehash(&hash).ok();
        let sig = signed.map_or_else(|| vec![1u8; 64], |s| s.to_bytes().to_vec());
        let want = p256::ecdsa::Signature::from_slice(&sig)
            .is_ok_and(|s| reference.verify_prehash(&hash, &s).is_ok());
        assert_eq!(fast.verify_prehash(&hash, &sig), want, "hash length {len}");
        accepted += usize::from(want);
        let mut bad = sig.clone();
        bad[63] ^= 1;
        assert!(!fast.verify_prehash(&hash, &bad));
    }
    assert_eq!(accepted, 81 - 16);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Arbitrary signature bytes (any length, r and s anywhere) on a fixed key: same verdict.
    #[test]
    fn arbitrary_signatures_agree(sig in proptest::collection::vec(any::<u8>(), 0..80),
                                  msg in proptest::collection::vec(any::<u8>(), 0..64)) {
        let pair = fixed_pair();
        pair.agree(&msg, &sig);
    }

    /// Valid signatures with one byte changed: both refuse.
    #[test]
    fn mutated_signatures_agree(idx in 0usize..64, delta in 1u8..=255, m in any::<u64>()) {
        let pair = fixed_pair();
        let msg = m.to_be_bytes();
        let sig: p256::ecdsa::Signature = fixed_signing().sign_prehash(&Sha256::digest(msg)).unwrap();
        let mut sig = sig.to_bytes().to_vec();
        prop_assert!(pair.agree(&msg, &sig));
        sig[idx] = sig[idx].wrapping_add(delta);
        prop_assert!(!pair.agree(&msg, &sig));
    }
}

fn fixed_signing() -> &'static p256::ecdsa::SigningKey {
    static KEY: OnceLock<p256::ecdsa::SigningKey> = OnceLock::new();
    KEY.get_or_init(|| p256::ecdsa::SigningKey::random(&mut ChaCha8Rng::seed_from_u64(seed() ^ 3)))
}

fn fixed_pair() -> &'static Pair {
    static PAIR: OnceLock<Pair> = OnceLock::new();
    PAIR.get_or_init(|| Pair::of(fixed_signing().verifying_key().as_affine()))
}
