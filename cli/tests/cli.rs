//! The `edgeward` binary as scripts call it: exit codes, JSON output, PEM handling (keys made by
//! OpenSSL, an independent implementation, at run time).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

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

// ---------------------------------------------------------------------------------------------
// `edgeward cookie sign` then `edgeward cookie verify`, for every scheme, carrier and flag.

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The public origin, the path credentials are signed for, another path, and the clock.
const ORIGIN: &str = "https://cdn.example.com";
const PATH: &str = "/videos/a.mp4";
const ELSEWHERE: &str = "/music/a.mp3";
const NOW: i64 = 1_800_000_000;
const START: i64 = NOW - 60;
const EXP: i64 = NOW + 600;
/// The client an IP-bound credential is for, a peer in `trusted_proxies`, and one outside it.
const CLIENT: &str = "203.0.113.7";
const PROXY: &str = "10.1.2.3";
const STRANGER: &str = "198.51.100.9";
/// Where the binary finds its secrets (the policy and the signers read the same variables).
const GOOGLE_ENV: &str = "EDGEWARD_TEST_GOOGLE_KEY";
const AKAMAI_ENV: &str = "EDGEWARD_TEST_AKAMAI_KEY";
const SALT_ENV: &str = "EDGEWARD_TEST_AKAMAI_SALT";
const SESSION_ENV: &str = "EDGEWARD_TEST_SESSION_KEY";

/// A CDN test bed: `policy.json` with a provider per scheme and carrier, and keys made at run
/// time (`CloudFront` key pairs `rsa.pem` and `ec.pem` by `OpenSSL`, secrets from the OS RNG,
/// passed to every run through the environment). Commands run in the bed's directory, so
/// those names are the paths. Every run checks that no secret and no private-key line shows in
/// what it printed.
struct Cdn {
    dir: TempDir,
    env: Vec<(&'static str, String)>,
    secrets: Vec<String>,
}

impl Cdn {
    fn new(name: &str) -> Cdn {
        use base64::Engine as _;
        let dir = TempDir::new(name);
        assert!(
            openssl(&dir.0, &["version"]),
            "openssl is required for this test (.ci/run installs it)"
        );
        let mut public = Vec::new();
        let mut secrets = Vec::new();
        for (file, alg, opt) in [
            ("rsa.pem", "RSA", "rsa_keygen_bits:2048"),
            ("ec.pem", "EC", "ec_paramgen_curve:P-256"),
        ] {
            let out = format!("{file}.pub");
            let genpkey = ["genpkey", "-algorithm", alg, "-pkeyopt", opt, "-out", file];
            assert!(openssl(&dir.0, &genpkey));
            assert!(openssl(
                &dir.0,
                &["pkey", "-in", file, "-pubout", "-out", &out]
            ));
            public.push(std::fs::read_to_string(dir.path(&out)).unwrap());
            let private = std::fs::read_to_string(dir.path(file)).unwrap();
            let body = private
                .lines()
                .filter(|l| l.len() >= 32 && !l.starts_with("-----"));
            secrets.extend(body.map(String::from));
        }
        let random = edgeward_cli::cookie::random_bytes;
        let base64 = |engine: &base64::engine::GeneralPurpose, n| engine.encode(random(n));
        let hex = |n| -> String {
            random(n)
                .iter()
                .flat_map(|x| [x >> 4, x & 15])
                .map(|d| char::from_digit(u32::from(d), 16).unwrap())
                .collect()
        };
        let env = vec![
            (
                GOOGLE_ENV,
                base64(&base64::engine::general_purpose::URL_SAFE, 16),
            ),
            (AKAMAI_ENV, hex(32)),
            (SALT_ENV, hex(12)),
            (
                SESSION_ENV,
                base64(&base64::engine::general_purpose::URL_SAFE_NO_PAD, 32),
            ),
        ];
        secrets.extend(env.iter().map(|(_, v)| v.clone()));

        let cloudfront = json!({"scheme": "cloudfront", "keys": [
            {"name": "KRSA", "public_key_pem": public[0]},
            {"name": "KEC", "public_key_pem": public[1]}]});
        let google = json!({"scheme": "google_cloud_cdn",
            "keys": [{"name": "k1", "secret_from_env": GOOGLE_ENV}]});
        let akamai = |alg: &str| {
            json!({"scheme": "akamai_edgeauth", "algorithm": alg,
                "keys": [{"secret_from_env": AKAMAI_ENV}]})
        };
        let mut salted = akamai("md5");
        salted["salt_from_env"] = json!(SALT_ENV);
        // Two session providers reading the same cookie, told apart by issuer.
        let session = |issuer: &str, bind: bool| {
            json!({"kind": "session_cookie", "issuer": issuer, "audiences": ["app"],
                "clock_skew_seconds": 0,
                "secrets_from_env": [{"env": SESSION_ENV, "alg": "HS256", "kid": "s1"}],
                "session": {"lifetime_seconds": 600, "bind_client_ip": bind, "claims": ["role"]}})
        };
        let providers = json!({
            "cf-url": {"kind": "signed_url", "signed": cloudfront},
            "cf-cookie": {"kind": "signed_cookie", "signed": cloudfront},
            "google-url": {"kind": "signed_url", "signed": google},
            "google-cookie": {"kind": "signed_cookie", "signed": google},
            "akamai-url": {"kind": "signed_url", "signed": akamai("sha1")},
            "akamai-cookie": {"kind": "signed_cookie", "signed": akamai("sha256")},
            "akamai-salted": {"kind": "signed_cookie", "signed": salted,
                "from_cookies": ["edge_token"]},
            "session": session("https://edge.test/a", false),
            "session-ip": session("https://edge.test/ip", true),
        });
        let any: Vec<Value> = providers
            .as_object()
            .unwrap()
            .keys()
            .map(|name| json!({ "provider_name": name }))
            .collect();
        let doc = json!({"version": 1, "public_origin": ORIGIN, "trusted_proxies": ["10.0.0.0/8"],
            "providers": providers,
            "rules": [{"match": {"prefix": "/"}, "requires": {"requires_any": any}}]});
        std::fs::write(dir.path("policy.json"), doc.to_string()).unwrap();
        Cdn { dir, env, secrets }
    }

    /// The binary with `args` (split at whitespace), in the bed's directory, with the secrets
    /// in its environment.
    fn command(&self, args: &str) -> Command {
        let mut c = bin();
        c.current_dir(&self.dir.0)
            .args(args.split_whitespace())
            .envs(self.env.iter().map(|(k, v)| (k, v.as_str())));
        c
    }

    /// Runs `c` and checks that nothing it printed holds a secret. (Failure messages show
    /// the arguments, never the command: its `Debug` form lists the environment.)
    fn output(&self, c: &mut Command) -> Output {
        let o = c.output().expect("run edgeward");
        let (out, err) = (stdout(&o), stderr(&o));
        for s in &self.secrets {
            let args: Vec<_> = c.get_args().collect();
            assert!(
                !out.contains(s.as_str()) && !err.contains(s.as_str()),
                "a secret was printed by {args:?}"
            );
        }
        o
    }

    fn run(&self, args: &str) -> Output {
        self.output(&mut self.command(args))
    }

    /// `edgeward cookie sign ARGS`, which must succeed: what it printed, trimmed.
    fn sign(&self, args: &str) -> String {
        let o = self.run(&format!("cookie sign {args}"));
        assert_eq!(o.status.code(), Some(0), "{args}: {}", stderr(&o));
        stdout(&o).trim().to_string()
    }

    /// `edgeward cookie verify --json` for `provider` at `now` (add more arguments to it).
    fn verify_command(&self, provider: &str, url: &str, cookies: &[String], now: i64) -> Command {
        let mut c = self.command(&format!(
            "cookie verify --policy policy.json --provider {provider} --url {url} --now {now} --json"
        ));
        for cookie in cookies {
            c.args(["--cookie", cookie]);
        }
        c
    }

    fn verify(
        &self,
        provider: &str,
        url: &str,
        cookies: &[String],
        now: i64,
        more: &str,
    ) -> Output {
        let mut c = self.verify_command(provider, url, cookies, now);
        self.output(c.args(more.split_whitespace()))
    }
}

/// One signer invocation and what its credential should do.
struct Case {
    provider: &'static str,
    /// The arguments after `cookie sign`.
    sign: String,
    carrier: Carrier,
    /// The reason a request for `ELSEWHERE` gets (`None`: not bound to a path).
    elsewhere: Option<&'static str>,
    /// Valid from `START` (and not a second before).
    starts: bool,
    /// A claim the accepted credential shows.
    claim: (&'static str, Value),
}

/// Every signer, flag and carrier: `CloudFront` URLs and cookies with RSA and P-256 keys,
/// canned and custom policies, SHA-1 and SHA-256; Google URLs, URL-prefix URLs and cookies;
/// Akamai URL and ACL tokens in a parameter and in cookies, with each algorithm, start, id,
/// data and salt; session cookies.
fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (scheme, provider, carrier) in [
        ("cloudfront-url", "cf-url", Carrier::Url),
        ("cloudfront-cookie", "cf-cookie", Carrier::Cookies),
    ] {
        for (id, key) in [("KRSA", "rsa.pem"), ("KEC", "ec.pem")] {
            for custom in [false, true] {
                // Each hash with each key type and each policy kind.
                let hash = if (id == "KEC") == custom {
                    "SHA256"
                } else {
                    "SHA1"
                };
                let policy = if custom {
                    format!("--policy {}", cf_policy(None))
                } else {
                    format!("--expires {EXP}")
                };
                cases.push(Case {
                    provider,
                    sign: format!(
                        "{scheme} --private-key {key} --key-pair-id {id} --url {ORIGIN}{PATH} \
                         {policy} --hash-algorithm {hash}"
                    ),
                    carrier,
                    // A canned policy signs the URL itself.
                    elsewhere: Some(if custom {
                        "cookie_scope_mismatch"
                    } else {
                        "signature_invalid"
                    }),
                    starts: custom,
                    claim: ("kid", json!(id)),
                });
            }
        }
    }
    let google = format!("--key-name k1 --key-env {GOOGLE_ENV} --expires {EXP}");
    let prefix = format!("{ORIGIN}/videos/");
    cases.push(Case {
        provider: "google-url",
        sign: format!("google-url --url {ORIGIN}{PATH} {google}"),
        carrier: Carrier::Url,
        elsewhere: Some("signature_invalid"),
        starts: false,
        claim: ("kid", json!("k1")),
    });
    cases.push(Case {
        provider: "google-url",
        sign: format!("google-url --url {ORIGIN}{PATH} --prefix {prefix} {google}"),
        carrier: Carrier::Url,
        elsewhere: Some("cookie_scope_mismatch"),
        starts: false,
        claim: ("url_prefix", json!(prefix)),
    });
    cases.push(Case {
        provider: "google-cookie",
        sign: format!("google-cookie --prefix {prefix} {google}"),
        carrier: Carrier::Cookies,
        elsewhere: Some("cookie_scope_mismatch"),
        starts: false,
        claim: ("url_prefix", json!(prefix)),
    });
    let akamai = format!("akamai --key-env {AKAMAI_ENV} --expires {EXP}");
    cases.push(Case {
        provider: "akamai-url",
        sign: format!("{akamai} --algorithm sha1 --url {PATH} --id viewer-1"),
        carrier: Carrier::Param("__token__"),
        // A URL token signs the path without carrying it.
        elsewhere: Some("signature_invalid"),
        starts: false,
        claim: ("id", json!("viewer-1")),
    });
    cases.push(Case {
        provider: "akamai-cookie",
        sign: format!("{akamai} --acl /videos/* --start {START} --data gold"),
        carrier: Carrier::Cookie("__token__"),
        elsewhere: Some("cookie_scope_mismatch"),
        starts: true,
        claim: ("data", json!("gold")),
    });
    cases.push(Case {
        provider: "akamai-salted",
        sign: format!("{akamai} --algorithm md5 --salt-env {SALT_ENV} --acl /videos/*"),
        carrier: Carrier::Cookie("edge_token"),
        elsewhere: Some("cookie_scope_mismatch"),
        starts: false,
        claim: ("acl", json!(["/videos/*"])),
    });
    cases.push(Case {
        provider: "session",
        sign: session_args("session", r#"{"sub":"u1","role":"admin"}"#),
        carrier: Carrier::SetCookie,
        // Not bound to a path (its scope is issuer and audience: see the --provider test).
        elsewhere: None,
        starts: false,
        claim: ("role", json!("admin")),
    });
    cases
}

/// `cookie sign` arguments minting a session cookie for `provider` at `NOW`.
fn session_args(provider: &str, claims: &str) -> String {
    format!("session --policy policy.json --provider {provider} --claims {claims} --now {NOW}")
}

/// Where a signer's output goes in the request.
#[derive(Clone, Copy)]
enum Carrier {
    /// It is the signed URL.
    Url,
    /// A token in this query parameter.
    Param(&'static str),
    /// A token in this cookie.
    Cookie(&'static str),
    /// `name=value` cookies, one a line.
    Cookies,
    /// A `Set-Cookie` header value.
    SetCookie,
}

impl Carrier {
    /// The request URL and `--cookie` values that present `signed` in a request for `path`.
    fn present(self, signed: &str, path: &str) -> (String, Vec<String>) {
        let url = format!("{ORIGIN}{path}");
        match self {
            Carrier::Url => {
                assert!(signed.starts_with(&format!("{ORIGIN}{PATH}?")), "{signed}");
                (signed.replacen(PATH, path, 1), Vec::new())
            }
            Carrier::Param(name) => (format!("{url}?{name}={signed}"), Vec::new()),
            Carrier::Cookie(name) => (url, vec![format!("{name}={signed}")]),
            Carrier::Cookies => (url, signed.lines().map(String::from).collect()),
            Carrier::SetCookie => {
                let (pair, attributes) = signed.split_once("; ").unwrap();
                assert!(attributes.contains("HttpOnly"), "{signed}");
                (url, vec![pair.to_string()])
            }
        }
    }
}

/// A `CloudFront` custom policy for everything under `/videos/`, from `START` to `EXP`,
/// optionally for one network only.
fn cf_policy(source_ip: Option<&str>) -> String {
    let mut condition = json!({"DateLessThan": {"AWS:EpochTime": EXP},
        "DateGreaterThan": {"AWS:EpochTime": START}});
    if let Some(ip) = source_ip {
        condition["IpAddress"] = json!({ "AWS:SourceIp": ip });
    }
    json!({"Statement": [{"Resource": format!("{ORIGIN}/videos/*"), "Condition": condition}]})
        .to_string()
}

/// `signed` with one character of its signature changed, within the signature's alphabet
/// (base64, `CloudFront` base64, hex): `Signature=` (Google, `CloudFront`), `hmac=`
/// (Akamai), or the last segment of a JWS (session).
fn tamper(signed: &str) -> String {
    let jws = signed.split(';').next().unwrap_or(signed);
    let at = ["Signature=", "hmac="]
        .iter()
        .find_map(|m| signed.rfind(m).map(|i| i + m.len()))
        .or_else(|| jws.rfind('.').map(|i| i + 1))
        .expect("a signature")
        + 12;
    let mut out = signed.to_string();
    let new = if &signed[at..=at] == "a" { "b" } else { "a" };
    out.replace_range(at..=at, new);
    out
}

/// Checks `cookie verify --json` output: exit 0 and `valid: true` with no reason, or exit 1,
/// `valid: false` and `reason`, with the status `edgeward reasons` gives for the kind.
fn expect(o: &Output, reason: Option<&str>, what: &str) -> Value {
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{what}: {e}: stdout {:?}, stderr {:?}",
            stdout(o),
            stderr(o)
        )
    });
    let rejected = reason.is_some();
    assert_eq!(
        (o.status.code(), v["valid"].as_bool(), v["reason"].as_str()),
        (Some(i32::from(rejected)), Some(!rejected), reason),
        "{what}: {v}"
    );
    let status = match (reason, v["kind"].as_str()) {
        (None, _) => 200,
        (Some("token_ambiguous"), _) => 400,
        (Some(_), Some("session_cookie")) => 401,
        (Some(_), _) => 403,
    };
    assert_eq!(v["status"], status, "{what}: {v}");
    v
}

#[test]
fn cookie_sign_then_verify_every_scheme() {
    let cdn = Cdn::new("schemes");
    for case in cases() {
        let signed = cdn.sign(&case.sign);
        let check = |signed: &str, path: &str, now: i64, reason: Option<&str>, step: &str| {
            let (url, cookies) = case.carrier.present(signed, path);
            let o = cdn.verify(case.provider, &url, &cookies, now, "");
            expect(
                &o,
                reason,
                &format!("{}: {}, {step}", case.provider, case.sign),
            )
        };
        let v = check(&signed, PATH, NOW, None, "as signed");
        let (claim, value) = &case.claim;
        assert_eq!(
            (
                v["provider"].as_str(),
                &v["claims"]["exp"],
                &v["claims"][claim]
            ),
            (Some(case.provider), &json!(EXP), value),
            "{}: {v}",
            case.sign
        );
        check(
            &tamper(&signed),
            PATH,
            NOW,
            Some("signature_invalid"),
            "tampered",
        );
        check(&signed, PATH, EXP - 1, None, "a second before expiry");
        check(&signed, PATH, EXP, Some("cookie_expired"), "at expiry");
        if case.starts {
            check(&signed, PATH, START, None, "at start");
            check(
                &signed,
                PATH,
                START - 1,
                Some("cookie_not_yet_valid"),
                "before start",
            );
        }
        if let Some(reason) = case.elsewhere {
            check(&signed, ELSEWHERE, NOW, Some(reason), "another path");
        }
    }
}

#[test]
fn forwarded_client_address_is_believed_only_from_trusted_proxies() {
    let cdn = Cdn::new("forwarded");
    let bound = [
        (
            "akamai-cookie",
            Carrier::Cookie("__token__"),
            format!("akamai --key-env {AKAMAI_ENV} --acl /videos/* --ip {CLIENT} --expires {EXP}"),
        ),
        (
            "cf-url",
            Carrier::Url,
            format!(
                "cloudfront-url --private-key ec.pem --key-pair-id KEC --url {ORIGIN}{PATH} \
                 --policy {}",
                cf_policy(Some("203.0.113.0/24"))
            ),
        ),
        (
            "session-ip",
            Carrier::SetCookie,
            session_args("session-ip", r#"{"sub":"u1"}"#) + " --client-ip " + CLIENT,
        ),
    ];
    let ip = Some("cookie_ip_mismatch");
    let requests = [
        (format!("--client-ip {CLIENT}"), None),
        (
            format!("--client-ip {PROXY} --header X-Forwarded-For:{CLIENT}"),
            None,
        ),
        (
            format!("--client-ip {PROXY} --header Forwarded:for={CLIENT}"),
            None,
        ),
        // A trusted proxy forwarding another client, or nothing (then it is the client).
        (
            format!("--client-ip {PROXY} --header X-Forwarded-For:{STRANGER}"),
            ip,
        ),
        (format!("--client-ip {PROXY}"), ip),
        // Any other peer's forwarded headers are ignored.
        (
            format!("--client-ip {STRANGER} --header X-Forwarded-For:{CLIENT}"),
            ip,
        ),
        // No peer: the client is unknown.
        (format!("--header X-Forwarded-For:{CLIENT}"), ip),
    ];
    for (provider, carrier, sign) in &bound {
        let (url, cookies) = carrier.present(&cdn.sign(sign), PATH);
        for (request, reason) in &requests {
            let o = cdn.verify(provider, &url, &cookies, NOW, request);
            expect(&o, *reason, &format!("{provider}, {request}"));
        }
    }
}

#[test]
fn provider_flag_picks_among_cookie_providers() {
    let cdn = Cdn::new("providers");
    // Both session providers read the same cookie; only the issuer tells them apart.
    let minted =
        cdn.sign(&(session_args("session-ip", r#"{"sub":"u1"}"#) + " --client-ip " + CLIENT));
    let (url, cookies) = Carrier::SetCookie.present(&minted, PATH);
    let at_client = format!("--client-ip {CLIENT}");
    let v = expect(
        &cdn.verify("session-ip", &url, &cookies, NOW, &at_client),
        None,
        "session-ip",
    );
    assert_eq!(
        (
            &v["provider"],
            &v["kind"],
            &v["claims"]["iss"],
            &v["claims"]["cip"]
        ),
        (
            &json!("session-ip"),
            &json!("session_cookie"),
            &json!("https://edge.test/ip"),
            &json!(CLIENT)
        )
    );
    let v = expect(
        &cdn.verify("session", &url, &cookies, NOW, &at_client),
        Some("cookie_scope_mismatch"),
        "session",
    );
    assert_eq!(v["provider"], "session");
    let o = cdn.verify("google-cookie", &url, &cookies, NOW, &at_client);
    expect(&o, Some("cookie_missing"), "google-cookie");

    // Without --json: the verdict on the first line.
    let verify = format!(
        "cookie verify --policy policy.json --url {url} --cookie {} --now {NOW} {at_client}",
        cookies[0]
    );
    let o = cdn.run(&format!("{verify} --provider session-ip"));
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).starts_with("valid (provider session-ip)\n{"),
        "{}",
        stdout(&o)
    );
    let o = cdn.run(&format!("{verify} --provider session"));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).starts_with("rejected: cookie_scope_mismatch"),
        "{}",
        stdout(&o)
    );

    // Several cookie providers and no --provider, or an unknown one: usage errors.
    for (more, message) in [
        ("", "--provider is required"),
        ("--provider nosuch", "no provider named \"nosuch\""),
    ] {
        let o = cdn.run(&format!("{verify} {more}"));
        assert_eq!(o.status.code(), Some(2), "{more}");
        assert!(
            stdout(&o).is_empty() && stderr(&o).contains(message),
            "{}",
            stderr(&o)
        );
    }

    // One cookie provider next to a JWT provider: picked without --provider.
    let doc = json!({"version": 1, "public_origin": ORIGIN, "providers": {
        "idp": {"issuer": "https://idp.test", "audiences": ["api"], "local_jwks": {"keys": [
            {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}},
        "cdn": {"kind": "signed_cookie", "signed": {"scheme": "google_cloud_cdn",
            "keys": [{"name": "k1", "secret_from_env": GOOGLE_ENV}]}}},
        "rules": [{"match": {"prefix": "/"}, "requires": {"requires_any": [
            {"provider_name": "idp"}, {"provider_name": "cdn"}]}}]});
    std::fs::write(cdn.dir.path("one-cookie-provider.json"), doc.to_string()).unwrap();
    let cookie = cdn.sign(&format!(
        "google-cookie --key-name k1 --key-env {GOOGLE_ENV} --prefix {ORIGIN}/ --expires {EXP}"
    ));
    let o = cdn.run(&format!(
        "cookie verify --policy one-cookie-provider.json --url {url} --cookie {cookie} \
         --now {NOW} --json"
    ));
    assert_eq!(expect(&o, None, "sole cookie provider")["provider"], "cdn");
}

#[test]
fn repeated_cookie_is_ambiguous() {
    let cdn = Cdn::new("ambiguous");
    let in_cookies = cases()
        .into_iter()
        .filter(|c| !matches!(c.carrier, Carrier::Url | Carrier::Param(_)));
    for case in in_cookies {
        let (url, cookies) = case.carrier.present(&cdn.sign(&case.sign), PATH);
        let name = cookies[0].split_once('=').unwrap().0;
        // The same cookie again in a second --cookie, or another value in the same header.
        let again = [&cookies[..], &cookies[..1]].concat();
        let other = [&cookies[1..], &[format!("{}; {name}=other", cookies[0])]].concat();
        for (how, cookies) in [("again", again), ("with another value", other)] {
            let what = format!("{}: {name} {how}", case.sign);
            let o = cdn.verify(case.provider, &url, &cookies, NOW, "");
            assert_eq!(
                expect(&o, Some("token_ambiguous"), &what)["claims"],
                Value::Null
            );
        }
    }
}

#[test]
fn secrets_stay_out_of_error_messages() {
    let cdn = Cdn::new("errors");
    // A signer secret that is not set, or does not decode: the error names the variable only.
    let bad = "not-a-key!bad-secret-3f9a";
    for (var, sign) in [
        (
            GOOGLE_ENV,
            format!("google-url --key-name k1 --key-env {GOOGLE_ENV} --url {ORIGIN}/"),
        ),
        (
            AKAMAI_ENV,
            format!("akamai --key-env {AKAMAI_ENV} --acl /*"),
        ),
        (
            SALT_ENV,
            format!("akamai --key-env {AKAMAI_ENV} --acl /* --salt-env {SALT_ENV}"),
        ),
    ] {
        let args = format!("cookie sign {sign} --expires {EXP}");
        let o = cdn.output(cdn.command(&args).env_remove(var));
        assert_eq!(o.status.code(), Some(2), "{args}");
        assert!(
            stderr(&o).contains(&format!("{var} is not set")),
            "{}",
            stderr(&o)
        );
        if var != SALT_ENV {
            let o = cdn.output(cdn.command(&args).env(var, bad));
            assert_eq!(o.status.code(), Some(2), "{args}");
            assert!(
                stdout(&o).is_empty() && !stderr(&o).contains(bad),
                "{}",
                stderr(&o)
            );
        }
    }
    // A policy secret that is refused: the policy error names the variable, not the value.
    let short = "c2hvcnQtc2Vzc2lvbi1rZXk";
    let verify = format!("cookie verify --policy policy.json --provider session --url {ORIGIN}/");
    let o = cdn.output(cdn.command(&verify).env(SESSION_ENV, short));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(SESSION_ENV) && !stderr(&o).contains(short),
        "{}",
        stderr(&o)
    );
    // A key file the CloudFront signer cannot use: nothing of it is echoed.
    let body = "bm90IGEga2V5IGJ1dCBzZWNyZXQgYnl0ZXMgYWxsIHRoZSBzYW1l";
    let pem = format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n");
    std::fs::write(cdn.dir.path("not-a-key.pem"), pem).unwrap();
    for key in ["not-a-key.pem", "rsa.pem.pub"] {
        let o = cdn.run(&format!(
            "cookie sign cloudfront-url --private-key {key} --key-pair-id KRSA --url {ORIGIN}/ \
             --expires {EXP}"
        ));
        assert_eq!(o.status.code(), Some(2), "{key}");
        assert!(
            stdout(&o).is_empty() && !stderr(&o).contains(body),
            "{}",
            stderr(&o)
        );
    }
}

#[test]
fn malformed_client_ip_is_a_usage_error() {
    let cdn = Cdn::new("client-ip");
    let sign = session_args("session", r#"{"sub":"u1"}"#);
    let (url, cookies) = Carrier::SetCookie.present(&cdn.sign(&sign), PATH);
    let well_formed = format!("--client-ip {CLIENT}");
    let o = cdn.verify("session", &url, &cookies, NOW, &well_formed);
    expect(&o, None, &well_formed);
    for bad in ["203.0.113", "client.example", ""] {
        let verify = cdn.verify_command("session", &url, &cookies, NOW);
        let sign = cdn.command(&format!("cookie sign {sign}"));
        for mut c in [verify, sign] {
            let o = cdn.output(c.args(["--client-ip", bad]));
            assert_eq!(o.status.code(), Some(2), "{bad:?}: {}", stdout(&o));
            assert!(stdout(&o).is_empty(), "{bad:?}: {}", stdout(&o));
            assert!(
                stderr(&o).contains("--client-ip"),
                "{bad:?}: {}",
                stderr(&o)
            );
        }
    }
}

#[test]
fn mistakes_on_the_command_line_are_usage_errors() {
    let cdn = Cdn::new("mistakes");
    let sign = session_args("session", r#"{"sub":"u1"}"#);
    let (url, cookies) = Carrier::SetCookie.present(&cdn.sign(&sign), PATH);
    expect(
        &cdn.verify("session", &url, &cookies, NOW, ""),
        None,
        "as given",
    );
    // The origin comes from the policy (public_origin), never from --url: a URL for another
    // origin would otherwise be judged as if it were for this one.
    let elsewhere = url.replace(ORIGIN, "https://evil.example");
    let bad: [(&str, String); 4] = [
        ("another origin", elsewhere),
        ("--url twice", format!("{url} --url {url}")),
        ("--now twice", format!("{url} --now {NOW}")),
        ("--provider twice", format!("{url} --provider session")),
    ];
    for (what, url) in bad {
        let o = cdn.verify("session", &url, &cookies, NOW, "");
        assert_eq!(o.status.code(), Some(2), "{what}: {}", stdout(&o));
        assert!(stdout(&o).is_empty(), "{what}: {}", stdout(&o));
        assert!(!stderr(&o).is_empty(), "{what}");
    }
    // Repeating the repeatable flags is fine (two cookie headers, two headers).
    let o = cdn.verify(
        "session",
        &url,
        &cookies,
        NOW,
        "--header accept:*/* --header x-a:b --cookie other=1",
    );
    expect(&o, None, "repeated --header and --cookie");
    // A query without a path is the root's query.
    let o = cdn.verify("session", &format!("{ORIGIN}?x=1"), &cookies, NOW, "");
    expect(&o, None, "no path");
    // A Google key of the wrong length signs nothing a policy could verify.
    let mut c = cdn.command(&format!(
        "cookie sign google-url --key-name k1 --key-env {GOOGLE_ENV} --url {ORIGIN}{PATH} --expires {EXP}"
    ));
    let o = cdn.output(c.env(GOOGLE_ENV, "AAAAAAAAAAAAAAAAAAAAAAAA"));
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("the Google key is 18 bytes; Cloud CDN keys are 16"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn policy_check_describes_signed_providers() {
    let cdn = Cdn::new("policy-check");
    let o = cdn.run("policy check policy.json");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    for line in [
        "provider cf-url: signed_url (cloudfront)",
        "provider google-cookie: signed_cookie (google_cloud_cdn)",
        "provider akamai-salted: signed_cookie (akamai_edgeauth)",
        "note: a Google URLPrefix is a plain string prefix",
    ] {
        assert!(out.contains(line), "{line:?} in {out}");
    }
    // The JWT warnings are about issuers and audiences, which signed credentials do not have.
    assert!(!out.contains("no issuer"), "{out}");
}
