// A subset of the digits as one binary file, for runtimes that cannot read the `mnist` package (a browser page
// fetches it): u32 train count, u32 held-out count, u32 labels, then the images as f32 (784 each), train first.
import { IN } from "./mlp.js";

export interface Digits { X: Float32Array; Y: Uint32Array; train: number[]; test: number[] }

/** Every k-th image of each split (the package orders digits by class, so each subset keeps all ten). */
export function subset(all: { X: Float32Array; Y: ArrayLike<number>; train: number[]; test: number[] }, trainCount: number, testCount: number): Digits {
  const pick = (from: number[], n: number) => Array.from({ length: Math.min(n, from.length) }, (_, i) => from[Math.floor(i * from.length / Math.min(n, from.length))]!);
  const ids = [...pick(all.train, trainCount), ...pick(all.test, testCount)];
  const X = new Float32Array(ids.length * IN), Y = new Uint32Array(ids.length);
  ids.forEach((k, i) => { X.set(all.X.subarray(k * IN, (k + 1) * IN), i * IN); Y[i] = all.Y[k]!; });
  const nTrain = Math.min(trainCount, all.train.length);
  return { X, Y, train: ids.slice(0, nTrain).map((_, i) => i), test: ids.slice(nTrain).map((_, i) => nTrain + i) };
}

export function packDigits(d: Digits): Uint8Array {
  const n = d.Y.length, out = new Uint8Array(8 + 4 * n + 4 * n * IN);
  const u32 = new Uint32Array(out.buffer, 0, 2 + n);
  u32.set([d.train.length, d.test.length]);
  u32.set(d.Y, 2);
  new Float32Array(out.buffer, 8 + 4 * n).set(d.X);
  return out;
}

export function unpackDigits(bytes: Uint8Array): Digits {
  const buf = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  const [nTrain, nTest] = new Uint32Array(buf.buffer, buf.byteOffset, 2) as unknown as [number, number];
  const n = nTrain + nTest;
  if (buf.byteLength !== 8 + 4 * n + 4 * n * IN) throw new Error(`a digits file of ${n} images has ${8 + 4 * n + 4 * n * IN} bytes, not ${buf.byteLength}`);
  return {
    Y: new Uint32Array(buf.buffer, buf.byteOffset + 8, n).slice(),
    X: new Float32Array(buf.buffer, buf.byteOffset + 8 + 4 * n, n * IN).slice(),
    train: Array.from({ length: nTrain }, (_, i) => i),
    test: Array.from({ length: nTest }, (_, i) => nTrain + i),
  };
}
