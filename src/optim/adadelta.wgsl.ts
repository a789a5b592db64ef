// Adadelta's element rule in WGSL (the webgpu backend's adadelta_f32; src/webgpu/driver.ts wraps it): assembly/optim/adadelta.ts
// operation for operation. a = square_avg, b = acc_delta.
export const ADADELTA_WGSL = /* wgsl */ `
  let p = param[ip];
  let g = gradIn(grad[ig], p, weightDecay);
  if (has(TFJS)) {
    let v0 = a[ia];
    let u0 = b[ib];
    let upd = (sqrt(u0 + eps) / sqrt(v0 + eps)) * g;
    a[ia] = tfjsEma2(v0, g, rho, rhoComp);
    b[ib] = tfjsEma2(u0, upd, rho, rhoComp);
    param[ip] = p - lr * upd;
    return;
  }
  let v = ema2(a[ia], g, rho, rhoComp);
  a[ia] = v;
  let u = b[ib];
  let delta = sqrt((u + eps) / (v + eps)) * g;
  b[ib] = ema2(u, delta, rho, rhoComp);
  param[ip] = p - lr * delta;
`;
