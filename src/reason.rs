//! Stable rejection reasons and the one table that maps them to HTTP replies.
//!
//! A [`Reason`] code is API: hosts put it in response bodies, metric labels and CLI output.
//! Codes are added, never renamed or removed; a test pins the full list.

use core::fmt;

/// Why a credential or request was rejected. Each variant has one stable `snake_case` code.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    /// No credential was found in any configured source.
    TokenMissing,
    /// More than one credential was presented (two sources, a repeated header or parameter).
    TokenAmbiguous,
    /// The token is not a well-formed compact JWS (segments, base64url, JSON header).
    TokenMalformed,
    /// The token (or one of its parts) exceeds the configured size cap.
    TokenTooLarge,
    /// The token has five segments: a JWE, which is never accepted as an access token.
    TokenIsJwe,
    /// The header's `alg` is `none`, unknown, not in the allow-list or not bound to the key.
    AlgNotAllowed,
    /// The header names a `crit` extension we do not implement, or uses `b64: false`.
    CritUnsupported,
    /// The header's `typ` is not in the provider's allow-list.
    TypNotAllowed,
    /// No key in the provider's set matches the token's `kid` and `alg`.
    KeyNotFound,
    /// The token has no `kid` and too many keys could verify it.
    KidMissing,
    /// The signature does not verify.
    SignatureInvalid,
    /// The payload is not a JSON object within limits (only for JWT, not `--jws`).
    ClaimsMalformed,
    /// A registered claim has the wrong type or an out-of-range value.
    ClaimInvalid,
    /// A claim the policy requires is absent.
    ClaimMissing,
    /// A custom claim rule does not hold.
    ClaimMismatch,
    /// `exp` has passed (beyond the clock skew).
    TokenExpired,
    /// `nbf` is in the future (beyond the clock skew).
    TokenNotYetValid,
    /// `iat` is in the future (beyond the clock skew).
    TokenIssuedInFuture,
    /// The token's lifetime exceeds `max_lifetime_seconds`.
    TokenLifetimeExceeded,
    /// `iss` does not match the provider's issuer.
    IssuerMismatch,
    /// `aud` matches none of the configured audiences, or is present when none is configured.
    AudienceMismatch,
    /// `sub` matches none of the configured subjects.
    SubjectMismatch,
    /// The token lacks a required scope.
    ScopeInsufficient,
    /// The token carries `cnf` (a proof-of-possession binding) the provider does not enforce.
    TokenBindingUnsupported,
    /// The provider's key set is not available (never loaded, or stale beyond its limit).
    JwksUnavailable,
    /// The request path is not acceptable (encoded separators, NUL, climbing above root).
    PathInvalid,
    /// A configuration (policy) was rejected.
    ConfigInvalid,
    /// A signed-URL, signed-cookie or session-cookie provider found no credential: no signed
    /// URL parameters, no signed cookie, no session cookie.
    CookieMissing,
    /// A signed URL, signed cookie or session cookie is not in its scheme's canonical form.
    CookieMalformed,
    /// A signed URL, signed cookie or session cookie has expired.
    CookieExpired,
    /// A signed URL, signed cookie or session cookie is not valid yet.
    CookieNotYetValid,
    /// The request is outside what a signed URL or cookie grants (URL prefix, ACL, policy
    /// resource), or a session cookie was minted for another issuer or audience.
    CookieScopeMismatch,
    /// The credential is bound to another client address than the request's (or the
    /// request's client address is unknown).
    CookieIpMismatch,
    /// The provider requires sender-constrained tokens (mTLS or `DPoP`) and this one is not bound.
    TokenNotBound,
    /// The token is bound (`cnf`) to a certificate or key the request does not present.
    TokenBindingMismatch,
    /// The `DPoP` proof is missing, repeated or invalid (RFC 9449 `invalid_dpop_proof`).
    DpopProofInvalid,
    /// The `DPoP` proof lacks a current server nonce (RFC 9449 `use_dpop_nonce`); the denial
    /// carries a fresh `DPoP-Nonce`.
    DpopNonceRequired,
    /// The proof's or token's `jti` was used before (a replayed `DPoP` proof, or a one-time
    /// token used twice).
    TokenReplayed,
    /// The token is on the revocation list (by `jti`, by subject issued before a time, or
    /// issued before its issuer's epoch).
    TokenRevoked,
    /// The revocation list the policy requires was never loaded or is stale beyond its limit.
    RevocationUnavailable,
}

impl Reason {
    /// Every reason, in declaration order. Pinned by a test: append only.
    pub const ALL: &'static [Reason] = &[
        Reason::TokenMissing,
        Reason::TokenAmbiguous,
        Reason::TokenMalformed,
        Reason::TokenTooLarge,
        Reason::TokenIsJwe,
        Reason::AlgNotAllowed,
        Reason::CritUnsupported,
        Reason::TypNotAllowed,
        Reason::KeyNotFound,
        Reason::KidMissing,
        Reason::SignatureInvalid,
        Reason::ClaimsMalformed,
        Reason::ClaimInvalid,
        Reason::ClaimMissing,
        Reason::ClaimMismatch,
        Reason::TokenExpired,
        Reason::TokenNotYetValid,
        Reason::TokenIssuedInFuture,
        Reason::TokenLifetimeExceeded,
        Reason::IssuerMismatch,
        Reason::AudienceMismatch,
        Reason::SubjectMismatch,
        Reason::ScopeInsufficient,
        Reason::TokenBindingUnsupported,
        Reason::JwksUnavailable,
        Reason::PathInvalid,
        Reason::ConfigInvalid,
        Reason::CookieMissing,
        Reason::CookieMalformed,
        Reason::CookieExpired,
        Reason::CookieNotYetValid,
        Reason::CookieScopeMismatch,
        Reason::CookieIpMismatch,
        Reason::TokenNotBound,
        Reason::TokenBindingMismatch,
        Reason::DpopProofInvalid,
        Reason::DpopNonceRequired,
        Reason::TokenReplayed,
        Reason::TokenRevoked,
        Reason::RevocationUnavailable,
    ];

    /// The stable `snake_case` code.
    pub const fn code(self) -> &'static str {
        match self {
            Reason::TokenMissing => "token_missing",
            Reason::TokenAmbiguous => "token_ambiguous",
            Reason::TokenMalformed => "token_malformed",
            Reason::TokenTooLarge => "token_too_large",
            Reason::TokenIsJwe => "token_is_jwe",
            Reason::AlgNotAllowed => "alg_not_allowed",
            Reason::CritUnsupported => "crit_unsupported",
            Reason::TypNotAllowed => "typ_not_allowed",
            Reason::KeyNotFound => "key_not_found",
            Reason::KidMissing => "kid_missing",
            Reason::SignatureInvalid => "signature_invalid",
            Reason::ClaimsMalformed => "claims_malformed",
            Reason::ClaimInvalid => "claim_invalid",
            Reason::ClaimMissing => "claim_missing",
            Reason::ClaimMismatch => "claim_mismatch",
            Reason::TokenExpired => "token_expired",
            Reason::TokenNotYetValid => "token_not_yet_valid",
            Reason::TokenIssuedInFuture => "token_issued_in_future",
            Reason::TokenLifetimeExceeded => "token_lifetime_exceeded",
            Reason::IssuerMismatch => "issuer_mismatch",
            Reason::AudienceMismatch => "audience_mismatch",
            Reason::SubjectMismatch => "subject_mismatch",
            Reason::ScopeInsufficient => "scope_insufficient",
            Reason::TokenBindingUnsupported => "token_binding_unsupported",
            Reason::JwksUnavailable => "jwks_unavailable",
            Reason::PathInvalid => "path_invalid",
            Reason::ConfigInvalid => "config_invalid",
            Reason::CookieMissing => "cookie_missing",
            Reason::CookieMalformed => "cookie_malformed",
            Reason::CookieExpired => "cookie_expired",
            Reason::CookieNotYetValid => "cookie_not_yet_valid",
            Reason::CookieScopeMismatch => "cookie_scope_mismatch",
            Reason::CookieIpMismatch => "cookie_ip_mismatch",
            Reason::TokenNotBound => "token_not_bound",
            Reason::TokenBindingMismatch => "token_binding_mismatch",
            Reason::DpopProofInvalid => "dpop_proof_invalid",
            Reason::DpopNonceRequired => "dpop_nonce_required",
            Reason::TokenReplayed => "token_replayed",
            Reason::TokenRevoked => "token_revoked",
            Reason::RevocationUnavailable => "revocation_unavailable",
        }
    }

    /// Parses a code back into a reason.
    pub fn from_code(code: &str) -> Option<Reason> {
        Reason::ALL.iter().copied().find(|r| r.code() == code)
    }

    /// How this reason is answered when the provider it is about is of `kind`: bearer tokens
    /// as [`Reason::disposition`]; signed URLs and cookies with 403 and no challenge (as CDNs
    /// answer); session cookies with 401 and no challenge (a browser credential: no `Bearer`
    /// scheme applies). Ambiguous requests (400), configuration errors (500) and unavailable
    /// key sets (503) keep their status for every kind, without a challenge for cookies.
    pub const fn disposition_for(self, kind: CredentialKind) -> Disposition {
        let bearer = self.disposition();
        match kind {
            CredentialKind::Bearer => bearer,
            CredentialKind::Signed | CredentialKind::Session => {
                let status = match bearer.status {
                    400 | 500 | 503 => bearer.status,
                    _ if matches!(kind, CredentialKind::Signed) => 403,
                    _ => 401,
                };
                Disposition {
                    status,
                    challenge: Challenge::None,
                }
            }
        }
    }

    /// How this reason is answered over HTTP for bearer tokens. This is the one table every
    /// host uses (through [`Reason::disposition_for`]).
    pub const fn disposition(self) -> Disposition {
        match self {
            Reason::TokenMissing => Disposition {
                status: 401,
                challenge: Challenge::Bearer(None),
            },
            Reason::TokenAmbiguous | Reason::PathInvalid => Disposition {
                status: 400,
                challenge: Challenge::Bearer(Some("invalid_request")),
            },
            Reason::ScopeInsufficient => Disposition {
                status: 403,
                challenge: Challenge::Bearer(Some("insufficient_scope")),
            },
            // As Envoy's jwt_authn does: a valid token for another audience is forbidden.
            Reason::AudienceMismatch => Disposition {
                status: 403,
                challenge: Challenge::Bearer(Some("invalid_token")),
            },
            Reason::JwksUnavailable | Reason::RevocationUnavailable => Disposition {
                status: 503,
                challenge: Challenge::None,
            },
            Reason::ConfigInvalid => Disposition {
                status: 500,
                challenge: Challenge::None,
            },
            _ => Disposition {
                status: 401,
                challenge: Challenge::Bearer(Some("invalid_token")),
            },
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What kind of credential a provider checks, which decides how its denials are answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialKind {
    /// A bearer token (JWT) in a header, parameter or cookie.
    Bearer,
    /// A CDN signed URL or signed cookie.
    Signed,
    /// An edgeward session cookie.
    Session,
}

/// The HTTP status and challenge for a [`Reason`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Disposition {
    /// HTTP status code.
    pub status: u16,
    /// The `WWW-Authenticate` challenge, if any.
    pub challenge: Challenge,
}

/// A `WWW-Authenticate` challenge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Challenge {
    /// No challenge header.
    None,
    /// `Bearer realm="..."`, with an RFC 6750 `error=` when given.
    Bearer(Option<&'static str>),
}

impl Challenge {
    /// Renders the header value for `realm` (quotes and backslashes in the realm are escaped).
    pub fn render(self, realm: &str) -> Option<alloc::string::String> {
        use alloc::string::String;
        match self {
            Challenge::None => None,
            Challenge::Bearer(error) => {
                let mut v = String::from("Bearer realm=\"");
                for c in realm.chars() {
                    if c == '"' || c == '\\' {
                        v.push('\\');
                    }
                    v.push(c);
                }
                v.push('"');
                if let Some(e) = error {
                    v.push_str(", error=\"");
                    v.push_str(e);
                    v.push('"');
                }
                Some(v)
            }
        }
    }
}

/// A reason plus a short, token-free detail for logs (never for responses).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// The stable code.
    pub reason: Reason,
    /// Which claim or field, where that helps an operator (never token content).
    pub detail: &'static str,
}

impl Rejection {
    /// A rejection with a detail.
    pub const fn new(reason: Reason, detail: &'static str) -> Self {
        Rejection { reason, detail }
    }
}

impl From<Reason> for Rejection {
    fn from(reason: Reason) -> Self {
        Rejection { reason, detail: "" }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.detail.is_empty() {
            f.write_str(self.reason.code())
        } else {
            write!(f, "{} ({})", self.reason.code(), self.detail)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_pinned() {
        let codes: alloc::vec::Vec<&str> = Reason::ALL.iter().map(|r| r.code()).collect();
        assert_eq!(
            codes,
            [
                "token_missing",
                "token_ambiguous",
                "token_malformed",
                "token_too_large",
                "token_is_jwe",
                "alg_not_allowed",
                "crit_unsupported",
                "typ_not_allowed",
                "key_not_found",
                "kid_missing",
                "signature_invalid",
                "claims_malformed",
                "claim_invalid",
                "claim_missing",
                "claim_mismatch",
                "token_expired",
                "token_not_yet_valid",
                "token_issued_in_future",
                "token_lifetime_exceeded",
                "issuer_mismatch",
                "audience_mismatch",
                "subject_mismatch",
                "scope_insufficient",
                "token_binding_unsupported",
                "jwks_unavailable",
                "path_invalid",
                "config_invalid",
                "cookie_missing",
                "cookie_malformed",
                "cookie_expired",
                "cookie_not_yet_valid",
                "cookie_scope_mismatch",
                "cookie_ip_mismatch",
                "token_not_bound",
                "token_binding_mismatch",
                "dpop_proof_invalid",
                "dpop_nonce_required",
                "token_replayed",
                "token_revoked",
                "revocation_unavailable",
            ]
        );
        for r in Reason::ALL {
            assert_eq!(Reason::from_code(r.code()), Some(*r));
        }
    }

    #[test]
    fn disposition_table_is_pinned() {
        let table: alloc::vec::Vec<(&str, u16, Option<alloc::string::String>)> = Reason::ALL
            .iter()
            .map(|r| {
                let d = r.disposition();
                (r.code(), d.status, d.challenge.render("api"))
            })
            .collect();
        for (code, status, challenge) in &table {
            let (want_status, want) = match *code {
                "token_missing" => (401, Some("Bearer realm=\"api\"")),
                "token_ambiguous" | "path_invalid" => {
                    (400, Some("Bearer realm=\"api\", error=\"invalid_request\""))
                }
                "scope_insufficient" => (
                    403,
                    Some("Bearer realm=\"api\", error=\"insufficient_scope\""),
                ),
                "audience_mismatch" => (403, Some("Bearer realm=\"api\", error=\"invalid_token\"")),
                "jwks_unavailable" | "revocation_unavailable" => (503, None),
                "config_invalid" => (500, None),
                _ => (401, Some("Bearer realm=\"api\", error=\"invalid_token\"")),
            };
            assert_eq!(*status, want_status, "{code}");
            assert_eq!(challenge.as_deref(), want, "{code}");
        }
    }

    #[test]
    fn cookie_kinds_never_challenge() {
        for r in Reason::ALL {
            let bearer = r.disposition().status;
            let signed = r.disposition_for(CredentialKind::Signed);
            let session = r.disposition_for(CredentialKind::Session);
            assert_eq!(signed.challenge, Challenge::None, "{r}");
            assert_eq!(session.challenge, Challenge::None, "{r}");
            let keep = matches!(bearer, 400 | 500 | 503);
            assert_eq!(signed.status, if keep { bearer } else { 403 }, "{r}");
            assert_eq!(session.status, if keep { bearer } else { 401 }, "{r}");
        }
        assert_eq!(
            Reason::CookieExpired
                .disposition_for(CredentialKind::Signed)
                .status,
            403
        );
        assert_eq!(
            Reason::TokenAmbiguous
                .disposition_for(CredentialKind::Signed)
                .status,
            400
        );
    }

    #[test]
    fn realm_is_escaped() {
        assert_eq!(
            Challenge::Bearer(None).render("a\"b\\c").as_deref(),
            Some("Bearer realm=\"a\\\"b\\\\c\"")
        );
    }
}
