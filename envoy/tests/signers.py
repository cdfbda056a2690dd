"""Signed URLs, signed cookies and session cookies for the host tests, made by signers that are
not edgeward's, with keys drawn at run time (os.urandom) and never written to the repository.

- Akamai EdgeAuth (Auth Token 2.0): Akamai's reference signer, the `akamai-edgeauth` package
  from PyPI (pinned in scripts/setup.sh), through its public API (`EdgeAuth(...)
  .generate_acl_token` for ACL tokens, `.generate_url_token` for URL tokens, which sign the
  path as `url=` without carrying it).
- Google Cloud CDN signed URLs and signed cookies: the algorithm as Google's pages give it
  (https://cloud.google.com/cdn/docs/using-signed-urls, "Programmatically creating signed
  URLs", and https://cloud.google.com/cdn/docs/using-signed-cookies, "Creating a policy";
  there is no Google signing package): append `Expires` and `KeyName`, HMAC-SHA1 the whole URL
  with the key's bytes, append `Signature` as base64url with padding. URL-prefix signatures
  sign `URLPrefix=<b64url(prefix)>&Expires=..&KeyName=..` only; the `Cloud-CDN-Cookie` value is
  `URLPrefix=..:Expires=..:KeyName=..:Signature=..`, the signature over all before
  `:Signature=` (as tests/vectors/cdn/gen_cdn.py makes them).
- AWS CloudFront signed URLs and signed cookies: AWS's own signer, botocore's `CloudFrontSigner`
  (PyPI, pinned in scripts/setup.sh), through its public API (`generate_presigned_url`,
  `build_policy`), with the signing callback it asks for written with `cryptography`: RSA
  PKCS#1 v1.5 or ECDSA P-256 (DER, as CloudFront sends it) over SHA-1, its documented default, or
  SHA-256. botocore has no hash option: for SHA-256 the callback hashes with SHA-256 and
  `&Hash-Algorithm=SHA256` is appended, as CloudFront's pages say. botocore has no cookie API
  either: the CloudFront-* cookies carry the values of a botocore-signed URL's parameters, which
  are the values CloudFront defines for them (as tests/vectors/cdn/gen_cdn.py does). The key
  pairs are drawn per run; only the public halves reach the policy.
- edgeward session cookies: PyJWT, HS256, header `{"typ": "edgeward-session+jwt", "kid"}` and
  the claims edgeward mints (`iss`, `aud`, `sub`, `iat`, `exp`, `cip`; see
  `edgeward::credential::mint` in src/credential.rs).
"""
import base64
import datetime
import hashlib
import hmac
import os
import time
from urllib.parse import parse_qs, urlsplit

import jwt
from akamai.edgeauth import EdgeAuth
from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

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
        # CloudFront key pairs (public keys inline in the policy: nothing for the environment).
        self.cloudfront = {"rsa": CloudFrontKey("KRSATESTKEY0001", rsa.generate_private_key(65537, 2048)),
                           "ecdsa": CloudFrontKey("KECTESTKEY00001", ec.generate_private_key(ec.SECP256R1()))}
        self.env = {
            "EDGEWARD_AKAMAI_KEY": self.akamai_hex,
            "EDGEWARD_GOOGLE_KEY": self.google_b64,
            "EDGEWARD_SESSION_KEY": jwt.utils.base64url_encode(self.session).decode(),
        }

    # -- Akamai -------------------------------------------------------------------------
    def akamai(self, acl, **kw):
        """An ACL token (the value of a `__token__` cookie) from Akamai's signer."""
        return self._edgeauth(**kw).generate_acl_token(acl)

    def akamai_url(self, path, **kw):
        """A URL token for `path` (a `__token__` query parameter's value): the path is signed
        (`url=`), not carried, so the verifier supplies the path the request is for."""
        return self._edgeauth(**kw).generate_url_token(path)

    def _edgeauth(self, ip=None, data=None, start=None, end=None, key=None):
        t = now()
        return EdgeAuth(key=key or self.akamai_hex, algorithm="sha256", ip=ip, payload=data,
                        start_time=start if start is not None else t - 5,
                        end_time=end if end is not None else t + 3600)

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

    def google_cookie(self, prefix, key_name="edge-key", expires=None, key_b64=None):
        """Using signed cookies, "Creating a policy": the `Cloud-CDN-Cookie` value."""
        expires = expires if expires is not None else now() + 3600
        encoded = base64.urlsafe_b64encode(prefix.encode()).decode()
        policy = f"URLPrefix={encoded}:Expires={expires}:KeyName={key_name}"
        return f"{policy}:Signature={_google_sig(key_b64 or self.google_b64, policy)}"

    # -- CloudFront ---------------------------------------------------------------------
    def cloudfront_keys(self):
        """The policy's `keys` for a `cloudfront` provider: key pair id and public key PEM."""
        return [{"name": k.id, "public_key_pem": k.public_pem()} for k in self.cloudfront.values()]

    def cloudfront_url(self, url, key="rsa", sha256=False, expires=None, policy=None, key_pair_id=None,
                       private=None):
        """A CloudFront signed URL from botocore: canned (`Expires`) unless `policy` is given."""
        k = self.cloudfront[key]
        signer = CloudFrontSigner(key_pair_id or k.id, _cloudfront_callback(private or k.private, sha256))
        if policy is None:
            when = _utc(expires if expires is not None else now() + 3600)
            signed = signer.generate_presigned_url(url, date_less_than=when)
        else:
            signed = signer.generate_presigned_url(url, policy=policy)
        return signed + ("&Hash-Algorithm=SHA256" if sha256 else "")

    def cloudfront_cookies(self, resource, url=None, ip=None, start=None, expires=None, **kw):
        """The CloudFront-* cookies (one `(name, value)` pair each) for a custom policy that
        botocore builds over `resource` (wildcards allowed), or canned for `url` when
        `resource` is None: the values of the signed URL's parameters."""
        if resource is None:
            signed = self.cloudfront_url(url, expires=expires, **kw)
        else:
            signed = self.cloudfront_url(url or resource, policy=cloudfront_policy(resource, ip=ip, start=start,
                                                                                 expires=expires), **kw)
        params = dict(p.split("=", 1) for p in urlsplit(signed).query.split("&"))
        return [(f"CloudFront-{n}", params[n]) for n in ("Policy", "Expires", "Signature", "Key-Pair-Id",
                                                         "Hash-Algorithm") if n in params]

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


class CloudFrontKey:
    def __init__(self, key_pair_id, private):
        self.id, self.private = key_pair_id, private

    def public_pem(self):
        return self.private.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def cloudfront_policy(resource, ip=None, start=None, expires=None):
    """A custom policy from botocore's `build_policy` (DateLessThan, optional IpAddress and
    DateGreaterThan)."""
    signer = CloudFrontSigner("unused", None)
    return signer.build_policy(resource, _utc(expires if expires is not None else now() + 3600),
                               date_greater_than=_utc(start) if start is not None else None, ip_address=ip)


def _cloudfront_callback(private, sha256):
    """The callback CloudFrontSigner takes: the policy bytes -> the signature bytes."""
    h = hashes.SHA256() if sha256 else hashes.SHA1()
    if isinstance(private, rsa.RSAPrivateKey):
        return lambda message: private.sign(message, padding.PKCS1v15(), h)
    return lambda message: private.sign(message, ec.ECDSA(h))


def _utc(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc)


def _google_sig(key_b64, message):
    digest = hmac.new(base64.urlsafe_b64decode(key_b64), message.encode(), hashlib.sha1).digest()
    return base64.urlsafe_b64encode(digest).decode()


def target_of(url, origin):
    """The request target of a signed URL for `origin` (what a client sends on the wire)."""
    assert url.startswith(origin + "/"), url
    return url[len(origin):]
