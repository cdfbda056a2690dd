// Runs wasm/examples/worker/worker.js, unchanged, in real workerd on 127.0.0.1.
//
// A temp dir gets a copy of the worker, the installed npm package's files and a generated
// capnp config. workerd resolves an import against the importing module's name, as a path:
// the worker's bare `import 'edgeward'` finds the module named "edgeward" (the package's
// workers.js entry), whose `./edgeward.js` and `./dist/...` imports find the modules named
// "edgeward.js" and "dist/..." (the .wasm as a `wasm` module: a compiled WebAssembly.Module,
// as Cloudflare hands it over). The socket listens on port 0; workerd reports the real port on
// its control fd.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TESTS = fileURLToPath(new URL('..', import.meta.url));
export const WORKER_JS = fileURLToPath(new URL('../../examples/worker/worker.js', import.meta.url));
const PKG = join(TESTS, 'node_modules', 'edgeward');
const WORKERD = join(TESTS, 'node_modules', '.bin', 'workerd');

// Should this process die without its `after` hooks (an uncaught error), no workerd outlives it.
const live = new Map(); // pid -> temp dir
process.on('exit', () => {
  for (const [pid, dir] of live) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    rmSync(dir, { recursive: true, force: true });
  }
});

// [module name, file in the package, capnp module kind]
const PACKAGE_MODULES = [
  ['edgeward', 'workers.js', 'esModule'],
  ['edgeward.js', 'edgeward.js', 'esModule'],
  ['dist/edgeward_wasm.js', 'dist/edgeward_wasm.js', 'esModule'],
  ['dist/edgeward_wasm_bg.wasm', 'dist/edgeward_wasm_bg.wasm', 'wasm'],
];

/**
 * Cloudflare's edge in front of the worker, for a client at `peer`, as workerd can model it:
 * the socket sets `CF-Connecting-IP: <peer>`, replacing any the client sent
 * (workerd.capnp HttpOptions.injectRequestHeaders: "Any existing header with the same name is
 * removed"), and a one-line "edge" worker hands the request to the worker under test through
 * a service binding with a `cf` object, so `request.cf` is present there as on Cloudflare.
 * (A socket's `cfBlobHeader` would parse `cf` only from a header the client sends, and it is
 * read before injected headers are added.) Returns {socketHttp, service, module}.
 */
export function cloudflareEdge(peer) {
  return {
    socketHttp: `(injectRequestHeaders = [(name = "cf-connecting-ip", value = ${JSON.stringify(peer)})])`,
    service: '(name = "edge", worker = (modules = [(name = "edge.js", esModule = embed "edge.js")], ' +
      'compatibilityDate = "2025-01-01", bindings = [(name = "WORKER", service = "main")]))',
    module: "export default { fetch: (request, env) => env.WORKER.fetch(request, { cf: { colo: 'TEST' } }) };\n",
  };
}

/**
 * Starts workerd. `policy` is an object; `policyAs` 'text' (default) or 'json' (an object
 * binding); `origin` the ORIGIN var; `vars` more text bindings; `kvAddress` ("127.0.0.1:port"
 * of a KV-protocol HTTP server) adds the JWKS_KV binding; `cloudflarePeer` (an address) puts
 * Cloudflare's edge in front for a client there (`cloudflareEdge`); without it the worker sees
 * no `request.cf`, as outside Cloudflare. Returns {url, port, pid, logs(), stop()}.
 */
export async function startWorkerd({ policy, policyAs = 'text', origin, vars = {}, kvAddress = null, cloudflarePeer = null }) {
  const dir = mkdtempSync(join(tmpdir(), 'edgeward-workerd-'));
  mkdirSync(join(dir, 'pkg', 'dist'), { recursive: true });
  copyFileSync(WORKER_JS, join(dir, 'worker.js'));
  for (const [, file] of PACKAGE_MODULES) copyFileSync(join(PKG, file), join(dir, 'pkg', file));
  writeFileSync(join(dir, 'policy.json'), JSON.stringify(policy));
  const edge = cloudflarePeer ? cloudflareEdge(cloudflarePeer) : null;
  if (edge) writeFileSync(join(dir, 'edge.js'), edge.module);

  const q = (s) => JSON.stringify(String(s)); // a capnp text literal (plain ASCII values only)
  const bindings = [
    `(name = "POLICY", ${policyAs === 'json' ? 'json' : 'text'} = embed "policy.json")`,
    `(name = "ORIGIN", text = ${q(origin)})`,
    ...Object.entries(vars).map(([k, v]) => `(name = ${q(k)}, text = ${q(v)})`),
    ...(kvAddress ? ['(name = "JWKS_KV", kvNamespace = "kv")'] : []),
  ];
  const modules = [
    '(name = "worker.js", esModule = embed "worker.js")',
    ...PACKAGE_MODULES.map(([name, file, kind]) => `(name = ${q(name)}, ${kind} = embed ${q(`pkg/${file}`)})`),
  ];
  const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    ${edge ? `${edge.service},` : ''}
    (name = "net", network = (allow = ["local", "private", "public"])),
    ${kvAddress ? `(name = "kv", external = (address = ${q(kvAddress)}, http = ())),` : ''}
  ],
  sockets = [(name = "http", address = "127.0.0.1:0", http = ${edge ? edge.socketHttp : '()'}, service = "${edge ? 'edge' : 'main'}")],
);
const worker :Workerd.Worker = (
  modules = [
    ${modules.join(',\n    ')}
  ],
  compatibilityDate = "2025-01-01",
  bindings = [
    ${bindings.join(',\n    ')}
  ],
  globalOutbound = "net",
);
`;
  writeFileSync(join(dir, 'config.capnp'), config);

  const child = spawn(WORKERD, ['serve', join(dir, 'config.capnp'), '--control-fd=3'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  live.set(child.pid, dir);
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => {
    live.delete(child.pid);
    resolve({ code, signal });
  }));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid, 'SIGTERM');
      const t = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } }, 3000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const port = await new Promise((resolve, reject) => {
      let buf = '';
      const t = setTimeout(() => reject(new Error('workerd did not listen within 15 s')), 15000);
      child.stdio[3].on('data', (d) => {
        buf += d;
        for (const line of buf.split('\n')) {
          try {
            const ev = JSON.parse(line);
            if (ev.event === 'listen' && ev.socket === 'http') {
              clearTimeout(t);
              resolve(ev.port);
            }
          } catch { /* partial line */ }
        }
      });
      exited.then(({ code, signal }) => {
        clearTimeout(t);
        reject(new Error(`workerd exited (${code ?? signal})`));
      });
    });
    return { url: `http://127.0.0.1:${port}`, port, pid: child.pid, logs: () => output, stop };
  } catch (e) {
    await stop();
    throw new Error(`${e.message}:\n${output}`);
  }
}

// ---- loopback servers and raw requests, shared by the workerd tests ----------------------

const running = new Set();

/** A server on 127.0.0.1 (a free port) answering with `handler`; `close()` ends its
 * connections. `closeAll()` closes every one still open. */
export async function serve(handler) {
  const server = http.createServer(handler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const s = {
    port: server.address().port,
    close: () => new Promise((resolve) => {
      running.delete(s);
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  running.add(s);
  return s;
}

/** Closes every server `serve` started that is still open. */
export async function closeAll() {
  for (const s of [...running]) await s.close();
}

/** The origin: answers with JSON naming the method, path, headers and body it received
 * (`/moved/...` answers a redirect). */
export function echoOrigin() {
  return serve((req, res) => {
    const headers = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i].toLowerCase(), req.rawHeaders[i + 1]]);
    const parts = [];
    req.on('data', (d) => parts.push(d));
    req.on('end', () => {
      if (req.url.startsWith('/moved/')) return res.writeHead(302, { location: '/elsewhere' }).end();
      const body = JSON.stringify({ method: req.method, path: req.url, headers, body: Buffer.concat(parts).toString() });
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=60' });
      res.end(body);
    });
  });
}

/** A request with headers as [name, value] pairs, sent as they are: a repeated name is sent as
 * separate lines (a raw header array; Node would join an array of Cookie values with "; "). */
export function request(base, path, pairs = [], method = 'GET', body = null) {
  const u = new URL(base);
  const headers = ['host', u.host, ...pairs.flat()];
  if (body !== null) headers.push('content-length', String(Buffer.byteLength(body)));
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path, method, headers, agent: false, timeout: 15000 }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts).toString() }));
    });
    req.on('timeout', () => req.destroy(new Error(`request ${path} timed out`)));
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}
