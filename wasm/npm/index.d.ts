// Types for the edgeward npm package. The reason-code union is checked against the engine's own
// list by the package tests (wasm/tests/node/api.test.mjs).

/** Every stable rejection reason code. Codes are added, never renamed. */
export type ReasonCode =
  | 'token_missing'
  | 'token_ambiguous'
  | 'token_malformed'
  | 'token_too_large'
  | 'token_is_jwe'
  | 'alg_not_allowed'
  | 'crit_unsupported'
  | 'typ_not_allowed'
  | 'key_not_found'
  | 'kid_missing'
  | 'signature_invalid'
  | 'claims_malformed'
  | 'claim_invalid'
  | 'claim_missing'
  | 'claim_mismatch'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'token_issued_in_future'
  | 'token_lifetime_exceeded'
  | 'issuer_mismatch'
  | 'audience_mismatch'
  | 'subject_mismatch'
  | 'scope_insufficient'
  | 'token_binding_unsupported'
  | 'jwks_unavailable'
  | 'path_invalid'
  | 'config_invalid'
  | 'cookie_missing'
  | 'cookie_malformed'
  | 'cookie_expired'
  | 'cookie_not_yet_valid'
  | 'cookie_scope_mismatch'
  | 'cookie_ip_mismatch'
  | 'token_not_bound'
  | 'token_binding_mismatch'
  | 'dpop_proof_invalid'
  | 'dpop_nonce_required'
  | 'token_replayed'
  | 'token_revoked'
  | 'revocation_unavailable';

/** Every reason code with its HTTP status, from the engine. */
export declare const REASONS: ReadonlyArray<{ readonly code: ReasonCode; readonly status: number }>;

/** A JSON value as parsed from a verified token's payload. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** An error with a stable code (`config_invalid` for policy errors). */
export declare class EdgewardError extends Error {
  readonly name: 'EdgewardError';
  readonly code: ReasonCode;
  /** The claim the error is about (`exp`, `aud`, ...), when there is one. */
  readonly claim?: string;
  /** For `config_invalid`: the dotted path of the policy field at fault. */
  readonly field?: string;
}

/** The outcome of `verify` / `verifySync`. */
export interface VerifyResult {
  readonly valid: boolean;
  readonly reason: ReasonCode | null;
  /** A token-free detail, for logs. */
  readonly message: string | null;
  readonly claim: string | null;
  /** The provider that judged the token (null when none could be chosen). */
  readonly provider: string | null;
  /** The verified claims (only when valid). */
  readonly claims: { [key: string]: Json } | null;
  /** The rejection as an error object (null when valid). */
  readonly error: EdgewardError | null;
}

/** The request-level decision: the same verdict and edits the Envoy filter applies. */
export declare class Decision {
  readonly allow: boolean;
  /** 200 when allowed, else the denial status. */
  readonly status: number;
  /** Why it was denied (or, when allowed in report mode, why it would have been). */
  readonly reason: ReasonCode | null;
  readonly detail: string;
  /** Index of the rule that matched. */
  readonly rule: number | null;
  readonly provider: string | null;
  /** True when a report-mode rule let a would-be denial through. */
  readonly reported: boolean;
  /** Request headers to set when allowed (after removals). */
  readonly setHeaders: ReadonlyArray<readonly [string, string]>;
  /** Request headers to remove on every path (spoofed outputs, consumed tokens). */
  readonly removeHeaders: ReadonlyArray<string>;
  /** Response headers of a denial: `cache-control`, one `www-authenticate` per challenge
   * (`Bearer`, and `DPoP` with `algs` and `error="invalid_dpop_proof"` / `"use_dpop_nonce"`
   * on DPoP routes: both when Bearer is also accepted), and `dpop-nonce` with a fresh server
   * nonce when the proof must carry one (`dpop_nonce_required`). `toResponse()` sends them all. */
  readonly responseHeaders: ReadonlyArray<readonly [string, string]>;
  /** Response body of a denial: the reason code. */
  readonly body: string;
  /** Output headers left unset because the claim could not be carried safely. */
  readonly droppedHeaders: ReadonlyArray<string>;
  /** A short SHA-256 fingerprint of the judged token, for logs. Never the token. */
  readonly fingerprint: string | null;
  /** The normalised path and query that were judged (what to send upstream). */
  readonly path: string | null;
  readonly claims: { [key: string]: Json } | null;
  /** The denial as a Response; null when allowed. */
  toResponse(): Response | null;
  /** The request headers with the edits applied. */
  applyHeaders(headers: HeadersInit): Headers;
  /** The request to send upstream: judged path on `origin`, edits applied. Throws if denied. */
  upstreamRequest(request: Request, origin?: string | URL): Request;
}

/** A stored copy of a fetched key set (Workers KV, Cache API, ...), under the provider's name. */
export interface KeyStoreRecord {
  /** The JWK set as fetched (JSON text). */
  jwks: string;
  /** When it was fetched, Unix seconds: `max_stale_seconds` counts from here. */
  fetchedAt: number;
}

/** A stored copy of the fetched revocation bundle, under `REVOCATION_STORE_KEY`. It is verified
 * again when installed; one older than `max_stale_seconds` is refused and fetched instead. */
export interface RevocationStoreRecord {
  /** The signed bundle as fetched (compact JWS text). */
  bundle: string;
  /** When it was fetched, Unix seconds. */
  fetchedAt: number;
}

/** The key-store key of the revocation bundle (`'edgeward:revocation'`). */
export declare const REVOCATION_STORE_KEY: 'edgeward:revocation';

/** Where fetched key sets (by provider name) and the revocation bundle (by
 * `REVOCATION_STORE_KEY`) are kept so a fresh isolate starts warm. */
export interface KeyStore {
  get(key: string): Promise<KeyStoreRecord | RevocationStoreRecord | null | undefined>;
  put(key: string, record: KeyStoreRecord | RevocationStoreRecord): Promise<void>;
}

/** What happened in the background, for logs and metrics. Never carries a token. */
export type EdgewardEvent =
  | { type: 'jwks_fetch'; provider: string; ok: boolean; error?: string }
  | { type: 'revocation_fetch'; provider: null; ok: boolean; error?: string }
  | { type: 'keys_from_store'; provider: string; fetchedAt: number }
  | { type: 'revocations_from_store'; fetchedAt: number }
  | { type: 'key_store_error'; provider: string; error: string };

export interface EdgewardOptions {
  /** Strings that `secrets_from_env` entries resolve against (a Worker's `env`). */
  env?: Record<string, unknown>;
  /** The fetch used for remote key sets and the revocation bundle (default: global fetch). */
  fetch?: typeof fetch;
  keyStore?: KeyStore;
  /** The clock, Unix seconds (default: Date.now). */
  clock?: () => number;
  onEvent?: (event: EdgewardEvent) => void;
}

export interface VerifyOptions {
  /** Unix seconds (default: the clock). */
  now?: number;
  /** Judge with this provider (default: routed by the token's `iss`, or the only one). */
  provider?: string;
  waitUntil?: (promise: Promise<unknown>) => void;
}

export interface CheckOptions {
  now?: number;
  /** The TCP peer's address as this host knows it (`1.2.3.4`, `1.2.3.4:5678`, `[::1]:80`):
   * what IP-bound credentials are judged by. Forwarded headers (`X-Forwarded-For`, `Forwarded`,
   * `CF-Connecting-IP`) are read only when it is in the policy's `trusted_proxies`. Omitted: the
   * client is unknown, and IP-bound credentials fail with `cookie_ip_mismatch`. */
  clientAddress?: string;
  /** SHA-256 of the client certificate on this connection (hex), for certificate-bound tokens
   * (RFC 8705). On Cloudflare with mTLS: `request.cf.tlsClientAuth.certFingerprintSHA256` when
   * `certVerified` is `"SUCCESS"`. */
  peerCertificate?: string;
  /** The host's route name, for rules with `match.route`. */
  route?: string;
  /** A Worker's `ctx.waitUntil`, so background key refreshes outlive the request. */
  waitUntil?: (promise: Promise<unknown>) => void;
}

/** One remote source's state: a provider's key set, or the revocation list. */
export interface KeySetStatus {
  readonly kind: 'jwks' | 'revocation';
  /** The provider (null for the revocation list). */
  readonly provider: string | null;
  readonly loaded: boolean;
  readonly available: boolean;
  readonly serve: 'fresh' | 'stale' | 'unavailable';
  readonly ageSeconds: number | null;
  readonly failures: number;
  readonly fetching: number;
  /** The revocation list: the held bundle's `seq` (null before one is installed, and for key sets). */
  readonly seq: number | null;
}

export interface CacheStats {
  readonly enabled: boolean;
  readonly entries: number;
  readonly bytes: number;
  readonly hits: number;
  readonly misses: number;
}

export interface MintOptions {
  /** The `session_cookie` provider. */
  readonly provider: string;
  /** The client's address; required when the provider binds cookies to it. */
  readonly clientAddress?: string;
  /** Unix seconds (default: the clock). */
  readonly now?: number;
}

export interface MintedSession {
  /** The whole `Set-Cookie` header value. */
  readonly setCookie: string;
  /** The cookie's value (a compact JWS). */
  readonly value: string;
  /** Its expiry, Unix seconds. */
  readonly expires: number;
}

/** A verifier over one policy (the same JSON the CLI and the Envoy filter read). */
export declare class Edgeward {
  private constructor();
  /** Compiles a policy; throws `EdgewardError` (`config_invalid`, with `field`). */
  static fromPolicy(policy: object | string, options?: EdgewardOptions): Edgeward;
  readonly providers: string[];
  verifySync(token: string, options?: VerifyOptions): VerifyResult;
  verify(token: string, options?: VerifyOptions): Promise<VerifyResult>;
  check(request: Request, options?: CheckOptions): Promise<Decision>;
  /** Mints a session cookie with a `session_cookie` provider from an accepted token's claims
   * (or a `Decision` that accepted one). Throws `EdgewardError`. */
  mintSession(claims: object | Decision, options: MintOptions): MintedSession;
  /** The session provider whose cookie this allowed decision earns (the policy pairs it with
   * the accepting provider in a rule's `requires_any`), or null. */
  sessionFor(decision: Decision): string | null;
  setKeys(provider: string, jwks: object | string, options?: { fetchedAt?: number }): void;
  refresh(): Promise<void>;
  status(): KeySetStatus[];
  cacheStats(): CacheStats;
}
