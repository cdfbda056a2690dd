//! The request-level decision: sources, ambiguity, rules, requirement trees, statuses,
//! challenges and header edits — what every host will do identically.

mod common;

use common::{good_claims, kit, policy_json, policy_with, ISS, NOW};
use edgeward::jwa::Alg;
use edgeward::{decide, Decision, Policy, Reason, Request};
use serde_json::{json, Value};

fn run(policy: &Policy, method: &str, path: &str, headers: &[(&str, &str)]) -> Decision {
    decide(
        policy,
        &Request {
            method,
            path,
            headers,
            client_addr: Some("127.0.0.1"),
            peer_certificate: None,
            route: None,
            now: NOW,
        },
    )
}

fn header<'a>(d: &'a Decision, name: &str) -> Option<&'a str> {
    d.response_headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn set<'a>(d: &'a Decision, name: &str) -> Option<&'a str> {
    d.set_headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn bearer(t: &str) -> String {
    format!("Bearer {t}")
}

#[test]
fn statuses_challenges_and_bodies() {
    let p = policy_with(json!({"required_scopes": ["admin"]}), Value::Null);
    let d = run(&p, "GET", "/x", &[]);
    assert_eq!(
        (d.allow, d.status, d.reason),
        (false, 401, Some(Reason::TokenMissing))
    );
    assert_eq!(header(&d, "www-authenticate"), Some("Bearer realm=\"api\""));
    assert_eq!(header(&d, "cache-control"), Some("no-store"));
    assert_eq!(d.body, "token_missing");

    let d = run(&p, "GET", "/x", &[("authorization", "Bearer not.a.token")]);
    assert_eq!((d.status, d.reason), (401, Some(Reason::TokenMalformed)));
    assert_eq!(
        header(&d, "www-authenticate"),
        Some("Bearer realm=\"api\", error=\"invalid_token\"")
    );

    let t = kit().token(Alg::ES256, &good_claims());
    let d = run(&p, "GET", "/x", &[("Authorization", &bearer(&t))]);
    assert_eq!((d.status, d.reason), (403, Some(Reason::ScopeInsufficient)));
    assert_eq!(
        header(&d, "www-authenticate"),
        Some("Bearer realm=\"api\", error=\"insufficient_scope\"")
    );
    assert_eq!(header(&d, "cache-control"), Some("no-store"));

    let mut c = good_claims();
    c["aud"] = json!("other");
    let d = run(
        &policy_with(json!({}), Value::Null),
        "GET",
        "/",
        &[("authorization", &bearer(&kit().token(Alg::ES256, &c)))],
    );
    assert_eq!((d.status, d.reason), (403, Some(Reason::AudienceMismatch)));
}

#[test]
fn bearer_scheme_is_case_insensitive_and_other_schemes_are_not_tokens() {
    let p = policy_with(json!({}), Value::Null);
    let t = kit().token(Alg::HS256, &good_claims());
    for h in [
        format!("Bearer {t}"),
        format!("bearer {t}"),
        format!("BEARER   {t}"),
    ] {
        assert!(run(&p, "GET", "/", &[("authorization", &h)]).allow, "{h}");
    }
    let d = run(&p, "GET", "/", &[("authorization", "Basic dXNlcjpwYXNz")]);
    assert_eq!(d.reason, Some(Reason::TokenMissing));
}

#[test]
fn more_than_one_credential_is_400() {
    let p = policy_with(
        json!({"from_headers": [{"name": "authorization", "value_prefix": "Bearer "}], "from_cookies": ["at"], "from_params": ["access_token"]}),
        Value::Null,
    );
    let t = kit().token(Alg::ES256, &good_claims());
    let b = bearer(&t);
    let cookie = format!("a=1; at={t}");
    let path = format!("/x?access_token={t}");
    let joined = format!("{b},{b}");
    let junk = format!("{b}, extra");
    for (path, headers) in [
        (
            "/x",
            vec![("authorization", b.as_str()), ("authorization", b.as_str())],
        ),
        (
            "/x",
            vec![("authorization", b.as_str()), ("cookie", cookie.as_str())],
        ),
        (path.as_str(), vec![("authorization", b.as_str())]),
        (
            "/x",
            vec![("cookie", cookie.as_str()), ("cookie", cookie.as_str())],
        ),
        // Repeated headers joined by a proxy (Envoy joins Authorization), or sent joined.
        ("/x", vec![("authorization", joined.as_str())]),
        ("/x", vec![("authorization", junk.as_str())]),
    ] {
        let d = run(&p, "GET", path, &headers);
        assert_eq!(
            (d.status, d.reason),
            (400, Some(Reason::TokenAmbiguous)),
            "{headers:?}"
        );
        assert_eq!(
            header(&d, "www-authenticate"),
            Some("Bearer realm=\"api\", error=\"invalid_request\"")
        );
    }
    // Each source alone works.
    assert!(run(&p, "GET", "/x", &[("cookie", &cookie)]).allow);
    assert!(run(&p, "GET", &path, &[]).allow);
    let quoted = format!("at=\"{t}\"");
    assert!(run(&p, "GET", "/x", &[("cookie", &quoted)]).allow);
}

#[test]
fn rules_match_the_normalised_path() {
    let rules = json!([
        {"match": {"prefix": "/public/"}, "requires": {"allow_missing": {}}},
        {"match": {"path": "/health", "methods": ["GET"]}, "requires": {"allow_missing_or_failed": {}}},
        {"match": {"prefix": "/"}, "requires": {"provider_name": "idp"}}
    ]);
    let p = policy_with(json!({}), rules);
    assert!(run(&p, "GET", "/public/a", &[]).allow);
    assert!(run(&p, "GET", "/health", &[]).allow);
    // Method restriction: POST /health falls to the catch-all.
    assert_eq!(
        run(&p, "POST", "/health", &[]).reason,
        Some(Reason::TokenMissing)
    );
    // Traversal out of /public/ is judged as the path it reaches.
    for sneaky in [
        "/public//../../admin",
        "/public/../admin",
        "/public/%2e%2e/admin",
        "/public/./../admin",
        "//public/../admin",
    ] {
        let d = run(&p, "GET", sneaky, &[]);
        assert_eq!(
            (d.status, d.reason, d.rule),
            (401, Some(Reason::TokenMissing), Some(2)),
            "{sneaky}"
        );
    }
    // Merged slashes still match the public rule.
    assert!(run(&p, "GET", "//public//a", &[]).allow);
    for bad in [
        "/public%2f..%2fadmin",
        "/public/..%5cadmin",
        "/a%00",
        "/../admin",
        "/a\\b",
    ] {
        let d = run(&p, "GET", bad, &[]);
        assert_eq!(
            (d.status, d.reason),
            (400, Some(Reason::PathInvalid)),
            "{bad}"
        );
        assert_eq!(d.rule, None);
    }
}

fn two_providers() -> Policy {
    let mut doc = policy_json(json!({}), json!([]));
    let other = json!({"issuer": "https://other.example", "audiences": ["api"], "local_jwks": kit().jwks(),
                       "from_headers": [{"name": "x-other-token"}]});
    doc["providers"]["other"] = other;
    doc["rules"] = json!([
        {"match": {"prefix": "/any"}, "requires": {"requires_any": [{"provider_name": "idp"}, {"provider_name": "other"}]}},
        {"match": {"prefix": "/all"}, "requires": {"requires_all": [{"provider_name": "idp"}, {"provider_name": "other"}]}},
        {"match": {"prefix": "/opt"}, "requires": {"requires_any": [{"provider_name": "idp"}, {"allow_missing": {}}]}},
        {"match": {"prefix": "/"}, "requires": {"provider_name": "idp"}}
    ]);
    Policy::from_json(doc.to_string().as_bytes()).unwrap()
}

#[test]
fn requirement_trees() {
    let p = two_providers();
    let idp = kit().token(Alg::ES256, &good_claims());
    let mut oc = good_claims();
    oc["iss"] = json!("https://other.example");
    let other = kit().token(Alg::EdDSA, &oc);
    let a = bearer(&idp);
    // requires_any: either provider.
    let d = run(&p, "GET", "/any", &[("authorization", &a)]);
    assert_eq!((d.allow, d.provider.as_deref()), (true, Some("idp")));
    let d = run(&p, "GET", "/any", &[("x-other-token", &other)]);
    assert_eq!((d.allow, d.provider.as_deref()), (true, Some("other")));
    // A token for another issuer in idp's source: issuer_mismatch outranks token_missing.
    let wrong = bearer(&other);
    let d = run(&p, "GET", "/any", &[("authorization", &wrong)]);
    assert_eq!((d.status, d.reason), (401, Some(Reason::IssuerMismatch)));
    // requires_all: both needed.
    assert_eq!(
        run(&p, "GET", "/all", &[("authorization", &a)]).reason,
        Some(Reason::TokenMissing)
    );
    let d = run(
        &p,
        "GET",
        "/all",
        &[("authorization", &a), ("x-other-token", &other)],
    );
    assert!(d.allow);
    // allow_missing inside requires_any: missing passes, invalid fails, valid forwards claims.
    assert!(run(&p, "GET", "/opt", &[]).allow);
    let d = run(&p, "GET", "/opt", &[("authorization", "Bearer a.b.c")]);
    assert_eq!((d.allow, d.reason), (false, Some(Reason::TokenMalformed)));
    let d = run(&p, "GET", "/opt", &[("authorization", &a)]);
    assert_eq!((d.allow, d.provider.as_deref()), (true, Some("idp")));
    assert_eq!(
        d.claims()
            .and_then(|c| c.pointer("/sub"))
            .and_then(|v| v.as_str()),
        Some("user-1")
    );
}

#[test]
fn allow_missing_or_failed_never_denies_but_forwards_nothing_unverified() {
    let rules = json!([{"match": {"prefix": "/"}, "requires": {"allow_missing_or_failed": {}}}]);
    let p = policy_with(
        json!({"claim_to_headers": [{"header_name": "x-sub", "claim": "sub"}]}),
        rules,
    );
    let mut bad = good_claims();
    bad["exp"] = json!(NOW - 1000);
    let expired = bearer(&kit().token(Alg::ES256, &bad));
    let d = run(
        &p,
        "GET",
        "/",
        &[("authorization", &expired), ("x-sub", "admin")],
    );
    assert!(d.allow);
    assert_eq!(d.reason, Some(Reason::TokenExpired));
    assert!(d.set_headers.is_empty());
    assert!(d.remove_headers.contains(&"x-sub".to_string()));
    // Even two tokens (ambiguous) do not deny here, and nothing is forwarded.
    let d = run(
        &p,
        "GET",
        "/",
        &[("authorization", &expired), ("authorization", &expired)],
    );
    assert!(d.allow && d.set_headers.is_empty());
    let good = bearer(&kit().token(Alg::ES256, &good_claims()));
    let d = run(&p, "GET", "/", &[("authorization", &good)]);
    assert_eq!(set(&d, "x-sub"), Some("user-1"));
    // The same inside requires_any: ambiguity is tolerated and reported, nothing forwarded.
    let rules = json!([{"match": {"prefix": "/"}, "requires": {"requires_any": [{"provider_name": "idp"}, {"allow_missing_or_failed": {}}]}}]);
    let p = policy_with(
        json!({"claim_to_headers": [{"header_name": "x-sub", "claim": "sub"}]}),
        rules,
    );
    let d = run(
        &p,
        "GET",
        "/",
        &[("authorization", &good), ("authorization", &good)],
    );
    assert_eq!((d.allow, d.reason), (true, Some(Reason::TokenAmbiguous)));
    assert!(d.set_headers.is_empty());
}

#[test]
fn header_edits() {
    let extra = json!({
        "forward_payload_header": "x-jwt-payload",
        "claim_to_headers": [
            {"header_name": "x-sub", "claim": "sub"},
            {"header_name": "x-evil", "claim": "evil"},
            {"header_name": "x-roles", "claim": "/realm/roles"},
            {"header_name": "x-n", "claim": "n"},
            {"header_name": "x-name", "claim": "name"},
            {"header_name": "x-padded", "claim": "padded"}
        ]
    });
    let rules = json!([
        {"match": {"prefix": "/open"}, "requires": {"allow_missing": {}}},
        {"match": {"prefix": "/"}, "requires": {"provider_name": "idp"}}
    ]);
    let p = policy_with(extra, rules);
    let mut c = good_claims();
    c["evil"] = json!("a\r\nx-admin: true");
    c["realm"] = json!({"roles": ["a", "b\"c"]});
    c["n"] = json!(42);
    c["name"] = json!("José");
    c["padded"] = json!(" admin");
    let t = kit().token(Alg::ES256, &c);
    let d = run(
        &p,
        "GET",
        "/",
        &[("authorization", &bearer(&t)), ("x-sub", "spoofed")],
    );
    assert!(d.allow);
    assert_eq!(set(&d, "x-sub"), Some("user-1"));
    assert_eq!(
        set(&d, "x-evil"),
        None,
        "CRLF-bearing claim must not become a header"
    );
    assert!(d.dropped_headers.contains(&"x-evil".to_string()));
    assert_eq!(set(&d, "x-roles"), Some(r#"["a","b\"c"]"#));
    assert_eq!(set(&d, "x-n"), Some("42"));
    assert_eq!(
        set(&d, "x-name"),
        None,
        "non-ASCII string is dropped, not mangled"
    );
    assert_eq!(
        set(&d, "x-padded"),
        None,
        "a value an HTTP stack would trim is dropped, not forwarded as another value"
    );
    assert!(d.dropped_headers.contains(&"x-padded".to_string()));
    let payload = set(&d, "x-jwt-payload").unwrap();
    assert_eq!(
        edgeward::b64::decode(payload).unwrap(),
        c.to_string().into_bytes()
    );
    // forward=false (default): the token header is removed; spoofed outputs always stripped.
    for h in [
        "authorization",
        "x-sub",
        "x-evil",
        "x-roles",
        "x-jwt-payload",
    ] {
        assert!(d.remove_headers.iter().any(|r| r == h), "{h}");
    }
    // On an allow_missing route with no token, spoofed copies are still stripped.
    let d = run(
        &p,
        "GET",
        "/open",
        &[("x-sub", "admin"), ("x-jwt-payload", "e30")],
    );
    assert!(d.allow && d.set_headers.is_empty());
    assert!(d.remove_headers.contains(&"x-sub".to_string()));
    assert!(d.remove_headers.contains(&"x-jwt-payload".to_string()));
    // And on a denial.
    let d = run(&p, "GET", "/", &[("x-sub", "admin")]);
    assert!(!d.allow && d.remove_headers.contains(&"x-sub".to_string()));
    // forward=true keeps the token.
    let keep = policy_with(json!({"forward": true}), Value::Null);
    let d = run(&keep, "GET", "/", &[("authorization", &bearer(&t))]);
    assert!(d.allow && !d.remove_headers.contains(&"authorization".to_string()));
}

#[test]
fn policy_load_errors_name_the_field() {
    let load = |v: Value| {
        Policy::from_json(v.to_string().as_bytes())
            .unwrap_err()
            .to_string()
    };
    let mut no_catch_all = policy_json(
        json!({}),
        json!([{"match": {"prefix": "/api"}, "requires": {"provider_name": "idp"}}]),
    );
    assert!(load(no_catch_all.clone()).contains("catch-all"));
    no_catch_all["rules"] = json!([{"match": {"prefix": "/", "methods": ["GET"]}, "requires": {"provider_name": "idp"}}]);
    assert!(load(no_catch_all).contains("catch-all"));
    assert!(load(policy_json(json!({"audience": ["x"]}), Value::Null))
        .contains("unknown field `audience`"));
    assert!(load(policy_json(
        json!({}),
        json!([{"match": {"prefix": "/"}, "requires": {"provider_name": "nope"}}])
    ))
    .contains("unknown provider"));
    assert!(load(policy_json(
        json!({"claim_to_headers": [{"header_name": "authorization", "claim": "sub"}]}),
        Value::Null
    ))
    .contains("claim_to_headers[0]"));
    assert!(load(policy_json(
        json!({"claim_to_headers": [{"header_name": ":path", "claim": "sub"}]}),
        Value::Null
    ))
    .contains("pseudo-header"));
    assert!(load(policy_json(
        json!({"clock_skew_seconds": 3600}),
        Value::Null
    ))
    .contains("clock_skew_seconds"));
    assert!(load(policy_json(json!({"algorithms": ["none"]}), Value::Null)).contains("algorithms"));
    let mut v2 = policy_json(json!({}), Value::Null);
    v2["version"] = json!(2);
    assert!(load(v2).contains("version"));
    // Duplicate member names are refused before serde could keep the last one.
    let text = policy_json(json!({}), Value::Null).to_string().replacen(
        "\"version\":1",
        "\"version\":1,\"version\":1",
        1,
    );
    assert!(Policy::from_json(text.as_bytes())
        .unwrap_err()
        .to_string()
        .contains("duplicate"));
    // More than one provider: each needs an issuer.
    let mut multi = policy_json(json!({}), Value::Null);
    multi["providers"]["b"] = json!({"local_jwks": kit().jwks()});
    assert!(load(multi).contains("providers.b.issuer"));
    // Rule paths must be normalised; nothing may follow a catch-all.
    let rules = |r: Value| policy_json(json!({}), r);
    assert!(load(rules(
        json!([{"match": {"prefix": "/a/../b"}, "requires": {"provider_name": "idp"}},
        {"match": {"prefix": "/"}, "requires": {"provider_name": "idp"}}])
    ))
    .contains("not a normalised path"));
    assert!(load(rules(
        json!([{"match": {"prefix": "/"}, "requires": {"provider_name": "idp"}},
        {"match": {"prefix": "/"}, "requires": {"provider_name": "idp"}}])
    ))
    .contains("unreachable"));
    assert!(load(policy_json(
        json!({"from_cookies": ["a", "a"]}),
        Value::Null
    ))
    .contains("twice"));
    assert!(load(policy_json(json!({"typ": []}), Value::Null)).contains("typ"));
    let mut vs = policy_json(json!({}), Value::Null);
    vs["version"] = json!("1");
    assert!(load(vs).contains("unsupported version"));
    // A provider whose keys are all unusable.
    let bad_keys = policy_json(
        json!({"local_jwks": {"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}}),
        Value::Null,
    );
    assert!(load(bad_keys).contains("weak_rsa"));
}

#[test]
fn issuer_routing_tries_only_that_providers_keys() {
    // Provider "other" trusts only the EdDSA key; a token claiming other's issuer signed by the
    // ES256 key (trusted by idp) must fail, not be accepted via idp's keys.
    let mut doc = policy_json(json!({}), json!([]));
    doc["providers"]["other"] = json!({"issuer": "https://other.example", "audiences": ["api"],
        "local_jwks": {"keys": [kit().public_jwk(Alg::EdDSA)]}});
    doc["rules"] = json!([{"match": {"prefix": "/"}, "requires": {"requires_any": [{"provider_name": "idp"}, {"provider_name": "other"}]}}]);
    let p = Policy::from_json(doc.to_string().as_bytes()).unwrap();
    let mut c = good_claims();
    c["iss"] = json!("https://other.example");
    let t = kit().token(Alg::ES256, &c);
    let d = run(&p, "GET", "/", &[("authorization", &bearer(&t))]);
    assert_eq!(
        (d.allow, d.reason, d.provider.as_deref()),
        (false, Some(Reason::KeyNotFound), Some("other"))
    );
    assert_eq!(
        p.route(&t).map(|i| p.providers[i].name.as_str()),
        Ok("other")
    );
    let _ = ISS;
}

#[test]
fn report_mode_cors_bypass_and_route_names() {
    let mut doc = policy_json(
        json!({"claim_to_headers": [{"header_name": "x-sub", "claim": "sub"}]}),
        json!([
            {"match": {"prefix": "/shadow/"}, "requires": {"provider_name": "idp"}, "mode": "report"},
            {"match": {"prefix": "/", "route": "admin-route"}, "requires": {"provider_name": "idp"}},
            {"match": {"prefix": "/"}, "requires": {"allow_missing": {}}}
        ]),
    );
    doc["bypass_cors_preflight"] = json!(true);
    let p = Policy::from_json(doc.to_string().as_bytes()).unwrap();
    // Report mode: would-be denials pass, recorded, nothing forwarded, spoofs stripped.
    let d = run(&p, "GET", "/shadow/x", &[("x-sub", "spoof")]);
    assert_eq!(
        (d.allow, d.reported, d.reason),
        (true, true, Some(Reason::TokenMissing))
    );
    assert!(d.set_headers.is_empty() && d.remove_headers.contains(&"x-sub".to_string()));
    let t = kit().token(Alg::ES256, &good_claims());
    let d = run(&p, "GET", "/shadow/x", &[("authorization", &bearer(&t))]);
    assert_eq!((d.allow, d.reported, d.reason), (true, false, None));
    assert_eq!(set(&d, "x-sub"), Some("user-1"));
    // Route names select rules.
    let with_route = |route: Option<&str>| {
        decide(
            &p,
            &Request {
                method: "GET",
                path: "/a",
                headers: &[],
                client_addr: None,
                peer_certificate: None,
                route,
                now: NOW,
            },
        )
    };
    assert_eq!(
        with_route(Some("admin-route")).reason,
        Some(Reason::TokenMissing)
    );
    assert!(with_route(Some("other")).allow);
    assert!(with_route(None).allow);
    // CORS preflight bypass: only OPTIONS with Origin and Access-Control-Request-Method.
    let pre = [
        ("origin", "https://app"),
        ("access-control-request-method", "POST"),
    ];
    let d = decide(
        &p,
        &Request {
            method: "OPTIONS",
            path: "/shadow/x",
            headers: &pre,
            client_addr: None,
            peer_certificate: None,
            route: Some("admin-route"),
            now: NOW,
        },
    );
    assert!(d.allow && !d.reported && d.detail == "cors preflight");
    let d = decide(
        &p,
        &Request {
            method: "OPTIONS",
            path: "/a",
            headers: &pre[..1],
            client_addr: None,
            peer_certificate: None,
            route: Some("admin-route"),
            now: NOW,
        },
    );
    assert!(!d.allow);
    // Off by default.
    let strict = policy_with(json!({}), Value::Null);
    assert!(!run(&strict, "OPTIONS", "/", &pre).allow);
    // A route-only rule is no catch-all.
    let bad = policy_json(
        json!({}),
        json!([{"match": {"prefix": "/", "route": "r"}, "requires": {"provider_name": "idp"}}]),
    );
    assert!(Policy::from_json(bad.to_string().as_bytes())
        .unwrap_err()
        .to_string()
        .contains("catch-all"));
}

#[test]
fn hmac_secrets_from_the_host_environment() {
    let secret = [7u8; 32];
    let encoded = edgeward::b64::encode(&secret);
    let doc = json!({"version": 1, "providers": {"svc": {"issuer": ISS, "audiences": ["api"],
        "secrets_from_env": [{"env": "SVC_HS256", "alg": "HS256", "kid": "s1"}]}},
        "rules": [{"match": {"prefix": "/"}, "requires": {"provider_name": "svc"}}]})
    .to_string();
    let env = |name: &str| (name == "SVC_HS256").then(|| encoded.clone());
    let p = Policy::from_json_with_env(doc.as_bytes(), &env).unwrap();
    let header = json!({"alg": "HS256", "kid": "s1"}).to_string();
    let input = format!(
        "{}.{}",
        edgeward::b64::encode(header.as_bytes()),
        edgeward::b64::encode(good_claims().to_string().as_bytes())
    );
    let tag = edgeward::jwa::hmac_sign(Alg::HS256, &secret, input.as_bytes()).unwrap();
    let t = format!("{input}.{}", edgeward::b64::encode(&tag));
    assert!(run(&p, "GET", "/", &[("authorization", &bearer(&t))]).allow);
    // Unset, malformed or too short: the policy does not load, naming the variable.
    let e = Policy::from_json(doc.as_bytes()).unwrap_err().to_string();
    assert!(e.contains("SVC_HS256 is not set"), "{e}");
    let bad = |_: &str| Some("not base64!".to_string());
    assert!(Policy::from_json_with_env(doc.as_bytes(), &bad)
        .unwrap_err()
        .to_string()
        .contains("base64url"));
    let short = |_: &str| Some(edgeward::b64::encode(&[1u8; 8]));
    let e = Policy::from_json_with_env(doc.as_bytes(), &short)
        .unwrap_err()
        .to_string();
    assert!(e.contains("holds 8 bytes; HS256 needs at least 32"), "{e}");
    // A different secret is a different policy generation (no cache entry carries over).
    let other = |_: &str| Some(edgeward::b64::encode(&[9u8; 32]));
    let q = Policy::from_json_with_env(doc.as_bytes(), &other).unwrap();
    assert_ne!(p.generation, q.generation);
}

#[test]
fn remote_key_set_configuration_is_checked() {
    let load = |remote: Value, issuer: Option<&str>| {
        let mut p = json!({"audiences": ["api"], "remote_jwks": remote});
        if let Some(i) = issuer {
            p["issuer"] = json!(i);
        }
        let doc = json!({"version": 1, "providers": {"r": p},
            "rules": [{"match": {"prefix": "/"}, "requires": {"provider_name": "r"}}]});
        Policy::from_json(doc.to_string().as_bytes())
            .map(|p| p.providers[0].remote.clone().unwrap())
    };
    let ok = load(
        json!({"uri": "https://idp.example/jwks", "cluster": "idp"}),
        None,
    )
    .unwrap();
    assert_eq!(
        (ok.authority.as_str(), ok.path.as_str(), ok.discovery),
        ("idp.example", "/jwks", false)
    );
    let d = load(
        json!({"oidc_discovery": true, "cluster": "idp"}),
        Some("https://idp.example/"),
    )
    .unwrap();
    assert_eq!(d.path, "/.well-known/openid-configuration");
    assert!(d.discovery);
    for (remote, issuer, want) in [
        (
            json!({"oidc_discovery": true}),
            None,
            "needs the provider's issuer",
        ),
        (
            json!({"uri": "https://a/b", "oidc_discovery": true}),
            Some("https://a"),
            "exactly one",
        ),
        (json!({"uri": "http://idp.example/jwks"}), None, "https"),
        (
            json!({"uri": "https://idp.example/jwks", "cache_duration_seconds": 1}),
            None,
            "cache_duration_seconds",
        ),
    ] {
        let e = load(remote, issuer).unwrap_err().to_string();
        assert!(e.contains(want), "{want}: {e}");
    }
    // Plain http is for loopback tests only.
    assert!(load(json!({"uri": "http://127.0.0.1:8080/jwks"}), None).is_ok());
    // A remote provider starts unavailable: its tokens get jwks_unavailable until keys arrive.
    let doc = json!({"version": 1, "providers": {"r": {"issuer": ISS, "audiences": ["api"],
        "remote_jwks": {"uri": "https://idp.example/jwks"}}},
        "rules": [{"match": {"prefix": "/"}, "requires": {"provider_name": "r"}}]});
    let p = Policy::from_json(doc.to_string().as_bytes()).unwrap();
    let t = kit().token(Alg::ES256, &good_claims());
    let d = run(&p, "GET", "/", &[("authorization", &bearer(&t))]);
    assert_eq!((d.status, d.reason), (503, Some(Reason::JwksUnavailable)));
    let keys = p
        .parse_fetched_keys(0, kit().jwks().to_string().as_bytes())
        .unwrap();
    assert!(
        run(
            &p.with_keys(0, Some(keys)),
            "GET",
            "/",
            &[("authorization", &bearer(&t))]
        )
        .allow
    );
    // Fetched sets never carry symmetric keys.
    let oct = json!({"keys": [{"kty": "oct", "k": edgeward::b64::encode(&[1u8; 32])}]});
    assert!(p.parse_fetched_keys(0, oct.to_string().as_bytes()).is_err());
}
