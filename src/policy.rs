//! The policy: one versioned JSON format read by the CLI, the Envoy filter and the JS binding,
//! compiled once into an immutable [`Policy`].
//!
//! Loading is strict: the document goes through the bounded JSON scan (duplicate names
//! rejected), unknown fields are errors, and a rule list without a final catch-all is refused so
//! that no path silently fails open. `docs/policy.md` and `schema/policy-v1.json` document every
//! field.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde::Deserialize;

use crate::claims::{self, ClaimRule, ClaimTest, Expectations, SubjectMatch};
use crate::credential::{Kind, Scheme};
use crate::json::{self, Limits, Value};
use crate::jwa::{Alg, AlgSet};
use crate::jwk::{KeySet, Origin};
use crate::jws::{self, Compact, TokenLimits, Verified};
use crate::reason::{Reason, Rejection};

/// The only policy version this build reads.
pub const VERSION: u32 = 1;
/// Longest value a claim-derived header may carry.
pub const MAX_HEADER_VALUE: usize = 4096;
/// `typ` values reserved for other uses, refused by providers that list no `typ`.
pub const RESERVED_TYP: &[&str] = &["dpop+jwt", "edgeward-session+jwt"];

// ---------------------------------------------------------------------------------------------
// The document, as written.

/// The policy document (version 1).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDoc {
    /// Must be 1.
    pub version: u32,
    /// `realm` in `WWW-Authenticate` challenges.
    #[serde(default = "default_realm")]
    pub realm: String,
    /// Providers by name.
    pub providers: BTreeMap<String, ProviderDoc>,
    /// Rules, first match wins; the last must be a catch-all.
    pub rules: Vec<RuleDoc>,
    /// Let CORS preflights (`OPTIONS` with `Origin` and `Access-Control-Request-Method`)
    /// through without a credential. Default false.
    #[serde(default)]
    pub bypass_cors_preflight: bool,
    /// Bounds of the verified-token cache hosts keep; `max_entries: 0` turns it off.
    #[serde(default)]
    pub token_cache: Option<TokenCacheDoc>,
    /// The scheme and host clients use (`https://cdn.example.com`): signed URLs and URL
    /// prefixes are checked against it and the raw request target. Required by Google Cloud
    /// CDN and `CloudFront` providers.
    #[serde(default)]
    pub public_origin: Option<String>,
    /// Peers (CIDRs) whose forwarded headers (`X-Forwarded-For`, `Forwarded`,
    /// `CF-Connecting-IP`) name the client. Headers from any other peer are ignored.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// A header in which a TLS terminator in `trusted_proxies` forwards the client
    /// certificate's SHA-256 (for certificate-bound tokens behind it). Ignored, and removed
    /// before forwarding, on requests from any other peer.
    #[serde(default)]
    pub client_certificate_header: Option<ClientCertHeaderDoc>,
    /// Revoked tokens: an inline list and/or a signed list fetched in the background.
    #[serde(default)]
    pub revocation: Option<RevocationDoc>,
}

/// `revocation`: which tokens are denied although they verify.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevocationDoc {
    /// Entries in the policy itself (`jti`, `subjects`, `issuers`; see `docs/revocation.md`).
    #[serde(default)]
    pub inline: Option<serde_json::Value>,
    /// A signed bundle (`typ: edgeward-revocations+jwt`) fetched like a JWK set.
    #[serde(default)]
    pub remote: Option<RevocationRemoteDoc>,
    /// The providers whose tokens are checked (default: every `jwt` and `session_cookie`
    /// provider).
    #[serde(default)]
    pub providers: Option<Vec<String>>,
}

/// `revocation.remote`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevocationRemoteDoc {
    /// `https://` URL of the bundle (`http://` only to loopback, for tests).
    pub uri: String,
    /// Envoy: the cluster that reaches the URI's host.
    #[serde(default)]
    pub cluster: Option<String>,
    /// The publisher's verifying keys (a JWK set; public keys, or HMAC secrets by
    /// `secrets_from_env` are not accepted here).
    pub keys: serde_json::Value,
    /// Fetch timeout (default 5).
    #[serde(default = "default_fetch_timeout")]
    pub timeout_seconds: i64,
    /// How often the bundle is fetched (default 60; 5 to 3600).
    #[serde(default = "default_revocation_refresh")]
    pub refresh_seconds: i64,
    /// How old (by its `iat`) a bundle may be before tokens are refused with
    /// `revocation_unavailable` (default 600).
    #[serde(default = "default_revocation_stale")]
    pub max_stale_seconds: i64,
}

fn default_revocation_refresh() -> i64 {
    60
}
fn default_revocation_stale() -> i64 {
    600
}

/// The compiled `revocation`.
#[derive(Clone, Debug)]
pub struct Revocation {
    /// The inline list (empty without one).
    pub inline: alloc::sync::Arc<crate::revocation::RevocationList>,
    /// The fetched list, once a bundle verified (`None` before: fail closed).
    pub fetched: Option<alloc::sync::Arc<crate::revocation::RevocationList>>,
    /// Where and how often the host fetches the bundle.
    pub remote: Option<RemoteJwks>,
    /// The publisher's keys.
    pub keys: KeySet,
    /// `max_stale_seconds`.
    pub max_stale: i64,
    /// Provider indexes whose tokens are checked.
    pub providers: Vec<usize>,
}

/// `dpop_proof`: the proof checks beyond RFC 9449's fixed ones.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DpopProofDoc {
    /// Proof algorithms (asymmetric only; default ES256, ES384, PS256, RS256, `EdDSA`).
    #[serde(default)]
    pub algorithms: Option<Vec<String>>,
    /// How old a proof's `iat` may be (default 300; 1 to 3600).
    #[serde(default)]
    pub max_age_seconds: Option<i64>,
    /// Require server nonces (`DPoP-Nonce`), made statelessly with the HMAC secret in this
    /// environment variable (unpadded base64url, at least 32 bytes).
    #[serde(default)]
    pub nonce_secret_from_env: Option<String>,
    /// How long a nonce stays current (default 60; 10 to 3600); the previous one is also
    /// accepted.
    #[serde(default)]
    pub nonce_slot_seconds: Option<i64>,
}

/// Where a trusted TLS terminator puts the client certificate's digest.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientCertHeaderDoc {
    /// The header's name.
    pub name: String,
    /// `sha256_hex` (64 hex digits), `sha256_base64url`, or `xfcc` (Envoy's
    /// `X-Forwarded-Client-Cert`, one element, its `Hash=`).
    pub format: String,
}

/// How a forwarded client-certificate header is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertHeaderFormat {
    /// 64 hex digits.
    Sha256Hex,
    /// 43 characters of unpadded base64url.
    Sha256Base64url,
    /// Envoy's `X-Forwarded-Client-Cert` with exactly one element carrying `Hash=`.
    Xfcc,
}

/// Verified-token cache bounds.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenCacheDoc {
    /// Maximum entries (default 4096; 0 disables the cache).
    #[serde(default = "default_cache_entries")]
    pub max_entries: usize,
    /// Maximum bytes (default 4 MiB).
    #[serde(default = "default_cache_bytes")]
    pub max_bytes: usize,
}

fn default_cache_entries() -> usize {
    4096
}
fn default_cache_bytes() -> usize {
    4 * 1024 * 1024
}

/// Deserialises a present member, even `null`, as `Some`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

fn default_realm() -> String {
    "edgeward".into()
}
fn default_true() -> bool {
    true
}
fn default_skew() -> i64 {
    60
}

/// One token issuer and how to check its tokens.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(clippy::struct_excessive_bools)] // mirrors the documented JSON fields one to one
pub struct ProviderDoc {
    /// `jwt` (default), `signed_url`, `signed_cookie` or `session_cookie`.
    #[serde(default)]
    pub kind: Option<String>,
    /// The scheme and keys of a `signed_url` / `signed_cookie` provider.
    #[serde(default)]
    pub signed: Option<crate::credential::SignedDoc>,
    /// Minting rules of a `session_cookie` provider.
    #[serde(default)]
    pub session: Option<crate::credential::SessionDoc>,
    /// Exact `iss`; required when there is more than one provider.
    #[serde(default)]
    pub issuer: Option<String>,
    /// Accepted audiences (any-of).
    #[serde(default)]
    pub audiences: Vec<String>,
    /// Accept any `aud` when `audiences` is empty.
    #[serde(default)]
    pub allow_any_audience: bool,
    /// Accepted subjects (any-of).
    #[serde(default)]
    pub subjects: Vec<SubjectDoc>,
    /// Accepted header `typ` values.
    #[serde(default)]
    pub typ: Option<Vec<String>>,
    /// Algorithm allow-list (default: all implemented).
    #[serde(default)]
    pub algorithms: Option<Vec<String>>,
    /// Inline JWK set `{"keys": [...]}`.
    #[serde(default)]
    pub local_jwks: Option<serde_json::Value>,
    /// A JWK set fetched in the background by the host (never per request).
    #[serde(default)]
    pub remote_jwks: Option<RemoteJwksDoc>,
    /// HMAC secrets read from the host's environment at load time, so they never appear in
    /// the configuration (Envoy: `vm_config.environment_variables`).
    #[serde(default)]
    pub secrets_from_env: Vec<EnvSecretDoc>,
    /// Clock skew for `exp`/`nbf`/`iat` (0 to 300).
    #[serde(default = "default_skew")]
    pub clock_skew_seconds: i64,
    /// Require `exp` (default true).
    #[serde(default = "default_true")]
    pub require_expiration: bool,
    /// Maximum token lifetime.
    #[serde(default)]
    pub max_lifetime_seconds: Option<i64>,
    /// Claims that must be present.
    #[serde(default)]
    pub required_claims: Vec<String>,
    /// Scopes that must be granted.
    #[serde(default)]
    pub required_scopes: Vec<String>,
    /// Custom claim rules.
    #[serde(default)]
    pub claim_rules: Vec<ClaimRuleDoc>,
    /// Header sources.
    #[serde(default)]
    pub from_headers: Vec<HeaderSourceDoc>,
    /// Query parameter sources.
    #[serde(default)]
    pub from_params: Vec<String>,
    /// Cookie sources.
    #[serde(default)]
    pub from_cookies: Vec<String>,
    /// Keep the token in its header when forwarding (default false: removed).
    #[serde(default)]
    pub forward: bool,
    /// Forward the verified payload (base64url) in this header.
    #[serde(default)]
    pub forward_payload_header: Option<String>,
    /// Copy claims into request headers.
    #[serde(default)]
    pub claim_to_headers: Vec<ClaimToHeaderDoc>,
    /// Accept tokens with `cnf` without enforcing the binding (explicit opt-out).
    #[serde(default)]
    pub ignore_cnf: bool,
    /// Certificate-bound tokens (RFC 8705): `required` (every token carries
    /// `cnf.x5t#S256` matching the client certificate) or `optional` (bound tokens must match).
    #[serde(default)]
    pub certificate_bound: Option<String>,
    /// `DPoP` (RFC 9449): `required` (tokens come as `Authorization: DPoP` with a proof) or
    /// `optional` (bearer tokens without `cnf` are also accepted).
    #[serde(default)]
    pub dpop: Option<String>,
    /// How `DPoP` proofs are checked.
    #[serde(default)]
    pub dpop_proof: Option<DpopProofDoc>,
    /// Token size cap in bytes (default 8192, at most 65536).
    #[serde(default)]
    pub max_token_bytes: Option<usize>,
}

/// An HMAC secret taken from an environment variable (base64url, no padding).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvSecretDoc {
    /// The variable's name.
    pub env: String,
    /// `HS256`, `HS384` or `HS512`.
    pub alg: String,
    /// The key id tokens name, if any.
    #[serde(default)]
    pub kid: Option<String>,
}

/// Where and how often a host fetches a provider's key set.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteJwksDoc {
    /// `https://` URL of the JWK set (`http://` only to loopback, for tests). Omit it with
    /// `oidc_discovery`.
    #[serde(default)]
    pub uri: Option<String>,
    /// Find the set through OIDC discovery: `<issuer>/.well-known/openid-configuration`
    /// gives `jwks_uri`; the document's `issuer` must equal the provider's, and `jwks_uri` must be
    /// on the same scheme and host (the same cluster reaches both).
    #[serde(default)]
    pub oidc_discovery: bool,
    /// Envoy: the cluster that reaches the URI's host. Other hosts ignore it.
    #[serde(default)]
    pub cluster: Option<String>,
    /// Fetch timeout (default 5).
    #[serde(default = "default_fetch_timeout")]
    pub timeout_seconds: i64,
    /// How long a fetched set is fresh (default 600); refreshed at 3/4 of it.
    #[serde(default = "default_cache_duration")]
    pub cache_duration_seconds: i64,
    /// How long an expired set is still served while the identity provider is unreachable (default 3600);
    /// then requests get 503 `jwks_unavailable`.
    #[serde(default = "default_max_stale")]
    pub max_stale_seconds: i64,
    /// Least time between refetches triggered by an unknown `kid` (default 30).
    #[serde(default = "default_kid_cooldown")]
    pub unknown_kid_cooldown_seconds: i64,
}

fn default_fetch_timeout() -> i64 {
    5
}
fn default_cache_duration() -> i64 {
    600
}
fn default_max_stale() -> i64 {
    3600
}
fn default_kid_cooldown() -> i64 {
    30
}

/// A compiled remote key-set source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteJwks {
    /// The full URI.
    pub uri: String,
    /// `https` or `http`.
    pub scheme: String,
    /// Host and optional port (the `:authority` to send).
    pub authority: String,
    /// Path and query.
    pub path: String,
    /// Envoy cluster.
    pub cluster: Option<String>,
    /// Lifecycle timings.
    pub lifecycle: crate::jwks::LifecycleConfig,
    /// `path` is the discovery document, and the set's path comes from its `jwks_uri`.
    pub discovery: bool,
}

/// A subject matcher.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum SubjectDoc {
    /// Exactly.
    Exact(String),
    /// By prefix.
    Prefix(String),
}

/// A custom claim rule: `claim` plus exactly one of `equals` / `any_of`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimRuleDoc {
    /// JSON Pointer (`/a/b`) or top-level claim name.
    pub claim: String,
    /// Exact value (`null` is a value here, not "absent").
    #[serde(default, deserialize_with = "present")]
    pub equals: Option<serde_json::Value>,
    /// One of these values.
    #[serde(default)]
    pub any_of: Option<Vec<serde_json::Value>>,
}

/// A header a token is read from.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderSourceDoc {
    /// Header name.
    pub name: String,
    /// Prefix before the token (compared case-insensitively), e.g. `Bearer `.
    #[serde(default)]
    pub value_prefix: Option<String>,
}

/// A claim copied into a request header.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimToHeaderDoc {
    /// The request header to set.
    pub header_name: String,
    /// JSON Pointer or top-level claim name.
    pub claim: String,
}

/// A routing rule.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDoc {
    /// Which requests.
    #[serde(rename = "match")]
    pub matcher: MatchDoc,
    /// What they need.
    pub requires: RequirementDoc,
    /// `enforce` (default) or `report`.
    #[serde(default)]
    pub mode: Mode,
    /// Each token's `jti` is accepted once (the host's replay store remembers it until the
    /// token's `exp`; tokens without `jti` are refused). Scoped to the store: one Envoy process,
    /// one edge isolate.
    #[serde(default)]
    pub one_time_jti: bool,
}

/// Exactly one of `prefix` / `path`, and optional methods.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchDoc {
    /// Normalised path starts with this.
    #[serde(default)]
    pub prefix: Option<String>,
    /// Normalised path equals this.
    #[serde(default)]
    pub path: Option<String>,
    /// Only these methods (default: all).
    #[serde(default)]
    pub methods: Option<Vec<String>>,
    /// Only when the host's route has this name (Envoy: the route's `name`), so the proxy's
    /// router can pick the requirement.
    #[serde(default)]
    pub route: Option<String>,
}

/// Whether a rule's verdict is enforced or only recorded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Deny what fails (default).
    #[default]
    Enforce,
    /// Let everything through, recording what would have been denied (shadow mode).
    Report,
}

/// A requirement tree.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum RequirementDoc {
    /// A valid token from this provider.
    ProviderName(String),
    /// Any one of these.
    RequiresAny(Vec<RequirementDoc>),
    /// All of these.
    RequiresAll(Vec<RequirementDoc>),
    /// No token at all is fine; a token present must verify.
    AllowMissing(Empty),
    /// Always allowed; claims forwarded only from tokens that verify.
    AllowMissingOrFailed(Empty),
}

/// `{}`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

// ---------------------------------------------------------------------------------------------
// The compiled policy.

/// Where a provider reads tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A header, with an optional case-insensitive prefix (lower-cased name).
    Header {
        /// Lower-case header name.
        name: String,
        /// Prefix.
        prefix: Option<String>,
    },
    /// A query parameter.
    Param(String),
    /// A cookie.
    Cookie(String),
}

/// A compiled provider.
#[derive(Clone, Debug)]
pub struct Provider {
    /// Its name in the policy.
    pub name: String,
    /// What it checks.
    pub kind: crate::credential::Kind,
    /// Claim expectations.
    pub expectations: Expectations,
    /// Accepted `typ` values (`None`: any but the reserved ones).
    pub typ: Option<Vec<String>>,
    /// Algorithm allow-list.
    pub algorithms: AlgSet,
    /// Verifying keys.
    pub keys: KeySet,
    /// Token sources.
    pub sources: Vec<Source>,
    /// Keep the token header when forwarding.
    pub forward: bool,
    /// Header for the base64url payload.
    pub forward_payload_header: Option<String>,
    /// (header, claim) pairs.
    pub claim_to_headers: Vec<(String, String)>,
    /// Size caps.
    pub limits: TokenLimits,
    /// Where the host fetches the keys, for remote providers.
    pub remote: Option<RemoteJwks>,
    /// How `DPoP` proofs are checked, for providers with `dpop`.
    pub dpop: Option<crate::dpop::DpopConfig>,
    /// False while a remote provider has no servable key set: its tokens get
    /// `jwks_unavailable`.
    pub available: bool,
}

/// A compiled requirement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Requirement {
    /// Provider by index into [`Policy::providers`].
    Provider(usize),
    /// Any one.
    Any(Vec<Requirement>),
    /// All.
    All(Vec<Requirement>),
    /// No token anywhere is fine.
    AllowMissing,
    /// Always fine.
    AllowMissingOrFailed,
}

/// A compiled rule.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Prefix or exact path.
    pub path: PathMatch,
    /// Upper-case methods; empty means all.
    pub methods: Vec<String>,
    /// The requirement.
    pub requires: Requirement,
    /// Only for this host route name.
    pub route: Option<String>,
    /// Enforce or report.
    pub mode: Mode,
    /// Accept each token's `jti` once.
    pub one_time_jti: bool,
}

/// How a rule matches the normalised path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathMatch {
    /// Starts with.
    Prefix(String),
    /// Equals.
    Exact(String),
}

/// An immutable, validated policy.
#[derive(Clone, Debug)]
pub struct Policy {
    /// Challenge realm.
    pub realm: String,
    /// Providers in name order.
    pub providers: Vec<Provider>,
    /// Rules in order; the last is a catch-all.
    pub rules: Vec<Rule>,
    /// Every header this policy may set, stripped from client requests on every path.
    pub output_headers: Vec<String>,
    /// A digest of the policy document: part of the verified-token cache key, so entries
    /// never survive a policy change.
    pub generation: u64,
    /// Let CORS preflights through.
    pub bypass_cors_preflight: bool,
    /// Verified-token cache bounds for hosts.
    pub token_cache: crate::cache::CacheLimits,
    /// `public_origin`, checked.
    pub public_origin: Option<String>,
    /// `trusted_proxies`, parsed.
    pub trusted_proxies: Vec<crate::context::Cidr>,
    /// Whether any provider may need the client address (hosts skip looking it up otherwise).
    pub uses_client_ip: bool,
    /// `client_certificate_header`, checked.
    pub client_certificate_header: Option<(String, CertHeaderFormat)>,
    /// Whether any provider checks certificate-bound tokens (hosts read the connection's peer
    /// certificate digest only then).
    pub uses_peer_certificate: bool,
    /// Revoked tokens.
    pub revocation: Option<Revocation>,
}

/// A policy load error: which field, and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError {
    /// A dotted path to the field (`providers.idp.local_jwks`), or the serde message's location.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl core::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.field.is_empty() {
            write!(f, "policy: {}", self.message)
        } else {
            write!(f, "policy: {}: {}", self.field, self.message)
        }
    }
}

fn err(field: impl Into<String>, message: impl Into<String>) -> PolicyError {
    PolicyError {
        field: field.into(),
        message: message.into(),
    }
}

/// Header names a policy may never set or read tokens into.
const FORBIDDEN_OUTPUT: &[&str] = &[
    "host",
    "authorization",
    "cookie",
    "content-length",
    "transfer-encoding",
    "connection",
    "te",
    "upgrade",
    "proxy-authorization",
];

fn check_header_name(field: &str, name: &str) -> Result<String, PolicyError> {
    let lower = name.to_ascii_lowercase();
    let token_char = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if lower.is_empty() || lower.len() > 128 || !lower.bytes().all(token_char) {
        return Err(err(field, format!("{name:?} is not a valid header name")));
    }
    Ok(lower)
}

fn check_output_header(field: &str, name: &str) -> Result<String, PolicyError> {
    if name.starts_with(':') {
        return Err(err(field, "pseudo-headers cannot be set"));
    }
    let lower = check_header_name(field, name)?;
    if FORBIDDEN_OUTPUT.contains(&lower.as_str()) {
        return Err(err(field, format!("{lower:?} may not be set by a policy")));
    }
    Ok(lower)
}

fn to_value(field: &str, v: &serde_json::Value) -> Result<Value, PolicyError> {
    let text = serde_json::to_vec(v).map_err(|e| err(field, e.to_string()))?;
    json::parse(&text, &Limits::POLICY).map_err(|e| err(field, e.to_string()))
}

fn check_claim_name(field: &str, claim: &str) -> Result<(), PolicyError> {
    if claim.is_empty() {
        return Err(err(field, "empty claim name"));
    }
    if claim.starts_with('/') {
        // Validate the pointer syntax against an empty object: only `~0`/`~1` escapes.
        let mut chars = claim.chars();
        while let Some(c) = chars.next() {
            if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
                return Err(err(field, "bad JSON Pointer escape (use ~0 or ~1)"));
            }
        }
    }
    Ok(())
}

impl Policy {
    /// Parses and compiles a policy document.
    ///
    /// # Errors
    /// [`PolicyError`] naming the field: bounded-JSON violations (including duplicate names),
    /// unknown fields, wrong types, an unsupported version, bad keys, unknown providers, a rule
    /// list without a final catch-all.
    pub fn from_json(bytes: &[u8]) -> Result<Policy, PolicyError> {
        Policy::from_json_with_env(bytes, &|_| None)
    }

    /// As [`Policy::from_json`], resolving `secrets_from_env` through `env` (the host's
    /// environment; the core reads none itself).
    ///
    /// # Errors
    /// As [`Policy::from_json`], and a missing or malformed secret variable.
    pub fn from_json_with_env(
        bytes: &[u8],
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Policy, PolicyError> {
        let raw = json::parse(bytes, &Limits::POLICY).map_err(|e| err("", e.to_string()))?;
        let version = raw.as_object().and_then(|o| o.get("version"));
        match version {
            Some(Value::Number(n)) if n.as_i64() == Some(i64::from(VERSION)) => {}
            Some(v) => {
                return Err(err(
                    "version",
                    format!("unsupported version {} (this build reads 1)", v.to_json()),
                ))
            }
            None => return Err(err("version", "missing (this build reads 1)")),
        }
        let doc: PolicyDoc = serde_json::from_slice(bytes).map_err(|e| err("", e.to_string()))?;
        let mut policy = Policy::compile(&doc, env)?;
        // The generation covers resolved secrets too, so a changed secret never meets a
        // cache entry verified under the old one.
        let mut h = <sha2::Sha256 as sha2::Digest>::new();
        sha2::Digest::update(&mut h, bytes);
        for p in doc.providers.values() {
            let signed = p.signed.iter().flat_map(crate::credential::signed_env_vars);
            let nonce = p
                .dpop_proof
                .iter()
                .filter_map(|d| d.nonce_secret_from_env.as_deref());
            for var in p
                .secrets_from_env
                .iter()
                .map(|s| s.env.as_str())
                .chain(signed)
                .chain(nonce)
            {
                sha2::Digest::update(&mut h, [0]);
                sha2::Digest::update(&mut h, env(var).unwrap_or_default().as_bytes());
            }
        }
        let digest = sha2::Digest::finalize(h);
        let mut g = [0u8; 8];
        g.copy_from_slice(digest.get(..8).unwrap_or(&[0u8; 8]));
        policy.generation = u64::from_be_bytes(g);
        Ok(policy)
    }

    /// Compiles a parsed document (the caller sets `generation`).
    fn compile(
        doc: &PolicyDoc,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Policy, PolicyError> {
        if doc.version != VERSION {
            return Err(err(
                "version",
                format!("unsupported version {} (this build reads 1)", doc.version),
            ));
        }
        if doc.realm.is_empty() || !doc.realm.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return Err(err("realm", "must be non-empty visible ASCII"));
        }
        if let Some(c) = &doc.token_cache {
            if c.max_entries > 1_000_000 || c.max_bytes > 1 << 30 {
                return Err(err("token_cache", "at most 1000000 entries and 1 GiB"));
            }
        }
        if doc.providers.is_empty() {
            return Err(err("providers", "at least one provider is required"));
        }
        let multi = doc
            .providers
            .values()
            .filter(|p| matches!(p.kind.as_deref(), None | Some("jwt")))
            .count()
            > 1;
        let mut providers = Vec::new();
        let mut output_headers: Vec<String> = Vec::new();
        for (name, p) in &doc.providers {
            let prov = compile_provider(name, p, multi, env)?;
            for h in prov
                .claim_to_headers
                .iter()
                .map(|(h, _)| h)
                .chain(prov.forward_payload_header.iter())
            {
                if !output_headers.contains(h) {
                    output_headers.push(h.clone());
                }
            }
            providers.push(prov);
        }
        for p in &providers {
            for s in &p.sources {
                if let Source::Header { name, .. } = s {
                    if output_headers.contains(name) {
                        return Err(err(
                            format!("providers.{}.from_headers", p.name),
                            format!("{name:?} is also an output header"),
                        ));
                    }
                }
            }
        }
        if let Some(o) = &doc.public_origin {
            crate::context::check_origin(o).map_err(|m| err("public_origin", m))?;
        }
        for p in &providers {
            let scheme = match &p.kind {
                Kind::SignedUrl(s) | Kind::SignedCookie(s) => Some(s),
                _ => None,
            };
            if p.dpop.is_some() && doc.public_origin.is_none() {
                return Err(err(
                    "public_origin",
                    format!(
                        "required by provider {} (DPoP proofs name the URL clients use, htu)",
                        p.name
                    ),
                ));
            }
            if scheme.is_some_and(Scheme::needs_url) && doc.public_origin.is_none() {
                return Err(err(
                    "public_origin",
                    format!(
                        "required by provider {} (signed URLs are checked against the URL clients use)",
                        p.name
                    ),
                ));
            }
        }
        let mut trusted_proxies = Vec::new();
        for (i, c) in doc.trusted_proxies.iter().enumerate() {
            trusted_proxies.push(crate::context::Cidr::parse(c).ok_or_else(|| {
                err(
                    format!("trusted_proxies[{i}]"),
                    format!("{c:?} is not an address or ADDR/LEN block with zero host bits"),
                )
            })?);
        }
        let uses_client_ip = providers.iter().any(|p| match &p.kind {
            Kind::SignedUrl(_) | Kind::SignedCookie(_) => true,
            Kind::Session(s) => s.bind_client_ip,
            Kind::Jwt => false,
        });
        let revocation = doc
            .revocation
            .as_ref()
            .map(|r| compile_revocation(r, &providers))
            .transpose()?;
        let uses_peer_certificate = providers
            .iter()
            .any(|p| p.expectations.binding.mtls.is_some());
        let client_certificate_header = match &doc.client_certificate_header {
            None => None,
            Some(h) => {
                let name = check_output_header("client_certificate_header.name", &h.name)?;
                let format = match h.format.as_str() {
                    "sha256_hex" => CertHeaderFormat::Sha256Hex,
                    "sha256_base64url" => CertHeaderFormat::Sha256Base64url,
                    "xfcc" => CertHeaderFormat::Xfcc,
                    _ => {
                        return Err(err(
                            "client_certificate_header.format",
                            "sha256_hex, sha256_base64url or xfcc",
                        ))
                    }
                };
                if trusted_proxies.is_empty() {
                    return Err(err(
                        "client_certificate_header",
                        "needs trusted_proxies (only a trusted TLS terminator may set it)",
                    ));
                }
                Some((name, format))
            }
        };
        if doc.rules.is_empty() {
            return Err(err("rules", "at least one rule is required"));
        }
        let mut rules = Vec::new();
        for (i, r) in doc.rules.iter().enumerate() {
            let field = format!("rules[{i}]");
            let path = match (&r.matcher.prefix, &r.matcher.path) {
                (Some(p), None) => PathMatch::Prefix(p.clone()),
                (None, Some(p)) => PathMatch::Exact(p.clone()),
                _ => {
                    return Err(err(
                        format!("{field}.match"),
                        "exactly one of prefix or path",
                    ))
                }
            };
            let (PathMatch::Prefix(s) | PathMatch::Exact(s)) = &path;
            // Requests are matched after normalisation, so a rule path must be normalised too
            // or it could never match.
            if crate::path::normalize(s).map(|t| t.path).as_deref() != Ok(s.as_str()) {
                return Err(err(
                    format!("{field}.match"),
                    format!(
                        "{s:?} is not a normalised path (leading /, no dot-segments, no //, \
                         no encoded separators, no query)"
                    ),
                ));
            }
            if let Some(prev) = rules.iter().position(|r: &Rule| {
                r.path == PathMatch::Prefix("/".into()) && r.methods.is_empty() && r.route.is_none()
            }) {
                return Err(err(
                    field,
                    format!("unreachable: rules[{prev}] already matches every request"),
                ));
            }
            let methods: Vec<String> = r
                .matcher
                .methods
                .iter()
                .flatten()
                .map(|m| m.to_ascii_uppercase())
                .collect();
            if r.matcher.methods.as_ref().is_some_and(Vec::is_empty) {
                return Err(err(
                    format!("{field}.match.methods"),
                    "empty list (omit it for all)",
                ));
            }
            let requires =
                compile_requirement(&format!("{field}.requires"), &r.requires, &providers)?;
            if r.matcher.route.as_deref() == Some("") {
                return Err(err(format!("{field}.match.route"), "empty route name"));
            }
            rules.push(Rule {
                path,
                methods,
                requires,
                route: r.matcher.route.clone(),
                mode: r.mode,
                one_time_jti: r.one_time_jti,
            });
        }
        let catch_all = rules.last().is_some_and(|r| {
            r.path == PathMatch::Prefix("/".into()) && r.methods.is_empty() && r.route.is_none()
        });
        if !catch_all {
            return Err(err(
                "rules",
                "the last rule must be a catch-all ({\"prefix\": \"/\"} with no methods): say what unmatched requests need",
            ));
        }
        Ok(Policy {
            realm: doc.realm.clone(),
            providers,
            rules,
            output_headers,
            generation: 0,
            bypass_cors_preflight: doc.bypass_cors_preflight,
            token_cache: doc.token_cache.as_ref().map_or_else(
                crate::cache::CacheLimits::default,
                |c| crate::cache::CacheLimits {
                    max_entries: c.max_entries,
                    max_bytes: c.max_bytes,
                },
            ),
            public_origin: doc.public_origin.clone(),
            trusted_proxies,
            uses_client_ip: uses_client_ip
                || (uses_peer_certificate && client_certificate_header.is_some()),
            client_certificate_header,
            uses_peer_certificate,
            revocation,
        })
    }

    /// This policy with provider `index`'s keys replaced by a freshly fetched set, or marked
    /// unavailable (`None`: never loaded, or stale beyond `max_stale_seconds`).
    #[must_use]
    pub fn with_keys(&self, index: usize, keys: Option<KeySet>) -> Policy {
        let mut p = self.clone();
        p.set_keys(index, keys);
        p
    }

    /// The session provider that mints a cookie when provider `accepted`'s token allowed a
    /// request on rule `rule`: the first `session_cookie` provider named directly beside it in
    /// a `requires_any` of that rule (`requires_any: [session, idp]`: either credential
    /// passes, and an `idp` token earns a `session` cookie). `None` when the rule pairs none
    /// with it, or `accepted` is not a `jwt` provider (a session cookie never mints another).
    pub fn minting_session(&self, rule: usize, accepted: usize) -> Option<usize> {
        fn walk(p: &Policy, r: &Requirement, accepted: usize) -> Option<usize> {
            let (Requirement::Any(list) | Requirement::All(list)) = r else {
                return None;
            };
            if let Requirement::Any(_) = r {
                let named = || {
                    list.iter().filter_map(|c| match c {
                        Requirement::Provider(i) => Some(*i),
                        _ => None,
                    })
                };
                let session = named().find(|i| {
                    p.providers
                        .get(*i)
                        .is_some_and(|q| matches!(q.kind, crate::credential::Kind::Session(_)))
                });
                if let Some(s) = session.filter(|_| named().any(|i| i == accepted)) {
                    return Some(s);
                }
            }
            list.iter().find_map(|c| walk(p, c, accepted))
        }
        let is_jwt = self
            .providers
            .get(accepted)
            .is_some_and(|q| matches!(q.kind, crate::credential::Kind::Jwt));
        let r = self.rules.get(rule)?;
        is_jwt.then(|| walk(self, &r.requires, accepted)).flatten()
    }

    /// As [`Policy::with_keys`], in place (a host that owns its policy need not copy it).
    pub fn set_keys(&mut self, index: usize, keys: Option<KeySet>) {
        if let Some(prov) = self.providers.get_mut(index) {
            match keys {
                Some(k) => {
                    prov.keys = k;
                    prov.available = true;
                }
                None => prov.available = false,
            }
        }
    }

    /// Parses a fetched JWK set for provider `index` (public keys only, bound to its
    /// allow-list).
    ///
    /// # Errors
    /// [`crate::jwk::JwksError`] when the body is not a usable set; the host keeps the last good
    /// one and counts a failure.
    pub fn parse_fetched_keys(
        &self,
        index: usize,
        body: &[u8],
    ) -> Result<KeySet, crate::jwk::JwksError> {
        let algs = self
            .providers
            .get(index)
            .map_or(AlgSet::EMPTY, |p| p.algorithms);
        KeySet::from_jwks(body, algs, Origin::Fetched)
    }

    /// This policy with a freshly fetched revocation list installed.
    #[must_use]
    pub fn with_revocations(&self, list: crate::revocation::RevocationList) -> Policy {
        let mut p = self.clone();
        p.set_revocations(list);
        p
    }

    /// As [`Policy::with_revocations`], in place.
    pub fn set_revocations(&mut self, list: crate::revocation::RevocationList) {
        if let Some(r) = self.revocation.as_mut() {
            r.fetched = Some(alloc::sync::Arc::new(list));
        }
    }

    /// Verifies a fetched revocation bundle with the policy's publisher keys, refusing one
    /// older (by `seq`) than the list held.
    ///
    /// # Errors
    /// [`crate::revocation::RevocationError`]; the host keeps the list it has and counts a
    /// failure.
    pub fn parse_fetched_revocations(
        &self,
        body: &[u8],
        now: i64,
    ) -> Result<crate::revocation::RevocationList, crate::revocation::RevocationError> {
        let Some(r) = &self.revocation else {
            return Err(crate::revocation::RevocationError::Malformed(
                "no revocation in the policy",
            ));
        };
        let held = r.fetched.as_ref().and_then(|l| l.seq());
        crate::revocation::RevocationList::from_bundle(
            body,
            &r.keys,
            AlgSet::all(),
            now,
            r.max_stale,
            held,
        )
    }

    /// Whether provider `index`'s accepted token (with `claims`) is revoked at `now`.
    ///
    /// # Errors
    /// `revocation_unavailable` when a fetched list is configured and none fresh is held;
    /// `token_revoked` naming the rule that matched.
    pub fn check_revoked(&self, index: usize, claims: &Value, now: i64) -> Result<(), Rejection> {
        let Some(r) = &self.revocation else {
            return Ok(());
        };
        if !r.providers.contains(&index) {
            return Ok(());
        }
        let obj = claims.as_object();
        let s = |n: &str| obj.and_then(|o| o.get_str(n));
        let iat = match obj.and_then(|o| o.get("iat")) {
            Some(Value::Number(n)) => n.floor_and_fraction().map(|(f, _)| f),
            _ => None,
        };
        let (iss, jti, sub) = (s("iss"), s("jti"), s("sub"));
        let hit = |l: &crate::revocation::RevocationList| {
            l.check(iss, jti, sub, iat)
                .map_err(|k| Rejection::new(Reason::TokenRevoked, k.code()))
        };
        hit(&r.inline)?;
        if r.remote.is_some() {
            match &r.fetched {
                Some(l) if l.is_fresh(now, r.max_stale) => hit(l)?,
                _ => return Err(Reason::RevocationUnavailable.into()),
            }
        }
        Ok(())
    }

    /// The index of the provider named `name`.
    pub fn provider_index(&self, name: &str) -> Option<usize> {
        self.providers.iter().position(|p| p.name == name)
    }

    /// The provider for a token when no rule names one: by unverified `iss`, or the only one.
    ///
    /// # Errors
    /// `token_*` parse reasons, `issuer_mismatch` when no provider claims the issuer.
    pub fn route(&self, token: &str) -> Result<usize, Rejection> {
        if self.providers.len() == 1 {
            return Ok(0);
        }
        let max_token = self
            .providers
            .iter()
            .map(|p| p.limits.max_token)
            .max()
            .unwrap_or(0);
        let limits = TokenLimits {
            max_token,
            ..TokenLimits::default()
        };
        let compact = Compact::parse(token, &limits)?;
        let claims = json::parse(compact.unverified_payload(), &claims_limits(max_token)).ok();
        let iss = claims
            .as_ref()
            .and_then(|c| c.as_object())
            .and_then(|o| o.get_str("iss"));
        self.providers
            .iter()
            .position(|p| p.expectations.issuer.as_deref() == iss && iss.is_some())
            .ok_or(Reason::IssuerMismatch.into())
    }
}

fn compile_provider(
    name: &str,
    p: &ProviderDoc,
    multi: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Provider, PolicyError> {
    let f = |field: &str| format!("providers.{name}.{field}");
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return Err(err(
            format!("providers.{name}"),
            "names use letters, digits, - _ .",
        ));
    }
    let kind_name = p.kind.as_deref().unwrap_or("jwt");
    match kind_name {
        "jwt" | "session_cookie" => {}
        "signed_url" | "signed_cookie" => {
            return compile_signed_provider(name, p, kind_name == "signed_url", env)
        }
        other => {
            return Err(err(
                f("kind"),
                format!("{other:?}: one of jwt, signed_url, signed_cookie, session_cookie"),
            ))
        }
    }
    let is_session = kind_name == "session_cookie";
    if p.signed.is_some() {
        return Err(err(
            f("signed"),
            "only for kind signed_url or signed_cookie",
        ));
    }
    if p.session.is_some() && !is_session {
        return Err(err(f("session"), "only for kind session_cookie"));
    }
    let session_cookie = if is_session {
        Some(check_session_provider(name, p)?)
    } else {
        None
    };
    if p.typ
        .iter()
        .flatten()
        .any(|t| jws::typ_matches(t, crate::credential::SESSION_TYP))
    {
        return Err(err(
            f("typ"),
            "edgeward-session+jwt is only accepted by session_cookie providers",
        ));
    }
    if multi && p.issuer.is_none() {
        return Err(err(
            f("issuer"),
            "required when the policy has more than one jwt provider",
        ));
    }
    if !(0..=claims::MAX_SKEW_SECONDS).contains(&p.clock_skew_seconds) {
        return Err(err(f("clock_skew_seconds"), "must be 0 to 300"));
    }
    if p.max_lifetime_seconds.is_some_and(|m| m <= 0) {
        return Err(err(f("max_lifetime_seconds"), "must be positive"));
    }
    let algorithms = match &p.algorithms {
        None => AlgSet::all(),
        Some(list) => {
            let mut set = AlgSet::EMPTY;
            for a in list {
                let alg = Alg::from_name(a).ok_or_else(|| {
                    err(
                        f("algorithms"),
                        format!("{a:?} is not a supported algorithm"),
                    )
                })?;
                set = set.with(alg);
            }
            if set.is_empty() {
                return Err(err(f("algorithms"), "empty allow-list"));
            }
            set
        }
    };
    let mut env_keys = Vec::new();
    for (i, s) in p.secrets_from_env.iter().enumerate() {
        let field = f(&format!("secrets_from_env[{i}]"));
        if !matches!(s.alg.as_str(), "HS256" | "HS384" | "HS512") {
            return Err(err(field, "alg must be HS256, HS384 or HS512"));
        }
        let Some(k) = env(&s.env) else {
            return Err(err(
                field,
                format!("environment variable {} is not set", s.env),
            ));
        };
        let Ok(secret) = crate::b64::decode(k.trim()) else {
            return Err(err(field, format!("{} is not unpadded base64url", s.env)));
        };
        let alg = Alg::from_name(&s.alg).unwrap_or(Alg::HS256);
        if secret.len() < alg.hash_len() {
            return Err(err(
                field,
                format!(
                    "{} holds {} bytes; {} needs at least {}",
                    s.env,
                    secret.len(),
                    s.alg,
                    alg.hash_len()
                ),
            ));
        }
        if !algorithms.contains(alg) {
            return Err(err(
                field,
                format!("{} is not in this provider's algorithms", s.alg),
            ));
        }
        let mut jwk = serde_json::Map::new();
        jwk.insert("kty".into(), "oct".into());
        jwk.insert("k".into(), k.trim().into());
        jwk.insert("alg".into(), s.alg.clone().into());
        if let Some(kid) = &s.kid {
            jwk.insert("kid".into(), kid.clone().into());
        }
        env_keys.push(serde_json::Value::Object(jwk));
    }
    let local = match (&p.local_jwks, env_keys.is_empty()) {
        (Some(v), true) => Some(v.clone()),
        (Some(v), false) => {
            let mut v = v.clone();
            match v.get_mut("keys").and_then(serde_json::Value::as_array_mut) {
                Some(keys) => keys.extend(env_keys),
                None => return Err(err(f("local_jwks"), "not an object with a \"keys\" array")),
            }
            Some(v)
        }
        (None, false) => Some(serde_json::json!({ "keys": env_keys })),
        (None, true) => None,
    };
    let (keys, remote) = match (&local, &p.remote_jwks) {
        (Some(v), None) => {
            let value = to_value(&f("local_jwks"), v)?;
            let keys = KeySet::from_value(&value, algorithms, Origin::Local)
                .map_err(|e| err(f("local_jwks"), e.to_string()))?;
            (keys, None)
        }
        (None, Some(r)) => (
            KeySet::default(),
            Some(compile_remote(p.issuer.as_deref(), &f("remote_jwks"), r)?),
        ),
        (Some(_), Some(_)) => {
            return Err(err(
                f("remote_jwks"),
                "use inline keys (local_jwks, secrets_from_env) or remote_jwks, not both",
            ))
        }
        (None, None) => {
            return Err(err(
                f("local_jwks"),
                "a provider needs keys (local_jwks or remote_jwks)",
            ))
        }
    };
    let subjects = p
        .subjects
        .iter()
        .map(|s| match s {
            SubjectDoc::Exact(v) => SubjectMatch::Exact(v.clone()),
            SubjectDoc::Prefix(v) => SubjectMatch::Prefix(v.clone()),
        })
        .collect();
    let mut claim_rules = Vec::new();
    for (i, r) in p.claim_rules.iter().enumerate() {
        let field = f(&format!("claim_rules[{i}]"));
        check_claim_name(&field, &r.claim)?;
        let test = match (&r.equals, &r.any_of) {
            (Some(v), None) => ClaimTest::Equals(to_value(&field, v)?),
            (None, Some(list)) => ClaimTest::AnyOf(
                list.iter()
                    .map(|v| to_value(&field, v))
                    .collect::<Result<_, _>>()?,
            ),
            _ => return Err(err(field, "exactly one of equals or any_of")),
        };
        claim_rules.push(ClaimRule {
            pointer: r.claim.clone(),
            test,
        });
    }
    for (i, c) in p.required_claims.iter().enumerate() {
        check_claim_name(&f(&format!("required_claims[{i}]")), c)?;
    }
    let mut sources = compile_sources(name, p)?;
    if let Some(cookie) = &session_cookie {
        sources = alloc::vec![Source::Cookie(cookie.clone())];
    }
    let dpop_mode = bind_mode(&f("dpop"), p.dpop.as_deref())?;
    let dpop_config = match (dpop_mode, &p.dpop_proof) {
        (None, Some(_)) => return Err(err(f("dpop_proof"), "only with dpop")),
        (None, None) => None,
        (Some(_), doc) => {
            if !sources.is_empty() || is_session {
                return Err(err(
                    f("dpop"),
                    "DPoP tokens come in Authorization (DPoP or Bearer scheme): no from_* sources",
                ));
            }
            // Both schemes: a bound token sent as Bearer is refused by name, not missed.
            sources.push(Source::Header {
                name: "authorization".into(),
                prefix: Some("Bearer ".into()),
            });
            sources.push(Source::Header {
                name: "authorization".into(),
                prefix: Some(String::from(DPOP_SCHEME)),
            });
            Some(compile_dpop(
                &f("dpop_proof"),
                doc.as_ref(),
                p.clock_skew_seconds,
                env,
            )?)
        }
    };
    if sources.is_empty() {
        sources.push(Source::Header {
            name: "authorization".into(),
            prefix: Some("Bearer ".into()),
        });
    }
    let forward_payload_header = p
        .forward_payload_header
        .as_deref()
        .map(|h| check_output_header(&f("forward_payload_header"), h))
        .transpose()?;
    let mut claim_to_headers = Vec::new();
    for (i, c) in p.claim_to_headers.iter().enumerate() {
        let field = f(&format!("claim_to_headers[{i}]"));
        let h = check_output_header(&field, &c.header_name)?;
        check_claim_name(&field, &c.claim)?;
        let taken = claim_to_headers.iter().any(|(x, _)| *x == h);
        if taken || forward_payload_header.as_ref() == Some(&h) {
            return Err(err(
                field,
                format!("{h:?} is already an output of this provider"),
            ));
        }
        claim_to_headers.push((h, c.claim.clone()));
    }
    if p.typ.as_ref().is_some_and(Vec::is_empty) {
        return Err(err(
            f("typ"),
            "an empty list refuses every token (omit it instead)",
        ));
    }
    let max_token = p.max_token_bytes.unwrap_or(8192);
    if !(256..=65536).contains(&max_token) {
        return Err(err(f("max_token_bytes"), "must be 256 to 65536"));
    }
    let kind = match session_cookie {
        Some(cookie) => Kind::Session(crate::credential::compile_session(
            &f("session"),
            p.session.as_ref(),
            cookie,
        )?),
        None => Kind::Jwt,
    };
    // A session bound to the DPoP key of the token it was minted from: every request with
    // the cookie carries a proof by that key (ath over the cookie's value).
    let (dpop_mode, dpop_config) = match &kind {
        Kind::Session(s) if s.bind_dpop_key => (
            Some(claims::BindMode::Required),
            Some(compile_dpop(
                &f("session"),
                None,
                p.clock_skew_seconds,
                env,
            )?),
        ),
        _ => (dpop_mode, dpop_config),
    };
    let (typ, max_lifetime) = match &kind {
        Kind::Session(s) => (
            Some(alloc::vec![String::from(crate::credential::SESSION_TYP)]),
            Some(s.lifetime),
        ),
        _ => (p.typ.clone(), p.max_lifetime_seconds),
    };
    Ok(Provider {
        name: name.into(),
        kind,
        expectations: Expectations {
            issuer: p.issuer.clone(),
            audiences: p.audiences.clone(),
            allow_any_audience: p.allow_any_audience,
            subjects,
            clock_skew: p.clock_skew_seconds,
            require_expiration: p.require_expiration || is_session,
            max_lifetime,
            required_claims: p.required_claims.clone(),
            required_scopes: p.required_scopes.clone(),
            claim_rules,
            ignore_cnf: p.ignore_cnf,
            binding: claims::Binding {
                mtls: bind_mode(&f("certificate_bound"), p.certificate_bound.as_deref())?,
                dpop: dpop_mode,
            },
        },
        typ,
        algorithms,
        keys,
        sources,
        forward: p.forward,
        forward_payload_header,
        claim_to_headers,
        limits: TokenLimits {
            max_token,
            max_header: 1024,
        },
        available: remote.is_none(),
        remote,
        dpop: dpop_config,
    })
}

/// The `Authorization` scheme of `DPoP`-bound tokens, as a source prefix.
pub const DPOP_SCHEME: &str = "DPoP ";

fn compile_dpop(
    field: &str,
    doc: Option<&DpopProofDoc>,
    skew: i64,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<crate::dpop::DpopConfig, PolicyError> {
    let mut cfg = crate::dpop::DpopConfig {
        max_future_seconds: 5 + skew,
        ..crate::dpop::DpopConfig::default()
    };
    let Some(doc) = doc else {
        return Ok(cfg);
    };
    if let Some(list) = &doc.algorithms {
        let mut set = AlgSet::EMPTY;
        for a in list {
            let alg = Alg::from_name(a).ok_or_else(|| {
                err(
                    format!("{field}.algorithms"),
                    format!("{a:?} is not a supported algorithm"),
                )
            })?;
            set = set.with(alg);
        }
        cfg.algorithms = set;
    }
    if let Some(age) = doc.max_age_seconds {
        if !(1..=3600).contains(&age) {
            return Err(err(format!("{field}.max_age_seconds"), "must be 1 to 3600"));
        }
        cfg.max_age_seconds = age;
    }
    let slot = doc.nonce_slot_seconds.unwrap_or(60);
    if !(10..=3600).contains(&slot) {
        return Err(err(
            format!("{field}.nonce_slot_seconds"),
            "must be 10 to 3600",
        ));
    }
    match (&doc.nonce_secret_from_env, doc.nonce_slot_seconds) {
        (Some(var), _) => {
            let f = format!("{field}.nonce_secret_from_env");
            let v = env(var)
                .ok_or_else(|| err(&f, format!("environment variable {var} is not set")))?;
            let secret = crate::b64::decode(v.trim())
                .map_err(|_| err(&f, format!("{var} is not unpadded base64url")))?;
            cfg.nonce = Some(
                crate::dpop::NonceKey::new(&secret, slot)
                    .ok_or_else(|| err(&f, format!("{var} must hold at least 32 bytes")))?,
            );
        }
        (None, Some(_)) => {
            return Err(err(
                format!("{field}.nonce_slot_seconds"),
                "only with nonce_secret_from_env",
            ))
        }
        (None, None) => {}
    }
    cfg.validate().map_err(|m| err(field, m))?;
    Ok(cfg)
}

fn bind_mode(field: &str, v: Option<&str>) -> Result<Option<claims::BindMode>, PolicyError> {
    match v {
        None => Ok(None),
        Some("required") => Ok(Some(claims::BindMode::Required)),
        Some("optional") => Ok(Some(claims::BindMode::Optional)),
        Some(other) => Err(err(field, format!("{other:?}: required or optional"))),
    }
}

/// The session provider's rules beyond a JWT provider's; returns its cookie name.
fn check_session_provider(name: &str, p: &ProviderDoc) -> Result<String, PolicyError> {
    let f = |field: &str| format!("providers.{name}.{field}");
    if p.issuer.is_none() {
        return Err(err(
            f("issuer"),
            "a session provider names the issuer it mints as",
        ));
    }
    if p.max_lifetime_seconds.is_some() || !p.require_expiration {
        return Err(err(
            f("max_lifetime_seconds"),
            "a session cookie's lifetime is session.lifetime_seconds, and it always expires",
        ));
    }
    if p.audiences.is_empty() {
        return Err(err(f("audiences"), "a session provider names its audience"));
    }
    if p.local_jwks.is_some() || p.remote_jwks.is_some() {
        return Err(err(
            f("secrets_from_env"),
            "session keys come from secrets_from_env only (never inline or fetched)",
        ));
    }
    if p.secrets_from_env.is_empty() {
        return Err(err(f("secrets_from_env"), "at least one session key"));
    }
    if p.typ.is_some() {
        return Err(err(f("typ"), "a session provider's typ is fixed"));
    }
    if p.certificate_bound.is_some() || p.dpop.is_some() || p.dpop_proof.is_some() {
        return Err(err(
            f("certificate_bound"),
            "session cookies bind to the client address (session.bind_client_ip), not to keys",
        ));
    }
    if !p.from_headers.is_empty() || !p.from_params.is_empty() {
        return Err(err(f("from_*"), "session cookies are read from one cookie"));
    }
    let cookie = match p.from_cookies.as_slice() {
        [] => String::from(crate::credential::DEFAULT_SESSION_COOKIE),
        [c] if c.starts_with("__Host-") => c.clone(),
        [_] => return Err(err(
            f("from_cookies"),
            "a session cookie's name starts with __Host- (bound to this origin, Secure, Path=/)",
        )),
        _ => return Err(err(f("from_cookies"), "exactly one cookie")),
    };
    Ok(cookie)
}

/// The `from_headers`, `from_params` and `from_cookies` sources, in that order. Two sources
/// reading the same place would make every token ambiguous, so that is refused; header
/// prefixes make no difference (extraction ignores their case and treats every
/// comma-separated part of a header that carries a token as a credential).
fn compile_sources(name: &str, p: &ProviderDoc) -> Result<Vec<Source>, PolicyError> {
    let f = |field: &str| format!("providers.{name}.{field}");
    let mut sources = Vec::new();
    for (i, h) in p.from_headers.iter().enumerate() {
        let name = check_header_name(&f(&format!("from_headers[{i}].name")), &h.name)?;
        sources.push(Source::Header {
            name,
            prefix: h.value_prefix.clone(),
        });
    }
    for q in &p.from_params {
        if q.is_empty() {
            return Err(err(f("from_params"), "empty parameter name"));
        }
        sources.push(Source::Param(q.clone()));
    }
    for c in &p.from_cookies {
        if c.is_empty() || c.contains([';', '=', ' ', ',']) {
            return Err(err(
                f("from_cookies"),
                format!("{c:?} is not a cookie name"),
            ));
        }
        sources.push(Source::Cookie(c.clone()));
    }
    let place = |s: &Source| match s {
        Source::Header { name, .. } => format!("header {name}"),
        Source::Param(n) => format!("query parameter {n}"),
        Source::Cookie(n) => format!("cookie {n}"),
    };
    for (i, s) in sources.iter().enumerate() {
        if let Some(t) = sources.iter().skip(i + 1).find(|t| place(t) == place(s)) {
            return Err(err(
                f("from_*"),
                format!(
                    "{} is listed twice (every token would be ambiguous)",
                    place(t)
                ),
            ));
        }
    }
    Ok(sources)
}

/// Compiles a `signed_url` / `signed_cookie` provider.
fn compile_signed_provider(
    name: &str,
    p: &ProviderDoc,
    url: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Provider, PolicyError> {
    let f = |field: &str| format!("providers.{name}.{field}");
    let jwt_only = [
        ("issuer", p.issuer.is_some()),
        ("audiences", !p.audiences.is_empty() || p.allow_any_audience),
        ("subjects", !p.subjects.is_empty()),
        ("typ", p.typ.is_some()),
        ("algorithms", p.algorithms.is_some()),
        ("local_jwks", p.local_jwks.is_some()),
        ("remote_jwks", p.remote_jwks.is_some()),
        ("secrets_from_env", !p.secrets_from_env.is_empty()),
        ("max_lifetime_seconds", p.max_lifetime_seconds.is_some()),
        ("required_claims", !p.required_claims.is_empty()),
        ("required_scopes", !p.required_scopes.is_empty()),
        ("claim_rules", !p.claim_rules.is_empty()),
        ("forward_payload_header", p.forward_payload_header.is_some()),
        ("max_token_bytes", p.max_token_bytes.is_some()),
        ("session", p.session.is_some()),
        ("clock_skew_seconds", p.clock_skew_seconds != default_skew()),
        ("require_expiration", !p.require_expiration),
        ("ignore_cnf", p.ignore_cnf),
        ("certificate_bound", p.certificate_bound.is_some()),
        ("dpop", p.dpop.is_some()),
        ("dpop_proof", p.dpop_proof.is_some()),
    ];
    if let Some((field, _)) = jwt_only.iter().find(|(_, set)| *set) {
        return Err(err(
            f(field),
            "does not apply to signed_url / signed_cookie providers",
        ));
    }
    let doc = p
        .signed
        .as_ref()
        .ok_or_else(|| err(f("signed"), "required for signed_url / signed_cookie"))?;
    let scheme = crate::credential::compile_signed(&f("signed"), doc, env)?;
    let from_any =
        !p.from_headers.is_empty() || !p.from_params.is_empty() || !p.from_cookies.is_empty();
    let mut sources = Vec::new();
    match &scheme {
        Scheme::Akamai(_) => {
            sources = compile_sources(name, p)?;
            if sources.is_empty() {
                let token = String::from(crate::credential::AKAMAI_TOKEN);
                sources.push(if url {
                    Source::Param(token)
                } else {
                    Source::Cookie(token)
                });
            }
        }
        Scheme::Google(_) => {
            if from_any {
                return Err(err(
                    f("from_*"),
                    "Google Cloud CDN credentials are where Google puts them (the URL, Cloud-CDN-Cookie)",
                ));
            }
            if !url {
                sources.push(Source::Cookie(String::from(
                    crate::credential::GOOGLE_COOKIE,
                )));
            }
        }
        Scheme::CloudFront(_) => {
            if from_any {
                return Err(err(
                    f("from_*"),
                    "CloudFront credentials are where CloudFront puts them (the query, the CloudFront-* cookies)",
                ));
            }
        }
    }
    let mut claim_to_headers = Vec::new();
    for (i, c) in p.claim_to_headers.iter().enumerate() {
        let field = f(&format!("claim_to_headers[{i}]"));
        let h = check_output_header(&field, &c.header_name)?;
        check_claim_name(&field, &c.claim)?;
        if claim_to_headers.iter().any(|(x, _)| *x == h) {
            return Err(err(
                field,
                format!("{h:?} is already an output of this provider"),
            ));
        }
        claim_to_headers.push((h, c.claim.clone()));
    }
    Ok(Provider {
        name: name.into(),
        kind: if url {
            Kind::SignedUrl(scheme)
        } else {
            Kind::SignedCookie(scheme)
        },
        expectations: Expectations::default(),
        typ: None,
        algorithms: AlgSet::EMPTY,
        keys: KeySet::default(),
        sources,
        forward: p.forward,
        forward_payload_header: None,
        claim_to_headers,
        limits: TokenLimits::default(),
        remote: None,
        available: true,
        dpop: None,
    })
}

fn compile_revocation(
    r: &RevocationDoc,
    providers: &[Provider],
) -> Result<Revocation, PolicyError> {
    let inline = match &r.inline {
        None => crate::revocation::RevocationList::empty(),
        Some(v) => {
            crate::revocation::RevocationList::from_value(&to_value("revocation.inline", v)?)
                .map_err(|e| err("revocation.inline", e.to_string()))?
        }
    };
    let (remote, keys, max_stale) = match &r.remote {
        None => (None, KeySet::default(), 0),
        Some(doc) => {
            let f = "revocation.remote";
            let keys = KeySet::from_value(
                &to_value(&format!("{f}.keys"), &doc.keys)?,
                AlgSet::all(),
                Origin::Local,
            )
            .map_err(|e| err(format!("{f}.keys"), e.to_string()))?;
            if !(5..=3600).contains(&doc.refresh_seconds) {
                return Err(err(format!("{f}.refresh_seconds"), "must be 5 to 3600"));
            }
            if !(doc.refresh_seconds..=7 * 86_400).contains(&doc.max_stale_seconds) {
                return Err(err(
                    format!("{f}.max_stale_seconds"),
                    "must be refresh_seconds to 604800",
                ));
            }
            let as_jwks = RemoteJwksDoc {
                uri: Some(doc.uri.clone()),
                oidc_discovery: false,
                cluster: doc.cluster.clone(),
                timeout_seconds: doc.timeout_seconds,
                // The lifecycle refreshes at 3/4 of the cache duration.
                cache_duration_seconds: ((doc.refresh_seconds * 4 + 2) / 3).max(5),
                max_stale_seconds: doc.max_stale_seconds,
                unknown_kid_cooldown_seconds: 30,
            };
            let remote = compile_remote(None, f, &as_jwks)?;
            (Some(remote), keys, doc.max_stale_seconds)
        }
    };
    if r.inline.is_none() && remote.is_none() {
        return Err(err("revocation", "an inline list, a remote one, or both"));
    }
    let indexes = match &r.providers {
        None => providers
            .iter()
            .enumerate()
            .filter(|(_, p)| matches!(p.kind, Kind::Jwt | Kind::Session(_)))
            .map(|(i, _)| i)
            .collect(),
        Some(names) => names
            .iter()
            .map(|n| {
                providers
                    .iter()
                    .position(|p| &p.name == n && matches!(p.kind, Kind::Jwt | Kind::Session(_)))
                    .ok_or_else(|| {
                        err(
                            "revocation.providers",
                            format!("{n:?} is not a jwt or session_cookie provider"),
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    Ok(Revocation {
        inline: alloc::sync::Arc::new(inline),
        fetched: None,
        remote,
        keys,
        max_stale,
        providers: indexes,
    })
}

fn compile_remote(
    issuer: Option<&str>,
    field: &str,
    r: &RemoteJwksDoc,
) -> Result<RemoteJwks, PolicyError> {
    let uri = match (&r.uri, r.oidc_discovery, issuer) {
        (Some(u), false, _) => u.clone(),
        (None, true, Some(iss)) => {
            format!(
                "{}/.well-known/openid-configuration",
                iss.trim_end_matches('/')
            )
        }
        (None, true, None) => {
            return Err(err(
                format!("{field}.oidc_discovery"),
                "needs the provider's issuer",
            ))
        }
        (Some(_), true, _) | (None, false, _) => {
            return Err(err(field, "exactly one of uri or oidc_discovery: true"))
        }
    };
    let (scheme, rest) = uri
        .split_once("://")
        .ok_or_else(|| err(format!("{field}.uri"), "an absolute https:// URL"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (rest.get(..i).unwrap_or(""), rest.get(i..).unwrap_or("/")),
        None => (rest, "/"),
    };
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    let loopback = matches!(host, "127.0.0.1" | "localhost" | "[::1]");
    match scheme {
        "https" => {}
        "http" if loopback => {}
        _ => {
            return Err(err(
                format!("{field}.uri"),
                "keys are fetched over https (plain http only to loopback, for tests)",
            ))
        }
    }
    if authority.is_empty() || authority.contains('@') || path.contains('#') {
        return Err(err(
            format!("{field}.uri"),
            "a plain https://host[:port]/path URL",
        ));
    }
    for (name, v, min, max) in [
        ("timeout_seconds", r.timeout_seconds, 1, 60),
        (
            "cache_duration_seconds",
            r.cache_duration_seconds,
            5,
            86_400,
        ),
        ("max_stale_seconds", r.max_stale_seconds, 0, 7 * 86_400),
        (
            "unknown_kid_cooldown_seconds",
            r.unknown_kid_cooldown_seconds,
            1,
            3600,
        ),
    ] {
        if !(min..=max).contains(&v) {
            return Err(err(
                format!("{field}.{name}"),
                format!("must be {min} to {max}"),
            ));
        }
    }
    Ok(RemoteJwks {
        discovery: r.oidc_discovery,
        uri: uri.clone(),
        scheme: String::from(scheme),
        authority: String::from(authority),
        path: String::from(path),
        cluster: r.cluster.clone(),
        lifecycle: crate::jwks::LifecycleConfig {
            cache_duration: r.cache_duration_seconds,
            max_stale: r.max_stale_seconds,
            fetch_timeout: r.timeout_seconds,
            retry_max: 60,
            unknown_kid_cooldown: r.unknown_kid_cooldown_seconds,
        },
    })
}

fn compile_requirement(
    field: &str,
    r: &RequirementDoc,
    providers: &[Provider],
) -> Result<Requirement, PolicyError> {
    Ok(match r {
        RequirementDoc::ProviderName(n) => Requirement::Provider(
            providers
                .iter()
                .position(|p| &p.name == n)
                .ok_or_else(|| err(field, format!("unknown provider {n:?}")))?,
        ),
        RequirementDoc::RequiresAny(list) | RequirementDoc::RequiresAll(list) => {
            if list.is_empty() {
                return Err(err(field, "empty requirement list"));
            }
            let inner = list
                .iter()
                .enumerate()
                .map(|(i, x)| compile_requirement(&format!("{field}[{i}]"), x, providers))
                .collect::<Result<Vec<_>, _>>()?;
            if matches!(r, RequirementDoc::RequiresAny(_)) {
                Requirement::Any(inner)
            } else {
                Requirement::All(inner)
            }
        }
        RequirementDoc::AllowMissing(_) => Requirement::AllowMissing,
        RequirementDoc::AllowMissingOrFailed(_) => Requirement::AllowMissingOrFailed,
    })
}

/// Claims limits for a provider whose tokens may be `max_token` bytes long.
pub(crate) fn claims_limits(max_token: usize) -> Limits {
    Limits {
        max_bytes: max_token,
        max_string: max_token.max(Limits::CLAIMS.max_string),
        ..Limits::CLAIMS
    }
}

/// A token that verified and whose claims hold.
#[derive(Clone, Debug)]
pub struct Accepted {
    /// The verified token (`None` for signed URLs and cookies, which are not JWS).
    pub verified: Option<Verified>,
    /// The parsed claims.
    pub claims: Value,
}

impl Provider {
    /// Verifies a JWT for this provider at `now`: header, issuer routing (unverified `iss`),
    /// `typ`, signature, then claims.
    ///
    /// # Errors
    /// Any token, signature or claim [`Reason`].
    pub fn verify_jwt(&self, token: &str, now: i64) -> Result<Accepted, Rejection> {
        let accepted = self.verify_signature(token)?;
        claims::check(&accepted.claims, &self.expectations, now)?;
        Ok(accepted)
    }

    /// As [`Provider::verify_jwt`], answering repeated tokens from `cache`: only the signature
    /// result is cached; the claims are checked again at `now` on every call.
    ///
    /// # Errors
    /// As [`Provider::verify_jwt`].
    pub fn verify_jwt_cached(
        &self,
        token: &str,
        now: i64,
        generation: u64,
        cache: &mut crate::cache::TokenCache,
    ) -> Result<alloc::rc::Rc<Accepted>, Rejection> {
        if token.len() > self.limits.max_token {
            return Err(Rejection::new(Reason::TokenTooLarge, "token"));
        }
        let key = crate::cache::key(token, self, generation);
        if let Some(hit) = cache.get(&key, now) {
            // A cached signature is only as good as the key set behind it.
            if !self.available {
                return Err(Reason::JwksUnavailable.into());
            }
            claims::check(&hit.claims, &self.expectations, now)?;
            return Ok(hit);
        }
        let accepted = alloc::rc::Rc::new(self.verify_signature(token)?);
        cache.insert(key, &accepted, self.expectations.clock_skew, now);
        claims::check(&accepted.claims, &self.expectations, now)?;
        Ok(accepted)
    }

    /// Everything up to and including the signature: header, issuer routing, `typ`, key,
    /// signature, and the claims parsed (not yet checked).
    fn verify_signature(&self, token: &str) -> Result<Accepted, Rejection> {
        let compact = Compact::parse(token, &self.limits)?;
        // Parse the claims before the signature only to route by issuer (first, so a provider
        // the token is not meant for says issuer_mismatch); they are trusted only after
        // verification below.
        let claims = json::parse(
            compact.unverified_payload(),
            &claims_limits(self.limits.max_token),
        );
        if let Ok(Value::Object(o)) = &claims {
            claims::check_issuer(o, self.expectations.issuer.as_deref())?;
        }
        self.check_typ(compact.header().typ.as_deref())?;
        if !self.available {
            return Err(Reason::JwksUnavailable.into());
        }
        let verified = compact.verify(&self.keys, self.algorithms)?;
        let claims = claims.map_err(|_| Rejection::new(Reason::ClaimsMalformed, "payload json"))?;
        Ok(Accepted {
            verified: Some(verified),
            claims,
        })
    }

    /// What a caller without a request (the CLI's `verify`, the JS `verify`) must add after
    /// [`Provider::verify_jwt`]: checks that need the request cannot pass there, so a token
    /// bound to a key or certificate (`cnf`), a provider that requires a binding, a session
    /// cookie bound to the client, and signed-URL providers are refused.
    ///
    /// # Errors
    /// `token_binding_mismatch`, `token_not_bound`, `cookie_ip_mismatch`, `config_invalid`.
    pub fn check_standalone(&self, accepted: &Accepted) -> Result<(), Rejection> {
        match &self.kind {
            Kind::SignedUrl(_) | Kind::SignedCookie(_) => {
                return Err(Rejection::new(
                    Reason::ConfigInvalid,
                    "signed credentials are checked against a request",
                ))
            }
            Kind::Session(s) if s.bind_client_ip => {
                return Err(Rejection::new(Reason::CookieIpMismatch, "no request"));
            }
            _ => {}
        }
        let b = self.expectations.binding;
        if claims::lookup(&accepted.claims, "cnf").is_some() && !self.expectations.ignore_cnf {
            return Err(Rejection::new(
                Reason::TokenBindingMismatch,
                "no request to check the binding against",
            ));
        }
        if b.dpop == Some(claims::BindMode::Required) || b.mtls == Some(claims::BindMode::Required)
        {
            return Err(Rejection::new(Reason::TokenNotBound, "no request"));
        }
        Ok(())
    }

    /// Verifies a JWS with an opaque payload (no claim checks).
    ///
    /// # Errors
    /// Token and signature reasons.
    pub fn verify_jws(&self, token: &str) -> Result<Verified, Rejection> {
        Compact::parse(token, &self.limits)?.verify(&self.keys, self.algorithms)
    }

    fn check_typ(&self, typ: Option<&str>) -> Result<(), Rejection> {
        match (&self.typ, typ) {
            (Some(list), Some(t)) if list.iter().any(|want| jws::typ_matches(t, want)) => Ok(()),
            (Some(_), _) => Err(Reason::TypNotAllowed.into()),
            (None, Some(t)) if RESERVED_TYP.iter().any(|r| jws::typ_matches(t, r)) => {
                Err(Rejection::new(Reason::TypNotAllowed, "reserved typ"))
            }
            (None, _) => Ok(()),
        }
    }
}
