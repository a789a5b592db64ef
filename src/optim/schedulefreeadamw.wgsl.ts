// ScheduleFreeAdamW's element rule in WGSL (the webgpu backend's schedulefreeadamw_f32; src/webgpu/driver.ts wraps it): assembly/optim/schedulefreeadamw.ts
// operation for operation. a = z, b = exp_avg_sq.
export const SCHEDULEFREEADAMW_WGSL = /* wgsl */ `
  let y = param[ip];
  let g = gradInHas(grad[ig], y, weightDecay, GRAD_SCALE | CLIP);
  var z0 = y;
  if (!has(INIT_BUFFER)) { z0 = a[ia]; }
  let v = optaxMoment2(b[ib], g, beta2, beta2Comp);
  b[ib] = v;
  var u = g / (sqrt(v * rBc2) + eps);
  if (has(DECOUPLED)) { u = u + weightDecay * y; }
  let z1 = z0 - lr * u;
  a[ia] = z1;
  param[ip] = scheduleFree(y, z0, z1, beta1, beta1Comp, rBeta1, ck, ckComp);
`;
