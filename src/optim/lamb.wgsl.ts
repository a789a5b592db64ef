// LAMB's per-tensor rule in WGSL (the webgpu backend's lamb_f32; src/webgpu/per-tensor.ts runs it): assembly/optim/lamb.ts
// operation for operation. a = exp_avg, b = exp_avg_sq, c = the scratch area (u between the passes).
// norms: the moments and u (Optax's scale_by_adam, add_decayed_weights), θ and u for the trust ratio;
// perTensor: ‖θ‖/‖u‖ (1 where either is 0), rounded to f32 once; apply: θ + u·f32(r·(−γ)). A product that feeds a
// sum goes through keep(): WGSL lets a compiler fuse a·b + c into an FMA (one rounding less).
export const LAMB_WGSL = /* wgsl */ `
fn norms(e: u32) -> vec2<f32> {
  let p = param[ip];
  let g = gradInHas(grad[ig], p, weightDecay, GRAD_SCALE | CLIP | MAXIMIZE);
  let m = optaxMoment(a[ia], g, beta1, beta1Comp);
  let v = optaxMoment2(b[ib], g, beta2, beta2Comp);
  a[ia] = m;
  b[ib] = v;
  var u = (m * rBc1) / (sqrt(keep(v * rBc2) + epsRoot) + eps);
  if (has(DECOUPLED)) { u = u + keep(weightDecay * p); }
  c[ic] = u;
  return vec2<f32>(p, u);
}
fn perTensor(x: vec2<f32>, y: vec2<f32>) -> f32 {
  if (x.x == 0.0 || y.x == 0.0) { return 1.0; }
  return ddDiv(ddSqrt(x), ddSqrt(y)).x;
}
fn apply(e: u32, r: f32) {
  param[ip] = param[ip] + keep(c[ic] * (r * -lr));
}
`;
