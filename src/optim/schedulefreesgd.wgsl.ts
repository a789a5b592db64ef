// ScheduleFreeSGD's element rule in WGSL (the webgpu backend's schedulefreesgd_f32; src/webgpu/driver.ts wraps it): assembly/optim/schedulefreesgd.ts
// operation for operation. a = z.
export const SCHEDULEFREESGD_WGSL = /* wgsl */ `
  let y = param[ip];
  var u = gradInHas(grad[ig], y, weightDecay, GRAD_SCALE | CLIP);
  var z0 = y;
  if (!has(INIT_BUFFER)) { z0 = a[ia]; }
  if (has(DECOUPLED)) { u = u + weightDecay * y; }
  let z1 = z0 - lr * u;
  a[ia] = z1;
  param[ip] = scheduleFree(y, z0, z1, beta1, beta1Comp, rBeta1, ck, ckComp);
`;
