// Yogi's element rule in WGSL (the webgpu backend's yogi_f32; src/webgpu/driver.ts wraps it): assembly/optim/yogi.ts
// operation for operation. a = exp_avg, b = exp_avg_sq.
export const YOGI_WGSL = /* wgsl */ `
  let p = param[ip];
  let g = gradInHas(grad[ig], p, 0.0, GRAD_SCALE | CLIP);
  let m = optaxMoment(a[ia], g, beta1, beta1Comp);
  let v0 = b[ib];
  let g2 = g * g;
  let v = v0 - (beta2Comp * sign1(v0 - g2)) * g2;
  a[ia] = m;
  b[ib] = v;
  param[ip] = subScaledDiv(p, stepSize, m, sqrt(v) * rBc2Sqrt + eps);
`;
