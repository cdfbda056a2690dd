// edgeward in front of an origin, as a Cloudflare Worker (ES module syntax).
//
// Every request is decided by the edgeward engine with the policy in `env.POLICY` (the same
// JSON file Envoy and the CLI read). A denial is answered here; an allowed request goes to
// `env.ORIGIN` with the path edgeward judged and its header edits applied (claims set, spoofed
// output headers and consumed tokens removed).
//
// Bindings: POLICY (JSON text, or an object), ORIGIN (e.g. "https://origin.example.com"),
// optional JWKS_KV (a KV namespace holding the last fetched key sets), and any secrets the
// policy names (`secrets_from_env`, `signed.keys[].secret_from_env`, `signed.salt_from_env`,
// `dpop_proof.nonce_secret_from_env`).
//
// Session cookies (opt-in, by the policy): on a rule whose `requires_any` lists a
// `session_cookie` provider beside a `jwt` provider, a request that the `jwt` provider's token
// allowed (the expensive public-key check) gets a session cookie minted by that session
// provider (`Set-Cookie` on the answer), so the client's next requests cost one HMAC. A policy
// without such a rule never mints.
import { Edgeward } from 'edgeward';

// One verifier per isolate: the policy is compiled once, and fetched key sets and the
// verified-token cache live as long as the isolate does.
let guard = null;

function kvKeyStore(kv) {
  return {
    get: (provider) => kv.get(`edgeward:jwks:${provider}`, 'json'),
    put: (provider, record) => kv.put(`edgeward:jwks:${provider}`, JSON.stringify(record)),
  };
}

function verifier(env) {
  if (guard === null) {
    guard = Edgeward.fromPolicy(env.POLICY, {
      env, // string vars and secrets, for `secrets_from_env`
      keyStore: env.JWKS_KV ? kvKeyStore(env.JWKS_KV) : undefined,
    });
  }
  return guard;
}

/**
 * The `Set-Cookie` value of a session cookie to hand out with this allowed decision, or null:
 * only when a `jwt` provider's token allowed it on a rule that pairs that provider with a
 * session provider (the engine's `sessionFor`), never when a session cookie (or nothing, or a report-mode
 * pass) allowed it. Minting can still refuse (no `sub`, the token's `exp` too close, a session
 * provider with `bind_client_ip` and no known client address, `bind_dpop_key` and a token
 * without `cnf.jkt`): the request stays allowed, without a cookie, and the reason is logged.
 */
function mintedCookie(ew, decision, address) {
  const session = ew.sessionFor(decision);
  if (session === null) return null;
  try {
    return ew.mintSession(decision, { provider: session, clientAddress: address }).setCookie;
  } catch (e) {
    console.error(`edgeward: no ${session} cookie minted: ${e.code ?? e.message}`);
    return null;
  }
}

/**
 * The client's address, for credentials bound to it (signed cookies with an IP, session
 * cookies with `bind_client_ip`), or undefined when this runtime cannot vouch for one:
 * - Cloudflare: `request.cf` (with `colo`) is present and CF-Connecting-IP is set by
 *   Cloudflare's edge, which overwrites a client's own value.
 * - Self-hosted workerd: `request.cf.clientIp` is the TCP peer (workerd fills it in when no
 *   `cfBlobHeader` is configured); a CF-Connecting-IP header there is whatever the client sent.
 * - Anywhere else: unknown. Bound credentials are then refused (`cookie_ip_mismatch`) rather
 *   than judged by a header a client can write. Behind your own proxies, list them in the
 *   policy's `trusted_proxies` and X-Forwarded-For / Forwarded are read from them only.
 */
function clientAddress(request) {
  const cf = request.cf;
  if (typeof cf?.clientIp === 'string') return cf.clientIp;
  if (typeof cf?.colo === 'string') return request.headers.get('cf-connecting-ip') ?? undefined;
  return undefined;
}

/**
 * The SHA-256 (hex) of the client certificate, for certificate-bound tokens (RFC 8705,
 * `certificate_bound` providers), or undefined. On Cloudflare with mTLS enabled for the
 * hostname, `request.cf.tlsClientAuth` describes the certificate the client presented; only one
 * that Cloudflare verified counts (`certVerified` is "SUCCESS"; "NONE" when none was presented,
 * "FAILED:<reason>" otherwise). Elsewhere (no `tlsClientAuth`) there is none, and bound tokens are
 * refused (`token_binding_mismatch`).
 */
function peerCertificate(request) {
  return request.cf?.tlsClientAuth?.certVerified === 'SUCCESS'
    ? request.cf.tlsClientAuth.certFingerprintSHA256
    : undefined;
}

export default {
  async fetch(request, env, ctx) {
    let ew;
    try {
      ew = verifier(env);
    } catch (e) {
      // A policy that does not load fails closed, on every request, until it is fixed.
      console.error(`edgeward: ${e.message}`);
      return new Response('config_invalid', {
        status: 500,
        headers: { 'cache-control': 'no-store', 'content-type': 'text/plain' },
      });
    }

    const address = clientAddress(request);
    const decision = await ew.check(request, {
      clientAddress: address,
      peerCertificate: peerCertificate(request),
      waitUntil: (p) => ctx.waitUntil(p),
    });
    if (!decision.allow) return decision.toResponse();

    // A request that carried a credential gets an answer for one identity only: never serve
    // it from, or store it in, a cache keyed by URL.
    const credentialed = decision.provider !== null || request.headers.has('authorization');
    const upstream = decision.upstreamRequest(request, env.ORIGIN);
    const response = await fetch(upstream, credentialed ? { cache: 'no-store' } : undefined);
    if (!credentialed) return response;

    const out = new Response(response.body, response);
    out.headers.set('cache-control', 'private, no-store');
    // Appended: the origin's own Set-Cookie headers are kept.
    const setCookie = mintedCookie(ew, decision, address);
    if (setCookie !== null) out.headers.append('set-cookie', setCookie);
    return out;
  },
};
