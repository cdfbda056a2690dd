// Signed cookies, signed URLs and session cookies through the example Worker
// (wasm/examples/worker/worker.js), unchanged, in real workerd on 127.0.0.1.
//
// The worker's `clientAddress(request)`: on Cloudflare (`request.cf.colo`) CF-Connecting-IP, which
// Cloudflare's edge sets, overwriting a client's own; on self-hosted workerd
// `request.cf.clientIp`, the TCP peer workerd fills in. One workerd here has Cloudflare's edge
// modelled in front (launch.mjs `cloudflarePeer`: a `cf` object with `colo`, and CF-Connecting-IP:
// 127.0.0.1, the real peer, replacing the client's); the other is plain workerd. In neither can a
// client name its own address. Credentials come from
// signers that are not edgeward's (../node/helpers.mjs), keys drawn for this run and passed as
// text bindings. Every workerd is stopped by PID in `after`, the origin closed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ORIGIN, SESSION_COOKIE, akamaiToken, cloudfrontCookies, cloudfrontPolicy, cloudfrontUrl, cookiePolicy, cookieSecrets,
  googleKey, googleResigned, googleSignedCookie, googleSignedUrl, googleSignedUrlPrefix, googleWidened, jwks, makeKeys, now,
  sessionCookie,
} from '../node/helpers.mjs';
import { echoOrigin, request, startWorkerd } from './launch.mjs';

const CLIENT = '127.0.0.1';
const ELSEWHERE = '198.51.100.7';
const S = cookieSecrets();
const KEYS = await makeKeys(['ES256']);



const token = (v) => [['cookie', `__token__=${v}`]];
const xff = (a) => [['x-forwarded-for', a]];
const session = async (claims) => [['cookie', `${SESSION_COOKIE}=${await sessionCookie(S, claims)}`]];
const got = (r, name) => JSON.parse(r.body).headers.filter(([k]) => k === name).map(([, v]) => v);

async function denied(r, status, reason, name = '') {
  assert.deepEqual([r.status, r.body], [status, reason], name);
  assert.equal(r.headers['www-authenticate'], undefined, `${name}: no Bearer challenge for signed or session cookies`);
  assert.equal(r.headers['cache-control'], 'no-store', name);
}

let origin;
const started = [];
before(async () => { origin = await echoOrigin(); });
after(async () => {
  for (const w of started) await w.stop();
  await origin?.close();
});

async function worker(opts = {}) {
  const w = await startWorkerd({ policy: cookiePolicy(jwks(KEYS), { cloudfront: S.cloudfront }), origin: `http://127.0.0.1:${origin.port}`,
    vars: S.env, ...opts });
  started.push(w);
  return w;
}

describe('behind Cloudflare (request.cf present, CF-Connecting-IP set by the edge)', () => {
  let wd;
  before(async () => { wd = await worker({ cloudflarePeer: CLIENT }); });

  test('Akamai signed cookie: valid, data forwarded, spoofed output replaced, no caching', async () => {
    const r = await request(wd.url, '/ak/a.ts', [...token(akamaiToken(S, '/ak/*', { data: 'tier-gold' })),
      ['x-token-data', 'forged']]);
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(got(r, 'x-token-data'), ['tier-gold']);
    assert.equal(r.headers['cache-control'], 'private, no-store');
  });

  test('Akamai: tampered, expired, outside the ACL, missing, tossed', async () => {
    const t = now();
    const good = akamaiToken(S, '/ak/*', { data: 'x' });
    await denied(await request(wd.url, '/ak/a.ts', token(good.replace('data=x', 'data=y'))), 403, 'signature_invalid');
    await denied(await request(wd.url, '/ak/a.ts', token(akamaiToken(S, '/ak/*', { start: t - 600, end: t - 60 }))), 403,
      'cookie_expired');
    await denied(await request(wd.url, '/ak/music/a', token(akamaiToken(S, '/ak/videos/*'))), 403, 'cookie_scope_mismatch');
    // workerd's URL parser resolves dot-segments first: climbing out of the ACL lands outside it.
    await denied(await request(wd.url, '/ak/videos/../music/a', token(akamaiToken(S, '/ak/videos/*'))), 403,
      'cookie_scope_mismatch');
    await denied(await request(wd.url, '/ak/a.ts'), 403, 'cookie_missing');
    const tossed = await request(wd.url, '/ak/a.ts', [...token(good), ...token(akamaiToken(S, '/ak/videos/*'))]);
    assert.deepEqual([tossed.status, tossed.body], [400, 'token_ambiguous']);
    assert.equal(tossed.headers['www-authenticate'], undefined);
  });

  test('IP binding: the edge-set CF-Connecting-IP decides; spoofed headers change nothing', async () => {
    const mine = await request(wd.url, '/ak/a.ts', token(akamaiToken(S, '/ak/*', { ip: CLIENT })));
    assert.equal(mine.status, 200, mine.body);
    assert.deepEqual(got(mine, 'x-token-ip'), [CLIENT]);
    const theirs = token(akamaiToken(S, '/ak/*', { ip: ELSEWHERE }));
    await denied(await request(wd.url, '/ak/a.ts', theirs), 403, 'cookie_ip_mismatch');
    await denied(await request(wd.url, '/ak/a.ts', [...theirs, ...xff(ELSEWHERE)]), 403, 'cookie_ip_mismatch');
    await denied(await request(wd.url, '/ak/a.ts', [...theirs, ['forwarded', `for=${ELSEWHERE}`]]), 403,
      'cookie_ip_mismatch');
    // A client's own CF-Connecting-IP is replaced by the edge's.
    await denied(await request(wd.url, '/ak/a.ts', [...theirs, ['cf-connecting-ip', ELSEWHERE]]), 403,
      'cookie_ip_mismatch');
  });

  test('Google signed URL judged against public_origin (the Host is 127.0.0.1)', async () => {
    const target = googleSignedUrl(S, `${ORIGIN}/g/v/a.mp4?quality=hd`).slice(ORIGIN.length);
    const r = await request(wd.url, target);
    assert.equal(r.status, 200, r.body);
    assert.equal(JSON.parse(r.body).path, target);
    assert.deepEqual(got(r, 'x-key-name'), ['edge-key']);
    await denied(await request(wd.url, target.replace('quality=hd', 'quality=4k')), 403, 'signature_invalid');
  });

  test('Google signed cookie and URL-prefix signed URL: valid; tampered, wrong key, outside the prefix, tossed', async () => {
    const prefix = `${ORIGIN}/gc/videos/`;
    const good = googleSignedCookie(S, prefix);
    const gc = (...values) => values.map((v) => ['cookie', `Cloud-CDN-Cookie=${v}`]); // one Cookie field each
    const c = await request(wd.url, '/gc/videos/a.ts', [...gc(good), ['x-gc-prefix', `${ORIGIN}/`]]);
    assert.equal(c.status, 200, c.body);
    assert.deepEqual([got(c, 'x-gc-key'), got(c, 'x-gc-prefix')], [['edge-key'], [prefix]], 'the spoofed output is replaced');
    const urlPrefix = `${ORIGIN}/g/videos/`;
    const target = googleSignedUrlPrefix(S, `${ORIGIN}/g/videos/seg-1.ts`, urlPrefix).slice(ORIGIN.length);
    const u = await request(wd.url, target);
    assert.equal(u.status, 200, u.body);
    assert.equal(JSON.parse(u.body).path, target);
    assert.deepEqual(got(u, 'x-key-name'), ['edge-key']);
    const other = googleSignedCookie(S, `${ORIGIN}/gc/`);
    const rows = [
      ['cookie: tampered signature', '/gc/videos/a.ts', gc(googleResigned(good)), 403, 'signature_invalid'],
      ['cookie: prefix widened, signature kept', '/gc/videos/a.ts', gc(googleWidened(good, `${ORIGIN}/gc/`)), 403,
        'signature_invalid'],
      ['cookie: wrong key under the same KeyName', '/gc/videos/a.ts', gc(googleSignedCookie(S, prefix, { key: googleKey() })),
        403, 'signature_invalid'],
      ['cookie: expired', '/gc/videos/a.ts', gc(googleSignedCookie(S, prefix, { expires: now() - 1 })), 403, 'cookie_expired'],
      ['cookie: outside the prefix', '/gc/private/a.ts', gc(good), 403, 'cookie_scope_mismatch'],
      ['cookie: tossed, one Cookie field', '/gc/videos/a.ts', [['cookie', `Cloud-CDN-Cookie=${good}; Cloud-CDN-Cookie=${other}`]],
        400, 'token_ambiguous'],
      ['cookie: tossed, a second Cookie field', '/gc/videos/a.ts', gc(good, other), 400, 'token_ambiguous'],
      ['cookie: missing', '/gc/videos/a.ts', [], 403, 'cookie_missing'],
      ['URL prefix: tampered signature', googleResigned(target), [], 403, 'signature_invalid'],
      ['URL prefix: widened, signature kept', googleWidened(target, `${ORIGIN}/g/`), [], 403, 'signature_invalid'],
      ['URL prefix: outside it', googleSignedUrlPrefix(S, `${ORIGIN}/g/private/seg-1.ts`, urlPrefix).slice(ORIGIN.length), [],
        403, 'cookie_scope_mismatch'],
    ];
    for (const [name, path, headers, status, reason] of rows) await denied(await request(wd.url, path, headers), status, reason, name);
  });

  test('CloudFront signed URL and signed cookies (AWS\'s signer): valid, tampered, expired, outside, IP-bound, tossed', async () => {
    const t = now();
    const url = cloudfrontUrl(S, `${ORIGIN}/cf/u/v/a.mp4?quality=hd`, { key: 'ecdsa', algorithm: 'SHA256' }).slice(ORIGIN.length);
    const u = await request(wd.url, url);
    assert.equal(u.status, 200, u.body);
    assert.equal(JSON.parse(u.body).path, url);
    assert.deepEqual(got(u, 'x-cf-key'), [S.cloudfront.ecdsa.id]);
    await denied(await request(wd.url, url.replace('quality=hd', 'quality=4k')), 403, 'signature_invalid');
    await denied(await request(wd.url, cloudfrontUrl(S, `${ORIGIN}/cf/u/v/a.mp4`, { expires: t - 1 }).slice(ORIGIN.length)),
      403, 'cookie_expired');
    const bound = cloudfrontUrl(S, `${ORIGIN}/cf/u/v/a.mp4`,
      { policy: cloudfrontPolicy(`${ORIGIN}/cf/u/*`, { ip: '198.51.100.0/24' }) }).slice(ORIGIN.length);
    await denied(await request(wd.url, bound, xff(ELSEWHERE)), 403, 'cookie_ip_mismatch');

    const wild = `${ORIGIN}/cf/*`;
    const here = [['cookie', cloudfrontCookies(S, wild, { ip: `${CLIENT}/32` })]];
    const c = await request(wd.url, '/cf/a/b.ts', here);
    assert.equal(c.status, 200, c.body);
    assert.deepEqual([got(c, 'x-cf-resource'), got(c, 'x-cf-ip')], [[wild], [`${CLIENT}/32`]]);
    await denied(await request(wd.url, '/cf/a/b.ts', [['cookie', cloudfrontCookies(S, wild, { expires: t - 60 })]]), 403,
      'cookie_expired');
    await denied(await request(wd.url, '/cf/music/x.mp3', [['cookie', cloudfrontCookies(S, `${ORIGIN}/cf/videos/*`)]]), 403,
      'cookie_scope_mismatch');
    const other = /CloudFront-Policy=([^;]*)/.exec(cloudfrontCookies(S, `${ORIGIN}/*`, { ip: `${CLIENT}/32` }))[1];
    await denied(await request(wd.url, '/cf/a/b.ts',
      [['cookie', here[0][1].replace(/CloudFront-Policy=[^;]*/, `CloudFront-Policy=${other}`)]]), 403, 'signature_invalid');
    const there = [['cookie', cloudfrontCookies(S, wild, { ip: '198.51.100.0/24' })]];
    await denied(await request(wd.url, '/cf/a/b.ts', there), 403, 'cookie_ip_mismatch');
    await denied(await request(wd.url, '/cf/a/b.ts', [...there, ...xff(ELSEWHERE), ['cf-connecting-ip', ELSEWHERE]]), 403,
      'cookie_ip_mismatch');
    const tossed = await request(wd.url, '/cf/a/b.ts', [...here, ['cookie', `CloudFront-Key-Pair-Id=${S.cloudfront.ecdsa.id}`]]);
    assert.deepEqual([tossed.status, tossed.body], [400, 'token_ambiguous']);
    assert.equal(tossed.headers['www-authenticate'], undefined);
    await denied(await request(wd.url, '/cf/a/b.ts'), 403, 'cookie_missing');
  });

  test('session cookie bound to the client: accepted here, 401 for another or with a spoofed X-Forwarded-For', async () => {
    const r = await request(wd.url, '/app/a', await session({ cip: CLIENT }));
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(got(r, 'x-session-user'), ['alice']);
    await denied(await request(wd.url, '/app/a', await session({ cip: ELSEWHERE })), 401, 'cookie_ip_mismatch');
    await denied(await request(wd.url, '/app/a', [...await session({ cip: ELSEWHERE }), ...xff(ELSEWHERE)]), 401,
      'cookie_ip_mismatch');
  });
});

describe('self-hosted workerd (request.cf.clientIp is the TCP peer)', () => {
  let wd;
  before(async () => { wd = await worker(); });

  test('the peer decides; a client-sent CF-Connecting-IP or X-Forwarded-For is not believed', async () => {
    const theirs = token(akamaiToken(S, '/ak/*', { ip: ELSEWHERE }));
    await denied(await request(wd.url, '/ak/a.ts', [...theirs, ['cf-connecting-ip', ELSEWHERE]]), 403, 'cookie_ip_mismatch');
    await denied(await request(wd.url, '/ak/a.ts', [...theirs, ...xff(ELSEWHERE)]), 403, 'cookie_ip_mismatch');
    const mine = await request(wd.url, '/ak/a.ts', [...token(akamaiToken(S, '/ak/*', { ip: CLIENT })), ['cf-connecting-ip', ELSEWHERE]]);
    assert.equal(mine.status, 200, mine.body);
    assert.deepEqual(got(mine, 'x-token-ip'), [CLIENT]);
  });

  test('CloudFront cookies bound to the peer: accepted; bound elsewhere, a spoofed X-Forwarded-For changes nothing', async () => {
    const wild = `${ORIGIN}/cf/*`;
    const mine = await request(wd.url, '/cf/a.ts', [['cookie', cloudfrontCookies(S, wild, { ip: `${CLIENT}/32` })]]);
    assert.equal(mine.status, 200, mine.body);
    const theirs = [['cookie', cloudfrontCookies(S, wild, { ip: `${ELSEWHERE}/32` })]];
    await denied(await request(wd.url, '/cf/a.ts', [...theirs, ...xff(ELSEWHERE)]), 403, 'cookie_ip_mismatch');
    await denied(await request(wd.url, '/cf/a.ts', [...theirs, ['cf-connecting-ip', ELSEWHERE]]), 403, 'cookie_ip_mismatch');
  });
});
