// Entry point for Node.js (>= 18) and Deno: reads the shipped .wasm beside this file and
// instantiates it synchronously (about a millisecond once compiled).
import { readFileSync } from 'node:fs';
import { initSync, Engine, reasons } from './dist/edgeward_wasm.js';
import { setBindings, reasonTable } from './edgeward.js';

initSync({ module: readFileSync(new URL('./dist/edgeward_wasm_bg.wasm', import.meta.url)) });
setBindings({ Engine, reasons });

export { Edgeward, Decision, EdgewardError, REVOCATION_STORE_KEY } from './edgeward.js';
/** Every reason code with its HTTP status, straight from the engine. */
export const REASONS = Object.freeze(reasonTable());
