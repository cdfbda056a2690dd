//! The verified-token cache: only "signature verified + claims" is cached; every hit re-checks
//! time and claims; entries never outlive exp; key rotation and policy changes miss.

mod common;

use common::{good_claims, kit, policy_json, policy_with, NOW};
use edgeward::cache::{CacheLimits, TokenCache};
use edgeward::jwa::Alg;
use edgeward::{decide_with_cache, Policy, Reason, Request};
use serde_json::{json, Value};

fn run(p: &Policy, cache: &mut TokenCache, token: &str, now: i64) -> (bool, Option<Reason>) {
    let auth = format!("Bearer {token}");
    let headers = [("authorization", auth.as_str())];
    let req = Request {
        method: "GET",
        path: "/",
        headers: &headers,
        client_addr: None,
        peer_certificate: None,
        route: None,
        now,
    };
    let d = decide_with_cache(p, &req, Some(cache));
    (d.allow, d.reason)
}

#[test]
fn repeated_tokens_hit_and_claims_are_rechecked() {
    let p = policy_with(json!({}), Value::Null);
    let mut cache = TokenCache::new(CacheLimits::default());
    let mut c = good_claims();
    c["nbf"] = json!(NOW);
    let t = kit().token(Alg::RS256, &c);
    assert_eq!(run(&p, &mut cache, &t, NOW), (true, None));
    assert_eq!((cache.hits, cache.misses, cache.len()), (0, 1, 1));
    assert_eq!(run(&p, &mut cache, &t, NOW + 1), (true, None));
    assert_eq!(cache.hits, 1);
    // Before nbf (beyond skew): the cached signature does not make it valid.
    assert_eq!(
        run(&p, &mut cache, &t, NOW - 120),
        (false, Some(Reason::TokenNotYetValid))
    );
}

#[test]
fn a_hit_after_exp_denies() {
    let p = policy_with(json!({"clock_skew_seconds": 0}), Value::Null);
    let mut cache = TokenCache::new(CacheLimits::default());
    let mut c = good_claims();
    c["exp"] = json!(NOW + 10);
    let t = kit().token(Alg::ES256, &c);
    assert_eq!(run(&p, &mut cache, &t, NOW), (true, None));
    assert_eq!(run(&p, &mut cache, &t, NOW + 9), (true, None));
    assert_eq!(cache.hits, 1);
    assert_eq!(
        run(&p, &mut cache, &t, NOW + 10),
        (false, Some(Reason::TokenExpired))
    );
    assert!(cache.is_empty(), "expired entry dropped");
}

#[test]
fn key_rotation_that_removes_the_key_denies() {
    let mut cache = TokenCache::new(CacheLimits::default());
    let t = kit().token(Alg::EdDSA, &good_claims());
    let with =
        Policy::from_json(policy_json(json!({}), Value::Null).to_string().as_bytes()).unwrap();
    assert_eq!(run(&with, &mut cache, &t, NOW), (true, None));
    let mut rotated = policy_json(json!({}), Value::Null);
    let keys: Vec<Value> = Alg::ALL
        .iter()
        .filter(|a| **a != Alg::EdDSA)
        .map(|a| kit().public_jwk(*a))
        .collect();
    rotated["providers"]["idp"]["local_jwks"] = json!({"keys": keys});
    let rotated = Policy::from_json(rotated.to_string().as_bytes()).unwrap();
    assert_eq!(
        run(&rotated, &mut cache, &t, NOW),
        (false, Some(Reason::KeyNotFound))
    );
    // Even under the same policy generation, a different key set misses the cache.
    let gen = 42;
    assert!(with.providers[0]
        .verify_jwt_cached(&t, NOW, gen, &mut cache)
        .is_ok());
    let hits = cache.hits;
    let r = rotated.providers[0].verify_jwt_cached(&t, NOW, gen, &mut cache);
    assert_eq!(r.unwrap_err().reason, Reason::KeyNotFound);
    assert_eq!(cache.hits, hits);
}

#[test]
fn audience_and_rules_are_rechecked_on_hits() {
    let mut cache = TokenCache::new(CacheLimits::default());
    let t = kit().token(Alg::ES256, &good_claims());
    let gen = 7;
    let a = policy_with(json!({}), Value::Null);
    assert!(a.providers[0]
        .verify_jwt_cached(&t, NOW, gen, &mut cache)
        .is_ok());
    // Same provider name and keys, stricter expectations: the hit is re-checked.
    let b = policy_with(json!({"audiences": ["other"]}), Value::Null);
    let r = b.providers[0].verify_jwt_cached(&t, NOW, gen, &mut cache);
    assert_eq!(r.unwrap_err().reason, Reason::AudienceMismatch);
    assert_eq!(cache.hits, 1);
}

#[test]
fn bounded_in_entries_and_bytes_and_no_exp_is_not_cached() {
    let p = policy_with(json!({}), Value::Null);
    let mut cache = TokenCache::new(CacheLimits {
        max_entries: 3,
        max_bytes: 1 << 20,
    });
    for i in 0..10 {
        let mut c = good_claims();
        c["jti"] = json!(i);
        let t = kit().token(Alg::HS256, &c);
        assert!(run(&p, &mut cache, &t, NOW).0);
        assert!(cache.len() <= 3);
    }
    let mut small = TokenCache::new(CacheLimits {
        max_entries: 100,
        max_bytes: 2000,
    });
    for i in 0..10 {
        let mut c = good_claims();
        c["jti"] = json!(i);
        assert!(run(&p, &mut small, &kit().token(Alg::HS256, &c), NOW).0);
        assert!(small.bytes() <= 2000, "{}", small.bytes());
    }
    let lax = policy_with(json!({"require_expiration": false}), Value::Null);
    let mut c = good_claims();
    c.as_object_mut().unwrap().remove("exp");
    let mut cache = TokenCache::new(CacheLimits::default());
    assert!(run(&lax, &mut cache, &kit().token(Alg::HS256, &c), NOW).0);
    assert!(cache.is_empty());
}

#[test]
fn a_hit_never_outlives_an_unavailable_key_set() {
    let p = policy_with(json!({}), Value::Null);
    let mut cache = TokenCache::new(CacheLimits::default());
    let t = kit().token(Alg::ES256, &good_claims());
    assert!(p.providers[0]
        .verify_jwt_cached(&t, NOW, 1, &mut cache)
        .is_ok());
    let gone = p.with_keys(0, None);
    let r = gone.providers[0].verify_jwt_cached(&t, NOW, 1, &mut cache);
    assert_eq!(r.unwrap_err().reason, Reason::JwksUnavailable);
    assert_eq!(cache.hits, 1, "it was a hit, and still refused");
}
