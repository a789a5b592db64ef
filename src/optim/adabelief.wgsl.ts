// AdaBelief's element rule in WGSL (the webgpu backend's adabelief_f32; src/webgpu/driver.ts wraps it): assembly/optim/adabelief.ts
// operation for operation. a = exp_avg, b = exp_avg_var.
export const ADABELIEF_WGSL = /* wgsl */ `
  let p = param[ip];
  let g = gradInHas(grad[ig], p, 0.0, GRAD_SCALE | CLIP);
  let m = optaxMoment(a[ia], g, beta1, beta1Comp);
  let s = optaxMoment2(b[ib], g - m, beta2, beta2Comp) + epsRoot;
  a[ia] = m;
  b[ib] = s;
  let dn = sqrt(s) * rBc2Sqrt + eps;
  if (!has(DECOUPLED)) { param[ip] = subScaledDiv(p, stepSize, m, dn); }
  else { param[ip] = p - ((stepSize * m) / dn + lrWeightDecay * p); }
`;
