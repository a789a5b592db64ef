// The pure-TS reference of every kernel, keyed like the Wasm exports (signatures in src/kernels.ts).
import type { KernelName } from "../kernels.js";
import { adagrad_f32 } from "./adagrad.js";
import { adam_f32 } from "./adam.js";
import { rmsprop_f32 } from "./rmsprop.js";
import { sgd_f32 } from "./sgd.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const REFERENCE: Record<KernelName, (...args: any[]) => void> = { sgd_f32, adam_f32, adagrad_f32, rmsprop_f32 };
