//! `DPoP` (RFC 9449) through the policy and the request decision: schemes, `cnf.jkt`, proofs,
//! challenges, nonces and the replay claims hosts record; one-time `jti` rules.
//!
//! Proofs here are made with the CLI's signer; proofs from an independent implementation (jose)
//! are checked against the proof verifier in tests/dpop.rs.

#![allow(
    clippy::needless_pass_by_value,
    clippy::format_collect,
    clippy::many_single_char_names
)]

mod common;

use common::{good_claims, kit, ISS, NOW};
use edgeward::decision::{replay_rejected, Decision, ReplayKind, Request};
use edgeward::jwa::Alg;
use edgeward::jwk::{KeySet, Origin};
use edgeward::{b64, decide, Policy, Reason};
use edgeward_cli::keys::SigningKey;
use serde_json::{json, Value};
use sha2::Digest as _;

const ORIGIN: &str = "https://api.example.com";

struct Holder {
    key: SigningKey,
    jwk: Value,
    jkt: String,
}

fn holder(alg: Alg) -> Holder {
    let key = SigningKey::generate(alg).unwrap();
    let jwk = Value::Object(key.public_jwk());
    let set = KeySet::from_jwks(
        json!({"keys": [jwk]}).to_string().as_bytes(),
        edgeward::jwa::AlgSet::all(),
        Origin::Local,
    )
    .unwrap();
    let jkt = set.keys()[0].thumbprint.clone();
    Holder { key, jwk, jkt }
}

impl Holder {
    fn proof(&self, alg: Alg, claims: &Value) -> String {
        let header = json!({"typ": "dpop+jwt", "alg": alg.name(), "jwk": self.jwk});
        let input = format!(
            "{}.{}",
            b64::encode(header.to_string().as_bytes()),
            b64::encode(claims.to_string().as_bytes())
        );
        let sig = self.key.sign(alg, input.as_bytes()).unwrap();
        format!("{input}.{}", b64::encode(&sig))
    }

    fn proof_for(&self, method: &str, target: &str, token: &str, jti: &str) -> String {
        let ath = b64::encode(&sha2::Sha256::digest(token.as_bytes()));
        self.proof(
            Alg::ES256,
            &json!({"jti": jti, "htm": method, "htu": format!("{ORIGIN}{target}"),
                    "iat": NOW, "ath": ath}),
        )
    }
}

fn bound_token(jkt: Option<&str>, extra: Value) -> String {
    let mut c = good_claims();
    if let Some(j) = jkt {
        c["cnf"] = json!({"jkt": j});
    }
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    kit().token(Alg::ES256, &c)
}

fn policy(nonce: bool) -> Policy {
    let mut proof = json!({"algorithms": ["ES256", "EdDSA"]});
    if nonce {
        proof["nonce_secret_from_env"] = json!("NONCE");
    }
    let base = json!({"issuer": ISS, "audiences": ["api"], "local_jwks": kit().jwks()});
    let mut req = base.clone();
    req["dpop"] = json!("required");
    req["dpop_proof"] = proof;
    let mut opt = base.clone();
    opt["dpop"] = json!("optional");
    let doc = json!({"version": 1, "realm": "api", "public_origin": ORIGIN,
        "providers": {"req": req, "opt": opt, "plain": base},
        "rules": [
            {"match": {"prefix": "/opt/"}, "requires": {"provider_name": "opt"}},
            {"match": {"prefix": "/plain/"}, "requires": {"provider_name": "plain"}},
            {"match": {"prefix": "/once/"}, "requires": {"provider_name": "plain"}, "one_time_jti": true},
            {"match": {"prefix": "/pop-once/"}, "requires": {"provider_name": "req"}, "one_time_jti": true},
            {"match": {"prefix": "/shadow/"}, "requires": {"provider_name": "plain"}, "one_time_jti": true,
             "mode": "report"},
            {"match": {"prefix": "/"}, "requires": {"provider_name": "req"}}]});
    let secret = b64::encode(&[7u8; 32]);
    Policy::from_json_with_env(doc.to_string().as_bytes(), &|k| {
        (k == "NONCE").then(|| secret.clone())
    })
    .expect("policy")
}

fn run(p: &Policy, method: &str, target: &str, headers: &[(&str, &str)]) -> Decision {
    decide(
        p,
        &Request {
            method,
            path: target,
            headers,
            client_addr: Some("203.0.113.5"),
            peer_certificate: None,
            route: None,
            now: NOW,
        },
    )
}

fn challenges(d: &Decision) -> Vec<&str> {
    d.response_headers
        .iter()
        .filter(|(n, _)| n == "www-authenticate")
        .map(|(_, v)| v.as_str())
        .collect()
}

#[test]
fn dpop_bound_tokens_need_a_matching_proof() {
    let p = policy(false);
    let h = holder(Alg::ES256);
    let token = bound_token(Some(&h.jkt), json!({}));
    let auth = format!("DPoP {token}");
    let proof = h.proof_for("GET", "/items?x=1", &token, "p-1");
    let d = run(
        &p,
        "GET",
        "/items?x=1",
        &[("authorization", &auth), ("dpop", &proof)],
    );
    assert!(d.allow, "{d:?}");
    assert_eq!(d.replay.len(), 1);
    assert_eq!(d.replay[0].kind, ReplayKind::DpopProof);
    assert_eq!(d.replay[0].issued_at, NOW);
    assert!(d.remove_headers.contains(&"authorization".to_string()));
    assert!(
        d.remove_headers.contains(&"dpop".to_string()),
        "the proof is not forwarded"
    );

    // The host's store refused the proof's jti: the same rule and provider deny.
    let r = replay_rejected(&p, &d, ReplayKind::DpopProof);
    assert_eq!(
        (r.allow, r.status, r.reason),
        (false, 401, Some(Reason::TokenReplayed))
    );
    assert_eq!(
        challenges(&r),
        ["DPoP realm=\"api\", algs=\"ES256 EdDSA\", error=\"invalid_dpop_proof\""]
    );

    let deny = |headers: &[(&str, &str)], method: &str, reason: Reason| {
        let d = run(&p, method, "/items?x=1", headers);
        assert_eq!(
            (d.allow, d.status, d.reason),
            (false, 401, Some(reason)),
            "{d:?}"
        );
        d
    };
    // No proof; two proofs; a proof for another method, URL, token or key.
    let d = deny(&[("authorization", &auth)], "GET", Reason::DpopProofInvalid);
    assert_eq!(
        challenges(&d),
        ["DPoP realm=\"api\", algs=\"ES256 EdDSA\", error=\"invalid_dpop_proof\""]
    );
    deny(
        &[("authorization", &auth), ("dpop", &proof), ("dpop", &proof)],
        "GET",
        Reason::DpopProofInvalid,
    );
    deny(
        &[("authorization", &auth), ("dpop", &proof)],
        "POST",
        Reason::DpopProofInvalid,
    );
    let elsewhere = h.proof_for("GET", "/other", &token, "p-2");
    deny(
        &[("authorization", &auth), ("dpop", &elsewhere)],
        "GET",
        Reason::DpopProofInvalid,
    );
    let other_token = bound_token(Some(&h.jkt), json!({"sub": "user-2"}));
    let wrong_ath = h.proof_for("GET", "/items?x=1", &other_token, "p-3");
    deny(
        &[("authorization", &auth), ("dpop", &wrong_ath)],
        "GET",
        Reason::DpopProofInvalid,
    );
    let thief = holder(Alg::ES256);
    let stolen = thief.proof_for("GET", "/items?x=1", &token, "p-4");
    let d = deny(
        &[("authorization", &auth), ("dpop", &stolen)],
        "GET",
        Reason::TokenBindingMismatch,
    );
    assert_eq!(
        challenges(&d),
        ["DPoP realm=\"api\", algs=\"ES256 EdDSA\", error=\"invalid_token\""]
    );
    // The query is not part of htu (RFC 9449 4.3): a proof for the bare path holds.
    let bare = h.proof_for("GET", "/items", &token, "p-5");
    assert!(
        run(
            &p,
            "GET",
            "/items?x=1",
            &[("authorization", &auth), ("dpop", &bare)]
        )
        .allow
    );

    // A bound token as a bearer token (RFC 9449 7.2), an unbound token either way.
    deny(
        &[
            ("authorization", &format!("Bearer {token}")),
            ("dpop", &proof),
        ],
        "GET",
        Reason::TokenBindingMismatch,
    );
    let unbound = bound_token(None, json!({}));
    deny(
        &[("authorization", &format!("Bearer {unbound}"))],
        "GET",
        Reason::TokenNotBound,
    );
    let proof_u = h.proof_for("GET", "/items?x=1", &unbound, "p-6");
    deny(
        &[
            ("authorization", &format!("DPoP {unbound}")),
            ("dpop", &proof_u),
        ],
        "GET",
        Reason::TokenNotBound,
    );
    // A proof key algorithm outside the allow-list.
    let rsa = holder(Alg::RS256);
    let rs_token = bound_token(Some(&rsa.jkt), json!({}));
    let ath = b64::encode(&sha2::Sha256::digest(rs_token.as_bytes()));
    let rs_proof = rsa.proof(
        Alg::RS256,
        &json!({"jti": "r", "htm": "GET", "htu": format!("{ORIGIN}/items"), "iat": NOW, "ath": ath}),
    );
    deny(
        &[
            ("authorization", &format!("DPoP {rs_token}")),
            ("dpop", &rs_proof),
        ],
        "GET",
        Reason::DpopProofInvalid,
    );
}

#[test]
fn optional_dpop_accepts_unbound_bearer_tokens_and_challenges_with_both_schemes() {
    let p = policy(false);
    let h = holder(Alg::ES256);
    let unbound = bound_token(None, json!({}));
    assert!(
        run(
            &p,
            "GET",
            "/opt/a",
            &[("authorization", &format!("Bearer {unbound}"))]
        )
        .allow
    );
    let token = bound_token(Some(&h.jkt), json!({}));
    let proof = h.proof_for("GET", "/opt/a", &token, "o-1");
    let d = run(
        &p,
        "GET",
        "/opt/a",
        &[
            ("authorization", &format!("DPoP {token}")),
            ("dpop", &proof),
        ],
    );
    assert!(d.allow, "{d:?}");
    let d = run(
        &p,
        "GET",
        "/opt/a",
        &[("authorization", &format!("Bearer {token}"))],
    );
    assert_eq!(d.reason, Some(Reason::TokenBindingMismatch));
    let d = run(&p, "GET", "/opt/a", &[]);
    assert_eq!(d.reason, Some(Reason::TokenMissing));
    assert_eq!(
        challenges(&d),
        [
            "Bearer realm=\"api\"",
            "DPoP realm=\"api\", algs=\"RS256 PS256 ES256 ES384 EdDSA\""
        ]
    );
    let d = run(
        &p,
        "GET",
        "/opt/a",
        &[("authorization", &format!("DPoP {token}"))],
    );
    assert_eq!(d.reason, Some(Reason::DpopProofInvalid));
    assert_eq!(
        challenges(&d),
        [
            "Bearer realm=\"api\"",
            "DPoP realm=\"api\", algs=\"RS256 PS256 ES256 ES384 EdDSA\", error=\"invalid_dpop_proof\""
        ]
    );
    // A provider without dpop refuses DPoP-bound tokens (the binding would go unchecked).
    let d = run(
        &p,
        "GET",
        "/plain/a",
        &[("authorization", &format!("Bearer {token}"))],
    );
    assert_eq!(d.reason, Some(Reason::TokenBindingUnsupported));
}

#[test]
fn server_nonces() {
    let p = policy(true);
    let h = holder(Alg::ES256);
    let token = bound_token(Some(&h.jkt), json!({}));
    let auth = format!("DPoP {token}");
    let proof = h.proof_for("GET", "/n", &token, "n-1");
    let d = run(
        &p,
        "GET",
        "/n",
        &[("authorization", &auth), ("dpop", &proof)],
    );
    assert_eq!((d.status, d.reason), (401, Some(Reason::DpopNonceRequired)));
    assert_eq!(
        challenges(&d),
        ["DPoP realm=\"api\", algs=\"ES256 EdDSA\", error=\"use_dpop_nonce\""]
    );
    let nonce = d
        .response_headers
        .iter()
        .find(|(n, _)| n == "dpop-nonce")
        .map(|(_, v)| v.clone())
        .expect("a fresh nonce");
    let ath = b64::encode(&sha2::Sha256::digest(token.as_bytes()));
    let with_nonce = h.proof(
        Alg::ES256,
        &json!({"jti": "n-2", "htm": "GET", "htu": format!("{ORIGIN}/n"), "iat": NOW,
                "ath": ath, "nonce": nonce}),
    );
    let d = run(
        &p,
        "GET",
        "/n",
        &[("authorization", &auth), ("dpop", &with_nonce)],
    );
    assert!(d.allow, "{d:?}");
}

#[test]
fn one_time_tokens() {
    let p = policy(false);
    let once = bound_token(None, json!({"jti": "t-1"}));
    let d = run(
        &p,
        "GET",
        "/once/a",
        &[("authorization", &format!("Bearer {once}"))],
    );
    assert!(d.allow, "{d:?}");
    assert_eq!(d.replay.len(), 1);
    assert_eq!(d.replay[0].kind, ReplayKind::OneTimeToken);
    assert_eq!(d.replay[0].expires_at, NOW + 601);
    // Tokens without jti (or iat) cannot be used once.
    let no_jti = bound_token(None, json!({}));
    let d = run(
        &p,
        "GET",
        "/once/a",
        &[("authorization", &format!("Bearer {no_jti}"))],
    );
    assert_eq!((d.status, d.reason), (401, Some(Reason::ClaimMissing)));
    // Other rules record nothing.
    let d = run(
        &p,
        "GET",
        "/plain/a",
        &[("authorization", &format!("Bearer {once}"))],
    );
    assert!(d.allow && d.replay.is_empty());
    let r = replay_rejected(
        &p,
        &run(
            &p,
            "GET",
            "/once/a",
            &[("authorization", &format!("Bearer {once}"))],
        ),
        ReplayKind::OneTimeToken,
    );
    assert_eq!((r.status, r.reason), (401, Some(Reason::TokenReplayed)));
    assert_eq!(
        challenges(&r),
        ["Bearer realm=\"api\", error=\"invalid_token\""]
    );
    assert!(!r.reported);
    // On a report-mode rule the claim is still made, and a refused one is reported: the
    // request passes with nothing forwarded, the decision says what would have happened.
    let shadow = run(
        &p,
        "GET",
        "/shadow/a",
        &[("authorization", &format!("Bearer {once}"))],
    );
    assert!(shadow.allow && !shadow.reported, "{shadow:?}");
    assert_eq!(shadow.replay.len(), 1);
    let r = replay_rejected(&p, &shadow, ReplayKind::OneTimeToken);
    assert_eq!(
        (r.allow, r.status, r.reason, r.reported),
        (true, 200, Some(Reason::TokenReplayed), true)
    );
    assert_eq!(
        (r.rule, r.provider.as_deref()),
        (shadow.rule, Some("plain"))
    );
    assert!(r.set_headers.is_empty() && r.accepted.is_none() && r.replay.is_empty());
    assert!(challenges(&r).is_empty());
}

#[test]
fn dpop_policy_errors() {
    let bad = |provider: Value, origin: bool, field: &str| {
        let mut doc = json!({"version": 1, "providers": {"p": provider},
            "rules": [{"match": {"prefix": "/"}, "requires": {"provider_name": "p"}}]});
        if origin {
            doc["public_origin"] = json!(ORIGIN);
        }
        let e = Policy::from_json(doc.to_string().as_bytes()).unwrap_err();
        assert!(e.field.starts_with(field), "{field}: {e}");
    };
    let base = json!({"issuer": ISS, "audiences": ["api"], "local_jwks": kit().jwks()});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    bad(with("dpop", json!("required")), false, "public_origin");
    bad(with("dpop", json!("always")), true, "providers.p.dpop");
    bad(
        with("dpop_proof", json!({})),
        true,
        "providers.p.dpop_proof",
    );
    let mut b = with("dpop", json!("required"));
    b["dpop_proof"] = json!({"algorithms": ["HS256"]});
    bad(b, true, "providers.p.dpop_proof");
    let mut b = with("dpop", json!("required"));
    b["from_headers"] = json!([{"name": "x-token"}]);
    bad(b, true, "providers.p.dpop");
    let mut b = with("dpop", json!("required"));
    b["dpop_proof"] = json!({"nonce_secret_from_env": "UNSET_NONCE_VAR"});
    bad(b, true, "providers.p.dpop_proof.nonce_secret_from_env");
}

#[test]
fn token_only_verification_refuses_what_needs_the_request() {
    let p = policy(false);
    let h = holder(Alg::ES256);
    let get = |name: &str| &p.providers[p.provider_index(name).unwrap()];
    let bound = bound_token(Some(&h.jkt), json!({}));
    let unbound = bound_token(None, json!({}));
    let a = get("opt").verify_jwt(&bound, NOW).unwrap();
    assert_eq!(
        get("opt").check_standalone(&a).unwrap_err().reason,
        Reason::TokenBindingMismatch
    );
    let a = get("req").verify_jwt(&unbound, NOW).unwrap();
    assert_eq!(
        get("req").check_standalone(&a).unwrap_err().reason,
        Reason::TokenNotBound
    );
    let a = get("plain").verify_jwt(&unbound, NOW).unwrap();
    assert!(get("plain").check_standalone(&a).is_ok());
}

fn run_cached(p: &Policy, headers: &[(&str, &str)], cache: &mut edgeward::TokenCache) -> Decision {
    let req = Request {
        method: "GET",
        path: "/items",
        headers,
        client_addr: None,
        peer_certificate: None,
        route: None,
        now: NOW,
    };
    edgeward::decide_with_cache(p, &req, Some(cache))
}

#[test]
fn proof_keys_are_loaded_once_per_cache() {
    let p = policy(false);
    let h = holder(Alg::ES256);
    let token = bound_token(Some(&h.jkt), json!({}));
    let auth = format!("DPoP {token}");
    let mut cache = edgeward::TokenCache::new(p.token_cache);
    for i in 0..3 {
        let proof = h.proof_for("GET", "/items", &token, &format!("c-{i}"));
        let d = run_cached(
            &p,
            &[("authorization", &auth), ("dpop", &proof)],
            &mut cache,
        );
        assert!(d.allow, "{d:?}");
    }
    assert_eq!(cache.proof_keys.len(), 1);
    // A proof from another key with the same cache: checked against its own key.
    let thief = holder(Alg::ES256);
    let stolen = thief.proof_for("GET", "/items", &token, "c-9");
    let d = run_cached(
        &p,
        &[("authorization", &auth), ("dpop", &stolen)],
        &mut cache,
    );
    assert_eq!(d.reason, Some(Reason::TokenBindingMismatch));
    assert_eq!(cache.proof_keys.len(), 2);
}

#[test]
fn session_cookies_bound_to_the_dpop_key() {
    let secret = b64::encode(&[9u8; 32]);
    let doc = json!({"version": 1, "realm": "api", "public_origin": ORIGIN,
        "providers": {"session": {"kind": "session_cookie", "issuer": "https://edge.example/s",
            "audiences": ["app"], "secrets_from_env": [{"env": "S", "alg": "HS256", "kid": "s1"}],
            "session": {"bind_dpop_key": true}}},
        "rules": [{"match": {"prefix": "/"}, "requires": {"provider_name": "session"}}]});
    let p = Policy::from_json_with_env(doc.to_string().as_bytes(), &|k| {
        (k == "S").then(|| secret.clone())
    })
    .expect("policy");
    let h = holder(Alg::ES256);
    let mut idp = good_claims();
    idp["cnf"] = json!({"jkt": h.jkt});
    let idp =
        edgeward::json::parse(idp.to_string().as_bytes(), &edgeward::json::Limits::CLAIMS).unwrap();
    let m = edgeward::credential::mint(&p.providers[0], &idp, NOW, None).unwrap();
    let cookie = format!("__Host-edgeward-session={}", m.value);
    let proof = h.proof_for("GET", "/app", &m.value, "s-1");
    let d = run(&p, "GET", "/app", &[("cookie", &cookie), ("dpop", &proof)]);
    assert!(d.allow, "{d:?}");
    assert_eq!(d.replay.len(), 1, "the proof's jti is recorded");
    let d = run(&p, "GET", "/app", &[("cookie", &cookie)]);
    assert_eq!(
        d.reason,
        Some(Reason::DpopProofInvalid),
        "a stolen cookie alone is useless"
    );
    let thief = holder(Alg::ES256);
    let stolen = thief.proof_for("GET", "/app", &m.value, "s-2");
    let d = run(&p, "GET", "/app", &[("cookie", &cookie), ("dpop", &stolen)]);
    assert_eq!(d.reason, Some(Reason::TokenBindingMismatch));
    let c = challenges(&d);
    assert!(
        c.len() == 1
            && c[0].starts_with("DPoP ")
            && c[0].ends_with(", error=\"invalid_dpop_proof\""),
        "a proof by another key than the cookie's is an unusable proof: {c:?}"
    );
    // Minting needs a DPoP-bound token.
    let unbound = edgeward::json::parse(
        good_claims().to_string().as_bytes(),
        &edgeward::json::Limits::CLAIMS,
    )
    .unwrap();
    let r = edgeward::credential::mint(&p.providers[0], &unbound, NOW, None).unwrap_err();
    assert_eq!(r.reason, Reason::TokenNotBound);
    // Only the DPoP key carries over: a token also bound to a certificate is not minted from.
    let mut both = good_claims();
    both["cnf"] = json!({"jkt": h.jkt, "x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"});
    let both = edgeward::json::parse(both.to_string().as_bytes(), &edgeward::json::Limits::CLAIMS)
        .unwrap();
    let r = edgeward::credential::mint(&p.providers[0], &both, NOW, None).unwrap_err();
    assert_eq!(r.reason, Reason::TokenBindingUnsupported);
}

#[test]
fn a_refused_claim_names_its_own_fault() {
    // A DPoP-bound one-time token: the proof's claim comes first (so a replayed proof is
    // refused before the token is used up), and each refusal has its own challenge error.
    let p = policy(false);
    let h = holder(Alg::ES256);
    let token = bound_token(Some(&h.jkt), json!({"jti": "once-pop-1", "iat": NOW - 10}));
    let auth = format!("DPoP {token}");
    let proof = h.proof_for("GET", "/pop-once/a", &token, "p-once-1");
    let d = run(
        &p,
        "GET",
        "/pop-once/a",
        &[("authorization", &auth), ("dpop", &proof)],
    );
    assert!(d.allow, "{d:?}");
    let kinds: Vec<ReplayKind> = d.replay.iter().map(|c| c.kind).collect();
    assert_eq!(kinds, [ReplayKind::DpopProof, ReplayKind::OneTimeToken]);
    let proof_replayed = replay_rejected(&p, &d, ReplayKind::DpopProof);
    assert_eq!(
        challenges(&proof_replayed),
        ["DPoP realm=\"api\", algs=\"ES256 EdDSA\", error=\"invalid_dpop_proof\""]
    );
    // record_replays asks the store in that order and stops at the first refusal.
    let mut asked = Vec::new();
    let r = edgeward::decision::record_replays(&p, d.clone(), |c| {
        asked.push(c.kind);
        c.kind != ReplayKind::DpopProof
    });
    assert_eq!(
        asked,
        [ReplayKind::DpopProof],
        "a refused proof uses up no token"
    );
    assert_eq!(challenges(&r), challenges(&proof_replayed));
    let r =
        edgeward::decision::record_replays(&p, d.clone(), |c| c.kind != ReplayKind::OneTimeToken);
    assert_eq!((r.allow, r.reason), (false, Some(Reason::TokenReplayed)));
    assert!(edgeward::decision::record_replays(&p, d.clone(), |_| true).allow);
    let token_replayed = replay_rejected(&p, &d, ReplayKind::OneTimeToken);
    assert_eq!(token_replayed.reason, Some(Reason::TokenReplayed));
    assert_eq!(
        challenges(&token_replayed),
        ["DPoP realm=\"api\", algs=\"ES256 EdDSA\", error=\"invalid_token\""]
    );
}
