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

export const KINDS = [
  'jose warm',
  'jose cold',
  'edgeward warm cache on',
  'edgeward warm cache off',
  'edgeward cold',
];

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
      return out;
    },
  };
}
