//! RFC 7515, RFC 7520 and RFC 8037 examples (tests/vectors/, see its README) through the full
//! provider path: policy -> JWK -> JWS -> (JWT) claims.

use edgeward::{Policy, Reason};
use serde_json::{json, Value};

fn load(path: &str) -> Value {
    let text = std::fs::read_to_string(format!(
        "{}/tests/vectors/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("vector file");
    serde_json::from_str(&text).expect("vector json")
}

fn provider_policy(v: &Value) -> Policy {
    let mut jwk = v["jwk"].clone();
    // A key's own alg binds it; keep the RFC's JWK as printed.
    if jwk.get("alg").is_none() {
        jwk["alg"] = v["alg"].clone();
    }
    let doc = json!({
        "version": 1,
        "providers": {"rfc": {"local_jwks": {"keys": [jwk]}, "allow_any_audience": true}},
        "rules": [{"match": {"prefix": "/"}, "requires": {"provider_name": "rfc"}}]
    });
    Policy::from_json(doc.to_string().as_bytes()).expect("policy")
}

const ALL: &[&str] = &[
    "rfc7515/a1_hs256.json",
    "rfc7515/a2_rs256.json",
    "rfc7515/a3_es256.json",
    "rfc7515/a4_es512.json",
    "rfc7520/4_1_rs256.json",
    "rfc7520/4_2_ps384.json",
    "rfc7520/4_3_es512.json",
    "rfc7520/4_4_hs256.json",
    "rfc8037/a4_ed25519.json",
];

#[test]
fn every_rfc_example_verifies() {
    for path in ALL {
        let v = load(path);
        assert_eq!(v["expect"], "valid", "{path}");
        let policy = provider_policy(&v);
        let p = &policy.providers[0];
        let token = v["token"].as_str().unwrap();
        let verified = p
            .verify_jws(token)
            .unwrap_or_else(|r| panic!("{path}: {r}"));
        assert_eq!(
            verified.header.alg.name(),
            v["alg"].as_str().unwrap(),
            "{path}"
        );
        if v["payload_is_json"] == true {
            // RFC 7515 A.1-A.3: exp 1300819380; with the default 60 s skew it expires at +60.
            let claims = p
                .verify_jwt(token, 1_300_819_439)
                .unwrap_or_else(|r| panic!("{path}: {r}"));
            assert_eq!(
                claims.claims.pointer("/iss").and_then(|v| v.as_str()),
                Some("joe")
            );
            assert_eq!(
                p.verify_jwt(token, 1_300_819_440).unwrap_err().reason,
                Reason::TokenExpired
            );
        } else {
            // Non-JSON payloads are JWS, not JWT.
            assert_eq!(
                p.verify_jwt(token, 0).unwrap_err().reason,
                Reason::ClaimsMalformed,
                "{path}"
            );
        }
    }
}

#[test]
fn every_rfc_example_fails_when_flipped() {
    for path in ALL {
        let v = load(path);
        let policy = provider_policy(&v);
        let token = v["token"].as_str().unwrap();
        // Flip one character in the middle of the payload.
        let mut bytes = token.as_bytes().to_vec();
        let dot = token.find('.').unwrap();
        let i = dot + 3;
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        let r = policy.providers[0]
            .verify_jws(&tampered)
            .unwrap_err()
            .reason;
        assert!(
            matches!(r, Reason::SignatureInvalid | Reason::TokenMalformed),
            "{path}: {r}"
        );
    }
}

#[test]
fn rfc7515_a5_unsecured_is_rejected() {
    let v = load("rfc7515/a5_none.json");
    assert_eq!(v["expect"], "invalid");
    let a1 = load("rfc7515/a1_hs256.json");
    let policy = provider_policy(&a1);
    let token = v["token"].as_str().unwrap();
    assert_eq!(
        policy.providers[0].verify_jws(token).unwrap_err().reason,
        Reason::AlgNotAllowed
    );
}

#[test]
fn rfc7520_hmac_key_is_bound_to_its_alg() {
    // The RFC 7520 3.5 key says alg HS256: a token claiming HS512 with it is refused.
    let v = load("rfc7520/4_4_hs256.json");
    let policy = provider_policy(&v);
    let k = &policy.providers[0].keys.keys()[0];
    assert_eq!(
        k.algs,
        edgeward::jwa::AlgSet::one(edgeward::jwa::Alg::HS256)
    );
}
