// gradstep/tfjs on @tensorflow/tfjs-backend-wasm 4.22 in Node (single-threaded SIMD build): every train.*
// factory against tf.train on the same backend (the suite shared with the cpu tests): within 1e-5 relative after
// 20 steps, and in fact bit for bit (tfjs's wasm kernels round every op to f32 as the cpu ones do), and no
// leaks. Gradients and values cross tfjs's Wasm heap (dataSync copies out, tf.tensor copies in).
import * as tf from "@tensorflow/tfjs-core";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { beforeAll, expect } from "vitest";
import { factorySuite } from "./tfjs-shared.js";

beforeAll(async () => {
  setWasmPaths(new URL("../../node_modules/@tensorflow/tfjs-backend-wasm/dist/", import.meta.url).pathname);
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  expect(await tf.setBackend("wasm")).toBe(true);
});

factorySuite("wasm", true);
