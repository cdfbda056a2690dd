// Add AWS CloudFront signed URLs and signed cookies made by AWS's npm signer
// `@aws-sdk/cloudfront-signer` (pinned in package.json) to a case file written by
// tests/vectors/cdn/gen_cdn.py. Keys (RSA 2048 and ECDSA P-256) are generated here with
// node:crypto on every run; only their public halves (PEM SubjectPublicKeyInfo) are written.
// Usage: node gen_cloudfront_npm.mjs CASES.json (run from tests/interop so that the package
// resolves). Case names start with "npm: ".
//
// What the signer does, and the tests pin: parameters in the order Expires|Policy, Key-Pair-Id,
// Signature, Hash-Algorithm (botocore puts Signature before Key-Pair-Id: the verifier takes
// either); ECDSA with SHA-1 by default (node's "RSA-SHA1" digest with an EC key), SHA-256 with
// `algorithm: 'SHA256'`; a custom policy as soon as dateGreaterThan or ipAddress is given.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { generateKeyPairSync, randomInt } from 'node:crypto';

const require = createRequire(process.cwd() + '/');
const { getSignedUrl, getSignedCookies } = require('@aws-sdk/cloudfront-signer');
const version = JSON.parse(
  readFileSync(require.resolve('@aws-sdk/cloudfront-signer/package.json'), 'utf8')).version;

const out = process.argv[2];
if (!out) throw new Error('usage: node gen_cloudfront_npm.mjs CASES.json');
const doc = JSON.parse(readFileSync(out, 'utf8'));

const NOW = 1_800_000_000;
const EXP = NOW + 600;
const dateLessThan = new Date(EXP * 1000);
const cases = [];

function keyId() {
  const a = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let id = 'K';
  for (let i = 0; i < 13; i++) id += a[randomInt(a.length)];
  return id;
}
function keyPair(type) {
  const k = type === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    id: keyId(),
    privateKey: k.privateKey.export({ type: 'pkcs8', format: 'pem' }),
    publicPem: k.publicKey.export({ type: 'spki', format: 'pem' }),
  };
}
function grant(key, g = {}) {
  return { expires: EXP, start: null, key_pair_id: key.id, resource: null, source_ip: null, kind: 'canned',
    hash: 'SHA1', ...g };
}
function add(name, expect, { url, cookies, requestUrl, clientIp = null, now = NOW, g } = {}) {
  const c = { name: 'npm: ' + name, kind: url ? 'url' : 'cookies', now, client_ip: clientIp, expect };
  if (url) c.url = url;
  else {
    c.cookies = cookies;
    c.request_url = requestUrl;
  }
  if (g) c.grant = g;
  cases.push(c);
}
// The signer's cookie map as the verifier's input (values as strings, absent ones null).
function cookieValues(m) {
  const s = (v) => (v === undefined ? null : String(v));
  return { policy: s(m['CloudFront-Policy']), expires: s(m['CloudFront-Expires']),
    signature: s(m['CloudFront-Signature']), key_pair_id: s(m['CloudFront-Key-Pair-Id']),
    hash_algorithm: s(m['CloudFront-Hash-Algorithm']) };
}

const rsaKey = keyPair('rsa');
const ecKey = keyPair('ec');
const stranger = keyPair('ec');
const base = 'https://d111111abcdef8.cloudfront.net/media/clip.mp4';

for (const [kt, key] of [['rsa', rsaKey], ['ecdsa', ecKey]]) {
  for (const algorithm of [undefined, 'SHA256']) {
    const h = algorithm ?? 'SHA1';
    const sign = (o) => getSignedUrl({ keyPairId: key.id, privateKey: key.privateKey, algorithm, ...o });
    const u = sign({ url: base + '?lang=en', dateLessThan });
    add(`${kt} ${h} canned url`, 'ok', { url: u, g: grant(key, { hash: h }) });
    add(`${kt} ${h} canned url, other path`, 'signature_invalid', { url: u.replace('clip', 'clap') });
    add(`${kt} ${h} canned url expired`, 'expired', { url: u, now: EXP });
    add(`${kt} ${h} canned url, unknown key pair id`, 'unknown_key',
      { url: getSignedUrl({ url: base, dateLessThan, keyPairId: 'KNOTINTHEGROUP', privateKey: key.privateKey,
        algorithm }) });

    // Custom policy built by the signer (ipAddress makes it custom): resource = the URL.
    const c = sign({ url: base, dateLessThan, dateGreaterThan: new Date((NOW - 30) * 1000),
      ipAddress: '198.51.100.0/28' });
    const cg = grant(key, { kind: 'custom', hash: h, start: NOW - 30, resource: base,
      source_ip: '198.51.100.0/28' });
    add(`${kt} ${h} custom url`, 'ok', { url: c, clientIp: '198.51.100.3', g: cg });
    add(`${kt} ${h} custom url, other path`, 'scope_mismatch',
      { url: c.replace('clip.mp4', 'clip.mp4x'), clientIp: '198.51.100.3' });
    add(`${kt} ${h} custom url, other client`, 'ip_mismatch', { url: c, clientIp: '198.51.100.16' });
    add(`${kt} ${h} custom url, IPv6 client`, 'ip_mismatch', { url: c, clientIp: '2001:db8::3' });
    add(`${kt} ${h} custom url, not yet valid`, 'not_yet_valid',
      { url: c, clientIp: '198.51.100.3', now: NOW - 31 });
    add(`${kt} ${h} custom url expired`, 'expired', { url: c, clientIp: '198.51.100.3', now: EXP + 1 });

    // Cookies: canned for one URL, custom for a wildcard resource.
    const cc = cookieValues(getSignedCookies({ url: base, dateLessThan, keyPairId: key.id,
      privateKey: key.privateKey, algorithm }));
    add(`${kt} ${h} canned cookies`, 'ok', { cookies: cc, requestUrl: base, g: grant(key, { hash: h }) });
    add(`${kt} ${h} canned cookies, other URL`, 'signature_invalid',
      { cookies: cc, requestUrl: base.replace('/media/', '/other/') });
    const policy = JSON.stringify({ Statement: [{ Resource: 'https://d111111abcdef8.cloudfront.net/media/*',
      Condition: { DateLessThan: { 'AWS:EpochTime': EXP } } }] });
    const pc = cookieValues(getSignedCookies({ policy, keyPairId: key.id, privateKey: key.privateKey,
      algorithm }));
    const pg = grant(key, { kind: 'custom', hash: h, resource: 'https://d111111abcdef8.cloudfront.net/media/*' });
    add(`${kt} ${h} custom cookies`, 'ok',
      { cookies: pc, requestUrl: 'https://d111111abcdef8.cloudfront.net/media/hls/seg-7.ts', g: pg });
    add(`${kt} ${h} custom cookies, outside the resource`, 'scope_mismatch',
      { cookies: pc, requestUrl: 'https://d111111abcdef8.cloudfront.net/private/a.ts' });
    add(`${kt} ${h} custom cookies expired`, 'expired',
      { cookies: pc, requestUrl: base, now: EXP });
    add(`${kt} ${h} custom cookies, signed by a key outside the group`, 'signature_invalid',
      { cookies: cookieValues(getSignedCookies({ policy, keyPairId: key.id, privateKey: stranger.privateKey,
        algorithm })), requestUrl: base });
  }
}
// The signer percent-encodes the path (and the query) before signing: the URL it returns is the
// one a client sends, and the canned policy's resource is that encoded URL.
{
  const u = getSignedUrl({ url: 'https://d111111abcdef8.cloudfront.net/media/my clip \u00e9.mp4?t=a b',
    dateLessThan, keyPairId: rsaKey.id, privateKey: rsaKey.privateKey });
  if (!u.includes('/media/my%20clip%20%C3%A9.mp4?t=a%20b&')) throw new Error('unexpected encoding: ' + u);
  add('rsa SHA1 canned url, path and query percent-encoded by the signer', 'ok', { url: u, g: grant(rsaKey) });
  add('rsa SHA1 canned url, path decoded again', 'malformed', { url: decodeURI(u) });
}
// A custom policy given to the URL signer (wildcard resource).
{
  const policy = JSON.stringify({ Statement: [{ Resource: 'https://d111111abcdef8.cloudfront.net/media/*',
    Condition: { DateLessThan: { 'AWS:EpochTime': EXP }, IpAddress: { 'AWS:SourceIp': '203.0.113.0/24' } } }] });
  const u = getSignedUrl({ url: base, policy, keyPairId: ecKey.id, privateKey: ecKey.privateKey });
  add('ecdsa SHA1 custom url with a given policy', 'ok', { url: u, clientIp: '203.0.113.200',
    g: grant(ecKey, { kind: 'custom', resource: 'https://d111111abcdef8.cloudfront.net/media/*',
      source_ip: '203.0.113.0/24' }) });
  add('ecdsa SHA1 custom url with a given policy, no client address', 'ip_mismatch', { url: u });
  // An RSA 2048 signature is 256 bytes, so its base64 always ends in padding (`__` here).
  const r = getSignedUrl({ url: base, policy, keyPairId: rsaKey.id, privateKey: rsaKey.privateKey });
  const sig = /Signature=([^&]*)/.exec(r)[1];
  add('rsa SHA1 custom url, signature with standard base64', 'malformed',
    { url: r.replace(sig, sig.replace(/-/g, '+').replace(/~/g, '/').replace(/_/g, '=')), clientIp: '203.0.113.1' });
}

doc.cloudfront_keys.push([rsaKey.id, rsaKey.publicPem], [ecKey.id, ecKey.publicPem]);
doc.cloudfront.push(...cases);
doc.signers.cloudfront_npm = `@aws-sdk/cloudfront-signer ${version} (npm)`;
writeFileSync(out, JSON.stringify(doc, null, 1) + '\n');
console.log(`${out}: ${cases.length} npm @aws-sdk/cloudfront-signer cases added`);
