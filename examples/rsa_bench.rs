//! µs per RSA signature verification (RS256 and PS256, 2048-bit key, e = 65537, a JWT-sized
//! message, hashing included): the core's fast path (`jwa::verify`, as the JWS path calls it)
//! or, with `--reference`, the `RustCrypto` `rsa` crate as the core used it before.
//!
//! The reference is a dev-dependency, so it is linked only into this example, never into the
//! Envoy filter or the npm package. Natively:
//! `cargo run --release --example rsa_bench [-- --reference]`; in wasm under V8:
//! `cargo build --release --example rsa_bench --target wasm32-wasip1`, then
//! `node benches/wasi_run.mjs target/wasm32-wasip1/release/examples/rsa_bench.wasm [--reference]`.
//! `benches/rsa_bench.sh` runs all four and prints the table.
//!
//! Output: one line per algorithm, `<alg> <fast|reference> <median µs> <minimum µs>` per
//! verification.

use std::hint::black_box;
use std::time::{Duration, Instant};

use edgeward::jwa::{self, Alg, KeyMaterial};
use edgeward::rsa_fast::RsaPublicKey;
use rand_chacha::rand_core::SeedableRng;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, Pss, RsaPrivateKey};
use sha2::{Digest, Sha256};

fn main() {
    let reference = std::env::args().any(|a| a == "--reference");
    // A throwaway key made at run time from a fixed seed (never a committed key).
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2048);
    let private = RsaPrivateKey::new(&mut rng, 2048).expect("keygen");
    let public = private.to_public_key();
    let fast = KeyMaterial::Rsa(
        RsaPublicKey::new(&public.n().to_bytes_be(), &public.e().to_bytes_be()).expect("key"),
    );
    let msg = format!(
        "{}.{}",
        edgeward::b64::encode(br#"{"alg":"RS256","kid":"k","typ":"JWT"}"#),
        edgeward::b64::encode(
            br#"{"iss":"https://idp.bench","aud":"api","sub":"user-1","iat":1800000000,"exp":1800003600,"jti":"1","scope":"read write"}"#
        )
    );
    let msg = msg.as_bytes();
    let hashed = Sha256::digest(msg);
    let rs = private
        .sign(Pkcs1v15Sign::new::<Sha256>(), &hashed)
        .expect("sign");
    let ps = private
        .sign_with_rng(&mut rng, Pss::new_with_salt::<Sha256>(32), &hashed)
        .expect("sign");

    for (alg, sig) in [(Alg::RS256, &rs), (Alg::PS256, &ps)] {
        let verify = || {
            if reference {
                reference_verify(&public, alg, black_box(msg), black_box(sig))
            } else {
                jwa::verify(alg, &fast, black_box(msg), black_box(sig))
            }
        };
        assert!(verify(), "{} does not verify", alg.name());
        let (min, median) = per_call_us(verify);
        let mode = if reference { "reference" } else { "fast" };
        println!("{} {mode} {median:.1} {min:.1}", alg.name());
    }
    if !reference {
        // The raw operation s^e mod n alone (no hashing, no encoding check).
        let KeyMaterial::Rsa(key) = &fast else {
            unreachable!()
        };
        let (min, median) = per_call_us(|| key.public_op(black_box(&rs)).is_some());
        println!("RSAVP1 fast {median:.1} {min:.1}");
    }
}

/// What the core did before: the `rsa` crate, with the same length check.
fn reference_verify(key: &rsa::RsaPublicKey, alg: Alg, msg: &[u8], sig: &[u8]) -> bool {
    if sig.len() != key.size() {
        return false;
    }
    let hashed = Sha256::digest(msg);
    match alg {
        Alg::RS256 => key.verify(Pkcs1v15Sign::new::<Sha256>(), &hashed, sig),
        Alg::PS256 => key.verify(Pss::new_with_salt::<Sha256>(32), &hashed, sig),
        _ => return false,
    }
    .is_ok()
}

/// Minimum and median of 9 rounds of ~150 ms each, in µs per call. The minimum is the one
/// least disturbed by other load on the machine.
fn per_call_us(mut f: impl FnMut() -> bool) -> (f64, f64) {
    // Warm up and size a round.
    let t = Instant::now();
    let mut calls = 0u32;
    while t.elapsed() < Duration::from_millis(100) {
        black_box(f());
        calls += 1;
    }
    let per_round = (calls * 3 / 2).max(1);
    let mut rounds: Vec<f64> = (0..9)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..per_round {
                black_box(f());
            }
            t.elapsed().as_secs_f64() * 1e6 / f64::from(per_round)
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    (rounds[0], rounds[4])
}
