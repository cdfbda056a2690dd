// The packed npm package in Node: signed cookies, signed URLs and session cookies through
// check() with `clientAddress`, and mintSession() round trips. Credentials come from signers
// that are not edgeward's (helpers.mjs: Akamai's `akamai-edgeauth`, Google's published
// signed-URL algorithm, AWS's `@aws-sdk/cloudfront-signer`, jose), with keys drawn for this run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as jose from 'jose';
import { Edgeward, EdgewardError } from 'edgeward';
import {
  ORIGIN, SESSION_COOKIE, SESSION_ISS, SESSION_TYP, akamaiToken, bearer, cloudfrontCookies, cloudfrontPolicy,
  cloudfrontUrl, cookiePolicy, cookieSecrets, googleKey, googleResigned, googleSignedCookie, googleSignedUrl,
  googleSignedUrlPrefix, googleWidened, jwks, makeKeys, now, req, sessionCookie, token,
} from './helpers.mjs';

const KEYS = await makeKeys(['ES256']);
const S = cookieSecrets();
const ew = Edgeward.fromPolicy(cookiePolicy(jwks(KEYS), { cloudfront: S.cloudfront }), { env: S.env });
const CLIENT = '203.0.113.5';
const ELSEWHERE = '198.51.100.7';

const cookie = (name, value) => ({ cookie: `${name}=${value}` });

/** A denial as the cookie providers answer it: status, reason body, no-store, no challenge. */
async function denied(d, status, reason, name = '') {
  assert.deepEqual([d.allow, d.status, d.reason], [false, status, reason], `${name} ${JSON.stringify(d)}`);
  const res = d.toResponse();
  assert.equal(res.status, status, name);
  assert.equal(await res.text(), reason, name);
  assert.equal(res.headers.get('cache-control'), 'no-store', name);
  assert.equal(res.headers.get('www-authenticate'), null, `${name}: no Bearer challenge for signed or session cookies`);
}

function upstream(d, incoming) {
  return d.upstreamRequest(incoming, 'http://origin.test').headers;
}

test('Akamai signed cookie: valid, tampered, expired, not yet valid, outside the ACL, malformed, missing', async () => {
  const t = now();
  const good = akamaiToken(S, '/ak/*', { data: 'tier-gold' });
  const incoming = req('/ak/a.ts', { ...cookie('__token__', good), 'x-token-data': 'forged' });
  const d = await ew.check(incoming, { clientAddress: CLIENT });
  assert.deepEqual([d.allow, d.provider], [true, 'akamai']);
  assert.equal(upstream(d, incoming).get('x-token-data'), 'tier-gold', 'the spoofed output header is replaced');
  assert.equal(d.claims.scheme, 'akamai_edgeauth');
  const check = (path, value, opts = { clientAddress: CLIENT }) => ew.check(req(path, cookie('__token__', value)), opts);
  await denied(await check('/ak/a.ts', good.replace('data=tier-gold', 'data=tier-platinum')), 403, 'signature_invalid');
  await denied(await check('/ak/a.ts', akamaiToken(S, '/ak/*', { key: S.akamaiHex.replace(/^./, (c) => (c === '0' ? '1' : '0')) })),
    403, 'signature_invalid');
  await denied(await check('/ak/a.ts', akamaiToken(S, '/ak/*', { start: t - 600, end: t - 60 })), 403, 'cookie_expired');
  await denied(await check('/ak/a.ts', akamaiToken(S, '/ak/*', { start: t + 300, end: t + 900 })), 403, 'cookie_not_yet_valid');
  await denied(await check('/ak/music/a.mp3', akamaiToken(S, '/ak/videos/*')), 403, 'cookie_scope_mismatch');
  await denied(await check('/ak/a.ts', 'exp=1'), 403, 'cookie_malformed');
  await denied(await ew.check(req('/ak/a.ts'), { clientAddress: CLIENT }), 403, 'cookie_missing');
  // The same token on a JWT route is no bearer token: 401 with the challenge there.
  const jwtRoute = await check('/x', good);
  assert.deepEqual([jwtRoute.status, jwtRoute.reason], [401, 'token_missing']);
  assert.equal(jwtRoute.toResponse().headers.get('www-authenticate'), 'Bearer realm="api"');
});

test('dot-segments: the URL parser resolves them before check(), so the resolved path is judged', async () => {
  // A raw path with dot-segments is refused by the core (path_invalid, tests/credentials.rs);
  // a Fetch Request never carries one, so climbing out of an ACL lands outside it.
  const videos = akamaiToken(S, '/ak/videos/*');
  const out = await ew.check(req('/ak/videos/../music/a.mp3', cookie('__token__', videos)), { clientAddress: CLIENT });
  await denied(out, 403, 'cookie_scope_mismatch');
  const inside = await ew.check(req('/ak/videos/a/../b.ts', cookie('__token__', videos)), { clientAddress: CLIENT });
  assert.deepEqual([inside.allow, inside.path], [true, '/ak/videos/b.ts']);
});

test('cookie tossing: a second __token__ (same field, or a second Cookie field) is ambiguous', async () => {
  const a = akamaiToken(S, '/ak/*');
  const b = akamaiToken(S, '/ak/videos/*');
  const one = await ew.check(req('/ak/a.ts', { cookie: `__token__=${a}; __token__=${b}` }), { clientAddress: CLIENT });
  assert.deepEqual([one.status, one.reason], [400, 'token_ambiguous']);
  assert.equal(one.toResponse().headers.get('www-authenticate'), null);
  const h = new Headers();
  h.append('cookie', `__token__=${a}`);
  h.append('cookie', `__token__=${b}`);
  const two = await ew.check(new Request('http://edge.test/ak/a.ts', { headers: h }), { clientAddress: CLIENT });
  assert.deepEqual([two.status, two.reason], [400, 'token_ambiguous']);
});

test('IP binding judges clientAddress; forwarded headers only from trusted_proxies', async () => {
  const bound = cookie('__token__', akamaiToken(S, '/ak/*', { ip: ELSEWHERE }));
  const run = (headers, clientAddress) => ew.check(req('/ak/a.ts', { ...bound, ...headers }), { clientAddress });
  // The client the token is bound to (a socket address with a port is fine).
  const ok = await run({}, `${ELSEWHERE}:40000`);
  assert.equal(ok.allow, true, JSON.stringify(ok));
  assert.equal(ok.claims.ip, ELSEWHERE);
  // Another client, alone or claiming the bound address in any forwarded header.
  await denied(await run({}, CLIENT), 403, 'cookie_ip_mismatch');
  await denied(await run({ 'x-forwarded-for': ELSEWHERE }, CLIENT), 403, 'cookie_ip_mismatch');
  await denied(await run({ forwarded: `for=${ELSEWHERE}` }, CLIENT), 403, 'cookie_ip_mismatch');
  await denied(await run({ 'cf-connecting-ip': ELSEWHERE }, CLIENT), 403, 'cookie_ip_mismatch');
  // No address at all (a host that cannot tell): bound credentials fail, unbound ones pass.
  await denied(await run({ 'x-forwarded-for': ELSEWHERE }, undefined), 403, 'cookie_ip_mismatch');
  const unbound = await ew.check(req('/ak/a.ts', cookie('__token__', akamaiToken(S, '/ak/*'))));
  assert.equal(unbound.allow, true);
  // A trusted proxy (10.0.0.0/8) forwarding for the client: the first untrusted hop from the right.
  assert.equal((await run({ 'x-forwarded-for': `6.6.6.6, ${ELSEWHERE}` }, '10.1.2.3')).allow, true);
  await denied(await run({ 'x-forwarded-for': `${ELSEWHERE}, 6.6.6.6` }, '10.1.2.3'), 403, 'cookie_ip_mismatch');
  await denied(await run({ 'x-forwarded-for': ELSEWHERE, forwarded: 'for=6.6.6.6' }, '10.1.2.3'), 403,
    'cookie_ip_mismatch');
});

test('Google signed URL: judged against public_origin and the target, never the Request\'s host', async () => {
  const url = googleSignedUrl(S, `${ORIGIN}/g/v/a.mp4?quality=hd`);
  const target = url.slice(ORIGIN.length);
  const d = await ew.check(req(target));
  assert.equal(d.allow, true, JSON.stringify(d));
  assert.equal(upstream(d, req(target)).get('x-key-name'), 'edge-key');
  await denied(await ew.check(req(target.replace('a.mp4', 'b.mp4'))), 403, 'signature_invalid');
  const elsewhere = googleSignedUrl(S, 'http://edge.test/g/v/a.mp4');
  await denied(await ew.check(req(elsewhere.slice('http://edge.test'.length))), 403, 'signature_invalid');
  await denied(await ew.check(req(googleSignedUrl(S, `${ORIGIN}/g/v/a.mp4`, { expires: now() - 1 }).slice(ORIGIN.length))),
    403, 'cookie_expired');
  await denied(await ew.check(req(googleSignedUrl(S, `${ORIGIN}/g/v/a.mp4`, { keyName: 'nope' }).slice(ORIGIN.length))),
    403, 'key_not_found');
  await denied(await ew.check(req('/g/v/a.mp4')), 403, 'cookie_missing');
});

test('Google signed cookie (Cloud-CDN-Cookie): valid, quoted; tampered, wrong key, expired, outside the prefix, tossed', async () => {
  const prefix = `${ORIGIN}/gc/videos/`;
  const good = googleSignedCookie(S, prefix);
  const incoming = req('/gc/videos/a.ts', { cookie: `theme=dark; Cloud-CDN-Cookie=${good}`, 'x-gc-prefix': `${ORIGIN}/` });
  const d = await ew.check(incoming, { clientAddress: CLIENT });
  assert.deepEqual([d.allow, d.provider], [true, 'gcookie'], JSON.stringify(d));
  assert.deepEqual([d.claims.scheme, d.claims.kid, d.claims.url_prefix], ['google_cloud_cdn', 'edge-key', prefix]);
  const h = upstream(d, incoming);
  assert.deepEqual([h.get('x-gc-key'), h.get('x-gc-prefix')], ['edge-key', prefix], 'the spoofed output is replaced');
  const gc = (v) => `Cloud-CDN-Cookie=${v}`;
  const run = (path, ...fields) => {
    const hs = new Headers();
    for (const f of fields) hs.append('cookie', f); // each its own Cookie field
    return ew.check(new Request(`http://edge.test${path}`, { headers: hs }), { clientAddress: CLIENT });
  };
  const quoted = await run('/gc/videos/hd/b.ts', gc(`"${good}"`));
  assert.deepEqual([quoted.allow, quoted.claims.url_prefix], [true, prefix], JSON.stringify(quoted));
  const other = googleSignedCookie(S, `${ORIGIN}/gc/`);
  const rows = [
    ['tampered signature', '/gc/videos/a.ts', [gc(googleResigned(good))], 403, 'signature_invalid'],
    ['prefix widened, signature kept', '/gc/videos/a.ts', [gc(googleWidened(good, `${ORIGIN}/gc/`))], 403,
      'signature_invalid'],
    ['wrong key under the same KeyName', '/gc/videos/a.ts', [gc(googleSignedCookie(S, prefix, { key: googleKey() }))], 403,
      'signature_invalid'],
    ['unknown key name', '/gc/videos/a.ts', [gc(googleSignedCookie(S, prefix, { keyName: 'other' }))], 403, 'key_not_found'],
    ['expired', '/gc/videos/a.ts', [gc(googleSignedCookie(S, prefix, { expires: now() - 1 }))], 403, 'cookie_expired'],
    ['outside the prefix', '/gc/private/a.ts', [gc(good)], 403, 'cookie_scope_mismatch'],
    ['dot-dot out of the prefix (resolved by the URL parser)', '/gc/videos/../private/a.ts', [gc(good)], 403,
      'cookie_scope_mismatch'],
    ['malformed', '/gc/videos/a.ts', [gc(`${good}:x`)], 403, 'cookie_malformed'],
    ['tossed, one Cookie field', '/gc/videos/a.ts', [`${gc(good)}; ${gc(other)}`], 400, 'token_ambiguous'],
    ['tossed, a second Cookie field', '/gc/videos/a.ts', [gc(good), gc(other)], 400, 'token_ambiguous'],
    ['missing', '/gc/videos/a.ts', ['theme=dark'], 403, 'cookie_missing'],
  ];
  for (const [name, path, fields, status, reason] of rows) await denied(await run(path, ...fields), status, reason, name);
});

test('Google URL-prefix signed URL: valid under the prefix; tampered, widened, expired, outside it', async () => {
  const prefix = `${ORIGIN}/g/videos/`;
  const at = (url) => url.slice(ORIGIN.length);
  const target = at(googleSignedUrlPrefix(S, `${ORIGIN}/g/videos/seg-1.ts?quality=hd`, prefix));
  const d = await ew.check(req(target));
  assert.deepEqual([d.allow, d.provider, d.claims.kid, d.claims.url_prefix], [true, 'gurl', 'edge-key', prefix],
    JSON.stringify(d));
  assert.equal(upstream(d, req(target)).get('x-key-name'), 'edge-key');
  const rows = [
    ['tampered signature', googleResigned(target), 'signature_invalid'],
    ['prefix widened, signature kept', googleWidened(target, `${ORIGIN}/g/`), 'signature_invalid'],
    ['expired', at(googleSignedUrlPrefix(S, `${ORIGIN}/g/videos/seg-1.ts`, prefix, { expires: now() - 1 })), 'cookie_expired'],
    ['outside the prefix', at(googleSignedUrlPrefix(S, `${ORIGIN}/g/private/seg-1.ts`, prefix)), 'cookie_scope_mismatch'],
  ];
  for (const [name, t, reason] of rows) await denied(await ew.check(req(t)), 403, reason, name);
});

test('CloudFront signed URL (AWS\'s signer): canned and custom, RSA and ECDSA; every way to fail', async () => {
  const t = now();
  const at = (url) => url.slice(ORIGIN.length);
  const canned = at(cloudfrontUrl(S, `${ORIGIN}/cf/u/v/a.mp4?quality=hd`));
  const d = await ew.check(req(canned), { clientAddress: CLIENT });
  assert.deepEqual([d.allow, d.provider], [true, 'cfurl'], JSON.stringify(d));
  assert.equal(upstream(d, req(canned)).get('x-cf-key'), S.cloudfront.rsa.id);
  assert.deepEqual([d.claims.scheme, d.claims.kid, d.claims.resource, d.claims.ip], ['cloudfront', S.cloudfront.rsa.id,
    undefined, undefined]);
  assert.ok(d.claims.exp > t, 'exp is the canned Expires');
  const ecdsa = await ew.check(req(at(cloudfrontUrl(S, `${ORIGIN}/cf/u/v/a.mp4`, { key: 'ecdsa', algorithm: 'SHA256' }))));
  assert.deepEqual([ecdsa.allow, ecdsa.claims.kid], [true, S.cloudfront.ecdsa.id], JSON.stringify(ecdsa));
  // A custom policy with a wildcard resource (here given to the signer), and one the signer builds.
  const custom = at(cloudfrontUrl(S, `${ORIGIN}/cf/u/videos/a.ts`, { key: 'ecdsa',
    policy: cloudfrontPolicy(`${ORIGIN}/cf/u/videos/*`, { start: t - 5 }) }));
  const c = await ew.check(req(custom.replace('a.ts', 'hd/b.ts')));
  assert.equal(c.allow, true, JSON.stringify(c));
  assert.deepEqual([c.claims.resource, c.claims.nbf], [`${ORIGIN}/cf/u/videos/*`, t - 5]);
  await denied(await ew.check(req(custom.replace('/videos/', '/private/'))), 403, 'cookie_scope_mismatch');
  await denied(await ew.check(req(canned.replace('a.mp4', 'b.mp4'))), 403, 'signature_invalid');
  await denied(await ew.check(req(canned.replace('quality=hd', 'quality=4k'))), 403, 'signature_invalid');
  await denied(await ew.check(req(`${canned}&Hash-Algorithm=SHA256`)), 403, 'signature_invalid');
  await denied(await ew.check(req(at(cloudfrontUrl(S, `${ORIGIN}/cf/u/v/a.mp4`,
    { keyPairId: S.cloudfront.rsa.id, privateKey: S.cloudfront.ecdsa.privateKey })))), 403, 'signature_invalid');
  const elsewhere = cloudfrontUrl(S, 'http://edge.test/cf/u/v/a.mp4');
  await denied(await ew.check(req(elsewhere.slice('http://edge.test'.length))), 403, 'signature_invalid');
  await denied(await ew.check(req(at(cloudfrontUrl(S, `${ORIGIN}/cf/u/v/a.mp4`, { expires: t - 1 })))), 403, 'cookie_expired');
  await denied(await ew.check(req(at(cloudfrontUrl(S, `${ORIGIN}/cf/u/v/a.mp4`, { keyPairId: 'KUNKNOWNKEY0001' })))),
    403, 'key_not_found');
  await denied(await ew.check(req(at(cloudfrontUrl(S, `${ORIGIN}/cf/u/v/a.mp4`, { start: t + 300 })))), 403,
    'cookie_not_yet_valid');
  // Bound to another block: the spoofed X-Forwarded-For of an untrusted client changes nothing.
  const bound = at(cloudfrontUrl(S, `${ORIGIN}/cf/u/v/a.mp4`, { ipAddress: '198.51.100.0/24' }));
  assert.equal((await ew.check(req(bound), { clientAddress: ELSEWHERE })).allow, true);
  await denied(await ew.check(req(bound, { 'x-forwarded-for': ELSEWHERE }), { clientAddress: CLIENT }), 403,
    'cookie_ip_mismatch');
  assert.equal((await ew.check(req(bound, { 'x-forwarded-for': ELSEWHERE }), { clientAddress: '10.1.2.3' })).allow, true,
    'from a trusted proxy the forwarded client counts');
  await denied(await ew.check(req(`${canned}&x=1`)), 403, 'cookie_malformed');
  await denied(await ew.check(req('/cf/u/v/a.mp4')), 403, 'cookie_missing');
});

test('CloudFront signed cookies (AWS\'s signer): one credential of up to five cookies', async () => {
  const t = now();
  const wild = `${ORIGIN}/cf/*`;
  const here = cloudfrontCookies(S, wild, { ip: `${CLIENT}/32` });
  const run = (path, value, extra = {}, clientAddress = CLIENT) =>
    ew.check(req(path, { ...(value === undefined ? {} : { cookie: value }), ...extra }), { clientAddress });
  const incoming = req('/cf/a/b.ts', { cookie: `theme=dark; ${here}`, 'x-cf-ip': '0.0.0.0/0' });
  const d = await ew.check(incoming, { clientAddress: `${CLIENT}:40000` });
  assert.deepEqual([d.allow, d.provider], [true, 'cfcookie'], JSON.stringify(d));
  assert.deepEqual([d.claims.scheme, d.claims.kid, d.claims.resource, d.claims.ip],
    ['cloudfront', S.cloudfront.rsa.id, wild, `${CLIENT}/32`]);
  const h = upstream(d, incoming);
  assert.deepEqual([h.get('x-cf-resource'), h.get('x-cf-ip')], [wild, `${CLIENT}/32`], 'the spoofed output is replaced');
  const ec = cloudfrontCookies(S, wild, { ip: `${CLIENT}/32`, key: 'ecdsa', algorithm: 'SHA256' });
  assert.equal((await run('/cf/c.ts', ec)).allow, true);
  const canned = cloudfrontCookies(S, null, { url: `${ORIGIN}/cf/v/a.mp4` });
  assert.equal((await run('/cf/v/a.mp4', canned)).allow, true);
  await denied(await run('/cf/v/b.mp4', canned), 403, 'signature_invalid');
  // Tampered: another policy with this signature.
  const other = /CloudFront-Policy=([^;]*)/.exec(cloudfrontCookies(S, `${ORIGIN}/*`, { ip: `${CLIENT}/32` }))[1];
  await denied(await run('/cf/a/b.ts', here.replace(/CloudFront-Policy=[^;]*/, `CloudFront-Policy=${other}`)), 403,
    'signature_invalid');
  await denied(await run('/cf/a/b.ts', cloudfrontCookies(S, wild, { expires: t - 60 })), 403, 'cookie_expired');
  await denied(await run('/cf/a/b.ts', cloudfrontCookies(S, wild, { start: t + 300 })), 403, 'cookie_not_yet_valid');
  await denied(await run('/cf/music/x.mp3', cloudfrontCookies(S, `${ORIGIN}/cf/videos/*`)), 403, 'cookie_scope_mismatch');
  await denied(await run('/cf/a/b.ts', cloudfrontCookies(S, wild, { keyPairId: 'KUNKNOWNKEY0001' })), 403, 'key_not_found');
  const there = cloudfrontCookies(S, wild, { ip: '198.51.100.0/24' });
  await denied(await run('/cf/a/b.ts', there), 403, 'cookie_ip_mismatch');
  await denied(await run('/cf/a/b.ts', there, { 'x-forwarded-for': ELSEWHERE }), 403, 'cookie_ip_mismatch');
  await denied(await run('/cf/a/b.ts', there, { forwarded: `for=${ELSEWHERE}` }), 403, 'cookie_ip_mismatch');
  assert.equal((await run('/cf/a/b.ts', there, { 'x-forwarded-for': ELSEWHERE }, '10.1.2.3')).allow, true);
  // Tossing: one of the cookies twice, in one Cookie field or a second one.
  const tossed = await run('/cf/a/b.ts', `${here}; CloudFront-Key-Pair-Id=${S.cloudfront.ecdsa.id}`);
  assert.deepEqual([tossed.status, tossed.reason], [400, 'token_ambiguous']);
  assert.equal(tossed.toResponse().headers.get('www-authenticate'), null);
  const hs = new Headers();
  hs.append('cookie', here);
  hs.append('cookie', ec);
  const two = await ew.check(new Request('http://edge.test/cf/a/b.ts', { headers: hs }), { clientAddress: CLIENT });
  assert.deepEqual([two.status, two.reason], [400, 'token_ambiguous']);
  await denied(await run('/cf/a/b.ts', here.split('; ').filter((c) => !c.startsWith('CloudFront-Signature=')).join('; ')),
    403, 'cookie_malformed');
  await denied(await run('/cf/a/b.ts', undefined), 403, 'cookie_missing');
});

test('mintSession: from an IdP token check() accepted, verified by jose, then one HMAC per request', async () => {
  // The IdP token outlives the session by far, so its exp never caps the cookie's (even across a second boundary).
  const idp = await token(KEYS.ES256, { scope: 'read write', email: 'a@example.com', exp: now() + 3600 });
  const first = await ew.check(req('/app/home', bearer(idp)), { clientAddress: CLIENT });
  assert.deepEqual([first.allow, first.provider], [true, 'idp']);
  // The policy's /app/ rule pairs the IdP with the session provider: that is the cookie earned.
  assert.equal(ew.sessionFor(first), 'session');
  const elsewhere = await ew.check(req('/other', bearer(idp)), { clientAddress: CLIENT });
  assert.deepEqual([elsewhere.allow, ew.sessionFor(elsewhere)], [true, null], 'an IdP-only rule pairs none');
  const t = now();
  const m = ew.mintSession(first, { provider: 'session', clientAddress: CLIENT, now: t });
  assert.deepEqual(Object.keys(m).sort(), ['expires', 'setCookie', 'value']);
  assert.equal(m.expires, t + 600);
  assert.equal(m.setCookie, `${SESSION_COOKIE}=${m.value}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=600`);
  // An independent verifier agrees on what was minted.
  const { payload, protectedHeader } = await jose.jwtVerify(m.value, S.session,
    { issuer: SESSION_ISS, audience: 'app', typ: SESSION_TYP, algorithms: ['HS256'] });
  assert.equal(protectedHeader.kid, 's1');
  assert.deepEqual([payload.sub, payload.cip, payload.scope, payload.iat, payload.exp], ['alice', CLIENT, 'read write', t, t + 600]);
  assert.equal(payload.email, undefined, 'only the configured claims are copied');

  const incoming = req('/app/home', { cookie: `theme=dark; ${SESSION_COOKIE}=${m.value}` });
  const next = await ew.check(incoming, { clientAddress: `${CLIENT}:51000` });
  assert.deepEqual([next.allow, next.provider], [true, 'session'], JSON.stringify(next));
  assert.equal(ew.sessionFor(next), null, 'a session cookie earns no other');
  const h = upstream(next, incoming);
  assert.deepEqual([h.get('x-session-user'), h.get('x-session-scope')], ['alice', 'read write']);
  // The cookie elsewhere: 401 without a challenge; and a spoofed X-Forwarded-For changes nothing.
  await denied(await ew.check(incoming, { clientAddress: ELSEWHERE }), 401, 'cookie_ip_mismatch');
  const spoofed = req('/app/home', { cookie: `${SESSION_COOKIE}=${m.value}`, 'x-forwarded-for': CLIENT });
  await denied(await ew.check(spoofed, { clientAddress: ELSEWHERE }), 401, 'cookie_ip_mismatch');
  // Expired (the core allows the policy's clock skew past exp).
  await denied(await ew.check(incoming, { clientAddress: CLIENT, now: t + 600 + 120 }), 401, 'cookie_expired');
  // Minted from plain claims too; the IdP token's exp caps the cookie's.
  const short = ew.mintSession({ sub: 'bob', exp: t + 30 }, { provider: 'session', clientAddress: CLIENT, now: t });
  assert.equal(short.expires, t + 30);
  assert.match(short.setCookie, /; Max-Age=30$/);
});

test('mintSession errors are EdgewardErrors with reason codes', () => {
  const claims = { sub: 'alice', exp: now() + 600 };
  const fails = (fn, code) => assert.throws(fn, (e) => e instanceof EdgewardError && e.code === code, code);
  fails(() => ew.mintSession(claims, { provider: 'session' }), 'cookie_ip_mismatch');
  fails(() => ew.mintSession(claims, { provider: 'idp', clientAddress: CLIENT }), 'config_invalid');
  fails(() => ew.mintSession(claims, { provider: 'nope', clientAddress: CLIENT }), 'config_invalid');
  fails(() => ew.mintSession(claims, {}), 'config_invalid');
  fails(() => ew.mintSession({ exp: now() + 600 }, { provider: 'session', clientAddress: CLIENT }), 'claim_missing');
  fails(() => ew.mintSession({ sub: 'a', exp: now() - 10 }, { provider: 'session', clientAddress: CLIENT }), 'token_expired');
  fails(() => ew.mintSession(null, { provider: 'session', clientAddress: CLIENT }), 'claims_malformed');
  fails(() => ew.mintSession(claims, { provider: 'session', clientAddress: 'not-an-ip' }), 'cookie_ip_mismatch');
});

test('session cookies signed by jose: accepted; other issuer, typ, key or a second cookie refused', async () => {
  const run = async (value, extra = {}) => ew.check(req('/app/a', { cookie: `${SESSION_COOKIE}=${value}`, ...extra }),
    { clientAddress: CLIENT });
  const ok = await run(await sessionCookie(S, { cip: CLIENT }));
  assert.deepEqual([ok.allow, ok.provider], [true, 'session']);
  await denied(await run(await sessionCookie(S, { cip: CLIENT, iss: 'https://idp.test' })), 401, 'cookie_scope_mismatch');
  await denied(await run(await sessionCookie(S, { cip: CLIENT, typ: 'JWT' })), 401, 'typ_not_allowed');
  await denied(await run(await sessionCookie(S, { cip: CLIENT, key: new Uint8Array(32).fill(7) })), 401, 'signature_invalid');
  await denied(await run(await sessionCookie(S, {})), 401, 'cookie_ip_mismatch');
  const v = await sessionCookie(S, { cip: CLIENT });
  const twice = await ew.check(req('/app/a', { cookie: `${SESSION_COOKIE}=${v}; ${SESSION_COOKIE}=${v}` }), { clientAddress: CLIENT });
  assert.deepEqual([twice.status, twice.reason], [400, 'token_ambiguous']);
});
