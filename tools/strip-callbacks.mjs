// Removes proxy-wasm callback exports the edgeward filter does not implement. Envoy checks
// which `proxy_on_*` functions a module exports and skips the call for the others; the Rust
// SDK exports every callback, so without this each request pays a host-to-wasm call for each
// empty one (response headers and body, done, log, ...).
//
// Usage: node tools/strip-callbacks.mjs in.wasm out.wasm
import { readFileSync, writeFileSync } from 'node:fs';
import binaryen from 'binaryen';

// What the filter needs: context lifecycle, configuration, tick, HTTP call answers, request
// headers, memory allocation for host buffers, and context deletion (frees SDK state).
const KEEP = new Set([
  'proxy_on_context_create',
  'proxy_on_vm_start',
  'proxy_on_configure',
  'proxy_on_tick',
  'proxy_on_http_call_response',
  'proxy_on_request_headers',
  'proxy_on_delete',
  'proxy_on_memory_allocate',
]);

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node tools/strip-callbacks.mjs in.wasm out.wasm');
  process.exit(2);
}
const mod = binaryen.readBinary(readFileSync(input));
// The features the build enables, no more (V8 in Envoy must read the output).
const F = binaryen.Features;
mod.setFeatures(F.MVP | F.BulkMemory | F.BulkMemoryOpt | F.SignExt | F.NontrappingFPToInt | F.MutableGlobals);
const removed = [];
for (let i = mod.getNumExports() - 1; i >= 0; i--) {
  const name = binaryen.getExportInfo(mod.getExportByIndex(i)).name;
  if (name.startsWith('proxy_on_') && !KEEP.has(name)) {
    mod.removeExport(name);
    removed.push(name);
  }
}
for (const name of KEEP) {
  if (name !== 'proxy_on_vm_start' && !mod.getExport(name)) {
    console.error(`strip-callbacks: ${name} is missing from ${input}`);
    process.exit(1);
  }
}
if (!mod.validate()) {
  console.error('strip-callbacks: module does not validate');
  process.exit(1);
}
writeFileSync(output, mod.emitBinary());
console.log(`strip-callbacks: removed ${removed.length} unused callback exports: ${removed.sort().join(' ')}`);
