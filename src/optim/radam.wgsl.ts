// RAdam's element rule in WGSL (the webgpu backend's radam_f32; src/webgpu/driver.ts wraps it): assembly/optim/radam.ts
// operation for operation. a = exp_avg, b = exp_avg_sq.
export const RADAM_WGSL = /* wgsl */ `
  var p = param[ip];
  let g = gradIn(grad[ig], p, weightDecay);
  if (has(DECOUPLED)) { p = p * decay; }
  let m = lerp(a[ia], g, beta1Comp);
  let v = ema2(b[ib], g, beta2, beta2Comp);
  a[ia] = m;
  b[ib] = v;
  if (has(RECTIFY)) { param[ip] = subScaledDiv(p, stepSize, m, sqrt(v) + eps); } else { param[ip] = p - stepSize * m; }
`;
