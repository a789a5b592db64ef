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

// Per kernel: its own param and three state arrays (kernels never share state); the gradient is shared.
enum { PER_KERNEL = 4, MAX_KERNELS = 16 };
static float *G, *K[MAX_KERNELS][PER_KERNEL];
static long T; // step count (bias corrections)

/** One step of kernel number j (name k) over n floats; returns 0 for an unknown kernel. */
static int step(int j, const char *k, long n) {
  float *p = K[j][0], *g = G, *s1 = K[j][1], *s2 = K[j][2], *s3 = K[j][3];
  long t = ++T % 1000 + 1; // keep bias corrections away from 1 so the math stays the same every step
  if (!strcmp(k, "adam") || !strcmp(k, "adamw_amsgrad")) {
    double b1 = 0.9, b2 = 0.999;
    float stepSize = (float)(LR / (1 - pow(b1, (double)t))), r = (float)(1 / sqrt(1 - pow(b2, (double)t)));
    if (k[4] == 0) adam(p, g, s1, s2, n, stepSize, 0.1f, 0.999f, 0.001f, r, 1e-8f);
    else adamw_amsgrad(p, g, s1, s2, s3, n, stepSize, 0.1f, 0.999f, 0.001f, r, 1e-8f, 1 - LR * 0.01f);
  } else if (!strcmp(k, "sgd_momentum")) sgd_momentum(p, g, s1, n, LR, 0.9f);
  else if (!strcmp(k, "sgd_nesterov")) sgd_nesterov(p, g, s1, n, LR, 0.9f);
  else if (!strcmp(k, "rmsprop_centered")) rmsprop_centered(p, g, s1, s2, n, LR, 0.99f, 0.01f, 1e-8f);
  else if (!strcmp(k, "adagrad")) adagrad(p, g, s1, n, LR, 1e-10f);
  else if (!strcmp(k, "roofline28")) roofline28(p, g, s1, s2, n, 1);
  else if (!strcmp(k, "roofline28_2t")) roofline28(p, g, s1, s2, n, 2);
  else return 0;
  return 1;
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
  char *sizeArg = strdup(argv[1]), *kernelArg = strdup(argv[2]), *sizeStr[16], *kernels[16];
  int ns = split(sizeArg, sizeStr, 16), nk = split(kernelArg, kernels, 16);
  double target = (argc > 3 ? atof(argv[3]) : 40) * 1e6;
  int reps = argc > 4 ? atoi(argv[4]) : 5;
  if (reps < 1 || reps > 64) reps = 5;
  if (nk > MAX_KERNELS) return 2;
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
      K[j][1][i] = K[j][2][i] = K[j][3][i] = 0;
    }
  }
  for (int si = 0; si < ns; si++) {
    long n = atol(sizeStr[si]);
    long steps[16];
    double samples[16][64];
    for (int j = 0; j < nk; j++) { // warm up and calibrate
      if (!step(j, kernels[j], n)) {
        fprintf(stderr, "unknown kernel %s\n", kernels[j]);
        return 2;
      }
      long k = 1;
      double el;
      for (;;) {
        double t0 = now_ns();
        for (long s = 0; s < k; s++) step(j, kernels[j], n);
        el = now_ns() - t0;
        if (el >= target / 8 || k >= (1L << 24)) break;
        k *= 2;
      }
      steps[j] = (long)(k * target / el) > 0 ? (long)(k * target / el) : 1;
    }
    for (int r = 0; r < reps; r++) {
      for (int jj = 0; jj < nk; jj++) {
        int j = (jj + r) % nk;
        step(j, kernels[j], n);
        double t0 = now_ns();
        for (long s = 0; s < steps[j]; s++) step(j, kernels[j], n);
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
