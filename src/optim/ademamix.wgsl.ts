// AdEMAMix's element rule in WGSL (the webgpu backend's ademamix_f32; src/webgpu/driver.ts wraps it): assembly/optim/ademamix.ts
// operation for operation. a = exp_avg_fast, b = exp_avg_slow, c = exp_avg_sq.
export const ADEMAMIX_WGSL = /* wgsl */ `
  let p = param[ip];
  let g = gradInHas(grad[ig], p, weightDecay, GRAD_SCALE | CLIP);
  let m1 = optaxMoment(a[ia], g, beta1, beta1Comp);
  let m2 = optaxMoment(b[ib], g, beta3, beta3Comp);
  let v = optaxMoment2(c[ic], g, beta2, beta2Comp);
  a[ia] = m1;
  b[ib] = m2;
  c[ic] = v;
  var u = (m1 * rBc1 + alpha * m2) / (sqrt(v * rBc2) + eps);
  if (has(DECOUPLED)) { u = u + weightDecay * p; }
  param[ip] = p - lr * u;
`;
