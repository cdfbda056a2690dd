//! Signed URLs, signed cookies and session cookies through the policy and the request decision:
//! `kind`, the request context (`public_origin`, `trusted_proxies`), cookie ambiguity, the
//! cookie reasons and their 403/401 answers without a Bearer challenge.
//!
//! The schemes' byte-level verification is checked against the vendors' own signers in
//! tests/cdn.rs; here the credentials are made with the CLI's signers (which follow the same
//! documented algorithms) from keys drawn at run time.

#![allow(
    clippy::many_single_char_names,
    clippy::format_collect,
    clippy::needless_pass_by_value
)]

mod common;

use std::collections::HashMap;

use base64::Engine as _;
use common::{good_claims, kit, ISS, NOW};
use edgeward::decision::{self, Decision, Request};
use edgeward::jwa::Alg;
use edgeward::{b64, decide, Policy, Reason};
use edgeward_cli::cookie::{
    akamai_sign, google_sign_cookie, google_sign_url, random_bytes, AkamaiScope, AkamaiToken,
};
use serde_json::{json, Value};

const ORIGIN: &str = "https://cdn.example.com";

struct Env {
    vars: HashMap<String, String>,
}

impl Env {
    fn new() -> Env {
        let google = base64::engine::general_purpose::URL_SAFE.encode(random_bytes(16));
        let akamai: String = random_bytes(32)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let s1 = b64::encode(&random_bytes(32));
        let s2 = b64::encode(&random_bytes(32));
        let vars = [
            ("GOOGLE_KEY", google),
            ("AKAMAI_KEY", akamai),
            ("SESSION_KEY_1", s1),
            ("SESSION_KEY_2", s2),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        Env { vars }
    }

    fn get(&self, k: &str) -> &str {
        &self.vars[k]
    }

    fn policy(&self, doc: &Value) -> Result<Policy, edgeward::PolicyError> {
        Policy::from_json_with_env(doc.to_string().as_bytes(), &|k| self.vars.get(k).cloned())
    }

    fn google_key(&self) -> Vec<u8> {
        base64::engine::general_purpose::URL_SAFE
            .decode(self.get("GOOGLE_KEY"))
            .unwrap()
    }
}

fn doc(providers: Value, rules: Value) -> Value {
    json!({
        "version": 1,
        "realm": "api",
        "public_origin": ORIGIN,
        "trusted_proxies": ["10.0.0.0/8"],
        "providers": providers,
        "rules": rules,
    })
}

fn all_providers() -> Value {
    json!({
        "idp": {"issuer": ISS, "audiences": ["api"], "local_jwks": kit().jwks()},
        "gurl": {"kind": "signed_url", "signed": {"scheme": "google_cloud_cdn",
                 "keys": [{"name": "k1", "secret_from_env": "GOOGLE_KEY"}]},
                 "claim_to_headers": [{"header_name": "x-key", "claim": "kid"}]},
        "gcookie": {"kind": "signed_cookie", "signed": {"scheme": "google_cloud_cdn",
                    "keys": [{"name": "k1", "secret_from_env": "GOOGLE_KEY"}]}},
        "akamai": {"kind": "signed_cookie", "signed": {"scheme": "akamai_edgeauth",
                   "keys": [{"secret_from_env": "AKAMAI_KEY"}]},
                   "claim_to_headers": [{"header_name": "x-session-data", "claim": "data"}]},
        "akurl": {"kind": "signed_url", "signed": {"scheme": "akamai_edgeauth",
                  "keys": [{"secret_from_env": "AKAMAI_KEY"}]}},
        "akhdr": {"kind": "signed_cookie", "signed": {"scheme": "akamai_edgeauth",
                  "keys": [{"secret_from_env": "AKAMAI_KEY"}]},
                  "from_headers": [{"name": "x-akamai-token"}],
                  "claim_to_headers": [{"header_name": "x-session-data", "claim": "data"}]},
        "akurlhdr": {"kind": "signed_url", "signed": {"scheme": "akamai_edgeauth",
                  "keys": [{"secret_from_env": "AKAMAI_KEY"}]},
                  "from_headers": [{"name": "x-akamai-token"}]},
        "session": {"kind": "session_cookie", "issuer": "https://edge.example/session",
                    "audiences": ["app"],
                    "secrets_from_env": [{"env": "SESSION_KEY_1", "alg": "HS256", "kid": "s1"},
                                         {"env": "SESSION_KEY_2", "alg": "HS256", "kid": "s2"}],
                    "session": {"lifetime_seconds": 600, "bind_client_ip": true,
                                "claims": ["scope"]},
                    "claim_to_headers": [{"header_name": "x-user", "claim": "sub"}]},
    })
}

fn all_rules() -> Value {
    json!([
        {"match": {"prefix": "/g/"}, "requires": {"provider_name": "gurl"}},
        {"match": {"prefix": "/gc/"}, "requires": {"provider_name": "gcookie"}},
        {"match": {"prefix": "/ak/"}, "requires": {"provider_name": "akamai"}},
        {"match": {"prefix": "/aku/"}, "requires": {"provider_name": "akurl"}},
        {"match": {"prefix": "/akh/"}, "requires": {"provider_name": "akhdr"}},
        {"match": {"prefix": "/akuh/"}, "requires": {"provider_name": "akurlhdr"}},
        {"match": {"prefix": "/app/"}, "requires": {"requires_any": [
            {"provider_name": "session"}, {"provider_name": "idp"}]}},
        {"match": {"prefix": "/"}, "requires": {"provider_name": "idp"}},
    ])
}

fn setup() -> (Env, Policy) {
    let env = Env::new();
    let p = env
        .policy(&doc(all_providers(), all_rules()))
        .expect("policy");
    (env, p)
}

fn run(p: &Policy, path: &str, headers: &[(&str, &str)], peer: &str, now: i64) -> Decision {
    decide(
        p,
        &Request {
            method: "GET",
            path,
            headers,
            client_addr: Some(peer),
            peer_certificate: None,
            route: None,
            now,
        },
    )
}

fn header<'a>(d: &'a Decision, name: &str) -> Option<&'a str> {
    d.response_headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn denied(d: &Decision, status: u16, reason: Reason) {
    assert_eq!(
        (d.allow, d.status, d.reason),
        (false, status, Some(reason)),
        "{d:?}"
    );
    assert_eq!(
        header(d, "www-authenticate"),
        None,
        "no Bearer challenge for cookies"
    );
    assert_eq!(header(d, "cache-control"), Some("no-store"));
    assert_eq!(d.body, reason.code());
}

fn target(url: &str) -> &str {
    url.strip_prefix(ORIGIN).unwrap()
}

const PEER: &str = "203.0.113.5:40000";

#[test]
fn google_signed_urls() {
    let (env, p) = setup();
    let key = env.google_key();
    let url = google_sign_url(&key, "k1", &format!("{ORIGIN}/g/a.mp4?q=1"), None, NOW + 60);
    let d = run(&p, target(&url), &[], PEER, NOW);
    assert!(d.allow, "{d:?}");
    assert_eq!(d.provider.as_deref(), Some("gurl"));
    assert!(d.set_headers.contains(&("x-key".into(), "k1".into())));

    // Tampered path, expired, unknown key name, wrong origin, missing.
    let tampered = target(&url).replace("a.mp4", "b.mp4");
    denied(
        &run(&p, &tampered, &[], PEER, NOW),
        403,
        Reason::SignatureInvalid,
    );
    denied(
        &run(&p, target(&url), &[], PEER, NOW + 60),
        403,
        Reason::CookieExpired,
    );
    let other = google_sign_url(&key, "k9", &format!("{ORIGIN}/g/a.mp4"), None, NOW + 60);
    denied(
        &run(&p, target(&other), &[], PEER, NOW),
        403,
        Reason::KeyNotFound,
    );
    let elsewhere = google_sign_url(&key, "k1", "https://other.example/g/a.mp4", None, NOW + 60);
    let path = elsewhere.strip_prefix("https://other.example").unwrap();
    denied(
        &run(&p, path, &[], PEER, NOW),
        403,
        Reason::SignatureInvalid,
    );
    denied(
        &run(&p, "/g/a.mp4", &[], PEER, NOW),
        403,
        Reason::CookieMissing,
    );
    denied(
        &run(&p, "/g/a.mp4?Expires=1", &[], PEER, NOW),
        403,
        Reason::CookieMalformed,
    );

    // A URL prefix covers what starts with it, nothing else.
    let pre = google_sign_url(
        &key,
        "k1",
        &format!("{ORIGIN}/g/videos/x.ts"),
        Some(&format!("{ORIGIN}/g/videos/")),
        NOW + 60,
    );
    assert!(run(&p, target(&pre), &[], PEER, NOW).allow);
    let moved = target(&pre).replace("/g/videos/x.ts", "/g/private/x.ts");
    denied(
        &run(&p, &moved, &[], PEER, NOW),
        403,
        Reason::CookieScopeMismatch,
    );

    // A dot-segment in the raw path is refused when the signed credential is checked (the rule
    // matched the normalised path; the signature and prefix are over the raw one).
    let climb = target(&pre).replace("/g/videos/x.ts", "/g/videos/../private/x.ts");
    let d = run(&p, &climb, &[], PEER, NOW);
    assert_eq!((d.status, d.reason), (400, Some(Reason::PathInvalid)));
}

#[test]
fn google_signed_cookies_and_cookie_ambiguity() {
    let (env, p) = setup();
    let key = env.google_key();
    let value = google_sign_cookie(&key, "k1", &format!("{ORIGIN}/gc/"), NOW + 60);
    let cookie = format!("Cloud-CDN-Cookie={value}");
    assert!(run(&p, "/gc/x", &[("cookie", &cookie)], PEER, NOW).allow);
    // Among other cookies, and quoted (RFC 6265 allows DQUOTEs around a value).
    let quoted = format!("a=1; Cloud-CDN-Cookie=\"{value}\"; b=2");
    assert!(run(&p, "/gc/x", &[("cookie", &quoted)], PEER, NOW).allow);
    let d = run(&p, "/other/x", &[("cookie", &cookie)], PEER, NOW);
    assert_eq!((d.status, d.reason), (401, Some(Reason::TokenMissing)));
    assert_eq!(header(&d, "www-authenticate"), Some("Bearer realm=\"api\""));
    denied(
        &run(&p, "/gc/x", &[], PEER, NOW),
        403,
        Reason::CookieMissing,
    );
    denied(
        &run(&p, "/gc/x", &[("cookie", &cookie)], PEER, NOW + 61),
        403,
        Reason::CookieExpired,
    );

    // Cookie tossing: a second cookie of the same name (same header, or another Cookie
    // header) makes the request ambiguous, whichever one is valid.
    let other = google_sign_cookie(&key, "k1", &format!("{ORIGIN}/gc/"), NOW + 30);
    let twice = format!("{cookie}; Cloud-CDN-Cookie={other}");
    let d = run(&p, "/gc/x", &[("cookie", &twice)], PEER, NOW);
    assert_eq!((d.status, d.reason), (400, Some(Reason::TokenAmbiguous)));
    assert_eq!(header(&d, "www-authenticate"), None);
    let tossed = format!("Cloud-CDN-Cookie={other}");
    let d = run(
        &p,
        "/gc/x",
        &[("cookie", &cookie), ("Cookie", &tossed)],
        PEER,
        NOW,
    );
    assert_eq!((d.status, d.reason), (400, Some(Reason::TokenAmbiguous)));
}

fn akamai(env: &Env, scope: AkamaiScope<'_>, ip: Option<&str>, data: Option<&str>) -> String {
    akamai_sign(&AkamaiToken {
        key_hex: env.get("AKAMAI_KEY"),
        algorithm: "sha256",
        scope,
        expires: NOW + 60,
        start: Some(NOW - 5),
        ip,
        id: None,
        data,
        salt: None,
    })
    .unwrap()
}

#[test]
fn akamai_tokens_with_client_binding_and_trusted_proxies() {
    let (env, p) = setup();
    let token = akamai(
        &env,
        AkamaiScope::Acl("/ak/*"),
        Some("198.51.100.7"),
        Some("tier-gold"),
    );
    let cookie = format!("__token__={token}");
    let h = [("cookie", cookie.as_str())];
    // The client itself.
    let d = run(&p, "/ak/a/b", &h, "198.51.100.7:5555", NOW);
    assert!(d.allow, "{d:?}");
    assert!(d
        .set_headers
        .contains(&("x-session-data".into(), "tier-gold".into())));
    // Another client replaying the cookie.
    denied(
        &run(&p, "/ak/a/b", &h, PEER, NOW),
        403,
        Reason::CookieIpMismatch,
    );
    // ...claiming the bound address in X-Forwarded-For from an untrusted peer: ignored.
    let spoof = [
        ("cookie", cookie.as_str()),
        ("x-forwarded-for", "198.51.100.7"),
    ];
    denied(
        &run(&p, "/ak/a/b", &spoof, PEER, NOW),
        403,
        Reason::CookieIpMismatch,
    );
    // Through a trusted proxy that appended the real client to a spoofed chain: allowed.
    let via = [
        ("cookie", cookie.as_str()),
        ("x-forwarded-for", "6.6.6.6, 198.51.100.7"),
    ];
    assert!(run(&p, "/ak/a/b", &via, "10.1.2.3:80", NOW).allow);
    // Through a trusted proxy, for another client.
    let via = [
        ("cookie", cookie.as_str()),
        ("x-forwarded-for", "198.51.100.7, 6.6.6.6"),
    ];
    denied(
        &run(&p, "/ak/a/b", &via, "10.1.2.3:80", NOW),
        403,
        Reason::CookieIpMismatch,
    );
    // Outside the ACL; not yet valid; expired; tampered.
    let d = run(&p, "/ak/", &h, "198.51.100.7", NOW);
    assert!(d.allow, "the ACL's * matches the empty rest");
    let token2 = akamai(&env, AkamaiScope::Acl("/ak/videos/*"), None, None);
    let c2 = format!("__token__={token2}");
    denied(
        &run(&p, "/ak/music/x", &[("cookie", &c2)], PEER, NOW),
        403,
        Reason::CookieScopeMismatch,
    );
    denied(
        &run(&p, "/ak/videos/x", &[("cookie", &c2)], PEER, NOW - 10),
        403,
        Reason::CookieNotYetValid,
    );
    denied(
        &run(&p, "/ak/videos/x", &[("cookie", &c2)], PEER, NOW + 60),
        403,
        Reason::CookieExpired,
    );
    let bad = c2.replace("exp=", "exp=1");
    denied(
        &run(&p, "/ak/videos/x", &[("cookie", &bad)], PEER, NOW),
        403,
        Reason::SignatureInvalid,
    );
    denied(
        &run(
            &p,
            "/ak/videos/x",
            &[("cookie", "__token__=exp=1")],
            PEER,
            NOW,
        ),
        403,
        Reason::CookieMalformed,
    );

    // A URL token in the query: signed for the path, which it does not carry.
    let t = akamai(&env, AkamaiScope::Url("/aku/file.bin"), None, None);
    let path = format!("/aku/file.bin?__token__={t}");
    assert!(run(&p, &path, &[], PEER, NOW).allow);
    let path = format!("/aku/other.bin?__token__={t}");
    denied(
        &run(&p, &path, &[], PEER, NOW),
        403,
        Reason::SignatureInvalid,
    );
    denied(
        &run(&p, "/aku/file.bin", &[], PEER, NOW),
        403,
        Reason::CookieMissing,
    );
}

fn session_cookie(p: &Policy, claims: &Value, ip: &str, now: i64) -> edgeward::credential::Minted {
    let i = p.provider_index("session").unwrap();
    let claims = edgeward::json::parse(
        claims.to_string().as_bytes(),
        &edgeward::json::Limits::CLAIMS,
    )
    .unwrap();
    edgeward::credential::mint(
        &p.providers[i],
        &claims,
        now,
        edgeward::context::parse_addr(ip),
    )
    .unwrap()
}

#[test]
fn session_cookies_are_minted_once_and_verified_with_one_hmac() {
    let (env, p) = setup();
    let client = "198.51.100.7";
    let m = session_cookie(&p, &good_claims(), client, NOW);
    // The Set-Cookie the issue asks for.
    assert!(
        m.set_cookie.starts_with("__Host-edgeward-session="),
        "{}",
        m.set_cookie
    );
    for attr in [
        "; Path=/",
        "; Secure",
        "; HttpOnly",
        "; SameSite=Lax",
        "; Max-Age=600",
    ] {
        assert!(m.set_cookie.contains(attr), "{attr} in {}", m.set_cookie);
    }
    assert_eq!(m.expires, NOW + 600);
    let c =
        edgeward::jws::Compact::parse(&m.value, &edgeward::jws::TokenLimits::default()).unwrap();
    assert_eq!(c.header().typ.as_deref(), Some("edgeward-session+jwt"));
    assert_eq!(c.header().kid.as_deref(), Some("s1"));
    let claims: Value = serde_json::from_slice(c.unverified_payload()).unwrap();
    assert_eq!(claims["sub"], "user-1");
    assert_eq!(claims["scope"], "read write");
    assert_eq!(claims["cip"], client);
    assert_eq!(claims["aud"], "app");
    assert!(claims.get("email").is_none());

    let cookie = format!("__Host-edgeward-session={}", m.value);
    let d = run(&p, "/app/x", &[("cookie", &cookie)], client, NOW + 10);
    assert!(d.allow, "{d:?}");
    assert_eq!(d.provider.as_deref(), Some("session"));
    assert!(d.set_headers.contains(&("x-user".into(), "user-1".into())));

    // Another client; expired; the IdP token's exp caps the cookie's.
    let d = run(&p, "/app/x", &[("cookie", &cookie)], PEER, NOW + 10);
    assert_eq!(
        (d.status, d.reason),
        (401, Some(Reason::CookieIpMismatch)),
        "{d:?}"
    );
    assert_eq!(header(&d, "www-authenticate"), None);
    let d = run(&p, "/app/x", &[("cookie", &cookie)], client, NOW + 600 + 61);
    assert_eq!(d.reason, Some(Reason::CookieExpired));
    let mut short = good_claims();
    short["exp"] = json!(NOW + 30);
    assert_eq!(session_cookie(&p, &short, client, NOW).expires, NOW + 30);

    // An IdP token offered as a session cookie (another issuer; or the session issuer but
    // not the session typ), and a session cookie as a bearer token.
    let offer = |t: &str| format!("__Host-edgeward-session={t}");
    let idp = kit().token(Alg::HS256, &good_claims());
    let d = run(&p, "/app/x", &[("cookie", &offer(&idp))], client, NOW);
    assert_eq!(d.reason, Some(Reason::CookieScopeMismatch), "{d:?}");
    let mut as_session = good_claims();
    as_session["iss"] = json!("https://edge.example/session");
    as_session["aud"] = json!("app");
    let idp = kit().token(Alg::HS256, &as_session);
    let d = run(&p, "/app/x", &[("cookie", &offer(&idp))], client, NOW);
    assert_eq!(d.reason, Some(Reason::TypNotAllowed), "{d:?}");
    let d = run(
        &p,
        "/x",
        &[("authorization", &format!("Bearer {}", m.value))],
        client,
        NOW,
    );
    assert_eq!(d.reason, Some(Reason::IssuerMismatch), "{d:?}");
    // Even with the IdP's issuer, the session typ is refused by an IdP provider.
    let header = json!({"alg": "HS256", "typ": "edgeward-session+jwt", "kid": "HS256"});
    let forged = kit().sign_raw(
        Alg::HS256,
        &header.to_string(),
        good_claims().to_string().as_bytes(),
    );
    let d = run(
        &p,
        "/x",
        &[("authorization", &format!("Bearer {forged}"))],
        client,
        NOW,
    );
    assert_eq!(d.reason, Some(Reason::TypNotAllowed), "{d:?}");

    // Rotation by kid: a cookie signed with the second key still verifies.
    let mut d2 = doc(all_providers(), all_rules());
    d2["providers"]["session"]["secrets_from_env"] = json!([
        {"env": "SESSION_KEY_2", "alg": "HS256", "kid": "s2"},
        {"env": "SESSION_KEY_1", "alg": "HS256", "kid": "s1"}]);
    let p2 = env.policy(&d2).unwrap();
    let m2 = session_cookie(&p2, &good_claims(), client, NOW);
    let c2 = format!("__Host-edgeward-session={}", m2.value);
    assert!(
        run(&p, "/app/x", &[("cookie", &c2)], client, NOW).allow,
        "old policy, new key"
    );
    assert!(
        run(&p2, "/app/x", &[("cookie", &cookie)], client, NOW).allow,
        "new policy, old key"
    );

    // Tampered payload.
    let mut parts: Vec<String> = m.value.split('.').map(String::from).collect();
    let mut forged: Value = serde_json::from_slice(&b64::decode(&parts[1]).unwrap()).unwrap();
    forged["sub"] = json!("admin");
    parts[1] = b64::encode(forged.to_string().as_bytes());
    let d = run(
        &p,
        "/app/x",
        &[(
            "cookie",
            &format!("__Host-edgeward-session={}", parts.join(".")),
        )],
        client,
        NOW,
    );
    assert_eq!(d.reason, Some(Reason::SignatureInvalid));

    // Minting needs the client address when bound, and a subject.
    let i = p.provider_index("session").unwrap();
    let claims = edgeward::json::parse(
        good_claims().to_string().as_bytes(),
        &edgeward::json::Limits::CLAIMS,
    )
    .unwrap();
    let r = edgeward::credential::mint(&p.providers[i], &claims, NOW, None).unwrap_err();
    assert_eq!(r.reason, Reason::CookieIpMismatch);
    let no_sub =
        edgeward::json::parse(br#"{"exp": 1800000600}"#, &edgeward::json::Limits::CLAIMS).unwrap();
    let r = edgeward::credential::mint(&p.providers[i], &no_sub, NOW, None).unwrap_err();
    assert_eq!(r.reason, Reason::ClaimMissing);
    let ip = edgeward::context::parse_addr(PEER);
    let mint = |claims: &serde_json::Value| {
        let v = edgeward::json::parse(
            claims.to_string().as_bytes(),
            &edgeward::json::Limits::CLAIMS,
        )
        .unwrap();
        edgeward::credential::mint(&p.providers[i], &v, NOW, ip)
    };
    // A sender-constrained token would become a plain bearer cookie (this provider does not
    // bind sessions to the DPoP key).
    let mut bound = good_claims();
    bound["cnf"] = json!({"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"});
    assert_eq!(
        mint(&bound).unwrap_err().reason,
        Reason::TokenBindingUnsupported
    );
    bound["cnf"] = json!({"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"});
    assert_eq!(
        mint(&bound).unwrap_err().reason,
        Reason::TokenBindingUnsupported
    );
    // A cookie that could not verify is not minted: copied claims within the limits of the
    // token they came from, but past them once the cookie's own claims are added.
    // In: the object, sub, exp and scope's values; out: the object, iss, aud, sub, iat, exp,
    // cip and scope's. The claims limit is 1,024 values (256 per array).
    let scope = |n: usize| json!([vec![0; 253], vec![0; 253], vec![0; 253], vec![0; n]]);
    let mut big = json!({"sub": "alice", "exp": NOW + 600, "scope": scope(254)});
    assert!(mint(&big).is_err_and(|r| r.reason == Reason::ClaimsMalformed));
    big["scope"] = scope(250);
    let ok = mint(&big).expect("within the limits");
    // Browsers drop a cookie whose name and value pass 4096 bytes: not minted.
    let long = json!({"sub": "alice", "exp": NOW + 600, "scope": "x".repeat(3500)});
    assert!(mint(&long).is_err_and(|r| r.reason == Reason::TokenTooLarge));
    let fits = json!({"sub": "alice", "exp": NOW + 600, "scope": "x".repeat(2500)});
    assert!(mint(&fits).is_ok_and(|m| m.value.len() < 4096 - 24));
    let cookie = format!("__Host-edgeward-session={}", ok.value);
    assert!(run(&p, "/app/x", &[("cookie", &cookie)], PEER, NOW).allow);
    // A JWT provider cannot mint.
    let r = edgeward::credential::mint(
        &p.providers[p.provider_index("idp").unwrap()],
        &claims,
        NOW,
        None,
    )
    .unwrap_err();
    assert_eq!(r.reason, Reason::ConfigInvalid);
}

#[test]
fn verify_provider_is_what_decide_does() {
    let (env, p) = setup();
    let key = env.google_key();
    let value = google_sign_cookie(&key, "k1", &format!("{ORIGIN}/gc/"), NOW + 60);
    let cookie = format!("Cloud-CDN-Cookie={value}");
    let i = p.provider_index("gcookie").unwrap();
    let h = [("cookie", cookie.as_str())];
    let req = Request {
        method: "GET",
        path: "/gc/x",
        headers: &h,
        client_addr: None,
        peer_certificate: None,
        route: None,
        now: NOW,
    };
    let a = decision::verify_provider(&p, i, &req).unwrap();
    assert_eq!(a.claims.as_object().unwrap().get_str("kid"), Some("k1"));
    let req = Request {
        path: "/elsewhere",
        ..req
    };
    assert_eq!(
        decision::verify_provider(&p, i, &req).unwrap_err().reason,
        Reason::CookieScopeMismatch
    );
}

#[test]
fn policy_rules_for_cookie_providers() {
    let env = Env::new();
    let bad = |mutate: &dyn Fn(&mut Value), field: &str| {
        let mut d = doc(all_providers(), all_rules());
        mutate(&mut d);
        let e = env.policy(&d).unwrap_err();
        assert!(e.field.starts_with(field), "{field}: {e}");
    };
    bad(
        &|d| {
            d.as_object_mut().unwrap().remove("public_origin");
        },
        "public_origin",
    );
    bad(
        &|d| d["public_origin"] = json!("https://cdn.example.com/"),
        "public_origin",
    );
    bad(
        &|d| d["trusted_proxies"] = json!(["10.1.0.0/8"]),
        "trusted_proxies[0]",
    );
    bad(
        &|d| d["providers"]["gurl"]["issuer"] = json!(ISS),
        "providers.gurl.issuer",
    );
    bad(
        &|d| d["providers"]["gurl"]["from_cookies"] = json!(["x"]),
        "providers.gurl.from_*",
    );
    bad(
        &|d| d["providers"]["gurl"]["kind"] = json!("signed_link"),
        "providers.gurl.kind",
    );
    bad(
        &|d| d["providers"]["gurl"]["signed"]["scheme"] = json!("fastly"),
        "providers.gurl.signed.scheme",
    );
    bad(
        &|d| d["providers"]["gurl"]["signed"]["keys"][0]["secret_from_env"] = json!("NOPE"),
        "providers.gurl.signed.keys[0]",
    );
    bad(
        &|d| d["providers"]["akamai"]["signed"]["keys"] = json!([]),
        "providers.akamai.signed.keys",
    );
    bad(
        &|d| d["providers"]["idp"]["signed"] = json!({"scheme": "akamai_edgeauth", "keys": []}),
        "providers.idp.signed",
    );
    bad(
        &|d| d["providers"]["idp"]["typ"] = json!(["edgeward-session+jwt"]),
        "providers.idp.typ",
    );
    bad(
        &|d| d["providers"]["session"]["from_cookies"] = json!(["session"]),
        "providers.session.from_cookies",
    );
    bad(
        &|d| {
            d["providers"]["session"]
                .as_object_mut()
                .unwrap()
                .remove("audiences");
        },
        "providers.session.audiences",
    );
    bad(
        &|d| d["providers"]["session"]["local_jwks"] = kit().jwks(),
        "providers.session.secrets_from_env",
    );
    bad(
        &|d| d["providers"]["session"]["session"]["lifetime_seconds"] = json!(10),
        "providers.session.session.lifetime_seconds",
    );
    bad(
        &|d| d["providers"]["session"]["session"]["claims"] = json!(["cip"]),
        "providers.session.session.claims[0]",
    );
    bad(
        &|d| d["providers"]["gurl"]["dpop"] = json!("required"),
        "providers.gurl.dpop",
    );
    bad(
        &|d| d["providers"]["session"]["certificate_bound"] = json!("required"),
        "providers.session.certificate_bound",
    );
    // An Akamai-only policy needs no origin.
    let mut d = doc(
        json!({"akamai": all_providers()["akamai"].clone()}),
        json!([{"match": {"prefix": "/"}, "requires": {"provider_name": "akamai"}}]),
    );
    d.as_object_mut().unwrap().remove("public_origin");
    let p = env.policy(&d).unwrap();
    assert!(p.uses_client_ip);
    // A policy of JWT providers only never asks hosts for the client address.
    assert!(!common::policy_with(json!({}), Value::Null).uses_client_ip);
}

#[test]
fn cloudfront_signed_urls_and_cookies_through_the_decision() {
    use edgeward_cli::cookie::{cloudfront_sign, public_key_pem, CloudFrontPolicy};
    use edgeward_cli::keys::SigningKey;
    let env = Env::new();
    let rsa = SigningKey::generate(Alg::RS256).unwrap();
    let ec = SigningKey::generate(Alg::ES256).unwrap();
    let keys = json!([
        {"name": "K2JCJMDEHXQW5F", "public_key_pem": public_key_pem(&rsa).unwrap()},
        {"name": "KEC256EXAMPLE1", "public_key_pem": public_key_pem(&ec).unwrap()}]);
    let providers = json!({
        "cfurl": {"kind": "signed_url", "signed": {"scheme": "cloudfront", "keys": keys}},
        "cfcookie": {"kind": "signed_cookie", "signed": {"scheme": "cloudfront", "keys": keys},
                     "claim_to_headers": [{"header_name": "x-cf-key", "claim": "kid"}]},
    });
    let rules = json!([
        {"match": {"prefix": "/u/"}, "requires": {"provider_name": "cfurl"}},
        {"match": {"prefix": "/"}, "requires": {"provider_name": "cfcookie"}},
    ]);
    let p = env.policy(&doc(providers, rules)).expect("policy");

    // Canned URLs, RSA-SHA1 (CloudFront's default) and ECDSA-SHA256.
    for (key, id, sha256) in [
        (&rsa, "K2JCJMDEHXQW5F", false),
        (&ec, "KEC256EXAMPLE1", true),
    ] {
        let url = format!("{ORIGIN}/u/movie.mp4?lang=en");
        let s = cloudfront_sign(key, id, &url, CloudFrontPolicy::Canned(NOW + 60), sha256).unwrap();
        let d = run(&p, target(&s.url), &[], PEER, NOW);
        assert!(d.allow, "{id}: {d:?}");
        denied(
            &run(&p, target(&s.url), &[], PEER, NOW + 60),
            403,
            Reason::CookieExpired,
        );
        let moved = target(&s.url).replace("lang=en", "lang=fr");
        denied(
            &run(&p, &moved, &[], PEER, NOW),
            403,
            Reason::SignatureInvalid,
        );
        let unknown = target(&s.url).replace(id, "KUNKNOWN000001");
        denied(&run(&p, &unknown, &[], PEER, NOW), 403, Reason::KeyNotFound);
    }
    denied(
        &run(&p, "/u/movie.mp4", &[], PEER, NOW),
        403,
        Reason::CookieMissing,
    );

    // Custom-policy cookies: a wildcard resource, a start time and an IP block.
    let policy = format!(
        r#"{{"Statement":[{{"Resource":"{ORIGIN}/media/*","Condition":{{"DateLessThan":{{"AWS:EpochTime":{}}},"DateGreaterThan":{{"AWS:EpochTime":{}}},"IpAddress":{{"AWS:SourceIp":"198.51.100.0/24"}}}}}}]}}"#,
        NOW + 60,
        NOW - 5
    );
    let s = cloudfront_sign(
        &rsa,
        "K2JCJMDEHXQW5F",
        &format!("{ORIGIN}/media/x"),
        CloudFrontPolicy::Custom(&policy),
        false,
    )
    .unwrap();
    let cookie = s.cookies.join("; ");
    let h = [("cookie", cookie.as_str())];
    let d = run(&p, "/media/a/b.ts", &h, "198.51.100.7:1", NOW);
    assert!(d.allow, "{d:?}");
    assert!(d
        .set_headers
        .contains(&("x-cf-key".into(), "K2JCJMDEHXQW5F".into())));
    denied(
        &run(&p, "/media/a/b.ts", &h, PEER, NOW),
        403,
        Reason::CookieIpMismatch,
    );
    // The spoofed X-Forwarded-For of an untrusted peer changes nothing.
    let spoof = [
        ("cookie", cookie.as_str()),
        ("x-forwarded-for", "198.51.100.7"),
    ];
    denied(
        &run(&p, "/media/a/b.ts", &spoof, PEER, NOW),
        403,
        Reason::CookieIpMismatch,
    );
    let via = [
        ("cookie", cookie.as_str()),
        ("x-forwarded-for", "198.51.100.7"),
    ];
    assert!(run(&p, "/media/a/b.ts", &via, "10.0.0.9:1", NOW).allow);
    denied(
        &run(&p, "/other/b.ts", &h, "198.51.100.7", NOW),
        403,
        Reason::CookieScopeMismatch,
    );
    denied(
        &run(&p, "/media/a/b.ts", &h, "198.51.100.7", NOW - 10),
        403,
        Reason::CookieNotYetValid,
    );
    // One of the cookies twice (tossing), or one missing.
    let tossed = format!("{cookie}; CloudFront-Key-Pair-Id=KEC256EXAMPLE1");
    let d = run(
        &p,
        "/media/a/b.ts",
        &[("cookie", &tossed)],
        "198.51.100.7",
        NOW,
    );
    assert_eq!((d.status, d.reason), (400, Some(Reason::TokenAmbiguous)));
    let partial = s.cookies[..2].join("; ");
    denied(
        &run(
            &p,
            "/media/a/b.ts",
            &[("cookie", &partial)],
            "198.51.100.7",
            NOW,
        ),
        403,
        Reason::CookieMalformed,
    );
    denied(
        &run(&p, "/media/a/b.ts", &[], "198.51.100.7", NOW),
        403,
        Reason::CookieMissing,
    );

    // Keys are public and inline; a secret variable is refused.
    let mut bad = doc(
        json!({"cf": {"kind": "signed_url", "signed": {"scheme": "cloudfront",
        "keys": [{"name": "K1", "secret_from_env": "GOOGLE_KEY"}]}}}),
        json!([{"match": {"prefix": "/"}, "requires": {"provider_name": "cf"}}]),
    );
    assert!(env
        .policy(&bad)
        .unwrap_err()
        .field
        .starts_with("providers.cf.signed.keys[0]"));
    bad["providers"]["cf"]["signed"]["keys"] = json!([{"name": "K1", "public_key_pem": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}]);
    assert!(env
        .policy(&bad)
        .unwrap_err()
        .field
        .starts_with("providers.cf.signed.keys"));
}

#[test]
fn akamai_tokens_in_headers_keep_their_commas() {
    // Akamai's signer leaves commas in data= (without escape_early): a header holding such a
    // token is one credential, for ACL and URL tokens alike; two fields are two.
    let (env, p) = setup();
    let acl = akamai(&env, AkamaiScope::Acl("/akh/*"), None, Some("gold,hd"));
    let d = run(&p, "/akh/a.ts", &[("x-akamai-token", &acl)], PEER, NOW);
    assert!(d.allow, "{d:?}");
    assert!(d
        .set_headers
        .contains(&("x-session-data".into(), "gold,hd".into())));
    let url = akamai(&env, AkamaiScope::Url("/akuh/a.ts"), None, Some("a,b"));
    let d = run(&p, "/akuh/a.ts", &[("x-akamai-token", &url)], PEER, NOW);
    assert!(d.allow, "{d:?}");
    let two = [
        ("x-akamai-token", acl.as_str()),
        ("x-akamai-token", acl.as_str()),
    ];
    denied(
        &run(&p, "/akh/a.ts", &two, PEER, NOW),
        400,
        Reason::TokenAmbiguous,
    );
}

#[test]
fn the_policy_names_the_session_an_idp_token_earns() {
    let (_, p) = setup();
    let rule = |prefix: &str| {
        p.rules
            .iter()
            .position(|r| matches!(&r.path, edgeward::policy::PathMatch::Prefix(x) if x == prefix))
            .unwrap()
    };
    let idx = |name: &str| p.provider_index(name).unwrap();
    // `/app/` requires any of [session, idp]: an idp token earns a session cookie.
    assert_eq!(
        p.minting_session(rule("/app/"), idx("idp")),
        Some(idx("session"))
    );
    // A session cookie never mints another; an idp-only rule pairs none; nor does a signed one.
    assert_eq!(p.minting_session(rule("/app/"), idx("session")), None);
    assert_eq!(p.minting_session(rule("/"), idx("idp")), None);
    assert_eq!(p.minting_session(rule("/gc/"), idx("gcookie")), None);
    assert_eq!(p.minting_session(99, idx("idp")), None);
    // Nested: a requires_all holding the pair still pairs them.
    let env = Env::new();
    let nested = doc(
        all_providers(),
        json!([{"match": {"prefix": "/"}, "requires": {"requires_all": [
            {"provider_name": "gcookie"},
            {"requires_any": [{"provider_name": "idp"}, {"provider_name": "session"}]}]}}]),
    );
    let q = env.policy(&nested).unwrap();
    assert_eq!(
        q.minting_session(0, q.provider_index("idp").unwrap()),
        q.provider_index("session")
    );
}
