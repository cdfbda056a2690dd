// The workerd side of benches/js_bench.mjs. Imports the installed npm package the way a Worker
// does ('edgeward' = its workers.js entry, the .wasm as a compiled module) and jose's webapi
// build, and runs the rows of ./rows.js on request:
//   POST /setup {spec, env}  build the keys, policies and rows (keys and tokens come from the
//                            driver; nothing secret is stored on disk)
//   POST /run {row, n}       run n verifications of one row, answer {n, wrong}; n = 0 is the
//                            empty batch the driver subtracts as the HTTP round-trip baseline
//   POST /stats              the edgeward instances' cache counters
// Workers' clocks do not advance during computation, so the driver times each batch from
// outside.
import * as jose from 'jose';
import { Edgeward } from 'edgeward';
import { makeRows } from './rows.js';

let rows = null;

export default {
  async fetch(request) {
    if (request.method !== 'POST') return new Response('POST only', { status: 405 });
    const path = new URL(request.url).pathname;
    try {
      const body = await request.json();
      if (path === '/setup') {
        rows = await makeRows({ jose, Edgeward, spec: body.spec, env: body.env });
        return Response.json({ names: rows.names });
      }
      if (!rows) return Response.json({ error: 'not set up' }, { status: 409 });
      if (path === '/run') {
        const n = body.n | 0;
        const { wrong } = n > 0 ? await rows.batch(body.row, n) : { wrong: 0 };
        return Response.json({ n, wrong });
      }
      if (path === '/stats') return Response.json(rows.stats());
      return new Response('not found', { status: 404 });
    } catch (e) {
      return Response.json({ error: String(e?.stack ?? e) }, { status: 500 });
    }
  },
};
