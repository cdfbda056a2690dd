//! µs per public-key verification (RS256, PS256, ES256, ES384, `EdDSA`; hashing included) by
//! `jsonwebtoken` with its `aws_lc_rs` backend: the native anchor rows of
//! `benches/pk_bench.sh`. The verifier is built once (key parsed once), like the core's
//! precomputed keys. Run: `cargo run --release -p edgeward-bench --example pk_aws_lc`.
//! Output lines match `examples/pk_bench.rs`: `<alg> aws-lc <median µs> <minimum µs>`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use edgeward::jwa::Alg;
use edgeward_cli::keys::SigningKey;
use jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER;
use jsonwebtoken::{Algorithm, DecodingKey};

fn main() {
    let msg = b"eyJhbGciOiJSUzI1NiIsImtpZCI6ImsiLCJ0eXAiOiJKV1QifQ.eyJpc3MiOiJodHRwczovL2lkcC5iZW5jaCIsImF1ZCI6ImFwaSIsInN1YiI6InVzZXItMSJ9";
    for (alg, jwt_alg) in [
        (Alg::RS256, Algorithm::RS256),
        (Alg::PS256, Algorithm::PS256),
        (Alg::ES256, Algorithm::ES256),
        (Alg::ES384, Algorithm::ES384),
        (Alg::EdDSA, Algorithm::EdDSA),
    ] {
        let key = SigningKey::generate(alg).expect("keygen");
        let jwk = key.public_jwk();
        let s = |k: &str| jwk[k].as_str().expect("member").to_string();
        let decoding = match alg {
            Alg::RS256 | Alg::PS256 => DecodingKey::from_rsa_components(&s("n"), &s("e")),
            Alg::EdDSA => DecodingKey::from_ed_components(&s("x")),
            _ => DecodingKey::from_ec_components(&s("x"), &s("y")),
        }
        .expect("key");
        let Ok(sig) = key.sign(alg, msg) else {
            panic!("sign")
        };
        let verifier = (DEFAULT_PROVIDER.verifier_factory)(&jwt_alg, &decoding).expect("verifier");
        let verify = || verifier.verify(black_box(msg), black_box(&sig)).is_ok();
        assert!(verify(), "{} does not verify", alg.name());
        let (min, median) = per_call_us(verify);
        println!("{} aws-lc {median:.1} {min:.1}", alg.name());
    }
}

/// Minimum and median of 9 rounds of ~150 ms each, in µs per call (as in pk_bench.rs).
fn per_call_us(mut f: impl FnMut() -> bool) -> (f64, f64) {
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
