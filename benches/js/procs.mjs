// Child processes and temp dirs of benches/js_bench.mjs, tracked so that every one is stopped
// (by its PID) and removed on every way out: normal end, error, SIGINT/SIGTERM, watchdog.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const children = new Map(); // pid -> ChildProcess
const dirs = new Set();

/** spawn(), tracked until the child exits. */
export function spawnTracked(cmd, args, opts) {
  const child = spawn(cmd, args, opts);
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  children.set(child.pid, child);
  child.once('exit', () => children.delete(child.pid));
  return child;
}

export function tempDir(prefix) {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(d);
  return d;
}

export function removeDir(d) {
  rmSync(d, { recursive: true, force: true });
  dirs.delete(d);
}

/** Stops one child: SIGTERM, then SIGKILL after `graceMs`. Resolves when it has exited. */
export async function stopChild(child, graceMs = 3000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try { process.kill(child.pid, 'SIGTERM'); } catch { /* already gone */ }
  const t = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } }, graceMs);
  await exited;
  clearTimeout(t);
}

/** Synchronous last resort (for process 'exit'): SIGKILL every tracked child, remove dirs. */
export function killAllSync() {
  for (const pid of children.keys()) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  children.clear();
  for (const d of dirs) {
    try { rmSync(d, { recursive: true, force: true }); } catch { /* best effort */ }
  }
  dirs.clear();
}

/** Graceful: stop every tracked child, remove dirs. */
export async function stopAll() {
  await Promise.all([...children.values()].map((c) => stopChild(c)));
  killAllSync();
}

/** Runs a child to completion with a time limit; resolves {code, stdout, stderr}. */
export function runChild(cmd, args, { timeoutMs = 30000, ...opts } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawnTracked(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const t = setTimeout(() => {
      try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
      reject(new Error(`${cmd} ${args.join(' ')}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', (e) => { clearTimeout(t); reject(e); });
    child.once('close', (code, signal) => {
      clearTimeout(t);
      resolve({ code: code ?? signal, stdout, stderr });
    });
  });
}
