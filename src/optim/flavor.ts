// The `flavor` option: whose formulas an optimizer follows. "torch" (the default) is PyTorch's reference
// path; "tfjs" is TensorFlow.js 4.x's `tf.train.*` (tfjs-core/src/optimizers/*_optimizer.ts), in its operation
// order, so that replacing a tfjs optimizer by gradstep's changes nothing beyond f32 rounding (on
// tfjs-backend-cpu, which rounds every op to f32 like the kernels, the trajectories agree bit for bit).
// The flavor changes formulas only, never defaults: pass tfjs's values (eps 1e-7, Adagrad's
// initialAccumulatorValue 0.1, ...) or use the `gradstep/tfjs` entry, whose factories do.

/** Whose formulas an optimizer with a `flavor` option follows: PyTorch's ("torch") or TensorFlow.js's ("tfjs"). */
export type Flavor = "torch" | "tfjs";

/** The option rule: "torch" or "tfjs" (a TypeError names the value otherwise). */
export function flavorRule(v: unknown, key: string): void {
  if (v !== "torch" && v !== "tfjs") {
    throw new TypeError(`Invalid ${key}: ${typeof v === "string" ? JSON.stringify(v) : String(v)} (expected "torch" or "tfjs")`);
  }
}

// tfjs keeps β^t as a float32 variable multiplied by β after every step (Adam's accBeta1/accBeta2, Adamax's
// accBeta1): a running product rounded to f32 at each step, a few ulps from f32(β^t). It is rebuilt here from
// the integer step, so resuming stays exact; a few slots remember the last products so that consecutive steps
// cost one multiplication each (a step allocates nothing).
const SLOTS = 8;
const memo = new Float64Array(SLOTS * 3).fill(Number.NaN); // per slot: beta, t, product
let next = 0;

/** tfjs's accumulated power of `beta` at step t ≥ 1: f32(β), multiplied by f32(β) t − 1 times in f32. */
export function tfjsBetaPower(beta: number, t: number): number {
  const b = Math.fround(beta);
  let k = 1, acc = b, best = -1;
  for (let s = 0; s < SLOTS; s++) {
    const st = memo[s * 3 + 1]!;
    if (memo[s * 3] === b && st <= t && st >= k) { k = st; acc = memo[s * 3 + 2]!; best = s; }
  }
  for (; k < t; k++) {
    const p = Math.fround(acc * b);
    if (p === acc) break; // a fixed point (0, or β rounding to 1): every later product is the same
    acc = p;
  }
  const s = best >= 0 ? best : (next = (next + 1) % SLOTS);
  memo[s * 3] = b; memo[s * 3 + 1] = t; memo[s * 3 + 2] = acc;
  return acc;
}
