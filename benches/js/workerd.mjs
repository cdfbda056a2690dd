// Starts real workerd with the bench worker (benches/js/worker.js), the installed edgeward
// package and jose's webapi build, on 127.0.0.1.
//
// workerd resolves an import against the importing module's name, as a path. So:
//   "bench.js"   the worker (first = main module); its './rows.js' is the module "rows.js"
//   "edgeward"   the package's workers.js entry; its './edgeward.js' and './dist/...' imports
//                find "edgeward.js", "dist/edgeward_wasm.js" and "dist/edgeward_wasm_bg.wasm"
//                (a `wasm` module: a compiled WebAssembly.Module, as Cloudflare hands it over)
//   "jose"       jose's dist/webapi/index.js; every other file of dist/webapi is a module named
//                by its path relative to dist/webapi ("jwt/verify.js", "lib/key.js", ...), so
//                index.js's './jwt/verify.js' and verify.js's '../lib/...' resolve
// The socket listens on port 0 (a free port chosen by the kernel); workerd reports the real port
// on its control fd.
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeDir, spawnTracked, stopChild, tempDir } from './procs.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
export const TESTS = fileURLToPath(new URL('../../wasm/tests/', import.meta.url));
const NM = join(TESTS, 'node_modules');
const WORKERD = join(NM, '.bin', 'workerd');
const PKG = join(NM, 'edgeward');
const JOSE = join(NM, 'jose', 'dist', 'webapi');

function walk(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.isFile() && e.name.endsWith('.js')) out.push(p);
  }
  return out.sort();
}

/** [module name, source file, capnp kind] for every module the worker needs. */
export function moduleList() {
  const mods = [
    ['bench.js', join(HERE, 'worker.js'), 'esModule'],
    ['rows.js', join(HERE, 'rows.js'), 'esModule'],
    ['edgeward', join(PKG, 'workers.js'), 'esModule'],
    ['edgeward.js', join(PKG, 'edgeward.js'), 'esModule'],
    ['dist/edgeward_wasm.js', join(PKG, 'dist', 'edgeward_wasm.js'), 'esModule'],
    ['dist/edgeward_wasm_bg.wasm', join(PKG, 'dist', 'edgeward_wasm_bg.wasm'), 'wasm'],
  ];
  for (const file of walk(JOSE)) {
    const rel = relative(JOSE, file).split(sep).join('/');
    mods.push([rel === 'index.js' ? 'jose' : rel, file, 'esModule']);
  }
  return mods;
}

/** Starts workerd; resolves {url, pid, logs(), stop()}. */
export async function startWorkerd() {
  const dir = tempDir('edgeward-jsbench-');
  const q = (s) => JSON.stringify(String(s)); // capnp text literal (ASCII)
  const entries = moduleList().map(([name, file, kind], i) => {
    const local = join('m', String(i), file.split(sep).pop());
    mkdirSync(dirname(join(dir, local)), { recursive: true });
    copyFileSync(file, join(dir, local));
    return `(name = ${q(name)}, ${kind} = embed ${q(local)})`;
  });
  const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .worker)],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [
    ${entries.join(',\n    ')}
  ],
  compatibilityDate = "2025-01-01",
);
`;
  writeFileSync(join(dir, 'config.capnp'), config);

  const child = spawnTracked(WORKERD, ['serve', join(dir, 'config.capnp'), '--control-fd=3'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const stop = async () => {
    await stopChild(child);
    removeDir(dir);
  };
  try {
    const port = await new Promise((resolve, reject) => {
      let buf = '';
      const t = setTimeout(() => reject(new Error('workerd did not listen within 20 s')), 20000);
      child.stdio[3].on('data', (d) => {
        buf += d;
        const lines = buf.split('\n');
        buf = lines.pop();
        for (const line of lines) {
          try {
            const ev = JSON.parse(line);
            if (ev.event === 'listen' && ev.socket === 'http') {
              clearTimeout(t);
              resolve(ev.port);
            }
          } catch { /* not JSON */ }
        }
      });
      exited.then(({ code, signal }) => {
        clearTimeout(t);
        reject(new Error(`workerd exited (${code ?? signal})`));
      });
    });
    return { url: `http://127.0.0.1:${port}`, pid: child.pid, logs: () => output, stop };
  } catch (e) {
    await stop();
    throw new Error(`${e.message}:\n${output}`);
  }
}
