// NAdam's element rule in WGSL (the webgpu backend's nadam_f32; src/webgpu/driver.ts wraps it): assembly/optim/nadam.ts
// operation for operation. a = exp_avg, b = exp_avg_sq.
export const NADAM_WGSL = /* wgsl */ `
  var p = param[ip];
  let g = gradIn(grad[ig], p, weightDecay);
  if (has(DECOUPLED)) { p = p * decay; }
  let m = lerp(a[ia], g, beta1Comp);
  let v = ema2(b[ib], g, beta2, beta2Comp);
  a[ia] = m;
  b[ib] = v;
  let r = 1.0 / (sqrt(v * rBc2) + eps);
  param[ip] = (p - (gradCoef * g) * r) - (avgCoef * m) * r;
`;
