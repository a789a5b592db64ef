// Dynamic loss scaling with torch.amp.GradScaler's state machine (torch 2.13): the loss is multiplied by
// `scale` before the backward pass, the gradients are divided by it before the step, a step whose gradients
// hold inf or NaN is skipped and halves the scale (backoffFactor), and growthInterval finite steps in a row
// double it (growthFactor). The scale is an f32, updated as torch's _amp_update_scale_ does.
//
// What differs from torch: the unscaling is fused. step(opt) does not rewrite the gradients; it passes
// 1/scale to opt.step({ gradScale }), whose gradient prologue multiplies by it (the same f32 product torch
// writes into .grad). unscale(opt) called explicitly — to clip or inspect unscaled gradients before the step —
// does rewrite them once, like torch's unscale_, and the step then uses gradScale 1.
//
// What differs from torch at the edges: (1) inf/NaN is looked for in the unscaled gradients, f32(g·inv_scale),
// where torch looks before the multiply (the same unless g·inv_scale overflows, which only a scale below 1 allows).
// (2) The scale never backs off to a value whose inverse overflows f32 (below about 2.9e-39): after ~144
// overflowing steps in a row torch keeps halving it into denormals and 0, its inv_scale becomes inf, and the next
// finite gradients are multiplied by inf and stepped (found_inf was taken before the multiply: torch 2.13 turns
// SGD's params into -inf there). gradstep holds the scale at its last invertible value instead, keeps skipping
// while gradients overflow, steps again once they are finite, and grows the scale back growthInterval steps later.
import { boolean, invalid, rejectUnknown } from "../core/options.js";
import type { Optimizer } from "../core/optimizer.js";
import type { ParamLike } from "../core/spec.js";
import type { BackendName } from "../runtime/types.js";
import { gradFinite, scaleGrad } from "./clip.js";

/** The options of {@link GradScaler}. */
export interface GradScalerOptions {
  /** The first scale. Default 65536 (2^16). */
  initScale?: number;
  /** Factor the scale grows by after growthInterval finite steps in a row. Default 2. */
  growthFactor?: number;
  /** Factor the scale shrinks by after a step with inf/NaN gradients. Default 0.5. */
  backoffFactor?: number;
  /** Finite steps in a row before the scale grows. Default 2000. */
  growthInterval?: number;
  /** false: scale() returns the loss, step() steps, update() does nothing (torch's enabled). Default true. */
  enabled?: boolean;
}

/** torch's GradScaler.state_dict() with its keys camelCased (`_growth_tracker` → `growthTracker`). */
export interface GradScalerState {
  /** The current scale. */
  scale: number;
  /** GradScalerOptions.growthFactor. */
  growthFactor: number;
  /** GradScalerOptions.backoffFactor. */
  backoffFactor: number;
  /** GradScalerOptions.growthInterval. */
  growthInterval: number;
  /** Finite steps in a row since the scale last changed. */
  growthTracker: number;
}

const READY = 0, UNSCALED = 1, STEPPED = 2;
interface OptState { stage: number; foundInf: boolean }

function positive(where: string, name: string, v: unknown, rule: (x: number) => boolean, expected: string): number {
  if (typeof v !== "number" || !rule(v)) invalid(where, name, v, expected);
  return v;
}

/** Whether every unscaled gradient element of the optimizer's params, f32(g·inv), is finite (one read-only pass). */
function gradsFinite(params: readonly ParamLike[], backend: BackendName, inv: number): boolean {
  for (const p of params) if (!gradFinite(p, backend, inv)) return false;
  return true;
}

/** Whether `x` can be the scale: > 0, finite in f32, and its inverse (torch: `1/scale` in f64, then f32) too. */
function invertible(x: number): boolean {
  const f = Math.fround(x);
  return f > 0 && Number.isFinite(f) && Number.isFinite(Math.fround(1 / f));
}
const INVERTIBLE = "a number > 0 that is finite in f32 and whose inverse is too (about 2.9e-39 to 3.4e38)";

function paramsOf(opt: Optimizer<object>): ParamLike[] {
  return opt.paramGroups.flatMap((g) => g.params);
}

/**
 * Loss scaling for low-precision backward passes (torch.amp.GradScaler). Per iteration:
 * `backward(scaler.scale(loss))`, then `scaler.step(opt)` (unscales inside the step; skips it if a gradient
 * is inf or NaN), then `scaler.update()`.
 *
 * @example
 * const scaler = new GradScaler();
 * const opt = new AdamW(store.params, { lr: 1e-3, skipNonFinite: true }); // the check rides the step's pre-pass
 * for (const batch of data) {
 *   opt.zeroGrad();
 *   backward(batch, scaler.scale(1));        // seed the backward pass with the scaled loss gradient
 *   scaler.step(opt);                        // opt.step({ gradScale: 1 / scale }), or skipped
 *   scaler.update();
 * }
 */
export class GradScaler {
  /** GradScalerOptions.enabled: false makes the scaler a pass-through. */
  readonly enabled: boolean;
  #scale: number;
  #growthFactor: number;
  #backoffFactor: number;
  #growthInterval: number;
  #tracker = 0;
  #skipped = 0;
  readonly #opts = new Map<Optimizer<object>, OptState>();

  constructor(options: GradScalerOptions = {}) {
    const where = "GradScaler";
    if (options === null || typeof options !== "object" || Array.isArray(options)) throw new TypeError(`${where}: options must be an object`);
    const known = ["initScale", "growthFactor", "backoffFactor", "growthInterval", "enabled"];
    rejectUnknown(where, options, {}, known);
    const { initScale = 65536, growthFactor = 2, backoffFactor = 0.5, growthInterval = 2000, enabled = true } = options;
    boolean(where, "enabled", enabled);
    const scale = positive(where, "initScale", initScale, invertible, INVERTIBLE);
    this.#growthFactor = positive(where, "growthFactor", growthFactor, (x) => x > 1 && Number.isFinite(x), "a finite number > 1");
    this.#backoffFactor = positive(where, "backoffFactor", backoffFactor, (x) => x > 0 && x < 1, "a number in (0, 1)");
    this.#growthInterval = positive(where, "growthInterval", growthInterval, (x) => Number.isSafeInteger(x) && x >= 1, "an integer >= 1");
    this.#scale = Math.fround(scale);
    this.enabled = enabled;
  }

  /** The current scale (1 when disabled), as torch's get_scale(). */
  getScale(): number {
    return this.enabled ? this.#scale : 1;
  }

  /** GradScalerOptions.growthFactor. */
  get growthFactor(): number { return this.#growthFactor; }
  /** GradScalerOptions.backoffFactor. */
  get backoffFactor(): number { return this.#backoffFactor; }
  /** GradScalerOptions.growthInterval. */
  get growthInterval(): number { return this.#growthInterval; }
  /** Finite steps in a row since the scale last changed (torch's _growth_tracker). */
  get growthTracker(): number { return this.#tracker; }
  /** Steps step() skipped because a gradient was inf or NaN. */
  get skippedSteps(): number { return this.#skipped; }

  /**
   * The loss times the scale: seed the backward pass with it. The product is in f64 (exact: the scale is a
   * power of two unless you chose otherwise; torch's f32 product is Math.fround of it).
   */
  scale(loss: number): number {
    if (typeof loss !== "number") throw new TypeError(`GradScaler.scale: expected a number, got ${typeof loss}`);
    return this.enabled ? loss * this.#scale : loss;
  }

  #state(opt: Optimizer<object>): OptState {
    let s = this.#opts.get(opt);
    if (!s) {
      if (opt === null || typeof opt !== "object" || typeof (opt as { step?: unknown }).step !== "function" || !Array.isArray(opt.paramGroups)) {
        throw new TypeError("GradScaler: expected a gradstep optimizer");
      }
      s = { stage: READY, foundInf: false };
    }
    return s;
  }

  #usable(opt: Optimizer<object>, where: string): asserts opt is Optimizer<object> & { backend: BackendName } {
    if (opt.disposed) throw new Error(`GradScaler.${where}: the optimizer has been disposed`);
    // Its inf check reads the gradients and its scale is on the host; GpuGradScaler keeps both on the device.
    if (opt.backend === "webgpu") {
      throw new Error(`GradScaler.${where}: not supported on webgpu params (use GpuGradScaler of gradstep/webgpu: its scale lives on the GPU)`);
    }
  }

  /**
   * Divides the optimizer's gradients by the scale in place (torch's unscale_) and records whether any is
   * inf or NaN. Call it only to work on unscaled gradients before the step (clipGradNorm, logging a norm):
   * step() alone unscales inside the optimizer's step without this extra pass. At most once per optimizer
   * between update()s, and before step().
   */
  unscale(opt: Optimizer<object>): void {
    if (!this.enabled) return;
    const s = this.#state(opt);
    if (s.stage === UNSCALED) throw new Error("GradScaler.unscale: unscale() has already been called on this optimizer since the last update()");
    if (s.stage === STEPPED) throw new Error("GradScaler.unscale: unscale() is being called after step()");
    this.#usable(opt, "unscale");
    const params = paramsOf(opt);
    // The check is on the unscaled values f32(g·inv), the gradients the step will use (see the header).
    const inv = Math.fround(1 / this.#scale);
    const finite = gradsFinite(params, opt.backend, inv);
    if (inv !== 1) for (const p of params) scaleGrad(p, inv, opt.backend);
    this.#opts.set(opt, { stage: UNSCALED, foundInf: !finite });
  }

  /**
   * Steps `opt` unless its gradients hold inf or NaN; returns whether it stepped. Unless unscale(opt) ran
   * first, the gradients are unscaled inside the step (opt.step({ gradScale: 1 / scale })) and never
   * rewritten. The inf/NaN check is the optimizer's own pre-pass when it was built with skipNonFinite: true,
   * else one read-only pass here. A skipped step changes no param, state or step count.
   */
  step(opt: Optimizer<object>): boolean {
    if (!this.enabled) {
      opt.step();
      return true;
    }
    const s = this.#state(opt);
    if (s.stage === STEPPED) throw new Error("GradScaler.step: step() has already been called since the last update()");
    this.#usable(opt, "step");
    let foundInf: boolean;
    if (s.stage === UNSCALED) {
      foundInf = s.foundInf;
      if (!foundInf) opt.step();
    } else {
      const inv = Math.fround(1 / this.#scale);
      const gradScale = inv === 1 ? undefined : { gradScale: inv };
      if (opt.transforms.skipNonFinite) {
        const before = opt.skippedSteps;
        opt.step(gradScale);
        foundInf = opt.skippedSteps !== before;
      } else {
        foundInf = !gradsFinite(paramsOf(opt), opt.backend, inv);
        if (!foundInf) opt.step(gradScale);
      }
    }
    if (foundInf) this.#skipped++;
    this.#opts.set(opt, { stage: STEPPED, foundInf });
    return !foundInf;
  }

  /**
   * Updates the scale for the next iteration (torch's update()): backoffFactor × after an inf/NaN in any
   * optimizer stepped since the last update, growthFactor × after growthInterval finite steps in a row (if
   * the result is finite in f32). `newScale` sets the scale instead.
   */
  update(newScale?: number): void {
    if (!this.enabled) return;
    if (newScale !== undefined) {
      positive("GradScaler.update", "newScale", newScale, invertible, INVERTIBLE);
      this.#scale = Math.fround(newScale);
      this.#opts.clear();
      return;
    }
    let any = false, foundInf = false;
    for (const s of this.#opts.values()) {
      if (s.stage === READY) continue;
      any = true;
      foundInf ||= s.foundInf;
    }
    if (!any) throw new Error("GradScaler.update: no inf checks were recorded prior to update() (call step(opt) or unscale(opt) first)");
    if (foundInf) {
      const backedOff = Math.fround(this.#scale * this.#backoffFactor);
      if (invertible(backedOff)) this.#scale = backedOff;
      this.#tracker = 0;
    } else if (this.#tracker + 1 === this.#growthInterval) {
      const grown = Math.fround(this.#scale * this.#growthFactor);
      if (Number.isFinite(grown)) this.#scale = grown;
      this.#tracker = 0;
    } else {
      this.#tracker++;
    }
    this.#opts.clear();
  }

  /** torch's state_dict() (keys camelCased), JSON-safe; empty when disabled, as torch's. */
  stateDict(): GradScalerState | Record<string, never> {
    if (!this.enabled) return {};
    return {
      scale: this.#scale, growthFactor: this.#growthFactor, backoffFactor: this.#backoffFactor,
      growthInterval: this.#growthInterval, growthTracker: this.#tracker,
    };
  }

  /** Restores a stateDict(): every key checked first; a dict that does not fit throws and changes nothing. */
  loadStateDict(dict: GradScalerState): void {
    const where = "GradScaler.loadStateDict";
    if (!this.enabled) return;
    if (dict === null || typeof dict !== "object" || Array.isArray(dict)) throw new TypeError(`${where}: expected a state dict object`);
    if (Object.keys(dict).length === 0) {
      throw new Error(`${where}: the state dict is empty, possibly because it was saved from a disabled GradScaler`);
    }
    const keys = ["scale", "growthFactor", "backoffFactor", "growthInterval", "growthTracker"];
    for (const k of Object.keys(dict)) if (!keys.includes(k)) throw new TypeError(`${where}: unknown key "${k}"`);
    for (const k of keys) if (!Object.hasOwn(dict, k)) throw new TypeError(`${where}: missing key "${k}"`);
    const scale = positive(where, "scale", dict.scale, (x) => Math.fround(x) === x && invertible(x), "an f32 > 0 whose inverse is finite in f32");
    const growthFactor = positive(where, "growthFactor", dict.growthFactor, (x) => x > 1 && Number.isFinite(x), "a finite number > 1");
    const backoffFactor = positive(where, "backoffFactor", dict.backoffFactor, (x) => x > 0 && x < 1, "a number in (0, 1)");
    const growthInterval = positive(where, "growthInterval", dict.growthInterval, (x) => Number.isSafeInteger(x) && x >= 1, "an integer >= 1");
    const tracker = positive(where, "growthTracker", dict.growthTracker, (x) => Number.isSafeInteger(x) && x >= 0 && x < growthInterval, "an integer in [0, growthInterval)");
    this.#scale = scale;
    this.#growthFactor = growthFactor;
    this.#backoffFactor = backoffFactor;
    this.#growthInterval = growthInterval;
    this.#tracker = tracker;
  }
}
