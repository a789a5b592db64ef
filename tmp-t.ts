import { create } from "webgpu";
import { Adam, LAMB, LARS, NovoGrad } from "./src/index.js";
import { GpuParamStore } from "./src/webgpu/index.js";
const g = create([]);
const device = await (await g.requestAdapter())!.requestDevice();
const store = await GpuParamStore.create({ device });
for (const [C, n, o] of [[Adam, 300000, { maxGradNorm: 1 }], [LARS, 300000, {}], [NovoGrad, 300000, {}]] as const) {
  const p = store.param("w" + Math.random(), n);
  const opt = new C([p], o);
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    opt.step(); await p.read();
    console.log(C.name, n, (performance.now() - t0).toFixed(1), "ms");
  }
}
store.dispose();
