//! Property tests: sign -> verify round trips, and any single-byte change to a valid token is
//! rejected (never accepted, never a panic). Arbitrary input never panics any parser.

mod common;

use common::{kit, policy_with, ISS, NOW};
use edgeward::json::{self, Limits};
use edgeward::jwa::Alg;
use proptest::prelude::*;
use serde_json::{json, Value};

fn provider() -> &'static edgeward::policy::Provider {
    static P: std::sync::OnceLock<edgeward::Policy> = std::sync::OnceLock::new();
    &P.get_or_init(|| policy_with(json!({}), Value::Null))
        .providers[0]
}

fn alg_strategy() -> impl Strategy<Value = Alg> {
    prop::sample::select(vec![
        Alg::HS256,
        Alg::HS512,
        Alg::RS256,
        Alg::PS256,
        Alg::ES256,
        Alg::ES384,
        Alg::ES512,
        Alg::EdDSA,
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn round_trip(alg in alg_strategy(), sub in "\\PC{0,40}", extra in any::<i32>(), life in 1i64..100_000) {
        let claims = json!({"iss": ISS, "aud": "api", "sub": sub, "x": extra, "exp": NOW + life});
        let t = kit().token(alg, &claims);
        let got = provider().verify_jwt(&t, NOW).map_err(|r| TestCaseError::fail(r.to_string()))?;
        prop_assert_eq!(got.claims.pointer("/sub").and_then(|v| v.as_str()), Some(sub.as_str()));
        prop_assert_eq!(got.verified.as_ref().unwrap().header.alg, alg);
    }

    #[test]
    fn any_single_byte_change_is_rejected(alg in alg_strategy(), pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let t = kit().token(alg, &json!({"iss": ISS, "aud": "api", "exp": NOW + 60}));
        let mut bytes = t.clone().into_bytes();
        let i = pos.index(bytes.len());
        prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        let Ok(mutated) = String::from_utf8(bytes) else { return Ok(()) };
        // Base64 with spare bits can decode two spellings to the same bytes: strict decoding
        // must refuse the non-canonical one, so every change is an error.
        prop_assert!(provider().verify_jwt(&mutated, NOW).is_err(), "accepted mutation at {}", i);
    }

    #[test]
    fn truncation_and_extension_are_rejected(alg in alg_strategy(), cut in 1usize..40) {
        let t = kit().token(alg, &json!({"iss": ISS, "aud": "api", "exp": NOW + 60}));
        let short = &t[..t.len().saturating_sub(cut)];
        prop_assert!(provider().verify_jwt(short, NOW).is_err());
        let long = format!("{t}{}", "A".repeat(cut));
        prop_assert!(provider().verify_jwt(&long, NOW).is_err());
    }

    #[test]
    fn arbitrary_tokens_never_panic(s in "[A-Za-z0-9_.=+/ -]{0,300}") {
        let _ = provider().verify_jwt(&s, NOW);
    }

    #[test]
    fn arbitrary_json_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = json::parse(&bytes, &Limits::CLAIMS);
    }

    #[test]
    fn arbitrary_jsonish_never_panics(s in "[\\[\\]{}\":,0-9a-z.eE+\\-\\\\ u]{0,120}") {
        if let Ok(v) = json::parse(s.as_bytes(), &Limits::CLAIMS) {
            // Whatever parses re-serialises to something that parses to the same value.
            let again = json::parse(v.to_json().as_bytes(), &Limits::CLAIMS).unwrap();
            prop_assert_eq!(again, v);
        }
    }

    #[test]
    fn normalisation_is_idempotent(s in "/[a-z./%0-9A-F]{0,40}") {
        if let Ok(t) = edgeward::path::normalize(&s) {
            let again = edgeward::path::normalize(&t.path).unwrap();
            prop_assert_eq!(again.path, t.path);
        }
    }

    #[test]
    fn decisions_never_panic(path in "[ -~]{0,60}", method in "[A-Z]{1,7}", value in "[ -~]{0,100}") {
        let p = policy_with(json!({}), Value::Null);
        let headers = [("authorization", value.as_str()), ("cookie", value.as_str())];
        let d = edgeward::decide(&p, &edgeward::Request { method: &method, path: &path, headers: &headers, client_addr: None, peer_certificate: None, route: None, now: NOW });
        prop_assert!(!d.allow);
    }
}
