//! The `edgeward` binary as scripts call it: exit codes, JSON output, PEM handling (keys made by
//! OpenSSL, an independent implementation, at run time).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_edgeward"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run edgeward")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("edgeward-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn path(&self, f: &str) -> String {
        self.0.join(f).to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write_policy(dir: &TempDir, jwks: &str) -> String {
    let policy = format!(
        r#"{{"version":1,"providers":{{"idp":{{"issuer":"https://idp.test","audiences":["api"],"local_jwks":{jwks}}}}},
            "rules":[{{"match":{{"prefix":"/"}},"requires":{{"provider_name":"idp"}}}}]}}"#
    );
    let p = dir.path("policy.json");
    std::fs::write(&p, policy).unwrap();
    p
}

#[test]
fn keygen_sign_verify_exit_codes_and_json() {
    let dir = TempDir::new("roundtrip");
    let key = dir.path("k.jwk");
    let out = run(&["keygen", "--alg", "ES256", "--private-out", &key]);
    assert!(out.status.success());
    let jwks = stdout(&out);
    assert!(
        !jwks.contains("\"d\""),
        "public output must not contain the private scalar"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let policy = write_policy(&dir, &jwks);
    let claims = r#"{"iss":"https://idp.test","aud":"api","sub":"u1","exp":2000000000}"#;
    let token = stdout(&run(&[
        "sign", "--key", &key, "--alg", "ES256", "--claims", claims,
    ]));
    let token = token.trim();

    let ok = run(&[
        "verify",
        "--policy",
        &policy,
        "--now",
        "1900000000",
        "--json",
        token,
    ]);
    assert_eq!(ok.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["reason"], serde_json::Value::Null);
    assert_eq!(v["provider"], "idp");
    assert_eq!(v["claims"]["sub"], "u1");

    let expired = run(&[
        "verify",
        "--policy",
        &policy,
        "--now",
        "2000000100",
        "--json",
        token,
    ]);
    assert_eq!(expired.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&expired.stdout).unwrap();
    assert_eq!(
        (v["valid"].clone(), v["reason"].clone()),
        (serde_json::json!(false), serde_json::json!("token_expired"))
    );

    // Token from stdin.
    let mut child = bin()
        .args(["verify", "--policy", &policy, "--now", "1900000000", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), token.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));

    // Usage and policy errors exit 2.
    assert_eq!(
        run(&["verify", "--policy", "/nonexistent", token])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(run(&["verify", token]).status.code(), Some(2));
    assert_eq!(run(&["bogus"]).status.code(), Some(2));
    let bad = dir.path("bad.json");
    std::fs::write(&bad, r#"{"version":1,"providers":{},"rules":[]}"#).unwrap();
    let o = run(&["policy", "check", &bad]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("providers"));
    let o = run(&["policy", "check", &policy]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("provider idp"));
}

#[test]
fn inspect_is_loudly_unverified() {
    let t = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
    let o = run(&["inspect", t]);
    assert_eq!(o.status.code(), Some(0));
    let s = stdout(&o);
    assert!(s.contains("UNVERIFIED"));
    assert!(s.contains("EdDSA"));
}

#[test]
fn jws_mode_with_rfc8037_vector() {
    let dir = TempDir::new("jws");
    let jwks = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#;
    let policy = write_policy(&dir, jwks);
    let t = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
    let o = run(&["verify", "--policy", &policy, "--jws", "--json", t]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["payload"], "Example of Ed25519 signing");
    // As a JWT the text payload is not a claims set.
    let o = run(&["verify", "--policy", &policy, "--json", t]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("claims_malformed"));
}

fn openssl(dir: &Path, args: &[&str]) -> bool {
    Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn pem_keys_from_openssl() {
    let dir = TempDir::new("pem");
    let cases: &[(&str, &[&str])] = &[
        (
            "ES256",
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
                "priv.pem",
            ],
        ),
        (
            "ES384",
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-384",
                "-out",
                "priv.pem",
            ],
        ),
        (
            "ES512",
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-521",
                "-out",
                "priv.pem",
            ],
        ),
        (
            "RS256",
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                "priv.pem",
            ],
        ),
        (
            "EdDSA",
            &["genpkey", "-algorithm", "ED25519", "-out", "priv.pem"],
        ),
    ];
    assert!(
        openssl(&dir.0, &["version"]),
        "openssl is required for this test (.ci/run installs it)"
    );
    for (alg, gen) in cases {
        assert!(openssl(&dir.0, gen), "{alg}");
        assert!(openssl(
            &dir.0,
            &["pkey", "-in", "priv.pem", "-pubout", "-out", "pub.pem"]
        ));
        let jwk = run(&["jwk", &dir.path("pub.pem"), "--alg", alg]);
        assert!(
            jwk.status.success(),
            "{alg}: {}",
            String::from_utf8_lossy(&jwk.stderr)
        );
        let jwk: serde_json::Value = serde_json::from_slice(&jwk.stdout).unwrap();
        let kid = jwk["kid"].as_str().unwrap().to_string();
        assert_eq!(kid.len(), 43, "RFC 7638 SHA-256 thumbprint, base64url");
        let policy = write_policy(&dir, &format!(r#"{{"keys":[{jwk}]}}"#));
        let claims = r#"{"iss":"https://idp.test","aud":"api","exp":2000000000}"#;
        let t = run(&[
            "sign",
            "--key",
            &dir.path("priv.pem"),
            "--alg",
            alg,
            "--kid",
            &kid,
            "--claims",
            claims,
        ]);
        assert!(
            t.status.success(),
            "{alg}: {}",
            String::from_utf8_lossy(&t.stderr)
        );
        let t = stdout(&t);
        let o = run(&[
            "verify",
            "--policy",
            &policy,
            "--now",
            "1900000000",
            t.trim(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{alg}: {}", stdout(&o));
    }
}

#[test]
fn cookie_sign_and_verify_round_trip_with_exit_codes() {
    use base64::Engine as _;
    let dir = TempDir::new("cookie");
    let key =
        base64::engine::general_purpose::URL_SAFE.encode(edgeward_cli::cookie::random_bytes(16));
    let policy = dir.path("policy.json");
    std::fs::write(
        &policy,
        r#"{"version":1,"public_origin":"https://cdn.example.com",
            "providers":{"cdn":{"kind":"signed_cookie","signed":{"scheme":"google_cloud_cdn",
              "keys":[{"name":"k1","secret_from_env":"EDGEWARD_TEST_GOOGLE_KEY"}]}}},
            "rules":[{"match":{"prefix":"/"},"requires":{"provider_name":"cdn"}}]}"#,
    )
    .unwrap();
    let env = |c: &mut Command| {
        c.env("EDGEWARD_TEST_GOOGLE_KEY", &key);
    };
    let mut sign = bin();
    env(&mut sign);
    let out = sign
        .args([
            "cookie",
            "sign",
            "google-cookie",
            "--key-name",
            "k1",
            "--key-env",
            "EDGEWARD_TEST_GOOGLE_KEY",
            "--prefix",
            "https://cdn.example.com/videos",
            "--expires",
            "1800000600",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let cookie = stdout(&out).trim().to_string();
    assert!(cookie.starts_with("Cloud-CDN-Cookie=URLPrefix="));
    // The key never appears in what the signer prints; the prefix warning goes to stderr.
    assert!(!cookie.contains(&key));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not end in /"));

    let verify = |url: &str, now: &str| {
        let mut c = bin();
        env(&mut c);
        c.args([
            "cookie", "verify", "--policy", &policy, "--url", url, "--cookie", &cookie, "--now",
            now, "--json",
        ])
        .output()
        .unwrap()
    };
    let ok = verify("https://cdn.example.com/videos/a.mp4", "1800000000");
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    let v: serde_json::Value = serde_json::from_str(&stdout(&ok)).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["claims"]["kid"], "k1");
    let late = verify("https://cdn.example.com/videos/a.mp4", "1800000600");
    assert_eq!(late.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&late)).unwrap();
    assert_eq!(
        (v["reason"].as_str(), v["status"].as_i64()),
        (Some("cookie_expired"), Some(403))
    );
    let outside = verify("https://cdn.example.com/music/a.mp3", "1800000000");
    let v: serde_json::Value = serde_json::from_str(&stdout(&outside)).unwrap();
    assert_eq!(v["reason"], "cookie_scope_mismatch");
    // The reasons list gives each code's status per credential kind.
    let reasons = stdout(&run(&["reasons"]));
    assert!(reasons.starts_with("code\tbearer\tsigned\tsession\n"));
    assert!(reasons.contains("cookie_expired\t401\t403\t401\n"));
}
