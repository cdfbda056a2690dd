//! Per-request cost of the core's request decision, for running inside a wasm engine:
//! `cargo build --release --example decide_loop --target wasm32-wasip1`, then
//! `node benches/wasi_run.mjs target/wasm32-wasip1/release/examples/decide_loop.wasm`.
//! Prints µs per decision for an HS256 token with the verified-token cache off and on.
//! (Natively: `cargo run --release --example decide_loop`.)

use std::time::Instant;

use edgeward::cache::{CacheLimits, TokenCache};
use edgeward::jwa::{hmac_sign, Alg};
use edgeward::{b64, decide_with_cache, Policy, Request};

fn main() {
    // A throwaway secret made at run time (never a committed key).
    let seed = Instant::now().elapsed().subsec_nanos().to_le_bytes();
    let secret: Vec<u8> = (0..32u8)
        .map(|i| i.wrapping_mul(31) ^ seed[usize::from(i % 4)])
        .collect();
    let k = b64::encode(&secret);
    let policy = format!(
        r#"{{"version":1,"providers":{{"p":{{"issuer":"https://idp.bench","audiences":["api"],"forward":true,
        "local_jwks":{{"keys":[{{"kty":"oct","k":"{k}","kid":"k","alg":"HS256"}}]}}}}}},
        "rules":[{{"match":{{"prefix":"/"}},"requires":{{"provider_name":"p"}}}}]}}"#
    );
    let policy = Policy::from_json(policy.as_bytes()).expect("policy");
    let header = b64::encode(br#"{"alg":"HS256","kid":"k","typ":"JWT"}"#);
    let claims = b64::encode(
        br#"{"iss":"https://idp.bench","aud":"api","sub":"user-1","iat":1800000000,"exp":1800003600,"jti":"1","scope":"read write"}"#,
    );
    let input = format!("{header}.{claims}");
    let tag = hmac_sign(Alg::HS256, &secret, input.as_bytes()).expect("hmac");
    let auth = format!("Bearer {input}.{}", b64::encode(&tag));
    let headers = [
        ("host", "127.0.0.1:10000"),
        ("user-agent", "wrk"),
        ("authorization", auth.as_str()),
        ("x-forwarded-proto", "http"),
        ("x-request-id", "5f0a7c1e-1111-2222-3333-444455556666"),
    ];
    let req = Request {
        method: "GET",
        path: "/bench",
        headers: &headers,
        client_addr: None,
        peer_certificate: None,
        route: None,
        now: 1_800_000_100,
    };
    let n = 20_000u32;
    for (label, cached) in [("cache off", false), ("cache on (hits)", true)] {
        let mut cache = TokenCache::new(CacheLimits::default());
        for _ in 0..1000 {
            let c = if cached { Some(&mut cache) } else { None };
            assert!(decide_with_cache(&policy, &req, c).allow);
        }
        let t = Instant::now();
        for _ in 0..n {
            let c = if cached { Some(&mut cache) } else { None };
            std::hint::black_box(decide_with_cache(&policy, std::hint::black_box(&req), c).allow);
        }
        let us = t.elapsed().as_secs_f64() * 1e6 / f64::from(n);
        println!("decide HS256 {label}: {us:.2} µs");
    }
}
