"""Certificate-bound tokens (RFC 8705) in real Envoy 1.40, loopback only.

A CA, a server certificate for 127.0.0.1 / localhost and client certificates are generated per
run (cryptography) into a temporary directory; tokens are signed by PyJWT with keys drawn per run.

* An Envoy whose listener terminates TLS and requires a client certificate signed by the CA
  (DownstreamTlsContext, require_client_certificate): the filter reads the connection's
  `connection.sha256_peer_certificate_digest` and compares it with the token's `cnf.x5t#S256`.
* Behind a TLS terminator: a plain Envoy whose policy believes `client_certificate_header`
  only from `trusted_proxies`, and removes it from everyone else's requests. Envoy's own
  `forward_client_cert_details` decides whether an `X-Forwarded-Client-Cert` the peer sent
  reaches the filter at all; these tests measure what each setting does (docs/envoy.md,
  "Certificate-bound tokens (mTLS)").

Every Envoy is stopped by the test or fixture that started it.
"""
import base64
import datetime
import hashlib
import http.client
import ipaddress
import json
import os
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from harness import ENVOY_DIR, Envoy, header, template_with
from tokens import Keys, provider

KEYS = Keys()
REALM = "api"
XFCC = "x-forwarded-client-cert"
HEX_HEADER = "x-client-cert-sha256"


# ---------------------------------------------------------------------------------------------
# Certificates, drawn per run


class Cert:
    def __init__(self, cert, key, dirpath, name):
        self.cert, self.key = cert, key
        self.der = cert.public_bytes(serialization.Encoding.DER)
        self.hex = hashlib.sha256(self.der).hexdigest()
        self.x5t = base64.urlsafe_b64encode(hashlib.sha256(self.der).digest()).rstrip(b"=").decode()
        self.cert_path = os.path.join(dirpath, f"{name}.crt")
        self.key_path = os.path.join(dirpath, f"{name}.key")
        with open(self.cert_path, "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(self.key_path, "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))


def _issue(dirpath, name, cn, issuer=None, kind="client"):
    """A certificate for `cn`: a self-signed CA (kind "ca"), or a leaf signed by `issuer`."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.timezone.utc)
    b = (x509.CertificateBuilder()
         .subject_name(subject)
         .issuer_name(issuer.cert.subject if issuer else subject)
         .public_key(key.public_key())
         .serial_number(x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(minutes=5))
         .not_valid_after(now + datetime.timedelta(hours=2))
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    if kind == "ca":
        b = (b.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
              .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                           key_encipherment=False, data_encipherment=False,
                                           key_agreement=False, key_cert_sign=True, crl_sign=True,
                                           encipher_only=False, decipher_only=False), critical=True))
    else:
        usage = ExtendedKeyUsageOID.SERVER_AUTH if kind == "server" else ExtendedKeyUsageOID.CLIENT_AUTH
        b = (b.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
              .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
                             critical=False))
        if kind == "server":
            b = b.add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
    cert = b.sign(issuer.key if issuer else key, hashes.SHA256())
    return Cert(cert, key, dirpath, name)


class Pki:
    def __init__(self, dirpath):
        self.ca = _issue(dirpath, "ca", "edgeward test CA", kind="ca")
        self.server = _issue(dirpath, "server", "localhost", self.ca, kind="server")
        self.a = _issue(dirpath, "client-a", "client a", self.ca)
        self.b = _issue(dirpath, "client-b", "client b", self.ca)
        rogue_ca = _issue(dirpath, "rogue-ca", "edgeward test CA", kind="ca")
        self.rogue = _issue(dirpath, "rogue", "client a", rogue_ca)

    def client_context(self, cert):
        """A client that trusts our CA and, if `cert` is given, presents it."""
        ctx = ssl.create_default_context(cafile=self.ca.cert_path)
        if cert is not None:
            ctx.load_cert_chain(cert.cert_path, cert.key_path)
        return ctx


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return Pki(str(tmp_path_factory.mktemp("pki")))


# ---------------------------------------------------------------------------------------------
# Envoy configurations: envoy/envoy.yaml with one contiguous block edited

HCM_HEAD = """    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress
"""


def tls_listener(pki, forward_client_cert=None, any_certificate=False):
    """The listener terminates TLS and requires a client certificate issued by our CA (or, with
    `any_certificate`, any certificate whose key the client holds: RFC 8705 section 2.2)."""
    q = json.dumps
    if any_certificate:
        validation = "{trust_chain_verification: ACCEPT_UNTRUSTED}"
    else:
        validation = f"{{trusted_ca: {{filename: {q(pki.ca.cert_path)}}}}}"
    fcc = f"          forward_client_cert_details: {forward_client_cert}\n" if forward_client_cert else ""
    return f"""    filter_chains:
    - transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
          require_client_certificate: true
          common_tls_context:
            tls_certificates:
            - certificate_chain: {{filename: {q(pki.server.cert_path)}}}
              private_key: {{filename: {q(pki.server.key_path)}}}
            validation_context: {validation}
      filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress
{fcc}"""


def plain_listener(forward_client_cert=None):
    fcc = f"          forward_client_cert_details: {forward_client_cert}\n" if forward_client_cert else ""
    return HCM_HEAD + fcc


def test_the_template_still_has_the_edited_block():
    with open(os.path.join(ENVOY_DIR, "envoy.yaml")) as f:
        text = f.read()
    assert HCM_HEAD in text
    assert "forward_client_cert_details" not in text, "the shipped template keeps Envoy's default"


# ---------------------------------------------------------------------------------------------
# Policy and requests


def policy(**top):
    p = {
        "version": 1,
        "realm": REALM,
        "providers": {
            "mtls": provider(KEYS, certificate_bound="required"),
            "opt": provider(KEYS, certificate_bound="optional"),
            "plain": provider(KEYS),
        },
        "rules": [
            {"match": {"prefix": "/optional/"}, "requires": {"provider_name": "opt"}},
            {"match": {"prefix": "/plain/"}, "requires": {"provider_name": "plain"}},
            {"match": {"prefix": "/"}, "requires": {"provider_name": "mtls"}},
        ],
    }
    p.update(top)
    return p


def bound(cert):
    return KEYS.token({"cnf": {"x5t#S256": cert.x5t}})


def bearer(t):
    return [("authorization", f"Bearer {t}")]


def send(conn, path, headers=()):
    conn.putrequest("GET", path, skip_accept_encoding=True)
    for k, v in headers:
        conn.putheader(k, v)
    conn.endheaders()
    r = conn.getresponse()
    body = r.read()
    return r.status, [(k.lower(), v) for k, v in r.getheaders()], body


def tls_conn(envoy, pki, cert):
    return http.client.HTTPSConnection("127.0.0.1", envoy.port, timeout=10,
                                       context=pki.client_context(cert))


def tls_request(envoy, pki, cert, path, headers=()):
    c = tls_conn(envoy, pki, cert)
    try:
        return send(c, path, headers)
    finally:
        c.close()


def assert_denied(got, reason, status=401):
    code, h, body = got
    assert (code, body.decode()) == (status, reason)
    assert header(h, "www-authenticate") == f'Bearer realm="{REALM}", error="invalid_token"'
    assert header(h, "cache-control") == "no-store"


def upstream_headers(body):
    doc = json.loads(body)
    assert doc["upstream"] == "edgeward-demo"
    return [tuple(h) for h in doc["headers"]]


# ---------------------------------------------------------------------------------------------
# Envoy terminates mutual TLS


@pytest.fixture(scope="module")
def mtls(pki, tmp_path_factory):
    """SANITIZE_SET: Envoy tells the upstream which certificate the client presented (and
    replaces any X-Forwarded-Client-Cert the client sent), so the test can compare."""
    template = template_with(tmp_path_factory.mktemp("mtls"), HCM_HEAD, tls_listener(pki, "SANITIZE_SET"))
    e = Envoy(policy(), template=template).start()
    yield e
    e.stop()


def test_bound_token_with_its_certificate_reaches_the_upstream(mtls, pki):
    forged = f"Hash={pki.b.hex}"
    status, _, body = tls_request(mtls, pki, pki.a, "/x", bearer(bound(pki.a)) + [(XFCC, forged)])
    assert status == 200, body
    up = upstream_headers(body)
    # Envoy's own account of the connection's certificate: the hex SHA-256 of its DER, as
    # connection.sha256_peer_certificate_digest is (the allow above compared that digest,
    # decoded, with base64url(SHA-256(DER)) from the token).
    xfcc = [v for k, v in up if k == XFCC]
    assert len(xfcc) == 1 and f"Hash={pki.a.hex}" in xfcc[0].split(";"), xfcc
    assert forged not in xfcc[0]
    assert "authorization" not in [k for k, _ in up]


def test_bound_token_with_another_certificate_is_refused(mtls, pki):
    assert_denied(tls_request(mtls, pki, pki.b, "/x", bearer(bound(pki.a))), "token_binding_mismatch")


def test_the_token_cache_does_not_carry_a_binding_to_another_connection(mtls, pki):
    t = bound(pki.a)
    a = tls_conn(mtls, pki, pki.a)
    try:
        for _ in range(2):  # the second request is answered from the verified-token cache
            assert send(a, "/x", bearer(t))[0] == 200
    finally:
        a.close()
    assert_denied(tls_request(mtls, pki, pki.b, "/x", bearer(t)), "token_binding_mismatch")


def test_unbound_token_where_binding_is_required(mtls, pki):
    assert_denied(tls_request(mtls, pki, pki.a, "/x", bearer(KEYS.token())), "token_not_bound")


def test_optional_binding(mtls, pki):
    status, _, body = tls_request(mtls, pki, pki.a, "/optional/x", bearer(KEYS.token()))
    assert status == 200, body
    assert tls_request(mtls, pki, pki.b, "/optional/x", bearer(bound(pki.b)))[0] == 200
    assert_denied(tls_request(mtls, pki, pki.a, "/optional/x", bearer(bound(pki.b))),
                  "token_binding_mismatch")


def test_a_provider_without_certificate_bound_refuses_bound_tokens(mtls, pki):
    # Accepting it would turn a sender-constrained token back into a bearer token.
    assert_denied(tls_request(mtls, pki, pki.a, "/plain/x", bearer(bound(pki.a))),
                  "token_binding_unsupported")
    assert tls_request(mtls, pki, pki.a, "/plain/x", bearer(KEYS.token()))[0] == 200


@pytest.mark.parametrize("who", ["no certificate", "certificate from another CA"])
def test_the_listener_requires_a_certificate_from_its_ca(mtls, pki, who):
    cert = None if who == "no certificate" else pki.rogue
    with pytest.raises(OSError):
        tls_request(mtls, pki, cert, "/x", bearer(bound(pki.rogue if cert else pki.a)))


def test_self_signed_client_certificates(tmp_path, pki):
    """RFC 8705 section 2.2: the binding needs only proof that the client holds the key of the
    certificate it presents, which the handshake gives; Envoy can accept any certificate."""
    template = template_with(tmp_path, HCM_HEAD, tls_listener(pki, any_certificate=True))
    e = Envoy(policy(), template=template).start()
    try:
        got = tls_request(e, pki, pki.rogue, "/x", bearer(bound(pki.rogue)))
        assert got[0] == 200, got[2]
        assert_denied(tls_request(e, pki, pki.rogue, "/x", bearer(bound(pki.a))), "token_binding_mismatch")
        # Measured with Envoy 1.40: without a trusted_ca, require_client_certificate does not
        # refuse a client that presents none; the bound token then has no certificate to match.
        assert_denied(tls_request(e, pki, None, "/x", bearer(bound(pki.a))), "token_binding_mismatch")
        assert_denied(tls_request(e, pki, None, "/x", bearer(KEYS.token())), "token_not_bound")
    finally:
        e.stop()


# ---------------------------------------------------------------------------------------------
# Behind a TLS terminator: the forwarded certificate header


def start_plain(tmp_path, top, forward_client_cert=None):
    template = template_with(tmp_path, HCM_HEAD, plain_listener(forward_client_cert))
    return Envoy(policy(**top), template=template).start()


TRUSTED = ["127.0.0.1/32"]
UNTRUSTED = ["10.0.0.0/8"]  # the test client, on 127.0.0.1, is not in it

FORWARDED = [
    # (id, forward_client_cert_details, header, format, trusted_proxies, bound token allowed,
    #  header reaches the upstream)
    # Envoy's default (SANITIZE) removes X-Forwarded-Client-Cert before any filter runs.
    ("xfcc, default SANITIZE", None, XFCC, "xfcc", TRUSTED, False, False),
    # On a plaintext connection FORWARD_ONLY removes it too: only ALWAYS_FORWARD_ONLY passes it.
    ("xfcc, FORWARD_ONLY over plaintext", "FORWARD_ONLY", XFCC, "xfcc", TRUSTED, False, False),
    ("xfcc, ALWAYS_FORWARD_ONLY, trusted", "ALWAYS_FORWARD_ONLY", XFCC, "xfcc", TRUSTED, True, True),
    # Passed by Envoy, then ignored and removed by the filter: the peer is not trusted.
    ("xfcc, ALWAYS_FORWARD_ONLY, untrusted", "ALWAYS_FORWARD_ONLY", XFCC, "xfcc", UNTRUSTED, False, False),
    ("sha256_hex, trusted", None, HEX_HEADER, "sha256_hex", TRUSTED, True, True),
    ("sha256_hex, untrusted", None, HEX_HEADER, "sha256_hex", UNTRUSTED, False, False),
    ("sha256_base64url, trusted", None, HEX_HEADER, "sha256_base64url", TRUSTED, True, True),
]


def forwarded_value(fmt, cert):
    return {"xfcc": f'By=spiffe://terminator.test;Hash={cert.hex};Subject="CN=client a"',
            "sha256_hex": cert.hex, "sha256_base64url": cert.x5t}[fmt]


@pytest.mark.parametrize("name,fcc,hname,fmt,trusted,allowed,reaches", FORWARDED,
                         ids=[c[0] for c in FORWARDED])
def test_forwarded_certificate_header(tmp_path, pki, name, fcc, hname, fmt, trusted, allowed, reaches):
    top = {"trusted_proxies": trusted, "client_certificate_header": {"name": hname, "format": fmt}}
    e = start_plain(tmp_path, top, fcc)
    try:
        value = forwarded_value(fmt, pki.a)
        got = e.request("/x", bearer(bound(pki.a)) + [(hname, value)])
        if allowed:
            assert got[0] == 200, got[2]
            assert (hname, value) in upstream_headers(got[2])
        else:
            assert_denied(got, "token_binding_mismatch")
        # Another certificate's digest never passes, trusted or not.
        assert_denied(e.request("/x", bearer(bound(pki.b)) + [(hname, value)]), "token_binding_mismatch")
        # On an allowed request (unbound token, optional binding): does the header reach the upstream?
        status, _, body = e.request("/optional/x", bearer(KEYS.token()) + [(hname, value)])
        assert status == 200, body
        assert (hname in [k for k, _ in upstream_headers(body)]) == reaches
    finally:
        e.stop()


TERMINATOR_OVER_MTLS = [
    # The terminator (client certificate B) forwards the client's certificate A in XFCC.
    # FORWARD_ONLY passes its XFCC as sent: one element, A's hash.
    ("FORWARD_ONLY", 200),
    # APPEND_FORWARD adds an element for the terminator's own certificate: two elements name
    # no single client, so the header names none.
    ("APPEND_FORWARD", 401),
]


@pytest.mark.parametrize("fcc,status", TERMINATOR_OVER_MTLS, ids=[c[0] for c in TERMINATOR_OVER_MTLS])
def test_trusted_terminator_over_mutual_tls(tmp_path, pki, fcc, status):
    top = {"trusted_proxies": TRUSTED, "client_certificate_header": {"name": XFCC, "format": "xfcc"}}
    template = template_with(tmp_path, HCM_HEAD, tls_listener(pki, fcc))
    e = Envoy(policy(**top), template=template).start()
    try:
        got = tls_request(e, pki, pki.b, "/x", bearer(bound(pki.a)) + [(XFCC, forwarded_value("xfcc", pki.a))])
        if status == 200:
            assert got[0] == 200, got[2]
        else:
            assert_denied(got, "token_binding_mismatch")
            # What the filter saw, per the upstream on an allowed request: two elements.
            s, _, body = tls_request(e, pki, pki.b, "/optional/x",
                                     bearer(KEYS.token()) + [(XFCC, forwarded_value("xfcc", pki.a))])
            assert s == 200
            xfcc = [v for k, v in upstream_headers(body) if k == XFCC]
            assert len(xfcc) == 1 and xfcc[0].count("Hash=") == 2 and pki.b.hex in xfcc[0], xfcc
    finally:
        e.stop()
