// ASGD's element rule in WGSL (the webgpu backend's asgd_f32; src/webgpu/driver.ts wraps it): assembly/optim/asgd.ts
// operation for operation. a = ax; COPY (mu exactly 1: ax copies the param) is decided here, as asgd_f32 does.
export const ASGD_WGSL = /* wgsl */ `
  var p = param[ip];
  let g = gradIn(grad[ig], p, weightDecay);
  p = p * decay - eta * g;
  param[ip] = p;
  if (mu == 1.0) { a[ia] = p; } else { let x = a[ia]; a[ia] = x + (p - x) * mu; }
`;
