// The pure-TS reference of every kernel, keyed like the Wasm exports (signatures in src/kernels.ts).
import type { KernelName } from "../core/abi.js";
import { adagrad_f32 } from "./adagrad.reference.js";
import { adam_f32 } from "./adam.reference.js";
import { rmsprop_f32 } from "./rmsprop.reference.js";
import { sgd_f32 } from "./sgd.reference.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const REFERENCE: Record<KernelName, (...args: any[]) => void> = { sgd_f32, adam_f32, adagrad_f32, rmsprop_f32 };
