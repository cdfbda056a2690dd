//! Shared test kit: keys generated at run time (never committed), token minting, policies.
#![allow(dead_code)]

use std::sync::OnceLock;

use edgeward::b64;
use edgeward::jwa::Alg;
use edgeward::Policy;
use edgeward_cli::keys::SigningKey;
use serde_json::{json, Value};

/// One freshly generated key per algorithm, with `kid` = the algorithm name.
pub struct Kit {
    keys: Vec<(Alg, SigningKey)>,
}

pub fn kit() -> &'static Kit {
    static KIT: OnceLock<Kit> = OnceLock::new();
    KIT.get_or_init(|| Kit {
        keys: Alg::ALL
            .iter()
            .map(|a| (*a, SigningKey::generate(*a).expect("keygen")))
            .collect(),
    })
}

pub const ISS: &str = "https://idp.example";
pub const NOW: i64 = 1_800_000_000;

impl Kit {
    pub fn key(&self, alg: Alg) -> &SigningKey {
        &self.keys.iter().find(|(a, _)| *a == alg).expect("key").1
    }

    /// The public JWK of `alg`'s key, bound to `alg`, `kid` = alg name.
    pub fn public_jwk(&self, alg: Alg) -> Value {
        let mut m = self.key(alg).public_jwk();
        m.insert("kid".into(), alg.name().into());
        m.insert("alg".into(), alg.name().into());
        Value::Object(m)
    }

    /// A JWK set with every algorithm's key.
    pub fn jwks(&self) -> Value {
        json!({"keys": Alg::ALL.iter().map(|a| self.public_jwk(*a)).collect::<Vec<_>>()})
    }

    /// Signs raw header JSON and payload bytes.
    pub fn sign_raw(&self, alg: Alg, header: &str, payload: &[u8]) -> String {
        let input = format!(
            "{}.{}",
            b64::encode(header.as_bytes()),
            b64::encode(payload)
        );
        let sig = self.key(alg).sign(alg, input.as_bytes()).expect("sign");
        format!("{input}.{}", b64::encode(&sig))
    }

    /// Signs claims with the standard header `{"alg","typ":"JWT","kid"}`.
    pub fn token(&self, alg: Alg, claims: &Value) -> String {
        let header = json!({"alg": alg.name(), "typ": "JWT", "kid": alg.name()});
        self.sign_raw(alg, &header.to_string(), claims.to_string().as_bytes())
    }
}

/// Claims that pass the default test provider at [`NOW`].
pub fn good_claims() -> Value {
    json!({"iss": ISS, "aud": "api", "sub": "user-1", "exp": NOW + 600, "iat": NOW - 10,
           "scope": "read write"})
}

/// A policy with one provider `idp` (all keys) plus `extra` provider fields, and `rules`
/// (a catch-all requiring `idp` when `rules` is null).
pub fn policy_with(extra: Value, rules: Value) -> Policy {
    Policy::from_json(policy_json(extra, rules).to_string().as_bytes()).expect("policy")
}

#[allow(clippy::needless_pass_by_value)]
pub fn policy_json(extra: Value, rules: Value) -> Value {
    let mut provider = json!({"issuer": ISS, "audiences": ["api"], "local_jwks": kit().jwks()});
    if let (Some(p), Some(e)) = (provider.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            p.insert(k.clone(), v.clone());
        }
    }
    let rules = if rules.is_null() {
        json!([{"match": {"prefix": "/"}, "requires": {"provider_name": "idp"}}])
    } else {
        rules
    };
    json!({"version": 1, "realm": "api", "providers": {"idp": provider}, "rules": rules})
}
