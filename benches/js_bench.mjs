// Benchmark (not a test): the edgeward npm package against jose, in Node (in-process) and in
// real workerd, per algorithm (HS256, ES256, RS256, EdDSA; ES384 and ES512 on request).
//
//   node benches/js_bench.mjs [--ms 400] [--passes 5] [--runtime node|workerd|both]
//                             [--tokens 2000] [--algs HS256,ES256,RS256,EdDSA] [--inst-runs 10]
//                             [--schemes session,akamai,google,google_cookie,cloudfront_url,
//                                        cloudfront_url_ecdsa,cloudfront_cookie|none]
//
// Rows per algorithm (benches/js/rows.js, the same code in both runtimes):
//   jose warm / cold                jwtVerify (WebCrypto), key imported once; one repeated token /
//                                   --tokens distinct tokens (distinct jti) cycled
//   edgeward warm cache on / off    verifySync on the repeated token, verified-token cache on /
//                                   off (token_cache.max_entries = 0)
//   edgeward cold                   verifySync on the distinct tokens; cache on but bounded to 256
//                                   entries (FIFO), so every lookup misses (checked below)
// Signed URLs, signed cookies and session cookies (--schemes, default all; rows "signed ...",
// see benches/js/rows.js): check() on prebuilt Requests, --tokens distinct credentials each,
// from signers that are not edgeward's: session cookies by jose (HS256, typ
// "edgeward-session+jwt", kid; iss, aud, sub, iat, exp, jti), Akamai tokens by Akamai's
// `akamai-edgeauth` (npm), Google Cloud CDN signed URLs and cookies by the algorithm on
// Google's "Using signed URLs" and "Using signed cookies" pages (HMAC-SHA1, base64url with
// padding), CloudFront signed URLs (canned policy; RSA-SHA1, and ECDSA P-256 with SHA-256 and
// Hash-Algorithm=SHA256) and cookies (custom policy, wildcard Resource) by the algorithm of
// CloudFront's developer guide ("Create a signed URL using a canned policy" / "... a custom
// policy": the signature over the policy, CloudFront's base64 with -_~) in node:crypto. Their table gives
// verifications/s, the ratio to edgeward's check() of an RS256 bearer token on the session
// route (same cache mode) and to jose (RS256 and the session cookie only; "-" where jose has
// no equivalent).
//
// Each pass runs every row once for a fixed window of about --ms, rows interleaved (and the order
// rotated per pass) to spread machine noise; the table shows medians over passes. Every verdict
// is checked (every token is valid): wrong verdicts are counted and printed.
//
// Node: timed in-process with performance.now(). workerd: inside a Worker the clocks do not
// advance during computation, so the driver times each batch from outside: it POSTs {row, n},
// the worker runs n verifications, and the HTTP round trip minus a measured empty-batch (n = 0)
// baseline is the batch time; n is chosen so a batch takes about --ms.
//
// Also: module compile and instantiate time (median over fresh `node` processes), .wasm size raw
// and gzip, the packed tarball size, jose's size. Keys and tokens are made at run time (jose);
// nothing secret is written anywhere (the workerd temp dir holds code and config only; keys and
// tokens go to the worker in a setup request). Every process started is stopped by PID, also on
// error, on SIGINT/SIGTERM, and by a watchdog that bounds the whole run.
import { execFileSync } from 'node:child_process';
import { createHmac, generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { KINDS, COLD_CACHE_ENTRIES, SCHEME_KINDS, SIGNED_KINDS, makeRows } from './js/rows.js';
import { killAllSync, runChild, stopAll } from './js/procs.mjs';
import { startWorkerd, TESTS } from './js/workerd.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NM = join(TESTS, 'node_modules');
const PKG = join(NM, 'edgeward');
const JOSE_DIR = join(NM, 'jose');
const NPM_DIST = join(ROOT, 'wasm', 'npm', 'dist');
const WASM = join(NPM_DIST, 'edgeward_wasm_bg.wasm');
const GLUE = join(NPM_DIST, 'edgeward_wasm.js');
const TARBALL = join(ROOT, 'wasm', 'edgeward-0.1.0.tgz');
const ISS = 'https://idp.bench';
const AUD = 'api';
const HS_ENV = 'EDGEWARD_BENCH_HS256';
const SCHEMES = Object.keys(SCHEME_KINDS);
const ORIGIN = 'https://cdn.example.com';
const LIFETIME = 3 * 3600; // every credential outlives the longest run

// ---------------------------------------------------------------- arguments
function parseArgs(argv) {
  const o = {
    ms: 400, passes: 5, runtime: 'both', tokens: 2000, algs: 'HS256,ES256,RS256,EdDSA', instRuns: 10, schemes: SCHEMES.join(','),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--ms') o.ms = Number(val());
    else if (a === '--passes') o.passes = Number(val());
    else if (a === '--runtime') o.runtime = val();
    else if (a === '--tokens') o.tokens = Number(val());
    else if (a === '--algs') o.algs = val();
    else if (a === '--inst-runs') o.instRuns = Number(val());
    else if (a === '--schemes') o.schemes = val();
    else if (a === '-h' || a === '--help') {
      console.log(`node benches/js_bench.mjs [--ms 400] [--passes 5] [--runtime node|workerd|both] [--tokens 2000] [--algs HS256,ES256,RS256,EdDSA] [--inst-runs 10] [--schemes ${SCHEMES.join(',')}|none]`);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!(o.ms >= 10 && o.ms <= 10000)) throw new Error('--ms: 10 to 10000');
  if (!(Number.isInteger(o.passes) && o.passes >= 1 && o.passes <= 50)) throw new Error('--passes: 1 to 50');
  if (!['node', 'workerd', 'both'].includes(o.runtime)) throw new Error('--runtime: node, workerd or both');
  if (!(Number.isInteger(o.tokens) && o.tokens > COLD_CACHE_ENTRIES * 2 && o.tokens <= 20000)) {
    throw new Error(`--tokens: ${COLD_CACHE_ENTRIES * 2 + 1} to 20000`);
  }
  o.algs = o.algs.split(',').map((s) => s.trim()).filter(Boolean);
  o.schemes = o.schemes === 'none' ? [] : o.schemes.split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of o.schemes) if (!SCHEMES.includes(s)) throw new Error(`--schemes: unknown ${s}`);
  for (const a of o.algs) if (!['HS256', 'ES256', 'ES384', 'ES512', 'RS256', 'EdDSA'].includes(a)) throw new Error(`--algs: unknown ${a}`);
  if (!(Number.isInteger(o.instRuns) && o.instRuns >= 0 && o.instRuns <= 50)) throw new Error('--inst-runs: 0 to 50');
  o.runtimes = o.runtime === 'both' ? ['node', 'workerd'] : [o.runtime];
  return o;
}

// ---------------------------------------------------------------- small helpers
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const fmtRate = (r) => (r >= 100 ? Math.round(r).toLocaleString('en-US') : r.toFixed(1));
const fmtUs = (us) => (us >= 100 ? us.toFixed(0) : us >= 10 ? us.toFixed(1) : us.toFixed(2));
const log = (...a) => console.error(...a); // progress on stderr, results on stdout

// ---------------------------------------------------------------- keys and tokens
async function makeSpec(jose, algs, count) {
  const spec = { iss: ISS, aud: AUD, algs: {}, tokens: {} };
  const signers = {};
  const env = {};
  for (const alg of algs) {
    const kid = alg.toLowerCase();
    if (alg === 'HS256') {
      const secret = crypto.getRandomValues(new Uint8Array(32));
      const secretB64 = jose.base64url.encode(secret);
      spec.algs[alg] = { secretB64, env: HS_ENV };
      env[HS_ENV] = secretB64;
      signers[alg] = secret;
    } else {
      const { publicKey, privateKey } = await jose.generateKeyPair(alg);
      spec.algs[alg] = { jwk: { ...(await jose.exportJWK(publicKey)), kid, alg } };
      signers[alg] = privateKey;
    }
  }
  const t = Math.floor(Date.now() / 1000);
  const sign = (alg, jti) => new jose.SignJWT({
    iss: ISS, aud: AUD, sub: 'bench-user', iat: t - 5, exp: t + 3 * 3600, scope: 'read write', jti,
  }).setProtectedHeader({ alg, kid: alg.toLowerCase(), typ: 'JWT' }).sign(signers[alg]);
  for (const alg of algs) {
    const cold = [];
    for (let i = 0; i < count; i += 64) {
      const chunk = [];
      for (let j = i; j < Math.min(count, i + 64); j++) chunk.push(sign(alg, `cold-${j}`));
      cold.push(...(await Promise.all(chunk)));
    }
    spec.tokens[alg] = { warm: await sign(alg, 'warm'), cold };
  }
  return { spec, env };
}

// ---------------------------------------------------------------- signed URLs, cookies, sessions
const cfBase64 = (buf) => buf.toString('base64').replace(/\+/g, '-').replace(/=/g, '_').replace(/\//g, '~');
const padded = (b64url) => b64url + '='.repeat((4 - (b64url.length % 4)) % 4);

/** spec.signed for rows.js and the env strings its policy names; keys drawn now. */
async function makeSignedSpec(jose, schemes, count) {
  const kinds = SIGNED_KINDS.filter((k) => schemes.some((s) => SCHEME_KINDS[s].includes(k)));
  const t = Math.floor(Date.now() / 1000);
  const exp = t + LIFETIME;
  const spec = { origin: ORIGIN, kinds };
  const env = {};
  const range = (f) => Array.from({ length: count }, (_, i) => f(i));
  if (schemes.includes('session')) {
    const { publicKey, privateKey } = await jose.generateKeyPair('RS256');
    const jwk = { ...(await jose.exportJWK(publicKey)), kid: 'rs', alg: 'RS256' };
    const rs = (jti) => new jose.SignJWT({ iss: ISS, aud: AUD, sub: 'bench-user', iat: t - 5, exp, jti })
      .setProtectedHeader({ alg: 'RS256', kid: 'rs', typ: 'JWT' }).sign(privateKey);
    const secret = crypto.getRandomValues(new Uint8Array(32));
    const session = {
      iss: 'https://edge.bench/session', aud: 'app', kid: 's1', typ: 'edgeward-session+jwt',
      secretB64: jose.base64url.encode(secret), env: 'EDGEWARD_BENCH_SESSION', cookie: '__Host-edgeward-session',
      lifetime: LIFETIME + 60,
    };
    const ses = (jti) => new jose.SignJWT({ iss: session.iss, aud: session.aud, sub: `user-${jti}`, iat: t - 5, exp, jti })
      .setProtectedHeader({ alg: 'HS256', typ: session.typ, kid: session.kid }).sign(secret);
    env[session.env] = session.secretB64;
    // RS256 signing is slow-ish: 64 at a time.
    const cold = [];
    for (let i = 0; i < count; i += 64) {
      cold.push(...(await Promise.all(range((j) => j).slice(i, i + 64).map((j) => rs(`cold-${j}`)))));
    }
    spec.rs256 = { iss: ISS, aud: AUD, jwk, warm: await rs('warm'), cold };
    spec.session = { ...session, warm: await ses('warm'), cold: await Promise.all(range((j) => ses(`cold-${j}`))) };
  }
  if (schemes.includes('akamai')) {
    const EdgeAuth = createRequire(join(NM, 'x.js'))('akamai-edgeauth');
    const key = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex');
    env.EDGEWARD_BENCH_AKAMAI = key;
    // Distinct tokens: one expiry each (the signer has no jti).
    spec.akamai = { env: 'EDGEWARD_BENCH_AKAMAI', cold: range((i) => ({ path: '/ak/v/seg.ts', headers: {
      cookie: `__token__=${new EdgeAuth({ key, algorithm: 'sha256', startTime: t - 5, endTime: exp + i }).generateACLToken('/ak/*')}`,
    } })) };
  }
  if (schemes.includes('google') || schemes.includes('google_cookie')) {
    const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16)));
    env.EDGEWARD_BENCH_GOOGLE = padded(key.toString('base64url'));
    const mac = (text) => padded(createHmac('sha1', key).update(text).digest('base64url'));
    const signUrl = (url) => {
      const toSign = `${url}?Expires=${exp}&KeyName=edge-key`;
      return `${toSign}&Signature=${mac(toSign)}`;
    };
    // A cookie over the URL prefix /gc/, distinct by expiry.
    const prefix = Buffer.from(`${ORIGIN}/gc/`).toString('base64url');
    const signCookie = (until) => {
      const value = `URLPrefix=${padded(prefix)}:Expires=${until}:KeyName=edge-key`;
      return `Cloud-CDN-Cookie=${value}:Signature=${mac(value)}`;
    };
    spec.google = { env: 'EDGEWARD_BENCH_GOOGLE', keyName: 'edge-key',
      cold: schemes.includes('google') ? range((i) => ({ path: signUrl(`${ORIGIN}/g/v/seg-${i}.ts`).slice(ORIGIN.length), headers: {} })) : [],
      cookies: schemes.includes('google_cookie') ? range((i) => ({ path: '/gc/v/seg.ts', headers: { cookie: signCookie(exp + i) } })) : [] };
  }
  if (schemes.some((s) => s.startsWith('cloudfront'))) {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyId = 'K2JCJMDEHXQW5F';
    const ecKeyId = 'KECBENCHP256KEY';
    const policy = (resource, until) => `{"Statement":[{"Resource":"${resource}","Condition":{"DateLessThan":{"AWS:EpochTime":${until}}}}]}`;
    const sig = (p) => cfBase64(cryptoSign('sha1', Buffer.from(p), privateKey));
    // ECDSA: DER signatures (node:crypto's default), as CloudFront expects.
    const ecSig = (p) => cfBase64(cryptoSign('sha256', Buffer.from(p), ec.privateKey));
    spec.cloudfront = {
      keyId, pem: publicKey.export({ type: 'spki', format: 'pem' }),
      ecKeyId, ecPem: ec.publicKey.export({ type: 'spki', format: 'pem' }),
      // Canned policy URLs (botocore's parameter order), one URL each.
      urls: schemes.includes('cloudfront_url') ? range((i) => {
        const url = `${ORIGIN}/cf/v/seg-${i}.ts`;
        return { path: `${url.slice(ORIGIN.length)}?Expires=${exp}&Signature=${sig(policy(url, exp))}&Key-Pair-Id=${keyId}`,
          headers: {} };
      }) : [],
      ecUrls: schemes.includes('cloudfront_url_ecdsa') ? range((i) => {
        const url = `${ORIGIN}/cf/v/ec-${i}.ts`;
        return { path: `${url.slice(ORIGIN.length)}?Expires=${exp}&Signature=${ecSig(policy(url, exp))}`
          + `&Key-Pair-Id=${ecKeyId}&Hash-Algorithm=SHA256`, headers: {} };
      }) : [],
      // Custom policy cookies over every URL under /cfc/, distinct by expiry.
      cookies: schemes.includes('cloudfront_cookie') ? range((i) => {
        const p = policy(`${ORIGIN}/cfc/*`, exp + i);
        return { path: '/cfc/v/seg.ts', headers: {
          cookie: `CloudFront-Policy=${cfBase64(Buffer.from(p))}; CloudFront-Signature=${sig(p)}; CloudFront-Key-Pair-Id=${keyId}`,
        } };
      }) : [],
    };
  }
  return { spec, env };
}

// ---------------------------------------------------------------- runtimes
// A runtime offers rows; row.batch(n) -> {seconds, wrong}.
async function nodeRuntime(jose, spec, env) {
  const { Edgeward } = await import(pathToFileURL(join(PKG, 'node.js')).href);
  const rows = await makeRows({ jose, Edgeward, spec, env });
  return {
    name: 'node',
    label: `Node ${process.version} (in-process)`,
    names: rows.names,
    batch: async (name, n) => {
      const t0 = performance.now();
      const { wrong } = await rows.batch(name, n);
      return { seconds: (performance.now() - t0) / 1000, wrong };
    },
    beforePass: async () => {},
    stats: async () => rows.stats(),
    notes: () => [],
    stop: async () => {},
  };
}

async function workerdRuntime(spec, env, ms) {
  const wd = await startWorkerd();
  log(`workerd pid ${wd.pid} at ${wd.url}`);
  const post = async (path, body, timeoutMs) => {
    let res;
    try {
      res = await fetch(wd.url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      throw new Error(`workerd ${path}: ${e.message}${e.cause ? ` (${e.cause.message ?? e.cause})` : ''}`
        + `${wd.logs() ? `\nworkerd output:\n${wd.logs()}` : ''}`);
    }
    const text = await res.text();
    let j;
    try { j = JSON.parse(text); } catch { throw new Error(`workerd ${path}: ${res.status} ${text.slice(0, 500)}`); }
    if (!res.ok || j.error) throw new Error(`workerd ${path}: ${res.status} ${j.error ?? text.slice(0, 500)}`);
    return j;
  };
  try {
    const setup = await post('/setup', { spec, env }, 120000);
    let baseline = 0;
    const baselines = [];
    const batchTimeout = Math.max(30000, ms * 20);
    return {
      name: 'workerd',
      label: 'workerd (timed from outside, empty-batch round trip subtracted)',
      names: setup.names,
      batch: async (name, n) => {
        const t0 = performance.now();
        const r = await post('/run', { row: name, n }, batchTimeout);
        const raw = (performance.now() - t0) / 1000;
        if (r.n !== n) throw new Error(`workerd ran ${r.n} of ${n}`);
        return { seconds: Math.max(raw - baseline, 1e-6), raw, wrong: r.wrong };
      },
      // The empty-batch round trip, measured afresh before every pass (median of 9 after 2).
      beforePass: async () => {
        const xs = [];
        for (let i = 0; i < 11; i++) {
          const t0 = performance.now();
          await post('/run', { row: '', n: 0 }, 10000);
          if (i >= 2) xs.push((performance.now() - t0) / 1000);
        }
        baseline = median(xs);
        baselines.push(baseline);
      },
      stats: async () => post('/stats', {}, 10000),
      notes: () => [`empty-batch HTTP round trip (subtracted): median ${(median(baselines) * 1000).toFixed(2)} ms `
        + `(per pass ${baselines.map((b) => (b * 1000).toFixed(2)).join(', ')})`],
      stop: wd.stop,
    };
  } catch (e) {
    const logs = wd.logs();
    await wd.stop();
    throw new Error(`${e.message}${logs ? `\nworkerd output:\n${logs}` : ''}`);
  }
}

// ---------------------------------------------------------------- measuring
// Batch size for a window: start at 1, grow until a batch takes >= 25 ms (or a quarter window),
// then one warm-up batch of half a window refines the rate.
async function calibrate(rt, name, ms, wrongSink) {
  let n = 1;
  let r;
  for (;;) {
    r = await rt.batch(name, n);
    wrongSink.count += r.wrong;
    wrongSink.total += n;
    if (r.seconds >= Math.min(0.025, ms / 4000) || n >= 1 << 24) break;
    n *= r.seconds < 0.001 ? 10 : 2;
  }
  let rate = n / r.seconds;
  const nw = Math.max(1, Math.round((rate * ms) / 2000));
  r = await rt.batch(name, nw);
  wrongSink.count += r.wrong;
  wrongSink.total += nw;
  rate = nw / r.seconds;
  return rate;
}

async function measure(runtimes, opts) {
  const rows = []; // {rt, name, alg, kind, rate, rates[], wrong, n}
  const sink = { count: 0, total: 0 }; // calibration and warm-up verdicts
  for (const rt of runtimes) {
    await rt.beforePass();
    for (const name of rt.names) {
      const [alg, ...k] = name.split(' ');
      log(`calibrating ${rt.name} ${name}`);
      const rate = await calibrate(rt, name, opts.ms, sink);
      rows.push({ rt, name, alg, kind: k.join(' '), est: rate, rates: [], wrong: 0, n: 0 });
    }
  }
  for (let p = 0; p < opts.passes; p++) {
    for (const rt of runtimes) await rt.beforePass();
    // Rotate the order each pass; odd passes run it backwards.
    const shift = Math.floor((p * rows.length) / opts.passes);
    let order = rows.map((_, i) => rows[(i + shift) % rows.length]);
    if (p % 2) order = order.reverse();
    const t0 = performance.now();
    for (const row of order) {
      const n = Math.max(1, Math.round((row.est * opts.ms) / 1000));
      const r = await row.rt.batch(row.name, n);
      const rate = n / r.seconds;
      row.rates.push(rate);
      row.est = Math.min(rate, row.est * 4); // a freak fast batch cannot blow up the next one
      row.wrong += r.wrong;
      row.n += n;
    }
    log(`pass ${p + 1}/${opts.passes}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  for (const row of rows) row.rate = median(row.rates);
  return { rows, warmup: sink };
}

// ---------------------------------------------------------------- sizes and instantiation
function sizes() {
  const wasm = readFileSync(WASM);
  const walk = (d) => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory()
    ? walk(join(d, e.name)) : e.name.endsWith('.js') ? [join(d, e.name)] : [])).sort();
  const joseFiles = walk(join(JOSE_DIR, 'dist', 'webapi'));
  const joseCat = Buffer.concat(joseFiles.map((f) => readFileSync(f)));
  const glue = ['edgeward.js', 'workers.js', 'dist/edgeward_wasm.js'].map((f) => readFileSync(join(PKG, f)));
  const glueCat = Buffer.concat(glue);
  let tarball = null;
  try { tarball = statSync(TARBALL).size; } catch { /* not packed */ }
  return {
    wasmRaw: wasm.length,
    wasmGz: gzipSync(wasm, { level: 9 }).length,
    glueRaw: glueCat.length,
    glueGz: gzipSync(glueCat, { level: 9 }).length,
    tarball,
    joseFiles: joseFiles.length,
    joseRaw: joseCat.length,
    joseGz: gzipSync(joseCat, { level: 9 }).length,
    joseVersion: JSON.parse(readFileSync(join(JOSE_DIR, 'package.json'), 'utf8')).version,
  };
}

async function instantiation(runs) {
  const script = fileURLToPath(new URL('./js/instantiate.mjs', import.meta.url));
  const out = [];
  for (let i = 0; i < runs; i++) {
    const r = await runChild(process.execPath, [script, WASM, GLUE], { timeoutMs: 30000 });
    if (r.code !== 0) throw new Error(`instantiate child failed (${r.code}): ${r.stderr}`);
    out.push(JSON.parse(r.stdout.trim().split('\n').pop()));
  }
  if (out.length === 0) return null;
  return {
    runs: out.length,
    compile: median(out.map((o) => o.compileMs)),
    instantiate: median(out.map((o) => o.instantiateMs)),
    both: median(out.map((o) => o.compileMs + o.instantiateMs)),
    firstCall: median(out.map((o) => o.firstCallMs)),
    min: Math.min(...out.map((o) => o.compileMs + o.instantiateMs)),
    max: Math.max(...out.map((o) => o.compileMs + o.instantiateMs)),
  };
}

// ---------------------------------------------------------------- report
const JOSE_REF = { 'edgeward warm cache on': 'jose warm', 'edgeward warm cache off': 'jose warm', 'edgeward cold': 'jose cold' };

function verdictFor(row, ratio) {
  if (!row.kind.startsWith('edgeward')) return '';
  const ok = ratio >= 1;
  if (row.alg === 'HS256') return `HS256 ≥ jose: ${ok ? 'met' : 'NOT met'}`;
  if (row.kind === 'edgeward warm cache on') return `warm ≥ jose: ${ok ? 'met' : 'NOT met'}`;
  return ok ? 'ahead' : 'behind (expected: full signature check in wasm)';
}

function table(rows, rtName) {
  const mine = rows.filter((r) => r.rt.name === rtName);
  const get = (alg, kind) => mine.find((r) => r.alg === alg && r.kind === kind);
  const lines = [
    '| algorithm | row | verifications/s | µs/verification | spread | edgeward/jose | wrong | goal |',
    '|---|---|---:|---:|---:|---:|---:|---|',
  ];
  const algs = [...new Set(mine.map((r) => r.alg))];
  for (const alg of algs) {
    for (const kind of KINDS) {
      const r = get(alg, kind);
      if (!r) continue;
      const ref = JOSE_REF[kind] ? get(alg, JOSE_REF[kind]) : null;
      r.ratio = ref ? r.rate / ref.rate : null;
      const spread = r.rates.length > 1 ? `±${((50 * (Math.max(...r.rates) - Math.min(...r.rates))) / r.rate).toFixed(0)}%` : '';
      lines.push(`| ${alg} | ${kind} | ${fmtRate(r.rate)} | ${fmtUs(1e6 / r.rate)} | ${spread} | ${r.ratio === null ? '' : `${r.ratio.toFixed(2)}x`} | ${r.wrong} | ${verdictFor(r, r.ratio)} |`);
    }
  }
  return lines.join('\n');
}

const SIGNED_REF = {
  'edgeward check() RS256 warm': ['anchor', null],
  'edgeward check() session warm': ['edgeward check() RS256 warm', null],
  'edgeward check() RS256 cold': ['anchor', 'jose RS256 cold'],
  'edgeward check() session cold': ['edgeward check() RS256 cold', 'jose session cold'],
};

function signedTable(rows, rtName) {
  const mine = rows.filter((r) => r.rt.name === rtName && r.alg === 'signed');
  const get = (kind) => mine.find((r) => r.kind === kind);
  const lines = [
    '| row | verifications/s | µs/verification | spread | vs edgeward check() RS256, session route | vs jose | wrong |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  const ratio = (r, kind) => {
    if (kind === 'anchor') return '(anchor)';
    const ref = kind && get(kind);
    return ref ? `${(r.rate / ref.rate).toFixed(2)}x` : '-';
  };
  for (const kind of SIGNED_KINDS) {
    const r = get(kind);
    if (!r) continue;
    // Signed URLs and cookies: against the cold RS256 check() (every request verifies a signature).
    const [ew, jo] = SIGNED_REF[kind] ?? (kind.startsWith('jose') ? [null, null] : ['edgeward check() RS256 cold', null]);
    const spread = r.rates.length > 1 ? `±${((50 * (Math.max(...r.rates) - Math.min(...r.rates))) / r.rate).toFixed(0)}%` : '';
    lines.push(`| ${kind} | ${fmtRate(r.rate)} | ${fmtUs(1e6 / r.rate)} | ${spread} | ${kind.startsWith('jose') ? '' : ratio(r, ew)} | ${kind.startsWith('jose') ? '' : ratio(r, jo)} | ${r.wrong} |`);
  }
  return lines.join('\n');
}

function cacheCheck(stats) {
  // Cold instances must only miss; warm-on instances must hit; off instances must be disabled.
  const problems = [];
  const parts = [];
  for (const [alg, s] of Object.entries(stats)) {
    if (alg === 'signed') {
      // The cold instance misses on every JWT (bounded cache); signed credentials bypass it.
      if (s.cold.hits !== 0) problems.push(`signed cold: ${s.cold.hits} cache hits`);
      parts.push(`signed-route warm ${s.on.hits}/${s.on.misses}, cold ${s.cold.hits}/${s.cold.misses}`);
      continue;
    }
    if (s.cold.hits !== 0) problems.push(`${alg} cold: ${s.cold.hits} cache hits`);
    if (!(s.on.hits > 0)) problems.push(`${alg} warm cache on: no hits`);
    if (s.off.enabled !== false) problems.push(`${alg} warm cache off: cache enabled`);
    parts.push(`${alg} on ${s.on.hits}/${s.on.misses}, cold ${s.cold.hits}/${s.cold.misses}`);
  }
  return { ok: problems.length === 0, problems, text: `hits/misses: ${parts.join('; ')}` };
}

// ---------------------------------------------------------------- main
/**
 * The rows load the package installed in the test project (as a user gets it); the size table
 * reads wasm/npm/dist. If the installed .wasm is not the one just built, install the packed
 * tarball (a local file: no network), so both describe the same build.
 */
function freshPackage() {
  const installed = join(PKG, 'dist', 'edgeward_wasm_bg.wasm');
  const same = () => {
    try { return readFileSync(installed).equals(readFileSync(WASM)); } catch { return false; }
  };
  if (same()) return;
  log(`installing ${TARBALL} into ${TESTS} (the installed package is not the one in wasm/npm/dist)`);
  execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--silent', TARBALL],
    { cwd: TESTS, stdio: 'inherit', timeout: 120_000 });
  if (!same()) throw new Error('the packed tarball does not hold wasm/npm/dist: run make npm first');
}

async function main() {
  const started = performance.now();
  const opts = parseArgs(process.argv.slice(2));

  // Watchdog: a generous bound on the whole run (normal runs take well under half of it).
  const signedKinds = SIGNED_KINDS.filter((k) => opts.schemes.some((s) => SCHEME_KINDS[s].includes(k)));
  const rowCount = (opts.algs.length * KINDS.length + signedKinds.length) * opts.runtimes.length;
  const boundS = 120 + opts.instRuns * 5 + rowCount * (3 * opts.passes + 4) * (opts.ms / 1000) + (opts.tokens / 1000) * 20;
  const watchdog = setTimeout(() => {
    console.error(`watchdog: run exceeded ${boundS.toFixed(0)} s; stopping every child process`);
    killAllSync();
    process.exit(2);
  }, boundS * 1000);
  watchdog.unref();

  freshPackage();
  const jose = await import(pathToFileURL(join(JOSE_DIR, 'dist', 'webapi', 'index.js')).href);
  const sz = sizes();
  log(`instantiation: ${opts.instRuns} fresh node processes`);
  const inst = await instantiation(opts.instRuns);

  log(`keys and ${opts.tokens} tokens per algorithm (${opts.algs.join(', ')})`);
  const { spec, env } = await makeSpec(jose, opts.algs, opts.tokens);
  if (opts.schemes.length) {
    log(`signed URLs, signed cookies and session cookies: ${opts.tokens} distinct credentials each (${opts.schemes.join(', ')})`);
    const signed = await makeSignedSpec(jose, opts.schemes, opts.tokens);
    spec.signed = signed.spec;
    Object.assign(env, signed.env);
  }

  const runtimes = [];
  let workerdVersion = '';
  try {
    for (const name of opts.runtimes) {
      if (name === 'node') runtimes.push(await nodeRuntime(jose, spec, env));
      else {
        const v = await runChild(join(NM, '.bin', 'workerd'), ['--version'], { timeoutMs: 15000 });
        workerdVersion = v.stdout.trim() || v.stderr.trim();
        runtimes.push(await workerdRuntime(spec, env, opts.ms));
      }
    }
    const { rows, warmup } = await measure(runtimes, opts);
    const stats = {};
    for (const rt of runtimes) stats[rt.name] = cacheCheck(await rt.stats());
    const notes = Object.fromEntries(runtimes.map((rt) => [rt.name, rt.notes()]));
    const labels = Object.fromEntries(runtimes.map((rt) => [rt.name, rt.label]));
    for (const rt of runtimes) await rt.stop();
    runtimes.length = 0;
    report({ opts, rows, warmup, stats, notes, labels, sz, inst, workerdVersion, started });
  } finally {
    for (const rt of runtimes) {
      try { await rt.stop(); } catch (e) { log(`stopping ${rt.name}: ${e.message}`); }
    }
    clearTimeout(watchdog);
  }
}

function report({ opts, rows, warmup, stats, notes, labels, sz, inst, workerdVersion, started }) {
  const out = [];
  const cpu = cpus();
  out.push(`edgeward npm package vs jose ${sz.joseVersion}: ${opts.ms} ms windows x ${opts.passes} passes, medians; `
    + `${opts.tokens} distinct tokens per algorithm in cold rows (edgeward cold: cache on, ${COLD_CACHE_ENTRIES} entries, every lookup a miss)`);
  out.push(`machine: ${cpu.length} x ${cpu[0]?.model ?? '?'}; load average at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}; `
    + `Node ${process.version}${workerdVersion ? `; ${workerdVersion}` : ''}`);
  for (const rtName of opts.runtimes) {
    out.push('');
    out.push(`### ${labels[rtName]}`);
    out.push('');
    out.push(table(rows, rtName));
    out.push('');
    if (rows.some((r) => r.rt.name === rtName && r.alg === 'signed')) {
      out.push('Signed URLs, signed cookies and session cookies through check() (ratios: verifications/s over the anchor\'s; '
        + 'warm = one repeated credential, cache on; cold and signed rows = distinct credentials, every lookup a miss; '
        + 'jose rows are jwtVerify alone, no Request):');
      out.push('');
      out.push(signedTable(rows, rtName));
      out.push('');
    }
    out.push('- spread: half the range of verifications/s over the passes, relative to the median');
    for (const n of notes[rtName]) out.push(`- ${n}`);
    const c = stats[rtName];
    out.push(`- verified-token cache check: ${c.ok ? 'ok' : `PROBLEM: ${c.problems.join('; ')}`} (${c.text})`);
  }

  const wrongMeasured = rows.reduce((a, r) => a + r.wrong, 0);
  const nMeasured = rows.reduce((a, r) => a + r.n, 0);
  const wrongAll = wrongMeasured + warmup.count;
  const nAll = nMeasured + warmup.total;

  out.push('');
  out.push('### Size and start-up');
  out.push('');
  out.push('| item | raw | gzip -9 |');
  out.push('|---|---:|---:|');
  out.push(`| edgeward .wasm (dist/edgeward_wasm_bg.wasm) | ${kb(sz.wasmRaw)} | ${kb(sz.wasmGz)} |`);
  out.push(`| edgeward JS (edgeward.js + workers.js + wasm-bindgen glue) | ${kb(sz.glueRaw)} | ${kb(sz.glueGz)} |`);
  out.push(`| edgeward packed tarball (edgeward-0.1.0.tgz) | ${sz.tarball === null ? 'not packed' : kb(sz.tarball)} | (is gzip) |`);
  out.push(`| jose ${sz.joseVersion} dist/webapi, all ${sz.joseFiles} .js files (upper bound: no tree-shaking) | ${kb(sz.joseRaw)} | ${kb(sz.joseGz)} |`);
  out.push('');
  if (inst) {
    out.push(`| module start-up, median of ${inst.runs} fresh node processes | ms |`);
    out.push('|---|---:|');
    out.push(`| compile: new WebAssembly.Module(bytes) | ${inst.compile.toFixed(2)} |`);
    out.push(`| instantiate: initSync({module}) | ${inst.instantiate.toFixed(2)} |`);
    out.push(`| both (what node.js pays at import; range ${inst.min.toFixed(2)}-${inst.max.toFixed(2)}) | ${inst.both.toFixed(2)} |`);
    out.push(`| first call into the instance (reasons()) | ${inst.firstCall.toFixed(2)} |`);
  }

  // Goals.
  const goal = (ok) => (ok ? 'met' : 'NOT met');
  out.push('');
  out.push('### Goals');
  out.push('');
  out.push('| goal | measured | status |');
  out.push('|---|---|---|');
  for (const rtName of opts.runtimes) {
    const mine = rows.filter((r) => r.rt.name === rtName);
    const warm = mine.filter((r) => r.kind === 'edgeward warm cache on');
    if (warm.length) {
      out.push(`| ${rtName}: edgeward warm (cache on) ≥ jose warm, every algorithm | ${warm.map((r) => `${r.alg} ${r.ratio.toFixed(2)}x`).join(', ')} | ${goal(warm.every((r) => r.ratio >= 1))} |`);
    }
    const hs = mine.filter((r) => r.alg === 'HS256' && r.kind.startsWith('edgeward'));
    if (hs.length) {
      out.push(`| ${rtName}: HS256 edgeward ≥ jose, every row | ${hs.map((r) => `${r.kind.replace('edgeward ', '')} ${r.ratio.toFixed(2)}x`).join(', ')} | ${goal(hs.every((r) => r.ratio >= 1))} |`);
    }
  }
  if (inst) {
    out.push(`| instantiation (initSync) < 5 ms | ${inst.instantiate.toFixed(2)} ms (compile + instantiate ${inst.both.toFixed(2)} ms) | ${goal(inst.instantiate < 5)}${inst.both < 5 ? '' : ' (compile + instantiate: NOT under 5 ms)'} |`);
  }
  out.push(`| .wasm < 300 KB gzip | ${kb(sz.wasmGz)} | ${goal(sz.wasmGz < 300 * 1024)} |`);
  out.push(`| wrong verdicts = 0 | ${wrongAll} of ${nAll.toLocaleString('en-US')} verifications (${wrongMeasured} in the timed windows) | ${goal(wrongAll === 0)} |`);
  const behind = rows.filter((r) => r.alg !== 'HS256' && r.alg !== 'signed' && r.kind !== 'edgeward warm cache on' && r.kind.startsWith('edgeward') && r.ratio < 1);
  if (behind.length) {
    out.push('');
    out.push(`Behind jose where every call checks a signature in wasm (expected; pure-Rust bignum in wasm vs native WebCrypto): ${behind.map((r) => `${r.rt.name} ${r.alg} ${r.kind.replace('edgeward ', '')} ${r.ratio.toFixed(2)}x`).join(', ')}.`);
  }
  out.push('');
  out.push(`whole run: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  console.log(out.join('\n'));
  if (wrongAll !== 0 || Object.values(stats).some((s) => !s.ok)) process.exitCode = 1;
}

// ---------------------------------------------------------------- process hygiene
process.on('exit', killAllSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`${sig}: stopping child processes`);
    killAllSync();
    process.exit(130);
  });
}

main().catch(async (e) => {
  console.error(e?.stack ?? e);
  try { await stopAll(); } catch { /* killAllSync runs on exit anyway */ }
  process.exit(1);
});
