// Keys and tokens for the package tests, made with jose (an independent JOSE implementation)
// at run time. Nothing secret is stored in the repository.
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
