//! Unit tests: keys made at run time (seeded, so a failure reproduces), signed here the way
//! `CloudFront`'s signers sign. The vendors' own signers run in `tests/cdn.rs`.

use super::*;
use alloc::format;
use alloc::string::ToString;
use alloc::vec;

use ::rsa::traits::PublicKeyParts;
use ::rsa::{Pkcs1v15Sign, RsaPrivateKey};
use p256::ecdsa::signature::hazmat::PrehashSigner;
use p256::ecdsa::signature::Signer as _;
use rand_chacha::rand_core::SeedableRng;

const NOW: i64 = 1_800_000_000;
const EXP: i64 = NOW + 600;
const URL: &str = "https://d111111abcdef8.cloudfront.net/videos/intro.mp4";

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    // The two low bytes of the length (test keys and signatures stay under 64 KiB).
    let [.., hi, lo] = n.to_be_bytes();
    if n < 0x80 {
        out.push(lo);
    } else if n < 0x100 {
        out.extend_from_slice(&[0x81, lo]);
    } else {
        out.extend_from_slice(&[0x82, hi, lo]);
    }
    out.extend_from_slice(content);
    out
}

fn der_uint(magnitude: &[u8]) -> Vec<u8> {
    let mut v = magnitude.to_vec();
    if v.first().is_some_and(|b| b & 0x80 != 0) {
        v.insert(0, 0);
    }
    tlv(0x02, &v)
}

fn pem(der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<String> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    )
}

fn rsa_spki(n: &[u8], e: &[u8]) -> Vec<u8> {
    let alg = [
        tlv(
            0x06,
            &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
        ),
        tlv(0x05, &[]),
    ]
    .concat();
    let key = tlv(0x30, &[der_uint(n), der_uint(e)].concat());
    let bits = [&[0u8][..], &key].concat();
    tlv(0x30, &[tlv(0x30, &alg), tlv(0x03, &bits)].concat())
}

fn ec_spki(point: &[u8]) -> Vec<u8> {
    let alg = [
        tlv(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]),
        tlv(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]),
    ]
    .concat();
    let bits = [&[0u8][..], point].concat();
    tlv(0x30, &[tlv(0x30, &alg), tlv(0x03, &bits)].concat())
}

/// `CloudFront`'s base64.
fn cf64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(bytes)
        .replace('+', "-")
        .replace('=', "_")
        .replace('/', "~")
}

enum Signer {
    Rsa(alloc::boxed::Box<RsaPrivateKey>),
    Ec(p256::ecdsa::SigningKey),
}

impl Signer {
    fn sign(&self, hash: HashAlgorithm, msg: &[u8]) -> Vec<u8> {
        match (self, hash) {
            (Self::Rsa(k), HashAlgorithm::Sha1) => k
                .sign(
                    Pkcs1v15Sign {
                        hash_len: Some(20),
                        prefix: vec![
                            0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05,
                            0x00, 0x04, 0x14,
                        ]
                        .into(),
                    },
                    &Sha1::digest(msg),
                )
                .unwrap(),
            (Self::Rsa(k), HashAlgorithm::Sha256) => k
                .sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(msg))
                .unwrap(),
            (Self::Ec(k), HashAlgorithm::Sha256) => {
                let s: p256::ecdsa::Signature = k.sign(msg);
                s.to_der().as_bytes().to_vec()
            }
            (Self::Ec(k), HashAlgorithm::Sha1) => {
                let s: p256::ecdsa::Signature = k.sign_prehash(&Sha1::digest(msg)).unwrap();
                s.to_der().as_bytes().to_vec()
            }
        }
    }
}

struct Fixture {
    rsa: Signer,
    rsa_pem: String,
    ec: Signer,
    ec_pem: String,
    other_rsa: Signer,
}

fn fixture() -> &'static Fixture {
    static F: std::sync::OnceLock<Fixture> = std::sync::OnceLock::new();
    F.get_or_init(|| {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x00c1_0dfe);
        let rsa = RsaPrivateKey::new(&mut rng, 2048).unwrap();
        let rsa_pem = pem(&rsa_spki(&rsa.n().to_bytes_be(), &rsa.e().to_bytes_be()));
        let other = RsaPrivateKey::new(&mut rng, 2048).unwrap();
        let ec = p256::ecdsa::SigningKey::random(&mut rng);
        let point = ec.verifying_key().to_encoded_point(false);
        let ec_pem = pem(&ec_spki(point.as_bytes()));
        Fixture {
            rsa: Signer::Rsa(rsa.into()),
            rsa_pem,
            ec: Signer::Ec(ec),
            ec_pem,
            other_rsa: Signer::Rsa(other.into()),
        }
    })
}

fn keys() -> CloudFrontKeys {
    let f = fixture();
    CloudFrontKeys::new([
        ("K2JCJMDEHXQW5F", f.rsa_pem.as_str()),
        ("KECDSA1", f.ec_pem.as_str()),
    ])
    .unwrap()
}

/// A canned-policy URL in botocore's parameter order (`Expires`, `Signature`, `Key-Pair-Id`).
fn canned_url(signer: &Signer, id: &str, base: &str, hash: HashAlgorithm) -> String {
    let sig = cf64(&signer.sign(hash, policy::canned(base, EXP).as_bytes()));
    let sep = if base.contains('?') { '&' } else { '?' };
    let mut u = format!("{base}{sep}Expires={EXP}&Signature={sig}&Key-Pair-Id={id}");
    if hash == HashAlgorithm::Sha256 {
        u.push_str("&Hash-Algorithm=SHA256");
    }
    u
}

/// A custom-policy URL in the npm signer's order (`Policy`, `Key-Pair-Id`, `Signature`).
fn custom_url(signer: &Signer, id: &str, base: &str, policy: &str, hash: HashAlgorithm) -> String {
    let sig = cf64(&signer.sign(hash, policy.as_bytes()));
    let sep = if base.contains('?') { '&' } else { '?' };
    let mut u = format!(
        "{base}{sep}Policy={}&Key-Pair-Id={id}&Signature={sig}",
        cf64(policy.as_bytes())
    );
    if hash == HashAlgorithm::Sha256 {
        u.push_str("&Hash-Algorithm=SHA256");
    }
    u
}

fn custom_policy(resource: &str, extra: &str) -> String {
    format!(
        r#"{{"Statement":[{{"Resource":"{resource}","Condition":{{"DateLessThan":{{"AWS:EpochTime":{EXP}}}{extra}}}}}]}}"#
    )
}

#[allow(clippy::unnecessary_wraps)] // reads as the argument it is passed as
fn ip(s: &str) -> Option<IpAddr> {
    Some(s.parse().unwrap())
}

#[test]
fn canned_urls_every_key_and_hash() {
    let f = fixture();
    for (signer, id) in [(&f.rsa, "K2JCJMDEHXQW5F"), (&f.ec, "KECDSA1")] {
        for hash in [HashAlgorithm::Sha1, HashAlgorithm::Sha256] {
            let u = canned_url(signer, id, URL, hash);
            let g = verify_url(&keys(), &u, None, NOW).unwrap();
            assert_eq!(
                (
                    g.kind(),
                    g.hash_algorithm(),
                    g.expires(),
                    g.start(),
                    g.key_pair_id()
                ),
                (PolicyKind::Canned, hash, EXP, None, id)
            );
            assert_eq!((g.resource(), g.source_ip()), (None, None));
            assert_eq!(
                verify_url(&keys(), &u, None, EXP),
                Err(SignedError::Expired)
            );
            assert!(verify_url(&keys(), &u, None, EXP - 1).is_ok());
            // Another resource: the rebuilt policy differs.
            let other = u.replace("intro", "outro");
            assert_eq!(
                verify_url(&keys(), &other, None, NOW),
                Err(SignedError::SignatureInvalid)
            );
            // The hash algorithm is part of what is verified.
            let flipped = if hash == HashAlgorithm::Sha1 {
                format!("{u}&Hash-Algorithm=SHA256")
            } else {
                u.replace("&Hash-Algorithm=SHA256", "")
            };
            assert_eq!(
                verify_url(&keys(), &flipped, None, NOW),
                Err(SignedError::SignatureInvalid)
            );
        }
    }
}

#[test]
fn canned_resource_keeps_the_clients_own_query() {
    let f = fixture();
    let base = format!("{URL}?quality=hd&lang=en");
    let u = canned_url(&f.rsa, "K2JCJMDEHXQW5F", &base, HashAlgorithm::Sha1);
    assert!(verify_url(&keys(), &u, None, NOW).is_ok());
    let (resource, fields) = split_signed_url(&u).unwrap();
    assert_eq!(resource, base);
    assert_eq!(fields.expires, Some(EXP.to_string().as_str()));
    // The client's parameters are signed: reordering or dropping one fails.
    for changed in [
        u.replace("quality=hd&lang=en", "lang=en&quality=hd"),
        u.replace("quality=hd&", ""),
        u.replace("?quality=hd&lang=en&", "?"),
    ] {
        assert_eq!(
            verify_url(&keys(), &changed, None, NOW),
            Err(SignedError::SignatureInvalid)
        );
    }
    // Without a query of its own, the `?` belongs to the signing parameters.
    let u = canned_url(&f.rsa, "K2JCJMDEHXQW5F", URL, HashAlgorithm::Sha1);
    assert_eq!(split_signed_url(&u).unwrap().0, URL);
}

#[test]
fn signing_parameters_in_any_order_but_last() {
    let f = fixture();
    let u = canned_url(&f.rsa, "K2JCJMDEHXQW5F", URL, HashAlgorithm::Sha256);
    let (head, query) = u.split_once('?').unwrap();
    let params: Vec<&str> = query.split('&').collect();
    // Every rotation and the reverse order verify.
    for k in 0..params.len() {
        let mut p = params.clone();
        p.rotate_left(k);
        assert!(verify_url(&keys(), &format!("{head}?{}", p.join("&")), None, NOW).is_ok());
        p.reverse();
        assert!(verify_url(&keys(), &format!("{head}?{}", p.join("&")), None, NOW).is_ok());
    }
    let bad = [
        format!("{u}&x=1"),
        format!("{head}?Expires=1&x=1&{query}"),
        format!("{head}?expires=1&{query}"),
        format!("{head}?SIGNATURE=a&{query}"),
        format!("{u}&Expires={EXP}"),
        format!("{u}&Key-Pair-Id=K2JCJMDEHXQW5F"),
        format!("{u}&Policy=e30_"),
        u.replace(&format!("Expires={EXP}&"), ""),
        u.replace("&Key-Pair-Id=K2JCJMDEHXQW5F", ""),
        u.replace("Hash-Algorithm=SHA256", "Hash-Algorithm=sha256"),
        u.replace("Hash-Algorithm=SHA256", "Hash-Algorithm=SHA512"),
        u.replace("Hash-Algorithm=SHA256", "Hash-Algorithm="),
        u.replace("Key-Pair-Id=K2JCJMDEHXQW5F", "Key-Pair-Id=k2jcjmdehxqw5f"),
        u.replace("Key-Pair-Id=K2JCJMDEHXQW5F", "Key-Pair-Id="),
        u.replace(&format!("Expires={EXP}"), &format!("Expires=0{EXP}")),
        u.replace(&format!("Expires={EXP}"), "Expires=-1"),
        format!("{u}#frag"),
        u.replace("intro", "in tro"),
        u.replace("intro", "in\"tro"),
        u.replace("intro", "in\\tro"),
        u.replace("intro", "intr\u{f6}"),
        URL.to_string(),
        format!("{URL}?"),
        String::new(),
        format!("{URL}?x={}&{query}", "a".repeat(MAX_URL_LEN)),
    ];
    for b in bad {
        assert_eq!(
            verify_url(&keys(), &b, None, NOW),
            Err(SignedError::Malformed),
            "{b:?}"
        );
    }
}

#[test]
fn cloudfront_base64_is_strict() {
    assert_eq!(decode("AAEC", 16), Ok(vec![0, 1, 2]));
    assert_eq!(decode("-~8_", 16), Ok(vec![0xfb, 0xff]));
    assert_eq!(decode("-~-~", 16), Ok(vec![0xfb, 0xff, 0xbf]));
    for bad in [
        "", "+/8=", "-~8=", "-~8", "-~9_", "AA", "AA_", "AA__A", "A___", "AAE C", "AAE%43", "AA==",
    ] {
        assert_eq!(decode(bad, 16), Err(SignedError::Malformed), "{bad:?}");
    }
    // Caps apply to the decoded length, and the encoded length is checked first.
    assert!(decode(&cf64(&[0; 16]), 16).is_ok());
    assert_eq!(decode(&cf64(&[0; 17]), 16), Err(SignedError::Malformed));
    assert_eq!(decode(&"A".repeat(10_000), 16), Err(SignedError::Malformed));
}

#[test]
#[allow(clippy::many_single_char_names)]
fn custom_urls_conditions() {
    let f = fixture();
    let keys = keys();
    let p = custom_policy(
        "https://d111111abcdef8.cloudfront.net/videos/*",
        &format!(
            r#","DateGreaterThan":{{"AWS:EpochTime":{}}},"IpAddress":{{"AWS:SourceIp":"192.0.2.0/24"}}"#,
            NOW - 60
        ),
    );
    for (signer, id) in [(&f.rsa, "K2JCJMDEHXQW5F"), (&f.ec, "KECDSA1")] {
        for hash in [HashAlgorithm::Sha1, HashAlgorithm::Sha256] {
            let u = custom_url(signer, id, URL, &p, hash);
            let client = ip("192.0.2.9");
            let g = verify_url(&keys, &u, client, NOW).unwrap();
            assert_eq!(
                (
                    g.kind(),
                    g.expires(),
                    g.start(),
                    g.resource(),
                    g.source_ip()
                ),
                (
                    PolicyKind::Custom,
                    EXP,
                    Some(NOW - 60),
                    Some("https://d111111abcdef8.cloudfront.net/videos/*"),
                    Some("192.0.2.0/24")
                )
            );
            assert_eq!(
                verify_url(&keys, &u, client, EXP),
                Err(SignedError::Expired)
            );
            assert_eq!(
                verify_url(&keys, &u, client, NOW - 61),
                Err(SignedError::NotYetValid)
            );
            assert!(verify_url(&keys, &u, client, NOW - 60).is_ok());
            assert_eq!(
                verify_url(&keys, &u, ip("192.0.3.9"), NOW),
                Err(SignedError::IpMismatch)
            );
            assert_eq!(
                verify_url(&keys, &u, ip("2001:db8::1"), NOW),
                Err(SignedError::IpMismatch)
            );
            assert_eq!(
                verify_url(&keys, &u, None, NOW),
                Err(SignedError::IpMismatch)
            );
            // Another path under the wildcard is fine; one outside is a scope mismatch (the
            // policy is carried, so the signature still holds).
            assert!(verify_url(&keys, &u.replace("intro", "b/c"), client, NOW).is_ok());
            assert_eq!(
                verify_url(&keys, &u.replace("/videos/", "/audio/"), client, NOW),
                Err(SignedError::ScopeMismatch)
            );
            // A flipped policy byte fails the signature.
            let (head, tail) = u.split_once("Policy=").unwrap();
            let mut t = tail.as_bytes().to_vec();
            t[10] = if t[10] == b'A' { b'B' } else { b'A' };
            let tampered = format!("{head}Policy={}", String::from_utf8(t).unwrap());
            assert_eq!(
                verify_url(&keys, &tampered, client, NOW),
                Err(SignedError::SignatureInvalid)
            );
        }
    }
}

#[test]
fn custom_policy_without_resource_covers_every_url() {
    let f = fixture();
    let p =
        format!(r#"{{"Statement":{{"Condition":{{"DateLessThan":{{"AWS:EpochTime":{EXP}}}}}}}}}"#);
    let u = custom_url(
        &f.rsa,
        "K2JCJMDEHXQW5F",
        "https://elsewhere.example/x",
        &p,
        HashAlgorithm::Sha1,
    );
    let g = verify_url(&keys(), &u, None, NOW).unwrap();
    assert_eq!(g.resource(), None);
}

#[test]
fn malformed_policy_after_a_good_signature() {
    let f = fixture();
    let p = format!(
        r#"{{"Statement":[{{"Resource":"*","Condition":{{"DateLessThan":{{"AWS:EpochTime":"{EXP}"}}}}}}]}}"#
    );
    let u = custom_url(&f.rsa, "K2JCJMDEHXQW5F", URL, &p, HashAlgorithm::Sha1);
    assert_eq!(
        verify_url(&keys(), &u, None, NOW),
        Err(SignedError::Malformed)
    );
}

#[test]
fn keys_and_signatures() {
    let f = fixture();
    let u = canned_url(&f.other_rsa, "K2JCJMDEHXQW5F", URL, HashAlgorithm::Sha1);
    assert_eq!(
        verify_url(&keys(), &u, None, NOW),
        Err(SignedError::SignatureInvalid)
    );
    let u = canned_url(&f.rsa, "KNOTCONFIGURED", URL, HashAlgorithm::Sha1);
    assert_eq!(
        verify_url(&keys(), &u, None, NOW),
        Err(SignedError::UnknownKey)
    );
    // An RSA signature presented under the ECDSA key id is not DER.
    let u = canned_url(&f.rsa, "KECDSA1", URL, HashAlgorithm::Sha1);
    assert_eq!(
        verify_url(&keys(), &u, None, NOW),
        Err(SignedError::Malformed)
    );
    // An ECDSA signature under the RSA key id has the wrong length.
    let u = canned_url(&f.ec, "K2JCJMDEHXQW5F", URL, HashAlgorithm::Sha1);
    assert_eq!(
        verify_url(&keys(), &u, None, NOW),
        Err(SignedError::SignatureInvalid)
    );
    // ECDSA: the raw r || s form is refused; DER only.
    let Signer::Ec(k) = &f.ec else { unreachable!() };
    let s: p256::ecdsa::Signature = k.sign(policy::canned(URL, EXP).as_bytes());
    let u = format!(
        "{URL}?Expires={EXP}&Signature={}&Key-Pair-Id=KECDSA1&Hash-Algorithm=SHA256",
        cf64(&s.to_bytes())
    );
    assert_eq!(
        verify_url(&keys(), &u, None, NOW),
        Err(SignedError::Malformed)
    );
    let u = format!(
        "{URL}?Expires={EXP}&Signature={}&Key-Pair-Id=KECDSA1&Hash-Algorithm=SHA256",
        cf64(s.to_der().as_bytes())
    );
    assert!(verify_url(&keys(), &u, None, NOW).is_ok());
    // A flipped bit of s fails the signature (the DER is still well formed).
    let mut der = s.to_der().as_bytes().to_vec();
    let last = der.len() - 1;
    der[last] ^= 1;
    let u = format!(
        "{URL}?Expires={EXP}&Signature={}&Key-Pair-Id=KECDSA1&Hash-Algorithm=SHA256",
        cf64(&der)
    );
    assert_eq!(
        verify_url(&keys(), &u, None, NOW),
        Err(SignedError::SignatureInvalid)
    );
}

fn cookie_values(
    signer: &Signer,
    policy: Option<&str>,
    hash: HashAlgorithm,
    url: &str,
) -> (Option<String>, Option<String>, String) {
    match policy {
        Some(p) => (
            Some(cf64(p.as_bytes())),
            None,
            cf64(&signer.sign(hash, p.as_bytes())),
        ),
        None => (
            None,
            Some(EXP.to_string()),
            cf64(&signer.sign(hash, policy::canned(url, EXP).as_bytes())),
        ),
    }
}

#[test]
fn cookies() {
    let f = fixture();
    let keys = keys();
    // Canned: the request URL is the resource.
    let (_, exp, sig) = cookie_values(&f.ec, None, HashAlgorithm::Sha256, URL);
    let c = Cookies {
        policy: None,
        expires: exp.as_deref(),
        signature: &sig,
        key_pair_id: "KECDSA1",
        hash_algorithm: Some("SHA256"),
    };
    let g = verify_cookies(&keys, &c, URL, None, NOW).unwrap();
    assert_eq!(
        (g.kind(), g.key_pair_id(), g.hash_algorithm()),
        (PolicyKind::Canned, "KECDSA1", HashAlgorithm::Sha256)
    );
    assert_eq!(
        verify_cookies(&keys, &c, &format!("{URL}x"), None, NOW),
        Err(SignedError::SignatureInvalid)
    );
    assert_eq!(
        verify_cookies(&keys, &c, URL, None, EXP),
        Err(SignedError::Expired)
    );
    let sha1 = Cookies {
        hash_algorithm: None,
        ..c
    };
    assert_eq!(
        verify_cookies(&keys, &sha1, URL, None, NOW),
        Err(SignedError::SignatureInvalid)
    );
    let explicit = Cookies {
        hash_algorithm: Some("SHA1"),
        ..c
    };
    assert_eq!(
        verify_cookies(&keys, &explicit, URL, None, NOW),
        Err(SignedError::SignatureInvalid)
    );

    // Custom, with a wildcard resource and an IP condition.
    let p = custom_policy(
        "https://d111111abcdef8.cloudfront.net/videos/*",
        r#","IpAddress":{"AWS:SourceIp":"198.51.100.7/32"}"#,
    );
    let (pol, _, sig) = cookie_values(&f.rsa, Some(&p), HashAlgorithm::Sha1, URL);
    let c = Cookies {
        policy: pol.as_deref(),
        expires: None,
        signature: &sig,
        key_pair_id: "K2JCJMDEHXQW5F",
        hash_algorithm: None,
    };
    let client = ip("198.51.100.7");
    let g = verify_cookies(
        &keys,
        &c,
        "https://d111111abcdef8.cloudfront.net/videos/a/b.ts?x=1",
        client,
        NOW,
    )
    .unwrap();
    assert_eq!(g.source_ip(), Some("198.51.100.7/32"));
    assert_eq!(
        verify_cookies(
            &keys,
            &c,
            "https://d111111abcdef8.cloudfront.net/audio/a.ts",
            client,
            NOW
        ),
        Err(SignedError::ScopeMismatch)
    );
    assert_eq!(
        verify_cookies(&keys, &c, URL, ip("198.51.100.8"), NOW),
        Err(SignedError::IpMismatch)
    );
    assert_eq!(
        verify_cookies(&keys, &c, URL, ip("::ffff:198.51.100.7"), NOW),
        Err(SignedError::IpMismatch)
    );
    assert_eq!(
        verify_cookies(
            &keys,
            &Cookies {
                key_pair_id: "KOTHER",
                ..c
            },
            URL,
            client,
            NOW
        ),
        Err(SignedError::UnknownKey)
    );

    // Both or neither policy form, bad values.
    let exp_s = EXP.to_string();
    for bad in [
        Cookies {
            expires: Some(&exp_s),
            ..c
        },
        Cookies { policy: None, ..c },
        Cookies {
            hash_algorithm: Some("SHA-256"),
            ..c
        },
        Cookies {
            key_pair_id: "",
            ..c
        },
        Cookies { signature: "", ..c },
        Cookies {
            signature: &sig.replace('-', "+"),
            ..c
        },
        Cookies {
            policy: Some("\"e30_\""),
            ..c
        },
    ] {
        assert_eq!(
            verify_cookies(&keys, &bad, URL, client, NOW),
            Err(SignedError::Malformed),
            "{bad:?}"
        );
    }
    assert_eq!(
        verify_cookies(&keys, &c, "", client, NOW),
        Err(SignedError::Malformed)
    );
    assert_eq!(
        verify_cookies(&keys, &c, &format!("{URL}#x"), client, NOW),
        Err(SignedError::Malformed)
    );
}

#[test]
fn key_loading() {
    let f = fixture();
    assert_eq!(keys().len(), 2);
    assert!(CloudFrontKeys::new(core::iter::empty()).unwrap().is_empty());
    let dbg = format!("{:?}", keys());
    assert!(
        dbg.contains("K2JCJMDEHXQW5F") && dbg.contains("p256") && !dbg.contains("MII"),
        "{dbg}"
    );
    let Signer::Rsa(rsa) = &f.rsa else {
        unreachable!()
    };
    let n = rsa.n().to_bytes_be();
    let small = pem(&rsa_spki(&n[..128], &[1, 0, 1]));
    let e3 = pem(&rsa_spki(&n, &[3]));
    let mut point = [0u8; 65];
    point[0] = 4;
    point[64] = 1;
    let off_curve = pem(&ec_spki(&point));
    let Signer::Ec(ec) = &f.ec else {
        unreachable!()
    };
    let compressed = pem(&ec_spki(
        ec.verifying_key().to_encoded_point(true).as_bytes(),
    ));
    let pkcs1 = f.rsa_pem.replace("PUBLIC KEY", "RSA PUBLIC KEY");
    let trailing = format!("{}junk", f.rsa_pem);
    let huge = "A".repeat(MAX_PEM_LEN + 1);
    for (what, key) in [
        ("1024-bit RSA", small.as_str()),
        ("e = 3", e3.as_str()),
        ("point off the curve", off_curve.as_str()),
        ("compressed point", compressed.as_str()),
        ("PKCS#1 block", pkcs1.as_str()),
        ("text after the block", trailing.as_str()),
        ("over the cap", huge.as_str()),
        ("empty", ""),
    ] {
        assert_eq!(
            CloudFrontKeys::new([("K1", key)]).map(|_| ()),
            Err(ConfigError::KeyInvalid),
            "{what}"
        );
    }
    for id in ["", "k2jcjmdehxqw5f", "K-1", "K 1", &"K".repeat(65)] {
        assert_eq!(
            CloudFrontKeys::new([(id, f.rsa_pem.as_str())]).map(|_| ()),
            Err(ConfigError::KeyNameInvalid),
            "{id:?}"
        );
    }
    assert!(CloudFrontKeys::new([("APKAJCEOKRHC3XIVU5NA", f.rsa_pem.as_str())]).is_ok());
    assert_eq!(
        CloudFrontKeys::new([("K1", f.rsa_pem.as_str()), ("K1", f.ec_pem.as_str())]).map(|_| ()),
        Err(ConfigError::DuplicateKeyName)
    );
}

#[test]
fn every_single_byte_change_of_a_canned_url_is_refused() {
    let f = fixture();
    let keys = keys();
    for (signer, id) in [(&f.rsa, "K2JCJMDEHXQW5F"), (&f.ec, "KECDSA1")] {
        let u = canned_url(signer, id, &format!("{URL}?a=1"), HashAlgorithm::Sha256);
        assert!(verify_url(&keys, &u, None, NOW).is_ok());
        let bytes = u.as_bytes();
        for i in 0..bytes.len() {
            for replacement in [b'A', b'0', b'&', b'=', b'?', b'-', b'~', b'_', b'\xff'] {
                if bytes[i] == replacement {
                    continue;
                }
                let mut b = bytes.to_vec();
                b[i] = replacement;
                let changed = String::from_utf8_lossy(&b);
                assert!(verify_url(&keys, &changed, None, NOW).is_err(), "{changed}");
            }
            let mut b = bytes.to_vec();
            b.remove(i);
            let changed = String::from_utf8_lossy(&b);
            assert!(verify_url(&keys, &changed, None, NOW).is_err(), "{changed}");
        }
    }
}

#[test]
fn hash_names() {
    for h in [HashAlgorithm::Sha1, HashAlgorithm::Sha256] {
        assert_eq!(HashAlgorithm::from_param(h.name()), Some(h));
    }
    assert_eq!(HashAlgorithm::from_param("sha256"), None);
}
