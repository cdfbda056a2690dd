//! CDN signed URLs, cookies and tokens made by the vendors' signers (see
//! `tests/vectors/cdn/gen_cdn.py`): Akamai's reference signer `akamai-edgeauth` (`PyPI`),
//! Google Cloud CDN's documented algorithm and AWS's `CloudFrontSigner` from botocore (`PyPI`),
//! each case with its expected outcome.
//!
//! `freshly_generated_cases` runs the file named by `EDGEWARD_CDN_VECTORS`: scripts/test.sh
//! (stage `cdn-fresh`) generates it with fresh random keys at test time, adding Akamai cases
//! from the npm port of the signer (`tests/interop/gen_akamai_npm.mjs`) and `CloudFront` cases
//! from `@aws-sdk/cloudfront-signer` (`tests/interop/gen_cloudfront_npm.mjs`, RSA and ECDSA
//! keys). No case file is committed: these schemes use shared secrets or private keys, and
//! none is committed, even a throwaway one. Without the variable the test says so and returns; the scheme modules' own unit tests
//! still cover every code.

use std::collections::BTreeSet;

use edgeward::signed::akamai::{self, AkamaiConfig, Algorithm, Scope};
use edgeward::signed::cloudfront::{self, CloudFrontKeys, Cookies, HashAlgorithm, PolicyKind};
use edgeward::signed::google::{self, GoogleKeys};
use edgeward::signed::SignedError;
use serde_json::Value;

/// How many cases ran, and which outcomes were seen, per scheme.
#[derive(Default)]
struct Tally {
    google: usize,
    akamai: usize,
    /// Akamai cases made by the npm port of the signer (`tests/interop/gen_akamai_npm.mjs`).
    akamai_npm: usize,
    cloudfront: usize,
    /// `CloudFront` cases made by `@aws-sdk/cloudfront-signer` (npm).
    cloudfront_npm: usize,
    outcomes: BTreeSet<(&'static str, String)>,
    /// Accepted `CloudFront` cases by (signer, key type, policy kind, hash).
    cloudfront_accepted: BTreeSet<(&'static str, &'static str, &'static str, &'static str)>,
}

fn s<'a>(case: &'a Value, field: &str) -> &'a str {
    case[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} missing in {case}"))
}

fn opt_s(v: &Value) -> Option<&str> {
    v.as_str()
}

fn code<T>(r: &Result<T, SignedError>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

fn run_google(doc: &Value, tally: &mut Tally) {
    let pairs: Vec<(&str, &str)> = doc["google_keys"]
        .as_array()
        .expect("google_keys")
        .iter()
        .map(|p| (p[0].as_str().unwrap(), p[1].as_str().unwrap()))
        .collect();
    let keys = GoogleKeys::new(pairs).expect("google keys load");
    for case in doc["google"].as_array().expect("google cases") {
        let name = s(case, "name");
        let now = case["now"].as_i64().unwrap();
        let got = match s(case, "kind") {
            "url" => google::verify_url(&keys, s(case, "url"), now),
            "cookie" => {
                google::verify_cookie(&keys, s(case, "cookie"), s(case, "request_url"), now)
            }
            k => panic!("{name}: unknown kind {k}"),
        };
        let expect = s(case, "expect");
        assert_eq!(code(&got), expect, "google {name:?}: {got:?}");
        if let Ok(g) = got {
            let want = &case["grant"];
            assert_eq!(Some(g.expires()), want["expires"].as_i64(), "{name}");
            assert_eq!(Some(g.key_name()), want["key_name"].as_str(), "{name}");
            assert_eq!(g.prefix(), opt_s(&want["prefix"]), "{name}");
        }
        tally.google += 1;
        tally.outcomes.insert(("google", expect.to_owned()));
    }
}

fn akamai_config(case: &Value) -> AkamaiConfig {
    let alg = Algorithm::from_name(s(case, "algorithm")).expect("algorithm");
    let one = |f: &str| {
        let v = s(case, f);
        let mut it = v.chars();
        let c = it.next().unwrap();
        assert!(it.next().is_none(), "{f} is one character");
        c
    };
    let mut cfg = AkamaiConfig::new(s(case, "key"), alg)
        .expect("akamai key loads")
        .with_delimiters(one("field_delimiter"), one("acl_delimiter"))
        .expect("delimiters")
        .with_escape_early(case["escape_early"].as_bool().unwrap());
    if let Some(salt) = opt_s(&case["salt"]) {
        cfg = cfg.with_salt(salt).expect("salt");
    }
    cfg
}

fn run_akamai(doc: &Value, tally: &mut Tally) {
    for case in doc["akamai"].as_array().expect("akamai cases") {
        let name = s(case, "name");
        let cfg = akamai_config(case);
        let got = akamai::verify(
            &cfg,
            s(case, "token"),
            s(case, "path"),
            opt_s(&case["client_ip"]),
            case["now"].as_i64().unwrap(),
        );
        let expect = s(case, "expect");
        assert_eq!(code(&got), expect, "akamai {name:?}: {got:?}");
        if let Ok(g) = got {
            let want = &case["grant"];
            assert_eq!(Some(g.expires()), want["expires"].as_i64(), "{name}");
            assert_eq!(g.start(), want["start"].as_i64(), "{name}");
            assert_eq!(g.ip(), opt_s(&want["ip"]), "{name}");
            assert_eq!(g.id(), opt_s(&want["id"]), "{name}");
            assert_eq!(g.data(), opt_s(&want["data"]), "{name}");
            match g.scope() {
                Scope::Acl(entries) => {
                    let want: Vec<&str> = want["acl"]
                        .as_array()
                        .unwrap_or_else(|| panic!("{name}: expected a URL token"))
                        .iter()
                        .map(|v| v.as_str().unwrap())
                        .collect();
                    assert_eq!(entries, &want, "{name}");
                }
                Scope::Url(u) => assert_eq!(Some(u.as_str()), want["url"].as_str(), "{name}"),
            }
        }
        tally.akamai += 1;
        if name.starts_with("npm: ") {
            tally.akamai_npm += 1;
        }
        tally.outcomes.insert(("akamai", expect.to_owned()));
    }
}

fn run_cloudfront(doc: &Value, tally: &mut Tally) {
    let pairs: Vec<(&str, &str)> = doc["cloudfront_keys"]
        .as_array()
        .expect("cloudfront_keys")
        .iter()
        .map(|p| (p[0].as_str().unwrap(), p[1].as_str().unwrap()))
        .collect();
    let keys = CloudFrontKeys::new(pairs).expect("cloudfront keys load");
    for case in doc["cloudfront"].as_array().expect("cloudfront cases") {
        let name = s(case, "name");
        let now = case["now"].as_i64().unwrap();
        let ip = opt_s(&case["client_ip"]).map(|a| a.parse().expect("client_ip"));
        let got = match s(case, "kind") {
            "url" => cloudfront::verify_url(&keys, s(case, "url"), ip, now),
            "cookies" => {
                let c = &case["cookies"];
                let cookies = Cookies {
                    policy: opt_s(&c["policy"]),
                    expires: opt_s(&c["expires"]),
                    signature: s(c, "signature"),
                    key_pair_id: s(c, "key_pair_id"),
                    hash_algorithm: opt_s(&c["hash_algorithm"]),
                };
                cloudfront::verify_cookies(&keys, &cookies, s(case, "request_url"), ip, now)
            }
            k => panic!("{name}: unknown kind {k}"),
        };
        let expect = s(case, "expect");
        assert_eq!(code(&got), expect, "cloudfront {name:?}: {got:?}");
        if let Ok(g) = got {
            let want = &case["grant"];
            assert_eq!(Some(g.expires()), want["expires"].as_i64(), "{name}");
            assert_eq!(g.start(), want["start"].as_i64(), "{name}");
            assert_eq!(
                Some(g.key_pair_id()),
                want["key_pair_id"].as_str(),
                "{name}"
            );
            assert_eq!(g.resource(), opt_s(&want["resource"]), "{name}");
            assert_eq!(g.source_ip(), opt_s(&want["source_ip"]), "{name}");
            let kind = match g.kind() {
                PolicyKind::Canned => "canned",
                PolicyKind::Custom => "custom",
            };
            assert_eq!(Some(kind), want["kind"].as_str(), "{name}");
            assert_eq!(
                HashAlgorithm::from_param(s(want, "hash")),
                Some(g.hash_algorithm()),
                "{name}"
            );
            let signer = if name.starts_with("npm: ") {
                "npm"
            } else {
                "py"
            };
            let key = if name.contains("ecdsa ") {
                "ecdsa"
            } else {
                "rsa"
            };
            tally
                .cloudfront_accepted
                .insert((signer, key, kind, g.hash_algorithm().name()));
        }
        tally.cloudfront += 1;
        if name.starts_with("npm: ") {
            tally.cloudfront_npm += 1;
        }
        tally.outcomes.insert(("cloudfront", expect.to_owned()));
    }
}

fn run_file(path: &std::path::Path) -> Tally {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc: Value = serde_json::from_str(&text).expect("vector file is JSON");
    assert!(
        s(&doc, "keys").starts_with("THROWAWAY TEST KEYS"),
        "vector files carry only throwaway keys"
    );
    let mut tally = Tally::default();
    run_google(&doc, &mut tally);
    run_akamai(&doc, &mut tally);
    run_cloudfront(&doc, &mut tally);
    tally
}

/// Every outcome the schemes can produce from these vendors' signers appears at least once.
fn assert_coverage(t: &Tally) {
    let google = [
        "ok",
        "malformed",
        "unknown_key",
        "signature_invalid",
        "expired",
        "scope_mismatch",
    ];
    let akamai = [
        "ok",
        "malformed",
        "signature_invalid",
        "expired",
        "not_yet_valid",
        "scope_mismatch",
        "ip_mismatch",
    ];
    let cloudfront = [
        "ok",
        "malformed",
        "unknown_key",
        "signature_invalid",
        "expired",
        "not_yet_valid",
        "scope_mismatch",
        "ip_mismatch",
    ];
    for (scheme, codes) in [
        ("google", &google[..]),
        ("akamai", &akamai[..]),
        ("cloudfront", &cloudfront[..]),
    ] {
        for c in codes {
            assert!(
                t.outcomes.contains(&(scheme, (*c).to_owned())),
                "no {scheme} case expects {c}"
            );
        }
    }
    // Each CloudFront signer got every key type, policy kind and hash accepted.
    for signer in ["py", "npm"] {
        for key in ["rsa", "ecdsa"] {
            for kind in ["canned", "custom"] {
                for hash in ["SHA1", "SHA256"] {
                    assert!(
                        t.cloudfront_accepted.contains(&(signer, key, kind, hash)),
                        "no accepted {signer} {key} {kind} {hash} CloudFront case"
                    );
                }
            }
        }
    }
}

#[test]
fn freshly_generated_cases() {
    let Ok(path) = std::env::var("EDGEWARD_CDN_VECTORS") else {
        eprintln!(
            "EDGEWARD_CDN_VECTORS unset: fresh vendor-signer run skipped \
             (scripts/test.sh sets it; or: .venv/bin/python tests/vectors/cdn/gen_cdn.py OUT.json)"
        );
        return;
    };
    let t = run_file(std::path::Path::new(&path));
    assert!(
        t.google >= 20 && t.akamai >= 35 && t.cloudfront >= 60 && t.cloudfront_npm >= 60,
        "too few cases: {} google, {} akamai, {} cloudfront ({} npm)",
        t.google,
        t.akamai,
        t.cloudfront,
        t.cloudfront_npm
    );
    assert_coverage(&t);
    eprintln!(
        "{path}: {} google, {} akamai ({} from the npm signer) and {} cloudfront ({} from the npm \
         signer) cases verified",
        t.google, t.akamai, t.akamai_npm, t.cloudfront, t.cloudfront_npm
    );
}
