//! `edgeward`: verify tokens against a policy, inspect them, and (for development only) make
//! keys and sign tokens. Exit codes: 0 valid, 1 rejected, 2 usage or policy error.

use edgeward_cli::{keys, Fail, Opts, USAGE};

use std::io::Read as _;
use std::process::ExitCode;

use edgeward::json::{Limits, Value};
use edgeward::jws::{Compact, TokenLimits};
use edgeward::{b64, Policy, Reason};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => ExitCode::from(code),
        Err(Fail(msg)) => {
            eprintln!("edgeward: {msg}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<u8, Fail> {
    let Some((cmd, rest)) = args.split_first() else {
        return Err(Fail(USAGE.into()));
    };
    match cmd.as_str() {
        "verify" => verify(rest),
        "inspect" => inspect(rest),
        "jwk" => keys::jwk_cmd(rest),
        "keygen" => keys::keygen_cmd(rest),
        "sign" => keys::sign_cmd(rest),
        "policy" => match rest.split_first() {
            Some((sub, files)) if sub == "check" => policy_check(files),
            _ => Err(Fail(USAGE.into())),
        },
        "import-jwt-authn" => import_jwt_authn(rest),
        "cookie" => edgeward_cli::cookie::cookie_cmd(rest, &load_policy, now_seconds()),
        "reasons" => {
            use edgeward::reason::CredentialKind;
            println!("code\tbearer\tsigned\tsession");
            for r in Reason::ALL {
                let status = |k| r.disposition_for(k).status;
                println!(
                    "{}\t{}\t{}\t{}",
                    r.code(),
                    status(CredentialKind::Bearer),
                    status(CredentialKind::Signed),
                    status(CredentialKind::Session)
                );
            }
            Ok(0)
        }
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(0)
        }
        other => Err(Fail(format!("unknown command {other:?}\n{USAGE}"))),
    }
}

fn load_policy(path: &str) -> Result<Policy, Fail> {
    let bytes = std::fs::read(path).map_err(|e| Fail(format!("{path}: {e}")))?;
    Policy::from_json_with_env(&bytes, &|name| std::env::var(name).ok())
        .map_err(|e| Fail(format!("{path}: {e}")))
}

fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn read_token(opts: &Opts) -> Result<String, Fail> {
    match opts.positional.as_slice() {
        [t] if t != "-" => Ok(t.clone()),
        [] | [_] => {
            let mut s = String::new();
            std::io::stdin().take(1 << 20).read_to_string(&mut s)?;
            Ok(s.trim().to_string())
        }
        _ => Err(Fail(format!("one token expected\n{USAGE}"))),
    }
}

fn verify(args: &[String]) -> Result<u8, Fail> {
    let opts = Opts::parse(args, &["json", "jws"])?;
    opts.only(&["policy", "provider", "now", "json", "jws"])?;
    let policy = load_policy(opts.need("policy")?)?;
    let now = match opts.get("now") {
        Some(n) => n
            .parse::<i64>()
            .map_err(|_| Fail("--now takes Unix seconds".into()))?,
        None => now_seconds(),
    };
    let token = read_token(&opts)?;
    let provider = match opts.get("provider") {
        Some(name) => Ok(policy
            .provider_index(name)
            .ok_or_else(|| Fail(format!("no provider named {name:?}")))?),
        None => policy.route(&token),
    };
    let as_json = opts.has("json");
    let result = provider.and_then(|i| {
        let p = &policy.providers[i];
        if opts.has("jws") {
            p.verify_jws(&token).map(|v| {
                let payload = String::from_utf8_lossy(v.payload()).into_owned();
                (i, Value::String(payload))
            })
        } else {
            p.verify_jwt(&token, now)
                .and_then(|a| p.check_standalone(&a).map(|()| a))
                .and_then(|a| {
                    policy
                        .check_revoked(i, &a.claims, now)
                        .map(|()| (i, a.claims))
                })
        }
    });
    let (valid, reason, detail, provider_name, claims) = match &result {
        Ok((i, claims)) => (
            true,
            None,
            "",
            Some(policy.providers[*i].name.as_str()),
            Some(claims),
        ),
        Err(rej) => (false, Some(rej.reason), rej.detail, None, None),
    };
    if as_json {
        let mut out = String::from("{\"valid\":");
        out.push_str(if valid { "true" } else { "false" });
        out.push_str(",\"reason\":");
        match reason {
            Some(r) => edgeward::json::write_string(r.code(), &mut out),
            None => out.push_str("null"),
        }
        out.push_str(",\"detail\":");
        edgeward::json::write_string(detail, &mut out);
        out.push_str(",\"provider\":");
        match provider_name {
            Some(n) => edgeward::json::write_string(n, &mut out),
            None => out.push_str("null"),
        }
        out.push_str(if opts.has("jws") {
            ",\"payload\":"
        } else {
            ",\"claims\":"
        });
        out.push_str(&claims.map_or_else(|| "null".to_string(), Value::to_json));
        out.push('}');
        println!("{out}");
    } else if let Some(r) = reason {
        if detail.is_empty() {
            println!("rejected: {}", r.code());
        } else {
            println!("rejected: {} ({detail})", r.code());
        }
    } else {
        println!("valid (provider {})", provider_name.unwrap_or("?"));
        if let Some(c) = claims {
            println!("{}", c.to_json());
        }
    }
    Ok(u8::from(!valid))
}

fn inspect(args: &[String]) -> Result<u8, Fail> {
    let opts = Opts::parse(args, &[])?;
    opts.only(&[])?;
    let token = read_token(&opts)?;
    println!("!! UNVERIFIED: nothing below has been checked; do not trust it !!");
    match Compact::parse(&token, &TokenLimits::default()) {
        Ok(c) => {
            println!("header:  {}", c.header().raw.to_json());
            match edgeward::json::parse(c.unverified_payload(), &Limits::CLAIMS) {
                Ok(v) => println!("payload: {}", v.to_json()),
                Err(_) => println!(
                    "payload (not JSON, base64url): {}",
                    b64::encode(c.unverified_payload())
                ),
            }
            Ok(0)
        }
        Err(r) => {
            println!("malformed: {r}");
            Ok(1)
        }
    }
}

fn import_jwt_authn(files: &[String]) -> Result<u8, Fail> {
    let [file] = files else {
        return Err(Fail(USAGE.into()));
    };
    let text = std::fs::read_to_string(file).map_err(|e| Fail(format!("{file}: {e}")))?;
    let config = edgeward_cli::import::parse_config(&text)?;
    let base = std::path::Path::new(file)
        .parent()
        .unwrap_or(std::path::Path::new("."));
    let converted = edgeward_cli::import::convert(&config, base)?;
    let out = serde_json::to_string_pretty(&converted.policy)?;
    // The result must load: the same checks as every host.
    Policy::from_json(out.as_bytes())
        .map_err(|e| Fail(format!("converted policy does not load: {e}")))?;
    for w in &converted.warnings {
        eprintln!("warning: {w}");
    }
    println!("{out}");
    Ok(0)
}

fn policy_check(files: &[String]) -> Result<u8, Fail> {
    let [file] = files else {
        return Err(Fail(USAGE.into()));
    };
    let policy = load_policy(file)?;
    println!("{file}: ok (policy version 1)");
    println!("realm: {}", policy.realm);
    for p in &policy.providers {
        use edgeward::credential::{Kind, Scheme};
        if let Kind::SignedUrl(scheme) | Kind::SignedCookie(scheme) = &p.kind {
            println!("provider {}: {} ({})", p.name, p.kind.name(), scheme.name());
            if let Scheme::Google(_) = scheme {
                // The prefix is in each signed credential, not in the policy: say it here,
                // where the operator sets the scheme up (cookie sign and verify check each one).
                println!(
                    "  note: a Google URLPrefix is a plain string prefix: sign prefixes ending in / \
                     (https://cdn.example/videos also covers https://cdn.example/videos-private/); \
                     edgeward cookie sign --prefix and cookie verify warn when one does not"
                );
            }
            continue;
        }
        let algs: Vec<&str> = p.algorithms.iter().map(edgeward::jwa::Alg::name).collect();
        println!(
            "provider {}: issuer {}, {} key(s), algorithms {}",
            p.name,
            p.expectations.issuer.as_deref().unwrap_or("(any)"),
            p.keys.keys().len(),
            algs.join(",")
        );
        for s in p.keys.skipped() {
            println!(
                "  warning: key #{} (kid {}) skipped: {}",
                s.index,
                s.kid.as_deref().unwrap_or("-"),
                s.error.code()
            );
        }
        if p.expectations.audiences.is_empty() && p.expectations.allow_any_audience {
            println!("  warning: allow_any_audience: tokens for any audience are accepted");
        }
        if p.expectations.issuer.is_none() {
            println!("  warning: no issuer: tokens from any issuer signed by these keys pass");
        }
    }
    for (i, r) in policy.rules.iter().enumerate() {
        let m = match &r.path {
            edgeward::policy::PathMatch::Prefix(p) => format!("prefix {p}"),
            edgeward::policy::PathMatch::Exact(p) => format!("path {p}"),
        };
        let methods = if r.methods.is_empty() {
            "any method".to_string()
        } else {
            r.methods.join(",")
        };
        println!(
            "rule {i}: {m} ({methods}) requires {}",
            describe(&policy, &r.requires)
        );
    }
    Ok(0)
}

fn describe(policy: &Policy, r: &edgeward::policy::Requirement) -> String {
    use edgeward::policy::Requirement as R;
    match r {
        R::Provider(i) => policy.providers[*i].name.clone(),
        R::Any(l) => format!(
            "any of [{}]",
            l.iter()
                .map(|c| describe(policy, c))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        R::All(l) => format!(
            "all of [{}]",
            l.iter()
                .map(|c| describe(policy, c))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        R::AllowMissing => "allow_missing".into(),
        R::AllowMissingOrFailed => "allow_missing_or_failed (never denies)".into(),
    }
}
