//! The request-level decision, made here so every host decides identically.
//!
//! A host hands over a neutral view of the request (method, raw `:path`, every header value,
//! the time); [`decide`] returns the verdict and the exact edits: which request headers to set
//! and remove when allowed, or the status, response headers and body when denied.

use alloc::string::String;
use alloc::vec::Vec;

use alloc::rc::Rc;

use crate::cache::TokenCache;
use crate::credential::{self, Kind, SignedInput};
use crate::json::Value;
use crate::path::{self, Target};
use crate::policy::{
    Accepted, CertHeaderFormat, Mode, PathMatch, Policy, Provider, Requirement, Rule, Source,
    MAX_HEADER_VALUE,
};
use crate::reason::{Reason, Rejection};
use crate::{b64, claims};

/// A host-neutral view of one request.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// The method, e.g. `GET`.
    pub method: &'a str,
    /// The raw request target (`:path`), with its query.
    pub path: &'a str,
    /// Every header value, in order; repeated names appear repeatedly. Names in any case.
    pub headers: &'a [(&'a str, &'a str)],
    /// The address of the peer that sent the request (as the host sees it), if known. Used
    /// by policies that bind credentials to client addresses.
    pub client_addr: Option<&'a str>,
    /// The SHA-256 of the certificate the peer presented on this connection (hex, any case:
    /// Envoy's `connection.sha256_peer_certificate_digest`), if the connection is mutual TLS.
    /// Used by certificate-bound tokens (RFC 8705).
    pub peer_certificate: Option<&'a str>,
    /// The host's name for the route this request took (Envoy: the route `name`), if any.
    pub route: Option<&'a str>,
    /// Unix seconds.
    pub now: i64,
}

/// The verdict and the edits that carry it out.
#[derive(Clone, Debug)]
pub struct Decision {
    /// Let the request through.
    pub allow: bool,
    /// 200 when allowed, else the denial status.
    pub status: u16,
    /// Why it was denied (or, when allowed despite a failure, why that token failed).
    pub reason: Option<Reason>,
    /// A token-free detail for logs.
    pub detail: &'static str,
    /// The index of the rule that matched.
    pub rule: Option<usize>,
    /// The provider that accepted (or whose failure is reported).
    pub provider: Option<String>,
    /// Request headers to set (replacing any value) when allowed. Hosts apply
    /// `remove_headers` first, then these.
    pub set_headers: Vec<(String, String)>,
    /// Request headers to remove, on every path (spoofed outputs, consumed tokens). Applied
    /// before `set_headers`.
    pub remove_headers: Vec<String>,
    /// Response headers when denied.
    pub response_headers: Vec<(String, String)>,
    /// Response body when denied: the reason code.
    pub body: String,
    /// The accepting provider's verified token and claims (shared, not copied).
    pub accepted: Option<Rc<Accepted>>,
    /// Output headers not set because the claim value could not be carried safely.
    pub dropped_headers: Vec<String>,
    /// True when the matched rule is in report mode and the request would have been denied:
    /// it is allowed, and `reason` says why it would not have been.
    pub reported: bool,
    /// A short fingerprint of the token the verdict is about (first 6 bytes of its SHA-256,
    /// hex) for correlating logs. Never the token itself.
    pub fingerprint: Option<String>,
    /// For an allowed request: a `jti` the host must record as used before letting the request
    /// through (a `DPoP` proof's, or a one-time token's). If the host's replay store says it was
    /// seen (or is full), the host answers [`replay_rejected`] instead.
    pub replay: Vec<ReplayClaim>,
}

/// A use of a `jti` to be recorded by the host's replay store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplayClaim {
    /// The store key: [`crate::replay::replay_key`] of (proof key thumbprint or issuer, `jti`).
    pub key: [u8; 16],
    /// The proof's or token's `iat`: time-slotted stores file the entry under it, so every
    /// replay of one proof or token lands in the same place.
    pub issued_at: i64,
    /// When the entry may be forgotten (the proof or token can no longer be accepted).
    pub expires_at: i64,
    /// What the `jti` belongs to.
    pub kind: ReplayKind,
}

/// Whose `jti` a [`ReplayClaim`] records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplayKind {
    /// A `DPoP` proof.
    DpopProof,
    /// An access token on a rule with `one_time_jti`.
    OneTimeToken,
}

impl Decision {
    /// The claims of the accepting provider's token, if one was accepted.
    pub fn claims(&self) -> Option<&Value> {
        self.accepted.as_ref().map(|a| &a.claims)
    }
}

/// The log fingerprint of a token: the first 6 bytes of SHA-256 over its bytes, in hex.
pub fn fingerprint(token: &str) -> String {
    use core::fmt::Write as _;
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(token.as_bytes());
    let mut out = String::with_capacity(12);
    for b in digest.iter().take(6) {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[derive(Clone, Debug)]
enum Found {
    Missing,
    Ambiguous,
    One { token: String, source: usize },
}

#[derive(Clone, Debug)]
enum Outcome {
    Allow(Vec<usize>),
    Deny(Rejection, Option<usize>),
}

fn rank(r: Reason) -> u8 {
    match r {
        Reason::TokenMissing | Reason::CookieMissing => 1,
        Reason::IssuerMismatch => 2,
        Reason::TokenAmbiguous => 4,
        _ => 3,
    }
}

struct Eval<'p, 'r, 'c> {
    policy: &'p Policy,
    req: &'r Request<'r>,
    found: Vec<Option<Found>>,
    verified: Vec<Option<Result<Rc<Accepted>, Rejection>>>,
    target: &'r Target<'r>,
    cache: Option<&'c mut TokenCache>,
    /// The replay claim of the proof that verified for each provider.
    proofs: Vec<Option<ReplayClaim>>,
    /// The client address, looked up on first use.
    #[allow(clippy::option_option)] // outer: looked up yet; inner: known
    client: Option<Option<core::net::IpAddr>>,
}

impl<'p, 'r, 'c> Eval<'p, 'r, 'c> {
    fn new(
        policy: &'p Policy,
        req: &'r Request<'r>,
        target: &'r Target<'r>,
        cache: Option<&'c mut TokenCache>,
    ) -> Self {
        let n = policy.providers.len();
        Eval {
            policy,
            req,
            found: alloc::vec![None; n],
            verified: alloc::vec![None; n],
            target,
            cache,
            client: None,
            proofs: alloc::vec![None; n],
        }
    }

    fn found(&mut self, i: usize) -> Found {
        if let Some(Some(f)) = self.found.get(i) {
            return f.clone();
        }
        let f = match self.policy.providers.get(i) {
            Some(p) => extract(p, self.req, self.target),
            None => Found::Missing,
        };
        if let Some(slot) = self.found.get_mut(i) {
            *slot = Some(f.clone());
        }
        f
    }

    fn client_ip(&mut self) -> Option<core::net::IpAddr> {
        *self.client.get_or_insert_with(|| {
            crate::context::client_ip(
                self.req.client_addr,
                self.req.headers,
                &self.policy.trusted_proxies,
            )
        })
    }

    fn verify(&mut self, i: usize, token: &str, source: usize) -> Result<Rc<Accepted>, Rejection> {
        let now = self.req.now;
        let generation = self.policy.generation;
        let Some(p) = self.policy.providers.get(i) else {
            return Err(Reason::ConfigInvalid.into());
        };
        match &p.kind {
            Kind::SignedUrl(scheme) | Kind::SignedCookie(scheme) => {
                let client_ip = self.client_ip();
                let public_url = self
                    .policy
                    .public_origin
                    .as_deref()
                    .map(|o| crate::context::public_url(o, self.req.path));
                let raw_path = self
                    .req
                    .path
                    .split_once('?')
                    .map_or(self.req.path, |(p, _)| p);
                if crate::context::has_dot_segment(raw_path) {
                    return Err(Rejection::new(Reason::PathInvalid, "dot-segment"));
                }
                let input = SignedInput {
                    credential: token,
                    raw_path,
                    public_url: public_url.as_deref(),
                    client_ip,
                    now,
                };
                let url = matches!(p.kind, Kind::SignedUrl(_));
                credential::verify_signed(scheme, url, &input).map(Rc::new)
            }
            Kind::Jwt | Kind::Session(_) => {
                let result = match self.cache.as_deref_mut() {
                    Some(cache) => p.verify_jwt_cached(token, now, generation, cache),
                    None => p.verify_jwt(token, now).map(Rc::new),
                };
                let Kind::Session(session) = &p.kind else {
                    let accepted = result?;
                    self.policy.check_revoked(i, &accepted.claims, now)?;
                    self.check_binding(p, &accepted)?;
                    self.check_dpop(i, p, &accepted, token, source)?;
                    return Ok(accepted);
                };
                let client_ip = if session.bind_client_ip {
                    self.client_ip()
                } else {
                    None
                };
                credential::check_session(session, result.as_deref(), client_ip)?;
                let accepted = result?;
                self.policy.check_revoked(i, &accepted.claims, now)?;
                self.check_dpop(i, p, &accepted, token, source)?;
                Ok(accepted)
            }
        }
    }

    /// Sender-constrained tokens: the `cnf` methods the provider enforces, against what the
    /// request presents.
    fn check_binding(&mut self, p: &Provider, accepted: &Accepted) -> Result<(), Rejection> {
        let binding = p.expectations.binding;
        let cnf = claims::lookup(&accepted.claims, "cnf");
        if let Some(mode) = binding.mtls {
            let bound = cnf
                .and_then(|c| claims::lookup(c, claims::CNF_X5T))
                .and_then(Value::as_str);
            match (bound, mode) {
                (None, claims::BindMode::Required) => {
                    return Err(Rejection::new(Reason::TokenNotBound, "x5t#S256"));
                }
                (None, claims::BindMode::Optional) => {}
                (Some(want), _) => {
                    let presented = self.certificate_digest().map(|d| b64::encode(&d));
                    if presented.as_deref() != Some(want) {
                        return Err(Rejection::new(Reason::TokenBindingMismatch, "x5t#S256"));
                    }
                }
            }
        }
        Ok(())
    }

    /// `DPoP` (RFC 9449): the scheme the token came with, its `cnf.jkt`, and the proof.
    fn check_dpop(
        &mut self,
        i: usize,
        p: &Provider,
        accepted: &Accepted,
        token: &str,
        source: usize,
    ) -> Result<(), Rejection> {
        let (Some(mode), Some(cfg)) = (p.expectations.binding.dpop, &p.dpop) else {
            return Ok(());
        };
        let jkt = claims::lookup(&accepted.claims, "cnf")
            .and_then(|c| claims::lookup(c, claims::CNF_JKT))
            .and_then(Value::as_str);
        // A DPoP-bound session cookie is presented the DPoP way by nature: with a proof.
        let dpop_scheme = matches!(p.kind, Kind::Session(_))
            || matches!(
                p.sources.get(source),
                Some(Source::Header { prefix: Some(pre), .. }) if pre == crate::policy::DPOP_SCHEME
            );
        let jkt = match (dpop_scheme, jkt, mode) {
            // RFC 9449 7.2: a bound token presented as a bearer token is refused.
            (false, Some(_), _) => {
                return Err(Rejection::new(
                    Reason::TokenBindingMismatch,
                    "dpop token as bearer",
                ))
            }
            (false, None, claims::BindMode::Optional) => return Ok(()),
            (false, None, claims::BindMode::Required) | (true, None, _) => {
                return Err(Rejection::new(Reason::TokenNotBound, "dpop"))
            }
            (true, Some(jkt), _) => jkt,
        };
        let fail = |e: crate::dpop::DpopError| {
            let reason = match e {
                crate::dpop::DpopError::UseNonce => Reason::DpopNonceRequired,
                crate::dpop::DpopError::BindingMismatch => Reason::TokenBindingMismatch,
                crate::dpop::DpopError::Replayed => Reason::TokenReplayed,
                _ => Reason::DpopProofInvalid,
            };
            Rejection::new(reason, e.code())
        };
        let proof = crate::dpop::single_proof(
            self.req
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("dpop"))
                .map(|(_, v)| *v),
        )
        .map_err(fail)?;
        let origin = self
            .policy
            .public_origin
            .as_deref()
            .ok_or(Rejection::new(Reason::ConfigInvalid, "public_origin"))?;
        let htu = crate::context::public_url(origin, self.req.path);
        let now = self.req.now;
        let method = self.req.method;
        let proof = match self.cache.as_deref_mut() {
            Some(c) => crate::dpop::verify_proof_cached(
                proof,
                method,
                &htu,
                Some(token),
                now,
                cfg,
                &mut c.proof_keys,
            ),
            None => crate::dpop::verify_proof(proof, method, &htu, Some(token), now, cfg),
        }
        .map_err(fail)?;
        crate::dpop::check_binding(jkt, &proof).map_err(fail)?;
        if let Some(slot) = self.proofs.get_mut(i) {
            *slot = Some(ReplayClaim {
                key: crate::replay::replay_key(&proof.jkt, &proof.jti),
                issued_at: proof.iat,
                expires_at: proof
                    .iat
                    .saturating_add(cfg.max_age_seconds)
                    .saturating_add(cfg.max_future_seconds),
                kind: ReplayKind::DpopProof,
            });
        }
        Ok(())
    }

    /// The SHA-256 of the client certificate: from the trusted TLS terminator's header when
    /// the policy names one and the peer is trusted, else from the connection.
    fn certificate_digest(&self) -> Option<[u8; 32]> {
        let trusted =
            crate::context::peer_trusted(self.req.client_addr, &self.policy.trusted_proxies);
        match (&self.policy.client_certificate_header, trusted) {
            (Some((name, format)), true) => {
                let mut values = self
                    .req
                    .headers
                    .iter()
                    .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| *v);
                let (Some(v), None) = (values.next(), values.next()) else {
                    return None;
                };
                match format {
                    CertHeaderFormat::Sha256Hex => crate::context::sha256_from_hex(v),
                    CertHeaderFormat::Sha256Base64url => b64::decode(v.trim())
                        .ok()
                        .and_then(|d| <[u8; 32]>::try_from(d.as_slice()).ok()),
                    CertHeaderFormat::Xfcc => crate::context::xfcc_hash(v),
                }
            }
            _ => self
                .req
                .peer_certificate
                .and_then(crate::context::sha256_from_hex),
        }
    }

    fn token_fingerprint(&self, i: usize) -> Option<String> {
        match self.found.get(i) {
            Some(Some(Found::One { token, .. })) => Some(fingerprint(token)),
            _ => None,
        }
    }

    fn provider(&mut self, i: usize) -> Outcome {
        match self.found(i) {
            Found::Missing => {
                let missing = match self.policy.providers.get(i).map(|p| &p.kind) {
                    Some(Kind::Jwt) | None => Reason::TokenMissing,
                    Some(_) => Reason::CookieMissing,
                };
                Outcome::Deny(missing.into(), Some(i))
            }
            Found::Ambiguous => Outcome::Deny(Reason::TokenAmbiguous.into(), Some(i)),
            Found::One { token, source } => {
                if self.verified.get(i).is_some_and(Option::is_none) {
                    let result = self.verify(i, &token, source);
                    if let Some(slot) = self.verified.get_mut(i) {
                        *slot = Some(result);
                    }
                }
                match self.verified.get(i) {
                    Some(Some(Ok(_))) => Outcome::Allow(alloc::vec![i]),
                    Some(Some(Err(r))) => Outcome::Deny(r.clone(), Some(i)),
                    _ => Outcome::Deny(Reason::ConfigInvalid.into(), Some(i)),
                }
            }
        }
    }

    fn eval(&mut self, r: &Requirement, scope: &[usize]) -> Outcome {
        match r {
            Requirement::Provider(i) => self.provider(*i),
            Requirement::All(list) => {
                let mut all = Vec::new();
                for child in list {
                    match self.eval(child, scope) {
                        Outcome::Allow(ps) => {
                            for p in ps {
                                if !all.contains(&p) {
                                    all.push(p);
                                }
                            }
                        }
                        deny @ Outcome::Deny(..) => return deny,
                    }
                }
                Outcome::Allow(all)
            }
            Requirement::Any(list) => {
                // Token-checking alternatives first, so claims are forwarded when one holds.
                let mut best: Option<(Rejection, Option<usize>)> = None;
                let ordered = list
                    .iter()
                    .filter(|c| !is_allow(c))
                    .chain(list.iter().filter(|c| is_allow(c)));
                for child in ordered {
                    match self.eval(child, scope) {
                        allow @ Outcome::Allow(_) => return allow,
                        Outcome::Deny(rej, p) => {
                            if best
                                .as_ref()
                                .is_none_or(|(b, _)| rank(rej.reason) > rank(b.reason))
                            {
                                best = Some((rej, p));
                            }
                        }
                    }
                }
                let (rej, p) = best.unwrap_or((Reason::TokenMissing.into(), None));
                Outcome::Deny(rej, p)
            }
            Requirement::AllowMissing => {
                if scope
                    .iter()
                    .all(|i| matches!(self.found(*i), Found::Missing))
                {
                    Outcome::Allow(Vec::new())
                } else {
                    Outcome::Deny(Reason::TokenMissing.into(), None)
                }
            }
            Requirement::AllowMissingOrFailed => Outcome::Allow(Vec::new()),
        }
    }
}

fn is_allow(r: &Requirement) -> bool {
    matches!(
        r,
        Requirement::AllowMissing | Requirement::AllowMissingOrFailed
    )
}

/// The providers a requirement names (all of the policy's when it names none).
fn scope_of(r: &Requirement, n: usize) -> Vec<usize> {
    fn walk(r: &Requirement, out: &mut Vec<usize>) {
        match r {
            Requirement::Provider(i) => {
                if !out.contains(i) {
                    out.push(*i);
                }
            }
            Requirement::Any(l) | Requirement::All(l) => l.iter().for_each(|c| walk(c, out)),
            Requirement::AllowMissing | Requirement::AllowMissingOrFailed => {}
        }
    }
    let mut out = Vec::new();
    walk(r, &mut out);
    if out.is_empty() {
        out = (0..n).collect();
    }
    out
}

/// Finds this provider's token among its sources: none, exactly one, or ambiguous.
fn extract(p: &Provider, req: &Request<'_>, target: &Target<'_>) -> Found {
    let url_params: &[&str] = match &p.kind {
        Kind::SignedUrl(credential::Scheme::Google(_)) => &credential::GOOGLE_PARAMS,
        Kind::SignedUrl(credential::Scheme::CloudFront(_)) => &credential::CLOUDFRONT_PARAMS,
        _ => &[],
    };
    if !url_params.is_empty() {
        // The credential is the URL itself; it is present when the query has any of the
        // scheme's parameters (the verifier then demands all of them, in place).
        let present = target.query.is_some_and(|q| {
            q.split('&').any(|pair| {
                let name = pair.split_once('=').map_or(pair, |(n, _)| n);
                url_params.contains(&name)
            })
        });
        return if present {
            Found::One {
                token: String::from(req.path),
                source: 0,
            }
        } else {
            Found::Missing
        };
    }
    if let Kind::SignedCookie(credential::Scheme::CloudFront(_)) = &p.kind {
        // Several cookies make one credential; each may appear once.
        let mut values: [Option<String>; 5] = Default::default();
        for (slot, name) in values.iter_mut().zip(credential::CLOUDFRONT_COOKIES) {
            let mut all = cookie_values(req, name);
            if all.len() > 1 {
                return Found::Ambiguous;
            }
            *slot = all.pop();
        }
        if values.iter().all(Option::is_none) {
            return Found::Missing;
        }
        return Found::One {
            token: credential::cloudfront_cookie_credential(&values),
            source: 0,
        };
    }
    let mut found: Option<(String, usize)> = None;
    let mut count = 0usize;
    let mut note = |token: String, source: usize| {
        count += 1;
        if found.is_none() {
            found = Some((token, source));
        }
    };
    // An Akamai token may hold commas (in `data=` or `id=`, which its signer leaves unescaped
    // unless `escape_early`); a JWT never does.
    let commas_in_tokens = matches!(
        &p.kind,
        Kind::SignedCookie(credential::Scheme::Akamai(_))
            | Kind::SignedUrl(credential::Scheme::Akamai(_))
    );
    for (si, source) in p.sources.iter().enumerate() {
        match source {
            Source::Header { name, prefix } => {
                for (_, value) in req
                    .headers
                    .iter()
                    .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                {
                    // Proxies join repeated headers with commas (Envoy does for
                    // Authorization), and a JWT never contains one: every comma-separated
                    // part of a value that carries a token is a credential of its own. An
                    // Akamai token is the whole value (one header field, one token): a joined
                    // pair is then one credential whose MAC fails, so it still fails closed.
                    let parts: Vec<&str> = value
                        .split(|c| c == ',' && !commas_in_tokens)
                        .map(|p| p.trim_matches([' ', '\t']))
                        .filter(|p| !p.is_empty())
                        .collect();
                    let strip = |part: &str| -> Option<String> {
                        let rest = match prefix {
                            None => Some(part),
                            Some(pre) => part
                                .get(..pre.len())
                                .filter(|head| head.eq_ignore_ascii_case(pre))
                                .and_then(|_| part.get(pre.len()..)),
                        };
                        rest.map(|t| String::from(t.trim_start_matches(' ')))
                    };
                    if parts.iter().any(|p| strip(p).is_some()) {
                        for part in parts {
                            note(strip(part).unwrap_or_default(), si);
                        }
                    }
                }
            }
            Source::Param(name) => {
                for v in path::query_values(target.query, name) {
                    note(v, si);
                }
            }
            Source::Cookie(name) => {
                for v in cookie_values(req, name) {
                    note(v, si);
                }
            }
        }
    }
    match (count, found) {
        (1, Some((token, source))) => Found::One { token, source },
        (0, _) | (_, None) => Found::Missing,
        _ => Found::Ambiguous,
    }
}

/// Every value of cookie `name` in the request, in order, across every `Cookie` header: pairs
/// split at `;`, surrounding spaces and tabs trimmed, names compared exactly, a value in
/// double quotes unquoted.
fn cookie_values(req: &Request<'_>, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (_, value) in req
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("cookie"))
    {
        for pair in value.split(';') {
            let pair = pair.trim_matches([' ', '\t']);
            if let Some((k, v)) = pair.split_once('=') {
                if k == name {
                    let v = v
                        .strip_prefix('"')
                        .and_then(|v| v.strip_suffix('"'))
                        .unwrap_or(v);
                    out.push(String::from(v));
                }
            }
        }
    }
    out
}

/// Renders a claim value for a request header, or `None` when it cannot be carried safely:
/// strings must be visible ASCII, space or tab, with no space or tab at either end (HTTP
/// stacks trim those, so the upstream would see another value than the claim — and hosts
/// would disagree); arrays and objects become ASCII-only JSON; anything longer than
/// [`MAX_HEADER_VALUE`] is dropped.
pub fn header_value(v: &Value) -> Option<String> {
    let s = match v {
        Value::Null => return None,
        Value::Bool(b) => String::from(if *b { "true" } else { "false" }),
        Value::Number(n) => String::from(n.as_str()),
        Value::String(s) => {
            if !s.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
                || s.starts_with([' ', '\t'])
                || s.ends_with([' ', '\t'])
            {
                return None;
            }
            s.clone()
        }
        Value::Array(_) | Value::Object(_) => ascii_json(&v.to_json()),
    };
    (s.len() <= MAX_HEADER_VALUE).then_some(s)
}

fn ascii_json(s: &str) -> String {
    use core::fmt::Write as _;
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        }
    }
    out
}

fn deny(
    policy: &Policy,
    rej: &Rejection,
    rule: Option<usize>,
    provider: Option<String>,
) -> Decision {
    let kind = provider
        .as_deref()
        .and_then(|n| policy.providers.iter().find(|p| p.name == n))
        .map_or(crate::reason::CredentialKind::Bearer, |p| {
            p.kind.credential_kind()
        });
    let prov = provider
        .as_deref()
        .and_then(|n| policy.providers.iter().find(|p| p.name == n));
    let d = rej.reason.disposition_for(kind);
    let mut response_headers = Vec::new();
    match prov.and_then(|p| p.expectations.binding.dpop.zip(p.dpop.as_ref())) {
        // RFC 9449 7.1: a `DPoP` challenge (with `algs`), and a `Bearer` one too when bearer
        // tokens are also accepted; `DPoP` errors go in the `DPoP` challenge only.
        Some((mode, cfg)) if d.status == 401 || d.status == 403 || d.status == 400 => {
            let dpop_error = match rej.reason {
                // A replayed one-time token is the token's fault, not the proof's.
                Reason::TokenReplayed if rej.detail == ONE_TIME_TOKEN_REPLAYED => None,
                Reason::DpopProofInvalid | Reason::TokenReplayed => Some("invalid_dpop_proof"),
                Reason::DpopNonceRequired => Some("use_dpop_nonce"),
                _ => None,
            };
            let bearer_error = match d.challenge {
                crate::reason::Challenge::Bearer(e) => e,
                // A session cookie's denials carry no Bearer error; a proof by another key
                // than the one the cookie is bound to is still an unusable proof.
                crate::reason::Challenge::None => {
                    (rej.reason == Reason::TokenBindingMismatch).then_some("invalid_dpop_proof")
                }
            };
            if mode == crate::claims::BindMode::Optional {
                let e = if dpop_error.is_some() {
                    None
                } else {
                    bearer_error
                };
                if let Some(c) = crate::reason::Challenge::Bearer(e).render(&policy.realm) {
                    response_headers.push((String::from("www-authenticate"), c));
                }
            }
            if let Some(mut c) = crate::reason::Challenge::Bearer(None).render(&policy.realm) {
                c.replace_range(..6, "DPoP");
                let algs: Vec<&str> = cfg.algorithms.iter().map(crate::jwa::Alg::name).collect();
                c.push_str(", algs=\"");
                c.push_str(&algs.join(" "));
                c.push('"');
                if let Some(e) = dpop_error.or(bearer_error) {
                    c.push_str(", error=\"");
                    c.push_str(e);
                    c.push('"');
                }
                response_headers.push((String::from("www-authenticate"), c));
            }
        }
        _ => {
            if let Some(c) = d.challenge.render(&policy.realm) {
                response_headers.push((String::from("www-authenticate"), c));
            }
        }
    }
    response_headers.push((String::from("cache-control"), String::from("no-store")));
    response_headers.push((String::from("content-type"), String::from("text/plain")));
    Decision {
        allow: false,
        status: d.status,
        reason: Some(rej.reason),
        detail: rej.detail,
        rule,
        provider,
        set_headers: Vec::new(),
        remove_headers: policy.output_headers.clone(),
        response_headers,
        body: String::from(rej.reason.code()),
        accepted: None,
        dropped_headers: Vec::new(),
        fingerprint: None,
        reported: false,
        replay: Vec::new(),
    }
}

/// The replay claim of a token on a `one_time_jti` rule: its `jti` and `iat` (both required)
/// under its issuer, remembered until its `exp` (at most a day after now).
fn one_time(acc: &Accepted, now: i64) -> Result<ReplayClaim, Rejection> {
    let obj = acc
        .claims
        .as_object()
        .ok_or(Rejection::new(Reason::ClaimsMalformed, "claims"))?;
    let jti = obj
        .get_str("jti")
        .filter(|j| !j.is_empty())
        .ok_or(Rejection::new(Reason::ClaimMissing, "jti"))?;
    let iss = obj.get_str("iss").unwrap_or("");
    let iat = match obj.get("iat") {
        Some(Value::Number(n)) => n.floor_and_fraction().map(|(f, _)| f),
        _ => None,
    }
    .ok_or(Rejection::new(Reason::ClaimMissing, "iat"))?;
    let exp = match obj.get("exp") {
        Some(Value::Number(n)) => n.floor_and_fraction().map(|(f, _)| f.saturating_add(1)),
        _ => None,
    };
    // Without `exp` the token is remembered for the longest the stores keep anything.
    let expires_at = exp
        .unwrap_or(now.saturating_add(86_400))
        .max(now)
        .min(now.saturating_add(86_400));
    Ok(ReplayClaim {
        key: crate::replay::replay_key(iss, jti),
        issued_at: iat,
        expires_at,
        kind: ReplayKind::OneTimeToken,
    })
}

/// The detail of a replayed one-time token's denial (a replayed proof's is `proof jti`).
const ONE_TIME_TOKEN_REPLAYED: &str = "token jti";

/// The denial for an allowed decision one of whose [`Decision::replay`] claims, of kind
/// `refused`, the host's replay store refused (seen before, or the store is full: both fail
/// closed). Same rule and provider; `token_replayed`, with the provider's challenge
/// (`invalid_dpop_proof` for a proof, the token's error for a one-time token). On a
/// report-mode rule the replay is reported like any other denial: the request passes with
/// nothing forwarded.
///
/// Hosts record the claims in order and stop at the first refused: proofs come before
/// one-time tokens, so a replayed proof never uses up a one-time token.
pub fn replay_rejected(policy: &Policy, allowed: &Decision, refused: ReplayKind) -> Decision {
    let detail = match refused {
        ReplayKind::DpopProof => "proof jti",
        ReplayKind::OneTimeToken => ONE_TIME_TOKEN_REPLAYED,
    };
    let mut d = deny(
        policy,
        &Rejection::new(Reason::TokenReplayed, detail),
        allowed.rule,
        allowed.provider.clone(),
    );
    d.fingerprint.clone_from(&allowed.fingerprint);
    match allowed.rule {
        Some(i) if policy.rules.get(i).is_some_and(|r| r.mode == Mode::Report) => {
            reported(policy, i, d)
        }
        _ => d,
    }
}

/// Records `allowed`'s [`Decision::replay`] claims with `record` (the host's store: true when
/// the use was recorded, false when it was seen before or could not be), in order and stopping
/// at the first refused, and returns the decision to carry out: `allowed` itself, or
/// [`replay_rejected`] for the refused claim's kind. A denial is returned as it is.
pub fn record_replays(
    policy: &Policy,
    allowed: Decision,
    mut record: impl FnMut(&ReplayClaim) -> bool,
) -> Decision {
    if !allowed.allow {
        return allowed;
    }
    match allowed.replay.iter().find(|c| !record(c)).map(|c| c.kind) {
        Some(kind) => replay_rejected(policy, &allowed, kind),
        None => allowed,
    }
}

/// Shadow mode: a report-mode rule's denial `denied` becomes an allowed decision that
/// records it, with nothing forwarded.
fn reported(policy: &Policy, rule_index: usize, denied: Decision) -> Decision {
    let mut r = allow_without_token(policy, rule_index);
    r.reason = denied.reason;
    r.detail = denied.detail;
    r.provider = denied.provider;
    r.fingerprint = denied.fingerprint;
    r.reported = true;
    r
}

/// Decides one request.
///
/// Steps: normalise the path (refusing traversal and encoded separators) -> first rule whose
/// path and method match -> find each provider's token (a provider seeing more than one is
/// ambiguous) -> evaluate the requirement, verifying each token at most once -> edits.
pub fn decide(policy: &Policy, req: &Request<'_>) -> Decision {
    decide_with_cache(policy, req, None)
}

/// As [`decide`], answering repeated tokens' signature checks from `cache` (claims, rules and
/// time are always evaluated afresh).
pub fn decide_with_cache(
    policy: &Policy,
    req: &Request<'_>,
    cache: Option<&mut TokenCache>,
) -> Decision {
    let mut d = decide_inner(policy, req, cache);
    strip_untrusted_certificate_header(policy, req, &mut d);
    d
}

fn decide_inner(policy: &Policy, req: &Request<'_>, cache: Option<&mut TokenCache>) -> Decision {
    let target = match path::normalize(req.path) {
        Ok(t) => t,
        Err(rej) => return deny(policy, &rej, None, None),
    };
    let method = req.method;
    let Some((rule_index, rule)) = policy.rules.iter().enumerate().find(|(_, r)| {
        let path_ok = match &r.path {
            PathMatch::Prefix(p) => target.path.starts_with(p.as_str()),
            PathMatch::Exact(p) => target.path == *p,
        };
        path_ok
            && (r.methods.is_empty() || r.methods.iter().any(|m| m.eq_ignore_ascii_case(method)))
            && r.route
                .as_deref()
                .is_none_or(|want| req.route == Some(want))
    }) else {
        // INVARIANT: policies end with a catch-all, so this is unreachable; fail closed anyway.
        return deny(policy, &Reason::ConfigInvalid.into(), None, None);
    };
    if policy.bypass_cors_preflight
        && method.eq_ignore_ascii_case("OPTIONS")
        && has_header(req, "origin")
        && has_header(req, "access-control-request-method")
    {
        let mut d = allow_without_token(policy, rule_index);
        d.detail = "cors preflight";
        return d;
    }
    let d = evaluate(policy, req, &target, rule_index, rule, cache);
    if rule.mode == Mode::Report && !d.allow {
        return reported(policy, rule_index, d);
    }
    d
}

/// Finds and verifies provider `index`'s credential in `req` alone, as [`decide`] would for a
/// rule requiring that provider (for tools: the CLI's `cookie verify`).
///
/// # Errors
/// `path_invalid` for an unacceptable path; `token_missing` / `cookie_missing`,
/// `token_ambiguous`, or the verification's reason.
pub fn verify_provider(
    policy: &Policy,
    index: usize,
    req: &Request<'_>,
) -> Result<Rc<Accepted>, Rejection> {
    let target = path::normalize(req.path)?;
    let mut ev = Eval::new(policy, req, &target, None);
    match ev.provider(index) {
        Outcome::Deny(rej, _) => Err(rej),
        Outcome::Allow(_) => match ev.verified.get(index) {
            Some(Some(Ok(a))) => Ok(Rc::clone(a)),
            _ => Err(Reason::ConfigInvalid.into()),
        },
    }
}

/// The client address [`decide`] judges `req` by (see [`crate::context::client_ip`]).
pub fn client_ip(policy: &Policy, req: &Request<'_>) -> Option<core::net::IpAddr> {
    crate::context::client_ip(req.client_addr, req.headers, &policy.trusted_proxies)
}

/// A forwarded client-certificate header is only believed from a trusted peer; from any other
/// it is removed before the request goes upstream (which might believe it).
fn strip_untrusted_certificate_header(policy: &Policy, req: &Request<'_>, d: &mut Decision) {
    if let Some((name, _)) = &policy.client_certificate_header {
        if !crate::context::peer_trusted(req.client_addr, &policy.trusted_proxies)
            && has_header(req, name)
            && !d.remove_headers.contains(name)
        {
            d.remove_headers.push(name.clone());
        }
    }
}

fn has_header(req: &Request<'_>, name: &str) -> bool {
    req.headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case(name))
}

fn allow_without_token(policy: &Policy, rule_index: usize) -> Decision {
    Decision {
        allow: true,
        status: 200,
        reason: None,
        detail: "",
        rule: Some(rule_index),
        provider: None,
        set_headers: Vec::new(),
        remove_headers: policy.output_headers.clone(),
        response_headers: Vec::new(),
        body: String::new(),
        accepted: None,
        dropped_headers: Vec::new(),
        fingerprint: None,
        reported: false,
        replay: Vec::new(),
    }
}

fn evaluate(
    policy: &Policy,
    req: &Request<'_>,
    target: &Target<'_>,
    rule_index: usize,
    rule: &Rule,
    cache: Option<&mut TokenCache>,
) -> Decision {
    let n = policy.providers.len();
    let mut ev = Eval::new(policy, req, target, cache);
    // Standalone allow_missing / allow_missing_or_failed verify every provider's token.
    let requirement = match &rule.requires {
        r @ (Requirement::AllowMissing | Requirement::AllowMissingOrFailed) => {
            let mut list: Vec<Requirement> = (0..n).map(Requirement::Provider).collect();
            list.push(r.clone());
            Requirement::Any(list)
        }
        r => r.clone(),
    };
    let scope = scope_of(&requirement, n);
    // A rule that never denies (allow_missing_or_failed at its top) tolerates ambiguity but
    // forwards nothing from the ambiguous provider; every other rule answers 400.
    let lenient = match &requirement {
        Requirement::Any(list) => list.contains(&Requirement::AllowMissingOrFailed),
        r => *r == Requirement::AllowMissingOrFailed,
    };
    let ambiguous = scope
        .iter()
        .copied()
        .find(|i| matches!(ev.found(*i), Found::Ambiguous));
    if let (Some(i), false) = (ambiguous, lenient) {
        let name = policy.providers.get(i).map(|p| p.name.clone());
        return deny(
            policy,
            &Reason::TokenAmbiguous.into(),
            Some(rule_index),
            name,
        );
    }
    match ev.eval(&requirement, &scope) {
        Outcome::Deny(rej, p) => {
            let prov = p.and_then(|i| policy.providers.get(i));
            let name = prov.map(|p| p.name.clone());
            let mut d = deny(policy, &rej, Some(rule_index), name);
            d.fingerprint = p.and_then(|i| ev.token_fingerprint(i));
            // RFC 9449 9: a fresh server nonce with `use_dpop_nonce`.
            if rej.reason == Reason::DpopNonceRequired {
                if let Some(key) = prov
                    .and_then(|p| p.dpop.as_ref())
                    .and_then(|c| c.nonce.as_ref())
                {
                    d.response_headers
                        .push((String::from("dpop-nonce"), key.issue(req.now)));
                }
            }
            d
        }
        Outcome::Allow(accepted) => {
            let mut d = allow_without_token(policy, rule_index);
            for i in accepted {
                let (Some(p), Some(Some(Ok(acc))), Some(Some(Found::One { source, .. }))) =
                    (policy.providers.get(i), ev.verified.get(i), ev.found.get(i))
                else {
                    continue;
                };
                if d.provider.is_none() {
                    d.provider = Some(p.name.clone());
                    d.accepted = Some(Rc::clone(acc));
                    d.replay.extend(ev.proofs.get(i).copied().flatten());
                    if rule.one_time_jti {
                        match one_time(acc, req.now) {
                            Ok(claim) => d.replay.push(claim),
                            Err(rej) => {
                                let mut denied =
                                    deny(policy, &rej, Some(rule_index), Some(p.name.clone()));
                                denied.fingerprint = ev.token_fingerprint(i);
                                return denied;
                            }
                        }
                    }
                }
                if !p.forward {
                    if let Some(Source::Header { name, .. }) = p.sources.get(*source) {
                        if !d.remove_headers.contains(name) {
                            d.remove_headers.push(name.clone());
                        }
                    }
                }
                // The proof was for this hop; the upstream has no use for it.
                if p.dpop.is_some()
                    && has_header(req, "dpop")
                    && !d.remove_headers.iter().any(|h| h == "dpop")
                {
                    d.remove_headers.push(String::from("dpop"));
                }
                for (header, claim) in &p.claim_to_headers {
                    match claims::lookup(&acc.claims, claim).and_then(header_value) {
                        Some(v) => d.set_headers.push((header.clone(), v)),
                        None => d.dropped_headers.push(header.clone()),
                    }
                }
                if let Some(h) = &p.forward_payload_header {
                    d.set_headers.extend(
                        acc.verified
                            .as_ref()
                            .map(|v| (h.clone(), b64::encode(v.payload()))),
                    );
                }
            }
            if d.provider.is_none() {
                // Allowed without a verified token: report why a present token failed, if one did.
                let failed = ev.verified.iter().enumerate().find_map(|(i, v)| match v {
                    Some(Err(r)) => Some((i, r.clone())),
                    _ => None,
                });
                let failed = failed
                    .or_else(|| ambiguous.map(|i| (i, Rejection::from(Reason::TokenAmbiguous))));
                if let Some((i, r)) = failed {
                    d.reason = Some(r.reason);
                    d.detail = r.detail;
                    d.provider = policy.providers.get(i).map(|p| p.name.clone());
                    d.fingerprint = ev.token_fingerprint(i);
                }
            }
            d
        }
    }
}
