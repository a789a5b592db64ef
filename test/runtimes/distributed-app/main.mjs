// The distributed checks of one runtime (Deno, Bun; the Chromium pages import it too): 2 ranks as Web Workers
// over MessagePorts, then over shared memory where SharedArrayBuffer exists (the SAB path), 2 ranks over
// WebSocket to the Node rendezvous whose URL is given, and (`rtc`) 2 ranks over WebRTC data channels with the
// rendezvous relaying the signalling. Returns { info, results }.
import { compare, reference, rankWork } from "./checks.mjs";

export async function runDistributed(g, d, { url, specs, workerUrl, rtc = false, sharedExpected }) {
  const info = g.backendInfo();
  const ref = reference(g, 2);
  const results = [];
  const time = async (how, run) => {
    const t0 = performance.now();
    try {
      const got = await run();
      results.push(...compare(how, got, ref, performance.now() - t0));
    } catch (e) {
      results.push({ name: how, pass: false, detail: String(e && e.stack || e) });
    }
  };
  const inWorkers = (mesh) => Promise.all(mesh.map((init) => new Promise((resolve, reject) => {
    const w = new Worker(workerUrl, { type: "module" });
    w.onmessage = ({ data }) => {
      w.terminate();
      if (data.error) reject(new Error(data.error));
      else if (data.shared !== (init.shared !== undefined)) reject(new Error("the worker did not get the shared block"));
      else resolve(data.out);
    };
    w.onerror = (e) => reject(new Error(e.message));
    w.postMessage({ specs, init }, init.ports.filter((p) => p));
  })));
  await time("Web Workers, MessagePorts", () => inWorkers(d.workerMesh(2)));
  if (sharedExpected) await time("Web Workers, SharedArrayBuffer", () => inWorkers(d.workerMesh(2, { sharedFloats: 1 << 14 })));
  else {
    let message = "no error";
    try { d.workerMesh(2, { sharedFloats: 1 << 14 }); } catch (e) { message = e.message; }
    results.push({ name: "no SharedArrayBuffer here: workerMesh's sharedFloats is refused clearly", pass: /needs SharedArrayBuffer/.test(message), detail: message });
  }
  const both = (connect) => Promise.all([0, 1].map(async (rank) => {
    const group = await connect(rank);
    const out = await rankWork(g, d, group);
    await group.close();
    return out;
  }));
  const ws = `${url}/ws-${Math.random()}`;
  await time("WebSocket to a Node rendezvous", () => both((rank) => d.webSocketGroup({ url: ws, rank, worldSize: 2, timeoutMs: 20_000 })));
  if (rtc) {
    const world = `${url}/rtc-${Math.random()}`;
    await time("WebRTC data channels, signalling through the rendezvous", () => both((rank) => d.rtcConnect({ url: world, rank, worldSize: 2, timeoutMs: 20_000 })));
  }
  return { info, results };
}
