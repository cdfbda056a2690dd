"""Signed URLs, signed cookies and session cookies for the host tests, made by signers that are
not edgeward's, with keys drawn at run time (os.urandom) and never written to the repository.

- Akamai EdgeAuth (Auth Token 2.0): Akamai's reference signer, the `akamai-edgeauth` package
  from PyPI (pinned in scripts/setup.sh), through its public API (`EdgeAuth(...)
  .generate_acl_token`).
- Google Cloud CDN signed URLs: the algorithm as Google's "Using signed URLs" page gives it
  (https://cloud.google.com/cdn/docs/using-signed-urls, "Programmatically creating signed
  URLs"; there is no Google signing package): append `Expires` and `KeyName`, HMAC-SHA1 the
  whole URL with the key's bytes, append `Signature` as base64url with padding. URL-prefix
  signatures sign `URLPrefix=<b64url(prefix)>&Expires=..&KeyName=..` only.
- edgeward session cookies: PyJWT, HS256, header `{"typ": "edgeward-session+jwt", "kid"}` and
  the claims edgeward mints (`iss`, `aud`, `sub`, `iat`, `exp`, `cip`; see
  `edgeward::credential::mint` in src/credential.rs).
"""
import base64
import hashlib
import hmac
import os
import time
from urllib.parse import parse_qs, urlsplit

import jwt
from akamai.edgeauth import EdgeAuth

SESSION_TYP = "edgeward-session+jwt"
SESSION_COOKIE = "__Host-edgeward-session"


def now():
    return int(time.time())


# ---------------------------------------------------------------- keys (fresh per run)

class Secrets:
    """One run's keys, and the environment variables the policy names for them."""

    def __init__(self):
        self.akamai_hex = os.urandom(32).hex()
        self.google_b64 = base64.urlsafe_b64encode(os.urandom(16)).decode()
        self.session = os.urandom(32)
        self.env = {
            "EDGEWARD_AKAMAI_KEY": self.akamai_hex,
            "EDGEWARD_GOOGLE_KEY": self.google_b64,
            "EDGEWARD_SESSION_KEY": jwt.utils.base64url_encode(self.session).decode(),
        }

    # -- Akamai -------------------------------------------------------------------------
    def akamai(self, acl, ip=None, data=None, start=None, end=None, key=None):
        """An ACL token (the value of a `__token__` cookie) from Akamai's signer."""
        t = now()
        signer = EdgeAuth(key=key or self.akamai_hex, algorithm="sha256", ip=ip, payload=data,
                          start_time=start if start is not None else t - 5,
                          end_time=end if end is not None else t + 3600)
        return signer.generate_acl_token(acl)

    # -- Google -------------------------------------------------------------------------
    def google_url(self, url, key_name="edge-key", expires=None, key_b64=None):
        """Using signed URLs: append Expires and KeyName, sign the whole URL, append Signature."""
        expires = expires if expires is not None else now() + 3600
        query = parse_qs(urlsplit(url).query, keep_blank_values=True)
        to_sign = f"{url}{'&' if query else '?'}Expires={expires}&KeyName={key_name}"
        return f"{to_sign}&Signature={_google_sig(key_b64 or self.google_b64, to_sign)}"

    def google_url_prefix(self, url, prefix, key_name="edge-key", expires=None):
        """Using signed URLs, URL prefix: sign `URLPrefix=..&Expires=..&KeyName=..` only."""
        expires = expires if expires is not None else now() + 3600
        encoded = base64.urlsafe_b64encode(prefix.encode()).decode()
        query = parse_qs(urlsplit(url).query, keep_blank_values=True)
        policy = f"URLPrefix={encoded}&Expires={expires}&KeyName={key_name}"
        return f"{url}{'&' if query else '?'}{policy}&Signature={_google_sig(self.google_b64, policy)}"

    # -- session cookies ---------------------------------------------------------------
    def session_cookie(self, iss, aud, cip=None, sub="alice", lifetime=600, key=None, typ=SESSION_TYP,
                       kid="s1", **claims):
        """A session cookie's value, as edgeward mints them, signed by PyJWT."""
        t = now()
        c = {"iss": iss, "aud": aud, "sub": sub, "iat": t - 5, "exp": t - 5 + lifetime}
        if cip is not None:
            c["cip"] = cip
        c.update(claims)
        return jwt.encode(c, key or self.session, algorithm="HS256", headers={"typ": typ, "kid": kid})


def _google_sig(key_b64, message):
    digest = hmac.new(base64.urlsafe_b64decode(key_b64), message.encode(), hashlib.sha1).digest()
    return base64.urlsafe_b64encode(digest).decode()


def target_of(url, origin):
    """The request target of a signed URL for `origin` (what a client sends on the wire)."""
    assert url.startswith(origin + "/"), url
    return url[len(origin):]
