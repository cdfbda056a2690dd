// One fresh-process measurement for benches/js_bench.mjs: compile the shipped .wasm
// (`new WebAssembly.Module(bytes)`) and, separately, instantiate it with the wasm-bindgen glue's
// `initSync({module})`. The glue module is imported (and the file read) before the clock starts.
// Usage: node benches/js/instantiate.mjs WASM_FILE GLUE_JS  -> one JSON line
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [wasmPath, gluePath] = process.argv.slice(2);
const bytes = readFileSync(wasmPath);
const glue = await import(pathToFileURL(gluePath).href);

const t0 = performance.now();
const module = new WebAssembly.Module(bytes);
const t1 = performance.now();
glue.initSync({ module });
const t2 = performance.now();
// The instance works: the reason table comes out of the engine.
const reasons = JSON.parse(glue.reasons()).length;
const t3 = performance.now();

process.stdout.write(`${JSON.stringify({ compileMs: t1 - t0, instantiateMs: t2 - t1, firstCallMs: t3 - t2, reasons })}\n`);
