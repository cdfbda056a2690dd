// The benchmark rows, shared by the Node driver (benches/js_bench.mjs, in-process) and the
// workerd bench worker (benches/js/worker.js): the same code runs in both runtimes. No imports:
// the caller hands over jose and edgeward's Edgeward, each loaded its runtime's way.
//
// Per algorithm, five rows:
//   jose warm                jwtVerify on one repeated token, key imported once up front
//   jose cold                jwtVerify on distinct tokens (distinct jti), cycled
//   edgeward warm cache on   verifySync on the repeated token, verified-token cache on (hits)
//   edgeward warm cache off  verifySync on the repeated token, token_cache.max_entries = 0
//   edgeward cold            verifySync on the distinct tokens, cache on but bounded below the
//                            number of tokens, so FIFO eviction makes every lookup a miss
//                            (the real cost of a token never seen: verify + hash + insert)
// A batch runs n verifications of one row and returns how many verdicts were wrong (every
// token is valid, so any refusal or throw is wrong).
//
// Signed URLs, signed cookies and session cookies (spec.signed, when the driver asks for
// them; rows named "signed <kind>", SIGNED_KINDS): through check() on a Request, as a Worker
// calls it, with one policy holding every provider (rules by path prefix, as
// tests/credentials.rs): a session cookie or an RS256 IdP token on /app/ (requires_any), an
// Akamai EdgeAuth cookie on /ak/, a Google Cloud CDN signed URL on /g/, a CloudFront signed URL
// on /cf/ and CloudFront signed cookies on /cfc/. The Requests are built once up front (a
// Worker is handed its Request), so the rows time check() alone. "warm": one repeated
// credential, verified-token cache on; "cold" and the signed rows: distinct credentials,
// cycled, on an instance whose cache is bounded below their number (every lookup misses;
// signed URLs and cookies never use the cache). jose anchors (jwtVerify, no Request) exist for
// RS256 and for the session cookie (an HS256 JWS with its own typ); the signed schemes have
// none.

export const KINDS = [
  'jose warm',
  'jose cold',
  'edgeward warm cache on',
  'edgeward warm cache off',
  'edgeward cold',
];

export const SIGNED_KINDS = [
  'jose RS256 cold',
  'jose session cold',
  'edgeward check() RS256 warm',
  'edgeward check() session warm',
  'edgeward check() RS256 cold',
  'edgeward check() session cold',
  'edgeward check() Akamai cookie',
  'edgeward check() Google signed URL',
  'edgeward check() Google signed cookie',
  'edgeward check() CloudFront signed URL',
  'edgeward check() CloudFront signed URL, ECDSA',
  'edgeward check() CloudFront signed cookie',
];

/** Scheme (--schemes) -> the signed kinds it adds. */
export const SCHEME_KINDS = {
  session: SIGNED_KINDS.slice(0, 6),
  akamai: ['edgeward check() Akamai cookie'],
  google: ['edgeward check() Google signed URL'],
  google_cookie: ['edgeward check() Google signed cookie'],
  cloudfront_url: ['edgeward check() CloudFront signed URL'],
  cloudfront_url_ecdsa: ['edgeward check() CloudFront signed URL, ECDSA'],
  cloudfront_cookie: ['edgeward check() CloudFront signed cookie'],
};

/** The edge's own host: signed URLs are judged against the policy's public_origin instead. */
const EDGE = 'http://edge.test';

export const PROVIDER = 'bench';
/** Cache bound of the cold instance; the driver makes many more distinct tokens than this. */
export const COLD_CACHE_ENTRIES = 256;

/**
 * spec: {iss, aud, algs: {ALG: {jwk} | {secretB64, env}}, tokens: {ALG: {warm, cold: [...]}}}
 * env: strings for secrets_from_env. Returns {names, batch(name, n) -> {wrong}, stats()}.
 */
export async function makeRows({ jose, Edgeward, spec, env }) {
  const rows = new Map();
  const instances = {};
  for (const [alg, key] of Object.entries(spec.algs)) {
    const { warm, cold } = spec.tokens[alg];
    if (cold.length <= COLD_CACHE_ENTRIES * 2) throw new Error(`${alg}: too few cold tokens`);

    // jose: a CryptoKey made once. (importJWK returns raw bytes for "oct", which jose would
    // import into a CryptoKey on every verification; import the HMAC key here instead.)
    const joseKey = key.secretB64
      ? await crypto.subtle.importKey(
        'raw', jose.base64url.decode(key.secretB64), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
      : await jose.importJWK(key.jwk, alg);
    // The same checks edgeward's policy makes: issuer, audience, algorithm, exp required,
    // 60 s clock skew.
    const joseOpts = {
      issuer: spec.iss, audience: spec.aud, algorithms: [alg], requiredClaims: ['exp'], clockTolerance: 60,
    };

    const provider = {
      issuer: spec.iss,
      audiences: [spec.aud],
      algorithms: [alg],
      ...(key.secretB64
        ? { secrets_from_env: [{ env: key.env, alg, kid: alg.toLowerCase() }] }
        : { local_jwks: { keys: [key.jwk] } }),
    };
    const policy = (tokenCache) => ({
      version: 1,
      providers: { [PROVIDER]: provider },
      rules: [{ match: { prefix: '/' }, requires: { provider_name: PROVIDER } }],
      ...(tokenCache ? { token_cache: tokenCache } : {}),
    });
    const on = Edgeward.fromPolicy(policy(null), { env });
    const off = Edgeward.fromPolicy(policy({ max_entries: 0 }), { env });
    const coldEw = Edgeward.fromPolicy(policy({ max_entries: COLD_CACHE_ENTRIES }), { env });
    instances[alg] = { on, off, cold: coldEw };

    let ji = 0;
    rows.set(`${alg} jose warm`, async (n) => {
      let wrong = 0;
      for (let i = 0; i < n; i++) {
        try { await jose.jwtVerify(warm, joseKey, joseOpts); } catch { wrong++; }
      }
      return wrong;
    });
    rows.set(`${alg} jose cold`, async (n) => {
      let wrong = 0;
      for (let i = 0; i < n; i++) {
        const t = cold[ji];
        ji = ji + 1 === cold.length ? 0 : ji + 1;
        try { await jose.jwtVerify(t, joseKey, joseOpts); } catch { wrong++; }
      }
      return wrong;
    });
    const sameToken = (ew) => (n) => {
      let wrong = 0;
      for (let i = 0; i < n; i++) if (!ew.verifySync(warm).valid) wrong++;
      return wrong;
    };
    rows.set(`${alg} edgeward warm cache on`, sameToken(on));
    rows.set(`${alg} edgeward warm cache off`, sameToken(off));
    let ei = 0;
    rows.set(`${alg} edgeward cold`, (n) => {
      let wrong = 0;
      for (let i = 0; i < n; i++) {
        const t = cold[ei];
        ei = ei + 1 === cold.length ? 0 : ei + 1;
        if (!coldEw.verifySync(t).valid) wrong++;
      }
      return wrong;
    });
  }
  const signed = spec.signed ? await signedRows({ jose, Edgeward, spec: spec.signed, env, rows }) : null;
  return {
    names: [...rows.keys()],
    async batch(name, n) {
      const run = rows.get(name);
      if (!run) throw new Error(`no row ${name}`);
      return { wrong: await run(n) };
    },
    /** The verified-token cache counters of every edgeward instance. */
    stats() {
      const out = {};
      for (const [alg, i] of Object.entries(instances)) {
        out[alg] = { on: i.on.cacheStats(), off: i.off.cacheStats(), cold: i.cold.cacheStats() };
      }
      if (signed) out.signed = { on: signed.on.cacheStats(), cold: signed.cold.cacheStats() };
      return out;
    },
  };
}

/**
 * spec: {origin, kinds: [...], rs256: {jwk, warm, cold}, session: {iss, aud, kid, typ, secretB64,
 * env, cookie, warm, cold}, akamai: {env, cold}, google: {env, keyName, cold, cookies},
 * cloudfront: {keyId, pem, ecKeyId, ecPem, urls, ecUrls, cookies}}; credentials are request
 * shapes {path, headers}.
 * Adds the rows of spec.kinds to `rows`; returns the two edgeward instances.
 */
async function signedRows({ jose, Edgeward, spec, env, rows }) {
  const { rs256, session } = spec;
  const cf = spec.cloudfront && [{ name: spec.cloudfront.keyId, public_key_pem: spec.cloudfront.pem },
    { name: spec.cloudfront.ecKeyId, public_key_pem: spec.cloudfront.ecPem }];
  const googleKeys = spec.google && [{ name: spec.google.keyName, secret_from_env: spec.google.env }];
  const providers = {
    ...(session ? {
      idp: { issuer: rs256.iss, audiences: [rs256.aud], algorithms: ['RS256'], local_jwks: { keys: [rs256.jwk] } },
      session: {
        kind: 'session_cookie', issuer: session.iss, audiences: [session.aud],
        secrets_from_env: [{ env: session.env, alg: 'HS256', kid: session.kid }],
        session: { lifetime_seconds: session.lifetime },
      },
    } : {}),
    ...(spec.akamai ? { akamai: { kind: 'signed_cookie',
      signed: { scheme: 'akamai_edgeauth', keys: [{ secret_from_env: spec.akamai.env }] } } } : {}),
    ...(spec.google ? { gurl: { kind: 'signed_url', signed: { scheme: 'google_cloud_cdn', keys: googleKeys } },
      gcookie: { kind: 'signed_cookie', signed: { scheme: 'google_cloud_cdn', keys: googleKeys } } } : {}),
    ...(cf ? { cfurl: { kind: 'signed_url', signed: { scheme: 'cloudfront', keys: cf } },
      cfcookie: { kind: 'signed_cookie', signed: { scheme: 'cloudfront', keys: cf } } } : {}),
  };
  const rules = [
    ['/app/', session && { requires_any: [{ provider_name: 'session' }, { provider_name: 'idp' }] }],
    ['/ak/', spec.akamai && { provider_name: 'akamai' }],
    ['/gc/', spec.google && { provider_name: 'gcookie' }],
    ['/g/', spec.google && { provider_name: 'gurl' }],
    ['/cfc/', cf && { provider_name: 'cfcookie' }],
    ['/cf/', cf && { provider_name: 'cfurl' }],
    // The policy needs a catch-all; nothing is sent there.
    ['/', { provider_name: Object.keys(providers)[0] }],
  ].filter(([, r]) => r).map(([prefix, requires]) => ({ match: { prefix }, requires }));
  const policy = (tokenCache) => ({
    version: 1, public_origin: spec.origin, providers, rules,
    ...(tokenCache ? { token_cache: tokenCache } : {}),
  });
  const on = Edgeward.fromPolicy(policy(null), { env });
  const cold = Edgeward.fromPolicy(policy({ max_entries: COLD_CACHE_ENTRIES }), { env });

  const request = ({ path, headers }) => new Request(EDGE + path, { headers });
  const cycle = (shapes) => {
    if (shapes.length <= COLD_CACHE_ENTRIES * 2) throw new Error('too few distinct credentials');
    const reqs = shapes.map(request);
    let i = 0;
    return () => {
      const r = reqs[i];
      i = i + 1 === reqs.length ? 0 : i + 1;
      return r;
    };
  };
  const same = (shape) => {
    const r = request(shape);
    return () => r;
  };
  const checkRow = (ew, next) => async (n) => {
    let wrong = 0;
    for (let i = 0; i < n; i++) {
      try {
        if (!(await ew.check(next())).allow) wrong++;
      } catch { wrong++; }
    }
    return wrong;
  };
  const joseRow = (tokens, key, opts) => {
    let i = 0;
    return async (n) => {
      let wrong = 0;
      for (let k = 0; k < n; k++) {
        const t = tokens[i];
        i = i + 1 === tokens.length ? 0 : i + 1;
        try { await jose.jwtVerify(t, key, opts); } catch { wrong++; }
      }
      return wrong;
    };
  };
  const rsKey = session && await jose.importJWK(rs256.jwk, 'RS256');
  const hsKey = session && await crypto.subtle.importKey(
    'raw', jose.base64url.decode(session.secretB64), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  const bearer = (t) => ({ path: '/app/items', headers: { authorization: `Bearer ${t}` } });
  const sessionCookie = (v) => ({ path: '/app/items', headers: { cookie: `${session.cookie}=${v}` } });
  const make = {
    'jose RS256 cold': () => joseRow(rs256.cold, rsKey, {
      issuer: rs256.iss, audience: rs256.aud, algorithms: ['RS256'], requiredClaims: ['exp'], clockTolerance: 60 }),
    'jose session cold': () => joseRow(session.cold, hsKey, {
      issuer: session.iss, audience: session.aud, algorithms: ['HS256'], typ: session.typ, requiredClaims: ['exp'],
      clockTolerance: 60 }),
    'edgeward check() RS256 warm': () => checkRow(on, same(bearer(rs256.warm))),
    'edgeward check() session warm': () => checkRow(on, same(sessionCookie(session.warm))),
    'edgeward check() RS256 cold': () => checkRow(cold, cycle(rs256.cold.map(bearer))),
    'edgeward check() session cold': () => checkRow(cold, cycle(session.cold.map(sessionCookie))),
    'edgeward check() Akamai cookie': () => checkRow(cold, cycle(spec.akamai.cold)),
    'edgeward check() Google signed URL': () => checkRow(cold, cycle(spec.google.cold)),
    'edgeward check() Google signed cookie': () => checkRow(cold, cycle(spec.google.cookies)),
    'edgeward check() CloudFront signed URL': () => checkRow(cold, cycle(spec.cloudfront.urls)),
    'edgeward check() CloudFront signed URL, ECDSA': () => checkRow(cold, cycle(spec.cloudfront.ecUrls)),
    'edgeward check() CloudFront signed cookie': () => checkRow(cold, cycle(spec.cloudfront.cookies)),
  };
  for (const kind of spec.kinds) rows.set(`signed ${kind}`, make[kind]());
  return { on, cold };
}
