//! Differential tests: the core's RSA fast path (`rsa_fast` over `mont`, reached through the
//! JWK parser and `jwa::verify` exactly as the JWS path reaches it) against the `RustCrypto`
//! `rsa` crate, the implementation it replaced. They must agree exactly on the raw operation
//! (s^e mod n as k bytes, or a refusal for a signature of the wrong length or not below n) and
//! on every verdict.
//!
//! Keys are generated at test time (never committed) from a seeded `ChaCha8` RNG; the seed is
//! printed and `EDGEWARD_RSA_SEED=<n>` replays it. Runs natively and on wasm32-wasip1 under
//! Node (`scripts/test.sh`, stage `wasm32-vectors`).

mod differential;
use differential::hex;

use std::sync::OnceLock;

use edgeward::b64;
use edgeward::json::{self, Limits};
use edgeward::jwa::{self, Alg, AlgSet, KeyMaterial};
use edgeward::jwk::{self, Origin};
use edgeward::rsa_fast::RsaPublicKey;
use proptest::prelude::*;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, Pkcs1v15Sign, Pss, RsaPrivateKey};
use sha2::{Digest, Sha256, Sha384, Sha512};

const RSA_ALGS: [Alg; 6] = [
    Alg::RS256,
    Alg::RS384,
    Alg::RS512,
    Alg::PS256,
    Alg::PS384,
    Alg::PS512,
];

/// One generated key: the private key (to sign), the reference public key, and the fast key
/// as the JWK parser builds it.
struct Fixture {
    private: RsaPrivateKey,
    reference: rsa::RsaPublicKey,
    fast: KeyMaterial,
}

fn seed() -> u64 {
    differential::seed("EDGEWARD_RSA_SEED")
}

/// 2048, 2049 (so that PSS has emLen = k - 1), 3072 and 4096 bits.
fn fixtures() -> &'static [Fixture] {
    static KEYS: OnceLock<Vec<Fixture>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut rng = ChaCha8Rng::seed_from_u64(seed());
        [2048usize, 2049, 3072, 4096]
            .iter()
            .map(|&bits| {
                let private = RsaPrivateKey::new(&mut rng, bits).expect("keygen");
                assert_eq!(private.n().bits(), bits);
                let reference = private.to_public_key();
                let fast = fast_key(&private.n().to_bytes_be(), &private.e().to_bytes_be())
                    .expect("JWK accepted");
                Fixture {
                    private,
                    reference,
                    fast,
                }
            })
            .collect()
    })
}

/// The key as the JWS path gets it: a JWK through `jwk::parse_jwk`.
fn fast_key(n: &[u8], e: &[u8]) -> Option<KeyMaterial> {
    let jwk = format!(
        r#"{{"kty":"RSA","n":"{}","e":"{}"}}"#,
        b64::encode(n),
        b64::encode(e)
    );
    let v = json::parse(jwk.as_bytes(), &Limits::JWKS).ok()?;
    let key = jwk::parse_jwk(&v, AlgSet::all(), Origin::Local).ok()?;
    Some(key.material)
}

fn fast_rsa(m: &KeyMaterial) -> &RsaPublicKey {
    match m {
        KeyMaterial::Rsa(k) => k,
        other => panic!("not RSA: {other:?}"),
    }
}

/// RSAVP1 by the reference: s^e mod n as k bytes; `None` for the wrong length or s >= n.
fn reference_raw(key: &rsa::RsaPublicKey, sig: &[u8]) -> Option<Vec<u8>> {
    let s = BigUint::from_bytes_be(sig);
    if sig.len() != key.size() || &s >= key.n() {
        return None;
    }
    let m = rsa::hazmat::rsa_encrypt(key, &s).ok()?.to_bytes_be();
    Some([vec![0u8; key.size() - m.len()], m].concat())
}

/// What the core did before: the `rsa` crate's verify, after the same length check.
fn reference_verify(key: &rsa::RsaPublicKey, alg: Alg, msg: &[u8], sig: &[u8]) -> bool {
    if sig.len() != key.size() {
        return false;
    }
    match alg {
        Alg::RS256 => key.verify(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(msg), sig),
        Alg::RS384 => key.verify(Pkcs1v15Sign::new::<Sha384>(), &Sha384::digest(msg), sig),
        Alg::RS512 => key.verify(Pkcs1v15Sign::new::<Sha512>(), &Sha512::digest(msg), sig),
        Alg::PS256 => key.verify(Pss::new_with_salt::<Sha256>(32), &Sha256::digest(msg), sig),
        Alg::PS384 => key.verify(Pss::new_with_salt::<Sha384>(48), &Sha384::digest(msg), sig),
        Alg::PS512 => key.verify(Pss::new_with_salt::<Sha512>(64), &Sha512::digest(msg), sig),
        _ => return false,
    }
    .is_ok()
}

fn sign(f: &Fixture, alg: Alg, msg: &[u8], rng: &mut ChaCha8Rng) -> Vec<u8> {
    let k = &f.private;
    match alg {
        Alg::RS256 => k.sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(msg)),
        Alg::RS384 => k.sign(Pkcs1v15Sign::new::<Sha384>(), &Sha384::digest(msg)),
        Alg::RS512 => k.sign(Pkcs1v15Sign::new::<Sha512>(), &Sha512::digest(msg)),
        Alg::PS256 => k.sign_with_rng(rng, Pss::new_with_salt::<Sha256>(32), &Sha256::digest(msg)),
        Alg::PS384 => k.sign_with_rng(rng, Pss::new_with_salt::<Sha384>(48), &Sha384::digest(msg)),
        Alg::PS512 => k.sign_with_rng(rng, Pss::new_with_salt::<Sha512>(64), &Sha512::digest(msg)),
        _ => unreachable!(),
    }
    .expect("sign")
}

/// Raw operation and all six verdicts agree for `sig`; returns the fast verdicts.
fn agree(f: &Fixture, msg: &[u8], sig: &[u8]) -> Result<Vec<bool>, TestCaseError> {
    let fast = fast_rsa(&f.fast);
    prop_assert_eq!(
        fast.public_op(sig),
        reference_raw(&f.reference, sig),
        "raw op, {} bits, sig {}",
        f.reference.n().bits(),
        hex(sig)
    );
    let mut verdicts = Vec::new();
    for alg in RSA_ALGS {
        let got = jwa::verify(alg, &f.fast, msg, sig);
        let want = reference_verify(&f.reference, alg, msg, sig);
        prop_assert_eq!(
            got,
            want,
            "{} verdict, {} bits",
            alg.name(),
            f.reference.n().bits()
        );
        verdicts.push(got);
    }
    Ok(verdicts)
}

fn be(x: &BigUint, len: usize) -> Vec<u8> {
    let b = x.to_bytes_be();
    if b.len() >= len {
        return b;
    }
    [vec![0u8; len - b.len()], b].concat()
}

/// Signatures at the edges: 0, 1, 2, n - 2, n - 1, n, n + 1, all-ones, 2^(8k-1), values with
/// all-ones 27-bit limbs, and the wrong lengths.
fn edge_signatures(n: &BigUint, k: usize) -> Vec<Vec<u8>> {
    let one = BigUint::from(1u8);
    let mut v: Vec<Vec<u8>> = [
        BigUint::from(0u8),
        one.clone(),
        BigUint::from(2u8),
        n - BigUint::from(2u8),
        n - &one,
        n.clone(),
        n + &one,
        (&one << (8 * k - 1)),
        n >> 1usize,
    ]
    .iter()
    .map(|x| be(x, k))
    .collect();
    for limbs in [1usize, 2, 37, n.bits() / 27] {
        v.push(be(&((&one << (27 * limbs)) - &one), k));
    }
    v.push(vec![0xff; k]);
    v.push(vec![0u8; k - 1]);
    v.push(vec![0u8; k + 1]);
    v.push(be(&(n - &one), k + 1));
    v.push(be(&(n >> 8usize), k - 1));
    v.push(Vec::new());
    v
}

#[test]
fn edge_signatures_agree_for_every_key() {
    for f in fixtures() {
        let k = f.reference.size();
        for sig in edge_signatures(f.reference.n(), k) {
            let verdicts = agree(f, b"edge", &sig).unwrap();
            assert!(verdicts.iter().all(|v| !v), "{}", hex(&sig));
        }
    }
}

#[test]
fn all_ones_and_sparse_moduli_raw_op_agrees() {
    // Not RSA keys, just odd moduli whose limbs stress carries: 2^b - 1 and 2^(b-1) + 1 at
    // byte and 27-bit limb boundaries, with the edge signatures and e = 3, 65537, 2^32 - 1.
    let one = BigUint::from(1u8);
    for bits in [2048usize, 2049, 2052, 2053, 2055, 4104, 4105, 8192] {
        for n in [(&one << bits) - &one, (&one << (bits - 1)) + &one] {
            let k = bits.div_ceil(8);
            for e in [3u32, 65537, u32::MAX] {
                let fast = RsaPublicKey::new(&n.to_bytes_be(), &e.to_be_bytes()).unwrap();
                for sig in edge_signatures(&n, k) {
                    let s = BigUint::from_bytes_be(&sig);
                    let want =
                        (sig.len() == k && s < n).then(|| be(&s.modpow(&BigUint::from(e), &n), k));
                    assert_eq!(
                        fast.public_op(&sig),
                        want,
                        "{bits} bits, e={e}, {}",
                        hex(&sig)
                    );
                }
            }
        }
    }
}

#[test]
fn valid_signatures_verify_for_every_key_and_algorithm() {
    let mut rng = ChaCha8Rng::seed_from_u64(seed() ^ 1);
    for f in fixtures() {
        for (i, alg) in RSA_ALGS.into_iter().enumerate() {
            let sig = sign(f, alg, b"valid", &mut rng);
            let verdicts = agree(f, b"valid", &sig).unwrap();
            // Exactly the algorithm it was made for verifies.
            for (j, v) in verdicts.iter().enumerate() {
                assert_eq!(
                    *v,
                    i == j,
                    "{} signature, {} check",
                    alg.name(),
                    RSA_ALGS[j].name()
                );
            }
        }
    }
}

fn fixture_strategy() -> impl Strategy<Value = usize> {
    0..4usize
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    /// Random k-byte signatures (about half of them not below n).
    #[test]
    fn random_signatures_agree(key in fixture_strategy(), bytes in prop::collection::vec(any::<u8>(), 512), msg in prop::collection::vec(any::<u8>(), 0..64)) {
        let f = &fixtures()[key];
        let sig = &bytes[..f.reference.size()];
        agree(f, &msg, sig)?;
    }

    /// Signatures just below n.
    #[test]
    fn signatures_near_n_agree(key in fixture_strategy(), below in any::<u64>()) {
        let f = &fixtures()[key];
        let s = f.reference.n() - BigUint::from(below) - BigUint::from(1u8);
        agree(f, b"near n", &be(&s, f.reference.size()))?;
    }

    /// A valid signature with one byte changed, or the message changed: never accepted by
    /// either, and the raw operation still agrees.
    #[test]
    fn mutated_signatures_agree(key in fixture_strategy(), alg in prop::sample::select(RSA_ALGS.to_vec()), msg in prop::collection::vec(any::<u8>(), 0..200), pos in any::<prop::sample::Index>(), xor in 1u8..=255, change_msg in any::<bool>(), rng_seed in any::<u64>()) {
        let f = &fixtures()[key];
        let mut rng = ChaCha8Rng::seed_from_u64(rng_seed);
        let mut sig = sign(f, alg, &msg, &mut rng);
        prop_assert!(jwa::verify(alg, &f.fast, &msg, &sig));
        let mut msg = msg;
        if change_msg {
            msg.push(xor);
        } else {
            let i = pos.index(sig.len());
            sig[i] ^= xor;
        }
        let verdicts = agree(f, &msg, &sig)?;
        prop_assert!(verdicts.iter().all(|v| !v));
    }

    /// Random odd moduli of random lengths (not RSA keys) and random odd exponents: the raw
    /// operation agrees with num-bigint's modpow.
    #[test]
    fn raw_op_agrees_on_random_moduli(bits in 2048usize..=4200, n_bytes in prop::collection::vec(any::<u8>(), 525), s_bytes in prop::collection::vec(any::<u8>(), 525), e in any::<u32>()) {
        let k = bits.div_ceil(8);
        let mut n_be = n_bytes[..k].to_vec();
        n_be[0] &= 0xff >> (8 * k - bits);
        n_be[0] |= 0x80 >> (8 * k - bits);
        n_be[k - 1] |= 1;
        let e = (e | 1).max(3);
        let n = BigUint::from_bytes_be(&n_be);
        prop_assert_eq!(n.bits(), bits);
        let fast = RsaPublicKey::new(&n_be, &e.to_be_bytes()).unwrap();
        let sig = &s_bytes[..k];
        let s = BigUint::from_bytes_be(sig);
        let want = (s < n).then(|| be(&s.modpow(&BigUint::from(e), &n), k));
        prop_assert_eq!(fast.public_op(sig), want);
        // Reduced below n, so that most cases compute.
        let s = s % &n;
        let want = be(&s.modpow(&BigUint::from(e), &n), k);
        prop_assert_eq!(fast.public_op(&be(&s, k)), Some(want));
    }
}
