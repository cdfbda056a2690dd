// Runs a wasm32-wasip1 program under Node's WASI (V8, the engine Envoy embeds).
// Usage: node benches/wasi_run.mjs FILE.wasm [args...]
// Exits with the program's exit code (so a failing `cargo test` under this runner fails), and
// non-zero on a trap (a panic in a wasm32-wasip1 test aborts).
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import { argv, env } from 'node:process';

const wasi = new WASI({ version: 'preview1', args: argv.slice(2), env, preopens: {}, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(argv[2]));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance) ?? 0;
