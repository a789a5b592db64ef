// The runtime matrix's distributed checks (run.mjs adds these entries; `node test/runtimes/run.mjs distributed`
// runs only them): gradstep/distributed from the installed tarball in Deno and Bun (2 ranks as Web Workers over
// MessagePorts and over SharedArrayBuffer, 2 ranks over WebSocket to a Node rendezvous on 127.0.0.1) and in
// headless Chromium (the same in a page and its workers, plus WebRTC data channels between 2 ranks of the page
// with signalling through the rendezvous; without cross-origin isolation the SharedArrayBuffer path must be
// refused, with it it must work). Each checks the all-reduce bit for bit against the rank-order f32 sum and
// DataParallel steps against one process on the rank-order mean (distributed-app/checks.mjs).
import { spawn } from "node:child_process";
import { cpSync } from "node:fs";
import { join } from "node:path";

const here = import.meta.dirname;

/**
 * run.mjs's runProcess, but asynchronous: the rendezvous lives in this process, whose event loop a
 * synchronous spawn would block.
 */
function runAsync(cmd, args, env, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env } });
    let out = "", err = "";
    child.stdout.on("data", (b) => (out += b));
    child.stderr.on("data", (b) => (err += b));
    const timer = setTimeout(() => child.kill("SIGKILL"), 180_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      const line = out.split("\n").find((l) => l.startsWith("RESULT "));
      if (line) resolve(JSON.parse(line.slice(7)));
      else reject(new Error(`exit ${code}: ${(err || out).slice(-2000)}`));
    });
  });
}

/** Entries for run.mjs's RUNTIMES; `ctx` is what they need of it. */
export function distributedRuntimes({ app, bin, serveDir, inChromium, CHROMIUM_ARGS }) {
  const dir = join(app, "distributed");
  /** Copies the app files and runs `fn` with a rendezvous (from the installed package) on 127.0.0.1. */
  async function withRelay(fn) {
    cpSync(join(here, "distributed-app"), dir, { recursive: true });
    const { serveRendezvous } = await import(join(app, "node_modules", "gradstep", "dist", "distributed", "index.js"));
    const relay = await serveRendezvous();
    try {
      return await fn(relay.url);
    } finally {
      await relay.close();
    }
  }
  // Chromium hides host candidates behind mDNS names by default, which nothing resolves here.
  const rtcArgs = [...CHROMIUM_ARGS, "--disable-features=WebRtcHideLocalIpsWithMdns"];
  async function chromium(isolated) {
    return withRelay(async (url) => {
      const server = await serveDir(app, isolated);
      try {
        const r = await inChromium(`${server.url}distributed/index.html?relay=${encodeURIComponent(url)}`, rtcArgs);
        if (r.crossOriginIsolated !== isolated) throw new Error(`crossOriginIsolated is ${r.crossOriginIsolated}`);
        return r;
      } finally {
        server.close();
      }
    });
  }
  const group = "distributed";
  return {
    "deno-distributed": {
      expect: "simd", group,
      run: () => withRelay((url) => runAsync(bin("deno"), ["run", "--allow-read", "--allow-net=127.0.0.1", join(dir, "cli.mjs"), url], { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" }, app)),
    },
    "bun-distributed": { expect: "simd", group, run: () => withRelay((url) => runAsync(bin("bun"), [join(dir, "cli.mjs"), url], { DO_NOT_TRACK: "1" }, app)) },
    "chromium-distributed": { expect: "simd", group, run: () => chromium(false) },
    "chromium-coi-distributed": { expect: "simd", group, run: () => chromium(true) },
  };
}
