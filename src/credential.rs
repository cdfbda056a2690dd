//! Providers that are not bearer JWTs: CDN signed URLs and signed cookies ([`crate::signed`]),
//! and edgeward session cookies (a compact JWS minted here after an identity-provider token
//! was accepted once, so later requests cost one HMAC).
//!
//! The policy compiles a provider's `kind`, `signed` and `session` members into
//! [`Kind`]; [`crate::decision`] finds the credential and calls [`verify_signed`] or
//! [`check_session`]. Both answer with the core's [`Reason`]s, and their accepted credentials
//! carry a claims object, so `claim_to_headers` works for every kind.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::net::IpAddr;
use serde::Deserialize;

use crate::json::{Number, Object, Value};
use crate::policy::{Accepted, PolicyError, Provider};
use crate::reason::{Reason, Rejection};
use crate::signed::akamai::{self, AkamaiConfig};
use crate::signed::cloudfront::{self, CloudFrontKeys};
use crate::signed::google::{self, GoogleKeys};
use crate::signed::SignedError;

/// The `typ` of session cookies: identity-provider (JWT) providers refuse it, session providers demand it.
pub const SESSION_TYP: &str = "edgeward-session+jwt";
/// The session cookie name when the policy names none.
pub const DEFAULT_SESSION_COOKIE: &str = "__Host-edgeward-session";

/// The most bytes of a cookie's name, `=` and value that browsers keep (RFC 6265 section
/// 6.1 asks for at least 4096; common browsers keep no more).
pub const MAX_BROWSER_COOKIE: usize = 4096;
/// The claim that binds a session cookie to a client address.
pub const CLIENT_IP_CLAIM: &str = "cip";
/// The cookie Google Cloud CDN's signed cookies use.
pub const GOOGLE_COOKIE: &str = "Cloud-CDN-Cookie";
/// The cookies of `CloudFront` signed cookies, in the order [`cloudfront_cookie_credential`]
/// joins them.
pub const CLOUDFRONT_COOKIES: [&str; 5] = [
    "CloudFront-Policy",
    "CloudFront-Expires",
    "CloudFront-Signature",
    "CloudFront-Key-Pair-Id",
    "CloudFront-Hash-Algorithm",
];
/// The query parameters of `CloudFront` signed URLs.
pub const CLOUDFRONT_PARAMS: [&str; 5] = [
    "Policy",
    "Expires",
    "Signature",
    "Key-Pair-Id",
    "Hash-Algorithm",
];
/// The query parameters of Google Cloud CDN signed URLs.
pub const GOOGLE_PARAMS: [&str; 4] = ["URLPrefix", "Expires", "KeyName", "Signature"];
/// Akamai's default token name (cookie or query parameter).
pub const AKAMAI_TOKEN: &str = "__token__";

// ---------------------------------------------------------------------------------------------
// The document, as written.

/// `signed` in a `signed_url` or `signed_cookie` provider.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedDoc {
    /// `google_cloud_cdn`, `akamai_edgeauth` or `cloudfront`.
    pub scheme: String,
    /// The keys: Google `{name, secret_from_env}`; Akamai one `{secret_from_env}`;
    /// `CloudFront` `{name: key pair id, public_key_pem}`.
    pub keys: Vec<SignedKeyDoc>,
    /// Akamai: `sha256` (default), `sha1` or `md5`.
    #[serde(default)]
    pub algorithm: Option<String>,
    /// Akamai: the environment variable holding the salt, if the property uses one.
    #[serde(default)]
    pub salt_from_env: Option<String>,
    /// Akamai: the field delimiter (default `~`).
    #[serde(default)]
    pub field_delimiter: Option<char>,
    /// Akamai: the ACL delimiter (default `!`).
    #[serde(default)]
    pub acl_delimiter: Option<char>,
    /// Akamai: whether the signer escaped field values early (default false).
    #[serde(default)]
    pub escape_early: bool,
}

/// One key of a signed-URL scheme. Secrets come from the host's environment only.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedKeyDoc {
    /// Google `KeyName`.
    #[serde(default)]
    pub name: Option<String>,
    /// The environment variable with the key (Google: the key file's base64url; Akamai: hex).
    #[serde(default)]
    pub secret_from_env: Option<String>,
    /// `CloudFront`: the public key as uploaded to `CloudFront` (`-----BEGIN PUBLIC KEY-----`).
    #[serde(default)]
    pub public_key_pem: Option<String>,
}

/// `session` in a `session_cookie` provider.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionDoc {
    /// Lifetime of a minted cookie (default 900; 60 to 86400), never past the identity-provider token's `exp`.
    #[serde(default = "default_session_lifetime")]
    pub lifetime_seconds: i64,
    /// Bind minted cookies to the client address (claim `cip`), and refuse them from another.
    #[serde(default)]
    pub bind_client_ip: bool,
    /// Claims copied from the identity-provider token into the cookie (`sub` always is).
    #[serde(default)]
    pub claims: Vec<String>,
    /// `SameSite` of minted cookies: `strict`, `lax` (default) or `none`.
    #[serde(default = "default_same_site")]
    pub same_site: String,
    /// Bind minted cookies to the `DPoP` key of the token they are minted from (`cnf.jkt`):
    /// every request with the cookie must carry a `DPoP` proof by that key.
    #[serde(default)]
    pub bind_dpop_key: bool,
}

fn default_session_lifetime() -> i64 {
    900
}
fn default_same_site() -> String {
    "lax".into()
}

// ---------------------------------------------------------------------------------------------
// Compiled.

/// What a provider checks.
#[derive(Clone, Debug)]
pub enum Kind {
    /// Bearer JWTs (the default).
    Jwt,
    /// A CDN signed URL: the credential is in the request URL.
    SignedUrl(Scheme),
    /// A CDN signed cookie (or Akamai token in a cookie, parameter or header).
    SignedCookie(Scheme),
    /// An edgeward session cookie: JWT checks plus the session rules.
    Session(Session),
}

impl Kind {
    /// How this kind's denials are answered.
    pub fn credential_kind(&self) -> crate::reason::CredentialKind {
        use crate::reason::CredentialKind;
        match self {
            Kind::Jwt => CredentialKind::Bearer,
            Kind::SignedUrl(_) | Kind::SignedCookie(_) => CredentialKind::Signed,
            Kind::Session(_) => CredentialKind::Session,
        }
    }

    /// The policy's name for it.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Jwt => "jwt",
            Kind::SignedUrl(_) => "signed_url",
            Kind::SignedCookie(_) => "signed_cookie",
            Kind::Session(_) => "session_cookie",
        }
    }
}

/// A signed-URL scheme with its keys.
#[derive(Clone, Debug)]
pub enum Scheme {
    /// Google Cloud CDN (HMAC-SHA1, named keys).
    Google(GoogleKeys),
    /// Akamai `EdgeAuth`.
    Akamai(alloc::boxed::Box<AkamaiConfig>),
    /// AWS `CloudFront` (RSA or ECDSA P-256 public keys by key pair id).
    CloudFront(alloc::boxed::Box<CloudFrontKeys>),
}

impl Scheme {
    /// The policy's name for it.
    pub fn name(&self) -> &'static str {
        match self {
            Scheme::Google(_) => "google_cloud_cdn",
            Scheme::Akamai(_) => "akamai_edgeauth",
            Scheme::CloudFront(_) => "cloudfront",
        }
    }

    /// Whether verification needs the full public URL (and so `public_origin`).
    pub fn needs_url(&self) -> bool {
        matches!(self, Scheme::Google(_) | Scheme::CloudFront(_))
    }
}

/// A compiled session provider's minting rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The cookie's name (always `__Host-` prefixed).
    pub cookie: String,
    /// Lifetime of minted cookies.
    pub lifetime: i64,
    /// Bind to the client address.
    pub bind_client_ip: bool,
    /// Claims copied at mint.
    pub claims: Vec<String>,
    /// `Strict`, `Lax` or `None`.
    pub same_site: &'static str,
    /// Bind to the minting token's `DPoP` key.
    pub bind_dpop_key: bool,
}

fn err(field: impl Into<String>, message: impl Into<String>) -> PolicyError {
    PolicyError {
        field: field.into(),
        message: message.into(),
    }
}

/// Compiles `signed` for a provider of `kind` (`signed_url` or `signed_cookie`).
pub(crate) fn compile_signed(
    field: &str,
    doc: &SignedDoc,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Scheme, PolicyError> {
    let secret = |i: usize, k: &SignedKeyDoc| -> Result<String, PolicyError> {
        let f = format!("{field}.keys[{i}].secret_from_env");
        let var = k
            .secret_from_env
            .as_deref()
            .ok_or_else(|| err(&f, "required (keys come from the environment only)"))?;
        env(var).ok_or_else(|| err(&f, format!("environment variable {var} is not set")))
    };
    let akamai_only = doc.algorithm.is_some()
        || doc.salt_from_env.is_some()
        || doc.field_delimiter.is_some()
        || doc.acl_delimiter.is_some()
        || doc.escape_early;
    if doc.scheme != "akamai_edgeauth" {
        if akamai_only {
            return Err(err(
                field,
                "algorithm, salt_from_env, delimiters and escape_early are akamai_edgeauth options",
            ));
        }
        if doc.keys.is_empty() {
            return Err(err(format!("{field}.keys"), "at least one key"));
        }
    }
    match doc.scheme.as_str() {
        "google_cloud_cdn" => {
            let mut pairs = Vec::new();
            for (i, k) in doc.keys.iter().enumerate() {
                if k.public_key_pem.is_some() {
                    return Err(err(
                        format!("{field}.keys[{i}].public_key_pem"),
                        "Google keys are secrets (secret_from_env)",
                    ));
                }
                let name = k
                    .name
                    .clone()
                    .ok_or_else(|| err(format!("{field}.keys[{i}].name"), "required"))?;
                pairs.push((name, secret(i, k)?));
            }
            GoogleKeys::new(pairs.iter().map(|(n, k)| (n.as_str(), k.as_str())))
                .map(Scheme::Google)
                .map_err(|e| err(format!("{field}.keys"), e.code()))
        }
        "akamai_edgeauth" => {
            let [k] = doc.keys.as_slice() else {
                return Err(err(
                    format!("{field}.keys"),
                    "exactly one key (a property signs with one)",
                ));
            };
            if k.name.is_some() || k.public_key_pem.is_some() {
                return Err(err(
                    format!("{field}.keys[0]"),
                    "an Akamai key is {secret_from_env} only",
                ));
            }
            let alg_name = doc.algorithm.as_deref().unwrap_or("sha256");
            let alg = akamai::Algorithm::from_name(alg_name)
                .ok_or_else(|| err(format!("{field}.algorithm"), "sha256, sha1 or md5"))?;
            let key = secret(0, k)?;
            let mut cfg = AkamaiConfig::new(&key, alg)
                .map_err(|e| err(format!("{field}.keys[0]"), e.code()))?;
            if let Some(var) = &doc.salt_from_env {
                let salt = env(var).ok_or_else(|| {
                    err(
                        format!("{field}.salt_from_env"),
                        format!("environment variable {var} is not set"),
                    )
                })?;
                cfg = cfg
                    .with_salt(&salt)
                    .map_err(|e| err(format!("{field}.salt_from_env"), e.code()))?;
            }
            cfg = cfg
                .with_delimiters(
                    doc.field_delimiter.unwrap_or('~'),
                    doc.acl_delimiter.unwrap_or('!'),
                )
                .map_err(|e| err(format!("{field}.field_delimiter"), e.code()))?
                .with_escape_early(doc.escape_early);
            Ok(Scheme::Akamai(alloc::boxed::Box::new(cfg)))
        }
        "cloudfront" => {
            let mut pairs = Vec::new();
            for (i, k) in doc.keys.iter().enumerate() {
                let f = format!("{field}.keys[{i}]");
                if k.secret_from_env.is_some() {
                    return Err(err(
                        &f,
                        "CloudFront keys are public: {name: key pair id, public_key_pem}",
                    ));
                }
                let (Some(name), Some(pem)) = (&k.name, &k.public_key_pem) else {
                    return Err(err(
                        &f,
                        "name (the key pair id) and public_key_pem are required",
                    ));
                };
                pairs.push((name.as_str(), pem.as_str()));
            }
            CloudFrontKeys::new(pairs)
                .map(|k| Scheme::CloudFront(alloc::boxed::Box::new(k)))
                .map_err(|e| err(format!("{field}.keys"), e.code()))
        }
        other => Err(err(
            format!("{field}.scheme"),
            format!("{other:?}: one of google_cloud_cdn, akamai_edgeauth, cloudfront"),
        )),
    }
}

/// The environment variables a `signed` member reads (for the policy generation digest).
pub(crate) fn signed_env_vars(doc: &SignedDoc) -> Vec<&str> {
    doc.keys
        .iter()
        .filter_map(|k| k.secret_from_env.as_deref())
        .chain(doc.salt_from_env.as_deref())
        .collect()
}

/// Compiles `session`, with the provider's cookie (already checked to be one `__Host-` name).
pub(crate) fn compile_session(
    field: &str,
    doc: Option<&SessionDoc>,
    cookie: String,
) -> Result<Session, PolicyError> {
    let default = SessionDoc {
        lifetime_seconds: default_session_lifetime(),
        bind_client_ip: false,
        claims: Vec::new(),
        same_site: default_same_site(),
        bind_dpop_key: false,
    };
    let doc = doc.unwrap_or(&default);
    if !(60..=86_400).contains(&doc.lifetime_seconds) {
        return Err(err(
            format!("{field}.lifetime_seconds"),
            "must be 60 to 86400",
        ));
    }
    let same_site = match doc.same_site.as_str() {
        "strict" => "Strict",
        "lax" => "Lax",
        "none" => "None",
        _ => return Err(err(format!("{field}.same_site"), "strict, lax or none")),
    };
    for (i, c) in doc.claims.iter().enumerate() {
        if RESERVED_SESSION_CLAIMS.contains(&c.as_str()) || c.is_empty() || c.starts_with('/') {
            return Err(err(
                format!("{field}.claims[{i}]"),
                format!("{c:?} cannot be copied (a top-level claim other than iss, aud, exp, nbf, iat, cip, sub)"),
            ));
        }
    }
    Ok(Session {
        cookie,
        lifetime: doc.lifetime_seconds,
        bind_client_ip: doc.bind_client_ip,
        claims: doc.claims.clone(),
        same_site,
        bind_dpop_key: doc.bind_dpop_key,
    })
}

/// Claims a session cookie sets itself.
const RESERVED_SESSION_CLAIMS: &[&str] = &["iss", "aud", "exp", "nbf", "iat", "cip", "sub", "cnf"];

// ---------------------------------------------------------------------------------------------
// Verification.

/// What a request offers a signed provider.
#[derive(Clone, Copy, Debug)]
pub struct SignedInput<'a> {
    /// The credential as found: the public URL for signed URLs (Google), the token or cookie
    /// value otherwise.
    pub credential: &'a str,
    /// The raw request path without the query.
    pub raw_path: &'a str,
    /// `public_origin` + the raw request target, when the policy has an origin.
    pub public_url: Option<&'a str>,
    /// The request's client address.
    pub client_ip: Option<IpAddr>,
    /// Unix seconds.
    pub now: i64,
}

/// The reason for a scheme's error.
pub fn reason_of(e: SignedError) -> Reason {
    match e {
        SignedError::UnknownKey => Reason::KeyNotFound,
        SignedError::SignatureInvalid => Reason::SignatureInvalid,
        SignedError::Expired => Reason::CookieExpired,
        SignedError::NotYetValid => Reason::CookieNotYetValid,
        SignedError::ScopeMismatch => Reason::CookieScopeMismatch,
        SignedError::IpMismatch => Reason::CookieIpMismatch,
        _ => Reason::CookieMalformed,
    }
}

/// Verifies a signed URL or cookie for `scheme`, as a provider of kind `url` (signed URL) or
/// not (signed cookie or token).
///
/// # Errors
/// The scheme's errors as [`reason_of`] maps them; `config_invalid` when the scheme needs the
/// public URL and the policy has no origin (refused at load, so not expected).
pub fn verify_signed(
    scheme: &Scheme,
    url: bool,
    input: &SignedInput<'_>,
) -> Result<Accepted, Rejection> {
    let mut claims = Object::default();
    claims.insert("scheme".into(), Value::String(scheme.name().into()));
    let fail = |e: SignedError| Rejection::new(reason_of(e), "signed credential");
    match scheme {
        Scheme::Google(keys) => {
            let public_url = input
                .public_url
                .ok_or(Rejection::new(Reason::ConfigInvalid, "public_origin"))?;
            let grant = if url {
                google::verify_url(keys, public_url, input.now)
            } else {
                google::verify_cookie(keys, input.credential, public_url, input.now)
            }
            .map_err(fail)?;
            claims.insert("exp".into(), int(grant.expires()));
            claims.insert("kid".into(), Value::String(grant.key_name().into()));
            if let Some(p) = grant.prefix() {
                claims.insert("url_prefix".into(), Value::String(p.into()));
            }
        }
        Scheme::CloudFront(keys) => {
            let public_url = input
                .public_url
                .ok_or(Rejection::new(Reason::ConfigInvalid, "public_origin"))?;
            let grant = if url {
                cloudfront::verify_url(keys, public_url, input.client_ip, input.now)
            } else {
                let mut parts = input.credential.split('\n');
                let mut next = || parts.next().filter(|v| !v.is_empty());
                let (policy, expires, signature, key_pair_id, hash_algorithm) =
                    (next(), next(), next(), next(), next());
                let (Some(signature), Some(key_pair_id)) = (signature, key_pair_id) else {
                    return Err(fail(SignedError::Malformed));
                };
                let cookies = cloudfront::Cookies {
                    policy,
                    expires,
                    signature,
                    key_pair_id,
                    hash_algorithm,
                };
                cloudfront::verify_cookies(keys, &cookies, public_url, input.client_ip, input.now)
            }
            .map_err(fail)?;
            claims.insert("exp".into(), int(grant.expires()));
            if let Some(st) = grant.start() {
                claims.insert("nbf".into(), int(st));
            }
            claims.insert("kid".into(), Value::String(grant.key_pair_id().into()));
            if let Some(r) = grant.resource() {
                claims.insert("resource".into(), Value::String(r.into()));
            }
            if let Some(ip) = grant.source_ip() {
                claims.insert("ip".into(), Value::String(ip.into()));
            }
        }
        Scheme::Akamai(cfg) => {
            let ip = input.client_ip.map(|ip| ip.to_string());
            let grant = akamai::verify(
                cfg,
                input.credential,
                input.raw_path,
                ip.as_deref(),
                input.now,
            )
            .map_err(fail)?;
            claims.insert("exp".into(), int(grant.expires()));
            if let Some(st) = grant.start() {
                claims.insert("nbf".into(), int(st));
            }
            for (name, v) in [
                ("ip", grant.ip()),
                ("id", grant.id()),
                ("data", grant.data()),
            ] {
                if let Some(v) = v {
                    claims.insert(name.into(), Value::String(v.into()));
                }
            }
            if let akamai::Scope::Acl(acl) = grant.scope() {
                claims.insert(
                    "acl".into(),
                    Value::Array(acl.iter().map(|a| Value::String(a.clone())).collect()),
                );
            }
        }
    }
    Ok(Accepted {
        verified: None,
        claims: Value::Object(claims),
    })
}

/// Joins the values of `CloudFront`'s cookies (in [`CLOUDFRONT_COOKIES`] order, empty when
/// absent) into the one credential string [`verify_signed`] takes.
pub fn cloudfront_cookie_credential(values: &[Option<String>; 5]) -> String {
    let mut out = String::new();
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(v.as_deref().unwrap_or(""));
    }
    out
}

fn int(v: i64) -> Value {
    Value::Number(Number::from_i64(v))
}

/// Maps a session cookie's JWT rejection to the cookie reasons where one says more, and checks
/// the client binding of an accepted one.
///
/// # Errors
/// `cookie_malformed`, `cookie_expired`, `cookie_not_yet_valid`, `cookie_scope_mismatch`
/// for their JWT counterparts; other JWT reasons unchanged; `cookie_ip_mismatch` when the
/// cookie is bound to another client (or the client is unknown).
pub fn check_session(
    session: &Session,
    result: Result<&Accepted, &Rejection>,
    client_ip: Option<IpAddr>,
) -> Result<(), Rejection> {
    let accepted = result.map_err(|r| {
        let reason = match r.reason {
            Reason::TokenMalformed
            | Reason::TokenTooLarge
            | Reason::TokenIsJwe
            | Reason::ClaimsMalformed
            | Reason::ClaimInvalid
            | Reason::ClaimMissing => Reason::CookieMalformed,
            Reason::TokenExpired | Reason::TokenLifetimeExceeded => Reason::CookieExpired,
            Reason::TokenNotYetValid | Reason::TokenIssuedInFuture => Reason::CookieNotYetValid,
            Reason::IssuerMismatch | Reason::AudienceMismatch => Reason::CookieScopeMismatch,
            other => other,
        };
        Rejection::new(reason, r.detail)
    })?;
    if session.bind_client_ip {
        let bound =
            crate::claims::lookup(&accepted.claims, CLIENT_IP_CLAIM).and_then(Value::as_str);
        let ok = match (bound.and_then(crate::context::parse_addr), client_ip) {
            (Some(b), Some(c)) => b == crate::context::canonical(c),
            _ => false,
        };
        if !ok {
            return Err(Rejection::new(Reason::CookieIpMismatch, CLIENT_IP_CLAIM));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Minting.

/// A minted session cookie.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Minted {
    /// The cookie's value (a compact JWS).
    pub value: String,
    /// The whole `Set-Cookie` header value.
    pub set_cookie: String,
    /// Its `exp`.
    pub expires: i64,
}

/// Mints a session cookie for `provider` (a session provider) from the claims of an accepted
/// identity-provider token, at `now`, for `client_ip` (required when the provider binds to it).
///
/// The cookie: header `{"alg", "typ": "edgeward-session+jwt", "kid"}` with the provider's first
/// key (the others only verify: rotation by `kid`); claims `iss`, `aud` (the first audience),
/// `sub`, `iat`, `exp` = `now + lifetime`, never past the identity-provider token's `exp`, `cip` when bound,
/// and the configured claims that are present. `Set-Cookie`: `__Host-` name, `Path=/`,
/// `Secure`, `HttpOnly`, `SameSite`, `Max-Age = exp - now`.
///
/// # Errors
/// `config_invalid` when `provider` is not a session provider or has no HMAC key;
/// `claim_missing` when the identity provider's claims have no string `sub`; `cookie_ip_mismatch` when the
/// provider binds to the client address and none is known; `claim_invalid` when `exp` is
/// not a non-negative number; `token_expired` when the identity-provider token has expired
/// (`exp <= now`); `token_not_bound` when the provider binds to the `DPoP` key and the token
/// has no `cnf.jkt`; `token_binding_unsupported` when the token has a `cnf` the session would
/// not keep (no `bind_dpop_key`, or more than `jkt`); `claims_malformed` when the cookie's
/// claims would exceed the limits of its verification; `token_too_large` when the cookie
/// exceeds `max_token_bytes` or [`MAX_BROWSER_COOKIE`].
pub fn mint(
    provider: &Provider,
    idp_claims: &Value,
    now: i64,
    client_ip: Option<IpAddr>,
) -> Result<Minted, Rejection> {
    let crate::credential::Kind::Session(session) = &provider.kind else {
        return Err(Rejection::new(
            Reason::ConfigInvalid,
            "not a session provider",
        ));
    };
    let key = provider
        .keys
        .keys()
        .iter()
        .find(|k| matches!(k.material, crate::jwa::KeyMaterial::Hmac(_)))
        .ok_or(Rejection::new(Reason::ConfigInvalid, "no session key"))?;
    let crate::jwa::KeyMaterial::Hmac(secret) = &key.material else {
        return Err(Rejection::new(Reason::ConfigInvalid, "no session key"));
    };
    let alg = key
        .algs
        .iter()
        .next()
        .ok_or(Rejection::new(Reason::ConfigInvalid, "no session key"))?;
    let src = idp_claims
        .as_object()
        .ok_or(Rejection::new(Reason::ClaimsMalformed, "idp claims"))?;
    let sub = src
        .get_str("sub")
        .ok_or(Rejection::new(Reason::ClaimMissing, "sub"))?;
    let mut exp = now.saturating_add(session.lifetime);
    // The identity provider's `exp` caps the cookie's, however it is written (`1.8e9`,
    // a fraction); an `exp` that is not a number the claim checks accept refuses minting.
    match src.get("exp") {
        None => {}
        Some(Value::Number(n)) => {
            let (floor, _) = n
                .floor_and_fraction()
                .ok_or(Rejection::new(Reason::ClaimInvalid, "exp"))?;
            exp = exp.min(floor);
        }
        Some(_) => return Err(Rejection::new(Reason::ClaimInvalid, "exp")),
    }
    if exp <= now {
        return Err(Rejection::new(Reason::TokenExpired, "idp exp"));
    }
    let mut claims = Object::default();
    let iss = provider.expectations.issuer.clone().unwrap_or_default();
    claims.insert("iss".into(), Value::String(iss));
    if let Some(aud) = provider.expectations.audiences.first() {
        claims.insert("aud".into(), Value::String(aud.clone()));
    }
    claims.insert("sub".into(), Value::String(sub.into()));
    claims.insert("iat".into(), int(now));
    claims.insert("exp".into(), int(exp));
    if session.bind_client_ip {
        let ip = client_ip.ok_or(Rejection::new(
            Reason::CookieIpMismatch,
            "client address unknown",
        ))?;
        claims.insert(
            CLIENT_IP_CLAIM.into(),
            Value::String(crate::context::canonical(ip).to_string()),
        );
    }
    let cnf = src.get("cnf");
    if session.bind_dpop_key {
        let cnf = cnf.and_then(Value::as_object);
        let jkt = cnf
            .and_then(|c| c.get_str(crate::claims::CNF_JKT))
            .ok_or(Rejection::new(Reason::TokenNotBound, "cnf.jkt"))?;
        // Only the DPoP key carries over: a token also bound to a client certificate would
        // lose that binding.
        if cnf.is_some_and(|c| c.len() > 1) {
            return Err(Rejection::new(
                Reason::TokenBindingUnsupported,
                "cnf: the session keeps only jkt",
            ));
        }
        let mut cnf = Object::default();
        cnf.insert(crate::claims::CNF_JKT.into(), Value::String(jkt.into()));
        claims.insert("cnf".into(), Value::Object(cnf));
    } else if cnf.is_some() {
        // A sender-constrained token (DPoP or a client certificate) would become a plain
        // bearer cookie: anyone holding it could use it without the key.
        return Err(Rejection::new(
            Reason::TokenBindingUnsupported,
            "cnf: the session would not keep the binding",
        ));
    }
    for c in &session.claims {
        if let Some(v) = src.get(c) {
            claims.insert(c.clone(), v.clone());
        }
    }
    let mut header = Object::default();
    header.insert("alg".into(), Value::String(alg.name().into()));
    header.insert("typ".into(), Value::String(SESSION_TYP.into()));
    if let Some(kid) = &key.kid {
        header.insert("kid".into(), Value::String(kid.clone()));
    }
    let payload = Value::Object(claims).to_json();
    // A cookie only helps if it verifies: the claims must parse within the limits its
    // verification applies (copied claims can push a large claims set past them).
    if crate::json::parse(
        payload.as_bytes(),
        &crate::policy::claims_limits(provider.limits.max_token),
    )
    .is_err()
    {
        return Err(Rejection::new(Reason::ClaimsMalformed, "session claims"));
    }
    let mut value = crate::b64::encode(Value::Object(header).to_json().as_bytes());
    value.push('.');
    value.push_str(&crate::b64::encode(payload.as_bytes()));
    let tag = crate::jwa::hmac_sign(alg, secret.secret(), value.as_bytes())
        .ok_or(Rejection::new(Reason::ConfigInvalid, "session key"))?;
    value.push('.');
    value.push_str(&crate::b64::encode(&tag));
    // Browsers keep a cookie's name and value only up to 4096 bytes: a larger one would be
    // dropped without a word, and every request would mint again.
    if value.len() > provider.limits.max_token
        || session.cookie.len() + 1 + value.len() > MAX_BROWSER_COOKIE
    {
        return Err(Rejection::new(Reason::TokenTooLarge, "session cookie"));
    }
    let set_cookie = format!(
        "{}={}; Path=/; Secure; HttpOnly; SameSite={}; Max-Age={}",
        session.cookie,
        value,
        session.same_site,
        exp - now
    );
    Ok(Minted {
        value,
        set_cookie,
        expires: exp,
    })
}
