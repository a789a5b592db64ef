// Native C anchors for `npm run bench` (compiled by bench/run.ts when gcc exists, twice: `-O3 -fno-math-errno
// -msse2`, the physical equivalent of 128-bit Wasm SIMD, and `-O3 -fno-math-errno -march=native`).
// The harness: the optimizers' loops are the bench cases' (`native` in bench/optim/<id>.bench.ts: the same loop
// as the gradstep kernel in its benchmarked configuration, one fused pass, f32, the step scalars computed once
// per step by the host), which bench/native.ts writes into build/optim-kernels.h for this file to include and
// compiles with it. Here: `roofline28`: Adam's memory traffic (read p, g, m, v;
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
// Each bench case's kernel and step function, and OPTIM_KERNELS: their rows of KERNELS.
#include "optim-kernels.h"
static void stepRoofline(F p, CF g, float *s[], long n, long t) { (void)t; roofline28(p, g, s[0], s[1], n, 1); }
static void stepRoofline2t(F p, CF g, float *s[], long n, long t) { (void)t; roofline28(p, g, s[0], s[1], n, 2); }

/** Kernel ids as the bench cases name them (bench/optim/<id>.bench.ts) and their number of state arrays. */
static const struct { const char *id; Step step; int states; } KERNELS[] = {
  OPTIM_KERNELS
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
