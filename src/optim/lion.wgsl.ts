// Lion's element rule in WGSL (the webgpu backend's lion_f32; src/webgpu/driver.ts wraps it): assembly/optim/lion.ts
// operation for operation. a = exp_avg.
export const LION_WGSL = /* wgsl */ `
  let p = param[ip];
  let g = gradInHas(grad[ig], p, weightDecay, GRAD_SCALE | CLIP | MAXIMIZE);
  let m = a[ia];
  var u = sign1(optaxMoment(m, g, beta1, beta1Comp));
  a[ia] = optaxMoment(m, g, beta2, beta2Comp);
  if (has(DECOUPLED)) { u = u + weightDecay * p; }
  param[ip] = p - lr * u;
`;
