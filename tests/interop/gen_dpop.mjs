// DPoP proofs (RFC 9449) minted with the npm `jose` library (WebCrypto) for tests/dpop.rs.
// Writes OUT (JSON): `now`, a nonce secret and one case per proof with the request it is checked
// against and the expected outcome (`ok` or an edgeward DpopError code). Keys and the nonce
// secret are generated here at run time; the output is not committed (one negative case embeds
// a private key in the proof header on purpose).
// Usage: node gen_dpop.mjs OUT   (needs `jose` resolvable, e.g. NODE_PATH or a local install)
import { writeFileSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';

const require = createRequire(process.cwd() + '/');
const jose = await import(require.resolve('jose'));
const version = JSON.parse(readFileSync(require.resolve('jose/package.json'), 'utf8')).version;

const now = Math.floor(Date.now() / 1000);
const URL_ = 'https://api.example.com/resource';
const b64 = (buf) => Buffer.from(buf).toString('base64url');
const ath = (token) => b64(createHash('sha256').update(token, 'ascii').digest());

// The edgeward nonce format, written independently from its description in src/dpop.rs:
// base64url(slot as i64 big-endian || HMAC-SHA256(secret, "edgeward dpop nonce v1\0" || slot)).
const SLOT_SECONDS = 60;
const nonceSecret = randomBytes(32);
function nonceFor(t, secret = nonceSecret) {
  const slot = Buffer.alloc(8);
  slot.writeBigInt64BE(BigInt(Math.floor(t / SLOT_SECONDS)));
  const mac = createHmac('sha256', secret).update('edgeward dpop nonce v1\0').update(slot).digest();
  return b64(Buffer.concat([slot, mac]));
}

const keys = {};
for (const alg of ['ES256', 'RS256', 'PS256', 'EdDSA']) {
  const opts = alg === 'EdDSA' ? { crv: 'Ed25519', extractable: true } : { extractable: true };
  const { publicKey, privateKey } = await jose.generateKeyPair(alg, opts);
  const jwk = await jose.exportJWK(publicKey);
  keys[alg] = { privateKey, jwk, privateJwk: await jose.exportJWK(privateKey),
    jkt: await jose.calculateJwkThumbprint(jwk, 'sha256') };
}

async function proof(alg, { claims = {}, header = {}, key = keys[alg] } = {}) {
  const payload = { jti: randomUUID(), htm: 'GET', htu: URL_, iat: now, ...claims };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  return new jose.CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ typ: 'dpop+jwt', alg, jwk: key.jwk, ...header })
    .sign(key.privateKey);
}

const cases = [];
function add(name, p, expect, extra = {}) {
  cases.push({ name, proof: p, method: 'GET', url: URL_, access_token: null,
    nonce_required: false, expect, jkt: null, ...extra });
}

const token = b64(randomBytes(24)) + '.' + b64(randomBytes(12));
for (const alg of Object.keys(keys)) {
  const { jkt } = keys[alg];
  add(`${alg} plain`, await proof(alg), 'ok', { jkt });
  add(`${alg} request query dropped`, await proof(alg), 'ok', { jkt, url: URL_ + '?a=1&b=2' });
  add(`${alg} with ath`, await proof(alg, { claims: { ath: ath(token) } }), 'ok',
    { jkt, access_token: token });
  add(`${alg} with nonce`, await proof(alg, { claims: { nonce: nonceFor(now) } }), 'ok',
    { jkt, nonce_required: true });
  add(`${alg} with ath and nonce`,
    await proof(alg, { claims: { ath: ath(token), nonce: nonceFor(now) } }), 'ok',
    { jkt, access_token: token, nonce_required: true });
}

const es = keys.ES256;
add('htu with query and fragment (dropped)', await proof('ES256', { claims: { htu: URL_ + '?q=1#f' } }),
  'ok', { jkt: es.jkt });
add('htu needing normalisation', await proof('ES256',
  { claims: { htu: 'HTTPS://API.Example.COM:443/x/../%72esource' } }), 'ok', { jkt: es.jkt });
add('POST proof for a GET', await proof('ES256', { claims: { htm: 'POST' } }), 'proof_htm');
add('htm in lower case', await proof('ES256', { claims: { htm: 'get' } }), 'proof_htm');
add('wrong htu path', await proof('ES256', { claims: { htu: 'https://api.example.com/other' } }),
  'proof_htu');
add('wrong htu host', await proof('ES256', { claims: { htu: 'https://evil.example.com/resource' } }),
  'proof_htu');
add('http htu for https', await proof('ES256', { claims: { htu: 'http://api.example.com/resource' } }),
  'proof_htu');
add('stale iat', await proof('ES256', { claims: { iat: now - 301 } }), 'proof_iat');
add('iat in the future', await proof('ES256', { claims: { iat: now + 60 } }), 'proof_iat');
add('missing iat', await proof('ES256', { claims: { iat: undefined } }), 'proof_iat');
add('missing jti', await proof('ES256', { claims: { jti: undefined } }), 'proof_jti');
add('jti over 256 bytes', await proof('ES256', { claims: { jti: 'j'.repeat(257) } }), 'proof_jti');
add('missing ath with an access token', await proof('ES256'), 'proof_ath', { access_token: token });
add('ath of another token', await proof('ES256', { claims: { ath: ath(token + 'x') } }), 'proof_ath',
  { access_token: token });
add('missing nonce', await proof('ES256'), 'use_nonce', { nonce_required: true });
add('stale nonce', await proof('ES256', { claims: { nonce: nonceFor(now - 3 * SLOT_SECONDS) } }),
  'use_nonce', { nonce_required: true });
add('nonce of another secret', await proof('ES256',
  { claims: { nonce: nonceFor(now, randomBytes(32)) } }), 'use_nonce', { nonce_required: true });
add('typ JWT', await proof('ES256', { header: { typ: 'JWT' } }), 'proof_typ');
add('no typ', await proof('ES256', { header: { typ: undefined } }).catch(() => null), 'proof_typ');
add('private key in the jwk header', await proof('ES256', { header: { jwk: es.privateJwk } }),
  'proof_key');
add('RSA private key in the jwk header', await proof('RS256', { header: { jwk: keys.RS256.privateJwk } }),
  'proof_key');
add('RSA key for an ES256 proof', await proof('ES256', { header: { jwk: keys.RS256.jwk } }), 'proof_key');
add('another key in the jwk header', await proof('ES256',
  { header: { jwk: (await jose.exportJWK((await jose.generateKeyPair('ES256')).publicKey)) } }),
  'proof_signature');
add('jku header', await proof('ES256', { header: { jku: 'https://keys.example/jwks' } }), 'proof_key');
{
  const secret = randomBytes(32);
  const hs = await new jose.CompactSign(new TextEncoder().encode(JSON.stringify(
    { jti: randomUUID(), htm: 'GET', htu: URL_, iat: now })))
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256', jwk: { kty: 'oct', k: b64(secret) } })
    .sign(secret);
  add('HS256 proof', hs, 'proof_alg');
}
{
  const good = await proof('ES256');
  const i = good.length - 20;
  const flipped = good.slice(0, i) + (good[i] === 'A' ? 'B' : 'A') + good.slice(i + 1);
  add('bad signature', flipped, 'proof_signature');
  const [h, p] = good.split('.');
  add('alg none', `${b64(JSON.stringify({ typ: 'dpop+jwt', alg: 'none', jwk: es.jwk }))}.${p}.`,
    'proof_alg');
  add('two proofs joined', `${good},${good}`, 'proof_malformed');
  add('JWS JSON serialization', JSON.stringify({ protected: h, payload: p, signature: 'AA' }),
    'proof_malformed');
}

const out = process.argv[2];
if (!out) throw new Error('usage: node gen_dpop.mjs OUT');
writeFileSync(out, JSON.stringify({ generator: `jose ${version} (npm, Node ${process.version})`,
  note: 'test-only keys and nonce secret generated by gen_dpop.mjs at run time; not committed',
  now, nonce: { secret: b64(nonceSecret), slot_seconds: SLOT_SECONDS },
  cases: cases.filter((c) => c.proof) }, null, 1) + '\n');
console.log(`gen_dpop: ${cases.length} cases`);
