//! Tokens minted by independent libraries verify: `PyJWT` (Python `cryptography`) and npm `jose`
//! (`WebCrypto`). Committed fixtures (public keys only, generator named in each file) always run;
//! when `EDGEWARD_INTEROP_DIR` is set (CI regenerates there at test time, HMAC included), the
//! fresh files must verify too.

use edgeward::{Policy, Reason};
use serde_json::{json, Value};

const NOW: i64 = 1_800_000_000;

fn check_file(path: &std::path::Path) -> usize {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let policy = json!({
        "version": 1,
        "providers": {"lib": {"issuer": doc["issuer"], "audiences": ["api"],
                              "required_scopes": ["read"], "local_jwks": doc["jwks"]}},
        "rules": [{"match": {"prefix": "/"}, "requires": {"provider_name": "lib"}}]
    });
    let policy = Policy::from_json(policy.to_string().as_bytes()).unwrap();
    let p = &policy.providers[0];
    assert!(
        p.keys.skipped().is_empty(),
        "{}: {:?}",
        path.display(),
        p.keys.skipped()
    );
    let tokens = doc["tokens"].as_array().unwrap();
    for t in tokens {
        let token = t["token"].as_str().unwrap();
        let got = p
            .verify_jwt(token, NOW)
            .unwrap_or_else(|r| panic!("{} {}: {r}", path.display(), t["alg"]));
        assert_eq!(
            got.verified.as_ref().unwrap().header.alg.name(),
            t["alg"].as_str().unwrap()
        );
        // And a flipped signature bit fails.
        let mut b = token.as_bytes().to_vec();
        let last = b.len() - 3;
        b[last] = if b[last] == b'A' { b'B' } else { b'A' };
        let r = p
            .verify_jwt(std::str::from_utf8(&b).unwrap(), NOW)
            .unwrap_err()
            .reason;
        assert_eq!(
            r,
            Reason::SignatureInvalid,
            "{} {}",
            path.display(),
            t["alg"]
        );
    }
    tokens.len()
}

#[test]
fn committed_fixtures_verify() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/interop");
    assert_eq!(check_file(&dir.join("pyjwt.json")), 10);
    assert_eq!(check_file(&dir.join("jose.json")), 10);
}

#[test]
fn freshly_generated_tokens_verify() {
    let Ok(dir) = std::env::var("EDGEWARD_INTEROP_DIR") else {
        eprintln!("EDGEWARD_INTEROP_DIR unset: fresh interop run skipped (CI sets it)");
        return;
    };
    let dir = std::path::Path::new(&dir);
    assert_eq!(check_file(&dir.join("pyjwt.json")), 13);
    assert_eq!(check_file(&dir.join("jose.json")), 13);
}
