// LARS's per-tensor rule in WGSL (the webgpu backend's lars_f32; src/webgpu/per-tensor.ts runs it): assembly/optim/lars.ts
// operation for operation. a = trace. norms: θ and u = g + λθ (the gradient prologue); perTensor: the trust ratio
// c·‖θ‖/(‖u‖ + ε) (1 where either norm is 0), rounded to f32 once; apply: u again (the same bits), then lr and the trace.
// A product that feeds a sum goes through keep(): WGSL lets a compiler fuse a·b + c into an FMA (one rounding less).
export const LARS_WGSL = /* wgsl */ `
fn norms(e: u32) -> vec2<f32> {
  let p = param[ip];
  return vec2<f32>(p, gradIn(grad[ig], p, weightDecay));
}
fn perTensor(x: vec2<f32>, y: vec2<f32>) -> f32 {
  if (x.x == 0.0 || y.x == 0.0) { return 1.0; }
  return ddDiv(ddMulF(ddSqrt(x), trustCoefficient), ddAdd(ddSqrt(y), vec2<f32>(eps, 0.0))).x;
}
fn apply(e: u32, r: f32) {
  let p = param[ip];
  let u = (gradIn(grad[ig], p, weightDecay) * r) * -lr;
  let t = u + keep(momentum * a[ia]);
  a[ia] = t;
  if (has(NESTEROV)) { param[ip] = p + (u + keep(momentum * t)); } else { param[ip] = p + t; }
}
`;
