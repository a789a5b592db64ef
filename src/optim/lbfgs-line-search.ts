// torch's `_strong_wolfe` and `_cubic_interpolate` (torch/optim/lbfgs.py 2.13, from minFunc), line for line, in
// torch's scalar types (lbfgs-torch-scalars.ts). The line search works on flat vectors (byte offsets): it moves
// the params through `evaluate` and keeps the gradients of its bracket in buffers of its own.
import { abs, add, ge, gt, le, lt, mul, pyMax, pyMin, type S, sq, sqrtT, sub, div } from "./lbfgs-torch-scalars.js";
import type { Vectors } from "./lbfgs-vectors.js";

const C1 = 1e-4, C2 = 0.9;

/** What the line search needs of its optimizer. */
export interface LineSearchIO {
  vectors: Pick<Vectors, "dot" | "maxAbs">;
  /** dst ← src (n floats each). */
  copy(dst: number, src: number): void;
  /** torch's `_directional_evaluate`: the loss at x + t·d (x the params at the search's start), its gradient into `gNew`. */
  evaluate(t: S): number;
}

/** The flat buffers of one search: the gradient at t = 0 (where the chosen one is left), the trial's, the previous, the bracket's two. */
export interface LineSearchBuffers { flat: number; gNew: number; gPrev: number; b0: number; b1: number }

/** torch's `_cubic_interpolate` (from minFunc's polyinterp), in torch's scalar types. */
function cubicInterpolate(x1: S, f1: number, g1: S, x2: S, f2: number, g2: S, bounds?: [S, S]): S {
  const [xminBound, xmaxBound] = bounds ?? (le(x1, x2) ? [x1, x2] : [x2, x1]);
  const d1 = sub(add(g1, g2), div(3 * (f1 - f2), sub(x1, x2)));
  const d2Square = sub(sq(d1), mul(g1, g2));
  if (ge(d2Square, 0)) {
    const d2 = sqrtT(d2Square);
    const minPos = le(x1, x2)
      ? sub(x2, mul(sub(x2, x1), div(sub(add(g2, d2), d1), add(sub(g2, g1), mul(2, d2)))))
      : sub(x1, mul(sub(x1, x2), div(sub(add(g1, d2), d1), add(sub(g1, g2), mul(2, d2)))));
    return pyMin(pyMax(minPos, xminBound), xmaxBound);
  }
  return div(add(xminBound, xmaxBound), 2.0);
}

/** torch's `_strong_wolfe` along direction `d` from step `t0`; leaves the chosen gradient in `buf.flat`. */
export function strongWolfe(io: LineSearchIO, buf: LineSearchBuffers, t0: S, d: number, f: number, gtd: S,
    toleranceChange: number, maxLs: number): { loss: number; t: S; evals: number } {
  const v = io.vectors, { flat, gNew, gPrev } = buf;
  const B = [buf.b0, buf.b1];
  const copy = (dst: number, src: number) => { if (dst !== src) io.copy(dst, src); };
  const obj = io.evaluate;
  let t = t0;
  const dNorm = v.maxAbs(d);
  let fNew = obj(t);
  let lsFuncEvals = 1;
  let gtdNew: S = v.dot(gNew, d);

  let tPrev: S = 0, fPrev = f, gPrevPtr = flat, gtdPrev: S = gtd;
  let done = false;
  let lsIter = 0;
  let bracket: S[] = [], bracketF: number[] = [], bracketGtd: S[] = [];
  while (lsIter < maxLs) {
    if (gt(fNew, add(f, mul(mul(C1, t), gtd))) || (lsIter > 1 && fNew >= fPrev)) {
      bracket = [tPrev, t]; bracketF = [fPrev, fNew]; copy(B[0]!, gPrevPtr); copy(B[1]!, gNew); bracketGtd = [gtdPrev, gtdNew];
      break;
    }
    if (le(abs(gtdNew), mul(-C2, gtd))) {
      bracket = [t]; bracketF = [fNew]; copy(B[0]!, gNew);
      done = true;
      break;
    }
    if (ge(gtdNew, 0)) {
      bracket = [tPrev, t]; bracketF = [fPrev, fNew]; copy(B[0]!, gPrevPtr); copy(B[1]!, gNew); bracketGtd = [gtdPrev, gtdNew];
      break;
    }
    const minStep = add(t, mul(0.01, sub(t, tPrev)));
    const maxStep = mul(t, 10);
    const tmp = t;
    t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [minStep, maxStep]);
    tPrev = tmp;
    fPrev = fNew;
    copy(gPrev, gNew);
    gPrevPtr = gPrev;
    gtdPrev = gtdNew;
    fNew = obj(t);
    lsFuncEvals++;
    gtdNew = v.dot(gNew, d);
    lsIter++;
  }
  if (lsIter === maxLs) {
    bracket = [0, t]; bracketF = [f, fNew]; copy(B[0]!, flat); copy(B[1]!, gNew);
  }

  let insufProgress = false;
  let [low, high] = bracketF[0]! <= bracketF[bracketF.length - 1]! ? [0, 1] : [1, 0];
  while (!done && lsIter < maxLs) {
    if (lt(mul(abs(sub(bracket[1]!, bracket[0]!)), dNorm), toleranceChange)) break;
    t = cubicInterpolate(bracket[0]!, bracketF[0]!, bracketGtd[0]!, bracket[1]!, bracketF[1]!, bracketGtd[1]!);
    const bMax = pyMax(bracket[0]!, bracket[1]!), bMin = pyMin(bracket[0]!, bracket[1]!);
    const eps = mul(0.1, sub(bMax, bMin));
    if (lt(pyMin(sub(bMax, t), sub(t, bMin)), eps)) {
      if (insufProgress || ge(t, bMax) || le(t, bMin)) {
        t = lt(abs(sub(t, bMax)), abs(sub(t, bMin))) ? sub(bMax, eps) : add(bMin, eps);
        insufProgress = false;
      } else {
        insufProgress = true;
      }
    } else {
      insufProgress = false;
    }
    fNew = obj(t);
    lsFuncEvals++;
    gtdNew = v.dot(gNew, d);
    lsIter++;
    if (gt(fNew, add(f, mul(mul(C1, t), gtd))) || fNew >= bracketF[low]!) {
      bracket[high] = t; bracketF[high] = fNew; copy(B[high]!, gNew); bracketGtd[high] = gtdNew;
      [low, high] = bracketF[0]! <= bracketF[1]! ? [0, 1] : [1, 0];
    } else {
      if (le(abs(gtdNew), mul(-C2, gtd))) {
        done = true;
      } else if (ge(mul(gtdNew, sub(bracket[high]!, bracket[low]!)), 0)) {
        bracket[high] = bracket[low]!; bracketF[high] = bracketF[low]!; copy(B[high]!, B[low]!); bracketGtd[high] = bracketGtd[low]!;
      }
      bracket[low] = t; bracketF[low] = fNew; copy(B[low]!, gNew); bracketGtd[low] = gtdNew;
    }
  }
  copy(flat, B[low]!);
  return { loss: bracketF[low]!, t: bracket[low]!, evals: lsFuncEvals };
}
