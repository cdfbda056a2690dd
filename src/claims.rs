//! JWT claims (RFC 7519) checked against a provider's expectations at a caller-given time.
//!
//! Setting an expectation makes its claim required. `NumericDates` must be JSON numbers (strings
//! are rejected), non-negative and at most year 9999; fractions are compared exactly.

use alloc::string::String;
use alloc::vec::Vec;

use crate::json::{Object, Value};
use crate::reason::{Reason, Rejection};

/// Largest `NumericDate` accepted (9999-12-31T23:59:59Z).
pub const MAX_NUMERIC_DATE: i64 = 253_402_300_799;
/// Largest clock skew a policy may configure, in seconds.
pub const MAX_SKEW_SECONDS: i64 = 300;

/// How `sub` must look.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubjectMatch {
    /// Exactly this string.
    Exact(String),
    /// Starting with this string.
    Prefix(String),
}

/// A rule on one claim, addressed by RFC 6901 JSON Pointer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimRule {
    /// JSON Pointer into the claims set (`/realm_access/roles`).
    pub pointer: String,
    /// What the value must be.
    pub test: ClaimTest,
}

/// The test of a [`ClaimRule`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClaimTest {
    /// The claim equals this JSON value (numbers by value, objects in any member order).
    Equals(Value),
    /// The claim equals one of these values or, when the claim is an array, one of its elements
    /// does.
    AnyOf(Vec<Value>),
}

/// What a provider expects of a claims set. Build it from the policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expectations {
    /// Required exact `iss`.
    pub issuer: Option<String>,
    /// `aud` must contain one of these. Empty: `aud` must be absent unless `allow_any_audience`.
    pub audiences: Vec<String>,
    /// Accept any (or no) `aud` when `audiences` is empty.
    pub allow_any_audience: bool,
    /// `sub` must match one of these (when non-empty).
    pub subjects: Vec<SubjectMatch>,
    /// Seconds of tolerated clock difference for `exp`, `nbf`, `iat`.
    pub clock_skew: i64,
    /// Require `exp`.
    pub require_expiration: bool,
    /// Maximum `exp - iat` (or `exp - now` without `iat`).
    pub max_lifetime: Option<i64>,
    /// Claims that must be present (JSON Pointers or top-level names).
    pub required_claims: Vec<String>,
    /// Scopes that must all be granted (`scope` or `scp`).
    pub required_scopes: Vec<String>,
    /// Custom rules.
    pub claim_rules: Vec<ClaimRule>,
    /// Accept tokens carrying `cnf` without enforcing the binding.
    pub ignore_cnf: bool,
    /// The confirmation methods this provider enforces (the request decision checks them).
    pub binding: Binding,
}

/// Whether a proof-of-possession binding is demanded or only enforced when a token has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BindMode {
    /// Every token must be bound this way.
    Required,
    /// Unbound tokens are accepted; bound ones must match.
    Optional,
}

/// The confirmation (`cnf`) methods a provider enforces.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Binding {
    /// RFC 9449 `DPoP`: `cnf.jkt`.
    pub dpop: Option<BindMode>,
    /// RFC 8705 certificate-bound tokens: `cnf.x5t#S256`.
    pub mtls: Option<BindMode>,
}

/// The `cnf` member `x5t#S256` (RFC 8705).
pub const CNF_X5T: &str = "x5t#S256";
/// The `cnf` member `jkt` (RFC 9449).
pub const CNF_JKT: &str = "jkt";

impl Default for Expectations {
    fn default() -> Self {
        Expectations {
            issuer: None,
            audiences: Vec::new(),
            allow_any_audience: false,
            subjects: Vec::new(),
            clock_skew: 60,
            require_expiration: true,
            max_lifetime: None,
            required_claims: Vec::new(),
            required_scopes: Vec::new(),
            claim_rules: Vec::new(),
            ignore_cnf: false,
            binding: Binding::default(),
        }
    }
}

/// An exact `NumericDate`: floor and whether a non-zero fraction follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Date {
    floor: i64,
    frac: bool,
}

impl Date {
    fn ceil(self) -> i64 {
        self.floor.saturating_add(i64::from(self.frac))
    }
}

fn date(claims: &Object, name: &'static str) -> Result<Option<Date>, Rejection> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => match n.floor_and_fraction() {
            Some((floor, frac)) if floor <= MAX_NUMERIC_DATE => Ok(Some(Date { floor, frac })),
            _ => Err(Rejection::new(Reason::ClaimInvalid, name)),
        },
        Some(_) => Err(Rejection::new(Reason::ClaimInvalid, name)),
    }
}

/// Resolves a claim name: a leading `/` means JSON Pointer, otherwise a top-level member.
pub fn lookup<'a>(claims: &'a Value, name: &str) -> Option<&'a Value> {
    if name.starts_with('/') {
        claims.pointer(name)
    } else {
        claims.as_object().and_then(|o| o.get(name))
    }
}

/// The granted scopes: `scope`, else `scp`; each a space-delimited string or an array of
/// strings.
///
/// # Errors
/// `claim_invalid` when the claim has another shape.
pub fn scopes(claims: &Object) -> Result<Vec<&str>, Rejection> {
    let (name, v) = match (claims.get("scope"), claims.get("scp")) {
        (Some(v), _) => ("scope", v),
        (None, Some(v)) => ("scp", v),
        (None, None) => return Ok(Vec::new()),
    };
    match v {
        Value::String(s) => Ok(s.split(' ').filter(|p| !p.is_empty()).collect()),
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().ok_or(Rejection::new(Reason::ClaimInvalid, name)))
            .collect(),
        _ => Err(Rejection::new(Reason::ClaimInvalid, name)),
    }
}

/// Checks `claims` against `exp` at Unix time `now`.
///
/// # Errors
/// `claims_malformed` (not an object), `claim_invalid`, `claim_missing`, `issuer_mismatch`,
/// `token_expired`, `token_not_yet_valid`, `token_issued_in_future`, `token_lifetime_exceeded`,
/// `audience_mismatch`, `subject_mismatch`, `scope_insufficient`, `claim_mismatch`,
/// `token_binding_unsupported` — checked in that order.
pub fn check(claims: &Value, exp: &Expectations, now: i64) -> Result<(), Rejection> {
    let obj = claims
        .as_object()
        .ok_or(Rejection::new(Reason::ClaimsMalformed, "not an object"))?;
    check_issuer(obj, exp.issuer.as_deref())?;
    check_times(obj, exp, now)?;
    check_audience(obj, exp)?;
    check_subject(obj, &exp.subjects)?;
    for name in &exp.required_claims {
        if lookup(claims, name).is_none() {
            return Err(Rejection::new(Reason::ClaimMissing, "required_claims"));
        }
    }
    if !exp.required_scopes.is_empty() {
        let granted = scopes(obj)?;
        if !exp
            .required_scopes
            .iter()
            .all(|s| granted.contains(&s.as_str()))
        {
            return Err(Reason::ScopeInsufficient.into());
        }
    }
    for rule in &exp.claim_rules {
        let Some(v) = lookup(claims, &rule.pointer) else {
            return Err(Rejection::new(Reason::ClaimMissing, "claim_rules"));
        };
        let ok = match &rule.test {
            ClaimTest::Equals(want) => v.same(want),
            ClaimTest::AnyOf(list) => match v {
                Value::Array(items) => items.iter().any(|i| list.iter().any(|w| w.same(i))),
                other => list.iter().any(|w| w.same(other)),
            },
        };
        if !ok {
            return Err(Rejection::new(Reason::ClaimMismatch, "claim_rules"));
        }
    }
    if let (Some(cnf), false) = (obj.get("cnf"), exp.ignore_cnf) {
        // Every confirmation method the token names must be one this provider enforces (the
        // decision then checks it against the request): an unenforced binding would turn a
        // sender-constrained token into a bearer token.
        let Value::Object(methods) = cnf else {
            return Err(Rejection::new(Reason::ClaimInvalid, "cnf"));
        };
        if methods.is_empty() {
            return Err(Rejection::new(Reason::ClaimInvalid, "cnf"));
        }
        for (name, v) in methods.iter() {
            let enforced = match name {
                CNF_JKT => exp.binding.dpop.is_some(),
                CNF_X5T => exp.binding.mtls.is_some(),
                _ => false,
            };
            if !enforced {
                return Err(Rejection::new(Reason::TokenBindingUnsupported, "cnf"));
            }
            if !matches!(v, Value::String(s) if !s.is_empty()) {
                return Err(Rejection::new(Reason::ClaimInvalid, "cnf"));
            }
        }
    }
    Ok(())
}

/// Checks only `iss` (used to route a token to its provider before verifying it).
///
/// # Errors
/// `claim_invalid` (not a string), `claim_missing`, `issuer_mismatch`.
pub fn check_issuer(obj: &Object, issuer: Option<&str>) -> Result<(), Rejection> {
    let iss = match obj.get("iss") {
        None => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err(Rejection::new(Reason::ClaimInvalid, "iss")),
    };
    match (issuer, iss) {
        (None, _) => Ok(()),
        (Some(_), None) => Err(Rejection::new(Reason::ClaimMissing, "iss")),
        (Some(want), Some(got)) if want == got => Ok(()),
        (Some(_), Some(_)) => Err(Reason::IssuerMismatch.into()),
    }
}

fn check_times(obj: &Object, e: &Expectations, now: i64) -> Result<(), Rejection> {
    let skew = e.clock_skew;
    let exp = date(obj, "exp")?;
    let nbf = date(obj, "nbf")?;
    let iat = date(obj, "iat")?;
    match exp {
        // valid iff now < exp + skew, i.e. now - skew < floor + frac.
        Some(d) => {
            let t = now.saturating_sub(skew);
            if !(t < d.floor || (t == d.floor && d.frac)) {
                return Err(Reason::TokenExpired.into());
            }
        }
        None if e.require_expiration => return Err(Rejection::new(Reason::ClaimMissing, "exp")),
        None => {}
    }
    if let Some(d) = nbf {
        // valid iff now >= nbf - skew, i.e. now + skew >= floor + frac.
        let t = now.saturating_add(skew);
        if !(t > d.floor || (t == d.floor && !d.frac)) {
            return Err(Reason::TokenNotYetValid.into());
        }
    }
    if let Some(d) = iat {
        // valid iff iat <= now + skew.
        let t = now.saturating_add(skew);
        if !(d.floor < t || (d.floor == t && !d.frac)) {
            return Err(Reason::TokenIssuedInFuture.into());
        }
    }
    if let (Some(max), Some(exp)) = (e.max_lifetime, exp) {
        // Conservative to under a second: ceil(exp) - floor(start).
        let start = iat.map_or(now, |d| d.floor);
        if exp.ceil().saturating_sub(start) > max {
            return Err(Reason::TokenLifetimeExceeded.into());
        }
    }
    Ok(())
}

fn check_audience(obj: &Object, e: &Expectations) -> Result<(), Rejection> {
    let aud = obj.get("aud");
    let values: Vec<&str> = match aud {
        None => Vec::new(),
        Some(Value::String(s)) => alloc::vec![s.as_str()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .ok_or(Rejection::new(Reason::ClaimInvalid, "aud"))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(Rejection::new(Reason::ClaimInvalid, "aud")),
    };
    if e.audiences.is_empty() {
        // RFC 7519 4.1.3: a token meant for some audience is not for a service that has none,
        // unless the operator says any audience will do.
        if aud.is_some() && !e.allow_any_audience {
            return Err(Rejection::new(
                Reason::AudienceMismatch,
                "no audience configured",
            ));
        }
        return Ok(());
    }
    if aud.is_none() {
        return Err(Rejection::new(Reason::ClaimMissing, "aud"));
    }
    if values.iter().any(|v| e.audiences.iter().any(|a| a == v)) {
        Ok(())
    } else {
        Err(Reason::AudienceMismatch.into())
    }
}

fn check_subject(obj: &Object, subjects: &[SubjectMatch]) -> Result<(), Rejection> {
    let sub = match obj.get("sub") {
        None => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err(Rejection::new(Reason::ClaimInvalid, "sub")),
    };
    if subjects.is_empty() {
        return Ok(());
    }
    let sub = sub.ok_or(Rejection::new(Reason::ClaimMissing, "sub"))?;
    let ok = subjects.iter().any(|m| match m {
        SubjectMatch::Exact(s) => sub == s,
        SubjectMatch::Prefix(p) => sub.starts_with(p.as_str()),
    });
    if ok {
        Ok(())
    } else {
        Err(Reason::SubjectMismatch.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{parse, Limits};

    fn run(claims: &str, e: &Expectations, now: i64) -> Result<(), Reason> {
        let v = parse(claims.as_bytes(), &Limits::CLAIMS).unwrap();
        check(&v, e, now).map_err(|r| r.reason)
    }

    fn lenient() -> Expectations {
        Expectations {
            clock_skew: 0,
            ..Expectations::default()
        }
    }

    #[test]
    fn expiry_exact() {
        let e = lenient();
        assert_eq!(run(r#"{"exp":100}"#, &e, 99), Ok(()));
        assert_eq!(run(r#"{"exp":100}"#, &e, 100), Err(Reason::TokenExpired));
        assert_eq!(run(r#"{"exp":100.0000001}"#, &e, 100), Ok(()));
        assert_eq!(run(r#"{"exp":100.5}"#, &e, 101), Err(Reason::TokenExpired));
        assert_eq!(run(r#"{"exp":"200"}"#, &e, 100), Err(Reason::ClaimInvalid));
        assert_eq!(run(r#"{"exp":-1}"#, &e, 100), Err(Reason::ClaimInvalid));
        assert_eq!(run(r#"{"exp":1e300}"#, &e, 100), Err(Reason::ClaimInvalid));
        assert_eq!(
            run(r#"{"exp":253402300800}"#, &e, 100),
            Err(Reason::ClaimInvalid)
        );
        assert_eq!(run(r"{}", &e, 100), Err(Reason::ClaimMissing));
        let skewed = Expectations {
            clock_skew: 60,
            ..Expectations::default()
        };
        assert_eq!(run(r#"{"exp":100}"#, &skewed, 159), Ok(()));
        assert_eq!(
            run(r#"{"exp":100}"#, &skewed, 160),
            Err(Reason::TokenExpired)
        );
        let optional = Expectations {
            require_expiration: false,
            ..lenient()
        };
        assert_eq!(run(r"{}", &optional, 100), Ok(()));
    }

    #[test]
    fn nbf_and_iat() {
        let e = lenient();
        assert_eq!(run(r#"{"exp":1000,"nbf":100}"#, &e, 100), Ok(()));
        assert_eq!(
            run(r#"{"exp":1000,"nbf":100}"#, &e, 99),
            Err(Reason::TokenNotYetValid)
        );
        assert_eq!(
            run(r#"{"exp":1000,"nbf":99.5}"#, &e, 99),
            Err(Reason::TokenNotYetValid)
        );
        assert_eq!(run(r#"{"exp":1000,"iat":100}"#, &e, 100), Ok(()));
        assert_eq!(
            run(r#"{"exp":1000,"iat":100.1}"#, &e, 100),
            Err(Reason::TokenIssuedInFuture)
        );
        assert_eq!(
            run(r#"{"exp":1000,"nbf":true}"#, &e, 100),
            Err(Reason::ClaimInvalid)
        );
    }

    #[test]
    fn lifetime() {
        let e = Expectations {
            max_lifetime: Some(600),
            ..lenient()
        };
        assert_eq!(run(r#"{"exp":700,"iat":100}"#, &e, 150), Ok(()));
        assert_eq!(
            run(r#"{"exp":701,"iat":100}"#, &e, 150),
            Err(Reason::TokenLifetimeExceeded)
        );
        assert_eq!(run(r#"{"exp":700}"#, &e, 100), Ok(()));
        assert_eq!(
            run(r#"{"exp":800}"#, &e, 100),
            Err(Reason::TokenLifetimeExceeded)
        );
    }

    #[test]
    fn issuer_audience_subject() {
        let e = Expectations {
            issuer: Some("https://idp".into()),
            audiences: alloc::vec!["api".into(), "web".into()],
            subjects: alloc::vec![
                SubjectMatch::Prefix("svc:".into()),
                SubjectMatch::Exact("root".into())
            ],
            ..lenient()
        };
        let ok = r#"{"exp":1000,"iss":"https://idp","aud":["x","web"],"sub":"svc:a"}"#;
        assert_eq!(run(ok, &e, 1), Ok(()));
        assert_eq!(
            run(
                r#"{"exp":1000,"iss":"https://idp/","aud":"api","sub":"root"}"#,
                &e,
                1
            ),
            Err(Reason::IssuerMismatch)
        );
        assert_eq!(
            run(r#"{"exp":1000,"aud":"api","sub":"root"}"#, &e, 1),
            Err(Reason::ClaimMissing)
        );
        assert_eq!(
            run(
                r#"{"exp":1000,"iss":"https://idp","aud":"other","sub":"root"}"#,
                &e,
                1
            ),
            Err(Reason::AudienceMismatch)
        );
        assert_eq!(
            run(r#"{"exp":1000,"iss":"https://idp","sub":"root"}"#, &e, 1),
            Err(Reason::ClaimMissing)
        );
        assert_eq!(
            run(
                r#"{"exp":1000,"iss":"https://idp","aud":[1],"sub":"root"}"#,
                &e,
                1
            ),
            Err(Reason::ClaimInvalid)
        );
        assert_eq!(
            run(
                r#"{"exp":1000,"iss":"https://idp","aud":"api","sub":"rootx"}"#,
                &e,
                1
            ),
            Err(Reason::SubjectMismatch)
        );
        assert_eq!(
            run(r#"{"exp":1000,"iss":"https://idp","aud":"api"}"#, &e, 1),
            Err(Reason::ClaimMissing)
        );
        // No audience configured: a token with aud is refused unless allow_any_audience.
        let none = lenient();
        assert_eq!(
            run(r#"{"exp":1000,"aud":"api"}"#, &none, 1),
            Err(Reason::AudienceMismatch)
        );
        let any = Expectations {
            allow_any_audience: true,
            ..lenient()
        };
        assert_eq!(run(r#"{"exp":1000,"aud":"api"}"#, &any, 1), Ok(()));
    }

    #[test]
    fn scopes_rules_and_cnf() {
        let e = Expectations {
            required_scopes: alloc::vec!["read".into(), "write".into()],
            claim_rules: alloc::vec![
                ClaimRule {
                    pointer: "/realm/roles".into(),
                    test: ClaimTest::AnyOf(alloc::vec![Value::String("admin".into())]),
                },
                ClaimRule {
                    pointer: "tenant.id".into(),
                    test: ClaimTest::Equals(Value::String("t1".into())),
                },
            ],
            required_claims: alloc::vec!["jti".into()],
            ..lenient()
        };
        let base = r#""exp":1000,"jti":"j","realm":{"roles":["user","admin"]},"tenant.id":"t1""#;
        assert_eq!(
            run(
                &alloc::format!(r#"{{{base},"scope":"read write x"}}"#),
                &e,
                1
            ),
            Ok(())
        );
        assert_eq!(
            run(
                &alloc::format!(r#"{{{base},"scp":["write","read"]}}"#),
                &e,
                1
            ),
            Ok(())
        );
        assert_eq!(
            run(&alloc::format!(r#"{{{base},"scope":"read"}}"#), &e, 1),
            Err(Reason::ScopeInsufficient)
        );
        assert_eq!(
            run(&alloc::format!(r#"{{{base},"scope":7}}"#), &e, 1),
            Err(Reason::ClaimInvalid)
        );
        assert_eq!(
            run(
                r#"{"exp":1000,"jti":"j","realm":{"roles":["user"]},"tenant.id":"t1","scope":"read write"}"#,
                &e,
                1
            ),
            Err(Reason::ClaimMismatch)
        );
        assert_eq!(
            run(
                r#"{"exp":1000,"realm":{"roles":["admin"]},"tenant.id":"t1","scope":"read write"}"#,
                &e,
                1
            ),
            Err(Reason::ClaimMissing)
        );
        assert_eq!(
            run(
                &alloc::format!(r#"{{{base},"scope":"read write","cnf":{{"jkt":"x"}}}}"#),
                &e,
                1
            ),
            Err(Reason::TokenBindingUnsupported)
        );
        assert_eq!(run("[]", &e, 1), Err(Reason::ClaimsMalformed));
        // Numbers compare by value, objects in any member order.
        let e = Expectations {
            claim_rules: alloc::vec![ClaimRule {
                pointer: "/t".into(),
                test: ClaimTest::Equals(parse(br#"{"a":1,"b":2}"#, &Limits::CLAIMS).unwrap()),
            }],
            ..lenient()
        };
        assert_eq!(run(r#"{"exp":1000,"t":{"b":2.0,"a":1e0}}"#, &e, 1), Ok(()));
        assert_eq!(
            run(r#"{"exp":1000,"t":{"b":3,"a":1}}"#, &e, 1),
            Err(Reason::ClaimMismatch)
        );
    }
}
