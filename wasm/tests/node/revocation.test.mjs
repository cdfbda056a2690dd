// The fetched revocation list in the npm package: a signed bundle (typ edgeward-revocations+jwt,
// signed by jose with the publisher key the policy names) served by a fake fetch, run by the same
// lifecycle as remote key sets. Before and after a revocation, `seq` going back, tampered and
// foreign bundles, fail closed when never loaded or stale, the body cap, redirects, and the
// key-store hook. Time is driven through the `clock` option.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Edgeward, REVOCATION_STORE_KEY } from 'edgeward';
import { ISS, bearer, jwks, makeKeys, now, req, revocationBundle, token } from './helpers.mjs';

const K = await makeKeys(['ES256']);
const PUB = await makeKeys(['ES256', 'EdDSA']);
const MALLORY = await makeKeys(['ES256']);
const es = K.ES256;
const URI = 'https://revocations.test/list.jwt';
const revoke = (...jtis) => ({ jti: jtis.map((jti) => ({ iss: ISS, jti })) });

function policy(maxStale = 120) {
  return {
    version: 1,
    realm: 'api',
    providers: { idp: { issuer: ISS, audiences: ['api'], algorithms: ['ES256'], local_jwks: jwks({ ES256: es }) } },
    revocation: {
      remote: {
        uri: URI, keys: jwks({ ES256: PUB.ES256, EdDSA: PUB.EdDSA }), refresh_seconds: 30, max_stale_seconds: maxStale,
        timeout_seconds: 2,
      },
    },
    rules: [
      { match: { prefix: '/public/' }, requires: { allow_missing: {} } },
      { match: { prefix: '/' }, requires: { provider_name: 'idp' } },
    ],
  };
}

/** An engine whose fetch is a fake publisher: `pub.body` / `pub.status` answer, `pub.down` rejects. */
function setup(options = {}) {
  const clock = { t: now() };
  const pub = { body: null, status: 200, down: false, hits: 0, inits: [] };
  const events = [];
  const fetch = async (url, init) => {
    pub.hits += 1;
    pub.inits.push({ url, init });
    if (pub.down) throw new TypeError('fetch failed');
    return new Response(pub.body, { status: pub.status, headers: pub.headers ?? {} });
  };
  const { maxStale, ...rest } = options;
  const ew = Edgeward.fromPolicy(policy(maxStale), { fetch, clock: () => clock.t, onEvent: (e) => events.push(e), ...rest });
  const publish = async (list, opts = {}) => {
    pub.body = await revocationBundle(opts.key ?? PUB.ES256, list, { iat: clock.t, ...opts });
  };
  const check = async (jti) => ew.check(req('/x', bearer(await token(es, { jti, iat: clock.t - 5, exp: clock.t + 3600 }))));
  const row = () => ew.status().find((s) => s.kind === 'revocation');
  return { clock, pub, events, ew, publish, check, row };
}

test('a token is judged against the fetched list: allowed before its revocation, denied after', async () => {
  const { clock, pub, ew, publish, check, row } = setup();
  await publish(revoke('other'), { seq: 1 });
  assert.deepEqual([row().loaded, row().available, row().seq], [false, false, null]);
  assert.equal((await check('j-1')).status, 200);
  assert.equal(pub.hits, 1, 'the first request fetched the list');
  assert.equal(pub.inits[0].url, URI);
  assert.equal(pub.inits[0].init.redirect, 'manual');
  assert.match(pub.inits[0].init.headers.accept, /application\/jwt/);
  assert.deepEqual([row().provider, row().loaded, row().available, row().serve, row().seq], [null, true, true, 'fresh', 1]);
  assert.equal((await check('other')).reason, 'token_revoked');

  await publish(revoke('other', 'j-1'), { seq: 2 });
  clock.t += 31; // past 3/4 of the refresh period
  await ew.refresh();
  assert.equal(pub.hits, 2);
  const d = await check('j-1');
  assert.deepEqual([d.status, d.reason, d.detail], [401, 'token_revoked', 'jti']);
  assert.equal(d.toResponse().headers.get('www-authenticate'), 'Bearer realm="api", error="invalid_token"');
  assert.equal(row().seq, 2);
  // A route that needs no token is not held up by the list.
  assert.equal((await ew.check(req('/public/a'))).status, 200);
});

test('a bundle with seq going back, tampered, foreign-signed or mistyped is ignored: the list held stays', async () => {
  const { clock, ew, publish, check, row, pub, events } = setup({ maxStale: 3600 });
  await publish(revoke('j-2'), { seq: 5 });
  assert.equal((await check('j-2')).reason, 'token_revoked');
  const attempts = [
    async () => publish({}, { seq: 4 }), // an old list replayed to un-revoke j-2
    async () => {
      await publish({}, { seq: 6 });
      const [h, p, s] = pub.body.split('.');
      pub.body = `${h}.${p}.${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`;
    },
    async () => publish({}, { seq: 7, key: { ...MALLORY.ES256, kid: PUB.ES256.kid } }),
    async () => publish({}, { seq: 8, typ: 'JWT' }),
    async () => publish({}, { seq: 9, iat: clock.t - 4000 }), // already stale when fetched
    async () => { pub.body = 'not a bundle'; },
  ];
  for (const [i, make] of attempts.entries()) {
    await make();
    clock.t += 31;
    const hits = pub.hits;
    await ew.refresh();
    assert.equal(pub.hits, hits + 1, `attempt ${i} fetched`);
    const last = events.filter((e) => e.type === 'revocation_fetch').at(-1);
    assert.equal(last.ok, false, `attempt ${i}`);
    assert.equal((await check('j-2')).reason, 'token_revoked', `attempt ${i}: ${last.error}`);
    assert.equal(row().seq, 5);
    clock.t += 2 ** (i + 1); // past the failure backoff (1 s, doubling)
  }
  assert.ok(events.some((e) => e.type === 'revocation_fetch' && /replayed_sequence/.test(e.error)), JSON.stringify(events));
  // An EdDSA-signed bundle from the publisher's other key, with the same seq: accepted.
  await publish({}, { seq: 5, key: PUB.EdDSA });
  clock.t += 31;
  await ew.refresh();
  assert.equal((await check('j-2')).status, 200);
});

test('fail closed: 503 while no list was ever fetched (and during the backoff), then once it is stale', async () => {
  const { clock, pub, ew, publish, check, row } = setup();
  pub.down = true;
  const d = await check('a');
  assert.deepEqual([d.status, d.reason], [503, 'revocation_unavailable']);
  assert.equal(d.toResponse().headers.get('www-authenticate'), null);
  assert.equal(pub.hits, 1);
  assert.equal((await check('a')).status, 503);
  assert.equal(pub.hits, 1, 'during the backoff requests are answered without fetching');
  assert.deepEqual([row().loaded, row().available, row().failures], [false, false, 1]);

  pub.down = false;
  clock.t += 60;
  await publish({}, { seq: 1 });
  assert.equal((await check('a')).status, 200, 'the next request after the backoff fetches and waits for it');
  // The publisher goes away; the list ages past max_stale_seconds (120) by its iat.
  pub.down = true;
  clock.t += 100;
  await ew.refresh();
  assert.equal((await check('a')).status, 200, 'stale-but-within-max_stale still answers');
  clock.t += 25;
  const stale = await check('a');
  assert.deepEqual([stale.status, stale.reason], [503, 'revocation_unavailable']);
  assert.equal(row().available, false);
  // Back: a fresh list makes it available again.
  pub.down = false;
  clock.t += 120;
  await publish({}, { seq: 2 });
  await ew.refresh();
  assert.equal((await check('a')).status, 200);
});

test('bundles above the key-set cap (256 KiB) are fetched; above 16 MiB, refused unread', async () => {
  const { clock, pub, ew, publish, check, row, events } = setup();
  const many = revoke(...Array.from({ length: 6000 }, (_, i) => `jti-${i}-${'x'.repeat(40)}`));
  await publish(many, { seq: 1 });
  assert.ok(pub.body.length > 256 * 1024, `${pub.body.length} bytes`);
  assert.equal((await check(`jti-17-${'x'.repeat(40)}`)).reason, 'token_revoked');
  assert.equal((await check('fine')).status, 200);
  pub.body = 'x';
  pub.headers = { 'content-length': String(17 * 1024 * 1024) };
  clock.t += 31;
  await ew.refresh();
  assert.match(events.filter((e) => e.type === 'revocation_fetch').at(-1).error, /413/);
  assert.equal(row().seq, 1);
});

test('redirects are not followed', async () => {
  const { pub, check } = setup();
  pub.status = 302;
  pub.headers = { location: 'https://elsewhere.test/list.jwt' };
  assert.equal((await check('a')).status, 503);
  assert.equal(pub.hits, 1);
});

test('key store: a stored bundle warms a new isolate; one older than max_stale is refused and fetched', async () => {
  const map = new Map();
  const keyStore = { get: async (k) => map.get(k) ?? null, put: async (k, v) => { map.set(k, v); } };
  const first = setup({ keyStore });
  await first.publish(revoke('gone'), { seq: 3 });
  assert.equal((await first.check('gone')).reason, 'token_revoked');
  const rec = map.get(REVOCATION_STORE_KEY);
  assert.equal(rec.bundle, first.pub.body);
  assert.equal(rec.fetchedAt, first.clock.t);

  // A new isolate with the publisher down: the stored copy answers.
  const second = setup({ keyStore });
  second.clock.t = first.clock.t + 10;
  second.pub.down = true;
  assert.equal((await second.check('gone')).reason, 'token_revoked');
  assert.equal((await second.check('ok')).status, 200);
  assert.equal(second.pub.hits, 0);
  assert.ok(second.events.some((e) => e.type === 'revocations_from_store'));
  assert.equal(second.row().seq, 3);

  // Another, much later: the stored copy is older than max_stale, so it is refused, and the
  // publisher being down means 503.
  const third = setup({ keyStore });
  third.clock.t = first.clock.t + 500;
  third.pub.down = true;
  assert.equal((await third.check('ok')).status, 503);
  assert.ok(third.events.some((e) => e.type === 'key_store_error' && /revocation/.test(e.error)), JSON.stringify(third.events));
  assert.equal(third.pub.hits, 1);
});
