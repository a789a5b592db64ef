// One rank in a Web Worker (Deno, Bun, Chromium): {specs, init} arrives with the rank's ports; it imports the
// package (by the specifiers given: bare names where the runtime resolves them, URLs in browsers, whose workers
// have no import map), joins the worker mesh and posts back its rank's results.
import { rankWork } from "./checks.mjs";

self.onmessage = async ({ data: { specs, init } }) => {
  try {
    const g = await import(specs.gradstep);
    await g.init();
    const d = await import(specs.distributed);
    const group = d.workerGroup({ ...init, timeoutMs: 20_000 });
    const out = await rankWork(g, d, group);
    await group.close();
    self.postMessage({ out, shared: init.shared !== undefined });
  } catch (e) {
    self.postMessage({ error: String(e && e.stack || e) });
  }
};
