// Compiled with `tsc --strict --noEmit` against the installed package's types: the README's
// examples must type-check, and misuse must not.
import {
  Edgeward, EdgewardError, REASONS, type Decision, type MintedSession, type ReasonCode, type KeyStore,
} from 'edgeward';

const store: KeyStore = {
  async get(provider: string) { return provider === 'idp' ? { jwks: '{"keys":[]}', fetchedAt: 0 } : null; },
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
  const decision: Decision = await ew.check(request, { clientAddress, waitUntil: (p) => void p });
  if (!decision.allow) return decision.toResponse() ?? new Response(null, { status: 500 });
  if (decision.provider === 'idp') {
    const minted: MintedSession = ew.mintSession(decision, { provider: 'session', clientAddress });
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
