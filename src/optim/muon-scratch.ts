// The size of muon_f32's scratch area (its layout: assembly/optim/muon.ts), shared by the spec and the reference.
import { gemmPackFloats } from "../linalg/gemm.js";

/** The largest gemm packing area one NS iteration needs: X·Xᵀ (m×m, depth q), G·G (m×m, depth m), H·X (m×q, depth m). */
export function muonPackFloats(m: number, q: number): number {
  return Math.max(gemmPackFloats(m, q), gemmPackFloats(m, m), gemmPackFloats(q, m));
}

/** Floats of scratch muon_f32 needs for a rows×cols param: X, Y (m·q each), G, H (m² each), gemm packing. */
export function muonScratchFloats(rows: number, cols: number): number {
  const m = Math.min(rows, cols), q = Math.max(rows, cols);
  return 2 * m * q + 2 * m * m + muonPackFloats(m, q);
}
