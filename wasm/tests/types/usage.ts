// Compiled with `tsc --strict --noEmit` against the installed package's types: the README's
// examples must type-check, and misuse must not.
import {
  Edgeward, EdgewardError, REASONS, REVOCATION_STORE_KEY, type Decision, type MintedSession, type ReasonCode, type KeyStore,
} from 'edgeward';

const store: KeyStore = {
  async get(key: string) {
    if (key === REVOCATION_STORE_KEY) return { bundle: 'a.b.c', fetchedAt: 0 };
    return key === 'idp' ? { jwks: '{"keys":[]}', fetchedAt: 0 } : null;
  },
  async put(_provider, _record) { /* KV.put */ },
};

export async function handle(request: Request, env: { POLICY: string }): Promise<Response> {
  const ew = Edgeward.fromPolicy(env.POLICY, { env, keyStore: store, onEvent: (e) => console.log(e.type) });
  const result = await ew.verify('token', { now: 1_700_000_000, provider: 'idp' });
  if (!result.valid) {
    const code: ReasonCode | null = result.reason;
    const err: EdgewardError | null = result.error;
    console.log(code, err?.claim, result.claim);
  }
  const clientAddress = request.headers.get('cf-connecting-ip') ?? undefined;
  const tls = (request as { cf?: { tlsClientAuth?: { certVerified: string; certFingerprintSHA256: string } } }).cf?.tlsClientAuth;
  const peerCertificate = tls?.certVerified === 'SUCCESS' ? tls.certFingerprintSHA256 : undefined;
  const decision: Decision = await ew.check(request, { clientAddress, peerCertificate, waitUntil: (p) => void p });
  const nonce: string | undefined = decision.responseHeaders.find(([n]) => n === 'dpop-nonce')?.[1];
  const revoked: ReasonCode[] = ['token_revoked', 'revocation_unavailable', 'dpop_nonce_required', 'token_replayed'];
  const lists = ew.status().filter((s) => s.kind === 'revocation').map((s) => s.seq);
  console.log(nonce, revoked, lists);
  if (!decision.allow) return decision.toResponse() ?? new Response(null, { status: 500 });
  const earned: string | null = ew.sessionFor(decision);
  if (earned !== null) {
    const minted: MintedSession = ew.mintSession(decision, { provider: earned, clientAddress });
    const expires: number = minted.expires;
    console.log(minted.setCookie, minted.value, expires);
    // @ts-expect-error: the session provider must be named
    ew.mintSession(decision.claims ?? {}, {});
  }
  const cookieCode: ReasonCode = 'cookie_ip_mismatch';
  console.log(cookieCode);
  const statuses: number[] = REASONS.map((r) => r.status);
  console.log(statuses, ew.cacheStats().hits, ew.status().map((s) => s.serve));
  // @ts-expect-error: reason codes are a closed union
  const wrong: ReasonCode = 'token_bad';
  console.log(wrong);
  return fetch(decision.upstreamRequest(request, 'https://origin.example'));
}
