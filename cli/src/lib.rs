//! Library side of the `edgeward` CLI: option parsing and development-only key handling
//! (generation, private JWK/PEM loading, signing). Tests use it to mint tokens at run time.

pub mod cookie;
pub mod import;
pub mod keys;

/// Usage text.
pub const USAGE: &str = "usage:
  edgeward verify --policy FILE [--provider NAME] [--now UNIX_SECONDS] [--json] [--jws] [TOKEN | -]
  edgeward inspect TOKEN
  edgeward jwk PEMFILE [--alg ALG]
  edgeward keygen --alg ALG [--kid KID] --private-out FILE
  edgeward sign --key JWK-OR-PEM-FILE --alg ALG --claims JSON [--kid KID] [--typ TYP] [--header JSON]
  edgeward cookie verify --policy FILE [--provider NAME] --url URL [--cookie RAW_COOKIE_HEADER]...
                  [--header NAME:VALUE]... [--client-ip IP] [--now UNIX_SECONDS] [--json]
  edgeward cookie sign session --policy FILE --provider NAME --claims JSON [--client-ip IP] [--now T]
  edgeward cookie sign google-url --key-name N --key-env VAR --url URL --expires T [--prefix URL]
  edgeward cookie sign google-cookie --key-name N --key-env VAR --prefix URL --expires T
  edgeward cookie sign akamai --key-env VAR [--algorithm sha256|sha1|md5] (--acl A | --url PATH)
                  --expires T [--start T] [--ip IP] [--id ID] [--data DATA] [--salt-env VAR]
  edgeward cookie sign cloudfront-url|cloudfront-cookie --private-key PEMFILE --key-pair-id ID
                  --url URL (--expires T | --policy JSON) [--hash-algorithm SHA1|SHA256]
  edgeward policy check FILE
  edgeward import-jwt-authn FILE          (Envoy jwt_authn config, YAML or JSON -> policy)
  edgeward reasons

exit codes: 0 valid, 1 rejected, 2 usage or policy error";

/// A usage or configuration error (exit 2).
#[derive(Debug)]
pub struct Fail(pub String);

impl<E: std::fmt::Display> From<E> for Fail {
    fn from(e: E) -> Self {
        Fail(e.to_string())
    }
}

/// Parsed `--flag value` options and positionals.
pub struct Opts {
    flags: Vec<(String, Option<String>)>,
    /// Positional arguments.
    pub positional: Vec<String>,
}

impl Opts {
    /// Splits `args`; `booleans` lists the flags that take no value.
    pub fn parse(args: &[String], booleans: &[&str]) -> Result<Opts, Fail> {
        let mut flags = Vec::new();
        let mut positional = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if let Some(name) = a.strip_prefix("--") {
                if booleans.contains(&name) {
                    flags.push((name.to_string(), None));
                } else {
                    let v = it
                        .next()
                        .ok_or_else(|| Fail(format!("--{name} needs a value")))?;
                    flags.push((name.to_string(), Some(v.clone())));
                }
            } else {
                positional.push(a.clone());
            }
        }
        Ok(Opts { flags, positional })
    }

    /// The value of `--name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_deref())
    }

    /// Every value of a repeatable `--name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.flags
            .iter()
            .filter(|(n, _)| n == name)
            .filter_map(|(_, v)| v.as_deref())
            .collect()
    }

    /// True when `--name` was given.
    pub fn has(&self, name: &str) -> bool {
        self.flags.iter().any(|(n, _)| n == name)
    }

    /// The value of `--name`, or a usage error.
    pub fn need(&self, name: &str) -> Result<&str, Fail> {
        self.get(name)
            .ok_or_else(|| Fail(format!("--{name} is required\n{USAGE}")))
    }

    /// Rejects flags outside `known`, and any flag given twice.
    pub fn only(&self, known: &[&str]) -> Result<(), Fail> {
        self.only_repeating(known, &[])
    }

    /// Rejects flags outside `known`, and any flag given twice unless it is in `repeatable`
    /// (a second `--url` or `--client-ip` is a mistake to report, not a value to pick).
    pub fn only_repeating(&self, known: &[&str], repeatable: &[&str]) -> Result<(), Fail> {
        if let Some((n, _)) = self
            .flags
            .iter()
            .find(|(n, _)| !known.contains(&n.as_str()))
        {
            return Err(Fail(format!("unknown option --{n}\n{USAGE}")));
        }
        for (i, (n, _)) in self.flags.iter().enumerate() {
            if !repeatable.contains(&n.as_str()) && self.flags[..i].iter().any(|(m, _)| m == n) {
                return Err(Fail(format!("--{n} is given more than once")));
            }
        }
        Ok(())
    }
}
