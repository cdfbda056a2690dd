"""Keys and tokens for the Envoy tests, made with PyJWT and cryptography at run time."""
import json
import time

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

ISS = "https://idp.test"


class Keys:
    def __init__(self):
        self.es = ec.generate_private_key(ec.SECP256R1())
        self.rs = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ed = ed25519.Ed25519PrivateKey.generate()
        self.other_es = ec.generate_private_key(ec.SECP256R1())

    def jwks(self):
        keys = []
        for cls, k, kid, alg in [(ECAlgorithm, self.es, "es", "ES256"), (RSAAlgorithm, self.rs, "rs", "RS256"),
                                 (OKPAlgorithm, self.ed, "ed", "EdDSA")]:
            j = json.loads(cls.to_jwk(k.public_key()))
            j.update({"kid": kid, "alg": alg})
            keys.append(j)
        return {"keys": keys}

    def token(self, claims=None, alg="ES256", kid=None, headers=None, key=None, **overrides):
        now = int(time.time())
        c = {"iss": ISS, "aud": "api", "sub": "alice", "iat": now - 5, "exp": now + 600, "scope": "read write"}
        if claims:
            c.update(claims)
        for k, v in overrides.items():
            if v is None:
                c.pop(k, None)
            else:
                c[k] = v
        k = key or {"ES256": self.es, "RS256": self.rs, "EdDSA": self.ed}[alg]
        h = {"kid": kid or {"ES256": "es", "RS256": "rs", "EdDSA": "ed"}[alg]}
        if headers:
            h.update(headers)
        return jwt.encode(c, k, algorithm=alg, headers=h)


def provider(keys, **extra):
    p = {"issuer": ISS, "audiences": ["api"], "local_jwks": keys.jwks()}
    p.update(extra)
    return p
