// Adamax's element rule in WGSL (the webgpu backend's adamax_f32; src/webgpu/driver.ts wraps it): assembly/optim/adamax.ts
// operation for operation. a = exp_avg, b = exp_inf.
export const ADAMAX_WGSL = /* wgsl */ `
  let p = param[ip];
  let g = gradIn(grad[ig], p, weightDecay);
  if (has(TFJS)) {
    let mt = tfjsMoment(a[ia], g, beta1, beta1Comp);
    let ut = max(b[ib] * beta2, abs(g));
    a[ia] = mt;
    b[ib] = ut;
    param[ip] = p - clr * (mt / (ut + eps));
    return;
  }
  let m = lerp(a[ia], g, beta1Comp);
  let u = max(b[ib] * beta2, abs(g) + eps);
  a[ia] = m;
  b[ib] = u;
  param[ip] = subScaledDiv(p, clr, m, u);
`;
