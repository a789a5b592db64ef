// ADOPT's element rule in WGSL (the webgpu backend's adopt_f32; src/webgpu/driver.ts wraps it): assembly/optim/adopt.ts
// operation for operation. a = exp_avg, b = exp_avg_sq.
export const ADOPT_WGSL = /* wgsl */ `
  let p = param[ip];
  let g = gradInHas(grad[ig], p, 0.0, GRAD_SCALE | CLIP);
  let v = b[ib];
  // The normalised gradient uses the second moment before this step's update.
  let u = clampp(g / max(sqrt(v), eps), -clip, clip);
  b[ib] = optaxMoment2(v, g, beta2, beta2Comp);
  var m = optaxMoment(a[ia], u, beta1, beta1Comp);
  a[ia] = m;
  if (has(NESTEROV)) { m = optaxMoment(m, u, beta1, beta1Comp); }
  param[ip] = p - lr * m;
`;
