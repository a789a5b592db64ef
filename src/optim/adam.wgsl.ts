// Adam's element rule in WGSL (the webgpu backend's adam_f32; src/webgpu/driver.ts wraps it): assembly/optim/adam.ts
// operation for operation. a = exp_avg, b = exp_avg_sq, c = max_exp_avg_sq.
export const ADAM_WGSL = /* wgsl */ `
  var p = param[ip];
  let g = gradIn(grad[ig], p, weightDecay);
  if (has(DECOUPLED)) { p = p * decay; }
  var v: f32;
  var m: f32;
  if (has(TFJS)) {
    v = tfjsEma2(b[ib], g, beta2, beta2Comp);
    m = tfjsMoment(a[ia], g, beta1, beta1Comp);
  } else {
    v = ema2(b[ib], g, beta2, beta2Comp);
    m = lerp(a[ia], g, beta1Comp);
  }
  a[ia] = m;
  b[ib] = v;
  if (has(AMSGRAD)) {
    v = max(c[ic], v);
    c[ic] = v;
  }
  if (has(TFJS)) {
    param[ip] = p - ((m / bc1) / (sqrt(v / bc2) + eps)) * stepSize;
  } else {
    param[ip] = subScaledDiv(p, stepSize, m, sqrt(v) * rBc2Sqrt + eps);
  }
`;
