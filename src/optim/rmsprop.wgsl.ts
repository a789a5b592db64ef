// RMSprop's element rule in WGSL (the webgpu backend's rmsprop_f32; src/webgpu/driver.ts wraps it): assembly/optim/rmsprop.ts
// operation for operation. a = square_avg, b = momentum_buffer, c = grad_avg.
export const RMSPROP_WGSL = /* wgsl */ `
  let p = param[ip];
  let g = gradIn(grad[ig], p, weightDecay);
  if (has(TFJS)) {
    let ms = tfjsEma2(a[ia], g, alpha, alphaComp);
    a[ia] = ms;
    var dn: f32;
    if (has(CENTERED)) {
      let mg = tfjsMoment(c[ic], g, alpha, alphaComp);
      c[ic] = mg;
      dn = sqrt(ms - (mg * mg + eps));
    } else {
      dn = sqrt(ms + eps);
    }
    let x = (g * lr) / dn;
    if (has(MOMENTUM)) {
      let m = b[ib] * momentum + x;
      b[ib] = m;
      param[ip] = p - m;
    } else {
      param[ip] = p - x;
    }
    return;
  }
  let v = ema2(a[ia], g, alpha, alphaComp);
  a[ia] = v;
  var avg: f32;
  if (has(CENTERED)) {
    let ga = lerp(c[ic], g, alphaComp);
    c[ic] = ga;
    avg = sqrt(v - ga * ga) + eps;
  } else {
    avg = sqrt(v) + eps;
  }
  if (has(MOMENTUM)) {
    let m = b[ib] * momentum + g / avg;
    b[ib] = m;
    param[ip] = p - lr * m;
  } else {
    param[ip] = subScaledDiv(p, lr, g, avg);
  }
`;
