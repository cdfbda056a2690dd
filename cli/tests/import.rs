//! `edgeward import-jwt-authn`: `jwt_authn` configs (YAML and the HTTP filter entry form) become
//! policies that load; what cannot be expressed is refused with the field named.

use std::process::Command;

fn import(dir: &std::path::Path, name: &str, text: &str) -> std::process::Output {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    Command::new(env!("CARGO_BIN_EXE_edgeward"))
        .args(["import-jwt-authn", path.to_str().unwrap()])
        .output()
        .unwrap()
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("edgeward-import-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const JWKS: &str = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"k1"}]}"#;

#[test]
fn converts_a_typical_filter_config() {
    let dir = tmp("ok");
    std::fs::write(dir.join("jwks.json"), JWKS).unwrap();
    let yaml = format!(
        r#"
name: envoy.filters.http.jwt_authn
typed_config:
  "@type": type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication
  providers:
    corp:
      issuer: https://idp.corp
      audiences: [api]
      forward: true
      from_headers:
      - name: x-token
      claim_to_headers:
      - header_name: x-tenant
        claim_name: org.tenant
      local_jwks:
        inline_string: '{JWKS}'
      jwt_cache_config: {{jwt_cache_size: 500}}
    partner:
      issuer: https://idp.partner
      max_lifetime: 3600s
      local_jwks:
        filename: jwks.json
  rules:
  - match: {{prefix: /api}}
    requires:
      requires_any:
        requirements:
        - provider_name: corp
        - provider_name: partner
  - match: {{path: /health}}
  bypass_cors_preflight: true
"#
    );
    let out = import(&dir, "jwt_authn.yaml", &yaml);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let p: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(p["version"], 1);
    assert_eq!(
        p["providers"]["corp"]["claim_to_headers"][0]["claim"],
        "/org/tenant"
    );
    assert_eq!(p["providers"]["corp"]["from_headers"][0]["name"], "x-token");
    assert_eq!(p["providers"]["partner"]["allow_any_audience"], true);
    assert_eq!(p["providers"]["partner"]["max_lifetime_seconds"], 3600);
    assert_eq!(p["providers"]["partner"]["from_params"][0], "access_token");
    assert_eq!(p["providers"]["partner"]["require_expiration"], false);
    assert_eq!(
        p["rules"][0]["requires"]["requires_any"][1]["provider_name"],
        "partner"
    );
    assert_eq!(
        p["rules"][1]["requires"]["allow_missing_or_failed"],
        serde_json::json!({})
    );
    assert_eq!(p["rules"][2]["match"]["prefix"], "/");
    assert_eq!(p["token_cache"]["max_entries"], 500);
    assert_eq!(p["bypass_cors_preflight"], true);
    assert!(stderr.contains("allow_any_audience"));
    // Remote key sets convert too.
    let remote = r#"{"providers":{"p":{"issuer":"https://i","audiences":["a"],"remote_jwks":{"http_uri":{"uri":"https://idp.example/jwks","cluster":"idp","timeout":"2s"},"cache_duration":"300s","async_fetch":{}}}},"rules":[{"match":{"prefix":"/"},"requires":{"provider_name":"p"}}]}"#;
    let out = import(&dir, "remote.json", remote);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let p: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        p["providers"]["p"]["remote_jwks"],
        serde_json::json!({"uri": "https://idp.example/jwks", "cluster": "idp", "timeout_seconds": 2, "cache_duration_seconds": 300})
    );
    assert!(stderr.contains("unverified"));
}

#[test]
fn refuses_what_it_cannot_express_naming_the_field() {
    let dir = tmp("refuse");
    for (text, field) in [
        (
            r#"{"providers":{"p":{"issuer":"i","remote_jwks":{"http_uri":{"uri":"https://x/jwks","cluster":"c"},"jwks_fetch_bogus":1}}}}"#,
            "providers.p.remote_jwks.jwks_fetch_bogus",
        ),
        (
            &*format!(
                r#"{{"providers":{{"p":{{"issuer":"i","local_jwks":{{"inline_string":{}}}}}}},"rules":[{{"match":{{"safe_regex":{{"regex":".*"}}}},"requires":{{"provider_name":"p"}}}}]}}"#,
                serde_json::to_string(JWKS).unwrap()
            ),
            "rules[0].match.safe_regex",
        ),
        (
            &*format!(
                r#"{{"providers":{{"p":{{"issuer":"i","local_jwks":{{"inline_string":{}}}}}}},"rules":[{{"match":{{"prefix":"/"}},"requires":{{"provider_and_audiences":{{"provider_name":"p","audiences":["a"]}}}}}}]}}"#,
                serde_json::to_string(JWKS).unwrap()
            ),
            "provider_and_audiences",
        ),
        (
            r#"{"providers":{"p":{"payload_in_metadata":"jwt"}}}"#,
            "providers.p.payload_in_metadata",
        ),
        (
            r#"{"providers":{"a":{"local_jwks":{"inline_string":"{}"}},"b":{}}}"#,
            "issuer",
        ),
    ] {
        let out = import(&dir, "c.json", text);
        assert_eq!(out.status.code(), Some(2), "{text}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(field), "{field}: {err}");
    }
}
