//! `DPoP` proofs (RFC 9449): the RFC's own examples, proofs signed here with keys drawn at run
//! time for every asymmetric algorithm, and, when `EDGEWARD_DPOP_VECTORS` names a file written
//! by `tests/interop/gen_dpop.mjs` (npm `jose`, run by the interop-fresh stage of
//! scripts/test.sh), proofs from an independent implementation with the expected outcome of each.

mod common;

use common::kit;
use edgeward::b64;
use edgeward::dpop::{
    access_token_hash, check_binding, normalize_htu, verify_proof, verify_proof_cached, DpopConfig,
    DpopError, NonceKey, ProofKeyCache, ASYMMETRIC,
};
use edgeward::jwa::{Alg, AlgSet};
use edgeward::jwk::{parse_jwk, Origin};
use edgeward::replay::{replay_key, ReplayCache};
use serde_json::{json, Value};

const NOW: i64 = 1_800_000_000;
const URL: &str = "https://api.example/things/1";

fn rfc_examples() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/rfc9449/examples.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn rfc9449_examples_verify() {
    let doc = rfc_examples();
    let thumbprint = doc["jwk_thumbprint"].as_str().unwrap();
    let cfg = DpopConfig::default();
    let proofs = doc["proofs"].as_array().unwrap();
    assert_eq!(proofs.len(), 3);
    for v in proofs {
        let proof = v["proof"].as_str().unwrap();
        let htm = v["htm"].as_str().unwrap();
        let htu = v["htu"].as_str().unwrap();
        let iat = v["iat"].as_i64().unwrap();
        let token = v["access_token"].as_str();
        let got = verify_proof(proof, htm, htu, token, iat, &cfg)
            .unwrap_or_else(|e| panic!("{}: {e}", v["source"]));
        assert_eq!(got.jkt, thumbprint, "{}", v["source"]);
        assert_eq!(got.jti, v["jti"].as_str().unwrap());
        assert_eq!(got.iat, iat);
        assert_eq!(check_binding(thumbprint, &got), Ok(()));
        if let Some(t) = token {
            assert_eq!(access_token_hash(t), v["ath"].as_str().unwrap());
            assert_eq!(
                verify_proof(proof, htm, htu, Some("another token"), iat, &cfg),
                Err(DpopError::ProofAth)
            );
        }
        // The same proof, judged later, or for another request.
        assert_eq!(
            verify_proof(proof, htm, htu, token, iat + 301, &cfg),
            Err(DpopError::ProofIat)
        );
        assert_eq!(
            verify_proof(proof, htm, htu, token, iat - 6, &cfg),
            Err(DpopError::ProofIat)
        );
        assert_eq!(
            verify_proof(proof, "PUT", htu, token, iat, &cfg),
            Err(DpopError::ProofHtm)
        );
        assert_eq!(
            verify_proof(
                proof,
                htm,
                "https://server.example.com/other",
                token,
                iat,
                &cfg
            ),
            Err(DpopError::ProofHtu)
        );
        // The request URL with a query, in another case, with the default port: still a match.
        let variant = htu
            .replacen("https://", "HTTPS://", 1)
            .replacen(".com/", ".com:443/", 1);
        assert!(verify_proof(proof, htm, &format!("{variant}?x=1"), token, iat, &cfg).is_ok());
        // Only ES256 allowed elsewhere: refused.
        let rsa_only = DpopConfig {
            algorithms: AlgSet::one(Alg::RS256),
            ..DpopConfig::default()
        };
        assert_eq!(
            verify_proof(proof, htm, htu, token, iat, &rsa_only),
            Err(DpopError::ProofAlg)
        );
        // The thumbprint of the RFC's `jwk`, computed from the key alone.
        let key = parse_jwk(
            &edgeward::json::parse(
                doc["jwk"].to_string().as_bytes(),
                &edgeward::json::Limits::HEADER,
            )
            .unwrap(),
            AlgSet::all(),
            Origin::Fetched,
        )
        .unwrap();
        assert_eq!(key.thumbprint, thumbprint);
    }
}

#[test]
fn every_single_byte_change_of_an_rfc_proof_is_refused() {
    let doc = rfc_examples();
    let v = &doc["proofs"][2];
    let proof = v["proof"].as_str().unwrap();
    let (htu, iat, token) = (
        v["htu"].as_str().unwrap(),
        v["iat"].as_i64().unwrap(),
        v["access_token"].as_str(),
    );
    let cfg = DpopConfig::default();
    let bytes = proof.as_bytes();
    let mut refused = 0;
    for i in 0..bytes.len() {
        for replacement in [b'A', b'-', b'.'] {
            if bytes[i] == replacement {
                continue;
            }
            let mut b = bytes.to_vec();
            b[i] = replacement;
            let s = String::from_utf8(b).unwrap();
            assert!(
                verify_proof(&s, "GET", htu, token, iat, &cfg).is_err(),
                "byte {i} -> {}",
                char::from(replacement)
            );
            refused += 1;
        }
    }
    assert!(refused > 3 * bytes.len() - 100);
}

/// A proof signed with the kit's `alg` key; `header` and `claims` are merged over the defaults.
fn make(alg: Alg, header: &Value, claims: &Value) -> String {
    let key = kit().key(alg);
    let mut h =
        json!({"typ": "dpop+jwt", "alg": alg.name(), "jwk": Value::Object(key.public_jwk())});
    for (k, v) in header.as_object().unwrap() {
        if v.is_null() {
            h.as_object_mut().unwrap().remove(k);
        } else {
            h[k] = v.clone();
        }
    }
    let mut c = json!({"jti": "jti-1", "htm": "GET", "htu": URL, "iat": NOW});
    for (k, v) in claims.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    kit().sign_raw(alg, &h.to_string(), c.to_string().as_bytes())
}

fn thumbprint(alg: Alg) -> String {
    let jwk = Value::Object(kit().key(alg).public_jwk()).to_string();
    let v = edgeward::json::parse(jwk.as_bytes(), &edgeward::json::Limits::JWKS).unwrap();
    parse_jwk(&v, AlgSet::all(), Origin::Fetched)
        .unwrap()
        .thumbprint
}

#[test]
fn every_asymmetric_algorithm_with_keys_drawn_now() {
    let cfg = DpopConfig {
        algorithms: ASYMMETRIC,
        ..DpopConfig::default()
    };
    let none = json!({});
    let mut keys = ProofKeyCache::new(4);
    for alg in ASYMMETRIC.iter() {
        let p = make(alg, &none, &none);
        let got = verify_proof(&p, "GET", URL, None, NOW, &cfg)
            .unwrap_or_else(|e| panic!("{}: {e}", alg.name()));
        // Through a key cache, loaded then found: the same result.
        for _ in 0..2 {
            assert_eq!(
                verify_proof_cached(&p, "GET", URL, None, NOW, &cfg, &mut keys).as_ref(),
                Ok(&got)
            );
        }
        assert!(keys.len() <= 4);
        assert_eq!(got.jkt, thumbprint(alg), "{}", alg.name());
        assert_eq!(check_binding(&thumbprint(alg), &got), Ok(()));
        // Another algorithm's key thumbprint does not bind.
        let other = if alg == Alg::EdDSA {
            Alg::ES256
        } else {
            Alg::EdDSA
        };
        assert_eq!(
            check_binding(&thumbprint(other), &got),
            Err(DpopError::BindingMismatch)
        );
        // The default allow-list: ES256 ES384 PS256 RS256 EdDSA.
        let default = verify_proof(&p, "GET", URL, None, NOW, &DpopConfig::default());
        assert_eq!(
            default.is_ok(),
            DpopConfig::DEFAULT_ALGORITHMS.contains(alg),
            "{}",
            alg.name()
        );
    }
    // HS256 signed with its secret, its key in the header: refused whatever the config says.
    for alg in [Alg::HS256, Alg::HS384, Alg::HS512] {
        let p = make(alg, &none, &none);
        let all = DpopConfig {
            algorithms: AlgSet::all(),
            ..DpopConfig::default()
        };
        assert!(all.validate().is_err());
        assert_eq!(
            verify_proof(&p, "GET", URL, None, NOW, &all),
            Err(DpopError::ProofAlg)
        );
    }
}

#[test]
fn keys_the_proof_must_not_carry() {
    let none = json!({});
    let cfg = DpopConfig::default();
    let check = |p: &str| verify_proof(p, "GET", URL, None, NOW, &cfg);
    // Private members, one at a time, on each key type.
    for alg in [Alg::ES256, Alg::RS256, Alg::EdDSA] {
        let private = kit().key(alg).private_jwk();
        for member in ["d", "p", "q"] {
            let Some(v) = private.get(member) else {
                continue;
            };
            let mut jwk = kit().key(alg).public_jwk();
            jwk.insert(member.into(), v.clone());
            let p = make(alg, &json!({"jwk": jwk}), &none);
            assert_eq!(
                check(&p),
                Err(DpopError::ProofKey),
                "{} {member}",
                alg.name()
            );
        }
        for member in ["dp", "dq", "qi", "oth", "k"] {
            let mut jwk = kit().key(alg).public_jwk();
            jwk.insert(member.into(), json!("AQAB"));
            let p = make(alg, &json!({"jwk": jwk}), &none);
            assert_eq!(
                check(&p),
                Err(DpopError::ProofKey),
                "{} {member}",
                alg.name()
            );
        }
    }
    // A key of one family for another algorithm; a symmetric key; a `jwk` `alg` that differs.
    let rsa_jwk = Value::Object(kit().key(Alg::RS256).public_jwk());
    assert_eq!(
        check(&make(Alg::ES256, &json!({"jwk": rsa_jwk}), &none)),
        Err(DpopError::ProofKey)
    );
    let mut ps_bound = kit().key(Alg::RS256).public_jwk();
    ps_bound.insert("alg".into(), json!("PS256"));
    assert_eq!(
        check(&make(Alg::RS256, &json!({"jwk": ps_bound}), &none)),
        Err(DpopError::ProofKey)
    );
    assert_eq!(
        check(&make(
            Alg::ES256,
            &json!({"jwk": {"kty": "oct", "k": b64::encode(&[1u8; 32])}}),
            &none
        )),
        Err(DpopError::ProofKey)
    );
    // Key-choice headers: x5c / jku / x5u refused, kid ignored.
    for (name, value) in [
        ("x5c", json!(["MIIB"])),
        ("jku", json!("https://keys.example/")),
        ("x5u", json!("https://keys.example/c.pem")),
    ] {
        let p = make(Alg::ES256, &json!({ name: value }), &none);
        assert_eq!(check(&p), Err(DpopError::ProofKey), "{name}");
    }
    assert!(check(&make(Alg::ES256, &json!({"kid": "k1"}), &none)).is_ok());
    // A proof whose `jwk` is another key than the one that signed.
    let p = make(
        Alg::ES256,
        &json!({"jwk": Value::Object(kit().key(Alg::EdDSA).public_jwk())}),
        &none,
    );
    assert_eq!(check(&p), Err(DpopError::ProofKey));
}

#[test]
fn a_replay_cache_sees_the_second_use_of_a_proof() {
    let cfg = DpopConfig::default();
    let p = make(Alg::ES256, &json!({}), &json!({"jti": "once"}));
    let mut cache = ReplayCache::new(1000, cfg.max_age_seconds + cfg.max_future_seconds);
    let mut use_once = |now: i64| -> Result<(), DpopError> {
        let proof = verify_proof(&p, "GET", URL, None, now, &cfg)?;
        let expires = proof.iat + cfg.max_age_seconds + 1;
        cache
            .insert_if_absent(replay_key(&proof.jkt, &proof.jti), expires, now)
            .map_err(|_| DpopError::Replayed)
    };
    assert_eq!(use_once(NOW), Ok(()));
    assert_eq!(use_once(NOW + 1), Err(DpopError::Replayed));
    assert_eq!(use_once(NOW + 300), Err(DpopError::Replayed));
    assert_eq!(use_once(NOW + 301), Err(DpopError::ProofIat));
}

#[test]
fn nonce_round_trip_through_a_proof() {
    let key = NonceKey::new(&[7u8; 32], 60).unwrap();
    let cfg = DpopConfig {
        nonce: Some(key.clone()),
        ..DpopConfig::default()
    };
    let nonce = key.issue(NOW);
    let p = make(Alg::EdDSA, &json!({}), &json!({"nonce": nonce}));
    assert!(verify_proof(&p, "GET", URL, None, NOW, &cfg).is_ok());
    let without = make(Alg::EdDSA, &json!({}), &json!({}));
    assert_eq!(
        verify_proof(&without, "GET", URL, None, NOW, &cfg),
        Err(DpopError::UseNonce)
    );
    assert_eq!(DpopError::UseNonce.oauth_error(), "use_dpop_nonce");
}

#[test]
fn htu_normalisation_agrees_on_both_sides() {
    // Pairs that must compare equal, and pairs that must not.
    let same = [
        (
            "https://api.example/a/b",
            "HTTPS://API.EXAMPLE:443/a/./b?x#y",
        ),
        ("http://api.example/", "http://api.example:80"),
        ("https://api.example/~x", "https://api.example/%7Ex"),
        ("https://api.example/%C3%A9", "https://api.example/%c3%a9"),
        ("https://api.example/a", "https://api.example/b/../a"),
    ];
    for (a, b) in same {
        assert_eq!(normalize_htu(a), normalize_htu(b), "{a} {b}");
        assert!(normalize_htu(a).is_some());
    }
    let different = [
        ("https://api.example/a", "http://api.example/a"),
        ("https://api.example/a", "https://api.example:8443/a"),
        ("https://api.example/a", "https://api.example/A"),
        ("https://api.example/a/b", "https://api.example/a%2Fb"),
        ("https://api.example/a//b", "https://api.example/a/b"),
        ("https://api.example/a", "https://api.example/a/"),
    ];
    for (a, b) in different {
        assert_ne!(normalize_htu(a), normalize_htu(b), "{a} {b}");
    }
}

#[test]
fn freshly_generated_jose_proofs() {
    let Ok(path) = std::env::var("EDGEWARD_DPOP_VECTORS") else {
        eprintln!(
            "EDGEWARD_DPOP_VECTORS not set: skipping the jose proofs (scripts/test.sh stage \
             interop-fresh runs them)"
        );
        return;
    };
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(doc["generator"].as_str().unwrap().starts_with("jose "));
    let now = doc["now"].as_i64().unwrap();
    let secret = b64::decode(doc["nonce"]["secret"].as_str().unwrap()).unwrap();
    let slot = doc["nonce"]["slot_seconds"].as_i64().unwrap();
    let nonce_key = NonceKey::new(&secret, slot).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let cfg = DpopConfig {
            nonce: c["nonce_required"]
                .as_bool()
                .unwrap()
                .then(|| nonce_key.clone()),
            ..DpopConfig::default()
        };
        let got = verify_proof(
            c["proof"].as_str().unwrap(),
            c["method"].as_str().unwrap(),
            c["url"].as_str().unwrap(),
            c["access_token"].as_str(),
            now,
            &cfg,
        );
        let expect = c["expect"].as_str().unwrap();
        match &got {
            Ok(p) => {
                assert_eq!(expect, "ok", "{name}: accepted");
                assert_eq!(p.jkt, c["jkt"].as_str().unwrap(), "{name}: thumbprint");
            }
            Err(e) => assert_eq!(e.code(), expect, "{name}"),
        }
        *counts.entry(expect.to_string()).or_default() += 1;
    }
    // Every proof-level outcome the generator covers appears.
    for code in [
        "ok",
        "proof_htm",
        "proof_htu",
        "proof_iat",
        "proof_jti",
        "proof_ath",
        "use_nonce",
        "proof_typ",
        "proof_key",
        "proof_alg",
        "proof_signature",
        "proof_malformed",
    ] {
        assert!(counts.contains_key(code), "no {code} case");
    }
    eprintln!("jose DPoP proofs: {counts:?}");
    // The nonce format is the same on both sides: jose's generator wrote it independently.
    assert!(nonce_key.check(&nonce_key.issue(now), now));
}
