// Entry point for Cloudflare Workers / workerd and other runtimes that import a .wasm file as
// a compiled WebAssembly.Module (they cannot compile wasm from bytes at run time).
import wasmModule from './dist/edgeward_wasm_bg.wasm';
import { initSync, Engine, reasons } from './dist/edgeward_wasm.js';
import { setBindings, reasonTable } from './edgeward.js';

initSync({ module: wasmModule });
setBindings({ Engine, reasons });

export { Edgeward, Decision, EdgewardError, REVOCATION_STORE_KEY } from './edgeward.js';
/** Every reason code with its HTTP status, straight from the engine. */
export const REASONS = Object.freeze(reasonTable());
