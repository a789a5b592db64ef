// Bench-only AssemblyScript kernel (not part of the package): Adam's memory traffic with trivial math
// (read p, g, m, v; write p, m, v = 28 B/param), f32x4 ×4 unrolled — the Wasm bandwidth ceiling.
export function roofline28(p: usize, g: usize, m: usize, v: usize, n: i32): void {
  const end = <usize>(n & ~15) << 2;
  for (let o: usize = 0; o < end; o += 64) {
    for (let k: usize = 0; k < 64; k += 16) {
      const gi = v128.load(g + o + k);
      v128.store(m + o + k, f32x4.add(v128.load(m + o + k), gi));
      v128.store(v + o + k, f32x4.add(v128.load(v + o + k), gi));
      v128.store(p + o + k, f32x4.sub(v128.load(p + o + k), gi));
    }
  }
}

// Adam's divider work alone: p -= m / (sqrt(v) + eps), f32x4 ×4 unrolled (16 B/param). Every Adam in Wasm SIMD,
// whatever its state dtype, does one f32x4.sqrt and one f32x4.div per four params: this is its compute floor
// (bench/lowp.ts).
export function sqrtDivFloor(p: usize, m: usize, v: usize, n: i32): void {
  const end = <usize>(n & ~15) << 2;
  const e = f32x4.splat(1e-8);
  for (let o: usize = 0; o < end; o += 64) {
    for (let k: usize = 0; k < 64; k += 16) {
      v128.store(p + o + k, f32x4.sub(v128.load(p + o + k), f32x4.div(v128.load(m + o + k), f32x4.add(f32x4.sqrt(v128.load(v + o + k)), e))));
    }
  }
}
