// Seeded inputs of the distributed tests, plain JS so that the runtime matrix's pages and workers use the same
// (test/distributed/reference.ts re-exports them): a mulberry32 stream, and f32 values whose magnitudes spread
// over 2^±12, so that another summation order gives other bits.
export function seeded(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomF32(n, rand) {
  return Float32Array.from({ length: n }, () => (rand() - 0.5) * 2 ** Math.floor(rand() * 24 - 12));
}
