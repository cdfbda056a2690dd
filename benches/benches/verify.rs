//! Verify latency per algorithm: edgeward (full JWT path: parse, key choice, signature,
//! claims) against `jsonwebtoken` with its `aws_lc_rs` backend (the native reference), same
//! tokens and keys, in one run. Plus JWK-set parsing, policy loading and the request decision.
//!
//! Run: `make bench` (criterion, then `benches/table.py` prints the ratio table).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use edgeward::jwa::Alg;
use edgeward::Policy;
use edgeward_cli::keys::SigningKey;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};

const NOW: i64 = 1_800_000_000;
const ISS: &str = "https://idp.bench";

struct Case {
    alg: Alg,
    token: String,
    jwk: Value,
}

fn cases() -> Vec<Case> {
    let claims = json!({"iss": ISS, "aud": "api", "sub": "user-1", "exp": NOW + 3600,
                        "iat": NOW - 10, "scope": "read write", "name": "Bench User"});
    Alg::ALL
        .iter()
        .filter(|a| {
            !matches!(
                a,
                Alg::HS384 | Alg::HS512 | Alg::RS384 | Alg::RS512 | Alg::PS384 | Alg::PS512
            )
        })
        .map(|alg| {
            let key = SigningKey::generate(*alg).expect("keygen");
            let mut jwk = key.public_jwk();
            jwk.insert("kid".into(), alg.name().into());
            jwk.insert("alg".into(), alg.name().into());
            let header = json!({"alg": alg.name(), "typ": "JWT", "kid": alg.name()}).to_string();
            let input = format!(
                "{}.{}",
                edgeward::b64::encode(header.as_bytes()),
                edgeward::b64::encode(claims.to_string().as_bytes())
            );
            let sig = key.sign(*alg, input.as_bytes()).expect("sign");
            Case {
                alg: *alg,
                token: format!("{input}.{}", edgeward::b64::encode(&sig)),
                jwk: Value::Object(jwk),
            }
        })
        .collect()
}

fn policy(cases: &[Case]) -> Policy {
    let keys: Vec<Value> = cases.iter().map(|c| c.jwk.clone()).collect();
    let doc = json!({"version": 1, "providers": {"idp": {"issuer": ISS, "audiences": ["api"],
        "local_jwks": {"keys": keys},
        "claim_to_headers": [{"header_name": "x-sub", "claim": "sub"}]}},
        "rules": [{"match": {"prefix": "/"}, "requires": {"provider_name": "idp"}}]});
    Policy::from_json(doc.to_string().as_bytes()).expect("policy")
}

fn reference_key(c: &Case) -> Option<(DecodingKey, Algorithm)> {
    let s = |k: &str| c.jwk[k].as_str().unwrap_or_default().to_string();
    Some(match c.alg {
        Alg::HS256 => (
            DecodingKey::from_secret(&edgeward::b64::decode(&s("k")).ok()?),
            Algorithm::HS256,
        ),
        Alg::RS256 => (
            DecodingKey::from_rsa_components(&s("n"), &s("e")).ok()?,
            Algorithm::RS256,
        ),
        Alg::PS256 => (
            DecodingKey::from_rsa_components(&s("n"), &s("e")).ok()?,
            Algorithm::PS256,
        ),
        Alg::ES256 => (
            DecodingKey::from_ec_components(&s("x"), &s("y")).ok()?,
            Algorithm::ES256,
        ),
        Alg::ES384 => (
            DecodingKey::from_ec_components(&s("x"), &s("y")).ok()?,
            Algorithm::ES384,
        ),
        Alg::EdDSA => (
            DecodingKey::from_ed_components(&s("x")).ok()?,
            Algorithm::EdDSA,
        ),
        _ => return None, // jsonwebtoken has no ES512
    })
}

fn bench_verify(c: &mut Criterion) {
    let cases = cases();
    let policy = policy(&cases);
    let provider = &policy.providers[0];
    for case in &cases {
        let mut g = c.benchmark_group(format!("verify_{}", case.alg.name()));
        assert!(
            provider.verify_jwt(&case.token, NOW).is_ok(),
            "{}",
            case.alg.name()
        );
        g.bench_function("edgeward", |b| {
            b.iter(|| provider.verify_jwt(black_box(&case.token), NOW).is_ok());
        });
        if let Some((key, alg)) = reference_key(case) {
            let mut v = Validation::new(alg);
            v.set_issuer(&[ISS]);
            v.set_audience(&["api"]);
            v.leeway = 60;
            // jsonwebtoken reads the system clock; our tokens expire in 2027 + 1 h, so keep
            // them valid by not checking exp here (the cost difference is negligible).
            v.validate_exp = false;
            v.required_spec_claims.clear();
            let r = jsonwebtoken::decode::<Value>(&case.token, &key, &v);
            assert!(r.is_ok(), "reference {}: {r:?}", case.alg.name());
            g.bench_function("jsonwebtoken", |b| {
                b.iter(|| jsonwebtoken::decode::<Value>(black_box(&case.token), &key, &v).is_ok());
            });
        }
        g.finish();
    }
}

fn bench_setup(c: &mut Criterion) {
    let cases = cases();
    let keys: Vec<Value> = cases.iter().map(|c| c.jwk.clone()).collect();
    let jwks = json!({"keys": keys}).to_string();
    let doc = json!({"version": 1, "providers": {"idp": {"issuer": ISS, "audiences": ["api"],
        "local_jwks": {"keys": keys}}},
        "rules": [{"match": {"prefix": "/"}, "requires": {"provider_name": "idp"}}]})
    .to_string();
    let mut g = c.benchmark_group("setup");
    g.bench_function("jwks_parse_7_keys", |b| {
        b.iter(|| {
            edgeward::jwk::KeySet::from_jwks(
                black_box(jwks.as_bytes()),
                edgeward::jwa::AlgSet::all(),
                edgeward::jwk::Origin::Local,
            )
            .is_ok()
        });
    });
    g.bench_function("policy_load", |b| {
        b.iter(|| Policy::from_json(black_box(doc.as_bytes())).is_ok())
    });
    g.finish();

    let policy = policy(&cases);
    let hs = cases
        .iter()
        .find(|c| c.alg == Alg::HS256)
        .map(|c| format!("Bearer {}", c.token));
    let hs = hs.unwrap_or_default();
    let headers = [
        ("host", "api.example"),
        ("user-agent", "bench"),
        ("authorization", hs.as_str()),
        ("accept", "*/*"),
    ];
    let mut g = c.benchmark_group("decide");
    g.bench_function("HS256_request", |b| {
        b.iter(|| {
            edgeward::decide(
                &policy,
                &edgeward::Request {
                    method: "GET",
                    path: "/api/items?x=1",
                    headers: black_box(&headers),
                    client_addr: None,
                    peer_certificate: None,
                    route: None,
                    now: NOW,
                },
            )
            .allow
        });
    });
    g.finish();
}

/// Signed URLs, signed cookies and session cookies through the whole request decision, and an
/// RS256 bearer token on the session cookie's route (`requires_any` of the session and the
/// identity provider: what a session cookie replaces). CloudFront with an RSA key (SHA-1, its
/// default) and an ECDSA P-256 key (SHA-256).
fn bench_signed(c: &mut Criterion) {
    use base64::Engine as _;
    use edgeward_cli::cookie::{self, AkamaiScope, AkamaiToken};
    let google = base64::engine::general_purpose::URL_SAFE.encode(cookie::random_bytes(16));
    let akamai: String = cookie::random_bytes(32)
        .iter()
        .fold(String::new(), |mut s, b| {
            s.push_str(&format!("{b:02x}"));
            s
        });
    let session = edgeward::b64::encode(&cookie::random_bytes(32));
    let rsa = SigningKey::generate(Alg::RS256).expect("keygen");
    let mut jwk = rsa.public_jwk();
    jwk.insert("kid".into(), "rs".into());
    jwk.insert("alg".into(), "RS256".into());
    let origin = "https://cdn.example.com";
    let cf_key = SigningKey::generate(Alg::RS256).expect("keygen");
    let cf_pem = cookie::public_key_pem(&cf_key).expect("pem");
    let cf_ec_key = SigningKey::generate(Alg::ES256).expect("keygen");
    let cf_ec_pem = cookie::public_key_pem(&cf_ec_key).expect("pem");
    let doc = json!({"version": 1, "public_origin": origin,
        "providers": {
            "idp": {"issuer": ISS, "audiences": ["api"], "local_jwks": {"keys": [jwk]}},
            "gurl": {"kind": "signed_url", "signed": {"scheme": "google_cloud_cdn",
                "keys": [{"name": "k1", "secret_from_env": "G"}]}},
            "gcookie": {"kind": "signed_cookie", "signed": {"scheme": "google_cloud_cdn",
                "keys": [{"name": "k1", "secret_from_env": "G"}]}},
            "cfurl": {"kind": "signed_url", "signed": {"scheme": "cloudfront",
                "keys": [{"name": "K2JCJMDEHXQW5F", "public_key_pem": cf_pem},
                         {"name": "KEC256P256BENCH", "public_key_pem": cf_ec_pem}]}},
            "cfcookie": {"kind": "signed_cookie", "signed": {"scheme": "cloudfront",
                "keys": [{"name": "K2JCJMDEHXQW5F", "public_key_pem": cf_pem}]}},
            "akamai": {"kind": "signed_cookie", "signed": {"scheme": "akamai_edgeauth",
                "keys": [{"secret_from_env": "A"}]}},
            "session": {"kind": "session_cookie", "issuer": "https://edge.bench",
                "audiences": ["app"],
                "secrets_from_env": [{"env": "S", "alg": "HS256", "kid": "s1"}]}},
        "rules": [
            {"match": {"prefix": "/g/"}, "requires": {"provider_name": "gurl"}},
            {"match": {"prefix": "/gc/"}, "requires": {"provider_name": "gcookie"}},
            {"match": {"prefix": "/ak/"}, "requires": {"provider_name": "akamai"}},
            {"match": {"prefix": "/cf/"}, "requires": {"provider_name": "cfurl"}},
            {"match": {"prefix": "/cfc/"}, "requires": {"provider_name": "cfcookie"}},
            {"match": {"prefix": "/app/"}, "requires": {"requires_any": [
                {"provider_name": "session"}, {"provider_name": "idp"}]}},
            {"match": {"prefix": "/"}, "requires": {"provider_name": "idp"}}]})
    .to_string();
    let env = |k: &str| match k {
        "G" => Some(google.clone()),
        "A" => Some(akamai.clone()),
        "S" => Some(session.clone()),
        _ => None,
    };
    let policy = Policy::from_json_with_env(doc.as_bytes(), &env).expect("policy");
    let gkey = cookie::google_key(&google).expect("key");
    let url = cookie::google_sign_url(
        &gkey,
        "k1",
        &format!("{origin}/g/v/seg-1.ts?q=1"),
        None,
        NOW + 3600,
    );
    let gurl_path = url.strip_prefix(origin).unwrap_or("/").to_string();
    let gcookie = format!(
        "Cloud-CDN-Cookie={}",
        cookie::google_sign_cookie(&gkey, "k1", &format!("{origin}/gc/"), NOW + 3600)
    );
    let ak = cookie::akamai_sign(&AkamaiToken {
        key_hex: &akamai,
        algorithm: "sha256",
        scope: AkamaiScope::Acl("/ak/*"),
        expires: NOW + 3600,
        start: None,
        ip: None,
        id: None,
        data: None,
        salt: None,
    })
    .expect("akamai");
    let ak = format!("__token__={ak}");
    let claims = edgeward::json::parse(
        json!({"sub": "user-1", "exp": NOW + 3600})
            .to_string()
            .as_bytes(),
        &edgeward::json::Limits::CLAIMS,
    )
    .expect("claims");
    let index = policy.provider_index("session").expect("session");
    let minted =
        edgeward::credential::mint(&policy.providers[index], &claims, NOW, None).expect("mint");
    let session_cookie = format!("__Host-edgeward-session={}", minted.value);
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": "rs"}).to_string();
    let body = json!({"iss": ISS, "aud": "api", "sub": "user-1", "exp": NOW + 3600}).to_string();
    let input = format!(
        "{}.{}",
        edgeward::b64::encode(header.as_bytes()),
        edgeward::b64::encode(body.as_bytes())
    );
    let sig = rsa.sign(Alg::RS256, input.as_bytes()).expect("sign");
    let bearer = format!("Bearer {input}.{}", edgeward::b64::encode(&sig));
    let cf = |url: &str| {
        cookie::cloudfront_sign(
            &cf_key,
            "K2JCJMDEHXQW5F",
            url,
            cookie::CloudFrontPolicy::Canned(NOW + 3600),
            false,
        )
        .expect("cloudfront")
    };
    let cf_url = cf(&format!("{origin}/cf/v/seg-1.ts"));
    let cf_path = cf_url.url.strip_prefix(origin).unwrap_or("/").to_string();
    let cf_cookie = cf(&format!("{origin}/cfc/v/seg-1.ts")).cookies.join("; ");
    let cf_ec_url = cookie::cloudfront_sign(
        &cf_ec_key,
        "KEC256P256BENCH",
        &format!("{origin}/cf/v/seg-1.ts"),
        cookie::CloudFrontPolicy::Canned(NOW + 3600),
        true,
    )
    .expect("cloudfront");
    let cf_ec_path = cf_ec_url
        .url
        .strip_prefix(origin)
        .unwrap_or("/")
        .to_string();
    let rows: [(&str, &str, (&str, &str)); 8] = [
        ("cloudfront_signed_url", cf_path.as_str(), ("accept", "*/*")),
        (
            "cloudfront_signed_url_ecdsa_sha256",
            cf_ec_path.as_str(),
            ("accept", "*/*"),
        ),
        (
            "cloudfront_signed_cookie",
            "/cfc/v/seg-1.ts",
            ("cookie", cf_cookie.as_str()),
        ),
        ("google_signed_url", gurl_path.as_str(), ("accept", "*/*")),
        (
            "google_signed_cookie",
            "/gc/v/seg-1.ts",
            ("cookie", gcookie.as_str()),
        ),
        ("akamai_cookie", "/ak/v/seg-1.ts", ("cookie", ak.as_str())),
        (
            "session_cookie",
            "/app/items",
            ("cookie", session_cookie.as_str()),
        ),
        (
            "rs256_bearer",
            "/app/items",
            ("authorization", bearer.as_str()),
        ),
    ];
    let mut g = c.benchmark_group("signed_decide");
    for (name, path, h) in rows {
        let headers = [("host", "cdn.example.com"), ("user-agent", "bench"), h];
        let req = edgeward::Request {
            method: "GET",
            path,
            headers: &headers,
            client_addr: Some("198.51.100.7:5000"),
            peer_certificate: None,
            route: None,
            now: NOW + 1,
        };
        let d = edgeward::decide(&policy, &req);
        assert!(d.allow, "{name}: {:?}", d.reason);
        g.bench_function(name, |b| {
            b.iter(|| edgeward::decide(&policy, black_box(&req)).allow)
        });
    }
    g.finish();
}

criterion_group!(benches, bench_verify, bench_setup, bench_signed);
criterion_main!(benches);
