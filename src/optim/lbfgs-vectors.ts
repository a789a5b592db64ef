// The flat vectors of LBFGS (byte offsets of n floats in the store's memory) and the vector work on them: the
// Wasm kernels (assembly/optim/lbfgs.ts), or their pure-TS references on the js backend. Results a torch tensor
// would hold come back as F32.
import type { BackendName } from "../runtime/types.js";
import type { ParamStore } from "../runtime/store.js";
import { F32, T } from "./lbfgs-torch-scalars.js";
import { lbfgs_axpy_dot_f32, lbfgs_axpy_f32, lbfgs_dot_f32, lbfgs_maxabs_f32, lbfgs_scale_f32 } from "./lbfgs.reference.js";

export interface Vectors {
  /** f32(a·b): an f32 tensor in torch. */
  dot(a: number, b: number): F32;
  axpy(out: number, a: number, b: number, alpha: number, n?: number): void;
  scale(out: number, x: number, alpha: number): void;
  /** out ← a + alpha·b, then f32(out·c): one pass, the same bits as axpy then dot. */
  axpyDot(out: number, a: number, b: number, c: number, alpha: number): F32;
  /** max|x| (torch's `x.abs().max()`, an f32 tensor). */
  maxAbs(x: number): F32;
}

export function vectorsOf(store: ParamStore, backend: BackendName, n: number): Vectors {
  if (backend === "js") {
    const v = (ptr: number, len = n) => store.f32.subarray(ptr / 4, ptr / 4 + len);
    return {
      dot: (a, b) => T(lbfgs_dot_f32(v(a), v(b), n)),
      axpy: (out, a, b, alpha, len = n) => lbfgs_axpy_f32(v(out, len), v(a, len), v(b, len), len, alpha),
      scale: (out, x, alpha) => lbfgs_scale_f32(v(out), v(x), n, alpha),
      axpyDot: (out, a, b, c, alpha) => T(lbfgs_axpy_dot_f32(v(out), v(a), v(b), v(c), n, alpha)),
      maxAbs: (x) => new F32(lbfgs_maxabs_f32(v(x), n)),
    };
  }
  const k = store.kernels(backend) as unknown as {
    lbfgs_dot_f32(a: number, b: number, n: number): number;
    lbfgs_axpy_f32(out: number, a: number, b: number, n: number, alpha: number): void;
    lbfgs_scale_f32(out: number, x: number, n: number, alpha: number): void;
    lbfgs_axpy_dot_f32(out: number, a: number, b: number, c: number, n: number, alpha: number): number;
    lbfgs_maxabs_f32(x: number, n: number): number;
  };
  return {
    dot: (a, b) => T(k.lbfgs_dot_f32(a, b, n)),
    axpy: (out, a, b, alpha, len = n) => k.lbfgs_axpy_f32(out, a, b, len, alpha),
    scale: (out, x, alpha) => k.lbfgs_scale_f32(out, x, n, alpha),
    axpyDot: (out, a, b, c, alpha) => T(k.lbfgs_axpy_dot_f32(out, a, b, c, n, alpha)),
    maxAbs: (x) => new F32(k.lbfgs_maxabs_f32(x, n)),
  };
}
