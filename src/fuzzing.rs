//! Fuzzing entry points: every way untrusted bytes enter the core, one function each, so the
//! fuzz targets in `fuzz/` stay one line long and `cargo test` runs the same entry points over
//! the seed corpus. Each entry point must return normally for every input: a panic here is a
//! crashed wasm VM in a host (a fail-closed outage, but an outage).
//!
//! Built only with the `fuzzing` feature (the fuzz crate and the tests turn it on); it needs
//! `std` (a per-thread compiled policy).

use alloc::string::String;
use alloc::vec::Vec;

use crate::cache::{CacheLimits, TokenCache};
use crate::json::{self, Limits};
use crate::jwa::AlgSet;
use crate::jwk::{KeySet, Origin};
use crate::{b64, claims, decide_with_cache, path, Policy, Request};

/// A public P-256 key (RFC 7515 appendix A.3: public, published test material) and a policy
/// with a provider of every kind and option: every claim check, several token sources, `DPoP`
/// (required and optional, with server nonces), certificate-bound tokens (the connection and a
/// trusted terminator's header), inline revocation, each signed URL and cookie scheme, session
/// cookies (IP-bound and `DPoP`-bound), one-time tokens, report mode, rules and header edits.
const POLICY: &str = r#"{
  "version": 1,
  "realm": "fuzz",
  "public_origin": "https://api.fuzz",
  "trusted_proxies": ["10.0.0.0/8", "2001:db8::/32"],
  "client_certificate_header": {"name": "x-client-cert", "format": "xfcc"},
  "providers": {
    "idp": {
      "issuer": "https://idp.fuzz",
      "audiences": ["api", "other"],
      "algorithms": ["ES256", "RS256", "EdDSA"],
      "local_jwks": {"keys": [{"kty": "EC", "crv": "P-256", "kid": "e1",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]},
      "subjects": [{"prefix": "svc-"}, {"exact": "alice"}],
      "required_scopes": ["read"],
      "required_claims": ["jti"],
      "claim_rules": [{"claim": "/tenant", "equals": "t1"}, {"claim": "/role", "any_of": ["admin", "ops"]}],
      "max_lifetime_seconds": 3600,
      "from_headers": [{"name": "authorization", "value_prefix": "Bearer "}, {"name": "x-token"}],
      "from_params": ["access_token"],
      "from_cookies": ["session"],
      "claim_to_headers": [{"header_name": "x-user", "claim": "sub"}],
      "forward_payload_header": "x-payload"
    },
    "other": {
      "issuer": "https://other.fuzz",
      "local_jwks": {"keys": [{"kty": "EC", "crv": "P-256", "kid": "e1",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}
    },
    "pop": {
      "issuer": "https://idp.fuzz",
      "local_jwks": {"keys": [{"kty": "EC", "crv": "P-256", "kid": "e1",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]},
      "dpop": "required",
      "dpop_proof": {"algorithms": ["ES256", "EdDSA"], "nonce_secret_from_env": "NONCE"}
    },
    "popopt": {
      "issuer": "https://idp.fuzz",
      "local_jwks": {"keys": [{"kty": "EC", "crv": "P-256", "kid": "e1",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]},
      "dpop": "optional"
    },
    "mtls": {
      "issuer": "https://idp.fuzz",
      "local_jwks": {"keys": [{"kty": "EC", "crv": "P-256", "kid": "e1",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]},
      "certificate_bound": "required"
    },
    "gurl": {"kind": "signed_url", "signed": {"scheme": "google_cloud_cdn",
      "keys": [{"name": "k", "secret_from_env": "GOOGLE"}]},
      "claim_to_headers": [{"header_name": "x-key", "claim": "kid"}]},
    "gcookie": {"kind": "signed_cookie", "signed": {"scheme": "google_cloud_cdn",
      "keys": [{"name": "k", "secret_from_env": "GOOGLE"}]}},
    "akamai": {"kind": "signed_cookie", "signed": {"scheme": "akamai_edgeauth",
      "keys": [{"secret_from_env": "AKAMAI"}]},
      "claim_to_headers": [{"header_name": "x-data", "claim": "data"}]},
    "akurl": {"kind": "signed_url", "signed": {"scheme": "akamai_edgeauth",
      "keys": [{"secret_from_env": "AKAMAI"}]}},
    "cfurl": {"kind": "signed_url", "signed": {"scheme": "cloudfront",
      "keys": [{"name": "KFUZZ", "public_key_pem": "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEf83OJ3D2xF1Bg8vub9tLe1gHMzV7\n6e8Tus9uPHvRVEXH8UTNG72bfocs3+257rn0s2ldbqkLJK2KRiMohYjlrQ==\n-----END PUBLIC KEY-----\n"}]}},
    "cfcookie": {"kind": "signed_cookie", "signed": {"scheme": "cloudfront",
      "keys": [{"name": "KFUZZ", "public_key_pem": "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEf83OJ3D2xF1Bg8vub9tLe1gHMzV7\n6e8Tus9uPHvRVEXH8UTNG72bfocs3+257rn0s2ldbqkLJK2KRiMohYjlrQ==\n-----END PUBLIC KEY-----\n"}]}},
    "session": {"kind": "session_cookie", "issuer": "https://api.fuzz/session",
      "audiences": ["app"],
      "secrets_from_env": [{"env": "SESSION", "alg": "HS256", "kid": "s1"},
                           {"env": "SESSION", "alg": "HS384", "kid": "s2"}],
      "session": {"lifetime_seconds": 600, "bind_client_ip": true, "claims": ["scope", "tenant"]},
      "claim_to_headers": [{"header_name": "x-session-user", "claim": "sub"}]},
    "popsession": {"kind": "session_cookie", "issuer": "https://api.fuzz/pop-session",
      "audiences": ["app"], "from_cookies": ["__Host-pop-session"],
      "secrets_from_env": [{"env": "SESSION", "alg": "HS256", "kid": "p1"}],
      "session": {"bind_dpop_key": true}}
  },
  "revocation": {
    "inline": {
      "jti": [{"iss": "https://idp.fuzz", "jti": "revoked"}],
      "subjects": [{"iss": "https://idp.fuzz", "sub": "alice", "issued_before": 1800000000}],
      "issuers": [{"iss": "https://other.fuzz", "not_before": 1700000000}]
    },
    "providers": ["idp", "other", "pop", "mtls"]
  },
  "rules": [
    {"match": {"prefix": "/public/"}, "requires": {"allow_missing": {}}},
    {"match": {"prefix": "/any/"}, "requires": {"requires_any": [
      {"provider_name": "idp"}, {"provider_name": "other"}, {"allow_missing_or_failed": {}}]}},
    {"match": {"prefix": "/all/", "methods": ["POST"]}, "requires": {"requires_all": [
      {"provider_name": "idp"}, {"provider_name": "other"}]}},
    {"match": {"prefix": "/shadow/"}, "requires": {"provider_name": "idp"}, "mode": "report"},
    {"match": {"prefix": "/pop/"}, "requires": {"provider_name": "pop"}},
    {"match": {"prefix": "/popopt/"}, "requires": {"provider_name": "popopt"}},
    {"match": {"prefix": "/mtls/"}, "requires": {"provider_name": "mtls"}},
    {"match": {"prefix": "/once/"}, "requires": {"provider_name": "idp"}, "one_time_jti": true},
    {"match": {"prefix": "/g/"}, "requires": {"provider_name": "gurl"}},
    {"match": {"prefix": "/gc/"}, "requires": {"provider_name": "gcookie"}},
    {"match": {"prefix": "/ak/"}, "requires": {"provider_name": "akamai"}},
    {"match": {"prefix": "/aku/"}, "requires": {"provider_name": "akurl"}},
    {"match": {"prefix": "/cf/"}, "requires": {"provider_name": "cfurl"}},
    {"match": {"prefix": "/cfc/"}, "requires": {"provider_name": "cfcookie"}},
    {"match": {"prefix": "/app/"}, "requires": {"requires_any": [
      {"provider_name": "session"}, {"provider_name": "idp"}]}},
    {"match": {"prefix": "/ps/"}, "requires": {"provider_name": "popsession"}},
    {"match": {"prefix": "/"}, "requires": {"provider_name": "idp"}}
  ],
  "bypass_cors_preflight": true
}"#;

/// The secrets [`POLICY`] names: fixed dummies (a fuzzer cannot forge a MAC either way).
fn env(name: &str) -> Option<String> {
    match name {
        "GOOGLE" => Some("AAAAAAAAAAAAAAAAAAAAAA==".into()),
        "AKAMAI" => Some("00000000000000000000000000000000".into()),
        "NONCE" => Some(b64::encode(&[7u8; 32])),
        "SESSION" => Some(b64::encode(&[9u8; 48])),
        _ => None,
    }
}

fn policy() -> Option<Policy> {
    Policy::from_json_with_env(POLICY.as_bytes(), &env).ok()
}

std::thread_local! {
    /// Compiled once per fuzzing thread: the entry points judge inputs, not policy loading.
    static COMPILED: Option<Policy> = policy();
}

fn with_policy(f: impl FnOnce(&Policy)) {
    COMPILED.with(|p| {
        if let Some(p) = p {
            f(p);
        }
    });
}

/// Strict base64url and the bounded JSON parser.
pub fn b64_and_json(data: &[u8]) {
    if let Ok(s) = core::str::from_utf8(data) {
        let _ = b64::decode(s);
        let _ = b64::decode_capped(s, 64);
    }
    for limits in [Limits::POLICY, Limits::CLAIMS] {
        if let Ok(v) = json::parse(data, &limits) {
            let _ = v.to_json();
            let _ = v.pointer("/a/0");
        }
    }
}

/// A JWK set, fetched (public keys only) and local.
pub fn jwks(data: &[u8]) {
    let _ = KeySet::from_jwks(data, AlgSet::all(), Origin::Fetched);
    let _ = KeySet::from_jwks(data, AlgSet::all(), Origin::Local);
}

/// A revocation list: the input as a whole bundle (a fuzzer cannot forge a signature, so this
/// drives the size cap, the JWS split and the header), as a payload signed here with a dummy
/// HMAC key (the whole path after the signature: payload scanner, entry caps, `seq`, times),
/// as the payload parser alone and as an inline list.
///
/// # Panics
/// When a list [`crate::revocation::RevocationList::from_bundle`] accepted is not fresh at the
/// time it was loaded (a broken invariant, which is the finding).
pub fn revocation(data: &[u8]) {
    use crate::jwa::{hmac_sign, Alg};
    use crate::revocation::{fuzz_payload, RevocationList};
    let secret = [0u8; 32];
    let jwks = alloc::format!(
        r#"{{"keys":[{{"kty":"oct","kid":"k","alg":"HS256","k":"{}"}}]}}"#,
        b64::encode(&secret)
    );
    let Ok(keys) = KeySet::from_jwks(jwks.as_bytes(), AlgSet::all(), Origin::Local) else {
        return;
    };
    let now = 1_800_000_000;
    let _ = RevocationList::from_bundle(data, &keys, AlgSet::all(), now, 3600, Some(1));
    let header = br#"{"alg":"HS256","kid":"k","typ":"edgeward-revocations+jwt"}"#;
    let input = alloc::format!("{}.{}", b64::encode(header), b64::encode(data));
    if let Some(tag) = hmac_sign(Alg::HS256, &secret, input.as_bytes()) {
        let bundle = alloc::format!("{input}.{}", b64::encode(&tag));
        for held in [None, Some(0), Some(u64::MAX)] {
            if let Ok(list) = RevocationList::from_bundle(
                bundle.as_bytes(),
                &keys,
                AlgSet::all(),
                now,
                3600,
                held,
            ) {
                let _ = list.check(Some("i"), Some("j"), Some("s"), Some(0));
                assert!(list.is_fresh(now, 3600), "a list just loaded is fresh");
            }
        }
    }
    fuzz_payload(data);
}

/// A policy document (with every environment variable set to a 32-byte secret).
pub fn policy_doc(data: &[u8]) {
    let env = |_: &str| Some(String::from("c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I"));
    let _ = Policy::from_json_with_env(data, &env);
}

/// A token through the whole JWT path of a provider, and its claims through the claim
/// checks (a fuzzer cannot forge a signature, so claims are also checked directly).
pub fn token(data: &[u8]) {
    with_policy(|p| token_with(p, data));
}

fn token_with(p: &Policy, data: &[u8]) {
    let now = 1_800_000_000;
    if let Ok(t) = core::str::from_utf8(data) {
        let _ = p.route(t);
        for prov in &p.providers {
            let _ = prov.verify_jwt(t, now);
            let _ = prov.verify_jws(t);
        }
    }
    if let (Ok(v), Some(prov)) = (json::parse(data, &Limits::CLAIMS), p.providers.first()) {
        let _ = claims::check(&v, &prov.expectations, now);
    }
}

/// One request: the first line is `METHOD TARGET`, each further line `name: value`, except
/// that `:peer: ADDRESS` sets the peer's address and `:cert: HEX` the connection's client
/// certificate digest; the target also goes through path normalisation alone.
pub fn request(data: &[u8]) {
    with_policy(|p| request_with(p, data));
}

fn request_with(p: &Policy, data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let first = lines.next().unwrap_or("");
    let (method, target) = first.split_once(' ').unwrap_or(("GET", first));
    let _ = path::normalize(target);
    let (mut client_addr, mut peer_certificate) = (None, None);
    let mut headers: Vec<(&str, &str)> = Vec::new();
    for (name, value) in lines.filter_map(|l| l.split_once(':').map(|(n, v)| (n, v.trim_start()))) {
        if name.is_empty() {
            match value.split_once(':') {
                Some(("peer", v)) => client_addr = Some(v.trim_start()),
                Some(("cert", v)) => peer_certificate = Some(v.trim_start()),
                _ => headers.push((name, value)),
            }
        } else {
            headers.push((name, value));
        }
    }
    let mut cache = TokenCache::new(CacheLimits {
        max_entries: 4,
        max_bytes: 4096,
    });
    for now in [0, 1_800_000_000, i64::MAX] {
        let req = Request {
            method,
            path: target,
            headers: &headers,
            client_addr,
            peer_certificate,
            route: None,
            now,
        };
        let d = decide_with_cache(p, &req, Some(&mut cache));
        check_invariants(&d);
    }
}

/// What every host relies on in a decision.
fn check_invariants(d: &crate::Decision) {
    assert!(
        d.allow == (d.status == 200),
        "status agrees with the verdict"
    );
    assert!(d.allow || d.reason.is_some(), "a denial has a reason");
    for (name, value) in d.set_headers.iter().chain(&d.response_headers) {
        assert!(
            !name.is_empty() && !value.contains(['\r', '\n', '\0']),
            "header edits are safe"
        );
    }
    assert!(
        d.allow || (d.set_headers.is_empty() && d.replay.is_empty()),
        "a denial sets nothing and records nothing"
    );
    if let Some(reason) = d.reason {
        assert!(!d.body.is_empty() || d.allow, "a denial names {reason:?}");
    }
}

/// Signed URLs, cookies and tokens: the first line is the credential (a URL, a cookie value or
/// an Akamai token), the rest the request URL or path. Keys are all-zero dummies: a fuzzer
/// cannot forge a MAC, so this drives the decoders and every check before the MAC.
pub fn signed(data: &[u8]) {
    use crate::signed::{akamai, google};
    let text = String::from_utf8_lossy(data);
    let (first, rest) = text.split_once('\n').unwrap_or((&text, "/"));
    let now = 1_800_000_000;
    if let Ok(keys) = google::GoogleKeys::new([("k", "AAAAAAAAAAAAAAAAAAAAAA==")]) {
        let _ = google::verify_url(&keys, first, now);
        let _ = google::verify_cookie(&keys, first, rest, now);
        let _ = google::prefix_lacks_trailing_slash(first);
    }
    for alg in [
        akamai::Algorithm::Sha256,
        akamai::Algorithm::Sha1,
        akamai::Algorithm::Md5,
    ] {
        if let Ok(cfg) = akamai::AkamaiConfig::new("00000000000000000000000000000000", alg) {
            for early in [false, true] {
                let cfg = cfg.clone().with_escape_early(early);
                let _ = akamai::verify(&cfg, first, rest, Some("1.2.3.4"), now);
                let _ = akamai::verify(&cfg, first, rest, None, now);
            }
        }
    }
    let _ = akamai::acl_matches(first, rest);
    cloudfront(data, first, rest, now);
    with_policy(|p| {
        session(p, first, rest, now);
    });
}

/// Session cookies: the first line as the cookie of each session provider, and as the claims
/// of an identity-provider token a session is minted from; a cookie minted here must verify
/// (the same client, at once), and a changed one must not.
///
/// # Panics
/// When a freshly minted cookie is refused or a cookie with a flipped signature is accepted
/// (the finding).
fn session(p: &Policy, first: &str, rest: &str, now: i64) -> bool {
    use crate::credential;
    use crate::json::Limits;
    let peer = "10.1.2.3";
    let run = |path: &str, headers: &[(&str, &str)]| {
        let req = Request {
            method: "GET",
            path,
            headers,
            client_addr: Some(peer),
            peer_certificate: None,
            route: None,
            now,
        };
        let d = crate::decide(p, &req);
        check_invariants(&d);
        d
    };
    let session = alloc::format!("{}={first}", credential::DEFAULT_SESSION_COOKIE);
    let _ = run("/app/x", &[("cookie", &session), ("x-forwarded-for", rest)]);
    let pop = alloc::format!("__Host-pop-session={first}");
    let _ = run("/ps/x", &[("cookie", &pop), ("dpop", rest)]);
    let (Ok(claims), Some(i)) = (
        json::parse(first.as_bytes(), &Limits::CLAIMS),
        p.provider_index("session"),
    ) else {
        return false;
    };
    let Ok(minted) = credential::mint(
        &p.providers[i],
        &claims,
        now,
        crate::context::parse_addr(peer),
    ) else {
        return false;
    };
    let cookie = alloc::format!("{}={}", credential::DEFAULT_SESSION_COOKIE, minted.value);
    let d = run("/app/x", &[("cookie", &cookie)]);
    assert!(
        d.allow && d.provider.as_deref() == Some("session"),
        "a minted cookie verifies: {d:?}"
    );
    let mut flipped = cookie.into_bytes();
    if let Some(last) = flipped.last_mut() {
        *last = if *last == b'A' { b'B' } else { b'A' };
    }
    let d = run("/app/x", &[("cookie", &String::from_utf8_lossy(&flipped))]);
    assert!(
        !d.allow || d.provider.as_deref() != Some("session"),
        "a changed cookie is refused"
    );
    true
}

/// `DPoP` (RFC 9449): the input as a whole proof; as the claims of a proof signed here with an
/// Ed25519 key derived from a fixed label (a fuzzer cannot forge a signature, so this drives
/// every claim check), with and without an access token and a nonce key; each line through
/// [`crate::dpop::normalize_htu`] (which must be idempotent) and the nonce check; the input as
/// replay bucket bytes.
///
/// # Panics
/// When [`crate::dpop::normalize_htu`] is not idempotent (the finding).
pub fn dpop(data: &[u8]) {
    use crate::dpop::{self, DpopConfig, NonceKey};
    use crate::replay::{bucket_insert, replay_key, BucketRing, ReplayCache};
    use ed25519_dalek::Signer;
    use sha2::Digest as _;
    let now = 1_800_000_000;
    let text = String::from_utf8_lossy(data);
    let nonce_key = NonceKey::new(&[7u8; 32], 60);
    let configs = [
        DpopConfig::default(),
        DpopConfig {
            algorithms: dpop::ASYMMETRIC,
            max_age_seconds: i64::MAX,
            max_future_seconds: i64::MAX,
            nonce: nonce_key.clone(),
        },
    ];
    let url = "https://api.fuzz/r";
    for cfg in &configs {
        for t in [now, i64::MIN, i64::MAX] {
            let _ = dpop::verify_proof(&text, "GET", url, None, t, cfg);
        }
    }
    let seed: [u8; 32] = sha2::Sha256::digest(b"edgeward fuzz dpop key").into();
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    let header = alloc::format!(
        r#"{{"typ":"dpop+jwt","alg":"EdDSA","jwk":{{"kty":"OKP","crv":"Ed25519","x":"{}"}}}}"#,
        b64::encode(key.verifying_key().as_bytes())
    );
    let input = alloc::format!("{}.{}", b64::encode(header.as_bytes()), b64::encode(data));
    let proof = alloc::format!(
        "{input}.{}",
        b64::encode(&key.sign(input.as_bytes()).to_bytes())
    );
    let mut keys = dpop::ProofKeyCache::new(1);
    for cfg in &configs {
        for token in [None, Some("at")] {
            let cached = dpop::verify_proof_cached(&proof, "GET", url, token, now, cfg, &mut keys);
            let plain = dpop::verify_proof(&proof, "GET", url, token, now, cfg);
            assert_eq!(cached, plain, "the key cache changes no verdict");
            if let Ok(p) = plain {
                let _ = dpop::check_binding(&p.jkt, &p);
                let mut cache = ReplayCache::new(2, 600);
                let k = replay_key(&p.jkt, &p.jti);
                let _ = cache.insert_if_absent(k, p.iat.saturating_add(300), now);
                assert!(
                    cache
                        .insert_if_absent(k, p.iat.saturating_add(300), now)
                        .is_err()
                        || p.iat.saturating_add(300) <= now
                );
            }
        }
    }
    for line in text.split('\n') {
        if let Some(n) = dpop::normalize_htu(line) {
            assert_eq!(
                dpop::normalize_htu(&n).as_deref(),
                Some(n.as_str()),
                "idempotent"
            );
        }
        if let Some(k) = &nonce_key {
            let _ = k.check(line, now);
        }
        let _ = dpop::single_proof(line.split(' '));
    }
    if let Some(ring) = BucketRing::for_window("fuzz:", 300, 5, 60, 8) {
        let _ = ring.insert(data, [1u8; 16], now, now);
        let _ = bucket_insert(data, [2u8; 16], 5, 5, 8);
        let _ = bucket_insert(data, [3u8; 16], 5, 6, 1);
    }
}

/// The RFC 7515 appendix A.3 P-256 public key (the one in [`POLICY`]) as a PEM
/// `SubjectPublicKeyInfo`, for the `CloudFront` key set.
const CLOUDFRONT_PEM: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEf83OJ3D2xF1Bg8vub9tLe1gHMzV7
6e8Tus9uPHvRVEXH8UTNG72bfocs3+257rn0s2ldbqkLJK2KRiMohYjlrQ==
-----END PUBLIC KEY-----
";

/// `CloudFront`: the first line as a signed URL and as each cookie value, the rest as the
/// request URL, against a key set holding the RFC 7515 appendix A.3 P-256 public key
/// (published test material); then the module's parsers (DER, PEM, policy JSON, CIDR, base64,
/// URL split) on the raw input, and the resource matcher.
fn cloudfront(data: &[u8], first: &str, rest: &str, now: i64) {
    use crate::signed::cloudfront::{self, CloudFrontKeys, Cookies};
    let Ok(keys) = CloudFrontKeys::new([("KFUZZ", CLOUDFRONT_PEM)]) else {
        return;
    };
    let ips = [None, "192.0.2.1".parse().ok(), "2001:db8::1".parse().ok()];
    for ip in ips {
        let _ = cloudfront::verify_url(&keys, first, ip, now);
    }
    let mut fields = first.split(';');
    let mut next = || fields.next().filter(|f| !f.is_empty());
    let (policy, expires, signature, hash) = (next(), next(), next(), next());
    let cookies = Cookies {
        policy,
        expires,
        signature: signature.unwrap_or(first),
        key_pair_id: "KFUZZ",
        hash_algorithm: hash,
    };
    for ip in ips {
        let _ = cloudfront::verify_cookies(&keys, &cookies, rest, ip, now);
    }
    cloudfront::fuzz_parsers(data, first);
    let _ = cloudfront::resource_matches(first, rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fuzz_policy_loads() {
        assert!(
            policy().is_some(),
            "{:?}",
            Policy::from_json_with_env(POLICY.as_bytes(), &env).err()
        );
    }

    #[test]
    fn the_cloudfront_fuzz_key_loads() {
        // Or the `CloudFront` part of `signed` would stop at the key set.
        let keys = crate::signed::cloudfront::CloudFrontKeys::new([("KFUZZ", CLOUDFRONT_PEM)]);
        assert_eq!(keys.map(|k| k.len()), Ok(1));
        signed(b"https://h/a?Expires=1&Signature=MAYCAQECAQE_&Key-Pair-Id=KFUZZ\nhttps://h/a");
    }

    #[test]
    fn the_session_part_mints_and_verifies() {
        let claims = r#"{"sub":"alice","exp":1800000600,"scope":"read","tenant":"t1"}"#;
        let minted = COMPILED.with(|p| session(p.as_ref().unwrap(), claims, "", 1_800_000_000));
        assert!(minted);
        signed(alloc::format!("{claims}\n10.9.9.9").as_bytes());
    }

    #[test]
    fn entry_points_take_odd_inputs() {
        let inputs: [&[u8]; 8] = [
            b"",
            b"GET /a/../b?access_token=x&access_token=y\nauthorization: Bearer a.b.c",
            b"POST /all/x\ncookie: session=a; session=b\nx-token: e30.e30.e30",
            b"OPTIONS /x\norigin: o\naccess-control-request-method: GET",
            b"{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAA\"}]}",
            b"{\"iss\":\"https://idp.fuzz\",\"exp\":1e400,\"nbf\":-0.5}",
            b"eyJhbGciOiJub25lIn0.e30.",
            &[0xff, 0xfe, b'.', 0, b'.', 0x80],
        ];
        for i in inputs {
            signed(i);
            dpop(i);
            b64_and_json(i);
            jwks(i);
            revocation(i);
            policy_doc(i);
            token(i);
            request(i);
        }
    }
}
