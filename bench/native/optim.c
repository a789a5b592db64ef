// Native C anchors for `npm run bench` (compiled by bench/run.ts when gcc exists, twice: `-O3 -fno-math-errno
// -msse2`, the physical equivalent of 128-bit Wasm SIMD, and `-O3 -fno-math-errno -march=native`).
// The same loops as the gradstep kernels for each benchmarked configuration (one fused pass, f32, the step
// scalars computed once per step by the host), plus `roofline28`: Adam's memory traffic (read p, g, m, v;
// write p, m, v) with trivial math, the bandwidth ceiling, and `roofline28_2t`, the same over 2 OpenMP threads
// (the 2-thread ceiling; bench/run.ts builds a third binary with `-fopenmp` for it and runs it alone).
//
// Usage: optim SIZES KERNELS TARGET_MS REPS, e.g. `optim 4096,65536 adam,sgd_momentum 40 5`.
// Each (size, kernel) is calibrated to about TARGET_MS per sample; REPS samples rotate the kernel order.
// Output: one JSON line per (kernel, size): {"kernel", "n", "ns"} with ns = median ns per param per step.
// The gradient is constant, as in the JS/Wasm contenders, so centered RMSprop's v − ḡ² cancels to ≤ 0 after
// many steps and its params become NaN: the same in every contender, and no slower on x86 (no denormals).
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef float *restrict F;
typedef const float *restrict CF;
static const float LR = 1e-3f;

__attribute__((noinline)) static void adam(F p, CF g, F m, F v, long n, float stepSize, float beta1Comp,
    float beta2, float beta2Comp, float rBc2Sqrt, float eps) {
  for (long i = 0; i < n; i++) {
    float gi = g[i];
    float mi = m[i] + beta1Comp * (gi - m[i]);
    float vi = beta2 * v[i] + beta2Comp * (gi * gi);
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] - stepSize * (mi / (sqrtf(vi) * rBc2Sqrt + eps));
  }
}

__attribute__((noinline)) static void adamw_amsgrad(F p, CF g, F m, F v, F vmax, long n, float stepSize,
    float beta1Comp, float beta2, float beta2Comp, float rBc2Sqrt, float eps, float decay) {
  for (long i = 0; i < n; i++) {
    float gi = g[i];
    float pi = p[i] * decay;
    float mi = m[i] + beta1Comp * (gi - m[i]);
    float vi = beta2 * v[i] + beta2Comp * (gi * gi);
    m[i] = mi;
    v[i] = vi;
    float vm = vmax[i] > vi ? vmax[i] : vi; // maxps, as Wasm's f32x4.max (fmaxf would not vectorise)
    vmax[i] = vm;
    p[i] = pi - stepSize * (mi / (sqrtf(vm) * rBc2Sqrt + eps));
  }
}

__attribute__((noinline)) static void sgd_momentum(F p, CF g, F b, long n, float lr, float mu) {
  for (long i = 0; i < n; i++) {
    float bi = mu * b[i] + g[i];
    b[i] = bi;
    p[i] = p[i] - lr * bi;
  }
}

__attribute__((noinline)) static void sgd_nesterov(F p, CF g, F b, long n, float lr, float mu) {
  for (long i = 0; i < n; i++) {
    float gi = g[i];
    float bi = mu * b[i] + gi;
    b[i] = bi;
    p[i] = p[i] - lr * (gi + mu * bi);
  }
}

__attribute__((noinline)) static void rmsprop_centered(F p, CF g, F v, F ga, long n, float lr, float alpha,
    float alphaComp, float eps) {
  for (long i = 0; i < n; i++) {
    float gi = g[i];
    float vi = alpha * v[i] + alphaComp * (gi * gi);
    float gai = ga[i] + alphaComp * (gi - ga[i]);
    v[i] = vi;
    ga[i] = gai;
    p[i] = p[i] - lr * (gi / (sqrtf(vi - gai * gai) + eps));
  }
}

__attribute__((noinline)) static void adagrad(F p, CF g, F s, long n, float clr, float eps) {
  for (long i = 0; i < n; i++) {
    float gi = g[i];
    float si = s[i] + gi * gi;
    s[i] = si;
    p[i] = p[i] - clr * (gi / (sqrtf(si) + eps));
  }
}

// The catalogue's elementwise kernels, each in its gradstep kernel's default configuration and operation order.
__attribute__((noinline)) static void adadelta(F p, CF g, F v, F u, long n, float lr, float rho, float rhoComp, float eps) {
  for (long i = 0; i < n; i++) {
    float gi = g[i];
    float vi = v[i] * rho + rhoComp * gi * gi;
    v[i] = vi;
    float ui = u[i];
    float d = sqrtf((ui + eps) / (vi + eps)) * gi;
    u[i] = ui * rho + rhoComp * d * d;
    p[i] = p[i] - lr * d;
  }
}

__attribute__((noinline)) static void adamax(F p, CF g, F m, F u, long n, float clr, float beta1Comp, float beta2, float eps) {
  for (long i = 0; i < n; i++) {
    float gi = g[i];
    float mi = m[i] + beta1Comp * (gi - m[i]);
    float a = u[i] * beta2, b = fabsf(gi) + eps;
    float ui = a > b ? a : b;
    m[i] = mi;
    u[i] = ui;
    p[i] = p[i] - clr * (mi / ui);
  }
}

__attribute__((noinline)) static void nadam(F p, CF g, F m, F v, long n, float gradCoef, float avgCoef, float beta1Comp,
    float beta2, float beta2Comp, float rBc2, float eps) {
  for (long i = 0; i < n; i++) {
    float gi = g[i];
    float mi = m[i] + beta1Comp * (gi - m[i]);
    float vi = v[i] * beta2 + beta2Comp * gi * gi;
    m[i] = mi;
    v[i] = vi;
    float r = 1.0f / (sqrtf(vi * rBc2) + eps);
    p[i] = (p[i] - gradCoef * gi * r) - avgCoef * mi * r;
  }
}

__attribute__((noinline)) static void radam(F p, CF g, F m, F v, long n, float stepSize, float beta1Comp, float beta2,
    float beta2Comp, float eps) {
  for (long i = 0; i < n; i++) {
    float gi = g[i];
    float mi = m[i] + beta1Comp * (gi - m[i]);
    float vi = v[i] * beta2 + beta2Comp * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] - stepSize * (mi / (sqrtf(vi) + eps));
  }
}

__attribute__((noinline)) static void asgd(F p, CF g, F ax, long n, float eta, float decay, float mu) {
  for (long i = 0; i < n; i++) {
    float pi = p[i] * decay - eta * g[i];
    p[i] = pi;
    ax[i] = ax[i] + (pi - ax[i]) * mu;
  }
}

__attribute__((noinline)) static void rprop(F p, CF g, F prev, F ss, long n, float etaminus, float etaplus, float lo, float hi) {
  for (long i = 0; i < n; i++) {
    float gi = g[i], s = gi * prev[i];
    float f = s > 0 ? etaplus : 1.0f; // single selects: gcc if-converts and vectorises these, not a nested ?:
    f = s < 0 ? etaminus : f;
    float si = ss[i] * f;
    si = si < lo ? lo : si;
    si = si > hi ? hi : si;
    ss[i] = si;
    float gn = s < 0 ? 0.0f : gi;
    float sg = gn > 0 ? 1.0f : 0.0f;
    sg = gn < 0 ? -1.0f : sg;
    p[i] = p[i] - sg * si;
    prev[i] = gn;
  }
}

__attribute__((noinline)) static void lion(F p, CF g, F m, long n, float lr, float beta1, float beta1Comp, float beta2, float beta2Comp) {
  for (long i = 0; i < n; i++) {
    float gi = g[i], mi = m[i];
    float c = beta1Comp * gi + beta1 * mi;
    float u = c > 0 ? 1.0f : c < 0 ? -1.0f : 0.0f;
    m[i] = beta2Comp * gi + beta2 * mi;
    p[i] = p[i] - lr * u;
  }
}

__attribute__((noinline)) static void adabelief(F p, CF g, F m, F s, long n, float stepSize, float beta1, float beta1Comp,
    float beta2, float beta2Comp, float rBc2Sqrt, float eps, float epsRoot) {
  for (long i = 0; i < n; i++) {
    float gi = g[i];
    float mi = beta1Comp * gi + beta1 * m[i];
    float d = gi - mi;
    float si = (beta2Comp * (d * d) + beta2 * s[i]) + epsRoot;
    m[i] = mi;
    s[i] = si;
    p[i] = p[i] - stepSize * (mi / (sqrtf(si) * rBc2Sqrt + eps));
  }
}

__attribute__((noinline)) static void yogi(F p, CF g, F m, F v, long n, float stepSize, float beta1, float beta1Comp,
    float beta2Comp, float rBc2Sqrt, float eps) {
  for (long i = 0; i < n; i++) {
    float gi = g[i], g2 = gi * gi;
    float mi = beta1Comp * gi + beta1 * m[i];
    float v0 = v[i], dv = v0 - g2;
    float sg = dv > 0 ? 1.0f : dv < 0 ? -1.0f : 0.0f;
    float vi = v0 - beta2Comp * sg * g2;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] - stepSize * (mi / (sqrtf(vi) * rBc2Sqrt + eps));
  }
}

__attribute__((noinline)) static void adan(F p, CF g, F m, F v, F s, F prev, long n, float beta1, float beta1Comp,
    float beta2, float beta2Comp, float beta3, float beta3Comp, float rBc1, float rBc2, float rBc3, float eps,
    float epsRoot, float lr) {
  for (long i = 0; i < n; i++) {
    float gi = g[i], d = gi - prev[i];
    float mi = beta1Comp * gi + beta1 * m[i];
    float vi = beta2Comp * d + beta2 * v[i];
    float q = gi + beta2Comp * d;
    float si = beta3Comp * (q * q) + beta3 * s[i];
    m[i] = mi;
    v[i] = vi;
    s[i] = si;
    prev[i] = gi;
    float u = (mi * rBc1 + beta2Comp * (vi * rBc2)) / (sqrtf(si * rBc3 + epsRoot) + eps);
    p[i] = p[i] - lr * u;
  }
}

__attribute__((noinline)) static void ademamix(F p, CF g, F m1, F m2, F v, long n, float beta1, float beta1Comp,
    float beta2, float beta2Comp, float beta3, float beta3Comp, float rBc1, float rBc2, float alpha, float eps, float lr) {
  for (long i = 0; i < n; i++) {
    float gi = g[i];
    float a = beta1Comp * gi + beta1 * m1[i];
    float b = beta3Comp * gi + beta3 * m2[i];
    float vi = beta2Comp * (gi * gi) + beta2 * v[i];
    m1[i] = a;
    m2[i] = b;
    v[i] = vi;
    p[i] = p[i] - lr * ((a * rBc1 + alpha * b) / (sqrtf(vi * rBc2) + eps));
  }
}

__attribute__((noinline)) static void schedulefreeadamw(F p, CF g, F z, F v, long n, float beta1, float beta1Comp,
    float rBeta1, float ck, float ckComp, float lr, float beta2, float beta2Comp, float rBc2, float eps) {
  for (long i = 0; i < n; i++) {
    float y = p[i], gi = g[i], z0 = z[i];
    float vi = beta2Comp * (gi * gi) + beta2 * v[i];
    v[i] = vi;
    float z1 = z0 - lr * (gi / (sqrtf(vi * rBc2) + eps));
    z[i] = z1;
    float x = ckComp * ((y - beta1Comp * z0) * rBeta1) + ck * z1;
    float y1 = beta1 * x + beta1Comp * z1;
    p[i] = y + (y1 - y);
  }
}

__attribute__((noinline)) static void schedulefreesgd(F p, CF g, F z, long n, float beta1, float beta1Comp, float rBeta1,
    float ck, float ckComp, float lr) {
  for (long i = 0; i < n; i++) {
    float y = p[i], z0 = z[i];
    float z1 = z0 - lr * g[i];
    z[i] = z1;
    float x = ckComp * ((y - beta1Comp * z0) * rBeta1) + ck * z1;
    float y1 = beta1 * x + beta1Comp * z1;
    p[i] = y + (y1 - y);
  }
}

/** threads > 1 splits the loop over OpenMP threads when built with -fopenmp (the pragma is ignored otherwise). */
__attribute__((noinline)) static void roofline28(F p, CF g, F m, F v, long n, int threads) {
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
  for (long i = 0; i < n; i++) {
    float gi = g[i];
    m[i] += gi;
    v[i] += gi;
    p[i] -= gi;
  }
}

// Per kernel: its own param and state arrays (kernels never share state); the gradient is shared.
enum { PER_KERNEL = 5, MAX_KERNELS = 32 };
static float *G, *K[MAX_KERNELS][PER_KERNEL];
static long T; // step count (bias corrections)

/** The step scalars of step t, computed in double as the gradstep hosts do, then passed as floats. */
static float bc(double beta, long t) { return (float)(1 - pow(beta, (double)t)); }

/** One step of kernel k over n floats (p: param, s: its state arrays). */
typedef void (*Step)(F p, CF g, float *s[], long n, long t);
__attribute__((noinline)) static void adopt(F p, CF g, F m, F v, long n, float lr, float beta1, float beta1Comp,
    float beta2, float beta2Comp, float eps, float clip) {
  for (long i = 0; i < n; i++) {
    float gi = g[i], vi = v[i], s = sqrtf(vi), d = s > eps ? s : eps;
    float u = gi / d;
    u = u < -clip ? -clip : u;
    u = clip < u ? clip : u;
    v[i] = beta2Comp * (gi * gi) + beta2 * vi;
    float mi = beta1Comp * u + beta1 * m[i];
    m[i] = mi;
    p[i] = p[i] - lr * mi;
  }
}

static void stepAdam(F p, CF g, float *s[], long n, long t) {
  adam(p, g, s[0], s[1], n, (float)(LR / bc(0.9, t)), 0.1f, 0.999f, 0.001f, (float)(1 / sqrt(bc(0.999, t))), 1e-8f);
}
static void stepAdamwAmsgrad(F p, CF g, float *s[], long n, long t) {
  adamw_amsgrad(p, g, s[0], s[1], s[2], n, (float)(LR / bc(0.9, t)), 0.1f, 0.999f, 0.001f, (float)(1 / sqrt(bc(0.999, t))), 1e-8f, 1 - LR * 0.01f);
}
static void stepSgdMomentum(F p, CF g, float *s[], long n, long t) { (void)t; sgd_momentum(p, g, s[0], n, LR, 0.9f); }
static void stepSgdNesterov(F p, CF g, float *s[], long n, long t) { (void)t; sgd_nesterov(p, g, s[0], n, LR, 0.9f); }
static void stepRmspropCentered(F p, CF g, float *s[], long n, long t) { (void)t; rmsprop_centered(p, g, s[0], s[1], n, LR, 0.99f, 0.01f, 1e-8f); }
static void stepAdagrad(F p, CF g, float *s[], long n, long t) { (void)t; adagrad(p, g, s[0], n, LR, 1e-10f); }
static void stepAdadelta(F p, CF g, float *s[], long n, long t) { (void)t; adadelta(p, g, s[0], s[1], n, LR, 0.9f, 0.1f, 1e-6f); }
static void stepAdamax(F p, CF g, float *s[], long n, long t) { adamax(p, g, s[0], s[1], n, (float)(LR / bc(0.9, t)), 0.1f, 0.999f, 1e-8f); }
static void stepNadam(F p, CF g, float *s[], long n, long t) {
  double mu = 0.9 * (1 - 0.5 * pow(0.96, t * 4e-3)), muNext = 0.9 * (1 - 0.5 * pow(0.96, (t + 1) * 4e-3)), prod = mu; // mu_product after the first step (the scalars only set the cost)
  nadam(p, g, s[0], s[1], n, (float)(LR * (1 - mu) / (1 - prod)), (float)(LR * muNext / (1 - prod * muNext)), 0.1f, 0.999f, 0.001f,
    (float)(1 / bc(0.999, t)), 1e-8f);
}
static void stepRadam(F p, CF g, float *s[], long n, long t) {
  radam(p, g, s[0], s[1], n, (float)(LR * sqrt(bc(0.999, t)) / bc(0.9, t)), 0.1f, 0.999f, 0.001f, 1e-8f);
}
static void stepAsgd(F p, CF g, float *s[], long n, long t) {
  double eta = LR / pow(1 + 1e-4 * LR * (double)t, 0.75);
  asgd(p, g, s[0], n, (float)eta, (float)(1 - 1e-4 * eta), (float)(1.0 / (double)t));
}
static void stepRprop(F p, CF g, float *s[], long n, long t) { (void)t; rprop(p, g, s[0], s[1], n, 0.5f, 1.2f, 1e-6f, 50.0f); }
static void stepLion(F p, CF g, float *s[], long n, long t) { (void)t; lion(p, g, s[0], n, 1e-4f, 0.9f, 0.1f, 0.99f, 0.01f); }
static void stepAdabelief(F p, CF g, float *s[], long n, long t) {
  adabelief(p, g, s[0], s[1], n, (float)(LR / bc(0.9, t)), 0.9f, 0.1f, 0.999f, 0.001f, (float)(1 / sqrt(bc(0.999, t))), 1e-16f, 1e-16f);
}
static void stepYogi(F p, CF g, float *s[], long n, long t) {
  yogi(p, g, s[0], s[1], n, (float)(1e-2 / bc(0.9, t)), 0.9f, 0.1f, 0.001f, (float)(1 / sqrt(bc(0.999, t))), 1e-3f);
}
static void stepAdan(F p, CF g, float *s[], long n, long t) {
  adan(p, g, s[0], s[1], s[2], s[3], n, 0.98f, 0.02f, 0.92f, 0.08f, 0.99f, 0.01f, (float)(1 / bc(0.98, t)), (float)(1 / bc(0.92, t)),
    (float)(1 / bc(0.99, t)), 1e-8f, 1e-8f, LR);
}
static void stepAdemamix(F p, CF g, float *s[], long n, long t) {
  ademamix(p, g, s[0], s[1], s[2], n, 0.9f, 0.1f, 0.999f, 0.001f, 0.9999f, 0.0001f, (float)(1 / bc(0.9, t)), (float)(1 / bc(0.999, t)),
    5.0f, 1e-8f, LR);
}
static void stepSchedulefreeadamw(F p, CF g, float *s[], long n, long t) {
  schedulefreeadamw(p, g, s[0], s[1], n, 0.9f, 0.1f, (float)(1 / 0.9), (float)(1.0 / (double)t), (float)(1 - 1.0 / (double)t), 2.5e-3f,
    0.999f, 0.001f, (float)(1 / bc(0.999, t)), 1e-8f);
}
static void stepSchedulefreesgd(F p, CF g, float *s[], long n, long t) {
  schedulefreesgd(p, g, s[0], n, 0.9f, 0.1f, (float)(1 / 0.9), (float)(1.0 / (double)t), (float)(1 - 1.0 / (double)t), LR);
}
static void stepAdopt(F p, CF g, float *s[], long n, long t) {
  adopt(p, g, s[0], s[1], n, LR, 0.9f, 0.1f, 0.9999f, 1e-4f, 1e-6f, (float)pow((double)(t - 1), 0.25));
}
static void stepRoofline(F p, CF g, float *s[], long n, long t) { (void)t; roofline28(p, g, s[0], s[1], n, 1); }
static void stepRoofline2t(F p, CF g, float *s[], long n, long t) { (void)t; roofline28(p, g, s[0], s[1], n, 2); }

/** Kernel ids as the bench cases name them (bench/optim/<id>.bench.ts) and their number of state arrays. */
static const struct { const char *id; Step step; int states; } KERNELS[] = {
  {"adam", stepAdam, 2}, {"adamw_amsgrad", stepAdamwAmsgrad, 3}, {"sgd_momentum", stepSgdMomentum, 1},
  {"sgd_nesterov", stepSgdNesterov, 1}, {"rmsprop_centered", stepRmspropCentered, 2}, {"adagrad", stepAdagrad, 1},
  {"adadelta", stepAdadelta, 2}, {"adamax", stepAdamax, 2}, {"nadam", stepNadam, 2}, {"radam", stepRadam, 2},
  {"asgd", stepAsgd, 1}, {"rprop", stepRprop, 2}, {"lion", stepLion, 1}, {"adabelief", stepAdabelief, 2},
  {"yogi", stepYogi, 2}, {"adan", stepAdan, 4}, {"ademamix", stepAdemamix, 3},
  {"schedulefreeadamw", stepSchedulefreeadamw, 2}, {"schedulefreesgd", stepSchedulefreesgd, 1}, {"adopt", stepAdopt, 2},
  {"roofline28", stepRoofline, 2}, {"roofline28_2t", stepRoofline2t, 2},
};
static int kernelIndex(const char *id) {
  for (int i = 0; i < (int)(sizeof KERNELS / sizeof KERNELS[0]); i++) if (!strcmp(KERNELS[i].id, id)) return i;
  return -1;
}
static int which[MAX_KERNELS];

/** One step of kernel number j over n floats. */
static void step(int j, long n) {
  long t = ++T % 1000 + 1; // keep bias corrections away from 1 so the math stays the same every step
  KERNELS[which[j]].step(K[j][0], G, &K[j][1], n, t);
}

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int split(char *s, char **out, int max) {
  int k = 0;
  for (char *tok = strtok(s, ","); tok && k < max; tok = strtok(NULL, ",")) out[k++] = tok;
  return k;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s SIZES KERNELS [TARGET_MS] [REPS]\n", argv[0]);
    return 2;
  }
  char *sizeArg = strdup(argv[1]), *kernelArg = strdup(argv[2]), *sizeStr[16], *kernels[MAX_KERNELS];
  int ns = split(sizeArg, sizeStr, 16), nk = split(kernelArg, kernels, MAX_KERNELS);
  double target = (argc > 3 ? atof(argv[3]) : 40) * 1e6;
  int reps = argc > 4 ? atoi(argv[4]) : 5;
  if (reps < 1 || reps > 64) reps = 5;
  for (int j = 0; j < nk; j++) {
    which[j] = kernelIndex(kernels[j]);
    if (which[j] < 0) {
      fprintf(stderr, "unknown kernel %s\n", kernels[j]);
      return 2;
    }
  }
  long maxn = 0;
  for (int i = 0; i < ns; i++) if (atol(sizeStr[i]) > maxn) maxn = atol(sizeStr[i]);
  // One block; arrays skewed so that their offsets are not multiples of 4 KiB (no 4K aliasing), as the
  // ParamStore skews its blocks.
  size_t stride = (((size_t)maxn * 4 + 4095) & ~(size_t)4095) + 1088, arrays = 1 + (size_t)nk * PER_KERNEL;
  char *block = aligned_alloc(4096, (stride * arrays + 4095) & ~(size_t)4095);
  if (!block) return 1;
  G = (float *)block;
  for (int j = 0; j < nk; j++)
    for (int a = 0; a < PER_KERNEL; a++) K[j][a] = (float *)(block + (1 + (size_t)j * PER_KERNEL + a) * stride);
  srand(1234);
  for (long i = 0; i < maxn; i++) {
    float r = (float)rand() / (float)RAND_MAX - 0.5f;
    G[i] = 0.1f * r;
    for (int j = 0; j < nk; j++) {
      K[j][0][i] = r;
      for (int a = 1; a <= KERNELS[which[j]].states; a++) K[j][a][i] = 0; // untouched arrays take no memory
    }
  }
  for (int si = 0; si < ns; si++) {
    long n = atol(sizeStr[si]);
    long steps[MAX_KERNELS];
    static double samples[MAX_KERNELS][64];
    for (int j = 0; j < nk; j++) { // warm up and calibrate
      step(j, n);
      long k = 1;
      double el;
      for (;;) {
        double t0 = now_ns();
        for (long s = 0; s < k; s++) step(j, n);
        el = now_ns() - t0;
        if (el >= target / 8 || k >= (1L << 24)) break;
        k *= 2;
      }
      steps[j] = (long)(k * target / el) > 0 ? (long)(k * target / el) : 1;
    }
    for (int r = 0; r < reps; r++) {
      for (int jj = 0; jj < nk; jj++) {
        int j = (jj + r) % nk;
        step(j, n);
        double t0 = now_ns();
        for (long s = 0; s < steps[j]; s++) step(j, n);
        samples[j][r] = (now_ns() - t0) / (double)steps[j] / (double)n;
      }
    }
    for (int j = 0; j < nk; j++) {
      qsort(samples[j], (size_t)reps, sizeof(double), cmp);
      printf("{\"kernel\":\"%s\",\"n\":%ld,\"ns\":%.5f}\n", kernels[j], n, samples[j][reps / 2]);
    }
    fflush(stdout);
  }
  double sum = 0;
  for (int j = 0; j < nk; j++)
    for (long i = 0; i < maxn; i++) sum += K[j][0][i];
  fprintf(stderr, "checksum %g\n", sum); // keeps the stores observable
  return 0;
}
