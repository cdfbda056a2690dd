//! Revocation through the policy and the request decision: inline entries, a fetched signed
//! bundle (installed as hosts do), fail-closed when it is missing or stale, and which
//! providers are checked. The list format itself is tested in tests/revocation.rs.

mod common;

use common::{good_claims, kit, ISS, NOW};
use edgeward::jwa::Alg;
use edgeward::{b64, decide, Decision, Policy, Reason, Request};
use serde_json::{json, Value};

fn policy(revocation: &Value) -> Policy {
    let idp = json!({"issuer": ISS, "audiences": ["api"], "local_jwks": kit().jwks()});
    let doc = json!({"version": 1, "realm": "api",
        "providers": {"idp": idp, "other": {"issuer": "https://other.example", "audiences": ["api"],
                      "local_jwks": kit().jwks()}},
        "revocation": revocation,
        "rules": [{"match": {"prefix": "/other/"}, "requires": {"provider_name": "other"}},
                  {"match": {"prefix": "/"}, "requires": {"provider_name": "idp"}}]});
    Policy::from_json(doc.to_string().as_bytes()).expect("policy")
}

fn run(p: &Policy, path: &str, claims: &Value, now: i64) -> Decision {
    let auth = format!("Bearer {}", kit().token(Alg::ES256, claims));
    decide(
        p,
        &Request {
            method: "GET",
            path,
            headers: &[("authorization", &auth)],
            client_addr: None,
            peer_certificate: None,
            route: None,
            now,
        },
    )
}

fn claims(extra: &Value) -> Value {
    let mut c = good_claims();
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

#[test]
fn inline_entries_deny_verified_tokens() {
    let p = policy(&json!({"inline": {
        "jti": [{"iss": ISS, "jti": "stolen-1"}],
        "subjects": [{"iss": ISS, "sub": "user-9", "issued_before": NOW - 5}],
        "issuers": [{"iss": "https://other.example", "not_before": NOW - 5}]},
        "providers": ["idp"]}));
    assert!(run(&p, "/x", &claims(&json!({"jti": "fine"})), NOW).allow);
    let d = run(&p, "/x", &claims(&json!({"jti": "stolen-1"})), NOW);
    assert_eq!(
        (d.status, d.reason, d.detail),
        (401, Some(Reason::TokenRevoked), "jti")
    );
    let d = run(&p, "/x", &claims(&json!({"sub": "user-9"})), NOW);
    assert_eq!(
        (d.reason, d.detail),
        (Some(Reason::TokenRevoked), "subject")
    );
    // Issued after the cut-off: fine. Without iat under a subject entry: denied.
    assert!(
        run(
            &p,
            "/x",
            &claims(&json!({"sub": "user-9", "iat": NOW - 1})),
            NOW
        )
        .allow
    );
    let mut no_iat = claims(&json!({"sub": "user-9"}));
    no_iat.as_object_mut().unwrap().remove("iat");
    assert_eq!(
        run(&p, "/x", &no_iat, NOW).reason,
        Some(Reason::TokenRevoked)
    );
    // "other" is not in revocation.providers: its issuer epoch is not applied.
    let other = claims(&json!({"iss": "https://other.example"}));
    assert!(run(&p, "/other/x", &other, NOW).allow);
    // With every provider checked, it is.
    let all = policy(
        &json!({"inline": {"issuers": [{"iss": "https://other.example", "not_before": NOW - 5}]}}),
    );
    let d = run(&all, "/other/x", &other, NOW);
    assert_eq!(
        (d.reason, d.detail),
        (Some(Reason::TokenRevoked), "issuer_epoch")
    );
}

fn bundle(payload: &Value) -> Vec<u8> {
    let header = json!({"alg": "ES256", "kid": "ES256", "typ": "edgeward-revocations+jwt"});
    kit()
        .sign_raw(
            Alg::ES256,
            &header.to_string(),
            payload.to_string().as_bytes(),
        )
        .into_bytes()
}

#[test]
fn fetched_bundles_fail_closed_until_loaded_and_when_stale() {
    let publisher = json!({"keys": [kit().public_jwk(Alg::ES256)]});
    let p = policy(
        &json!({"remote": {"uri": "https://revocations.example/list.jws",
        "keys": publisher, "refresh_seconds": 30, "max_stale_seconds": 120}}),
    );
    let d = run(&p, "/x", &good_claims(), NOW);
    assert_eq!(
        (d.status, d.reason),
        (503, Some(Reason::RevocationUnavailable))
    );
    assert_eq!(
        d.response_headers
            .iter()
            .find(|(n, _)| n == "www-authenticate"),
        None
    );

    let list = json!({"iat": NOW - 10, "seq": 7, "jti": [{"iss": ISS, "jti": "stolen-2"}]});
    let fetched = p
        .parse_fetched_revocations(&bundle(&list), NOW)
        .expect("bundle");
    let p2 = p.with_revocations(fetched);
    assert!(run(&p2, "/x", &good_claims(), NOW).allow);
    let d = run(&p2, "/x", &claims(&json!({"jti": "stolen-2"})), NOW);
    assert_eq!(d.reason, Some(Reason::TokenRevoked));
    // Stale: the publisher has not been heard from within max_stale_seconds.
    let d = run(&p2, "/x", &good_claims(), NOW + 111);
    assert_eq!(d.reason, Some(Reason::RevocationUnavailable));
    // An older sequence number is refused (a replayed old list), a tampered one too.
    let old = json!({"iat": NOW, "seq": 6, "jti": []});
    assert!(p2.parse_fetched_revocations(&bundle(&old), NOW).is_err());
    let mut tampered = bundle(&list);
    let dot = tampered.iter().position(|b| *b == b'.').unwrap();
    tampered[dot + 3] ^= 1;
    assert!(p.parse_fetched_revocations(&tampered, NOW).is_err());
    let _ = b64::encode(b"");
}

#[test]
fn revocation_policy_errors() {
    let bad = |rev: Value, field: &str| {
        let idp = json!({"issuer": ISS, "audiences": ["api"], "local_jwks": kit().jwks()});
        let doc = json!({"version": 1, "providers": {"idp": idp}, "revocation": rev,
            "rules": [{"match": {"prefix": "/"}, "requires": {"provider_name": "idp"}}]});
        let e = Policy::from_json(doc.to_string().as_bytes()).unwrap_err();
        assert!(e.field.starts_with(field), "{field}: {e}");
    };
    bad(json!({}), "revocation");
    bad(
        json!({"inline": {"jti": [{"iss": ISS}]}}),
        "revocation.inline",
    );
    bad(
        json!({"inline": {}, "providers": ["nobody"]}),
        "revocation.providers",
    );
    bad(
        json!({"remote": {"uri": "http://example.com/x", "keys": {"keys": [kit().public_jwk(Alg::ES256)]}}}),
        "revocation.remote.uri",
    );
    bad(
        json!({"remote": {"uri": "https://example.com/x", "keys": {"keys": [kit().public_jwk(Alg::ES256)]},
        "refresh_seconds": 1}}),
        "revocation.remote.refresh_seconds",
    );
}
