// Keys and tokens for the package tests, made with jose (an independent JOSE implementation)
// at run time. Nothing secret is stored in the repository.
import { createHash, createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import * as jose from 'jose';

export const ISS = 'https://idp.test';
export const now = () => Math.floor(Date.now() / 1000);

/** Every algorithm edgeward verifies, with the key parameters jose needs. */
export const ALGS = [
  'HS256', 'HS384', 'HS512',
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
  'EdDSA',
];

const HMAC_LEN = { HS256: 32, HS384: 48, HS512: 64 };

/** A key pair (or HMAC secret) per algorithm, kid = the algorithm's name in lower case. */
export async function makeKeys(algs = ALGS) {
  const keys = {};
  for (const alg of algs) {
    const kid = alg.toLowerCase();
    if (alg.startsWith('HS')) {
      const secret = crypto.getRandomValues(new Uint8Array(HMAC_LEN[alg]));
      keys[alg] = { kid, alg, sign: secret, secretB64: jose.base64url.encode(secret) };
    } else {
      const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true });
      const jwk = { ...(await jose.exportJWK(publicKey)), kid, alg };
      keys[alg] = { kid, alg, sign: privateKey, jwk };
    }
  }
  return keys;
}

/** A JWK set of the public keys in `keys`. */
export function jwks(keys) {
  return { keys: Object.values(keys).filter((k) => k.jwk).map((k) => k.jwk) };
}

/** A JWT signed by jose. `claims` override the defaults; a claim set to undefined is left out. */
export async function token(key, claims = {}, header = {}) {
  const t = now();
  const body = { iss: ISS, aud: 'api', sub: 'alice', iat: t - 5, exp: t + 600, scope: 'read write', ...claims };
  for (const [k, v] of Object.entries(body)) if (v === undefined) delete body[k];
  return new jose.SignJWT(body)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, ...header })
    // jose refuses to sign a `crit` it does not know unless told it is understood.
    .sign(key.sign, header.crit ? { crit: Object.fromEntries(header.crit.map((c) => [c, true])) } : undefined);
}

/** A compact JWS over raw payload bytes. */
export async function jwsRaw(key, payload) {
  return new jose.CompactSign(new TextEncoder().encode(payload))
    .setProtectedHeader({ alg: key.alg, kid: key.kid })
    .sign(key.sign);
}

export function b64json(obj) {
  return jose.base64url.encode(JSON.stringify(obj));
}

export const bearer = (t) => ({ authorization: `Bearer ${t}` });

export function req(path, headers = {}, method = 'GET') {
  return new Request(`http://edge.test${path}`, { method, headers });
}

/** A local HTTP server for key sets and discovery, on 127.0.0.1; `handler(req, res)` is
 * swappable. Closed by the caller. */
export async function server(handler) {
  const http = await import('node:http');
  const state = { handler, hits: 0 };
  const srv = http.createServer((rq, rs) => {
    state.hits += 1;
    state.handler(rq, rs);
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${srv.address().port}`;
  state.close = () =>
    new Promise((resolve) => {
      srv.closeAllConnections?.();
      srv.close(resolve);
    });
  return state;
}

export function json(res, status, body, delayMs = 0) {
  const send = () => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  if (delayMs > 0) setTimeout(send, delayMs).unref();
  else send();
}

// ---- signed URLs, signed cookies, session cookies (signers that are not edgeward's) ----------
//
// Akamai: Akamai's Node signer `akamai-edgeauth` (npm). Google Cloud CDN: the algorithm on
// Google's "Using signed URLs" and "Using signed cookies" pages
// (https://cloud.google.com/cdn/docs/using-signed-urls: HMAC-SHA1 over the URL with Expires and
// KeyName appended, or over `URLPrefix=..&Expires=..&KeyName=..` for a URL prefix;
// https://cloud.google.com/cdn/docs/using-signed-cookies, "Creating a policy": over
// `URLPrefix=..:Expires=..:KeyName=..`; base64url with padding; there is no Google signing
// package). AWS CloudFront: AWS's npm signer `@aws-sdk/cloudfront-signer`
// (getSignedUrl, getSignedCookies; RSA 2048 and ECDSA P-256 key pairs from node:crypto, drawn per
// run, only the public halves in the policy). Session cookies: jose, as edgeward mints them (HS256, typ
// "edgeward-session+jwt", kid; iss, aud, sub, iat, exp, cip). Keys are drawn per run.

const require = createRequire(import.meta.url);
const EdgeAuth = require('akamai-edgeauth');
const { getSignedUrl, getSignedCookies } = require('@aws-sdk/cloudfront-signer');

export const ORIGIN = 'https://cdn.example.com';
export const SESSION_ISS = 'https://edge.test/session';
export const SESSION_COOKIE = '__Host-edgeward-session';
export const SESSION_TYP = 'edgeward-session+jwt';

const padded = (b64url) => b64url + '='.repeat((4 - (b64url.length % 4)) % 4);

/** A fresh Google Cloud CDN key as Google's key files hold it (16 bytes, base64url, padded). */
export const googleKey = () => padded(randomBytes(16).toString('base64url'));

/** One run's keys for the cookie providers, and the env strings the policy names. */
export function cookieSecrets() {
  const akamaiHex = randomBytes(32).toString('hex');
  const google = googleKey();
  const session = randomBytes(32);
  const cf = (id, type) => {
    const k = type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return { id, privateKey: k.privateKey.export({ type: 'pkcs8', format: 'pem' }),
      publicPem: k.publicKey.export({ type: 'spki', format: 'pem' }) };
  };
  return {
    akamaiHex,
    google,
    session,
    // CloudFront key pairs: public keys go inline into the policy, nothing into the environment.
    cloudfront: { rsa: cf('KRSATESTKEY0001', 'rsa'), ecdsa: cf('KECTESTKEY00001', 'ec') },
    env: {
      EDGEWARD_AKAMAI_KEY: akamaiHex,
      EDGEWARD_GOOGLE_KEY: google,
      EDGEWARD_SESSION_KEY: session.toString('base64url'),
    },
  };
}

/** The cookie providers: an Akamai signed cookie (`__token__`), a Google signed URL (/g/) and
 * signed cookie (`Cloud-CDN-Cookie`, /gc/), a session
 * cookie bound to the client (route /app/ takes it or an IdP token), and `idp` for the rest;
 * with `cloudfront` (cookieSecrets().cloudfront) also a CloudFront signed URL (/cf/u/) and
 * CloudFront signed cookies (/cf/). */
export function cookiePolicy(idpJwks, { trustedProxies = ['10.0.0.0/8'], cloudfront = null } = {}) {
  const cfKeys = cloudfront && Object.values(cloudfront).map((k) => ({ name: k.id, public_key_pem: k.publicPem }));
  const cfProviders = cloudfront ? {
    cfurl: { kind: 'signed_url', signed: { scheme: 'cloudfront', keys: cfKeys },
      claim_to_headers: [{ header_name: 'x-cf-key', claim: 'kid' }] },
    cfcookie: { kind: 'signed_cookie', signed: { scheme: 'cloudfront', keys: cfKeys },
      claim_to_headers: [{ header_name: 'x-cf-resource', claim: 'resource' }, { header_name: 'x-cf-ip', claim: 'ip' }] },
  } : {};
  const cfRules = cloudfront ? [
    { match: { prefix: '/cf/u/' }, requires: { provider_name: 'cfurl' } },
    { match: { prefix: '/cf/' }, requires: { provider_name: 'cfcookie' } },
  ] : [];
  return {
    version: 1,
    realm: 'api',
    public_origin: ORIGIN,
    trusted_proxies: trustedProxies,
    providers: {
      idp: { issuer: ISS, audiences: ['api'], local_jwks: idpJwks,
        claim_to_headers: [{ header_name: 'x-user', claim: 'sub' }] },
      akamai: { kind: 'signed_cookie',
        signed: { scheme: 'akamai_edgeauth', keys: [{ secret_from_env: 'EDGEWARD_AKAMAI_KEY' }] },
        claim_to_headers: [{ header_name: 'x-token-data', claim: 'data' }, { header_name: 'x-token-ip', claim: 'ip' }] },
      gurl: { kind: 'signed_url',
        signed: { scheme: 'google_cloud_cdn', keys: [{ name: 'edge-key', secret_from_env: 'EDGEWARD_GOOGLE_KEY' }] },
        claim_to_headers: [{ header_name: 'x-key-name', claim: 'kid' }] },
      gcookie: { kind: 'signed_cookie',
        signed: { scheme: 'google_cloud_cdn', keys: [{ name: 'edge-key', secret_from_env: 'EDGEWARD_GOOGLE_KEY' }] },
        claim_to_headers: [{ header_name: 'x-gc-key', claim: 'kid' }, { header_name: 'x-gc-prefix', claim: 'url_prefix' }] },
      session: { kind: 'session_cookie', issuer: SESSION_ISS, audiences: ['app'],
        secrets_from_env: [{ env: 'EDGEWARD_SESSION_KEY', alg: 'HS256', kid: 's1' }],
        session: { lifetime_seconds: 600, bind_client_ip: true, claims: ['scope'], same_site: 'strict' },
        claim_to_headers: [{ header_name: 'x-session-user', claim: 'sub' }, { header_name: 'x-session-scope', claim: 'scope' }] },
      ...cfProviders,
    },
    rules: [
      { match: { prefix: '/ak/' }, requires: { provider_name: 'akamai' } },
      { match: { prefix: '/g/' }, requires: { provider_name: 'gurl' } },
      { match: { prefix: '/gc/' }, requires: { provider_name: 'gcookie' } },
      ...cfRules,
      { match: { prefix: '/app/' }, requires: { requires_any: [{ provider_name: 'session' }, { provider_name: 'idp' }] } },
      { match: { prefix: '/' }, requires: { provider_name: 'idp' } },
    ],
  };
}

/** An Akamai ACL token (a `__token__` cookie's value) from Akamai's signer. */
export function akamaiToken(secrets, acl, { ip, data, start, end, key } = {}) {
  const t = now();
  return new EdgeAuth({ key: key ?? secrets.akamaiHex, algorithm: 'sha256', ip, payload: data,
    startTime: start ?? t - 5, endTime: end ?? t + 3600 }).generateACLToken(acl);
}

const googleSig = (keyB64, message) =>
  padded(createHmac('sha1', Buffer.from(keyB64, 'base64url')).update(message).digest('base64url'));
const googlePrefix = (prefix) => `URLPrefix=${padded(Buffer.from(prefix).toString('base64url'))}`;

/** A Google Cloud CDN signed URL, per "Using signed URLs". */
export function googleSignedUrl(secrets, url, { keyName = 'edge-key', expires } = {}) {
  const toSign = `${url}${url.includes('?') ? '&' : '?'}Expires=${expires ?? now() + 3600}&KeyName=${keyName}`;
  return `${toSign}&Signature=${googleSig(secrets.google, toSign)}`;
}

/** A Google Cloud CDN URL-prefix signed URL for `url` ("Using signed URLs", URL prefix): only
 * `URLPrefix=..&Expires=..&KeyName=..` is signed. */
export function googleSignedUrlPrefix(secrets, url, prefix, { keyName = 'edge-key', expires } = {}) {
  const policy = `${googlePrefix(prefix)}&Expires=${expires ?? now() + 3600}&KeyName=${keyName}`;
  return `${url}${url.includes('?') ? '&' : '?'}${policy}&Signature=${googleSig(secrets.google, policy)}`;
}

/** A `Cloud-CDN-Cookie` value ("Using signed cookies", "Creating a policy"); `key` (base64url) to
 * sign with another key under the same KeyName. */
export function googleSignedCookie(secrets, prefix, { keyName = 'edge-key', expires, key } = {}) {
  const policy = `${googlePrefix(prefix)}:Expires=${expires ?? now() + 3600}:KeyName=${keyName}`;
  return `${policy}:Signature=${googleSig(key ?? secrets.google, policy)}`;
}

/** A Google credential (cookie value or URL) with its signature's first character changed: still
 * canonical base64url (the last character's unused bits are untouched), no longer the MAC. */
export function googleResigned(value) {
  const i = value.lastIndexOf('Signature=') + 'Signature='.length;
  return `${value.slice(0, i)}${value[i] === 'A' ? 'B' : 'A'}${value.slice(i + 1)}`;
}

/** A Google credential with its URLPrefix replaced by `prefix`, the signature kept. */
export function googleWidened(value, prefix) {
  return value.replace(/URLPrefix=[^&:]*/, googlePrefix(prefix));
}

/** A CloudFront signed URL from AWS's signer: canned (`Expires`) unless `policy`, `ipAddress` or
 * `dateGreaterThan` (unix seconds) is given; `algorithm: 'SHA256'` for SHA-256, `keyPairId` to
 * name another key pair id, `privateKey` to sign with another key. */
export function cloudfrontUrl(secrets, url, { key = 'rsa', algorithm, expires, policy, ipAddress, start, keyPairId,
  privateKey } = {}) {
  const k = secrets.cloudfront[key];
  const o = { url, keyPairId: keyPairId ?? k.id, privateKey: privateKey ?? k.privateKey, algorithm };
  if (policy) return getSignedUrl({ ...o, policy });
  return getSignedUrl({ ...o, dateLessThan: new Date((expires ?? now() + 3600) * 1000),
    ...(ipAddress ? { ipAddress } : {}), ...(start === undefined ? {} : { dateGreaterThan: new Date(start * 1000) }) });
}

/** A custom policy document (the JSON CloudFront defines) for `resource` (wildcards allowed). */
export function cloudfrontPolicy(resource, { expires, ip, start } = {}) {
  const condition = { DateLessThan: { 'AWS:EpochTime': expires ?? now() + 3600 } };
  if (ip) condition.IpAddress = { 'AWS:SourceIp': ip };
  if (start !== undefined) condition.DateGreaterThan = { 'AWS:EpochTime': start };
  return JSON.stringify({ Statement: [{ Resource: resource, Condition: condition }] });
}

/** CloudFront signed cookies from AWS's signer, as one Cookie header value: custom policy for
 * `resource` (see cloudfrontPolicy), or canned for `url` when `resource` is null. */
export function cloudfrontCookies(secrets, resource, { url, key = 'rsa', algorithm, keyPairId, privateKey, ...p } = {}) {
  const k = secrets.cloudfront[key];
  const o = { keyPairId: keyPairId ?? k.id, privateKey: privateKey ?? k.privateKey, algorithm };
  const m = resource === null
    ? getSignedCookies({ ...o, url, dateLessThan: new Date((p.expires ?? now() + 3600) * 1000) })
    : getSignedCookies({ ...o, policy: cloudfrontPolicy(resource, p) });
  return Object.entries(m).map(([n, v]) => `${n}=${v}`).join('; ');
}

/** A session cookie's value as edgeward mints them, signed by jose. */
export function sessionCookie(secrets, { cip, sub = 'alice', iss = SESSION_ISS, typ = SESSION_TYP, key, ...claims } = {}) {
  const t = now();
  const body = { iss, aud: 'app', sub, iat: t - 5, exp: t + 595, ...(cip === undefined ? {} : { cip }), ...claims };
  return new jose.SignJWT(body).setProtectedHeader({ alg: 'HS256', typ, kid: 's1' }).sign(key ?? secrets.session);
}

/** The public origin the DPoP test policies declare (what a proof's `htu` names). */
export const PUBLIC_ORIGIN = 'https://api.edge.test';

/** A DPoP key holder (RFC 9449), made with jose: `jkt` is the key's RFC 7638 thumbprint for a
 * token's `cnf.jkt`, and `proof(...)` signs a proof with the public key in its `jwk` header. */
export async function dpopHolder(alg = 'ES256') {
  const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true });
  const jwk = await jose.exportJWK(publicKey);
  const jkt = await jose.calculateJwkThumbprint(jwk, 'sha256');
  let n = 0;
  return {
    alg,
    jwk,
    jkt,
    /** A proof for `method` and `url` (absolute) bound to `accessToken`; `claims` override. */
    async proof(method, url, accessToken, claims = {}, header = {}) {
      n += 1;
      const body = {
        jti: `proof-${n}-${Math.random().toString(36).slice(2)}`,
        htm: method,
        htu: url,
        iat: now(),
        ...(accessToken ? { ath: jose.base64url.encode(createHash('sha256').update(accessToken).digest()) } : {}),
        ...claims,
      };
      for (const [k, v] of Object.entries(body)) if (v === undefined) delete body[k];
      return new jose.SignJWT(body).setProtectedHeader({ typ: 'dpop+jwt', alg, jwk, ...header }).sign(privateKey);
    },
  };
}

export const dpopAuth = (accessToken, proof) => ({ authorization: `DPoP ${accessToken}`, ...(proof ? { dpop: proof } : {}) });

/** A signed revocation bundle (typ edgeward-revocations+jwt) over `list` plus `iat` and `seq`. */
export async function revocationBundle(key, list, { iat = now(), seq = 1, exp, typ = 'edgeward-revocations+jwt' } = {}) {
  const payload = { ...list, iat, seq, ...(exp === undefined ? {} : { exp }) };
  return new jose.CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ })
    .sign(key.sign);
}

/** A random 32-byte "certificate digest": hex for `peerCertificate`, base64url for `cnf.x5t#S256`. */
export function certDigest() {
  const d = randomBytes(32);
  return { hex: d.toString('hex'), x5t: d.toString('base64url') };
}
