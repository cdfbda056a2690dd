//! `edgeward cookie verify` and `edgeward cookie sign`: signed URLs, signed cookies and session
//! cookies from the command line, with the same reasons and exit codes as `edgeward verify`.
//!
//! The signers here (Google Cloud CDN, Akamai `EdgeAuth`, session cookies) are for operators and
//! tests. Secrets are read from environment variables only, never from arguments (they would
//! show in process lists and shell history); `CloudFront` signing reads the key pair's private
//! key from a PEM file.

use std::fmt::Write as _;

use base64::Engine as _;
use edgeward::decision::{self, Request};
use edgeward::Policy;
use hmac::{Hmac, Mac};

use crate::{Fail, Opts, USAGE};

/// `edgeward cookie ...`.
pub fn cookie_cmd(
    args: &[String],
    load: &dyn Fn(&str) -> Result<Policy, Fail>,
    wall: i64,
) -> Result<u8, Fail> {
    match args.split_first() {
        Some((sub, rest)) if sub == "verify" => verify(rest, load, wall),
        Some((sub, rest)) if sub == "sign" => sign(rest, load, wall),
        _ => Err(Fail(USAGE.into())),
    }
}

fn parse_now(opts: &Opts, wall: i64) -> Result<i64, Fail> {
    opts.get("now").map_or(Ok(wall), |n| {
        n.parse::<i64>()
            .map_err(|_| Fail("--now takes Unix seconds".into()))
    })
}

/// Splits `https://host/path?q#f` into its origin (`https://host`) and the request target a
/// client sends (`/path?q`: no fragment; `/` when the path is empty, `/?q` for `https://host?q`).
fn split_url(url: &str) -> Result<(&str, String), Fail> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| Fail("--url takes an absolute http(s) URL".into()))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let origin = &url[..url.len() - rest.len() + end];
    let target = rest[end..].split('#').next().unwrap_or("");
    let target = if target.starts_with('/') {
        target.to_string()
    } else {
        format!("/{target}")
    };
    Ok((origin, target))
}

fn verify(
    args: &[String],
    load: &dyn Fn(&str) -> Result<Policy, Fail>,
    wall: i64,
) -> Result<u8, Fail> {
    let opts = Opts::parse(args, &["json"])?;
    opts.only_repeating(
        &[
            "policy",
            "provider",
            "url",
            "cookie",
            "header",
            "client-ip",
            "now",
            "json",
        ],
        &["cookie", "header"],
    )?;
    let policy = load(opts.need("policy")?)?;
    let now = parse_now(&opts, wall)?;
    let url = opts.need("url")?;
    let (origin, target) = split_url(url)?;
    // The hosts judge a request against public_origin, never its Host header: a URL for
    // another origin would be judged as if it were for this one.
    if let Some(public) = &policy.public_origin {
        if !origin.eq_ignore_ascii_case(public) {
            return Err(Fail(format!(
                "--url is for {origin}, but the policy's public_origin is {public} (the origin \
                 every request is judged against)"
            )));
        }
    }
    let index = if let Some(name) = opts.get("provider") {
        policy
            .provider_index(name)
            .ok_or_else(|| Fail(format!("no provider named {name:?}")))?
    } else {
        let cookies: Vec<usize> = (0..policy.providers.len())
            .filter(|i| policy.providers[*i].kind.name() != "jwt")
            .collect();
        let [one] = cookies.as_slice() else {
            return Err(Fail(
                "--provider is required (the policy has no or several cookie providers)".into(),
            ));
        };
        *one
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    for c in opts.all("cookie") {
        headers.push(("cookie".into(), c.into()));
    }
    for h in opts.all("header") {
        let (n, v) = h
            .split_once(':')
            .ok_or_else(|| Fail(format!("--header takes NAME:VALUE, got {h:?}")))?;
        headers.push((n.trim().into(), v.trim_start().into()));
    }
    let header_refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    // The core reads an unparsable peer address as "unknown client"; on the command line
    // that is a typo, not a request to judge.
    if let Some(ip) = opts.get("client-ip") {
        if edgeward::context::parse_addr(ip).is_none() {
            return Err(Fail(format!("--client-ip: {ip:?} is not an address")));
        }
    }
    let req = Request {
        method: "GET",
        path: &target,
        headers: &header_refs,
        client_addr: opts.get("client-ip"),
        peer_certificate: None,
        route: None,
        now,
    };
    let provider = &policy.providers[index];
    let result = decision::verify_provider(&policy, index, &req);
    let (reason, detail) = match &result {
        Ok(_) => (None, ""),
        Err(r) => (Some(r.reason), r.detail),
    };
    if let Some(prefix) = result
        .as_ref()
        .ok()
        .and_then(|a| a.claims.as_object())
        .and_then(|o| o.get_str("url_prefix"))
    {
        warn_prefix(prefix);
    }
    if opts.has("json") {
        let mut out = String::from("{\"valid\":");
        out.push_str(if reason.is_none() { "true" } else { "false" });
        out.push_str(",\"reason\":");
        match reason {
            Some(r) => edgeward::json::write_string(r.code(), &mut out),
            None => out.push_str("null"),
        }
        out.push_str(",\"detail\":");
        edgeward::json::write_string(detail, &mut out);
        out.push_str(",\"provider\":");
        edgeward::json::write_string(&provider.name, &mut out);
        out.push_str(",\"kind\":");
        edgeward::json::write_string(provider.kind.name(), &mut out);
        let status = reason.map_or(200, |r| {
            r.disposition_for(provider.kind.credential_kind()).status
        });
        let _ = write!(out, ",\"status\":{status}");
        out.push_str(",\"claims\":");
        out.push_str(
            &result
                .as_ref()
                .map_or_else(|_| "null".to_string(), |a| a.claims.to_json()),
        );
        out.push('}');
        println!("{out}");
    } else {
        match (&result, reason) {
            (Ok(a), _) => {
                println!("valid (provider {})", provider.name);
                println!("{}", a.claims.to_json());
            }
            (Err(_), Some(r)) if detail.is_empty() => println!("rejected: {}", r.code()),
            (Err(_), Some(r)) => println!("rejected: {} ({detail})", r.code()),
            (Err(_), None) => println!("rejected"),
        }
    }
    Ok(u8::from(result.is_err()))
}

/// Google's `URLPrefix` is a plain string prefix: without a trailing `/` it also covers the
/// siblings that share its spelling. Said on stderr, so JSON output stays clean.
fn warn_prefix(prefix: &str) {
    if edgeward::signed::google::prefix_lacks_trailing_slash(prefix) {
        eprintln!(
            "edgeward: warning: URL prefix {prefix:?} does not end in / and also covers \
             every path that starts with it (e.g. {prefix}-private/...)"
        );
    }
}

fn env_secret(opts: &Opts, flag: &str) -> Result<String, Fail> {
    let var = opts.need(flag)?;
    std::env::var(var).map_err(|_| Fail(format!("environment variable {var} is not set")))
}

fn sign(
    args: &[String],
    load: &dyn Fn(&str) -> Result<Policy, Fail>,
    wall: i64,
) -> Result<u8, Fail> {
    let Some((scheme, rest)) = args.split_first() else {
        return Err(Fail(USAGE.into()));
    };
    let opts = Opts::parse(rest, &[])?;
    if let Some(prefix) = opts.get("prefix") {
        warn_prefix(prefix);
    }
    let out = match scheme.as_str() {
        "session" => {
            opts.only(&["policy", "provider", "claims", "client-ip", "now"])?;
            let policy = load(opts.need("policy")?)?;
            let name = opts.need("provider")?;
            let index = policy
                .provider_index(name)
                .ok_or_else(|| Fail(format!("no provider named {name:?}")))?;
            let claims = edgeward::json::parse(
                opts.need("claims")?.as_bytes(),
                &edgeward::json::Limits::CLAIMS,
            )
            .map_err(|e| Fail(format!("--claims: {e}")))?;
            let ip = opts
                .get("client-ip")
                .map(|s| {
                    edgeward::context::parse_addr(s)
                        .ok_or_else(|| Fail(format!("--client-ip: {s:?} is not an address")))
                })
                .transpose()?;
            let minted = edgeward::credential::mint(
                &policy.providers[index],
                &claims,
                parse_now(&opts, wall)?,
                ip,
            )
            .map_err(|r| Fail(format!("cannot mint: {r}")))?;
            minted.set_cookie
        }
        "google-url" => {
            opts.only(&["key-name", "key-env", "url", "expires", "prefix"])?;
            let key = google_key(&env_secret(&opts, "key-env")?)?;
            google_sign_url(
                &key,
                opts.need("key-name")?,
                opts.need("url")?,
                opts.get("prefix"),
                expires(&opts)?,
            )
        }
        "google-cookie" => {
            opts.only(&["key-name", "key-env", "expires", "prefix"])?;
            let key = google_key(&env_secret(&opts, "key-env")?)?;
            format!(
                "{}={}",
                edgeward::credential::GOOGLE_COOKIE,
                google_sign_cookie(
                    &key,
                    opts.need("key-name")?,
                    opts.need("prefix")?,
                    expires(&opts)?
                )
            )
        }
        "akamai" => {
            opts.only(&[
                "key-env",
                "algorithm",
                "acl",
                "url",
                "expires",
                "start",
                "ip",
                "id",
                "data",
                "salt-env",
            ])?;
            let key = env_secret(&opts, "key-env")?;
            let salt = opts
                .get("salt-env")
                .map(|_| env_secret(&opts, "salt-env"))
                .transpose()?;
            let scope = match (opts.get("acl"), opts.get("url")) {
                (Some(a), None) => AkamaiScope::Acl(a),
                (None, Some(u)) => AkamaiScope::Url(u),
                _ => return Err(Fail("exactly one of --acl or --url".into())),
            };
            let start = opts
                .get("start")
                .map(|s| {
                    s.parse::<i64>()
                        .map_err(|_| Fail("--start takes Unix seconds".into()))
                })
                .transpose()?;
            akamai_sign(&AkamaiToken {
                key_hex: &key,
                algorithm: opts.get("algorithm").unwrap_or("sha256"),
                scope,
                expires: expires(&opts)?,
                start,
                ip: opts.get("ip"),
                id: opts.get("id"),
                data: opts.get("data"),
                salt: salt.as_deref(),
            })?
        }
        "cloudfront-url" | "cloudfront-cookie" => {
            opts.only(&[
                "private-key",
                "key-pair-id",
                "url",
                "expires",
                "policy",
                "hash-algorithm",
            ])?;
            let key = crate::keys::load_private(opts.need("private-key")?)?;
            let hash = match opts.get("hash-algorithm").unwrap_or("SHA1") {
                "SHA1" => false,
                "SHA256" => true,
                other => return Err(Fail(format!("--hash-algorithm {other:?}: SHA1 or SHA256"))),
            };
            let policy = match (opts.get("policy"), opts.get("expires")) {
                (Some(p), None) => CloudFrontPolicy::Custom(p),
                (None, Some(_)) => CloudFrontPolicy::Canned(expires(&opts)?),
                _ => return Err(Fail("exactly one of --policy JSON or --expires T".into())),
            };
            let signed = cloudfront_sign(
                &key,
                opts.need("key-pair-id")?,
                opts.need("url")?,
                policy,
                hash,
            )?;
            if scheme == "cloudfront-url" {
                signed.url
            } else {
                signed.cookies.join("\n")
            }
        }
        other => {
            return Err(Fail(format!(
                "cannot sign {other:?}: session, google-url, google-cookie, akamai, \
                 cloudfront-url or cloudfront-cookie"
            )))
        }
    };
    println!("{out}");
    Ok(0)
}

fn expires(opts: &Opts) -> Result<i64, Fail> {
    opts.need("expires")?
        .parse::<i64>()
        .map_err(|_| Fail("--expires takes Unix seconds".into()))
}

/// Decodes a Google key file's content (16 bytes, base64url with padding).
pub fn google_key(b64: &str) -> Result<Vec<u8>, Fail> {
    let key = base64::engine::general_purpose::URL_SAFE
        .decode(b64.trim())
        .map_err(|_| Fail("the Google key is not base64url".into()))?;
    // Cloud CDN keys are 16 bytes, and a policy refuses any other length: signing with one
    // would only make credentials nothing verifies.
    if key.len() != 16 {
        return Err(Fail(format!(
            "the Google key is {} bytes; Cloud CDN keys are 16",
            key.len()
        )));
    }
    Ok(key)
}

fn google_mac(key: &[u8], message: &str) -> String {
    let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(message.as_bytes());
    base64::engine::general_purpose::URL_SAFE.encode(mac.finalize().into_bytes())
}

/// Signs a Cloud CDN URL as Google's "Using signed URLs" page describes: the URL with
/// `Expires` and `KeyName` appended (or, with a prefix, `URLPrefix`, `Expires`, `KeyName`),
/// then `Signature`, the padded base64url HMAC-SHA1 of what precedes `&Signature=`.
pub fn google_sign_url(
    key: &[u8],
    key_name: &str,
    url: &str,
    prefix: Option<&str>,
    expires: i64,
) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    match prefix {
        None => {
            let signed = format!("{url}{sep}Expires={expires}&KeyName={key_name}");
            let sig = google_mac(key, &signed);
            format!("{signed}&Signature={sig}")
        }
        Some(p) => {
            let policy = format!(
                "URLPrefix={}&Expires={expires}&KeyName={key_name}",
                base64::engine::general_purpose::URL_SAFE.encode(p)
            );
            let sig = google_mac(key, &policy);
            format!("{url}{sep}{policy}&Signature={sig}")
        }
    }
}

/// The value of a `Cloud-CDN-Cookie` ("Using signed cookies"): `URLPrefix=..:Expires=..:
/// KeyName=..:Signature=..`.
pub fn google_sign_cookie(key: &[u8], key_name: &str, prefix: &str, expires: i64) -> String {
    let policy = format!(
        "URLPrefix={}:Expires={expires}:KeyName={key_name}",
        base64::engine::general_purpose::URL_SAFE.encode(prefix)
    );
    let sig = google_mac(key, &policy);
    format!("{policy}:Signature={sig}")
}

/// What an Akamai token covers.
#[derive(Clone, Copy, Debug)]
pub enum AkamaiScope<'a> {
    /// ACL entries joined with `!`.
    Acl(&'a str),
    /// The path a URL token is signed for (not carried in the token).
    Url(&'a str),
}

/// An Akamai `EdgeAuth` token to sign (default delimiters, no early escaping).
#[derive(Clone, Copy, Debug)]
pub struct AkamaiToken<'a> {
    /// Hex key.
    pub key_hex: &'a str,
    /// `sha256`, `sha1` or `md5`.
    pub algorithm: &'a str,
    /// ACL or URL.
    pub scope: AkamaiScope<'a>,
    /// `exp`.
    pub expires: i64,
    /// `st`.
    pub start: Option<i64>,
    /// `ip`.
    pub ip: Option<&'a str>,
    /// `id`.
    pub id: Option<&'a str>,
    /// `data`.
    pub data: Option<&'a str>,
    /// Salt.
    pub salt: Option<&'a str>,
}

/// Signs an Akamai `EdgeAuth` (Auth Token 2.0) token the way the reference signer does:
/// `[ip=~][st=~]exp=[~acl=][~id=][~data=]`, MAC over that (plus `~url=` for URL tokens and
/// `~salt=`), `~hmac=` lowercase hex.
pub fn akamai_sign(t: &AkamaiToken<'_>) -> Result<String, Fail> {
    let key = (0..t.key_hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(t.key_hex.get(i..i + 2).unwrap_or("x"), 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| Fail("the Akamai key is not hex".into()))?;
    let mut token = String::new();
    if let Some(ip) = t.ip {
        let _ = write!(token, "ip={ip}~");
    }
    if let Some(st) = t.start {
        let _ = write!(token, "st={st}~");
    }
    let _ = write!(token, "exp={}", t.expires);
    if let AkamaiScope::Acl(a) = t.scope {
        let _ = write!(token, "~acl={a}");
    }
    if let Some(id) = t.id {
        let _ = write!(token, "~id={id}");
    }
    if let Some(d) = t.data {
        let _ = write!(token, "~data={d}");
    }
    let mut message = token.clone();
    if let AkamaiScope::Url(u) = t.scope {
        let _ = write!(message, "~url={u}");
    }
    if let Some(s) = t.salt {
        let _ = write!(message, "~salt={s}");
    }
    let tag = match t.algorithm {
        "sha256" => hex_mac::<Hmac<sha2::Sha256>>(&key, &message),
        "sha1" => hex_mac::<Hmac<sha1::Sha1>>(&key, &message),
        "md5" => hex_mac::<Hmac<md5::Md5>>(&key, &message),
        other => return Err(Fail(format!("--algorithm {other:?}: sha256, sha1 or md5"))),
    };
    Ok(format!("{token}~hmac={tag}"))
}

fn hex_mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], msg: &str) -> String {
    let mut m = <M as Mac>::new_from_slice(key).expect("HMAC takes any key");
    m.update(msg.as_bytes());
    m.finalize()
        .into_bytes()
        .iter()
        .fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A `CloudFront` policy to sign: canned (the URL and an expiry) or custom (the JSON as given).
#[derive(Clone, Copy, Debug)]
pub enum CloudFrontPolicy<'a> {
    /// `Expires`.
    Canned(i64),
    /// The policy JSON, signed and sent as given.
    Custom(&'a str),
}

/// A signed `CloudFront` URL and the equivalent `Cookie` pairs.
#[derive(Clone, Debug)]
pub struct CloudFrontSigned {
    /// The URL with the signing parameters appended.
    pub url: String,
    /// `name=value` pairs of the signed cookies.
    pub cookies: Vec<String>,
}

/// `CloudFront`'s base64: standard base64 with `+=/` replaced by `-_~`.
pub fn cloudfront_b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(bytes)
        .replace('+', "-")
        .replace('=', "_")
        .replace('/', "~")
}

/// Signs a `CloudFront` URL and cookies as `CloudFront` documents it ("Create a signed URL
/// using a canned / custom policy"): the canned policy
/// `{"Statement":[{"Resource":URL,"Condition":{"DateLessThan":{"AWS:EpochTime":T}}}]}` without
/// whitespace, or the custom policy as given; RSA PKCS#1 v1.5 or ECDSA P-256 (DER) over it
/// with SHA-1, or SHA-256 with `Hash-Algorithm=SHA256`.
pub fn cloudfront_sign(
    key: &crate::keys::SigningKey,
    key_pair_id: &str,
    url: &str,
    policy: CloudFrontPolicy<'_>,
    sha256: bool,
) -> Result<CloudFrontSigned, Fail> {
    use p256::ecdsa::signature::hazmat::PrehashSigner as _;
    use sha1::Digest as _;
    let text = match policy {
        CloudFrontPolicy::Canned(t) => format!(
            "{{\"Statement\":[{{\"Resource\":\"{url}\",\"Condition\":{{\"DateLessThan\":{{\"AWS:EpochTime\":{t}}}}}}}]}}"
        ),
        CloudFrontPolicy::Custom(p) => p.to_string(),
    };
    let digest = if sha256 {
        sha2::Sha256::digest(text.as_bytes()).to_vec()
    } else {
        sha1::Sha1::digest(text.as_bytes()).to_vec()
    };
    let sig = match key {
        crate::keys::SigningKey::Rsa(k) => {
            let scheme = if sha256 {
                rsa::Pkcs1v15Sign::new::<sha2::Sha256>()
            } else {
                rsa::Pkcs1v15Sign::new::<sha1::Sha1>()
            };
            k.sign(scheme, &digest)?
        }
        crate::keys::SigningKey::P256(k) => {
            let s: p256::ecdsa::Signature = k.sign_prehash(&digest)?;
            s.to_der().as_bytes().to_vec()
        }
        _ => return Err(Fail("CloudFront keys are RSA or ECDSA P-256".into())),
    };
    let sig = cloudfront_b64(&sig);
    let sep = if url.contains('?') { '&' } else { '?' };
    let (first, cookie_first) = match policy {
        CloudFrontPolicy::Canned(t) => (format!("Expires={t}"), format!("CloudFront-Expires={t}")),
        CloudFrontPolicy::Custom(_) => {
            let p = cloudfront_b64(text.as_bytes());
            (format!("Policy={p}"), format!("CloudFront-Policy={p}"))
        }
    };
    let mut signed_url = format!("{url}{sep}{first}&Signature={sig}&Key-Pair-Id={key_pair_id}");
    let mut cookies = vec![
        cookie_first,
        format!("CloudFront-Signature={sig}"),
        format!("CloudFront-Key-Pair-Id={key_pair_id}"),
    ];
    if sha256 {
        signed_url.push_str("&Hash-Algorithm=SHA256");
        cookies.push("CloudFront-Hash-Algorithm=SHA256".into());
    }
    Ok(CloudFrontSigned {
        url: signed_url,
        cookies,
    })
}

/// The `SubjectPublicKeyInfo` PEM of an RSA or P-256 key: what `CloudFront` takes as a public
/// key, and what a `cloudfront` provider's `public_key_pem` holds.
pub fn public_key_pem(key: &crate::keys::SigningKey) -> Result<String, Fail> {
    use p256::pkcs8::{EncodePublicKey as _, LineEnding};
    match key {
        crate::keys::SigningKey::Rsa(k) => {
            Ok(rsa::RsaPublicKey::from(&**k).to_public_key_pem(LineEnding::LF)?)
        }
        crate::keys::SigningKey::P256(k) => {
            Ok(k.verifying_key().to_public_key_pem(LineEnding::LF)?)
        }
        _ => Err(Fail("CloudFront keys are RSA or ECDSA P-256".into())),
    }
}

/// Random bytes from the OS (test and demo keys, made at run time).
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut v);
    v
}
