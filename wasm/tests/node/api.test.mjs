// The packed npm package, installed from its tarball, in Node: every algorithm with tokens
// signed by jose, every reason code (the cookie ones with credentials from Akamai's signer and
// jose), the request decision and its helpers, the cache, report mode, and the reason list
// against the engine, the CLI and the TypeScript union.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as jose from 'jose';
import { Edgeward, EdgewardError, REASONS, Decision } from 'edgeward';
import {
  ALGS, ISS, PUBLIC_ORIGIN, akamaiToken, b64json, bearer, certDigest, cookiePolicy, cookieSecrets, dpopAuth, dpopHolder, jwks,
  jwsRaw, makeKeys, now, req, sessionCookie, token,
} from './helpers.mjs';

const KEYS = await makeKeys();
const OTHER = await makeKeys(['ES256']);
const MANY = await Promise.all([1, 2, 3, 4, 5].map(() => makeKeys(['ES256'])));

const ENV = {
  ...Object.fromEntries(['HS256', 'HS384', 'HS512'].map((a) => [`EDGEWARD_${a}`, KEYS[a].secretB64])),
  EDGEWARD_DPOP_NONCE: jose.base64url.encode(crypto.getRandomValues(new Uint8Array(32))),
};

function provider(extra = {}) {
  return {
    issuer: ISS,
    audiences: ['api'],
    algorithms: ['ES256', 'RS256', 'EdDSA'],
    local_jwks: jwks({ ES256: KEYS.ES256, RS256: KEYS.RS256, EdDSA: KEYS.EdDSA }),
    ...extra,
  };
}

const POLICY = {
  version: 1,
  realm: 'api',
  public_origin: PUBLIC_ORIGIN,
  providers: {
    idp: provider({
      claim_to_headers: [
        { header_name: 'x-user', claim: 'sub' },
        { header_name: 'x-evil', claim: 'evil' },
        { header_name: 'x-roles', claim: 'roles' },
      ],
      forward_payload_header: 'x-jwt-payload',
    }),
    bound: provider({ certificate_bound: 'required', issuer: 'https://bound.test' }),
    scoped: provider({
      required_scopes: ['admin'],
      subjects: [{ prefix: 'svc-' }],
      claim_rules: [{ claim: '/tenant', equals: 't1' }],
      max_lifetime_seconds: 3600,
      typ: ['at+jwt'],
    }),
    all: {
      issuer: 'https://all.test',
      audiences: ['api'],
      algorithms: ALGS,
      local_jwks: jwks(KEYS),
      secrets_from_env: ['HS256', 'HS384', 'HS512'].map((a) => ({ env: `EDGEWARD_${a}`, alg: a, kid: a.toLowerCase() })),
    },
    many: {
      issuer: 'https://many.test',
      audiences: ['api'],
      algorithms: ['ES256'],
      local_jwks: { keys: MANY.map((k, i) => ({ ...k.ES256.jwk, kid: `m${i}` })) },
    },
    remote: {
      issuer: 'https://remote.test',
      audiences: ['api'],
      algorithms: ['ES256'],
      remote_jwks: { uri: 'http://127.0.0.1:9/jwks.json', timeout_seconds: 1 },
    },
    pop: provider({
      issuer: 'https://pop.test',
      dpop: 'required',
      dpop_proof: { algorithms: ['ES256', 'EdDSA'], nonce_secret_from_env: 'EDGEWARD_DPOP_NONCE' },
    }),
    revoked: provider({ issuer: 'https://revoked.test' }),
  },
  // Only `revoked` tokens are checked: its inline entry, and a fetched list that never arrives
  // (this file's fetch rejects), so every other token of it gets 503.
  revocation: {
    inline: { jti: [{ iss: 'https://revoked.test', jti: 'stolen-1' }] },
    remote: { uri: 'http://127.0.0.1:9/revocations.jwt', keys: jwks({ ES256: OTHER.ES256 }), timeout_seconds: 1 },
    providers: ['revoked'],
  },
  rules: [
    { match: { prefix: '/public/' }, requires: { allow_missing: {} } },
    { match: { prefix: '/scoped/' }, requires: { provider_name: 'scoped' } },
    { match: { prefix: '/bound/' }, requires: { provider_name: 'bound' } },
    { match: { prefix: '/pop/' }, requires: { provider_name: 'pop' } },
    { match: { prefix: '/revoked/' }, requires: { provider_name: 'revoked' } },
    { match: { prefix: '/shadow/' }, requires: { provider_name: 'idp' }, mode: 'report' },
    { match: { prefix: '/either/' }, requires: { requires_any: [{ provider_name: 'scoped' }, { provider_name: 'idp' }] } },
    { match: { prefix: '/' }, requires: { provider_name: 'idp' } },
  ],
};

const ew = Edgeward.fromPolicy(POLICY, { env: ENV, fetch: () => Promise.reject(new Error('no network in this test')) });
const t = now();
const es = KEYS.ES256;
const scoped = (claims = {}, header = { typ: 'at+jwt' }) =>
  token(es, { sub: 'svc-reporter', tenant: 't1', scope: 'read admin', ...claims }, header);
const noneToken = `${b64json({ alg: 'none' })}.${b64json({ iss: ISS, aud: 'api', exp: t + 60 })}.`;

// [name, path, headers, status, reason, error] — the same table the Envoy tests use.
const CASES = [
  ['missing', '/x', {}, 401, 'token_missing', null],
  ['basic scheme is not a token', '/x', { authorization: 'Basic dTpw' }, 401, 'token_missing', null],
  ['malformed', '/x', bearer('not-a-jwt'), 401, 'token_malformed', 'invalid_token'],
  ['jwe', '/x', bearer('a.b.c.d.e'), 401, 'token_is_jwe', 'invalid_token'],
  ['too large', '/x', bearer('a'.repeat(9000)), 401, 'token_too_large', 'invalid_token'],
  ['alg none', '/x', bearer(noneToken), 401, 'alg_not_allowed', 'invalid_token'],
  ['crit', '/x', bearer(await token(es, {}, { crit: ['exp'], exp: 1 })), 401, 'crit_unsupported', 'invalid_token'],
  ['dpop typ', '/x', bearer(await token(es, {}, { typ: 'dpop+jwt' })), 401, 'typ_not_allowed', 'invalid_token'],
  ['unknown kid', '/x', bearer(await token(es, {}, { kid: 'nope' })), 401, 'key_not_found', 'invalid_token'],
  ['wrong key', '/x', bearer(await token({ ...OTHER.ES256, kid: 'es256' })), 401, 'signature_invalid', 'invalid_token'],
  ['rs key as es', '/x', bearer(await token(es, {}, { kid: 'rs256' })), 401, 'alg_not_allowed', 'invalid_token'],
  ['not json', '/x', bearer(await jwsRaw(es, 'hello')), 401, 'claims_malformed', 'invalid_token'],
  ['expired', '/x', bearer(await token(es, { exp: t - 120 })), 401, 'token_expired', 'invalid_token'],
  ['not yet', '/x', bearer(await token(es, { nbf: t + 3600 })), 401, 'token_not_yet_valid', 'invalid_token'],
  ['iat future', '/x', bearer(await token(es, { iat: t + 3600 })), 401, 'token_issued_in_future', 'invalid_token'],
  ['exp string', '/x', bearer(await token(es, { exp: String(t + 60) })), 401, 'claim_invalid', 'invalid_token'],
  ['exp missing', '/x', bearer(await token(es, { exp: undefined })), 401, 'claim_missing', 'invalid_token'],
  ['issuer', '/x', bearer(await token(es, { iss: 'https://evil.test' })), 401, 'issuer_mismatch', 'invalid_token'],
  ['audience', '/x', bearer(await token(es, { aud: 'other' })), 403, 'audience_mismatch', 'invalid_token'],
  ['cnf', '/x', bearer(await token(es, { cnf: { jkt: 'x' } })), 401, 'token_binding_unsupported', 'invalid_token'],
  ['not bound', '/bound/a', bearer(await token(es, { iss: 'https://bound.test' })), 401, 'token_not_bound', 'invalid_token'],
  ['bound, no certificate', '/bound/a', bearer(await token(es, { iss: 'https://bound.test', cnf: { 'x5t#S256': 'A'.repeat(43) } })), 401, 'token_binding_mismatch', 'invalid_token'],
  ['scope', '/scoped/a', bearer(await scoped({ scope: 'read' })), 403, 'scope_insufficient', 'insufficient_scope'],
  ['subject', '/scoped/a', bearer(await scoped({ sub: 'alice' })), 401, 'subject_mismatch', 'invalid_token'],
  ['claim rule', '/scoped/a', bearer(await scoped({ tenant: 't2' })), 401, 'claim_mismatch', 'invalid_token'],
  ['lifetime', '/scoped/a', bearer(await scoped({ exp: t + 7200 })), 401, 'token_lifetime_exceeded', 'invalid_token'],
  ['typ list', '/scoped/a', bearer(await scoped({}, { typ: 'JWT' })), 401, 'typ_not_allowed', 'invalid_token'],
  ['encoded slash', '/a%2Fb', {}, 400, 'path_invalid', null],
  ['encoded dot-segments above the root: the URL parser clamps them to /x', '/%2e%2e/%2e%2e/x', bearer(await token(es)), 200, null, null],
];

for (const [name, path, headers, status, reason, error] of CASES) {
  test(`reason: ${name}`, async () => {
    const d = await ew.check(req(path, headers));
    assert.ok(d instanceof Decision);
    assert.equal(d.status, status, `${name}: ${JSON.stringify(d)}`);
    assert.equal(d.reason, reason);
    if (status === 200) return;
    assert.equal(d.allow, false);
    const res = d.toResponse();
    assert.equal(res.status, status);
    assert.equal(await res.text(), reason);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    if (status !== 400 || reason === 'token_ambiguous') {
      const want = 'Bearer realm="api"' + (error ? `, error="${error}"` : '');
      assert.equal(res.headers.get('www-authenticate'), want);
    }
  });
}

// DPoP and revocation reasons, with their challenges (dpop.test.mjs and revocation.test.mjs have
// the details): [name, path, headers, status, reason, WWW-Authenticate].
const pop = await dpopHolder();
const popToken = (claims = {}) => token(es, { iss: 'https://pop.test', cnf: { jkt: pop.jkt }, ...claims });
const DPOP_CHALLENGE = 'DPoP realm="api", algs="ES256 EdDSA"';
const POP_CASES = [
  ['dpop: no proof', '/pop/a', dpopAuth(await popToken()), 401, 'dpop_proof_invalid', `${DPOP_CHALLENGE}, error="invalid_dpop_proof"`],
  ['dpop: a proof for another URL', '/pop/a',
    dpopAuth(await popToken(), await pop.proof('GET', `${PUBLIC_ORIGIN}/pop/b`, null)), 401, 'dpop_proof_invalid',
    `${DPOP_CHALLENGE}, error="invalid_dpop_proof"`],
  ['dpop: a bound token as bearer', '/pop/a', bearer(await popToken()), 401, 'token_binding_mismatch',
    `${DPOP_CHALLENGE}, error="invalid_token"`],
  ['revoked jti (inline)', '/revoked/a', bearer(await token(es, { iss: 'https://revoked.test', jti: 'stolen-1' })), 401,
    'token_revoked', 'Bearer realm="api", error="invalid_token"'],
  ['revocation list never fetched', '/revoked/a', bearer(await token(es, { iss: 'https://revoked.test', jti: 'fine' })), 503,
    'revocation_unavailable', null],
];

for (const [name, path, headers, status, reason, challenge] of POP_CASES) {
  test(`reason: ${name}`, async () => {
    const d = await ew.check(req(path, headers));
    assert.deepEqual([d.allow, d.status, d.reason], [false, status, reason], JSON.stringify(d));
    const res = d.toResponse();
    assert.equal(res.status, status);
    assert.equal(await res.text(), reason);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.headers.get('www-authenticate'), challenge);
  });
}

test('dpop_nonce_required: the DPoP-Nonce answer, then a proof carrying it is accepted', async () => {
  const tok = await popToken();
  const url = `${PUBLIC_ORIGIN}/pop/items?page=2`;
  const first = await ew.check(req('/pop/items?page=2', dpopAuth(tok, await pop.proof('GET', url, tok))));
  assert.deepEqual([first.status, first.reason], [401, 'dpop_nonce_required'], JSON.stringify(first));
  const res = first.toResponse();
  assert.equal(res.headers.get('www-authenticate'), `${DPOP_CHALLENGE}, error="use_dpop_nonce"`);
  const nonce = res.headers.get('dpop-nonce');
  assert.ok(nonce, 'a fresh nonce in DPoP-Nonce');
  const ok = await ew.check(req('/pop/items?page=2', dpopAuth(tok, await pop.proof('GET', url, tok, { nonce }))));
  assert.deepEqual([ok.allow, ok.status], [true, 200], JSON.stringify(ok));
  assert.equal(ok.claims.cnf.jkt, pop.jkt);
  // A made-up nonce is refused like a missing one.
  const bad = await ew.check(req('/pop/items', dpopAuth(tok, await pop.proof('GET', url, tok, { nonce: 'x'.repeat(40) }))));
  assert.equal(bad.reason, 'dpop_nonce_required');
});

test('token_replayed: the same DPoP proof twice (per-isolate replay cache)', async () => {
  const tok = await popToken();
  const url = `${PUBLIC_ORIGIN}/pop/once`;
  const nonce = (await ew.check(req('/pop/once', dpopAuth(tok, await pop.proof('GET', url, tok))))).toResponse()
    .headers.get('dpop-nonce');
  const proof = await pop.proof('GET', url, tok, { nonce });
  assert.equal((await ew.check(req('/pop/once', dpopAuth(tok, proof)))).status, 200);
  const again = await ew.check(req('/pop/once', dpopAuth(tok, proof)));
  assert.deepEqual([again.allow, again.status, again.reason], [false, 401, 'token_replayed']);
  assert.equal(again.toResponse().headers.get('www-authenticate'), `${DPOP_CHALLENGE}, error="invalid_dpop_proof"`);
});

test('certificate-bound tokens: peerCertificate (hex SHA-256) against cnf.x5t#S256', async () => {
  const cert = certDigest();
  const tok = await token(es, { iss: 'https://bound.test', cnf: { 'x5t#S256': cert.x5t } });
  const ok = await ew.check(req('/bound/a', bearer(tok)), { peerCertificate: cert.hex });
  assert.deepEqual([ok.allow, ok.status], [true, 200], JSON.stringify(ok));
  const other = await ew.check(req('/bound/a', bearer(tok)), { peerCertificate: certDigest().hex });
  assert.deepEqual([other.status, other.reason], [401, 'token_binding_mismatch']);
  const upper = await ew.check(req('/bound/a', bearer(tok)), { peerCertificate: cert.hex.toUpperCase() });
  assert.equal(upper.status, 200, 'hex in either case');
  const none = await ew.check(req('/bound/a', bearer(tok)));
  assert.deepEqual([none.status, none.reason], [401, 'token_binding_mismatch']);
});

// The cookie reasons, on signed-cookie and session-cookie routes (cookies.test.mjs has the rest):
// signed denials are 403 and session denials 401, neither with a Bearer challenge.
const COOKIE_SECRETS = cookieSecrets();
const cookieEw = Edgeward.fromPolicy(cookiePolicy(jwks({ ES256: es })), { env: COOKIE_SECRETS.env });
const ak = (acl, opts) => ({ cookie: `__token__=${akamaiToken(COOKIE_SECRETS, acl, opts)}` });
const COOKIE_CASES = [
  ['cookie missing', '/ak/a', {}, 403, 'cookie_missing'],
  ['cookie malformed', '/ak/a', { cookie: '__token__=exp=1' }, 403, 'cookie_malformed'],
  ['cookie expired', '/ak/a', ak('/ak/*', { start: t - 600, end: t - 60 }), 403, 'cookie_expired'],
  ['cookie not yet valid', '/ak/a', ak('/ak/*', { start: t + 300, end: t + 900 }), 403, 'cookie_not_yet_valid'],
  ['cookie scope mismatch', '/ak/music/a', ak('/ak/videos/*'), 403, 'cookie_scope_mismatch'],
  ['cookie ip mismatch', '/ak/a', { ...ak('/ak/*', { ip: '198.51.100.7' }), 'x-forwarded-for': '198.51.100.7' }, 403,
    'cookie_ip_mismatch'],
  ['signed cookie signature', '/ak/a', ak('/ak/*', { key: '00'.repeat(32) }), 403, 'signature_invalid'],
  ['session cookie ip mismatch', '/app/a',
    { cookie: `__Host-edgeward-session=${await sessionCookie(COOKIE_SECRETS, { cip: '198.51.100.7' })}` }, 401,
    'cookie_ip_mismatch'],
  ['session cookie expired', '/app/a',
    { cookie: `__Host-edgeward-session=${await sessionCookie(COOKIE_SECRETS, { cip: '127.0.0.1', iat: t - 900, exp: t - 300 })}` },
    401, 'cookie_expired'],
];

for (const [name, path, headers, status, reason] of COOKIE_CASES) {
  test(`reason: ${name}`, async () => {
    const d = await cookieEw.check(req(path, headers), { clientAddress: '127.0.0.1' });
    assert.deepEqual([d.allow, d.status, d.reason], [false, status, reason], JSON.stringify(d));
    const res = d.toResponse();
    assert.equal(res.status, status);
    assert.equal(await res.text(), reason);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.headers.get('www-authenticate'), null);
  });
}

test('a repeated Authorization header (merged by Headers into one value) is ambiguous', async () => {
  const h = new Headers();
  h.append('authorization', `Bearer ${await token(es)}`);
  h.append('authorization', `Bearer ${await token(es)}`);
  const d = await ew.check(new Request('http://edge.test/x', { headers: h }));
  assert.deepEqual([d.status, d.reason], [400, 'token_ambiguous']);
  assert.equal(d.toResponse().headers.get('www-authenticate'), 'Bearer realm="api", error="invalid_request"');
});

test('every algorithm verifies tokens signed by jose, and a flipped signature fails', async () => {
  for (const alg of ALGS) {
    const tok = await token(KEYS[alg], { iss: 'https://all.test' });
    const r = await ew.verify(tok, { provider: 'all' });
    assert.equal(r.valid, true, `${alg}: ${r.reason} ${r.message}`);
    assert.equal(r.claims.sub, 'alice');
    const [h, p, s] = tok.split('.');
    const flipped = `${h}.${p}.${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`;
    const bad = ew.verifySync(flipped, { provider: 'all' });
    assert.equal(bad.valid, false, alg);
    assert.ok(['signature_invalid', 'token_malformed'].includes(bad.reason), `${alg}: ${bad.reason}`);
  }
});

test('kid_missing: no kid and more candidate keys than the cap', async () => {
  const tok = await new jose.SignJWT({ iss: 'https://many.test', aud: 'api', exp: now() + 60 })
    .setProtectedHeader({ alg: 'ES256' })
    .sign(MANY[0].ES256.sign);
  const r = ew.verifySync(tok, { provider: 'many' });
  assert.deepEqual([r.valid, r.reason], [false, 'kid_missing']);
});

test('jwks_unavailable: a remote provider whose set never loaded', async () => {
  const tok = await token(es, { iss: 'https://remote.test' });
  const r = await ew.verify(tok, { provider: 'remote' });
  assert.deepEqual([r.valid, r.reason], [false, 'jwks_unavailable']);
  assert.equal(REASONS.find((x) => x.code === 'jwks_unavailable').status, 503);
});

test('config_invalid: a bad policy throws, naming the field', () => {
  const bad = structuredClone(POLICY);
  bad.providers.idp.audience = ['typo'];
  assert.throws(() => Edgeward.fromPolicy(bad), (e) => {
    assert.ok(e instanceof EdgewardError);
    assert.equal(e.code, 'config_invalid');
    assert.match(e.message, /audience/);
    return true;
  });
  assert.throws(() => Edgeward.fromPolicy('{"version": 1, "version": 1}'), { code: 'config_invalid' });
  // A secret that is not in the environment is named.
  assert.throws(() => Edgeward.fromPolicy(POLICY, { env: {} }), /EDGEWARD_HS256 is not set/);
  // A missing catch-all rule is refused (no request is silently let through).
  const open = structuredClone(POLICY);
  open.rules = [{ match: { prefix: '/api/' }, requires: { provider_name: 'idp' } }];
  assert.throws(() => Edgeward.fromPolicy(open, { env: ENV }), { code: 'config_invalid' });
});

test('every reason code is produced by some test above, and the list is the engine\'s', () => {
  const produced = new Set([...CASES.map((c) => c[4]).filter(Boolean), ...COOKIE_CASES.map((c) => c[4]),
    ...POP_CASES.map((c) => c[4]), 'token_ambiguous', 'kid_missing', 'jwks_unavailable', 'config_invalid', 'signature_invalid',
    'dpop_nonce_required', 'token_replayed']);
  assert.deepEqual(REASONS.map((r) => r.code).filter((c) => !produced.has(c)), []);
});

test('REASONS equals the CLI\'s list and the TypeScript union', () => {
  const require = createRequire(import.meta.url);
  const dts = readFileSync(require.resolve('edgeward/package.json').replace(/package\.json$/, 'index.d.ts'), 'utf8');
  const union = dts.match(/export type ReasonCode =([^;]+);/)[1].match(/'([a-z_]+)'/g).map((s) => s.slice(1, -1));
  assert.deepEqual(union, REASONS.map((r) => r.code));
  const cli = process.env.EDGEWARD_CLI;
  if (cli) {
    let lines = execFileSync(cli, ['reasons'], { encoding: 'utf8' }).trim().split('\n').map((l) => l.split('\t'));
    // `code<TAB>status`, or with a header `code bearer signed session` and a status per kind
    // of credential: REASONS carries the bearer (JWT) one.
    if (lines[0][0] === 'code') {
      assert.deepEqual(lines[0].slice(0, 2), ['code', 'bearer']);
      lines = lines.slice(1);
    }
    assert.deepEqual(lines.map((l) => l.slice(0, 2)), REASONS.map((r) => [r.code, String(r.status)]));
  }
});

test('allowed: claims to headers, CRLF claim dropped, spoofed outputs and token removed', async () => {
  const tok = await token(es, { evil: 'x\r\nx-admin: true', roles: ['a', 'b'] });
  const incoming = req('/x', { ...bearer(tok), 'x-user': 'mallory', 'x-jwt-payload': 'e30' });
  const d = await ew.check(incoming);
  assert.equal(d.allow, true);
  assert.equal(d.toResponse(), null);
  const up = d.upstreamRequest(incoming, 'http://origin.test:8080');
  assert.equal(up.url, 'http://origin.test:8080/x');
  assert.equal(up.headers.get('x-user'), 'alice');
  assert.equal(up.headers.get('x-roles'), '["a","b"]');
  assert.equal(up.headers.get('x-evil'), null);
  assert.equal(up.headers.get('x-admin'), null);
  assert.equal(up.headers.get('authorization'), null, 'forward=false removes the token');
  assert.deepEqual(d.droppedHeaders, ['x-evil']);
  assert.equal(JSON.parse(Buffer.from(up.headers.get('x-jwt-payload'), 'base64url')).sub, 'alice');
  assert.equal(d.claims.sub, 'alice');
  assert.equal(d.fingerprint, null, 'an allowed request logs no token fingerprint');
  for (const alg of ['ES256', 'RS256', 'EdDSA']) {
    assert.equal((await ew.check(req('/x', bearer(await token(KEYS[alg]))))).status, 200, alg);
  }
});

test('allow_missing route strips spoofed outputs but still refuses a bad token', async () => {
  const incoming = req('/public/info', { 'x-user': 'admin', 'x-jwt-payload': 'e30' });
  const d = await ew.check(incoming);
  assert.equal(d.allow, true);
  const h = d.applyHeaders(incoming.headers);
  assert.equal(h.get('x-user'), null);
  assert.equal(h.get('x-jwt-payload'), null);
  const expired = await token(es, { exp: now() - 300 });
  const bad = await ew.check(req('/public/info', bearer(expired)));
  assert.deepEqual([bad.status, bad.reason], [401, 'token_expired']);
  // A denial names the token by a short hash for logs, never by its content.
  assert.match(bad.fingerprint, /^[0-9a-f]{12}$/);
  assert.ok(!expired.includes(bad.fingerprint));
});

test('requirement trees, traversal judged as its target, and the judged path forwarded', async () => {
  assert.equal((await ew.check(req('/either/a', bearer(await token(es))))).status, 200);
  assert.equal((await ew.check(req('/either/a', bearer(await scoped())))).status, 200);
  assert.equal((await ew.check(req('/scoped/a', bearer(await scoped())))).status, 200);
  assert.ok([401, 403].includes((await ew.check(req('/scoped/a', bearer(await token(es))))).status));
  // The URL parser already removes dot-segments; the engine judges (and forwards) that path.
  for (const p of ['/public/../x', '/public/./../x', '/public/%2e%2e/x']) {
    const d = await ew.check(req(p));
    assert.equal(d.status, 401, p);
  }
  const d = await ew.check(req('/public//../x?q=1'));
  assert.deepEqual([d.status, d.path], [200, '/public/x?q=1']);
});

test('report mode lets a would-be denial through and says why', async () => {
  const d = await ew.check(req('/shadow/a'));
  assert.deepEqual([d.allow, d.reported, d.reason], [true, true, 'token_missing']);
  const ok = await ew.check(req('/shadow/a', bearer(await token(es))));
  assert.deepEqual([ok.allow, ok.reported], [true, false]);
});

test('verify: errors carry code, message and claim', async () => {
  const r = ew.verifySync(await token(es, { exp: now() - 600 }));
  assert.deepEqual([r.valid, r.reason, r.claim, r.provider], [false, 'token_expired', 'exp', 'idp']);
  assert.ok(r.error instanceof EdgewardError);
  assert.equal(r.error.code, 'token_expired');
  const aud = ew.verifySync(await token(es, { aud: 'x' }));
  assert.deepEqual([aud.reason, aud.claim], ['audience_mismatch', 'aud']);
  // `now` is Unix seconds, like the core: a token is judged at the given time.
  const tok = await token(es, { exp: 2_000_000_000, iat: 1_900_000_000 });
  assert.equal(ew.verifySync(tok, { now: 1_999_999_999 }).valid, true);
  assert.equal(ew.verifySync(tok, { now: 2_000_000_100 }).reason, 'token_expired');
  assert.equal(ew.verifySync(tok, { provider: 'nope' }).reason, 'config_invalid');
  // Issuer routing: a token for the `all` provider is routed there by its iss.
  assert.equal(ew.verifySync(await token(KEYS.HS256, { iss: 'https://all.test' })).provider, 'all');
});

test('the verified-token cache answers repeats, but time and keys are judged every time', async () => {
  const local = Edgeward.fromPolicy({
    version: 1,
    providers: { idp: provider() },
    rules: [{ match: { prefix: '/' }, requires: { provider_name: 'idp' } }],
  });
  const exp = now() + 30;
  const tok = await token(es, { exp });
  const first = await local.check(req('/x', bearer(tok)));
  const second = await local.check(req('/x', bearer(tok)));
  assert.deepEqual([first.status, second.status], [200, 200]);
  let s = local.cacheStats();
  assert.deepEqual([s.enabled, s.entries, s.hits, s.misses], [true, 1, 1, 1]);
  // A hit after exp denies.
  const late = await local.check(req('/x', bearer(tok)), { now: exp + 120 });
  assert.deepEqual([late.status, late.reason], [401, 'token_expired']);
  // A rotation that removes the key: the cached verdict cannot answer.
  local.setKeys('idp', jwks({ RS256: KEYS.RS256 }));
  const rotated = await local.check(req('/x', bearer(tok)));
  assert.deepEqual([rotated.status, rotated.reason], [401, 'key_not_found']);
  s = local.cacheStats();
  assert.equal(s.hits, 1, 'no hit after the key set changed');
  // setKeys refuses private keys and garbage.
  const priv = await jose.exportJWK((await jose.generateKeyPair('ES256', { extractable: true })).privateKey);
  assert.throws(() => local.setKeys('idp', { keys: [{ ...priv, kid: 'p' }] }), { code: 'config_invalid' });
  assert.throws(() => local.setKeys('idp', 'not json'), { code: 'config_invalid' });
  assert.throws(() => local.setKeys('nope', jwks({ RS256: KEYS.RS256 })), { code: 'config_invalid' });
});

test('hostile inputs never throw: odd tokens, headers and clocks give reason codes', async () => {
  const odd = ['', '.', '..', '...', 'a.b', '\u0000.\u0000.\u0000', 'é.é.é', `${'a'.repeat(100000)}`, 'eyJ.eyJ.eyJ'];
  for (const tok of odd) {
    const r = ew.verifySync(tok);
    assert.equal(r.valid, false);
    assert.ok(REASONS.some((x) => x.code === r.reason), r.reason);
  }
  for (const n of [NaN, Infinity, -Infinity, 1e300, -1e300]) {
    assert.equal(ew.verifySync(await token(es), { now: n }).valid, false, String(n));
  }
});
