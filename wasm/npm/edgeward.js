// edgeward: the JS face of the wasm engine. Shared by every entry point (node.js, workers.js),
// which instantiate the module their runtime's way and hand the bindings over.
//
// The engine (Rust, compiled to wasm) makes every decision: policy, verdict, header edits,
// verified-token cache, each remote key set's lifecycle. This file is the host: the clock,
// fetch, the optional key store, and Request/Response objects. Remote sources are each
// provider's key set and the policy's signed revocation list, run by the same machinery. It never shares a promise
// between requests (a Worker cannot await I/O another request started): fetches are
// deduplicated within one call only, and other calls serve the keys they find, start a bounded
// fetch of their own, or watch the engine's state on a timer.

let bindings = null;

/** @internal Called once by the entry point with the initialised wasm-bindgen module. */
export function setBindings(b) {
  bindings = b;
}

function wasm() {
  if (bindings === null) {
    throw new EdgewardError('config_invalid', 'edgeward: the wasm module is not initialised');
  }
  return bindings;
}

/** Every reason code and its HTTP status, from the engine itself. */
export function reasonTable() {
  return JSON.parse(wasm().reasons()).map(([code, status]) => ({ code, status }));
}

/** An edgeward error: a stable reason code, a message, and the claim it is about (if any). */
export class EdgewardError extends Error {
  constructor(code, message, claim) {
    super(message ? `${code}: ${message}` : code);
    this.name = 'EdgewardError';
    this.code = code;
    if (claim !== undefined && claim !== null) this.claim = claim;
  }
}

/** The key-store key of the revocation bundle (provider key sets are stored by provider name). */
export const REVOCATION_STORE_KEY = 'edgeward:revocation';
const ENC = new TextEncoder();
const nowSeconds = () => Math.floor(Date.now() / 1000);

function configError(e) {
  if (typeof e === 'string') {
    try {
      const j = JSON.parse(e);
      const err = new EdgewardError('config_invalid', j.field ? `${j.field}: ${j.message}` : j.message);
      err.field = j.field;
      return err;
    } catch {
      return new EdgewardError('config_invalid', e);
    }
  }
  return e;
}

/** The env strings the policy names (`secrets_from_env[].env`, `signed.keys[].secret_from_env`,
 * `signed.salt_from_env`), as JSON. Only those: the engine caps the map it reads (64 KiB), and
 * a Worker's env holds other vars too, such as the policy itself. */
function secretsFor(policy, env) {
  let doc = policy;
  if (typeof policy === 'string') {
    try {
      doc = JSON.parse(policy);
    } catch {
      return '{}'; // the engine reports what is wrong with the policy
    }
  }
  const out = {};
  for (const p of Object.values(doc?.providers ?? {})) {
    const names = [];
    for (const s of Array.isArray(p?.secrets_from_env) ? p.secrets_from_env : []) names.push(s?.env);
    for (const k of Array.isArray(p?.signed?.keys) ? p.signed.keys : []) names.push(k?.secret_from_env);
    names.push(p?.signed?.salt_from_env);
    names.push(p?.dpop_proof?.nonce_secret_from_env);
    for (const n of names) {
      if (typeof n === 'string' && typeof env[n] === 'string') out[n] = env[n];
    }
  }
  return JSON.stringify(out);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The body, or null when it is over `max` bytes (the engine's cap for the job: 256 KiB for a
 * key set, 16 MiB for a revocation bundle), read no further than that. */
async function readCapped(res, max) {
  const len = Number(res.headers.get('content-length'));
  if (Number.isFinite(len) && len > max) {
    try { await res.body?.cancel(); } catch { /* already closed */ }
    return null;
  }
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const parts = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      try { await reader.cancel(); } catch { /* already closed */ }
      return null;
    }
    parts.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** The result of `verify`: `{ valid, reason, message, claim, provider, claims, error }`. */
function verifyResult(raw) {
  const r = JSON.parse(raw);
  r.error = r.valid ? null : new EdgewardError(r.reason, r.message, r.claim);
  return r;
}

/** The engine's request decision, with the helpers that carry it out. */
export class Decision {
  constructor(d) {
    Object.assign(this, d);
  }

  /** The denial as a `Response` (status, `WWW-Authenticate`, `Cache-Control: no-store`, the
   * reason code as body). For an allowed request this is `null`. */
  toResponse() {
    if (this.allow) return null;
    return new Response(this.body, { status: this.status, headers: this.responseHeaders });
  }

  /** The request headers with the decision's edits applied: removals first, then sets.
   * Removals apply on every path (spoofed copies of output headers, consumed tokens). */
  applyHeaders(headers) {
    const out = new Headers(headers);
    for (const name of this.removeHeaders) out.delete(name);
    if (this.allow) for (const [name, value] of this.setHeaders) out.set(name, value);
    return out;
  }

  /** The request to send upstream: same method and body, the judged (normalised) path and
   * query on `origin` (default: the request's own), and the header edits applied. */
  upstreamRequest(request, origin) {
    if (!this.allow) throw new EdgewardError(this.reason ?? 'config_invalid', 'request was denied');
    const base = new URL(origin ?? request.url);
    const url = new URL(this.path ?? '/', base.origin);
    return new Request(url, {
      method: request.method,
      headers: this.applyHeaders(request.headers),
      body: request.body,
      redirect: 'manual',
      ...(request.body ? { duplex: 'half' } : {}),
    });
  }
}

/** An edgeward verifier over one policy. Create it once per isolate (module scope is fine:
 * nothing is fetched until a request needs keys). */
export class Edgeward {
  #engine;
  #fetch;
  #keyStore;
  #clock;
  #onEvent;
  #remote;
  #storeTried = new Set();
  #storeDone = false;

  constructor(engine, options) {
    this.#engine = engine;
    this.#fetch = options.fetch ?? ((...a) => globalThis.fetch(...a));
    this.#keyStore = options.keyStore ?? null;
    this.#clock = options.clock ?? nowSeconds;
    this.#onEvent = options.onEvent ?? null;
    this.#remote = JSON.parse(engine.status(this.#clock())).length > 0;
  }

  /**
   * Compiles a policy (an object or its JSON text; the same file the CLI and Envoy read).
   * Options: `env` (strings for `secrets_from_env`), `fetch`, `keyStore` ({get, put}),
   * `clock` (() => Unix seconds), `onEvent` (fetch outcomes, for logs and metrics).
   * Throws `EdgewardError` with code `config_invalid` naming the field.
   */
  static fromPolicy(policy, options = {}) {
    const json = typeof policy === 'string' ? policy : JSON.stringify(policy);
    let engine;
    try {
      engine = new (wasm().Engine)(json, options.env ? secretsFor(policy, options.env) : undefined);
    } catch (e) {
      throw configError(e);
    }
    return new Edgeward(engine, options);
  }

  /** Provider names, in policy order. */
  get providers() {
    return JSON.parse(this.#engine.providers()).names;
  }

  /** Verifies a token with the keys at hand (no fetching). */
  verifySync(token, options = {}) {
    const now = options.now ?? this.#clock();
    return verifyResult(this.#engine.verify(String(token), now, options.provider ?? undefined));
  }

  /**
   * Mints an edgeward session cookie with session provider `options.provider` from the claims
   * of an accepted identity-provider token (`claims`, or a `Decision` that allowed one), so
   * later requests cost one HMAC. Returns `{ setCookie, value, expires }`: `setCookie` is the
   * whole `Set-Cookie` value (`__Host-` name, `Secure`, `HttpOnly`, `SameSite`, `Max-Age`).
   * `options.clientAddress` is required when the provider binds cookies to the client.
   * Throws `EdgewardError` (`config_invalid`, `claim_missing`, `cookie_ip_mismatch`, ...).
   */
  mintSession(claims, options = {}) {
    const source = claims instanceof Decision ? claims.claims : claims;
    if (source == null || typeof source !== 'object') {
      throw new EdgewardError('claims_malformed', 'no claims to mint a session from');
    }
    const r = JSON.parse(
      this.#engine.mintSession(
        String(options.provider ?? ''),
        JSON.stringify(source),
        options.now ?? this.#clock(),
        options.clientAddress ?? undefined,
      ),
    );
    if (r.error) throw new EdgewardError(r.error, r.message);
    return r;
  }

  /**
   * The session provider whose cookie this allowed `Decision` earns, or null: the policy's
   * rule pairs it with the accepting `jwt` provider in a `requires_any`
   * (`requires_any: [session, idp]`). Null for a denial, a report-mode pass, or a request a
   * session cookie (or nothing) allowed. Pass the name to `mintSession`.
   */
  sessionFor(decision) {
    if (!(decision instanceof Decision) || !decision.allow || decision.reported) return null;
    if (decision.rule == null || decision.provider == null || decision.claims == null) return null;
    return this.#engine.sessionFor(decision.rule, decision.provider) ?? null;
  }

  /** Verifies a token, loading remote keys first when a provider has none yet. */
  async verify(token, options = {}) {
    await this.#keys(options.waitUntil);
    return this.verifySync(token, options);
  }

  /** Decides a `Request` with the policy's rules: `Decision` with `allow`, `status`, `reason`,
   * header edits, `claims`, `toResponse()` and `upstreamRequest()`. Pass `{waitUntil}` (a
   * Worker's `ctx.waitUntil`) so background key refreshes outlive the request. */
  async check(request, options = {}) {
    await this.#keys(options.waitUntil);
    const url = new URL(request.url);
    const flat = [];
    for (const [name, value] of request.headers) {
      if (name === 'cookie') {
        // Fetch joins repeated Cookie fields with ", " (comma and space, which RFC 6265's
        // cookie-octet excludes): hand the core each field, as a proxy does, so a token in a
        // second Cookie field is judged, not hidden inside another cookie's value and
        // forwarded. A bare comma stays: Akamai's signer leaves them in `data=` and `id=`.
        for (const field of value.split(', ')) if (field.trim()) flat.push(name, field.trim());
      } else {
        flat.push(name, value);
      }
    }
    const raw = this.#engine.decide(
      request.method,
      url.pathname + url.search,
      flat.join('\0'),
      options.now ?? this.#clock(),
      options.clientAddress ?? undefined,
      options.peerCertificate ?? undefined,
      options.route ?? undefined,
    );
    return new Decision(JSON.parse(raw));
  }

  /** Installs a JWK set for a provider now (public keys only). */
  setKeys(provider, jwks, options = {}) {
    const text = typeof jwks === 'string' ? jwks : JSON.stringify(jwks);
    const now = this.#clock();
    try {
      this.#engine.installKeys(provider, ENC.encode(text), options.fetchedAt ?? now, now);
    } catch (e) {
      throw configError(e);
    }
  }

  /** Runs every fetch that is due now and waits for them. */
  async refresh() {
    const jobs = JSON.parse(this.#engine.poll(this.#clock()));
    await Promise.allSettled(jobs.map((j) => this.#run(j)));
  }

  /** Per remote source (each provider's key set, then the revocation list): `{kind, provider,
   * loaded, available, serve, ageSeconds, failures, fetching, seq}`. */
  status() {
    return JSON.parse(this.#engine.status(this.#clock()));
  }

  /** The verified-token cache's counters. */
  cacheStats() {
    return JSON.parse(this.#engine.cacheStats());
  }

  #event(e) {
    if (this.#onEvent) {
      try { this.#onEvent(e); } catch { /* a logging hook never breaks a request */ }
    }
  }

  async #warmFromStore() {
    // Each source is looked up once per isolate; after that this costs nothing per request.
    if (!this.#keyStore || this.#storeDone) return;
    for (const s of this.status()) {
      const key = s.kind === 'revocation' ? REVOCATION_STORE_KEY : s.provider;
      if (s.loaded || this.#storeTried.has(key)) continue;
      this.#storeTried.add(key);
      try {
        const rec = await this.#keyStore.get(key);
        if (!rec || !Number.isFinite(rec.fetchedAt)) continue;
        const now = this.#clock();
        if (s.kind === 'revocation' && typeof rec.bundle === 'string') {
          // Verified like a fetched bundle; one older than max_stale (or than the list held)
          // is refused and the list is fetched instead.
          this.#engine.installRevocations(ENC.encode(rec.bundle), rec.fetchedAt, now);
          this.#event({ type: 'revocations_from_store', fetchedAt: rec.fetchedAt });
        } else if (s.kind !== 'revocation' && typeof rec.jwks === 'string') {
          this.#engine.installKeys(s.provider, ENC.encode(rec.jwks), rec.fetchedAt, now);
          this.#event({ type: 'keys_from_store', provider: s.provider, fetchedAt: rec.fetchedAt });
        }
      } catch (e) {
        const error = String(configError(e)?.message ?? e);
        this.#event({ type: 'key_store_error', provider: s.provider ?? REVOCATION_STORE_KEY, error });
      }
    }
    this.#storeDone = true;
  }

  async #keys(waitUntil) {
    if (!this.#remote) return;
    await this.#warmFromStore();
    const jobs = JSON.parse(this.#engine.poll(this.#clock()));
    const runs = jobs.map((j) => this.#run(j));
    if (this.#engine.unavailable(this.#clock()) === 0) {
      // Keys at hand (fresh or stale): refresh in the background, answer now.
      if (runs.length > 0) {
        const all = Promise.allSettled(runs);
        if (waitUntil) waitUntil(all);
      }
      return;
    }
    // No usable set (or revocation list) for some source: this call may start a bounded
    // fetch of its own rather than wait on one another request owns.
    const own = new Set(jobs.map((j) => j.remote));
    this.status().forEach((s, i) => {
      if (s.available || own.has(i)) return;
      const job = JSON.parse(this.#engine.coldJob(i));
      if (job) runs.push(this.#run(job));
    });
    await Promise.allSettled(runs);
    if (!this.status().some((s) => !s.available && s.fetching > 0)) return;
    // Others' fetches are still running: watch the engine (not their promises) for a while.
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      await sleep(20);
      if (!this.status().some((s) => !s.available && s.fetching > 0)) return;
    }
  }

  async #run(job) {
    const revocation = job.kind === 'revocation';
    const type = revocation ? 'revocation_fetch' : 'jwks_fetch';
    const accept = revocation ? 'application/jwt, application/jose' : 'application/json, application/jwk-set+json';
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), job.timeoutMs);
    try {
      let current = job;
      for (;;) {
        let res;
        try {
          res = await this.#fetch(current.url, {
            method: 'GET',
            headers: { accept },
            redirect: 'manual',
            signal: ctrl.signal,
          });
        } catch (e) {
          const r = JSON.parse(this.#engine.fetchFailed(current.id, String(e?.name ?? e), this.#clock()));
          this.#event({ type, provider: current.provider, ok: false, error: r.error });
          return;
        }
        let body;
        try {
          body = await readCapped(res, current.maxBytes);
        } catch (e) {
          const r = JSON.parse(this.#engine.fetchFailed(current.id, String(e?.name ?? e), this.#clock()));
          this.#event({ type, provider: current.provider, ok: false, error: r.error });
          return;
        }
        const status = body === null ? 413 : res.status;
        const r = JSON.parse(this.#engine.fetched(current.id, status, body ?? new Uint8Array(0), this.#clock()));
        if (r.next) {
          current = r.next; // OIDC discovery named the set: one more hop, same deadline
          continue;
        }
        if (r.ignored) return;
        this.#event({ type, provider: current.provider, ok: r.ok, error: r.error });
        if (r.ok && this.#keyStore) {
          const text = new TextDecoder().decode(body);
          const fetchedAt = this.#clock();
          try {
            if (revocation) await this.#keyStore.put(REVOCATION_STORE_KEY, { bundle: text, fetchedAt });
            else await this.#keyStore.put(current.provider, { jwks: text, fetchedAt });
          } catch (e) {
            this.#event({ type: 'key_store_error', provider: current.provider ?? REVOCATION_STORE_KEY, error: String(e?.message ?? e) });
          }
        }
        return;
      }
    } finally {
      clearTimeout(timer);
    }
  }
}
