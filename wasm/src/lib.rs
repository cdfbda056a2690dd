//! edgeward as a wasm-bindgen module: the engine behind the npm package.
//!
//! The JS side (`wasm/npm/`) owns what a host owns — the clock, `fetch`, the optional key
//! store, the `Request`/`Response` objects — and this module owns every decision: the policy,
//! the request verdict and its header edits, the verified-token cache, and each remote key
//! set's lifecycle (the same state machine the Envoy filter runs). Results cross the boundary
//! as JSON text, so the JS glue stays a thin `JSON.parse` and no JS-object crate is linked.
//!
//! Nothing here panics on input: every value from JS is checked and every failure is a reason
//! code or a `config_invalid` error.

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
// wasm-bindgen passes optional JS strings as owned `Option<String>`; it cannot lend them.
#![allow(clippy::needless_pass_by_value)]

use std::fmt::Write as _;
use std::rc::Rc;

use edgeward::cache::TokenCache;
use edgeward::json::{write_string, Value};
use edgeward::jwks::{FetchReason, Lifecycle, Serve};
use edgeward::policy::Accepted;
use edgeward::{decide_with_cache, path, Decision, Policy, Reason, Rejection, Request};
use wasm_bindgen::prelude::*;

/// Largest key-set or discovery body accepted from a fetch.
const MAX_JWKS_BODY: usize = 256 * 1024;
/// Largest revocation bundle accepted from a fetch (the core's own cap).
const MAX_BUNDLE_BODY: usize = edgeward::revocation::MAX_BUNDLE_BYTES;
/// Extra fetches a cold provider (no key set yet) may have in flight beside the lifecycle's
/// own, so concurrent cold requests in different isolates' request contexts never wait on a
/// promise another request owns.
const MAX_COLD_JOBS: usize = 4;
/// Largest environment map accepted for `secrets_from_env`.
const MAX_ENV_JSON: usize = 64 * 1024;

/// Unix seconds from a JS number: finite values floored and clamped; anything else is 0,
/// which makes every time-bound token fail rather than pass.
#[allow(clippy::cast_possible_truncation)]
fn seconds(now: f64) -> i64 {
    if !now.is_finite() {
        return 0;
    }
    // INVARIANT: clamped into i64's exactly-representable range before the cast.
    now.floor().clamp(-9.0e15, 9.0e15) as i64
}

/// One fetch the JS host runs and reports back by id.
#[derive(Clone, Debug)]
struct Job {
    id: u32,
    /// Counted by the lifecycle (its one fetch in flight); cold extras are not.
    lifecycle: bool,
    /// This answer is the OIDC discovery document, not the key set.
    discovery: bool,
}

/// What a remote job fetches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    /// Provider `i`'s key set.
    Keys(usize),
    /// The policy's signed revocation bundle.
    Revocations,
}

impl Source {
    fn kind(self) -> &'static str {
        match self {
            Source::Keys(_) => "jwks",
            Source::Revocations => "revocation",
        }
    }

    fn max_body(self) -> usize {
        match self {
            Source::Keys(_) => MAX_JWKS_BODY,
            Source::Revocations => MAX_BUNDLE_BODY,
        }
    }
}

/// One remote source: a provider's key set or the revocation bundle.
struct Remote {
    source: Source,
    lifecycle: Lifecycle,
    /// Fetches whose answers are still wanted; any other answer is late and ignored.
    jobs: Vec<Job>,
    /// With OIDC discovery: the key set's path once found.
    jwks_path: Option<String>,
    /// Whether the set (or a bundle) was ever installed in this engine.
    loaded: bool,
}

/// The verifier: one policy, its verified-token cache and its remote key sets.
#[wasm_bindgen]
pub struct Engine {
    /// Owned, and changed in place when keys or lists arrive (never copied: the copy code
    /// alone would cost the package about 15 KB).
    policy: Policy,
    cache: Option<TokenCache>,
    remotes: Vec<Remote>,
    next_job: u32,
    /// `jti`s of `DPoP` proofs and one-time tokens seen by this isolate.
    replay: Option<edgeward::replay::ReplayCache>,
}

fn config_error(field: &str, message: &str) -> JsValue {
    let mut out = String::from("{\"code\":\"config_invalid\",\"field\":");
    write_string(field, &mut out);
    out.push_str(",\"message\":");
    write_string(message, &mut out);
    out.push('}');
    JsValue::from_str(&out)
}

/// Reads `{"NAME": "value", ...}` (string values only) for `secrets_from_env`.
fn parse_env(env_json: &str) -> Result<Vec<(String, String)>, JsValue> {
    if env_json.len() > MAX_ENV_JSON {
        return Err(config_error("env", "environment map too large"));
    }
    let limits = edgeward::json::Limits::POLICY;
    let value = edgeward::json::parse(env_json.as_bytes(), &limits)
        .map_err(|e| config_error("env", &e.to_string()))?;
    let Some(obj) = value.as_object() else {
        return Err(config_error("env", "must be an object of strings"));
    };
    let mut out = Vec::with_capacity(obj.len());
    for (k, v) in obj.iter() {
        // Non-string values (bindings such as KV namespaces) are not secrets: skipped.
        if let Some(s) = v.as_str() {
            out.push((k.to_string(), s.to_string()));
        }
    }
    Ok(out)
}

/// The claim a reason is about, for `{code, message, claim}` errors.
fn claim_of(rejection: &Rejection) -> Option<&'static str> {
    match rejection.reason {
        Reason::TokenExpired | Reason::TokenLifetimeExceeded => Some("exp"),
        Reason::TokenNotYetValid => Some("nbf"),
        Reason::TokenIssuedInFuture => Some("iat"),
        Reason::IssuerMismatch => Some("iss"),
        Reason::AudienceMismatch => Some("aud"),
        Reason::SubjectMismatch => Some("sub"),
        Reason::ScopeInsufficient => Some("scope"),
        Reason::TokenBindingUnsupported => Some("cnf"),
        Reason::ClaimInvalid | Reason::ClaimMissing => match rejection.detail {
            d @ ("exp" | "nbf" | "iat" | "iss" | "aud" | "sub" | "jti") => Some(d),
            _ => None,
        },
        _ => None,
    }
}

fn push_field(out: &mut String, name: &str) {
    if !out.ends_with('{') {
        out.push(',');
    }
    write_string(name, out);
    out.push(':');
}

fn push_opt_str(out: &mut String, name: &str, v: Option<&str>) {
    push_field(out, name);
    match v {
        Some(s) => write_string(s, out),
        None => out.push_str("null"),
    }
}

fn push_pairs(out: &mut String, name: &str, pairs: &[(String, String)]) {
    push_field(out, name);
    out.push('[');
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        write_string(k, out);
        out.push(',');
        write_string(v, out);
        out.push(']');
    }
    out.push(']');
}

fn push_strings(out: &mut String, name: &str, items: &[String]) {
    push_field(out, name);
    out.push('[');
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(s, out);
    }
    out.push(']');
}

fn push_claims(out: &mut String, claims: Option<&Value>) {
    push_field(out, "claims");
    match claims {
        Some(c) => out.push_str(&c.to_json()),
        None => out.push_str("null"),
    }
}

/// `{valid, reason, message, claim, provider, claims}` for one verification.
fn verify_json(provider: Option<&str>, result: &Result<Rc<Accepted>, Rejection>) -> String {
    let mut out = String::from("{");
    push_field(&mut out, "valid");
    out.push_str(if result.is_ok() { "true" } else { "false" });
    match result {
        Ok(a) => {
            push_opt_str(&mut out, "reason", None);
            push_opt_str(&mut out, "message", None);
            push_opt_str(&mut out, "claim", None);
            push_opt_str(&mut out, "provider", provider);
            push_claims(&mut out, Some(&a.claims));
        }
        Err(rej) => {
            push_opt_str(&mut out, "reason", Some(rej.reason.code()));
            push_opt_str(&mut out, "message", Some(rej.detail));
            push_opt_str(&mut out, "claim", claim_of(rej));
            push_opt_str(&mut out, "provider", provider);
            push_claims(&mut out, None);
        }
    }
    out.push('}');
    out
}

/// The decision as the JS binding shows it; `path` is the normalised target that was judged
/// (what a forwarding host sends upstream), absent when the path itself was refused.
fn decision_json(d: &Decision, judged: Option<&str>) -> String {
    let mut out = String::from("{");
    push_field(&mut out, "allow");
    out.push_str(if d.allow { "true" } else { "false" });
    push_field(&mut out, "status");
    let _ = write!(out, "{}", d.status);
    push_opt_str(&mut out, "reason", d.reason.map(Reason::code));
    push_opt_str(&mut out, "detail", Some(d.detail));
    push_field(&mut out, "rule");
    match d.rule {
        Some(r) => {
            let _ = write!(out, "{r}");
        }
        None => out.push_str("null"),
    }
    push_opt_str(&mut out, "provider", d.provider.as_deref());
    push_field(&mut out, "reported");
    out.push_str(if d.reported { "true" } else { "false" });
    push_pairs(&mut out, "setHeaders", &d.set_headers);
    push_strings(&mut out, "removeHeaders", &d.remove_headers);
    push_pairs(&mut out, "responseHeaders", &d.response_headers);
    push_opt_str(&mut out, "body", Some(&d.body));
    push_strings(&mut out, "droppedHeaders", &d.dropped_headers);
    push_opt_str(&mut out, "fingerprint", d.fingerprint.as_deref());
    push_opt_str(&mut out, "path", judged);
    push_claims(&mut out, d.claims());
    out.push('}');
    out
}

/// A job for the JS host; `remote` is the source's index in [`Engine::status`].
struct JobOut<'a> {
    remote: usize,
    source: Source,
    provider: Option<&'a str>,
    url: &'a str,
    timeout: i64,
}

fn job_json(out: &mut String, job: &Job, o: &JobOut<'_>, reason: &str) {
    out.push('{');
    push_field(out, "id");
    let _ = write!(out, "{}", job.id);
    push_field(out, "remote");
    let _ = write!(out, "{}", o.remote);
    push_opt_str(out, "kind", Some(o.source.kind()));
    push_opt_str(out, "provider", o.provider);
    push_opt_str(out, "url", Some(o.url));
    push_field(out, "discovery");
    out.push_str(if job.discovery { "true" } else { "false" });
    push_opt_str(out, "reason", Some(reason));
    push_field(out, "timeoutMs");
    let _ = write!(out, "{}", o.timeout.saturating_mul(1000));
    push_field(out, "maxBytes");
    let _ = write!(out, "{}", o.source.max_body());
    out.push('}');
}

fn reason_word(r: FetchReason) -> &'static str {
    match r {
        FetchReason::Initial => "initial",
        FetchReason::Refresh => "refresh",
        FetchReason::Retry => "retry",
        FetchReason::UnknownKid => "unknown_kid",
    }
}

#[wasm_bindgen]
impl Engine {
    /// Compiles a policy (the same JSON the CLI and the Envoy filter read). `env_json` is an
    /// object of strings that `secrets_from_env` entries resolve against.
    ///
    /// # Errors
    /// A JSON text `{"code":"config_invalid","field","message"}` naming the field.
    #[wasm_bindgen(constructor)]
    pub fn new(policy_json: &str, env_json: Option<String>) -> Result<Engine, JsValue> {
        let env = match env_json.as_deref() {
            Some(e) => parse_env(e)?,
            None => Vec::new(),
        };
        let lookup = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let policy = Policy::from_json_with_env(policy_json.as_bytes(), &lookup)
            .map_err(|e| config_error(&e.field, &e.message))?;
        let remote = |source, r: &edgeward::policy::RemoteJwks| Remote {
            source,
            lifecycle: Lifecycle::new(r.lifecycle),
            jobs: Vec::new(),
            jwks_path: None,
            loaded: false,
        };
        let mut remotes: Vec<Remote> = policy
            .providers
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.remote.as_ref().map(|r| remote(Source::Keys(i), r)))
            .collect();
        if let Some(r) = policy.revocation.as_ref().and_then(|r| r.remote.as_ref()) {
            remotes.push(remote(Source::Revocations, r));
        }
        let cache =
            (policy.token_cache.max_entries > 0).then(|| TokenCache::new(policy.token_cache));
        Ok(Engine {
            policy,
            cache,
            remotes,
            next_job: 0,
            replay: None,
        })
    }

    /// Verifies one token at `now` (Unix seconds) for `provider`, or for the provider its
    /// unverified `iss` routes to. Returns `{valid, reason, message, claim, provider, claims}`
    /// as JSON text.
    pub fn verify(&mut self, token: &str, now: f64, provider: Option<String>) -> String {
        let now = seconds(now);
        let policy = &self.policy;
        let index = match provider.as_deref() {
            Some(name) => {
                let Some(i) = policy.provider_index(name) else {
                    let rej = Rejection::new(Reason::ConfigInvalid, "unknown provider");
                    return verify_json(None, &Err(rej));
                };
                i
            }
            None => match policy.route(token) {
                Ok(i) => i,
                Err(rej) => return verify_json(None, &Err(rej)),
            },
        };
        let Some(p) = policy.providers.get(index) else {
            return verify_json(None, &Err(Reason::ConfigInvalid.into()));
        };
        let result = match self.cache.as_mut() {
            Some(c) => p.verify_jwt_cached(token, now, policy.generation, c),
            None => p.verify_jwt(token, now).map(Rc::new),
        }
        .and_then(|a| p.check_standalone(&a).map(|()| a))
        .and_then(|a| policy.check_revoked(index, &a.claims, now).map(|()| a));
        let out = verify_json(Some(&p.name), &result);
        if matches!(&result, Err(r) if r.reason == Reason::KeyNotFound) {
            self.unknown_kid(index, now);
        }
        out
    }

    /// The session provider the policy pairs with provider `provider` on rule `rule` (see
    /// [`Policy::minting_session`]): the one whose cookie a request that `provider`'s token
    /// allowed there earns, or `None`.
    #[wasm_bindgen(js_name = sessionFor)]
    pub fn session_for(&self, rule: u32, provider: &str) -> Option<String> {
        let accepted = self.policy.provider_index(provider)?;
        let s = self
            .policy
            .minting_session(usize::try_from(rule).ok()?, accepted)?;
        self.policy.providers.get(s).map(|p| p.name.clone())
    }

    /// Mints a session cookie with session provider `provider` from identity-provider claims
    /// (JSON text). Returns `{setCookie, value, expires}` or `{error, message}` as JSON text.
    #[wasm_bindgen(js_name = mintSession)]
    pub fn mint_session(
        &self,
        provider: &str,
        claims: &str,
        now: f64,
        client_addr: Option<String>,
    ) -> String {
        let fail = |rej: &Rejection| {
            let mut out = String::from("{\"error\":");
            edgeward::json::write_string(rej.reason.code(), &mut out);
            out.push_str(",\"message\":");
            edgeward::json::write_string(rej.detail, &mut out);
            out.push('}');
            out
        };
        let Some(p) = self
            .policy
            .provider_index(provider)
            .and_then(|i| self.policy.providers.get(i))
        else {
            return fail(&Rejection::new(Reason::ConfigInvalid, "unknown provider"));
        };
        let Ok(claims) = edgeward::json::parse(claims.as_bytes(), &edgeward::json::Limits::CLAIMS)
        else {
            return fail(&Rejection::new(Reason::ClaimsMalformed, "claims"));
        };
        let ip = client_addr
            .as_deref()
            .and_then(edgeward::context::parse_addr);
        match edgeward::credential::mint(p, &claims, seconds(now), ip) {
            Ok(m) => {
                let mut out = String::from("{\"setCookie\":");
                edgeward::json::write_string(&m.set_cookie, &mut out);
                out.push_str(",\"value\":");
                edgeward::json::write_string(&m.value, &mut out);
                let _ = write!(out, ",\"expires\":{}}}", m.expires);
                out
            }
            Err(rej) => fail(&rej),
        }
    }

    /// Decides one request. `headers` is every header as `name NUL value NUL ...`, repeats
    /// included (fetch forbids NUL in names and values). Returns the decision as JSON text.
    #[allow(clippy::too_many_arguments)] // a flat signature is the cheapest call from JS
    pub fn decide(
        &mut self,
        method: &str,
        target: &str,
        headers: &str,
        now: f64,
        client_addr: Option<String>,
        peer_certificate: Option<String>,
        route: Option<String>,
    ) -> String {
        let now = seconds(now);
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        let mut parts = headers.split('\0');
        while let (Some(n), Some(v)) = (parts.next(), parts.next()) {
            pairs.push((n, v));
        }
        let request = Request {
            method,
            path: target,
            headers: &pairs,
            client_addr: client_addr.as_deref(),
            peer_certificate: peer_certificate.as_deref(),
            route: route.as_deref(),
            now,
        };
        let policy = &self.policy;
        let d = decide_with_cache(policy, &request, self.cache.as_mut());
        // DPoP proofs' and one-time tokens' jti: remembered in this isolate only (best effort
        // at the edge, where isolates share nothing); a replay or a full store denies.
        let replay = &mut self.replay;
        let d = edgeward::decision::record_replays(policy, d, |c| {
            replay
                .get_or_insert_with(|| edgeward::replay::ReplayCache::new(100_000, 2 * 86_400))
                .insert_if_absent(c.key, c.expires_at, now)
                .is_ok()
        });
        if d.reason == Some(Reason::KeyNotFound) {
            if let Some(i) = d.provider.as_deref().and_then(|n| policy.provider_index(n)) {
                self.unknown_kid(i, now);
            }
        }
        let judged = path::normalize(target).ok().map(|t| match t.query {
            Some(q) => format!("{}?{q}", t.path),
            None => t.path,
        });
        decision_json(&d, judged.as_deref())
    }

    /// Fetches due now, as a JSON array of `{id, remote, kind, provider, url, discovery,
    /// reason, timeoutMs, maxBytes}` (`kind` is `jwks` or `revocation`; `remote` indexes
    /// [`Engine::status`]). Also retires key sets stale beyond `max_stale_seconds`. Call it
    /// before deciding; report each job with [`Engine::fetched`] or [`Engine::fetch_failed`].
    pub fn poll(&mut self, now: f64) -> String {
        let now = seconds(now);
        let mut out = String::from("[");
        for i in 0..self.remotes.len() {
            let Some(r) = self.remotes.get_mut(i) else {
                continue;
            };
            if let Source::Keys(pi) = r.source {
                let available = self.policy.providers.get(pi).is_some_and(|p| p.available);
                if available && r.lifecycle.serve(now) == Serve::Unavailable {
                    self.policy.set_keys(pi, None);
                }
            }
            let failures = r.lifecycle.failures();
            let due = r.lifecycle.poll(now);
            if r.lifecycle.failures() > failures {
                // The lifecycle timed the fetch in flight out: its answer is no longer wanted.
                r.jobs.retain(|j| !j.lifecycle);
            }
            if let Some(reason) = due {
                r.jobs.retain(|j| !j.lifecycle);
                if let Some((job, o)) = self.start_job(i, true) {
                    if out.len() > 1 {
                        out.push(',');
                    }
                    job_json(&mut out, &job, &o.borrowed(), reason_word(reason));
                }
            }
        }
        out.push(']');
        out
    }

    /// One more fetch for remote source `remote` (its index in [`Engine::status`]) that has
    /// never loaded while the lifecycle's own fetch is owned by another request (at most a few
    /// at once): a job as JSON text, or `null`.
    #[wasm_bindgen(js_name = coldJob)]
    pub fn cold_job(&mut self, remote: u32) -> String {
        let Ok(ri) = usize::try_from(remote) else {
            return "null".into();
        };
        // Only while the lifecycle's own fetch is running: during a failure backoff, requests
        // get `jwks_unavailable` / `revocation_unavailable` at once instead of each probing a
        // down server.
        let cold = self.remotes.get(ri).is_some_and(|r| {
            !r.loaded
                && r.jobs.iter().any(|j| j.lifecycle)
                && r.jobs.iter().filter(|j| !j.lifecycle).count() < MAX_COLD_JOBS
        });
        if !cold {
            return "null".into();
        }
        let mut out = String::new();
        if let Some((job, o)) = self.start_job(ri, false) {
            job_json(&mut out, &job, &o.borrowed(), "cold");
            return out;
        }
        "null".into()
    }

    /// Reports a job's HTTP answer. Returns JSON text: `{"ok":true}` when a key set (or a
    /// revocation bundle) was installed; `{"ok":false,"error"}` when the answer was unusable
    /// (the last good set or list is kept); `{"next": job}` when a discovery document named
    /// the key set to fetch next; `{"ignored":true}` for a late answer nobody waits for.
    pub fn fetched(&mut self, id: u32, status: u16, body: &[u8], now: f64) -> String {
        let now = seconds(now);
        let Some((ri, job)) = self.take_job(id) else {
            return "{\"ignored\":true}".into();
        };
        let Some(source) = self.remotes.get(ri).map(|r| r.source) else {
            return "{\"ignored\":true}".into();
        };
        let max = source.max_body();
        if status != 200 || body.len() > max {
            let why = if status == 200 {
                format!("body over {max} bytes")
            } else {
                format!("status {status}")
            };
            return self.fail(ri, &job, now, &why);
        }
        let provider = match source {
            Source::Keys(p) => p,
            Source::Revocations => {
                return match self.policy.parse_fetched_revocations(body, now) {
                    Ok(list) => {
                        self.policy.set_revocations(list);
                        self.loaded(ri, now);
                        "{\"ok\":true}".into()
                    }
                    Err(e) => self.fail(ri, &job, now, &format!("revocations: {e}")),
                };
            }
        };
        let Some(p) = self.policy.providers.get(provider) else {
            return "{\"ignored\":true}".into();
        };
        let Some(remote) = p.remote.clone() else {
            return "{\"ignored\":true}".into();
        };
        if job.discovery {
            let issuer = p.expectations.issuer.clone().unwrap_or_default();
            match edgeward::jwks::jwks_path_from_discovery(
                body,
                &issuer,
                &remote.scheme,
                &remote.authority,
            ) {
                Ok(found) => {
                    let next_job = Job {
                        discovery: false,
                        ..job
                    };
                    let url = format!("{}://{}{found}", remote.scheme, remote.authority);
                    if let Some(r) = self.remotes.get_mut(ri) {
                        r.jwks_path = Some(found);
                    }
                    let mut out = String::from("{\"next\":");
                    let o = JobOut {
                        remote: ri,
                        source,
                        provider: Some(&p.name),
                        url: &url,
                        timeout: remote.lifecycle.fetch_timeout,
                    };
                    job_json(&mut out, &next_job, &o, "discovered");
                    out.push('}');
                    if let Some(r) = self.remotes.get_mut(ri) {
                        r.jobs.push(next_job);
                    }
                    return out;
                }
                Err(e) => return self.fail(ri, &job, now, &format!("discovery: {e}")),
            }
        }
        match self.policy.parse_fetched_keys(provider, body) {
            Ok(keys) => {
                self.policy.set_keys(provider, Some(keys));
                self.loaded(ri, now);
                "{\"ok\":true}".into()
            }
            Err(e) => self.fail(ri, &job, now, &e.to_string()),
        }
    }

    /// Reports a job that failed in transport (network error, abort, timeout).
    #[wasm_bindgen(js_name = fetchFailed)]
    pub fn fetch_failed(&mut self, id: u32, error: &str, now: f64) -> String {
        let now = seconds(now);
        match self.take_job(id) {
            Some((ri, job)) => self.fail(ri, &job, now, error),
            None => "{\"ignored\":true}".into(),
        }
    }

    /// Installs a key set for `provider` fetched at `fetched_at` (a key store's copy, or keys
    /// handed in with `setKeys`). For a remote provider the lifecycle counts from
    /// `fetched_at`, so a stored copy is never served beyond `max_stale_seconds`.
    ///
    /// # Errors
    /// `{"code":"config_invalid",...}` for an unknown provider or an unusable set.
    #[wasm_bindgen(js_name = installKeys)]
    pub fn install_keys(
        &mut self,
        provider: &str,
        body: &[u8],
        fetched_at: f64,
        now: f64,
    ) -> Result<(), JsValue> {
        let fetched_at = seconds(fetched_at);
        let now = seconds(now);
        let Some(pi) = self.policy.provider_index(provider) else {
            return Err(config_error("provider", "no such provider"));
        };
        if body.len() > MAX_JWKS_BODY {
            return Err(config_error("jwks", "key set too large"));
        }
        let keys = self
            .policy
            .parse_fetched_keys(pi, body)
            .map_err(|e| config_error("jwks", &e.to_string()))?;
        if let Some(ri) = self
            .remotes
            .iter()
            .position(|r| r.source == Source::Keys(pi))
        {
            self.install_from(ri, fetched_at, now, "jwks", "stored key set")?;
        }
        // Cached verdicts made under the old set cannot answer: the set's fingerprint is part
        // of every cache key.
        self.policy.set_keys(pi, Some(keys));
        Ok(())
    }

    /// Installs a signed revocation bundle fetched at `fetched_at` (a key store's copy): it
    /// is verified as a fetched one is (publisher keys, `seq` not going back, fresh by its
    /// `iat`), and refused when the lifecycle counting from `fetched_at` would not serve it.
    ///
    /// # Errors
    /// `{"code":"config_invalid","field":"revocation",...}` when the policy fetches no list or
    /// the bundle is refused (the list held is kept).
    #[wasm_bindgen(js_name = installRevocations)]
    pub fn install_revocations(
        &mut self,
        body: &[u8],
        fetched_at: f64,
        now: f64,
    ) -> Result<(), JsValue> {
        let fetched_at = seconds(fetched_at);
        let now = seconds(now);
        let Some(ri) = self
            .remotes
            .iter()
            .position(|r| r.source == Source::Revocations)
        else {
            return Err(config_error(
                "revocation",
                "the policy fetches no revocation list",
            ));
        };
        let list = self
            .policy
            .parse_fetched_revocations(body, now)
            .map_err(|e| config_error("revocation", &e.to_string()))?;
        self.install_from(ri, fetched_at, now, "revocation", "stored revocation list")?;
        self.policy.set_revocations(list);
        Ok(())
    }

    /// Per remote source, in order: `{kind, provider, loaded, available, serve, ageSeconds,
    /// failures, fetching, seq}` as a JSON array (`kind` is `jwks` or `revocation`; the
    /// revocation row has no provider and carries the held bundle's `seq`).
    pub fn status(&self, now: f64) -> String {
        let now = seconds(now);
        let mut out = String::from("[");
        for (i, r) in self.remotes.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('{');
            push_opt_str(&mut out, "kind", Some(r.source.kind()));
            let name = match r.source {
                Source::Keys(pi) => self.policy.providers.get(pi).map(|p| p.name.as_str()),
                Source::Revocations => None,
            };
            push_opt_str(&mut out, "provider", name);
            push_field(&mut out, "loaded");
            out.push_str(if r.loaded { "true" } else { "false" });
            push_field(&mut out, "available");
            out.push_str(if self.available(r.source, now) {
                "true"
            } else {
                "false"
            });
            let serve = match r.lifecycle.serve(now) {
                Serve::Fresh => "fresh",
                Serve::Stale => "stale",
                Serve::Unavailable => "unavailable",
            };
            push_opt_str(&mut out, "serve", Some(serve));
            push_field(&mut out, "ageSeconds");
            match r.lifecycle.age(now) {
                Some(a) => {
                    let _ = write!(out, "{a}");
                }
                None => out.push_str("null"),
            }
            push_field(&mut out, "failures");
            let _ = write!(out, "{}", r.lifecycle.failures());
            push_field(&mut out, "fetching");
            let _ = write!(out, "{}", r.jobs.len());
            push_field(&mut out, "seq");
            let seq = match r.source {
                Source::Keys(_) => None,
                Source::Revocations => self
                    .policy
                    .revocation
                    .as_ref()
                    .and_then(|v| v.fetched.as_ref())
                    .and_then(|l| l.seq()),
            };
            match seq {
                Some(s) => {
                    let _ = write!(out, "{s}");
                }
                None => out.push_str("null"),
            }
            out.push('}');
        }
        out.push(']');
        out
    }

    /// How many remote sources have nothing servable at `now` (no key set, or no fresh
    /// revocation list): 0 on the steady path, so a host asks for the full
    /// [`Engine::status`] only when it has to wait or fetch.
    pub fn unavailable(&self, now: f64) -> u32 {
        let now = seconds(now);
        let n = self
            .remotes
            .iter()
            .filter(|r| !self.available(r.source, now))
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// `{enabled, entries, bytes, hits, misses}` of the verified-token cache, as JSON text.
    #[wasm_bindgen(js_name = cacheStats)]
    pub fn cache_stats(&self) -> String {
        match &self.cache {
            Some(c) => format!(
                "{{\"enabled\":true,\"entries\":{},\"bytes\":{},\"hits\":{},\"misses\":{}}}",
                c.len(),
                c.bytes(),
                c.hits,
                c.misses
            ),
            None => "{\"enabled\":false,\"entries\":0,\"bytes\":0,\"hits\":0,\"misses\":0}".into(),
        }
    }

    /// The names of the policy's providers, as a JSON array.
    pub fn providers(&self) -> String {
        let names: Vec<String> = self
            .policy
            .providers
            .iter()
            .map(|p| p.name.clone())
            .collect();
        let mut out = String::from("{");
        push_strings(&mut out, "names", &names);
        out.push('}');
        out
    }
}

impl Engine {
    /// Registers a new job for remote `ri`.
    fn start_job(&mut self, ri: usize, lifecycle: bool) -> Option<(Job, OwnedJobOut)> {
        self.next_job = self.next_job.wrapping_add(1);
        let id = self.next_job;
        let r = self.remotes.get_mut(ri)?;
        let (remote, provider) = match r.source {
            Source::Keys(pi) => {
                let p = self.policy.providers.get(pi)?;
                (p.remote.as_ref()?, Some(p.name.clone()))
            }
            Source::Revocations => (self.policy.revocation.as_ref()?.remote.as_ref()?, None),
        };
        let (path, discovery) = match (&r.jwks_path, remote.discovery) {
            (Some(found), true) => (found.clone(), false),
            (None, true) => (remote.path.clone(), true),
            (_, false) => (remote.path.clone(), false),
        };
        let job = Job {
            id,
            lifecycle,
            discovery,
        };
        r.jobs.push(job.clone());
        let url = format!("{}://{}{}", remote.scheme, remote.authority, path);
        let out = OwnedJobOut {
            remote: ri,
            source: r.source,
            provider,
            url,
            timeout: remote.lifecycle.fetch_timeout,
        };
        Some((job, out))
    }

    fn take_job(&mut self, id: u32) -> Option<(usize, Job)> {
        for (ri, r) in self.remotes.iter_mut().enumerate() {
            if let Some(pos) = r.jobs.iter().position(|j| j.id == id) {
                return Some((ri, r.jobs.remove(pos)));
            }
        }
        None
    }

    /// Whether requests that need `source` can be answered at `now`.
    fn available(&self, source: Source, now: i64) -> bool {
        match source {
            Source::Keys(pi) => self.policy.providers.get(pi).is_some_and(|p| p.available),
            Source::Revocations => self.policy.revocation.as_ref().is_some_and(|r| {
                r.fetched
                    .as_ref()
                    .is_some_and(|l| l.is_fresh(now, r.max_stale))
            }),
        }
    }

    /// A fetched answer was installed for remote `ri`.
    fn loaded(&mut self, ri: usize, now: i64) {
        if let Some(r) = self.remotes.get_mut(ri) {
            r.lifecycle.on_success(now);
            r.loaded = true;
            // Any other fetch for this source is now moot.
            r.jobs.clear();
        }
    }

    /// A stored copy fetched at `fetched_at` is about to be installed for remote `ri`: refused
    /// when the lifecycle, counting from then, would no longer serve it.
    fn install_from(
        &mut self,
        ri: usize,
        fetched_at: i64,
        now: i64,
        field: &str,
        what: &str,
    ) -> Result<(), JsValue> {
        let Some(r) = self.remotes.get_mut(ri) else {
            return Ok(());
        };
        let mut probe = r.lifecycle.clone();
        probe.on_success(fetched_at);
        if probe.serve(now) == Serve::Unavailable {
            return Err(config_error(
                field,
                &format!("{what} is older than max_stale"),
            ));
        }
        r.lifecycle.on_success(fetched_at);
        r.loaded = true;
        r.jobs.retain(|j| !j.lifecycle);
        Ok(())
    }

    fn fail(&mut self, ri: usize, job: &Job, now: i64, why: &str) -> String {
        if let Some(r) = self.remotes.get_mut(ri) {
            if job.lifecycle {
                r.lifecycle.on_failure(now);
            }
            // With discovery: look the set up again next time.
            r.jwks_path = None;
        }
        let mut out = String::from("{\"ok\":false,\"error\":");
        write_string(why, &mut out);
        out.push('}');
        out
    }

    fn unknown_kid(&mut self, provider: usize, now: i64) {
        for r in self
            .remotes
            .iter_mut()
            .filter(|r| r.source == Source::Keys(provider))
        {
            r.lifecycle.on_unknown_kid(now);
        }
    }
}

/// [`JobOut`] with owned strings, for jobs made while the engine is borrowed.
struct OwnedJobOut {
    remote: usize,
    source: Source,
    provider: Option<String>,
    url: String,
    timeout: i64,
}

impl OwnedJobOut {
    fn borrowed(&self) -> JobOut<'_> {
        JobOut {
            remote: self.remote,
            source: self.source,
            provider: self.provider.as_deref(),
            url: &self.url,
            timeout: self.timeout,
        }
    }
}

/// Every reason code with its HTTP status, as a JSON array of `[code, status]` (the list the
/// JS `REASONS` export and the TypeScript union are checked against).
#[wasm_bindgen]
pub fn reasons() -> String {
    let mut out = String::from("[");
    for (i, r) in Reason::ALL.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "[\"{}\",{}]", r.code(), r.disposition().status);
    }
    out.push(']');
    out
}
