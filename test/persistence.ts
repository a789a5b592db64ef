// The persistence matrix's tables (run by test/suites/persistence.test.ts): every optimizer of the registry
// (every kind, and the Lookahead wrapper around each step optimizer) × every mode that is state × every way
// state leaves a process and comes back. A case trains K steps, stops (`pause`), saves, loads into a trainer
// that has trained elsewhere, continues (`resume`) to N steps, and must be bit-exact with the uninterrupted run
// (params, every state buffer, the mode, the scheduler) — or, where a path cannot carry that state (`refusal`),
// throw that clear error and change nothing. A new optimizer enters through the registry, a new mode by one
// line of MODES, a new path by one line of PATHS (another module may push onto it: the tfjs paths do).
import { Lookahead, loadCheckpoint, type Param, ParamStore, saveCheckpoint, StepLR, type Stateful } from "../src/index.js";
import { firstBitDifference, paramShape, randomArray, rng } from "./helpers.js";
import { CLOSURE_REGISTRY, REGISTRY } from "./registry.js";
import type { ClosureProblem } from "./optim/types.js";

/** Steps of the uninterrupted run; the state is saved after K steps, right after the step whose gradients (or loss) hold a NaN. */
export const N = 7, K = 4, NAN_STEP = K - 1;

/** What is trained: one registry configuration, of one kind. */
export interface Subject {
  label: string;
  kind: "step" | "closure" | "lookahead";
  /** The registry class name (the inner optimizer's, for Lookahead). */
  name: string;
  options: Record<string, unknown>;
  /** The first configuration of its optimizer (the modes run on it; every configuration runs as configured). */
  primary: boolean;
  lowp: boolean;
  /** eval()/train() (the schedule-free optimizers). */
  modal: boolean;
  create(store: ParamStore, options: Record<string, unknown>): { params: Param[]; optimizer: Trained; step(t: number, nan: boolean): void };
}

/** An optimizer as the matrix drives it. */
export type Trained = Stateful<any> & { readonly training?: boolean; eval?(): void; train?(): void }; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A mode that is state: options it adds, events of the run, what happens at the save point. */
export interface Mode {
  name: string;
  applies(s: Subject): boolean;
  options?: Record<string, unknown>;
  /** Step NAN_STEP's gradients hold a NaN (closure kind: its loss is NaN). */
  nan?: boolean;
  /** A StepLR (stepSize 2, gamma 0.5) attached, stepped after every step. */
  scheduler?: boolean;
  /** At the save point, in both runs: before saving. */
  pause?(t: Trainer): void;
  /** After the save point, in both runs: after loading, before the next step. */
  resume?(t: Trainer): void;
  /** Done to the trainer that loads, before it loads. */
  prepareTarget?(t: Trainer): void;
}

export interface Trainer {
  /** What it trains and in which mode (a path may build its own wrapper from them: subject.create). */
  readonly subject: Subject;
  readonly mode: Mode;
  readonly store: ParamStore;
  readonly params: Param[];
  readonly optimizer: Trained;
  readonly scheduler?: StepLR;
  /** Step t (t >= 50: a target's own steps, other gradients). */
  step(t: number): void;
  /** Everything a resume must reproduce: param values, the optimizer's state dict and mode, the scheduler's state. */
  snapshot(): unknown;
  dispose(): void;
}

export interface PersistCase { label: string; subject: Subject; mode: Mode; make(): Trainer }

/** One way state leaves and comes back. */
export interface PersistencePath {
  name: string;
  applies(c: PersistCase): boolean;
  /** Takes params, optimizer (and scheduler) state out of `from` and puts them into `to` (tfjs's API is async). */
  roundTrip(from: Trainer, to: Trainer): void | Promise<void>;
  /** The trainers of a path whose state lives elsewhere (tfjs variables and optimizer); default: the case's. */
  trainer?(c: PersistCase): Trainer;
  /** The clear error this path gives for `from`'s state when it cannot carry it; undefined: it must resume. */
  refusal?(from: Trainer): RegExp | undefined;
  /** Compare by value (±0 equal): the path loses the sign of zero (JSON has no -0). */
  byValue?: boolean;
}

// ---- subjects ----

const LENGTHS = [5, 64, 3];

function stepSubject(e: (typeof REGISTRY)[number], options: Record<string, unknown>, label: string, primary: boolean, wrap: boolean): Subject {
  return {
    label: wrap ? `Lookahead(${label})` : label, kind: wrap ? "lookahead" : "step", name: e.name, options, primary,
    lowp: Boolean(e.spec.lowp), modal: !wrap && "eval" in e.cls.prototype,
    create(store, o) {
      const params = LENGTHS.map((n, i) => store.param(`p${i}`, randomArray(n, rng(i + 1), 1, 0), paramShape(e.cls, n)));
      const inner = new e.cls([{ params: params.slice(0, 1) }, { params: params.slice(1) }], o);
      const optimizer = wrap ? new Lookahead(inner, { syncPeriod: 3 }) : inner;
      return {
        params, optimizer: optimizer as unknown as Trained,
        step(t, nan) {
          const rand = rng(1000 + t);
          for (const p of params) p.grad.set(randomArray(p.length, rand));
          if (nan) params[1]!.grad[3] = Number.NaN;
          optimizer.step();
        },
      };
    },
  };
}

function closureSubject(e: (typeof CLOSURE_REGISTRY)[number], problem: string, p: ClosureProblem, options: Record<string, unknown>, label: string, primary: boolean): Subject {
  return {
    label: `${label} on ${problem}`, kind: "closure", name: e.name, options, primary, lowp: false, modal: false,
    create(store, o) {
      const params = p.init.map((v, i) => store.param(`p${i}`, Float32Array.from(v)));
      const optimizer = new e.cls(params, o);
      return {
        params, optimizer: optimizer as unknown as Trained,
        step(t, nan) {
          const shift = t >= 50 ? 0.25 : 0; // a target's own steps: another objective
          optimizer.step(() => {
            for (const q of params) q.grad.fill(0);
            const loss = p.evaluate(params.map((q) => q.value), params.map((q) => q.grad)) + shift;
            return nan ? Number.NaN : Math.fround(loss);
          });
        },
      };
    },
  };
}

export const SUBJECTS: Subject[] = [
  ...REGISTRY.flatMap((e) => e.cases.configs.map((c, i) => stepSubject(e, c.options, `${e.name} ${c.desc}`, i === 0, false))),
  ...CLOSURE_REGISTRY.flatMap((e) => {
    const [problem, p] = Object.entries(e.cases.problems)[0]!;
    return e.cases.configs.map((c, i) => closureSubject(e, problem, p, c.options, `${e.name} ${c.desc}`, i === 0));
  }),
  ...REGISTRY.map((e) => stepSubject(e, e.cases.configs[0]!.options, `${e.name} ${e.cases.configs[0]!.desc}`, true, true)),
];

// ---- modes ----

const modal = (t: Trainer) => t.optimizer as Required<Pick<Trained, "eval" | "train">>;

export const MODES: Mode[] = [
  { name: "as configured", applies: () => true },
  { name: "stateDtype bf16", applies: (s) => s.lowp && s.primary, options: { stateDtype: "bf16" } },
  { name: "stateDtype int8", applies: (s) => s.lowp && s.primary, options: { stateDtype: "int8" } },
  { name: "saved in eval mode", applies: (s) => s.modal, pause: (t) => modal(t).eval(), resume: (t) => modal(t).train() },
  { name: "loaded by an optimizer in eval mode", applies: (s) => s.modal, prepareTarget: (t) => modal(t).eval() },
  { name: "after a NaN step", applies: (s) => s.primary, nan: true },
  { name: "after a NaN step, skipNonFinite", applies: (s) => s.primary && s.kind !== "closure", nan: true, options: { skipNonFinite: true } },
  { name: "with a scheduler", applies: (s) => s.primary, scheduler: true },
];

function makeTrainer(s: Subject, m: Mode): Trainer {
  const store = new ParamStore();
  const { params, optimizer, step } = s.create(store, { ...s.options, ...m.options });
  const inner = s.kind === "lookahead" ? (optimizer as unknown as Lookahead).inner : optimizer;
  const scheduler = m.scheduler ? new StepLR(inner as never, { stepSize: 2, gamma: 0.5 }) : undefined;
  return {
    subject: s, mode: m, store, params, optimizer, scheduler,
    step(t) {
      step(t, Boolean(m.nan) && t === NAN_STEP);
      scheduler?.step();
    },
    snapshot: () => ({
      params: params.map((p) => Float32Array.from(p.value)),
      optimizer: optimizer.stateDict(),
      training: optimizer.training,
      scheduler: scheduler?.stateDict(),
    }),
    dispose: () => store.dispose(),
  };
}

export const CASES: PersistCase[] = SUBJECTS.flatMap((subject) => MODES.filter((m) => m.applies(subject)).map((mode) => ({
  label: `${subject.label}, ${mode.name}`, subject, mode, make: () => makeTrainer(subject, mode),
})));

// ---- paths ----

/** Whether a value holds NaN or ±Infinity anywhere (a number, or an element of a float array). */
export function hasNonFinite(v: unknown): boolean {
  if (typeof v === "number") return !Number.isFinite(v);
  if (v instanceof Float32Array) return v.some((x) => !Number.isFinite(x));
  if (v !== null && typeof v === "object") return Object.values(v).some(hasNonFinite);
  return false;
}

function copyParams(from: Trainer, to: Trainer): void {
  from.params.forEach((p, i) => to.params[i]!.value.set(p.value));
}

function viaStateDicts(from: Trainer, to: Trainer, carry: <T>(x: T) => T): void {
  to.optimizer.loadStateDict(carry(from.optimizer.stateDict()));
  if (from.scheduler) to.scheduler!.loadStateDict(carry(from.scheduler.stateDict()));
  copyParams(from, to);
}

export const PATHS: PersistencePath[] = [
  { name: "stateDict → structuredClone", applies: () => true, roundTrip: (a, b) => viaStateDicts(a, b, structuredClone) },
  {
    name: "stateDict → JSON text", applies: () => true, byValue: true,
    roundTrip: (a, b) => viaStateDicts(a, b, (x) => JSON.parse(JSON.stringify(x))),
    refusal: (a) => (hasNonFinite(a.optimizer.stateDict()) ? /NaN and ±Infinity do not survive JSON: save a checkpoint instead/ : undefined),
  },
  {
    name: "checkpoint file", applies: () => true,
    roundTrip(a, b) {
      const bytes = saveCheckpoint({ params: a.params, optimizer: a.optimizer, scheduler: a.scheduler });
      loadCheckpoint(bytes, { params: b.params, optimizer: b.optimizer, scheduler: b.scheduler });
    },
  },
];

// ---- comparison ----

/** The first place two snapshots differ (typed arrays bit for bit, any two NaNs equal; byValue: ±0 equal), or undefined. */
export function firstDifference(a: unknown, b: unknown, byValue = false, at = "$"): string | undefined {
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b)) return at;
    const x = a as Float32Array, y = b as Float32Array;
    if (byValue && x instanceof Float32Array && y instanceof Float32Array) {
      const i = x.length !== y.length ? 0 : x.findIndex((v, k) => v !== y[k] && !(Number.isNaN(v) && Number.isNaN(y[k])));
      return i === -1 ? undefined : `${at}[${i}]`;
    }
    const i = firstBitDifference(x, y);
    return i === -1 ? undefined : `${at}[${i}]`;
  }
  if (typeof a === "number" && typeof b === "number") return Object.is(a, b) || (byValue && a === b) ? undefined : at;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return a === b ? undefined : at;
  const ka = Object.keys(a).sort(), kb = Object.keys(b).sort();
  if (ka.join() !== kb.join()) return `${at} keys [${ka.join(", ")}] vs [${kb.join(", ")}]`;
  for (const k of ka) {
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], byValue, `${at}.${k}`);
    if (d) return d;
  }
  return undefined;
}
