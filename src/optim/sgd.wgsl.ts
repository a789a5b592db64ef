// SGD's element rule in WGSL (the webgpu backend's sgd_f32; src/webgpu/driver.ts wraps it): assembly/optim/sgd.ts
// operation for operation. a = momentum_buffer.
export const SGD_WGSL = /* wgsl */ `
  let p = param[ip];
  var g = gradIn(grad[ig], p, weightDecay);
  if (has(MOMENTUM)) {
    var m: f32;
    if (has(INIT_BUFFER)) { m = g; } else { m = a[ia] * momentum + dampFactor * g; }
    a[ia] = m;
    if (has(NESTEROV)) { g = g + momentum * m; } else { g = m; }
  }
  param[ip] = p - lr * g;
`;
