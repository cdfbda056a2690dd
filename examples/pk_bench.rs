//! µs per public-key signature verification (RS256, PS256, ES256, ES384, ES512, `EdDSA`; a JWT-sized
//! message, hashing included): the core (`jwa::verify` on a key from `jwk::parse_jwk`, as the
//! JWS path calls it) or, with `--reference`, the `RustCrypto` crates as the core used them
//! before its fast paths (`rsa`, `p256`, `p384`, `p521`, `ed25519-dalek`).
//!
//! The references are dev-dependencies or the crates the core still uses, linked here only.
//! Natively: `cargo run --release --example pk_bench [-- --reference] [ALG...]`; in wasm under
//! V8: `cargo build --release --example pk_bench --target wasm32-wasip1`, then
//! `node benches/wasi_run.mjs target/wasm32-wasip1/release/examples/pk_bench.wasm [--reference]`.
//! `benches/pk_bench.sh` runs all of them over several passes and prints the table.
//!
//! Output: one line per algorithm, `<alg> <fast|reference> <median µs> <minimum µs>` per
//! verification.

use std::hint::black_box;
use std::time::{Duration, Instant};

use edgeward::json::{self, Limits};
use edgeward::jwa::{self, Alg, AlgSet, KeyMaterial};
use edgeward::jwk::{self, Origin};
use edgeward_cli::keys::SigningKey;
use rsa::{BigUint, Pkcs1v15Sign, Pss};
use sha2::{Digest, Sha256};

/// What the core used before its fast paths.
enum Reference {
    Rsa(rsa::RsaPublicKey),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
    Ed25519(ed25519_dalek::VerifyingKey),
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let reference = args.iter().any(|a| a == "--reference");
    let only: Vec<Alg> = args.iter().filter_map(|a| Alg::from_name(a)).collect();
    let msg = format!(
        "{}.{}",
        edgeward::b64::encode(br#"{"alg":"ES256","kid":"k","typ":"JWT"}"#),
        edgeward::b64::encode(
            br#"{"iss":"https://idp.bench","aud":"api","sub":"user-1","iat":1800000000,"exp":1800003600,"jti":"1","scope":"read write"}"#
        )
    );
    let msg = msg.as_bytes();
    for alg in [
        Alg::RS256,
        Alg::PS256,
        Alg::ES256,
        Alg::ES384,
        Alg::ES512,
        Alg::EdDSA,
    ] {
        if !only.is_empty() && !only.contains(&alg) {
            continue;
        }
        // A throwaway key made at run time (never a committed key).
        let signing = SigningKey::generate(alg).expect("keygen");
        let jwk_members = signing.public_jwk();
        let sig = signing.sign(alg, msg).expect("sign");
        let fast = fast_key(&serde_json::Value::Object(jwk_members.clone()), alg);
        let refkey = reference_key(&jwk_members, alg);
        let verify = || {
            if reference {
                reference_verify(&refkey, alg, black_box(msg), black_box(&sig))
            } else {
                jwa::verify(alg, &fast, black_box(msg), black_box(&sig))
            }
        };
        assert!(verify(), "{} does not verify", alg.name());
        let (min, median) = per_call_us(verify);
        let mode = if reference { "reference" } else { "fast" };
        println!("{} {mode} {median:.1} {min:.1}", alg.name());
        if !reference && matches!(alg, Alg::ES256 | Alg::ES384 | Alg::ES512) {
            // Key load: the JWK parsed and the point's table built.
            let jwk_value = serde_json::Value::Object(jwk_members.clone());
            let (min, median) = per_call_us(|| {
                matches!(
                    fast_key(black_box(&jwk_value), alg),
                    KeyMaterial::P256(_) | KeyMaterial::P384(_) | KeyMaterial::P521(_)
                )
            });
            println!("{}-key-load fast {median:.1} {min:.1}", alg.name());
        }
    }
}

fn fast_key(jwk_value: &serde_json::Value, alg: Alg) -> KeyMaterial {
    let text = jwk_value.to_string();
    let v = json::parse(text.as_bytes(), &Limits::JWKS).expect("json");
    jwk::parse_jwk(&v, AlgSet::one(alg), Origin::Local)
        .expect("jwk")
        .material
}

fn member(jwk: &serde_json::Map<String, serde_json::Value>, name: &str) -> Vec<u8> {
    edgeward::b64::decode(jwk[name].as_str().expect("member")).expect("base64url")
}

fn reference_key(jwk: &serde_json::Map<String, serde_json::Value>, alg: Alg) -> Reference {
    let sec1 = || [&[4u8][..], &member(jwk, "x"), &member(jwk, "y")].concat();
    match alg {
        Alg::RS256 | Alg::PS256 => Reference::Rsa(
            rsa::RsaPublicKey::new(
                BigUint::from_bytes_be(&member(jwk, "n")),
                BigUint::from_bytes_be(&member(jwk, "e")),
            )
            .expect("rsa"),
        ),
        Alg::ES256 => {
            Reference::P256(p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1()).expect("p256"))
        }
        Alg::ES384 => {
            Reference::P384(p384::ecdsa::VerifyingKey::from_sec1_bytes(&sec1()).expect("p384"))
        }
        Alg::ES512 => {
            Reference::P521(p521::ecdsa::VerifyingKey::from_sec1_bytes(&sec1()).expect("p521"))
        }
        _ => Reference::Ed25519(
            ed25519_dalek::VerifyingKey::from_bytes(
                &member(jwk, "x").try_into().expect("32 bytes"),
            )
            .expect("ed25519"),
        ),
    }
}

/// What the core did before: the `RustCrypto` crates, with the same length checks.
fn reference_verify(key: &Reference, alg: Alg, msg: &[u8], sig: &[u8]) -> bool {
    match (key, alg) {
        (Reference::Rsa(k), Alg::RS256) => k
            .verify(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(msg), sig)
            .is_ok(),
        (Reference::Rsa(k), _) => k
            .verify(Pss::new_with_salt::<Sha256>(32), &Sha256::digest(msg), sig)
            .is_ok(),
        (Reference::P256(k), _) => {
            use p256::ecdsa::signature::Verifier;
            p256::ecdsa::Signature::from_slice(sig).is_ok_and(|s| k.verify(msg, &s).is_ok())
        }
        (Reference::P384(k), _) => {
            use p384::ecdsa::signature::Verifier;
            p384::ecdsa::Signature::from_slice(sig).is_ok_and(|s| k.verify(msg, &s).is_ok())
        }
        (Reference::P521(k), _) => {
            use p521::ecdsa::signature::Verifier;
            p521::ecdsa::Signature::from_slice(sig).is_ok_and(|s| k.verify(msg, &s).is_ok())
        }
        (Reference::Ed25519(k), _) => ed25519_dalek::Signature::from_slice(sig)
            .is_ok_and(|s| k.verify_strict(msg, &s).is_ok()),
    }
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
