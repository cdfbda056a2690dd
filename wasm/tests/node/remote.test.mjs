// Remote key sets in the npm package against a local JWKS server (127.0.0.1 only): first
// fetch, rotation with unknown-kid refetch and cooldown, down at start, garbage, stale then
// unavailable, slow server with concurrent cold requests, OIDC discovery, redirects, size caps
// and the key-store hook. Time is driven through the `clock` option where the lifecycle needs
// minutes to pass; every server is closed by its test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Edgeward } from 'edgeward';
import { bearer, json, jwks, makeKeys, now, req, server, token } from './helpers.mjs';

const A = await makeKeys(['ES256']);
const B = await makeKeys(['ES256']);
const keyA = { ...A.ES256, kid: 'a' };
const keyB = { ...B.ES256, kid: 'b' };
const setOf = (...ks) => ({ keys: ks.map((k) => ({ ...k.jwk, kid: k.kid })) });
const FAR = { exp: now() + 100_000, iat: now() - 5 };

function policy(iss, remote) {
  return {
    version: 1,
    realm: 'api',
    providers: {
      idp: {
        issuer: iss,
        audiences: ['api'],
        algorithms: ['ES256'],
        remote_jwks: {
          timeout_seconds: 2,
          cache_duration_seconds: 600,
          max_stale_seconds: 3600,
          unknown_kid_cooldown_seconds: 30,
          ...remote,
        },
      },
    },
    rules: [
      { match: { prefix: '/health' }, requires: { allow_missing: {} } },
      { match: { prefix: '/' }, requires: { provider_name: 'idp' } },
    ],
  };
}

async function setup(handler, remote = {}, options = {}) {
  const srv = await server(handler);
  const clock = { t: now() };
  const events = [];
  const iss = options.iss ?? 'https://idp.test';
  const ew = Edgeward.fromPolicy(policy(iss === 'self' ? srv.url : iss, { uri: `${srv.url}/jwks.json`, ...remote }), {
    clock: () => clock.t,
    onEvent: (e) => events.push(e),
    ...options.edgeward,
  });
  const tok = (k, c = {}) => token(k, { iss: iss === 'self' ? srv.url : iss, ...FAR, ...c });
  return { srv, clock, events, ew, tok };
}

test('first request fetches the set once; later requests use it', async (t) => {
  const { srv, ew, tok } = await setup((q, r) => json(r, 200, setOf(keyA)));
  t.after(srv.close);
  assert.equal(ew.status()[0].loaded, false);
  assert.equal((await ew.check(req('/x', bearer(await tok(keyA))))).status, 200);
  assert.equal((await ew.check(req('/x', bearer(await tok(keyA))))).status, 200);
  assert.equal(srv.hits, 1);
  const s = ew.status()[0];
  assert.deepEqual([s.provider, s.loaded, s.available, s.serve, s.failures], ['idp', true, true, 'fresh', 0]);
});

test('rotation: overlap serves both keys; an unknown kid triggers one refetch, then a cooldown', async (t) => {
  let set = setOf(keyA);
  const { srv, clock, ew, tok } = await setup((q, r) => json(r, 200, set));
  t.after(srv.close);
  assert.equal((await ew.check(req('/x', bearer(await tok(keyA))))).status, 200);
  set = setOf(keyA, keyB); // the IdP adds the new key
  const first = await ew.check(req('/x', bearer(await tok(keyB))));
  // Rejected at once, never queued; the refetch runs in the background.
  assert.deepEqual([first.status, first.reason], [401, 'key_not_found']);
  await ew.refresh();
  assert.equal(srv.hits, 2);
  assert.equal((await ew.check(req('/x', bearer(await tok(keyB))))).status, 200);
  assert.equal((await ew.check(req('/x', bearer(await tok(keyA))))).status, 200, 'old key during overlap');
  // Another unknown kid within the cooldown: rejected, no fetch.
  const stranger = { ...keyB, kid: 'c' };
  assert.equal((await ew.check(req('/x', bearer(await tok(stranger))))).reason, 'key_not_found');
  await ew.refresh();
  assert.equal(srv.hits, 2, 'no refetch within the cooldown');
  clock.t += 31;
  assert.equal((await ew.check(req('/x', bearer(await tok(stranger))))).reason, 'key_not_found');
  await ew.refresh();
  assert.equal(srv.hits, 3, 'one refetch after the cooldown');
  // The IdP drops the old key: tokens signed with it now fail (after the next refresh).
  set = setOf(keyB);
  clock.t += 460;
  await ew.refresh();
  assert.equal((await ew.check(req('/x', bearer(await tok(keyA))))).reason, 'key_not_found');
});

test('down at start: 503 jwks_unavailable, then the server comes up and requests pass', async (t) => {
  let up = false;
  const { srv, clock, ew, tok, events } = await setup((q, r) => (up ? json(r, 200, setOf(keyA)) : json(r, 500, 'down')));
  t.after(srv.close);
  const d = await ew.check(req('/x', bearer(await tok(keyA))));
  assert.deepEqual([d.status, d.reason], [503, 'jwks_unavailable']);
  assert.equal((await ew.check(req('/health'))).status, 200, 'routes without a token still work');
  // During the backoff nothing is fetched: requests are answered at once.
  const hits = srv.hits;
  assert.equal((await ew.check(req('/x', bearer(await tok(keyA))))).status, 503);
  assert.equal(srv.hits, hits);
  up = true;
  clock.t += 2;
  assert.equal((await ew.check(req('/x', bearer(await tok(keyA))))).status, 200);
  assert.ok(events.some((e) => e.type === 'jwks_fetch' && !e.ok));
  assert.ok(events.some((e) => e.type === 'jwks_fetch' && e.ok));
});

test('garbage or oversized key sets keep the last good set and count a failure', async (t) => {
  let mode = 'good';
  const { srv, clock, ew, tok, events } = await setup((q, r) => {
    if (mode === 'good') return json(r, 200, setOf(keyA));
    if (mode === 'garbage') return json(r, 200, '{"keys": [{"kty": "EC"}, ');
    return json(r, 200, JSON.stringify({ keys: [], pad: 'x'.repeat(300 * 1024) }));
  });
  t.after(srv.close);
  assert.equal((await ew.check(req('/x', bearer(await tok(keyA))))).status, 200);
  for (const m of ['garbage', 'huge']) {
    mode = m;
    clock.t += 460; // past 3/4 of cache_duration: a refresh is due
    await ew.refresh();
    const s = ew.status()[0];
    assert.ok(s.failures >= 1, m);
    assert.equal((await ew.check(req('/x', bearer(await tok(keyA))))).status, 200, `${m}: last good kept`);
    clock.t += 200;
  }
  assert.equal(events.filter((e) => e.type === 'jwks_fetch' && !e.ok).length >= 2, true);
});

test('IdP down: the last good set is served stale up to max_stale, then 503', async (t) => {
  let up = true;
  const { srv, clock, ew, tok } = await setup((q, r) => (up ? json(r, 200, setOf(keyA)) : json(r, 503, '')),
    { cache_duration_seconds: 60, max_stale_seconds: 120 });
  t.after(srv.close);
  const start = clock.t;
  assert.equal((await ew.check(req('/x', bearer(await tok(keyA))))).status, 200);
  up = false;
  clock.t = start + 90; // expired, within max_stale
  assert.equal((await ew.check(req('/x', bearer(await tok(keyA))))).status, 200);
  assert.equal(ew.status()[0].serve, 'stale');
  clock.t = start + 181; // beyond cache_duration + max_stale
  const d = await ew.check(req('/x', bearer(await tok(keyA))));
  assert.deepEqual([d.status, d.reason], [503, 'jwks_unavailable']);
  up = true;
  clock.t += 70; // past any backoff
  assert.equal((await ew.check(req('/x', bearer(await tok(keyA))))).status, 200, 'recovers');
});

test('slow server: concurrent cold requests all finish (no shared promise, no hang)', async (t) => {
  const { srv, ew, tok } = await setup((q, r) => json(r, 200, setOf(keyA), 400));
  t.after(srv.close);
  const tk = await tok(keyA);
  const started = Date.now();
  const results = await Promise.all(Array.from({ length: 8 }, () => ew.check(req('/x', bearer(tk)))));
  assert.deepEqual(results.map((d) => d.status), Array(8).fill(200));
  assert.ok(Date.now() - started < 5000);
  assert.ok(srv.hits <= 5, `fetches bounded: ${srv.hits}`);
});

test('a fetch slower than timeout_seconds fails, and the request is answered', async (t) => {
  const { srv, ew, tok } = await setup((q, r) => json(r, 200, setOf(keyA), 3000), { timeout_seconds: 1 });
  t.after(srv.close);
  const started = Date.now();
  const d = await ew.check(req('/x', bearer(await tok(keyA))));
  assert.deepEqual([d.status, d.reason], [503, 'jwks_unavailable']);
  assert.ok(Date.now() - started < 2500);
});

test('OIDC discovery: issuer must match; jwks_uri on the same host is followed', async (t) => {
  let issuer = null;
  const { srv, ew, tok } = await setup((q, r) => {
    if (q.url === '/.well-known/openid-configuration') {
      return json(r, 200, { issuer: issuer ?? srv.url, jwks_uri: `${srv.url}/keys` });
    }
    if (q.url === '/keys') return json(r, 200, setOf(keyA));
    return json(r, 404, {});
  }, { uri: undefined, oidc_discovery: true }, { iss: 'self' });
  t.after(srv.close);
  assert.equal((await ew.check(req('/x', bearer(await tok(keyA))))).status, 200);
  assert.equal(srv.hits, 2);

  const other = await setup((q, r) => {
    if (q.url === '/.well-known/openid-configuration') return json(r, 200, { issuer: 'https://evil.test', jwks_uri: `${other.srv.url}/keys` });
    return json(r, 200, setOf(keyA));
  }, { uri: undefined, oidc_discovery: true }, { iss: 'self' });
  t.after(other.srv.close);
  const d = await other.ew.check(req('/x', bearer(await other.tok(keyA))));
  assert.deepEqual([d.status, d.reason], [503, 'jwks_unavailable']);
  assert.match(other.events.find((e) => !e.ok).error, /issuer/);
});

test('redirects are not followed', async (t) => {
  const target = await server((q, r) => json(r, 200, setOf(keyA)));
  t.after(target.close);
  const { srv, ew, tok } = await setup((q, r) => {
    r.writeHead(302, { location: `${target.url}/jwks.json` });
    r.end();
  });
  t.after(srv.close);
  assert.equal((await ew.check(req('/x', bearer(await tok(keyA))))).reason, 'jwks_unavailable');
  assert.equal(target.hits, 0);
});

test('key store: a fetched set is stored; a fresh isolate starts warm; old copies are refused', async (t) => {
  const store = new Map();
  const keyStore = {
    get: async (p) => store.get(p) ?? null,
    put: async (p, rec) => void store.set(p, rec),
  };
  const { srv, clock, ew, tok } = await setup((q, r) => json(r, 200, setOf(keyA)), {}, { edgeward: { keyStore } });
  t.after(srv.close);
  assert.equal((await ew.check(req('/x', bearer(await tok(keyA))))).status, 200);
  assert.equal(srv.hits, 1);
  assert.equal(store.get('idp').fetchedAt, clock.t);
  // A new isolate: warm from the store, no fetch.
  const warm = Edgeward.fromPolicy(policy('https://idp.test', { uri: `${srv.url}/jwks.json` }), { keyStore, clock: () => clock.t });
  assert.equal((await warm.check(req('/x', bearer(await tok(keyA))))).status, 200);
  assert.equal(srv.hits, 1, 'served from the store');
  // A stored copy beyond cache_duration + max_stale is not used; the set is fetched.
  store.set('idp', { ...store.get('idp'), fetchedAt: clock.t - 5000 });
  const events = [];
  const cold = Edgeward.fromPolicy(policy('https://idp.test', { uri: `${srv.url}/jwks.json` }), {
    keyStore, clock: () => clock.t, onEvent: (e) => events.push(e),
  });
  assert.equal((await cold.check(req('/x', bearer(await tok(keyA))))).status, 200);
  assert.equal(srv.hits, 2);
  assert.ok(events.some((e) => e.type === 'key_store_error'));
});
