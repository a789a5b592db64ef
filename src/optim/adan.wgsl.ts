// Adan's element rule in WGSL (the webgpu backend's adan_f32; src/webgpu/driver.ts wraps it): assembly/optim/adan.ts
// operation for operation. a = exp_avg, b = exp_avg_diff, c = exp_avg_sq, d = prev_grad.
export const ADAN_WGSL = /* wgsl */ `
  let p = param[ip];
  let g = gradInHas(grad[ig], p, weightDecay, GRAD_SCALE | CLIP);
  var dg = 0.0;
  if (!has(INIT_BUFFER)) { dg = g - d[id]; }
  let m = optaxMoment(a[ia], g, beta1, beta1Comp);
  let v = optaxMoment(b[ib], dg, beta2, beta2Comp);
  let s = optaxMoment2(c[ic], g + beta2Comp * dg, beta3, beta3Comp);
  a[ia] = m;
  b[ib] = v;
  c[ic] = s;
  d[id] = g;
  var u = m * rBc1 + beta2Comp * (v * rBc2);
  u = u / (sqrt(s * rBc3 + epsRoot) + eps);
  if (has(DECOUPLED)) { u = u + weightDecay * p; }
  param[ip] = p - lr * u;
`;
