// NovoGrad's per-tensor rule in WGSL (the webgpu backend's novograd_f32; src/webgpu/per-tensor.ts runs it):
// assembly/optim/novograd.ts operation for operation. a = exp_avg, b = exp_avg_sq (one float), c = the scratch area
// (the scaled, value-clipped gradient). norms: g; perTensor: the second moment from ‖g‖² (rounded to f32 first, as
// the host kernels) and the tensor's denominator √(v + εroot) + ε; apply: the first moment and θ. A product that
// feeds a sum goes through keep(): WGSL lets a compiler fuse a·b + c into an FMA (one rounding less).
export const NOVOGRAD_WGSL = /* wgsl */ `
fn norms(e: u32) -> vec2<f32> {
  let g = gradInHas(grad[ig], param[ip], 0.0, GRAD_SCALE | CLIP);
  c[ic] = g;
  return vec2<f32>(g, 0.0);
}
fn perTensor(x: vec2<f32>, y: vec2<f32>) -> f32 {
  let norm = sqrt(x.x);
  let sq = norm * norm;
  var v = sq;
  if (!has(INIT_BUFFER)) { v = keep(beta2Comp * sq) + keep(beta2 * b[ib]); }
  b[ib] = v;
  return sqrt(v + epsRoot) + eps;
}
fn apply(e: u32, d: f32) {
  let p = param[ip];
  var u = c[ic] / d;
  if (has(DECOUPLED)) { u = u + keep(weightDecay * p); }
  var m = u;
  if (!has(INIT_BUFFER)) { m = keep(beta1 * a[ia]) + u; }
  a[ia] = m;
  param[ip] = p - keep(lr * m);
}
`;
