// The demos' data: the 10,000 handwritten digits the `mnist` package ships (a devDependency; never downloaded at
// run time), as 784 floats in [0, 1] per image, split per digit: the first 90 % train, the last 10 % held out.
import { createRequire } from "node:module";

export const IN = 784;

export interface Mnist {
  /** Images, IN floats each, in the package's order (digit by digit). */
  X: Float32Array;
  /** Labels 0..9. */
  Y: Int32Array;
  /** Image indices of the training split and of the held-out split. */
  train: number[];
  test: number[];
}

export function loadMnist(): Mnist {
  interface Digit { raw: number[]; length: number }
  const digits = createRequire(import.meta.url)("mnist") as Digit[];
  const train: number[] = [], test: number[] = [];
  let total = 0;
  for (const d of digits) total += d.length;
  const X = new Float32Array(total * IN), Y = new Int32Array(total);
  let k = 0;
  digits.forEach((d, label) => {
    const cut = Math.floor(d.length * 0.9);
    for (let i = 0; i < d.length; i++, k++) {
      X.set(d.raw.slice(i * IN, (i + 1) * IN), k * IN);
      Y[k] = label;
      (i < cut ? train : test).push(k);
    }
  });
  return { X, Y, train, test };
}
