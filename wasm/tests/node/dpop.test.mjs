// DPoP (RFC 9449) through check() in the npm package, with proofs and tokens made by jose: the
// proof's htu against the policy's public_origin (query and fragment dropped), method, ath and
// cnf.jkt; bound tokens refused as Bearer; `optional` mode (unbound Bearer accepted, both
// challenges); the per-isolate replay cache for proofs and one-time tokens; session cookies
// minted from a DPoP-bound token and bound to its key (`session.bind_dpop_key`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as jose from 'jose';
import { Edgeward, EdgewardError } from 'edgeward';
import { ISS, PUBLIC_ORIGIN, bearer, dpopAuth, dpopHolder, jwks, makeKeys, req, token } from './helpers.mjs';

const K = await makeKeys(['ES256']);
const es = K.ES256;

const base = { issuer: ISS, audiences: ['api'], algorithms: ['ES256'], local_jwks: jwks({ ES256: es }) };
const ew = Edgeward.fromPolicy({
  version: 1,
  realm: 'api',
  public_origin: PUBLIC_ORIGIN,
  providers: {
    req: { ...base, dpop: 'required', dpop_proof: { algorithms: ['ES256', 'EdDSA'] } },
    opt: { ...base, dpop: 'optional' },
    plain: base,
  },
  rules: [
    { match: { prefix: '/opt/' }, requires: { provider_name: 'opt' } },
    { match: { prefix: '/once/' }, requires: { provider_name: 'plain' }, one_time_jti: true },
    { match: { prefix: '/shadow/' }, requires: { provider_name: 'plain' }, one_time_jti: true, mode: 'report' },
    { match: { prefix: '/plain/' }, requires: { provider_name: 'plain' } },
    { match: { prefix: '/' }, requires: { provider_name: 'req' } },
  ],
});

const h = await dpopHolder('ES256');
const ed = await dpopHolder('EdDSA');
const bound = (holder, claims = {}) => token(es, { cnf: { jkt: holder.jkt }, ...claims });
const url = (p) => `${PUBLIC_ORIGIN}${p}`;
const REQ = 'DPoP realm="api", algs="ES256 EdDSA"';
const OPT = ['Bearer realm="api"', 'DPoP realm="api", algs="RS256 PS256 ES256 ES384 EdDSA"'];

async function deny(path, headers, reason, challenge, method = 'GET') {
  const d = await ew.check(req(path, headers, method));
  assert.deepEqual([d.allow, d.status, d.reason], [false, 401, reason], JSON.stringify(d));
  if (challenge !== undefined) assert.equal(d.toResponse().headers.get('www-authenticate'), challenge);
  return d;
}

test('a bound token with a matching proof is allowed; the token and proof are not forwarded', async () => {
  const tok = await bound(h);
  const incoming = req('/items?x=1', dpopAuth(tok, await h.proof('GET', url('/items?x=1'), tok)));
  const d = await ew.check(incoming);
  assert.deepEqual([d.allow, d.status, d.provider], [true, 200, 'req'], JSON.stringify(d));
  assert.ok(d.removeHeaders.includes('dpop') && d.removeHeaders.includes('authorization'), JSON.stringify(d.removeHeaders));
  assert.ok(incoming.headers.get('dpop'), 'the incoming request carries the proof');
  const up = d.upstreamRequest(incoming, 'http://origin.test');
  assert.equal(up.headers.get('authorization'), null);
  assert.equal(up.headers.get('dpop'), null, 'the proof is not forwarded');
  assert.equal(d.applyHeaders(incoming.headers).get('dpop'), null);
  // EdDSA proofs too.
  const t2 = await bound(ed);
  assert.equal((await ew.check(req('/items', dpopAuth(t2, await ed.proof('GET', url('/items'), t2))))).status, 200);
});

test('htu: query and fragment are not part of it; scheme and host are compared normalised', async () => {
  const tok = await bound(h);
  for (const htu of [url('/items'), url('/items?other=2'), url('/items#frag'), 'HTTPS://API.EDGE.TEST:443/items']) {
    const d = await ew.check(req('/items?x=1', dpopAuth(tok, await h.proof('GET', htu, tok))));
    assert.equal(d.status, 200, `${htu}: ${d.reason} ${d.detail}`);
  }
  for (const htu of [url('/items/'), url('/other'), 'http://api.edge.test/items', 'https://evil.test/items', '/items']) {
    await deny('/items?x=1', dpopAuth(tok, await h.proof('GET', htu, tok)), 'dpop_proof_invalid', `${REQ}, error="invalid_dpop_proof"`);
  }
});

test('method, ath, key binding, age and proof algorithm are all checked', async () => {
  const tok = await bound(h);
  const inv = `${REQ}, error="invalid_dpop_proof"`;
  await deny('/a', dpopAuth(tok, await h.proof('GET', url('/a'), tok)), 'dpop_proof_invalid', inv, 'POST');
  await deny('/a', dpopAuth(tok, await h.proof('GET', url('/a'), await bound(h, { sub: 'bob' }))), 'dpop_proof_invalid', inv);
  await deny('/a', dpopAuth(tok, await h.proof('GET', url('/a'), tok, { iat: Math.floor(Date.now() / 1000) - 3600 })),
    'dpop_proof_invalid', inv);
  await deny('/a', dpopAuth(tok, await h.proof('GET', url('/a'), null)), 'dpop_proof_invalid', inv);
  // A thief's own key signing a proof for a token bound to another key.
  const thief = await dpopHolder('ES256');
  await deny('/a', dpopAuth(tok, await thief.proof('GET', url('/a'), tok)), 'token_binding_mismatch', `${REQ}, error="invalid_token"`);
  // ES384 is not in this provider's proof algorithms.
  const es384 = await dpopHolder('ES384');
  const t384 = await bound(es384);
  await deny('/a', dpopAuth(t384, await es384.proof('GET', url('/a'), t384)), 'dpop_proof_invalid', inv);
  // Two DPoP headers (joined by fetch into one value) are not one proof.
  const p = await h.proof('GET', url('/a'), tok);
  const two = new Headers({ authorization: `DPoP ${tok}` });
  two.append('dpop', p);
  two.append('dpop', p);
  const d = await ew.check(new Request('http://edge.test/a', { headers: two }));
  assert.equal(d.reason, 'dpop_proof_invalid');
});

test('bound tokens are refused as Bearer (RFC 9449 7.2); unbound tokens are refused on a required route', async () => {
  const tok = await bound(h);
  await deny('/a', { ...bearer(tok), dpop: await h.proof('GET', url('/a'), tok) }, 'token_binding_mismatch');
  await deny('/a', bearer(await token(es)), 'token_not_bound');
  const plain = await token(es);
  await deny('/a', dpopAuth(plain, await h.proof('GET', url('/a'), plain)), 'token_not_bound');
  // A provider without dpop refuses a DPoP-bound token: its binding would go unchecked.
  await deny('/plain/a', bearer(tok), 'token_binding_unsupported');
});

test('optional mode: unbound Bearer tokens pass, bound ones need a proof, and both challenges are sent', async () => {
  assert.equal((await ew.check(req('/opt/a', bearer(await token(es))))).status, 200);
  const tok = await bound(h);
  assert.equal((await ew.check(req('/opt/a', dpopAuth(tok, await h.proof('GET', url('/opt/a'), tok))))).status, 200);
  await deny('/opt/a', bearer(tok), 'token_binding_mismatch');
  const missing = await deny('/opt/a', {}, 'token_missing');
  assert.equal(missing.toResponse().headers.get('www-authenticate'), OPT.join(', '));
  assert.deepEqual(missing.responseHeaders.filter(([n]) => n === 'www-authenticate').map(([, v]) => v), OPT);
  const noProof = await deny('/opt/a', dpopAuth(tok), 'dpop_proof_invalid');
  assert.deepEqual(noProof.responseHeaders.filter(([n]) => n === 'www-authenticate').map(([, v]) => v),
    [OPT[0], `${OPT[1]}, error="invalid_dpop_proof"`]);
});

test('replay: a proof is accepted once per isolate; each request needs a new proof', async () => {
  const tok = await bound(h);
  const proof = await h.proof('GET', url('/r'), tok);
  assert.equal((await ew.check(req('/r', dpopAuth(tok, proof)))).status, 200);
  const again = await deny('/r', dpopAuth(tok, proof), 'token_replayed', `${REQ}, error="invalid_dpop_proof"`);
  assert.equal(again.provider, 'req');
  assert.equal((await ew.check(req('/r', dpopAuth(tok, await h.proof('GET', url('/r'), tok))))).status, 200);
  // A denied request records nothing: the same proof still works after a failure elsewhere.
  const p2 = await h.proof('GET', url('/r2'), tok);
  await deny('/r2', dpopAuth(tok, p2), 'dpop_proof_invalid', undefined, 'POST');
  assert.equal((await ew.check(req('/r2', dpopAuth(tok, p2)))).status, 200);
});

test('one-time jti in report mode: a replay is reported (allowed, nothing forwarded), and the jti still recorded', async () => {
  const once = await token(es, { jti: `s-${Math.random()}` });
  const first = await ew.check(req('/shadow/a', bearer(once)));
  assert.deepEqual([first.status, first.reported, first.reason], [200, false, null]);
  const again = await ew.check(req('/shadow/a', bearer(once)));
  assert.deepEqual([again.allow, again.status, again.reported, again.reason], [true, 200, true, 'token_replayed']);
  assert.equal(again.toResponse(), null, 'an allowed decision has no response to send');
  assert.deepEqual([again.setHeaders.length, again.claims], [0, null], 'nothing forwarded');
  await deny('/once/a', bearer(once), 'token_replayed', 'Bearer realm="api", error="invalid_token"');
});

test('one-time jti: a token on a one_time_jti route is accepted once; without jti it is refused', async () => {
  const once = await token(es, { jti: `t-${Math.random()}` });
  assert.equal((await ew.check(req('/once/a', bearer(once)))).status, 200);
  const again = await deny('/once/a', bearer(once), 'token_replayed', 'Bearer realm="api", error="invalid_token"');
  assert.equal(again.toResponse().status, 401);
  await deny('/once/a', bearer(await token(es)), 'claim_missing');
  // Other routes do not consume it.
  assert.equal((await ew.check(req('/plain/a', bearer(once)))).status, 200);
  assert.equal((await ew.check(req('/plain/a', bearer(once)))).status, 200);
});

// ---- session cookies bound to the DPoP key (session.bind_dpop_key) -----------------------------

test('session cookies bound to the DPoP key: minted from a bound token; each request needs a proof by that key over the cookie', async () => {
  const COOKIE = '__Host-edgeward-session';
  const secret = jose.base64url.encode(crypto.getRandomValues(new Uint8Array(32))); // drawn per run
  const sessions = Edgeward.fromPolicy({
    version: 1,
    realm: 'api',
    public_origin: PUBLIC_ORIGIN,
    providers: {
      pop: { ...base, dpop: 'required' },
      plain: { ...base, issuer: 'https://plain.test' },
      session: {
        kind: 'session_cookie', issuer: 'https://edge.test/session', audiences: ['app'],
        secrets_from_env: [{ env: 'EDGEWARD_SESSION_KEY', alg: 'HS256', kid: 's1' }],
        session: { bind_dpop_key: true, lifetime_seconds: 300 },
        claim_to_headers: [{ header_name: 'x-session-user', claim: 'sub' }],
      },
    },
    rules: [
      { match: { prefix: '/app/' }, requires: { provider_name: 'session' } },
      { match: { prefix: '/plain/' }, requires: { provider_name: 'plain' } },
      { match: { prefix: '/' }, requires: { provider_name: 'pop' } },
    ],
  }, { env: { EDGEWARD_SESSION_KEY: secret } });

  // The owner's DPoP-bound token, accepted once with its proof, then a session minted from it.
  const tok = await bound(h);
  const login = await sessions.check(req('/login', dpopAuth(tok, await h.proof('GET', url('/login'), tok))));
  assert.deepEqual([login.allow, login.provider], [true, 'pop'], JSON.stringify(login));
  const m = sessions.mintSession(login, { provider: 'session' });
  const { payload } = await jose.jwtVerify(m.value, jose.base64url.decode(secret),
    { issuer: 'https://edge.test/session', audience: 'app', typ: 'edgeward-session+jwt', algorithms: ['HS256'] });
  assert.deepEqual(payload.cnf, { jkt: h.jkt }, 'the cookie carries the key it is bound to');
  const cookie = { cookie: `${COOKIE}=${m.value}` };
  const path = '/app/orders';
  // `ath` is the SHA-256 of the cookie's value (the presented credential), as for an access token.
  const proof = (holder, over = m.value) => holder.proof('GET', url(path), over);
  const check = async (headers) => sessions.check(req(path, headers));
  const refused = async (headers, reason) => {
    const d = await check(headers);
    assert.deepEqual([d.allow, d.status, d.reason], [false, 401, reason], JSON.stringify(d));
    return d;
  };

  // Cookie + the owner's proof: allowed; the proof is consumed, not forwarded.
  const incoming = req(path, { ...cookie, dpop: await proof(h) });
  const ok = await sessions.check(incoming);
  assert.deepEqual([ok.allow, ok.status, ok.provider], [true, 200, 'session'], JSON.stringify(ok));
  const up = ok.upstreamRequest(incoming, 'http://origin.test');
  assert.deepEqual([up.headers.get('x-session-user'), up.headers.get('dpop')], ['alice', null]);

  // The cookie alone (stolen from a browser, say) is useless.
  const alone = await refused(cookie, 'dpop_proof_invalid');
  assert.match(alone.toResponse().headers.get('www-authenticate'), /^DPoP realm="api", .*error="invalid_dpop_proof"/);
  // A thief's own key, with a well-formed proof over the cookie: the binding does not match.
  const thief = await dpopHolder('ES256');
  await refused({ ...cookie, dpop: await proof(thief) }, 'token_binding_mismatch');
  // The owner's key, but `ath` over something other than the cookie's value.
  await refused({ ...cookie, dpop: await proof(h, tok) }, 'dpop_proof_invalid');
  await refused({ ...cookie, dpop: await proof(h, `${COOKIE}=${m.value}`) }, 'dpop_proof_invalid');
  await refused({ ...cookie, dpop: await proof(h, null) }, 'dpop_proof_invalid');
  // The accepted proof again: replayed.
  await refused({ ...cookie, dpop: incoming.headers.get('dpop') }, 'token_replayed');
  // A fresh proof still passes.
  assert.equal((await check({ ...cookie, dpop: await proof(h) })).status, 200);

  // Minting needs a DPoP-bound token: from an accepted unbound token, or plain claims without cnf.jkt.
  const unbound = await sessions.check(req('/plain/a', bearer(await token(es, { iss: 'https://plain.test' }))));
  assert.deepEqual([unbound.allow, unbound.provider], [true, 'plain'], JSON.stringify(unbound));
  const notBound = (e) => e instanceof EdgewardError && e.code === 'token_not_bound';
  assert.throws(() => sessions.mintSession(unbound, { provider: 'session' }), notBound);
  assert.throws(() => sessions.mintSession({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 600 }, { provider: 'session' }), notBound);
});
