// Adagrad's element rule in WGSL (the webgpu backend's adagrad_f32; src/webgpu/driver.ts wraps it): assembly/optim/adagrad.ts
// operation for operation. a = sum.
export const ADAGRAD_WGSL = /* wgsl */ `
  let p = param[ip];
  let g = gradIn(grad[ig], p, weightDecay);
  let s = a[ia] + g * g;
  a[ia] = s;
  if (has(TFJS)) { param[ip] = p - (g / sqrt(s + eps)) * clr; } else { param[ip] = subScaledDiv(p, clr, g, sqrt(s) + eps); }
`;
