// A browser page (index.html): fetches digits.bin (data.ts's format), trains, and leaves the result in
// `window.__result` for the runtime matrix (test/runtimes/webgpu.mjs builds and serves it).
import { unpackDigits } from "./data.js";
import { adapterName, CI, describe, trainMnist, type TrainResult } from "./train.js";

const out = window as unknown as { __result?: (TrainResult & { line: string }) | { error: string } };
try {
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) throw new Error("no WebGPU adapter (Chromium: --enable-unsafe-webgpu; without a GPU also --use-webgpu-adapter=swiftshader)");
  const data = unpackDigits(new Uint8Array(await (await fetch("digits.bin")).arrayBuffer()));
  const r = await trainMnist(await adapter.requestDevice(), data, CI);
  const line = describe(r, `${navigator.userAgent.match(/Chrom\w+\/[\d.]+/)?.[0] ?? "browser"}, ${adapterName(adapter.info)}`);
  document.body.textContent = line;
  out.__result = { ...r, line };
} catch (e) {
  out.__result = { error: String((e as Error).stack ?? e) };
}
