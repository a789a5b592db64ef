// One parity suite over every backend: the pure-TS reference (js), the scalar Wasm build and the SIMD Wasm
// build (over shared and non-shared memory) run the same seeded steps (three of them with a gradient scale),
// and every param and every state buffer must agree bit for bit. Each length is its own group, so each is its
// own kernel call, starting at an unaligned offset (a 1-float param comes first).
import { describe, expect, it } from "vitest";
import { ParamStore } from "../../src/index.js";
import { BACKEND_VARIANTS, type BackendVariant, CONFIGS, firstBitDifference, paramShape, randomArray, rng, variantLabel } from "../helpers.js";

const LENGTHS = [0, 1, 3, 4, 5, 7, 8, 33, 1000, 4097];
const STEPS = 21;
const VARIANTS = BACKEND_VARIANTS;

function trajectory(cls: (typeof CONFIGS)[number]["cls"], options: Record<string, unknown>, variant: BackendVariant) {
  const rand = rng(1234);
  const store = new ParamStore({ shared: variant.shared });
  store.param("pad", 1); // makes every following param start 4 bytes past a 16-byte boundary
  const params = LENGTHS.map((n, i) => store.param(`p${i}`, randomArray(n, rand, 1, 0), paramShape(cls, n)));
  const opt = new cls(params.map((p) => ({ params: [p] })), { ...options, backend: variant.backend });
  const history: Float32Array[][] = [];
  for (let t = 0; t < STEPS; t++) {
    for (const p of params) p.grad.set(t === 5 || t === 13 ? new Float32Array(p.length) : randomArray(p.length, rand, 2, 0.15));
    if (t === 10) for (const g of opt.paramGroups) (g as { lr: number }).lr *= 0.5; // a scheduler's edit
    // Some steps scale the gradient (the prologue of clipping, GradScaler and accumulation: the kernels' scaled
    // loops), by a factor whose products round.
    if (t === 3 || t === 4 || t === 16) opt.step({ gradScale: 0.3 });
    else opt.step();
    history.push(params.map((p) => Float32Array.from(p.value)));
  }
  const state = opt.stateDict();
  store.dispose();
  return { history, state };
}

describe.each(CONFIGS)("$name parity across backends", ({ cls, configs }) => {
  it.each(configs)("$desc", ({ options }) => {
    const [reference, ...others] = VARIANTS.map((v) => trajectory(cls, options, v));
    for (const [k, other] of others.entries()) {
      const label = variantLabel(VARIANTS[k + 1]!);
      for (let t = 0; t < STEPS; t++) {
        for (let i = 0; i < LENGTHS.length; i++) {
          const d = firstBitDifference(other.history[t]![i]!, reference!.history[t]![i]!);
          expect(d, `${label}: step ${t + 1}, length ${LENGTHS[i]}, param element ${d}`).toBe(-1);
        }
      }
      const ids = Object.keys(reference!.state.state);
      expect(Object.keys(other.state.state)).toEqual(ids);
      for (const id of ids) {
        const want = reference!.state.state[Number(id)]!;
        const got = other.state.state[Number(id)]!;
        expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
        for (const [key, value] of Object.entries(want)) {
          if (typeof value === "number") expect(got[key]).toBe(value);
          else expect(firstBitDifference(got[key] as Float32Array, value), `${label}: ${key} of param ${id}`).toBe(-1);
        }
      }
    }
    // The trajectory really moved: a parity suite over frozen params would prove nothing.
    expect(firstBitDifference(reference!.history[STEPS - 1]![8]!, reference!.history[0]![8]!)).not.toBe(-1);
  });
});
