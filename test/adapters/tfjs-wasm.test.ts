// gradstep/tfjs on @tensorflow/tfjs-backend-wasm 4.22 in Node (single-threaded SIMD build): every train.*
// factory against tf.train on the same backend (the suite shared with the cpu tests): within 1e-5 relative after
// 20 steps, and in fact bit for bit (tfjs's wasm kernels round every op to f32 as the cpu ones do), and no
// leaks. Gradients are read from a view of tfjs's heap, new values handed over as a view of gradstep's memory.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { beforeAll, expect, it } from "vitest";
import { train } from "../../src/adapters/tfjs/index.js";
import { bits, factorySuite, gradOf, values, variables } from "./tfjs-shared.js";

beforeAll(async () => {
  setWasmPaths(new URL("../../node_modules/@tensorflow/tfjs-backend-wasm/dist/", import.meta.url).pathname);
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  expect(await tf.setBackend("wasm")).toBe(true);
});

factorySuite("wasm", true);

it("gradients whose data lives on another backend (cpu) are read through tfjs (dataSync), with the same result", async () => {
  const a = variables(), b = variables();
  const onWasm = train.adam(0.01), mixed = train.adam(0.01);
  for (let s = 0; s < 5; s++) {
    const ga = a.map((v, i) => gradOf(v, i));
    onWasm.applyGradients(Object.fromEntries(a.map((v, i) => [v.name, ga[i]!])));
    tf.dispose(ga);
    // The same gradient values, written to the cpu backend, then stepped while wasm is the active backend.
    const host = b.map((v, i) => tf.tidy(() => gradOf(v, i)).dataSync().slice());
    await tf.setBackend("cpu");
    const gb = b.map((v, i) => tf.tensor(host[i]!, v.shape));
    await tf.setBackend("wasm");
    expect((tf.backend() as unknown as { refCount(d: object): number }).refCount(gb[0]!.dataId)).toBe(0); // not in wasm's heap
    mixed.applyGradients(Object.fromEntries(b.map((v, i) => [v.name, gb[i]!])));
    tf.dispose(gb);
  }
  expect(tf.getBackend()).toBe("wasm");
  expect(bits(values(b))).toEqual(bits(values(a)));
  onWasm.dispose(); mixed.dispose();
});
