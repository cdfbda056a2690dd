//! `edgeward import-jwt-authn FILE`: converts an Envoy `jwt_authn` filter configuration (YAML
//! or JSON; the bare `JwtAuthentication` message or the whole HTTP filter entry) into an
//! edgeward policy, refusing what it cannot express with a message naming the field.
//!
//! Semantics are preserved, including `jwt_authn`'s permissive defaults, and each one is said
//! out loud on stderr: no audience check becomes `allow_any_audience: true`; `exp` optional
//! stays optional; unmatched requests pass through an explicit final rule.

use serde_json::{json, Map, Value};

use crate::Fail;

/// What the conversion produced.
pub struct Converted {
    /// The policy document.
    pub policy: Value,
    /// Things an operator should review.
    pub warnings: Vec<String>,
}

fn refuse(field: &str, why: &str) -> Fail {
    Fail(format!("import-jwt-authn: {field}: {why}"))
}

/// Parses YAML or JSON text into a JSON value.
pub fn parse_config(text: &str) -> Result<Value, Fail> {
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        return Ok(v);
    }
    serde_yaml::from_str::<Value>(text)
        .map_err(|e| Fail(format!("import-jwt-authn: not JSON or YAML: {e}")))
}

/// Converts a `jwt_authn` configuration; `base_dir` resolves `local_jwks.filename`.
pub fn convert(config: &Value, base_dir: &std::path::Path) -> Result<Converted, Fail> {
    let mut cfg = config;
    if let Some(tc) = cfg.get("typed_config") {
        cfg = tc;
    }
    let obj = cfg
        .as_object()
        .ok_or_else(|| refuse("(top)", "expected an object"))?;
    let mut warnings = Vec::new();
    for (k, v) in obj {
        match k.as_str() {
            "@type" | "providers" | "rules" | "bypass_cors_preflight" | "stat_prefix" => {}
            "requirement_map" | "filter_state_rules" => {
                if !is_empty(v) {
                    return Err(refuse(k, "per-route requirement selection is written as rules with `match.route` (route names) in edgeward; convert by hand"));
                }
            }
            "strip_failure_response" => {
                if v.as_bool() == Some(true) {
                    return Err(refuse(k, "edgeward always answers denials with an RFC 6750 challenge and the reason code"));
                }
            }
            other => return Err(refuse(other, "not supported")),
        }
    }
    let providers_in = obj
        .get("providers")
        .and_then(Value::as_object)
        .ok_or_else(|| refuse("providers", "missing"))?;
    let multi = providers_in.len() > 1;
    let mut providers = Map::new();
    let mut cache_size: Option<u64> = None;
    for (name, p) in providers_in {
        let (prov, size) = convert_provider(name, p, multi, base_dir, &mut warnings)?;
        if let Some(s) = size {
            cache_size = Some(cache_size.map_or(s, |c| c.max(s)));
        }
        providers.insert(name.clone(), prov);
    }
    let mut rules = Vec::new();
    let mut has_catch_all = false;
    for (i, r) in obj
        .get("rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let field = format!("rules[{i}]");
        let m = r
            .get("match")
            .and_then(Value::as_object)
            .ok_or_else(|| refuse(&field, "missing match"))?;
        let mut matcher = Map::new();
        for (k, v) in m {
            match k.as_str() {
                "prefix" | "path" => {
                    matcher.insert(k.clone(), v.clone());
                }
                "case_sensitive" if v.as_bool() != Some(false) => {}
                other => {
                    return Err(refuse(
                        &format!("{field}.match.{other}"),
                        "edgeward matches by path prefix or exact path (after normalisation)",
                    ));
                }
            }
        }
        if matcher.is_empty() {
            return Err(refuse(&format!("{field}.match"), "needs prefix or path"));
        }
        let requires = match r.get("requires") {
            None => {
                warnings.push(format!("{field}: no `requires` (jwt_authn does not verify these requests): converted to allow_missing_or_failed"));
                json!({"allow_missing_or_failed": {}})
            }
            Some(req) => convert_requirement(&format!("{field}.requires"), req)?,
        };
        if matcher.get("prefix").and_then(Value::as_str) == Some("/") {
            has_catch_all = true;
        }
        rules.push(json!({"match": matcher, "requires": requires}));
    }
    if !has_catch_all {
        warnings.push("jwt_authn lets requests that match no rule through unverified; the policy now says so with a final {\"prefix\": \"/\"} allow_missing_or_failed rule — replace it with a provider to fail closed".into());
        rules.push(json!({"match": {"prefix": "/"}, "requires": {"allow_missing_or_failed": {}}}));
    }
    let mut policy = json!({"version": 1, "providers": providers, "rules": rules});
    if obj.get("bypass_cors_preflight").and_then(Value::as_bool) == Some(true) {
        policy["bypass_cors_preflight"] = json!(true);
    }
    if let Some(size) = cache_size {
        policy["token_cache"] = json!({"max_entries": size});
    }
    Ok(Converted { policy, warnings })
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

fn seconds(field: &str, v: &Value) -> Result<i64, Fail> {
    let s = v
        .as_str()
        .ok_or_else(|| refuse(field, "expected a duration like \"300s\""))?;
    let n = s.strip_suffix('s').unwrap_or(s);
    let f: f64 = n
        .parse()
        .map_err(|_| refuse(field, "expected a duration like \"300s\""))?;
    if f.fract() != 0.0 || f <= 0.0 || f > 1e12 {
        return Err(refuse(field, "whole positive seconds only"));
    }
    #[allow(clippy::cast_possible_truncation)]
    Ok(f as i64)
}

fn convert_provider(
    name: &str,
    p: &Value,
    multi: bool,
    base_dir: &std::path::Path,
    warnings: &mut Vec<String>,
) -> Result<(Value, Option<u64>), Fail> {
    let f = |k: &str| format!("providers.{name}.{k}");
    let obj = p
        .as_object()
        .ok_or_else(|| refuse(&f(""), "expected an object"))?;
    let mut out = Map::new();
    let mut cache = None;
    let mut has_source = false;
    for (k, v) in obj {
        match k.as_str() {
            "issuer" | "forward" | "from_params" | "from_cookies" | "forward_payload_header" => {
                has_source |= matches!(k.as_str(), "from_params" | "from_cookies") && !is_empty(v);
                out.insert(k.clone(), v.clone());
            }
            "audiences" => {
                if !is_empty(v) {
                    out.insert(k.clone(), v.clone());
                }
            }
            "clock_skew_seconds" => {
                let s = v
                    .as_i64()
                    .ok_or_else(|| refuse(&f(k), "expected an integer"))?;
                if !(0..=300).contains(&s) {
                    return Err(refuse(&f(k), "edgeward caps clock skew at 300 seconds"));
                }
                out.insert(k.clone(), json!(s));
            }
            "require_expiration" => {
                out.insert(k.clone(), v.clone());
            }
            "max_lifetime" => {
                out.insert("max_lifetime_seconds".into(), json!(seconds(&f(k), v)?));
            }
            "from_headers" => {
                has_source |= !is_empty(v);
                out.insert(k.clone(), v.clone());
            }
            "claim_to_headers" => {
                let mut list = Vec::new();
                for (i, c) in v.as_array().into_iter().flatten().enumerate() {
                    let header = c.get("header_name").cloned().unwrap_or(Value::Null);
                    let claim = c.get("claim_name").and_then(Value::as_str).ok_or_else(|| {
                        refuse(&f(&format!("claim_to_headers[{i}].claim_name")), "missing")
                    })?;
                    // jwt_authn nests with dots; edgeward uses JSON Pointer for paths.
                    let claim = if claim.contains('.') {
                        claim.split('.').fold(String::new(), |acc, part| {
                            acc + "/" + &part.replace('~', "~0").replace('/', "~1")
                        })
                    } else {
                        claim.to_string()
                    };
                    list.push(json!({"header_name": header, "claim": claim}));
                }
                out.insert(k.clone(), Value::Array(list));
            }
            "subjects" => {
                let m = v
                    .as_object()
                    .ok_or_else(|| refuse(&f(k), "expected a string matcher"))?;
                let mut subs = Vec::new();
                for (mk, mv) in m {
                    match mk.as_str() {
                        "exact" | "prefix" => subs.push(json!({mk.clone(): mv})),
                        "ignore_case" if mv.as_bool() != Some(true) => {}
                        other => {
                            return Err(refuse(
                                &f(&format!("subjects.{other}")),
                                "edgeward matches subjects exactly or by prefix",
                            ))
                        }
                    }
                }
                out.insert("subjects".into(), Value::Array(subs));
            }
            "local_jwks" => {
                let jwks = if let Some(s) = v.get("inline_string").and_then(Value::as_str) {
                    s.to_string()
                } else if let Some(file) = v.get("filename").and_then(Value::as_str) {
                    std::fs::read_to_string(base_dir.join(file))
                        .map_err(|e| refuse(&f("local_jwks.filename"), &e.to_string()))?
                } else {
                    return Err(refuse(
                        &f("local_jwks"),
                        "only inline_string and filename are supported",
                    ));
                };
                let parsed: Value = serde_json::from_str(&jwks)
                    .map_err(|e| refuse(&f("local_jwks"), &format!("not a JSON JWK set: {e}")))?;
                out.insert("local_jwks".into(), parsed);
            }
            "remote_jwks" => {
                let uri = v
                    .pointer("/http_uri/uri")
                    .and_then(Value::as_str)
                    .ok_or_else(|| refuse(&f("remote_jwks.http_uri.uri"), "missing"))?;
                let cluster = v
                    .pointer("/http_uri/cluster")
                    .and_then(Value::as_str)
                    .ok_or_else(|| refuse(&f("remote_jwks.http_uri.cluster"), "missing"))?;
                let mut r = json!({"uri": uri, "cluster": cluster});
                if let Some(t) = v.pointer("/http_uri/timeout") {
                    r["timeout_seconds"] = json!(seconds(&f("remote_jwks.http_uri.timeout"), t)?);
                }
                if let Some(d) = v.get("cache_duration") {
                    r["cache_duration_seconds"] =
                        json!(seconds(&f("remote_jwks.cache_duration"), d)?);
                }
                for (rk, _) in v.as_object().into_iter().flatten() {
                    match rk.as_str() {
                        "http_uri" | "cache_duration" => {}
                        "async_fetch" | "retry_policy" => warnings.push(format!(
                            "providers.{name}.remote_jwks.{rk}: edgeward always fetches in the background with its own backoff; dropped"
                        )),
                        other => return Err(refuse(&f(&format!("remote_jwks.{other}")), "not supported")),
                    }
                }
                out.insert("remote_jwks".into(), r);
            }
            "jwt_cache_config" => {
                cache = Some(
                    v.get("jwt_cache_size")
                        .and_then(Value::as_u64)
                        .unwrap_or(100),
                );
            }
            "pad_forward_payload_header"
            | "payload_in_metadata"
            | "header_in_metadata"
            | "failed_status_in_metadata"
            | "normalize_payload_in_metadata"
            | "clear_route_cache" => {
                if !is_empty(v) && v.as_bool() != Some(false) {
                    return Err(refuse(&f(k), "has no edgeward equivalent"));
                }
            }
            other => return Err(refuse(&f(other), "not supported")),
        }
    }
    if multi && out.get("issuer").is_none() {
        return Err(refuse(
            &f("issuer"),
            "edgeward routes tokens to providers by issuer: set one for every provider",
        ));
    }
    if out.get("audiences").is_none() {
        warnings.push(format!("providers.{name}: jwt_authn does not check `aud` without audiences: converted to allow_any_audience: true"));
        out.insert("allow_any_audience".into(), json!(true));
    }
    if out.get("require_expiration").is_none() {
        warnings.push(format!("providers.{name}: jwt_authn accepts tokens without `exp` by default; kept (require_expiration: false) — consider true"));
        out.insert("require_expiration".into(), json!(false));
    }
    if !has_source {
        // jwt_authn's default token locations.
        out.insert(
            "from_headers".into(),
            json!([{"name": "authorization", "value_prefix": "Bearer "}]),
        );
        out.insert("from_params".into(), json!(["access_token"]));
        warnings.push(format!("providers.{name}: jwt_authn also reads the access_token query parameter by default; kept — remove from_params to stop tokens in URLs"));
    }
    if out.get("local_jwks").is_none() && out.get("remote_jwks").is_none() {
        return Err(refuse(&f("local_jwks"), "a provider needs keys"));
    }
    Ok((Value::Object(out), cache))
}

fn convert_requirement(field: &str, r: &Value) -> Result<Value, Fail> {
    let obj = r
        .as_object()
        .ok_or_else(|| refuse(field, "expected an object"))?;
    let (k, v) = obj
        .iter()
        .next()
        .ok_or_else(|| refuse(field, "empty requirement"))?;
    if obj.len() != 1 {
        return Err(refuse(field, "exactly one requirement kind"));
    }
    Ok(match k.as_str() {
        "provider_name" => json!({"provider_name": v}),
        "requires_any" | "requires_all" => {
            let list = v
                .get("requirements")
                .and_then(Value::as_array)
                .ok_or_else(|| refuse(&format!("{field}.{k}.requirements"), "missing"))?;
            let inner = list
                .iter()
                .enumerate()
                .map(|(i, x)| convert_requirement(&format!("{field}.{k}.requirements[{i}]"), x))
                .collect::<Result<Vec<_>, _>>()?;
            json!({k.clone(): inner})
        }
        "allow_missing" | "allow_missing_or_failed" => json!({k.clone(): {}}),
        "provider_and_audiences" => {
            return Err(refuse(
                &format!("{field}.{k}"),
                "per-rule audiences: define a provider with those audiences and name it",
            ));
        }
        other => return Err(refuse(&format!("{field}.{other}"), "not supported")),
    })
}
