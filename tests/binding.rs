//! Sender-constrained tokens through the request decision: certificate-bound tokens (RFC 8705,
//! `cnf.x5t#S256`), from the connection's client certificate or a trusted TLS terminator's
//! forwarded header.

#![allow(clippy::needless_pass_by_value, clippy::format_collect)]

mod common;

use common::{good_claims, kit, policy_json, ISS, NOW};
use edgeward::jwa::Alg;
use edgeward::{b64, decide, Decision, Policy, Reason, Request};
use serde_json::{json, Value};
use sha2::Digest as _;

fn policy(extra: Value, top: Value) -> Policy {
    let mut doc = policy_json(extra, Value::Null);
    for (k, v) in top.as_object().unwrap() {
        doc[k] = v.clone();
    }
    Policy::from_json(doc.to_string().as_bytes()).expect("policy")
}

/// A stand-in certificate: the binding is over the DER's SHA-256, so any bytes do.
fn cert(tag: &str) -> (String, String) {
    let digest = sha2::Sha256::digest(format!("certificate {tag}").as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    (hex, b64::encode(&digest))
}

fn token(x5t: Option<&str>) -> String {
    let mut c = good_claims();
    if let Some(t) = x5t {
        c["cnf"] = json!({"x5t#S256": t});
    }
    format!("Bearer {}", kit().token(Alg::ES256, &c))
}

fn run(p: &Policy, auth: &str, peer: &str, cert: Option<&str>, extra: &[(&str, &str)]) -> Decision {
    let mut headers = vec![("authorization", auth)];
    headers.extend_from_slice(extra);
    decide(
        p,
        &Request {
            method: "GET",
            path: "/x",
            headers: &headers,
            client_addr: Some(peer),
            peer_certificate: cert,
            route: None,
            now: NOW,
        },
    )
}

#[test]
fn certificate_bound_tokens_on_the_connection() {
    let (hex_a, x5t_a) = cert("a");
    let (hex_b, _) = cert("b");
    let req = policy(json!({"certificate_bound": "required"}), json!({}));
    let peer = "203.0.113.5:443";
    assert!(run(&req, &token(Some(&x5t_a)), peer, Some(&hex_a), &[]).allow);
    assert!(
        run(
            &req,
            &token(Some(&x5t_a)),
            peer,
            Some(&hex_a.to_ascii_uppercase()),
            &[]
        )
        .allow
    );
    for (cert, why) in [
        (Some(hex_b.as_str()), "another certificate"),
        (None, "no certificate"),
    ] {
        let d = run(&req, &token(Some(&x5t_a)), peer, cert, &[]);
        assert_eq!(
            (d.status, d.reason),
            (401, Some(Reason::TokenBindingMismatch)),
            "{why}"
        );
    }
    let d = run(&req, &token(None), peer, Some(&hex_a), &[]);
    assert_eq!(d.reason, Some(Reason::TokenNotBound));

    let opt = policy(json!({"certificate_bound": "optional"}), json!({}));
    assert!(
        run(&opt, &token(None), peer, None, &[]).allow,
        "unbound tokens pass"
    );
    assert!(run(&opt, &token(Some(&x5t_a)), peer, Some(&hex_a), &[]).allow);
    let d = run(&opt, &token(Some(&x5t_a)), peer, Some(&hex_b), &[]);
    assert_eq!(d.reason, Some(Reason::TokenBindingMismatch));

    // A provider that does not enforce the binding refuses bound tokens (they would otherwise
    // become bearer tokens), as does one that enforces another method than the token names.
    let none = policy(json!({}), json!({}));
    let d = run(&none, &token(Some(&x5t_a)), peer, Some(&hex_a), &[]);
    assert_eq!(d.reason, Some(Reason::TokenBindingUnsupported));
    let mut c = good_claims();
    c["cnf"] = json!({"x5t#S256": x5t_a, "jkt": "abc"});
    let both = format!("Bearer {}", kit().token(Alg::ES256, &c));
    let d = run(&req, &both, peer, Some(&hex_a), &[]);
    assert_eq!(d.reason, Some(Reason::TokenBindingUnsupported));
    let mut c = good_claims();
    c["cnf"] = json!({"x5t#S256": 7});
    let d = run(
        &req,
        &format!("Bearer {}", kit().token(Alg::ES256, &c)),
        peer,
        Some(&hex_a),
        &[],
    );
    assert_eq!(d.reason, Some(Reason::ClaimInvalid));
}

#[test]
fn forwarded_certificates_only_from_trusted_terminators() {
    let (hex_a, x5t_a) = cert("a");
    let (hex_t, _) = cert("terminator");
    let top = json!({"trusted_proxies": ["10.0.0.0/8"],
                     "client_certificate_header": {"name": "x-forwarded-client-cert", "format": "xfcc"}});
    let p = policy(json!({"certificate_bound": "required"}), top);
    let xfcc = format!("By=spiffe://edge;Hash={hex_a};Subject=\"CN=client\"");
    let h = [("x-forwarded-client-cert", xfcc.as_str())];
    // Through the terminator (which itself presents its own certificate to us).
    let d = run(&p, &token(Some(&x5t_a)), "10.1.1.1:443", Some(&hex_t), &h);
    assert!(d.allow, "{d:?}");
    assert!(!d
        .remove_headers
        .contains(&"x-forwarded-client-cert".to_string()));
    // The same header from an untrusted peer is ignored and stripped.
    let d = run(&p, &token(Some(&x5t_a)), "203.0.113.5:443", None, &h);
    assert_eq!(d.reason, Some(Reason::TokenBindingMismatch));
    assert!(d
        .remove_headers
        .contains(&"x-forwarded-client-cert".to_string()));
    let d = run(
        &p,
        &token(Some(&x5t_a)),
        "203.0.113.5:443",
        Some(&hex_a),
        &h,
    );
    assert!(d.allow, "its own connection certificate counts");
    assert!(d
        .remove_headers
        .contains(&"x-forwarded-client-cert".to_string()));
    // Two headers, or two elements, are not one client.
    let twice = [
        ("x-forwarded-client-cert", xfcc.as_str()),
        ("x-forwarded-client-cert", xfcc.as_str()),
    ];
    let d = run(&p, &token(Some(&x5t_a)), "10.1.1.1:443", None, &twice);
    assert_eq!(d.reason, Some(Reason::TokenBindingMismatch));
    let chain = format!("{xfcc},By=spiffe://other;Hash={hex_a}");
    let d = run(
        &p,
        &token(Some(&x5t_a)),
        "10.1.1.1:443",
        None,
        &[("x-forwarded-client-cert", &chain)],
    );
    assert_eq!(d.reason, Some(Reason::TokenBindingMismatch));

    for (format, value) in [
        ("sha256_hex", hex_a.clone()),
        ("sha256_base64url", x5t_a.clone()),
    ] {
        let top = json!({"trusted_proxies": ["10.0.0.0/8"],
                         "client_certificate_header": {"name": "x-client-cert-sha256", "format": format}});
        let p = policy(json!({"certificate_bound": "required"}), top);
        let d = run(
            &p,
            &token(Some(&x5t_a)),
            "10.1.1.1",
            None,
            &[("x-client-cert-sha256", &value)],
        );
        assert!(d.allow, "{format}: {d:?}");
    }
}

#[test]
fn binding_policy_errors() {
    let bad = |extra: Value, top: Value, field: &str| {
        let mut doc = policy_json(extra, Value::Null);
        for (k, v) in top.as_object().unwrap() {
            doc[k] = v.clone();
        }
        let e = Policy::from_json(doc.to_string().as_bytes()).unwrap_err();
        assert!(e.field.starts_with(field), "{field}: {e}");
    };
    bad(
        json!({"certificate_bound": "sometimes"}),
        json!({}),
        "providers.idp.certificate_bound",
    );
    bad(
        json!({}),
        json!({"client_certificate_header": {"name": "x-cert", "format": "xfcc"}}),
        "client_certificate_header",
    );
    bad(
        json!({}),
        json!({"trusted_proxies": ["10.0.0.0/8"],
        "client_certificate_header": {"name": "x-cert", "format": "pem"}}),
        "client_certificate_header.format",
    );
    let p = policy(json!({"certificate_bound": "optional"}), json!({}));
    assert!(p.uses_peer_certificate);
    assert!(!policy(json!({}), json!({})).uses_peer_certificate);
    let _ = ISS;
}
