//! The attack suite: each known JWT attack, asserting the exact reason it is refused with.
//! `docs/threat-model.md` points at these tests by name.

mod common;

use common::{good_claims, kit, policy_with, ISS, NOW};
use edgeward::b64;
use edgeward::jwa::Alg;
use edgeward::Reason;
use serde_json::{json, Value};

fn reason(token: &str) -> Reason {
    let p = policy_with(json!({}), Value::Null);
    p.providers[0]
        .verify_jwt(token, NOW)
        .map(|_| ())
        .unwrap_err()
        .reason
}

fn ok(token: &str) {
    let p = policy_with(json!({}), Value::Null);
    if let Err(r) = p.providers[0].verify_jwt(token, NOW) {
        panic!("expected valid, got {r}");
    }
}

fn claims_b64() -> String {
    b64::encode(good_claims().to_string().as_bytes())
}

#[test]
fn baseline_every_algorithm_verifies() {
    for alg in Alg::ALL {
        ok(&kit().token(alg, &good_claims()));
    }
}

#[test]
fn alg_none_in_any_casing() {
    for none in ["none", "None", "NONE", "nOnE"] {
        let h = b64::encode(format!(r#"{{"alg":"{none}","typ":"JWT"}}"#).as_bytes());
        assert_eq!(
            reason(&format!("{h}.{}.", claims_b64())),
            Reason::AlgNotAllowed
        );
        // Even with a signature segment.
        assert_eq!(
            reason(&format!("{h}.{}.AAAA", claims_b64())),
            Reason::AlgNotAllowed
        );
    }
}

#[test]
fn rsa_public_key_as_hmac_secret() {
    // The classic key-confusion forgery: HMAC over the token with the RSA public key's bytes.
    let jwk = kit().public_jwk(Alg::RS256);
    for secret in [
        jwk.to_string().into_bytes(),
        b64::decode(jwk["n"].as_str().unwrap()).unwrap(),
    ] {
        let input = format!(
            "{}.{}",
            b64::encode(br#"{"alg":"HS256","kid":"RS256"}"#),
            claims_b64()
        );
        let tag = edgeward::jwa::hmac_sign(Alg::HS256, &secret, input.as_bytes()).unwrap();
        let forged = format!("{input}.{}", b64::encode(&tag));
        // The kid names an RSA key, which is bound to RS256 only.
        assert_eq!(reason(&forged), Reason::AlgNotAllowed);
    }
    // Without a kid, only HMAC-bound keys are candidates, and the RSA bytes are not one.
    let input = format!("{}.{}", b64::encode(br#"{"alg":"HS256"}"#), claims_b64());
    let tag = edgeward::jwa::hmac_sign(Alg::HS256, jwk.to_string().as_bytes(), input.as_bytes());
    let forged = format!("{input}.{}", b64::encode(&tag.unwrap()));
    assert_eq!(reason(&forged), Reason::SignatureInvalid);
}

#[test]
fn algorithm_outside_allow_list_or_key_binding() {
    let p = policy_with(json!({"algorithms": ["ES256"]}), Value::Null);
    let t = kit().token(Alg::RS256, &good_claims());
    assert_eq!(
        p.providers[0].verify_jwt(&t, NOW).unwrap_err().reason,
        Reason::AlgNotAllowed
    );
    // An RS256-bound key used for PS256.
    let h = json!({"alg": "PS256", "kid": "RS256"}).to_string();
    let input = format!("{}.{}", b64::encode(h.as_bytes()), claims_b64());
    let sig = kit()
        .key(Alg::RS256)
        .sign(Alg::PS256, input.as_bytes())
        .ok()
        .unwrap();
    assert_eq!(
        reason(&format!("{input}.{}", b64::encode(&sig))),
        Reason::AlgNotAllowed
    );
}

#[test]
fn header_keys_never_choose_the_key() {
    // An attacker key embedded as jwk / referenced by jku / x5u / x5c: our keys are still used.
    let attacker = edgeward_cli::keys::SigningKey::generate(Alg::ES256)
        .ok()
        .unwrap();
    let ajwk = Value::Object(attacker.public_jwk());
    for extra in [
        json!({"jwk": ajwk}),
        json!({"jku": "https://attacker.example/jwks.json"}),
        json!({"x5u": "https://attacker.example/cert.pem"}),
        json!({"x5c": ["MIIB"]}),
    ] {
        let mut h = json!({"alg": "ES256"});
        for (k, v) in extra.as_object().unwrap() {
            h[k] = v.clone();
        }
        let input = format!("{}.{}", b64::encode(h.to_string().as_bytes()), claims_b64());
        let sig = attacker.sign(Alg::ES256, input.as_bytes()).ok().unwrap();
        assert_eq!(
            reason(&format!("{input}.{}", b64::encode(&sig))),
            Reason::SignatureInvalid
        );
    }
}

#[test]
fn kid_injection_and_no_fallback() {
    for kid in [
        "../../../../dev/null",
        "' OR 1=1 --",
        "",
        "RS256\u{0}",
        "http://x/y",
    ] {
        let h = json!({"alg": "RS256", "kid": kid}).to_string();
        let t = kit().sign_raw(Alg::RS256, &h, good_claims().to_string().as_bytes());
        assert_eq!(reason(&t), Reason::KeyNotFound, "{kid:?}");
    }
    let h = json!({"alg": "RS256", "kid": 7}).to_string();
    let t = kit().sign_raw(Alg::RS256, &h, good_claims().to_string().as_bytes());
    assert_eq!(reason(&t), Reason::TokenMalformed);
}

#[test]
fn crit_and_unencoded_payload() {
    let payload = good_claims().to_string();
    let t = kit().sign_raw(
        Alg::ES256,
        r#"{"alg":"ES256","kid":"ES256","crit":["exp"],"exp":1}"#,
        payload.as_bytes(),
    );
    assert_eq!(reason(&t), Reason::CritUnsupported);
    let t = kit().sign_raw(
        Alg::ES256,
        r#"{"alg":"ES256","kid":"ES256","b64":false,"crit":["b64"]}"#,
        payload.as_bytes(),
    );
    assert_eq!(reason(&t), Reason::CritUnsupported);
}

#[test]
fn structure_attacks() {
    let good = kit().token(Alg::ES256, &good_claims());
    let parts: Vec<&str> = good.split('.').collect();
    // JWE shape.
    assert_eq!(reason(&format!("{good}.AAAA.BBBB")), Reason::TokenIsJwe);
    // Two or four segments.
    assert_eq!(
        reason(&format!("{}.{}", parts[0], parts[1])),
        Reason::TokenMalformed
    );
    assert_eq!(reason(&format!("{good}.AAAA")), Reason::TokenMalformed);
    // Padding, standard alphabet, whitespace.
    assert_eq!(
        reason(&format!("{}=.{}.{}", parts[0], parts[1], parts[2])),
        Reason::TokenMalformed
    );
    let std_alphabet = format!("{}.{}.+{}", parts[0], parts[1], &parts[2][1..]);
    assert_eq!(reason(&std_alphabet), Reason::TokenMalformed);
    assert_eq!(reason(&format!("{good}\n")), Reason::TokenMalformed);
    assert_eq!(reason(&format!(" {good}")), Reason::TokenMalformed);
    // Non-canonical trailing bits in the signature (64 bytes -> 86 chars, 4 spare bits).
    let mut sig = parts[2].as_bytes().to_vec();
    let last = sig.len() - 1;
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let idx = alphabet.iter().position(|c| *c == sig[last]).unwrap();
    sig[last] = alphabet[(idx & !3) | 1];
    let t = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        String::from_utf8(sig).unwrap()
    );
    assert_eq!(reason(&t), Reason::TokenMalformed);
    // Size caps before parsing.
    assert_eq!(reason(&"a".repeat(9000)), Reason::TokenTooLarge);
    let big_header = json!({"alg": "ES256", "pad": "x".repeat(1100)}).to_string();
    let t = kit().sign_raw(Alg::ES256, &big_header, b"{}");
    assert_eq!(reason(&t), Reason::TokenTooLarge);
}

#[test]
fn duplicate_members_are_refused() {
    let t = kit().sign_raw(
        Alg::ES256,
        r#"{"alg":"ES256","kid":"ES256","alg":"HS256"}"#,
        b"{}",
    );
    assert_eq!(reason(&t), Reason::TokenMalformed);
    // Duplicate claims inside a correctly signed payload.
    let payload = format!(
        r#"{{"iss":"{ISS}","aud":"api","exp":{},"exp":{}}}"#,
        NOW + 600,
        NOW - 600
    );
    let t = kit().sign_raw(
        Alg::ES256,
        r#"{"alg":"ES256","kid":"ES256"}"#,
        payload.as_bytes(),
    );
    assert_eq!(reason(&t), Reason::ClaimsMalformed);
    // Escaped duplicate.
    let payload = format!(
        r#"{{"iss":"{ISS}","aud":"api","exp":{},"\u0065xp":1}}"#,
        NOW + 600
    );
    let t = kit().sign_raw(
        Alg::ES256,
        r#"{"alg":"ES256","kid":"ES256"}"#,
        payload.as_bytes(),
    );
    assert_eq!(reason(&t), Reason::ClaimsMalformed);
}

#[test]
fn hostile_json() {
    let h = r#"{"alg":"ES256","kid":"ES256"}"#;
    let deep = format!(
        r#"{{"iss":"{ISS}","aud":"api","exp":{},"x":{}1{}}}"#,
        NOW + 60,
        "[".repeat(64),
        "]".repeat(64)
    );
    assert_eq!(
        reason(&kit().sign_raw(Alg::ES256, h, deep.as_bytes())),
        Reason::ClaimsMalformed
    );
    let lone = format!(
        r#"{{"iss":"{ISS}","aud":"api","exp":{},"x":"\ud800"}}"#,
        NOW + 60
    );
    assert_eq!(
        reason(&kit().sign_raw(Alg::ES256, h, lone.as_bytes())),
        Reason::ClaimsMalformed
    );
    let trailing = format!(r#"{{"iss":"{ISS}","aud":"api","exp":{}}} x"#, NOW + 60);
    assert_eq!(
        reason(&kit().sign_raw(Alg::ES256, h, trailing.as_bytes())),
        Reason::ClaimsMalformed
    );
    assert_eq!(
        reason(&kit().sign_raw(Alg::ES256, h, b"\xff\xfe")),
        Reason::ClaimsMalformed
    );
    assert_eq!(
        reason(&kit().sign_raw(Alg::ES256, h, b"[1,2]")),
        Reason::ClaimsMalformed
    );
    let deep_header = format!(
        r#"{{"alg":"ES256","x":{}{}}}"#,
        "[".repeat(10),
        "]".repeat(10)
    );
    assert_eq!(
        reason(&kit().sign_raw(Alg::ES256, &deep_header, b"{}")),
        Reason::TokenMalformed
    );
}

fn resign_with(alg: Alg, sig: &[u8]) -> String {
    let h = json!({"alg": alg.name(), "kid": alg.name()}).to_string();
    format!(
        "{}.{}.{}",
        b64::encode(h.as_bytes()),
        claims_b64(),
        b64::encode(sig)
    )
}

fn signature_of(alg: Alg) -> (String, Vec<u8>) {
    let h = json!({"alg": alg.name(), "kid": alg.name()}).to_string();
    let input = format!("{}.{}", b64::encode(h.as_bytes()), claims_b64());
    let sig = kit().key(alg).sign(alg, input.as_bytes()).ok().unwrap();
    (input, sig)
}

#[test]
fn ecdsa_signature_encodings() {
    const N256: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63,
        0x25, 0x51,
    ];
    let (input, sig) = signature_of(Alg::ES256);
    assert!(!format!("{input}.{}", b64::encode(&sig)).is_empty());
    ok(&format!("{input}.{}", b64::encode(&sig)));
    // DER instead of r||s.
    let s = p256::ecdsa::Signature::from_slice(&sig).unwrap();
    assert_eq!(
        reason(&resign_with(Alg::ES256, s.to_der().as_bytes())),
        Reason::SignatureInvalid
    );
    // r = 0, s = 0, s = n, truncated, extended.
    let mut zero_r = sig.clone();
    zero_r[..32].fill(0);
    assert_eq!(
        reason(&resign_with(Alg::ES256, &zero_r)),
        Reason::SignatureInvalid
    );
    let mut zero_s = sig.clone();
    zero_s[32..].fill(0);
    assert_eq!(
        reason(&resign_with(Alg::ES256, &zero_s)),
        Reason::SignatureInvalid
    );
    let mut s_n = sig.clone();
    s_n[32..].copy_from_slice(&N256);
    assert_eq!(
        reason(&resign_with(Alg::ES256, &s_n)),
        Reason::SignatureInvalid
    );
    assert_eq!(
        reason(&resign_with(Alg::ES256, &sig[..63])),
        Reason::SignatureInvalid
    );
    let mut longer = vec![0u8];
    longer.extend_from_slice(&sig);
    assert_eq!(
        reason(&resign_with(Alg::ES256, &longer)),
        Reason::SignatureInvalid
    );
    // High-S (n - s) is a valid ECDSA signature; RFC 7518 does not require low-S, so it passes.
    let high = s.normalize_s().unwrap_or_else(|| {
        let neg = -*s.s();
        p256::ecdsa::Signature::from_scalars(s.r().to_bytes(), neg.to_bytes()).unwrap()
    });
    assert!(policy_with(json!({}), Value::Null).providers[0]
        .verify_jws(&resign_with(Alg::ES256, &high.to_bytes()))
        .is_ok());
}

#[test]
fn rsa_signature_length_is_exact() {
    let (input, sig) = signature_of(Alg::RS256);
    ok(&format!("{input}.{}", b64::encode(&sig)));
    let mut longer = vec![0u8];
    longer.extend_from_slice(&sig);
    assert_eq!(
        reason(&resign_with(Alg::RS256, &longer)),
        Reason::SignatureInvalid
    );
    assert_eq!(
        reason(&resign_with(Alg::RS256, &sig[1..])),
        Reason::SignatureInvalid
    );
    assert_eq!(
        reason(&resign_with(Alg::RS256, &[])),
        Reason::SignatureInvalid
    );
    assert_eq!(
        reason(&resign_with(Alg::RS256, &vec![0xff; sig.len()])),
        Reason::SignatureInvalid
    );
}

#[test]
fn ed25519_non_canonical_s_is_refused() {
    // L, the group order, little-endian. S + L verifies under the lax equation; strict refuses.
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let (input, sig) = signature_of(Alg::EdDSA);
    ok(&format!("{input}.{}", b64::encode(&sig)));
    let mut s = sig.clone();
    let mut carry = 0u16;
    for i in 0..32 {
        let v = u16::from(s[32 + i]) + u16::from(L[i]) + carry;
        s[32 + i] = (v & 0xff) as u8;
        carry = v >> 8;
    }
    assert_eq!(
        reason(&resign_with(Alg::EdDSA, &s)),
        Reason::SignatureInvalid
    );
}

#[test]
fn claim_attacks_after_a_valid_signature() {
    let k = kit();
    let with = |patch: Value| {
        let mut c = good_claims();
        for (key, v) in patch.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(key);
            } else {
                c[key] = v.clone();
            }
        }
        reason(&k.token(Alg::ES256, &c))
    };
    assert_eq!(with(json!({"exp": NOW - 61})), Reason::TokenExpired);
    assert_eq!(with(json!({"exp": null})), Reason::ClaimMissing);
    assert_eq!(
        with(json!({"exp": (NOW + 600).to_string()})),
        Reason::ClaimInvalid
    );
    assert_eq!(with(json!({"nbf": NOW + 61})), Reason::TokenNotYetValid);
    assert_eq!(with(json!({"iat": NOW + 61})), Reason::TokenIssuedInFuture);
    assert_eq!(
        with(json!({"iss": "https://evil.example"})),
        Reason::IssuerMismatch
    );
    assert_eq!(with(json!({"iss": null})), Reason::ClaimMissing);
    assert_eq!(with(json!({"aud": "other"})), Reason::AudienceMismatch);
    assert_eq!(with(json!({"aud": ["other", 1]})), Reason::ClaimInvalid);
    assert_eq!(
        with(json!({"cnf": {"jkt": "abc"}})),
        Reason::TokenBindingUnsupported
    );
}

#[test]
fn typ_confusion() {
    let h = r#"{"alg":"ES256","kid":"ES256","typ":"dpop+jwt"}"#;
    let t = kit().sign_raw(Alg::ES256, h, good_claims().to_string().as_bytes());
    assert_eq!(reason(&t), Reason::TypNotAllowed);
    let p = policy_with(json!({"typ": ["at+jwt"]}), Value::Null);
    let plain = kit().token(Alg::ES256, &good_claims());
    assert_eq!(
        p.providers[0].verify_jwt(&plain, NOW).unwrap_err().reason,
        Reason::TypNotAllowed
    );
    let at = kit().sign_raw(
        Alg::ES256,
        r#"{"alg":"ES256","kid":"ES256","typ":"application/at+JWT"}"#,
        good_claims().to_string().as_bytes(),
    );
    assert!(p.providers[0].verify_jwt(&at, NOW).is_ok());
}

#[test]
fn provider_options_cnf_session_typ_and_size() {
    let mut c = good_claims();
    c["cnf"] = json!({"jkt": "abc"});
    let bound = kit().token(Alg::ES256, &c);
    assert_eq!(reason(&bound), Reason::TokenBindingUnsupported);
    let lax = policy_with(json!({"ignore_cnf": true}), Value::Null);
    assert!(lax.providers[0].verify_jwt(&bound, NOW).is_ok());
    // The session-cookie typ is reserved: an IdP provider refuses it.
    let h = r#"{"alg":"ES256","kid":"ES256","typ":"edgeward-session+jwt"}"#;
    let t = kit().sign_raw(Alg::ES256, h, good_claims().to_string().as_bytes());
    assert_eq!(reason(&t), Reason::TypNotAllowed);
    // A larger max_token_bytes admits (and routes) larger tokens; the default refuses them.
    let mut big = good_claims();
    big["blob"] = json!("x".repeat(10_000));
    let t = kit().token(Alg::ES256, &big);
    assert_eq!(reason(&t), Reason::TokenTooLarge);
    let roomy = policy_with(json!({"max_token_bytes": 16384}), Value::Null);
    assert!(roomy.providers[0].verify_jwt(&t, NOW).is_ok());
    assert_eq!(roomy.route(&t), Ok(0));
}

#[test]
fn kid_less_tokens_try_at_most_four_keys() {
    // Five ES256 keys without kid: a kid-less token is refused rather than tried five times.
    let keys: Vec<Value> = (0..5)
        .map(|_| {
            let k = edgeward_cli::keys::SigningKey::generate(Alg::ES256)
                .ok()
                .unwrap();
            Value::Object(k.public_jwk())
        })
        .collect();
    let doc = json!({"version": 1, "providers": {"idp": {"issuer": ISS, "audiences": ["api"], "local_jwks": {"keys": keys}}},
                     "rules": [{"match": {"prefix": "/"}, "requires": {"provider_name": "idp"}}]});
    let p = edgeward::Policy::from_json(doc.to_string().as_bytes()).unwrap();
    let t = kit().sign_raw(
        Alg::ES256,
        r#"{"alg":"ES256"}"#,
        good_claims().to_string().as_bytes(),
    );
    assert_eq!(
        p.providers[0].verify_jwt(&t, NOW).unwrap_err().reason,
        Reason::KidMissing
    );
}
