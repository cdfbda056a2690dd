//! Development-only key handling: PEM -> JWK, key generation and signing. The core never signs
//! with public-key algorithms; this lives here because it needs an RNG and `std`.

use std::io::Write as _;

use edgeward::b64;
use edgeward::jwa::{Alg, AlgSet, Family};
use edgeward::jwk::{self, Origin};
use rand_core::OsRng;
use serde_json::{json, Map, Value};

use crate::{Fail, Opts};

/// A private key of any supported family.
pub enum SigningKey {
    /// HMAC secret.
    Hmac(Vec<u8>),
    /// RSA private key.
    Rsa(Box<rsa::RsaPrivateKey>),
    /// P-256.
    P256(p256::ecdsa::SigningKey),
    /// P-384.
    P384(p384::ecdsa::SigningKey),
    /// P-521.
    P521(p521::ecdsa::SigningKey),
    /// Ed25519.
    Ed25519(ed25519_dalek::SigningKey),
}

impl SigningKey {
    fn family(&self) -> Family {
        match self {
            SigningKey::Hmac(_) => Family::Hmac,
            SigningKey::Rsa(_) => Family::Rsa,
            SigningKey::P256(_) => Family::Ec(edgeward::jwa::Curve::P256),
            SigningKey::P384(_) => Family::Ec(edgeward::jwa::Curve::P384),
            SigningKey::P521(_) => Family::Ec(edgeward::jwa::Curve::P521),
            SigningKey::Ed25519(_) => Family::Ed25519,
        }
    }

    /// Generates a key for `alg`.
    pub fn generate(alg: Alg) -> Result<SigningKey, Fail> {
        Ok(match alg.family() {
            Family::Hmac => {
                let mut k = vec![0u8; alg.hash_len()];
                rand_core::RngCore::fill_bytes(&mut OsRng, &mut k);
                SigningKey::Hmac(k)
            }
            Family::Rsa => SigningKey::Rsa(Box::new(rsa::RsaPrivateKey::new(&mut OsRng, 2048)?)),
            Family::Ec(edgeward::jwa::Curve::P256) => {
                SigningKey::P256(p256::ecdsa::SigningKey::random(&mut OsRng))
            }
            Family::Ec(edgeward::jwa::Curve::P384) => {
                SigningKey::P384(p384::ecdsa::SigningKey::random(&mut OsRng))
            }
            Family::Ec(edgeward::jwa::Curve::P521) => {
                SigningKey::P521(p521::ecdsa::SigningKey::random(&mut OsRng))
            }
            Family::Ed25519 => SigningKey::Ed25519(ed25519_dalek::SigningKey::generate(&mut OsRng)),
        })
    }

    /// The public JWK members (no `kid`/`alg`).
    pub fn public_jwk(&self) -> Map<String, Value> {
        use rsa::traits::PublicKeyParts;
        let v = match self {
            SigningKey::Hmac(k) => json!({"kty": "oct", "k": b64::encode(k)}),
            SigningKey::Rsa(k) => json!({
                "kty": "RSA",
                "n": b64::encode(&k.n().to_bytes_be()),
                "e": b64::encode(&k.e().to_bytes_be()),
            }),
            SigningKey::P256(k) => {
                let p = k.verifying_key().to_encoded_point(false);
                ec_json("P-256", p.x(), p.y())
            }
            SigningKey::P384(k) => {
                let p = k.verifying_key().to_encoded_point(false);
                ec_json("P-384", p.x(), p.y())
            }
            SigningKey::P521(k) => {
                let p = p521::ecdsa::VerifyingKey::from(k).to_encoded_point(false);
                ec_json("P-521", p.x(), p.y())
            }
            SigningKey::Ed25519(k) => json!({
                "kty": "OKP", "crv": "Ed25519",
                "x": b64::encode(k.verifying_key().as_bytes()),
            }),
        };
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    /// The private JWK members.
    pub fn private_jwk(&self) -> Map<String, Value> {
        let mut m = self.public_jwk();
        match self {
            SigningKey::Hmac(_) => {}
            SigningKey::Rsa(k) => {
                use rsa::traits::PrivateKeyParts;
                m.insert("d".into(), b64::encode(&k.d().to_bytes_be()).into());
                let primes = k.primes();
                if let [p, q] = primes {
                    m.insert("p".into(), b64::encode(&p.to_bytes_be()).into());
                    m.insert("q".into(), b64::encode(&q.to_bytes_be()).into());
                }
            }
            SigningKey::P256(k) => {
                m.insert("d".into(), b64::encode(&k.to_bytes()).into());
            }
            SigningKey::P384(k) => {
                m.insert("d".into(), b64::encode(&k.to_bytes()).into());
            }
            SigningKey::P521(k) => {
                m.insert("d".into(), b64::encode(&k.to_bytes()).into());
            }
            SigningKey::Ed25519(k) => {
                m.insert("d".into(), b64::encode(k.as_bytes()).into());
            }
        }
        m
    }

    /// Signs `msg` with `alg` (the key family must match).
    pub fn sign(&self, alg: Alg, msg: &[u8]) -> Result<Vec<u8>, Fail> {
        use signature::{RandomizedSigner, SignatureEncoding, Signer};
        if alg.family() != self.family() {
            return Err(Fail(format!("{} needs another key type", alg.name())));
        }
        Ok(match (alg, self) {
            (Alg::HS256 | Alg::HS384 | Alg::HS512, SigningKey::Hmac(k)) => {
                edgeward::jwa::hmac_sign(alg, k, msg).ok_or_else(|| Fail("hmac".into()))?
            }
            (Alg::RS256, SigningKey::Rsa(k)) => {
                rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new((**k).clone())
                    .sign(msg)
                    .to_vec()
            }
            (Alg::RS384, SigningKey::Rsa(k)) => {
                rsa::pkcs1v15::SigningKey::<sha2::Sha384>::new((**k).clone())
                    .sign(msg)
                    .to_vec()
            }
            (Alg::RS512, SigningKey::Rsa(k)) => {
                rsa::pkcs1v15::SigningKey::<sha2::Sha512>::new((**k).clone())
                    .sign(msg)
                    .to_vec()
            }
            (Alg::PS256, SigningKey::Rsa(k)) => {
                rsa::pss::BlindedSigningKey::<sha2::Sha256>::new((**k).clone())
                    .sign_with_rng(&mut OsRng, msg)
                    .to_vec()
            }
            (Alg::PS384, SigningKey::Rsa(k)) => {
                rsa::pss::BlindedSigningKey::<sha2::Sha384>::new((**k).clone())
                    .sign_with_rng(&mut OsRng, msg)
                    .to_vec()
            }
            (Alg::PS512, SigningKey::Rsa(k)) => {
                rsa::pss::BlindedSigningKey::<sha2::Sha512>::new((**k).clone())
                    .sign_with_rng(&mut OsRng, msg)
                    .to_vec()
            }
            (Alg::ES256, SigningKey::P256(k)) => {
                let s: p256::ecdsa::Signature = k.sign(msg);
                s.to_bytes().to_vec()
            }
            (Alg::ES384, SigningKey::P384(k)) => {
                let s: p384::ecdsa::Signature = k.sign(msg);
                s.to_bytes().to_vec()
            }
            (Alg::ES512, SigningKey::P521(k)) => {
                let s: p521::ecdsa::Signature = k.sign(msg);
                s.to_bytes().to_vec()
            }
            (Alg::EdDSA, SigningKey::Ed25519(k)) => k.sign(msg).to_bytes().to_vec(),
            _ => return Err(Fail(format!("{} needs another key type", alg.name()))),
        })
    }
}

fn ec_json(crv: &str, x: Option<&impl AsRef<[u8]>>, y: Option<&impl AsRef<[u8]>>) -> Value {
    json!({
        "kty": "EC", "crv": crv,
        "x": x.map(|v| b64::encode(v.as_ref())).unwrap_or_default(),
        "y": y.map(|v| b64::encode(v.as_ref())).unwrap_or_default(),
    })
}

fn field(m: &Map<String, Value>, name: &str) -> Result<Vec<u8>, Fail> {
    let s = m
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| Fail(format!("JWK lacks {name:?}")))?;
    b64::decode(s).map_err(|_| Fail(format!("JWK {name:?} is not base64url")))
}

/// Loads a private key from a JWK (JSON) or PEM file.
pub fn load_private(path: &str) -> Result<SigningKey, Fail> {
    use p256::pkcs8::DecodePrivateKey;
    let text = std::fs::read_to_string(path).map_err(|e| Fail(format!("{path}: {e}")))?;
    if text.trim_start().starts_with('{') {
        let v: Value = serde_json::from_str(&text)?;
        let m = v
            .as_object()
            .ok_or_else(|| Fail("JWK must be an object".into()))?;
        return from_private_jwk(m);
    }
    if let Ok(k) = rsa::RsaPrivateKey::from_pkcs8_pem(&text) {
        return Ok(SigningKey::Rsa(Box::new(k)));
    }
    if let Ok(k) = <rsa::RsaPrivateKey as rsa::pkcs1::DecodeRsaPrivateKey>::from_pkcs1_pem(&text) {
        return Ok(SigningKey::Rsa(Box::new(k)));
    }
    if let Ok(k) =
        p256::SecretKey::from_pkcs8_pem(&text).or_else(|_| p256::SecretKey::from_sec1_pem(&text))
    {
        return Ok(SigningKey::P256(k.into()));
    }
    if let Ok(k) =
        p384::SecretKey::from_pkcs8_pem(&text).or_else(|_| p384::SecretKey::from_sec1_pem(&text))
    {
        return Ok(SigningKey::P384(k.into()));
    }
    if let Ok(k) =
        p521::SecretKey::from_pkcs8_pem(&text).or_else(|_| p521::SecretKey::from_sec1_pem(&text))
    {
        let k =
            p521::ecdsa::SigningKey::from_slice(&k.to_bytes()).map_err(|e| Fail(e.to_string()))?;
        return Ok(SigningKey::P521(k));
    }
    if let Ok(k) = ed25519_dalek::SigningKey::from_pkcs8_pem(&text) {
        return Ok(SigningKey::Ed25519(k));
    }
    Err(Fail(format!(
        "{path}: not a private JWK or a PKCS#8/PKCS#1/SEC1 PEM key we support"
    )))
}

#[allow(clippy::many_single_char_names)] // JWK member names (n, e, d, p, q)
fn from_private_jwk(m: &Map<String, Value>) -> Result<SigningKey, Fail> {
    match m.get("kty").and_then(Value::as_str) {
        Some("oct") => Ok(SigningKey::Hmac(field(m, "k")?)),
        Some("RSA") => {
            let n = rsa::BigUint::from_bytes_be(&field(m, "n")?);
            let e = rsa::BigUint::from_bytes_be(&field(m, "e")?);
            let d = rsa::BigUint::from_bytes_be(&field(m, "d")?);
            let primes = match (field(m, "p"), field(m, "q")) {
                (Ok(p), Ok(q)) => vec![
                    rsa::BigUint::from_bytes_be(&p),
                    rsa::BigUint::from_bytes_be(&q),
                ],
                _ => Vec::new(),
            };
            Ok(SigningKey::Rsa(Box::new(
                rsa::RsaPrivateKey::from_components(n, e, d, primes)?,
            )))
        }
        Some("EC") => {
            let d = field(m, "d")?;
            match m.get("crv").and_then(Value::as_str) {
                Some("P-256") => Ok(SigningKey::P256(p256::ecdsa::SigningKey::from_slice(&d)?)),
                Some("P-384") => Ok(SigningKey::P384(p384::ecdsa::SigningKey::from_slice(&d)?)),
                Some("P-521") => Ok(SigningKey::P521(p521::ecdsa::SigningKey::from_slice(&d)?)),
                _ => Err(Fail("unsupported EC curve".into())),
            }
        }
        Some("OKP") => {
            let d: [u8; 32] = field(m, "d")?
                .try_into()
                .map_err(|_| Fail("Ed25519 d must be 32 bytes".into()))?;
            Ok(SigningKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(
                &d,
            )))
        }
        _ => Err(Fail("unsupported or missing kty".into())),
    }
}

/// The RFC 7638 thumbprint of public JWK members, computed by the core.
fn thumbprint(public: &Map<String, Value>) -> Result<String, Fail> {
    let text = serde_json::to_vec(&Value::Object(public.clone()))?;
    let v = edgeward::json::parse(&text, &edgeward::json::Limits::JWKS)
        .map_err(|e| Fail(e.to_string()))?;
    let key = jwk::parse_jwk(&v, AlgSet::all(), Origin::Local)
        .map_err(|e| Fail(format!("key not usable: {}", e.code())))?;
    Ok(key.thumbprint)
}

fn parse_alg(name: &str) -> Result<Alg, Fail> {
    Alg::from_name(name).ok_or_else(|| Fail(format!("unsupported algorithm {name:?}")))
}

/// `edgeward jwk PEMFILE [--alg ALG]`: public PEM -> JWK with its thumbprint as `kid`.
pub fn jwk_cmd(args: &[String]) -> Result<u8, Fail> {
    use p256::pkcs8::DecodePublicKey;
    let opts = Opts::parse(args, &[])?;
    opts.only(&["alg"])?;
    let [path] = opts.positional.as_slice() else {
        return Err(Fail("usage: edgeward jwk PEMFILE [--alg ALG]".into()));
    };
    let text = std::fs::read_to_string(path).map_err(|e| Fail(format!("{path}: {e}")))?;
    let mut m: Map<String, Value> = if let Ok(k) = rsa::RsaPublicKey::from_public_key_pem(&text)
        .or_else(|_| <rsa::RsaPublicKey as rsa::pkcs1::DecodeRsaPublicKey>::from_pkcs1_pem(&text))
    {
        use rsa::traits::PublicKeyParts;
        let mut m = Map::new();
        m.insert("kty".into(), "RSA".into());
        m.insert("n".into(), b64::encode(&k.n().to_bytes_be()).into());
        m.insert("e".into(), b64::encode(&k.e().to_bytes_be()).into());
        m
    } else if let Ok(k) = p256::PublicKey::from_public_key_pem(&text) {
        let p = p256::EncodedPoint::from(k);
        obj(ec_json("P-256", p.x(), p.y()))
    } else if let Ok(k) = p384::PublicKey::from_public_key_pem(&text) {
        let p = p384::EncodedPoint::from(k);
        obj(ec_json("P-384", p.x(), p.y()))
    } else if let Ok(k) = p521::PublicKey::from_public_key_pem(&text) {
        let p = p521::EncodedPoint::from(k);
        obj(ec_json("P-521", p.x(), p.y()))
    } else if let Ok(k) = ed25519_dalek::VerifyingKey::from_public_key_pem(&text) {
        obj(json!({"kty": "OKP", "crv": "Ed25519", "x": b64::encode(k.as_bytes())}))
    } else {
        return Err(Fail(format!(
            "{path}: not a public key PEM (SPKI or PKCS#1) we support"
        )));
    };
    let kid = thumbprint(&m)?;
    if let Some(a) = opts.get("alg") {
        m.insert("alg".into(), parse_alg(a)?.name().into());
    }
    m.insert("use".into(), "sig".into());
    m.insert("kid".into(), kid.into());
    println!("{}", serde_json::to_string_pretty(&Value::Object(m))?);
    Ok(0)
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// `edgeward keygen --alg ALG [--kid KID] --private-out FILE`: writes the private JWK (mode 0600)
/// and prints the public JWK set.
pub fn keygen_cmd(args: &[String]) -> Result<u8, Fail> {
    let opts = Opts::parse(args, &[])?;
    opts.only(&["alg", "kid", "private-out"])?;
    let alg = parse_alg(opts.need("alg")?)?;
    let out = opts.need("private-out")?;
    let key = SigningKey::generate(alg)?;
    let mut public = key.public_jwk();
    let kid = match opts.get("kid") {
        Some(k) => k.to_string(),
        None => thumbprint(&public)?,
    };
    let mut private = key.private_jwk();
    for m in [&mut public, &mut private] {
        m.insert("kid".into(), kid.clone().into());
        m.insert("alg".into(), alg.name().into());
    }
    public.insert("use".into(), "sig".into());
    write_private(out, &serde_json::to_string_pretty(&Value::Object(private))?)?;
    let set = json!({"keys": [Value::Object(public)]});
    println!("{}", serde_json::to_string_pretty(&set)?);
    Ok(0)
}

fn write_private(path: &str, text: &str) -> Result<(), Fail> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| Fail(format!("{path}: {e}")))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

/// `edgeward sign --key FILE --alg ALG --claims JSON [--kid KID] [--typ TYP] [--header JSON]`.
pub fn sign_cmd(args: &[String]) -> Result<u8, Fail> {
    let opts = Opts::parse(args, &[])?;
    opts.only(&["key", "alg", "claims", "kid", "typ", "header"])?;
    let key = load_private(opts.need("key")?)?;
    let alg = parse_alg(opts.need("alg")?)?;
    let claims = opts.need("claims")?;
    let claims_text = match claims.strip_prefix('@') {
        Some(file) => std::fs::read_to_string(file).map_err(|e| Fail(format!("{file}: {e}")))?,
        None => claims.to_string(),
    };
    // Keep the claims bytes exactly as given (after checking they are JSON).
    serde_json::from_str::<Value>(&claims_text).map_err(|e| Fail(format!("--claims: {e}")))?;
    let mut header = Map::new();
    header.insert("alg".into(), alg.name().into());
    header.insert("typ".into(), opts.get("typ").unwrap_or("JWT").into());
    if let Some(kid) = opts.get("kid") {
        header.insert("kid".into(), kid.into());
    } else if let Some(kid) = load_kid(opts.need("key")?) {
        header.insert("kid".into(), kid.into());
    }
    if let Some(extra) = opts.get("header") {
        let v: Value = serde_json::from_str(extra).map_err(|e| Fail(format!("--header: {e}")))?;
        for (k, v) in v
            .as_object()
            .ok_or_else(|| Fail("--header must be an object".into()))?
        {
            header.insert(k.clone(), v.clone());
        }
    }
    let signing_input = format!(
        "{}.{}",
        b64::encode(serde_json::to_string(&Value::Object(header))?.as_bytes()),
        b64::encode(claims_text.trim().as_bytes())
    );
    let sig = key.sign(alg, signing_input.as_bytes())?;
    println!("{signing_input}.{}", b64::encode(&sig));
    Ok(0)
}

fn load_kid(path: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    v.get("kid")?.as_str().map(String::from)
}
