//! JWS compact serialization (RFC 7515), verification only.
//!
//! Order of checks, each before the next is attempted: size cap -> exactly three segments (five
//! is a JWE) -> strict base64url into capped buffers -> bounded JSON header -> `alg` known and
//! not `none` -> `crit` / `b64` -> (with a provider) `alg` in the allow-list -> key chosen by
//! `kid` and bound to `alg` -> signature. The payload is reachable only through [`Verified`],
//! or explicitly as unverified bytes for provider routing.

use alloc::string::String;
use alloc::vec::Vec;

use crate::b64;
use crate::json::{self, Limits, Value};
use crate::jwa::{self, Alg, AlgSet};
use crate::jwk::{Key, KeySet};
use crate::reason::{Reason, Rejection};

/// Size caps applied before any decoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenLimits {
    /// Maximum bytes of the whole compact token.
    pub max_token: usize,
    /// Maximum decoded bytes of the protected header.
    pub max_header: usize,
}

impl Default for TokenLimits {
    fn default() -> Self {
        TokenLimits {
            max_token: 8 * 1024,
            max_header: 1024,
        }
    }
}

/// The protected header members we act on. Other members are kept only in `raw`.
#[derive(Clone, Debug)]
pub struct Header {
    /// The algorithm (never `none`).
    pub alg: Alg,
    /// The key id, if any.
    pub kid: Option<String>,
    /// The media type, if any.
    pub typ: Option<String>,
    /// The whole header object.
    pub raw: Value,
}

/// A token split and decoded, signature not yet checked.
#[derive(Debug)]
pub struct Compact<'t> {
    signing_input: &'t str,
    header: Header,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

/// A token whose signature verified. Only this type gives out the payload as trusted.
#[derive(Clone, Debug)]
pub struct Verified {
    /// The protected header.
    pub header: Header,
    payload: Vec<u8>,
    /// The `kid` of the key that verified it.
    pub key_kid: Option<String>,
    /// The RFC 7638 thumbprint of the key that verified it.
    pub key_thumbprint: String,
}

impl Verified {
    /// The verified payload bytes.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }
}

/// Returns true for bytes a compact JWS may contain (base64url alphabet and dots).
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'
}

impl<'t> Compact<'t> {
    /// Splits and decodes `token`, checking the header but not the signature.
    ///
    /// # Errors
    /// - `token_too_large`: over `limits.max_token`, or the header over `limits.max_header`.
    /// - `token_is_jwe`: five segments.
    /// - `token_malformed`: not three segments, bad base64url, bad or bounded-out header JSON,
    ///   missing or non-string `alg`.
    /// - `alg_not_allowed`: `alg` is `none` (any casing) or not an algorithm we implement.
    /// - `crit_unsupported`: any `crit`, or `b64` other than `true`.
    pub fn parse(token: &'t str, limits: &TokenLimits) -> Result<Compact<'t>, Rejection> {
        if token.len() > limits.max_token {
            return Err(Rejection::new(Reason::TokenTooLarge, "token"));
        }
        if !token.bytes().all(is_token_byte) {
            return Err(Rejection::new(Reason::TokenMalformed, "characters"));
        }
        let dots = token.bytes().filter(|b| *b == b'.').count();
        if dots == 4 {
            return Err(Reason::TokenIsJwe.into());
        }
        if dots != 2 {
            return Err(Rejection::new(Reason::TokenMalformed, "segments"));
        }
        let mut parts = token.splitn(3, '.');
        let (Some(h), Some(p), Some(s)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(Rejection::new(Reason::TokenMalformed, "segments"));
        };
        if b64::decoded_len(h.len()) > limits.max_header {
            return Err(Rejection::new(Reason::TokenTooLarge, "header"));
        }
        let header_bytes =
            b64::decode(h).map_err(|_| Rejection::new(Reason::TokenMalformed, "header base64"))?;
        let header = parse_header(&header_bytes)?;
        let payload =
            b64::decode(p).map_err(|_| Rejection::new(Reason::TokenMalformed, "payload base64"))?;
        let signature = b64::decode(s)
            .map_err(|_| Rejection::new(Reason::TokenMalformed, "signature base64"))?;
        let signing_input = token
            .get(..h.len() + 1 + p.len())
            .ok_or(Rejection::new(Reason::TokenMalformed, "segments"))?;
        Ok(Compact {
            signing_input,
            header,
            payload,
            signature,
        })
    }

    /// The header (not yet authenticated).
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The payload bytes before verification: for routing decisions only (e.g. picking the
    /// provider by `iss`), never for authorisation.
    pub fn unverified_payload(&self) -> &[u8] {
        &self.payload
    }

    /// Verifies the signature with a key from `keys`, requiring `alg` to be in `allowed`.
    ///
    /// # Errors
    /// - `alg_not_allowed`: `alg` outside `allowed`, or the `kid`'s key is bound to another alg.
    /// - `key_not_found` / `kid_missing`: see [`KeySet::select`].
    /// - `signature_invalid`: no candidate key verifies the signature.
    pub fn verify(self, keys: &KeySet, allowed: AlgSet) -> Result<Verified, Rejection> {
        let alg = self.header.alg;
        if !allowed.contains(alg) {
            return Err(Rejection::new(Reason::AlgNotAllowed, "allow-list"));
        }
        let candidates = keys.select(self.header.kid.as_deref(), alg)?;
        let found: Option<&Key> = candidates.into_iter().find(|k| {
            jwa::verify(
                alg,
                &k.material,
                self.signing_input.as_bytes(),
                &self.signature,
            )
        });
        let Some(key) = found else {
            return Err(Reason::SignatureInvalid.into());
        };
        Ok(Verified {
            key_kid: key.kid.clone(),
            key_thumbprint: key.thumbprint.clone(),
            header: self.header,
            payload: self.payload,
        })
    }
}

fn parse_header(bytes: &[u8]) -> Result<Header, Rejection> {
    let raw = json::parse(bytes, &Limits::HEADER)
        .map_err(|_| Rejection::new(Reason::TokenMalformed, "header json"))?;
    let obj = raw
        .as_object()
        .ok_or(Rejection::new(Reason::TokenMalformed, "header json"))?;
    let alg_name = match obj.get("alg") {
        Some(Value::String(s)) => s.as_str(),
        _ => return Err(Rejection::new(Reason::TokenMalformed, "alg")),
    };
    if alg_name.eq_ignore_ascii_case("none") {
        return Err(Rejection::new(Reason::AlgNotAllowed, "none"));
    }
    let alg = Alg::from_name(alg_name).ok_or(Rejection::new(Reason::AlgNotAllowed, "unknown"))?;
    // We implement no JWS extension, so any `crit` is unsupported (RFC 7515 4.1.11).
    if obj.get("crit").is_some() {
        return Err(Rejection::new(Reason::CritUnsupported, "crit"));
    }
    // RFC 7797 unencoded payloads are never accepted.
    match obj.get("b64") {
        None | Some(Value::Bool(true)) => {}
        Some(_) => return Err(Rejection::new(Reason::CritUnsupported, "b64")),
    }
    let kid = match obj.get("kid") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(Rejection::new(Reason::TokenMalformed, "kid")),
    };
    let typ = match obj.get("typ") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(Rejection::new(Reason::TokenMalformed, "typ")),
    };
    // `jku`, `x5u`, `jwk`, `x5c` are deliberately never read: keys come from the policy only.
    Ok(Header { alg, kid, typ, raw })
}

/// Compares a `typ` value with an expected media type as RFC 7515 4.1.9 says: case-insensitive,
/// with an optional `application/` prefix.
pub fn typ_matches(typ: &str, expected: &str) -> bool {
    fn strip(s: &str) -> &str {
        match s.get(..12) {
            Some(p) if p.eq_ignore_ascii_case("application/") => s.get(12..).unwrap_or(""),
            _ => s,
        }
    }
    strip(typ).eq_ignore_ascii_case(strip(expected))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(header: &str, payload: &str, sig: &[u8]) -> String {
        alloc::format!(
            "{}.{}.{}",
            b64::encode(header.as_bytes()),
            b64::encode(payload.as_bytes()),
            b64::encode(sig)
        )
    }

    fn reason(t: &str) -> Reason {
        Compact::parse(t, &TokenLimits::default())
            .unwrap_err()
            .reason
    }

    #[test]
    fn structure() {
        assert_eq!(reason("a.b"), Reason::TokenMalformed);
        assert_eq!(reason("a.b.c.d"), Reason::TokenMalformed);
        assert_eq!(reason("a.b.c.d.e"), Reason::TokenIsJwe);
        assert_eq!(reason("e30.e30.e30 "), Reason::TokenMalformed);
        assert_eq!(reason("e30=.e30.AA"), Reason::TokenMalformed);
        let big = "a".repeat(8 * 1024 + 1);
        assert_eq!(reason(&big), Reason::TokenTooLarge);
        let big_header = alloc::format!("{}.e30.AA", "e".repeat(1400));
        assert_eq!(reason(&big_header), Reason::TokenTooLarge);
    }

    #[test]
    fn header_rules() {
        for none in ["none", "None", "NONE", "nOnE"] {
            let t = tok(&alloc::format!(r#"{{"alg":"{none}"}}"#), "{}", b"");
            assert_eq!(reason(&t), Reason::AlgNotAllowed);
        }
        assert_eq!(
            reason(&tok(r#"{"alg":"HS257"}"#, "{}", b"x")),
            Reason::AlgNotAllowed
        );
        assert_eq!(
            reason(&tok(r#"{"alg":1}"#, "{}", b"x")),
            Reason::TokenMalformed
        );
        assert_eq!(
            reason(&tok(r#"{"typ":"JWT"}"#, "{}", b"x")),
            Reason::TokenMalformed
        );
        assert_eq!(
            reason(&tok(r#"{"alg":"HS256","alg":"none"}"#, "{}", b"x")),
            Reason::TokenMalformed
        );
        assert_eq!(
            reason(&tok(
                r#"{"alg":"HS256","crit":["exp"],"exp":1}"#,
                "{}",
                b"x"
            )),
            Reason::CritUnsupported
        );
        assert_eq!(
            reason(&tok(
                r#"{"alg":"HS256","b64":false,"crit":["b64"]}"#,
                "{}",
                b"x"
            )),
            Reason::CritUnsupported
        );
        assert_eq!(
            reason(&tok(r#"{"alg":"HS256","b64":false}"#, "{}", b"x")),
            Reason::CritUnsupported
        );
        assert!(Compact::parse(
            &tok(r#"{"alg":"HS256","b64":true}"#, "{}", b"x"),
            &TokenLimits::default()
        )
        .is_ok());
    }

    #[test]
    fn typ_comparison() {
        assert!(typ_matches("JWT", "jwt"));
        assert!(typ_matches("application/at+jwt", "at+jwt"));
        assert!(typ_matches("at+JWT", "Application/at+jwt"));
        assert!(!typ_matches("dpop+jwt", "at+jwt"));
    }
}
