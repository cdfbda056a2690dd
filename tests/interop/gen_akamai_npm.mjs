// Add Akamai EdgeAuth tokens made by the npm signer `akamai-edgeauth` (0.2.0, the Node port of
// Akamai's reference signer) to a case file written by tests/vectors/cdn/gen_cdn.py.
// Keys are fresh random THROWAWAY TEST KEYS. Usage: node gen_akamai_npm.mjs CASES.json
// (run from tests/interop so that the package resolves). Case names start with "npm: ".
//
// One documented divergence between the two reference signers is pinned here: with escapeEarly,
// the npm port encodes with encodeURIComponent (space as %20, `~` as %7e) while the Python signer
// uses quote_plus (space as `+`, `~` kept). edgeward follows the Python signer, so such npm URL
// tokens fail as signature_invalid; inputs both encode alike (`/`, `:`) verify.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';

const require = createRequire(process.cwd() + '/');
const EdgeAuth = require('akamai-edgeauth');
const version = JSON.parse(readFileSync(require.resolve('akamai-edgeauth/package.json'), 'utf8')).version;

const out = process.argv[2];
if (!out) throw new Error('usage: node gen_akamai_npm.mjs CASES.json');
const doc = JSON.parse(readFileSync(out, 'utf8'));

const NOW = 1_800_000_000;
const EXP = NOW + 600;
const cases = [];

function cfgOf(algorithm = 'sha256', { salt = null, escapeEarly = false } = {}) {
  return { key: randomBytes(32).toString('hex'), algorithm, salt, field_delimiter: '~', acl_delimiter: '!',
    escape_early: escapeEarly };
}
function signer(cfg, opts = {}) {
  return new EdgeAuth({ key: cfg.key, algorithm: cfg.algorithm, salt: cfg.salt ?? undefined,
    escapeEarly: cfg.escape_early, endTime: EXP, ...opts });
}
function grant(g) {
  return { expires: EXP, start: null, ip: null, acl: null, url: null, id: null, data: null, ...g };
}
function add(name, cfg, token, path, expect, { clientIp = null, now = NOW, g } = {}) {
  const c = { name: 'npm: ' + name, now, token, path, client_ip: clientIp, expect, ...cfg };
  if (g) c.grant = g;
  cases.push(c);
}

for (const alg of ['sha256', 'sha1', 'md5']) {
  const cfg = cfgOf(alg);
  const t = signer(cfg, { ip: '198.51.100.4', startTime: NOW - 5, sessionId: 's-1', payload: 'p' })
    .generateACLToken(['/v/*', '/w/?.ts']);
  const g = grant({ start: NOW - 5, ip: '198.51.100.4', acl: ['/v/*', '/w/?.ts'], id: 's-1', data: 'p' });
  add(`acl ${alg}`, cfg, t, '/w/a.ts', 'ok', { clientIp: '198.51.100.4', g });
  add(`acl ${alg} outside`, cfg, t, '/w/ab.ts', 'scope_mismatch', { clientIp: '198.51.100.4' });
  add(`acl ${alg} other ip`, cfg, t, '/v/x', 'ip_mismatch', { clientIp: '198.51.100.5' });
  add(`acl ${alg} expired`, cfg, t, '/v/x', 'expired', { clientIp: '198.51.100.4', now: EXP });
  const u = signer(cfg).generateURLToken('/dl/file.bin');
  add(`url ${alg}`, cfg, u, '/dl/file.bin', 'ok', { g: grant({ url: '/dl/file.bin' }) });
  add(`url ${alg} other path`, cfg, u, '/dl/other.bin', 'signature_invalid');
}
{
  const cfg = cfgOf('md5', { salt: 'npm-salt' });
  const u = signer(cfg).generateURLToken('/s/a.mp4');
  add('url md5 salt', cfg, u, '/s/a.mp4', 'ok', { g: grant({ url: '/s/a.mp4' }) });
}
{
  const cfg = cfgOf('sha256', { escapeEarly: true });
  const path = '/e/a:b.mp4';
  const u = signer(cfg, { ip: '2001:db8::7', sessionId: 'x/y' }).generateURLToken(path);
  add('url escapeEarly, encoded alike by both signers', cfg, u, path, 'ok',
    { clientIp: '2001:db8::7', g: grant({ url: path, ip: '2001%3adb8%3a%3a7', id: 'x%2fy' }) });
  const spaced = '/e/a b.mp4';
  const v = signer(cfg).generateURLToken(spaced);
  add('url escapeEarly with a space (npm %20, Python quote_plus +: signers diverge)', cfg, v, spaced,
    'signature_invalid');
}

doc.akamai.push(...cases);
doc.signers.akamai_npm = `akamai-edgeauth ${version} (npm)`;
writeFileSync(out, JSON.stringify(doc, null, 1) + '\n');
console.log(`${out}: ${cases.length} npm akamai-edgeauth cases added`);
