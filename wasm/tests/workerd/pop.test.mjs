// DPoP and the fetched revocation list through the example Worker (wasm/examples/worker/worker.js),
// unchanged, in real workerd on 127.0.0.1: the nonce challenge with its DPoP-Nonce and
// WWW-Authenticate headers passed back by Decision.toResponse(), a proof carrying the nonce
// accepted and replayed; a revocation bundle (signed by jose) fetched by the worker from a local
// publisher, failing closed (503) while the publisher is down, then denying a revoked token.
// The nonce secret is a text binding (the policy's dpop_proof.nonce_secret_from_env). Every
// workerd is stopped by PID in `after`, the servers closed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as jose from 'jose';
import {
  ISS, PUBLIC_ORIGIN, dpopHolder, jwks, makeKeys, revocationBundle, token,
} from '../node/helpers.mjs';
import { echoOrigin, request, serve, startWorkerd } from './launch.mjs';

const KEYS = await makeKeys(['ES256']);
const PUB = await makeKeys(['EdDSA']);
const es = KEYS.ES256;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));



const publisher = { status: 500, body: 'down', hits: 0 };
let origin;
let lists;
let wd;

before(async () => {
  origin = await echoOrigin();
  lists = await serve((req, res) => {
    publisher.hits += 1;
    res.writeHead(publisher.status, { 'content-type': 'application/jwt' });
    res.end(publisher.body);
  });
  const base = { issuer: ISS, audiences: ['api'], algorithms: ['ES256'], local_jwks: jwks({ ES256: es }) };
  const policy = {
    version: 1,
    realm: 'api',
    public_origin: PUBLIC_ORIGIN,
    providers: {
      pop: { ...base, issuer: 'https://pop.test', dpop: 'required', dpop_proof: { algorithms: ['ES256'], nonce_secret_from_env: 'DPOP_NONCE' } },
      idp: base,
    },
    revocation: {
      remote: { uri: `http://127.0.0.1:${lists.port}/revocations.jwt`, keys: jwks(PUB), refresh_seconds: 5, max_stale_seconds: 120 },
      providers: ['idp'],
    },
    rules: [
      { match: { prefix: '/pop/' }, requires: { provider_name: 'pop' } },
      { match: { prefix: '/' }, requires: { provider_name: 'idp' } },
    ],
  };
  wd = await startWorkerd({
    policy,
    origin: `http://127.0.0.1:${origin.port}`,
    vars: { DPOP_NONCE: jose.base64url.encode(crypto.getRandomValues(new Uint8Array(32))) },
  });
});

after(async () => {
  await wd?.stop();
  await lists?.close();
  await origin?.close();
});

describe('revocation list fetched by the worker', () => {
  test('publisher down: 503 revocation_unavailable; up: the bundle is fetched, a revoked token gets 401', async () => {
    const tok = (jti) => token(es, { jti });
    const down = await request(wd.url, '/a', [['authorization', `Bearer ${await tok('j-1')}`]]);
    assert.deepEqual([down.status, down.body], [503, 'revocation_unavailable'], wd.logs());
    assert.equal(down.headers['cache-control'], 'no-store');
    assert.ok(publisher.hits >= 1);

    publisher.status = 200;
    publisher.body = await revocationBundle({ ...PUB.EdDSA }, { jti: [{ iss: ISS, jti: 'gone' }] }, { seq: 1 });
    await sleep(1100); // the first retry backoff is 1 s
    const ok = await request(wd.url, '/a', [['authorization', `Bearer ${await tok('j-1')}`]]);
    assert.equal(ok.status, 200, ok.body);
    const revoked = await request(wd.url, '/a', [['authorization', `Bearer ${await tok('gone')}`]]);
    assert.deepEqual([revoked.status, revoked.body], [401, 'token_revoked']);
    assert.equal(revoked.headers['www-authenticate'], 'Bearer realm="api", error="invalid_token"');
  });
});

describe('DPoP', () => {
  test('nonce challenge forwarded (DPoP-Nonce, WWW-Authenticate), then the proof with it passes once', async () => {
    const h = await dpopHolder('ES256');
    const tok = await token(es, { iss: 'https://pop.test', cnf: { jkt: h.jkt } });
    const path = '/pop/items?page=2';
    const htu = `${PUBLIC_ORIGIN}${path}`;
    const auth = (proof) => [['authorization', `DPoP ${tok}`], ['dpop', proof]];
    const first = await request(wd.url, path, auth(await h.proof('GET', htu, tok)));
    assert.deepEqual([first.status, first.body], [401, 'dpop_nonce_required'], wd.logs());
    assert.equal(first.headers['www-authenticate'], 'DPoP realm="api", algs="ES256", error="use_dpop_nonce"');
    const nonce = first.headers['dpop-nonce'];
    assert.ok(nonce, 'DPoP-Nonce passed back');

    const proof = await h.proof('GET', htu, tok, { nonce });
    const ok = await request(wd.url, path, auth(proof));
    assert.equal(ok.status, 200, ok.body);
    const seen = JSON.parse(ok.body);
    assert.equal(seen.path, path);
    assert.ok(!seen.headers.some(([k]) => k === 'authorization'), 'the token is not forwarded');
    // The same proof again (same isolate): replayed.
    const again = await request(wd.url, path, auth(proof));
    assert.deepEqual([again.status, again.body], [401, 'token_replayed']);
    assert.match(again.headers['www-authenticate'], /^DPoP realm="api", algs="ES256", error="invalid_dpop_proof"/);
    // No proof at all.
    const none = await request(wd.url, path, [['authorization', `DPoP ${tok}`]]);
    assert.deepEqual([none.status, none.body], [401, 'dpop_proof_invalid']);
  });
});
