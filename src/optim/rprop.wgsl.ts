// Rprop's element rule in WGSL (the webgpu backend's rprop_f32; src/webgpu/driver.ts wraps it): assembly/optim/rprop.ts
// operation for operation. a = prev, b = step_size.
export const RPROP_WGSL = /* wgsl */ `
  let g = gradInHas(grad[ig], 0.0, 0.0, GRAD_SCALE | CLIP | MAXIMIZE);
  let s = g * a[ia];
  // etaplus where g·prev > 0, etaminus where < 0, else 1
  let k = select(select(1.0, etaminus, s < 0.0), etaplus, s > 0.0);
  let ss = clampp(b[ib] * k, stepSizeMin, stepSizeMax);
  b[ib] = ss;
  let gNew = select(g, 0.0, s < 0.0);
  param[ip] = param[ip] - torchSign(gNew) * ss;
  a[ia] = gNew;
`;
