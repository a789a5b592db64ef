// All-reduce throughput of the process groups: W ranks as worker threads (messages, and the shared-memory path
// with its Wasm SIMD reduction and with the JS loop) and as WebSocket clients through the relay, sum of N floats, median of ROUNDS timed calls after one
// warm-up. The figure is the "algorithm bandwidth" N·4 bytes / time (what one rank's buffer moves per second).
// Run: npx tsx bench/distributed.ts [rounds] [sizes] [worldSize]   (not part of npm test; timings never gate tests)
// The ranks are the tests' (test/distributed/transports.ts), so the bench runs exactly what the tests check.
// `npx tsx bench/distributed.ts codecs [rounds] [floats]` runs the compression rows instead: the codecs' speed
// (encode with error feedback, then decode) in Wasm SIMD against their plain-JS reference, interleaved.
// `npx tsx bench/distributed.ts bytes` prints the bytes on the wire per step of DataParallel (each compression)
// and DiLoCo (H = 10 and 100, each compression), counted on the transport and checked against `bytesSent`.
import os from "node:os";
import { countingGroups, type Ranks, webSocketRanks, workerRanks } from "../test/distributed/transports.js";
import { init, ParamStore, SGD } from "../src/index.js";
import { type Compression, DataParallel, DiLoCo, powerSGD } from "../src/distributed/index.js";
import { type Codec, encodeRef, payloadFloats, unpackRef } from "../src/distributed/compression-codecs.js";
import { KERNEL } from "../src/distributed/compression.js";

const MODE = process.argv[2] === "codecs" || process.argv[2] === "bytes" ? process.argv[2] : undefined;
const args = MODE ? process.argv.slice(1) : process.argv;
const ROUNDS = Number(args[2] ?? 5);
const SIZES = (args[3] ?? "1048576,16777216").split(",").map(Number);
const W = Number(args[4] ?? 2);

async function time(ranks: Ranks, n: number): Promise<number> {
  const bufs = Array.from({ length: W }, (_, r) => new Float32Array(n).fill(r + 1));
  const samples: number[] = [];
  for (let i = 0; i <= ROUNDS; i++) {
    const replies = await Promise.all(bufs.map((b, r) => ranks.call(r, "allReduce", [b])));
    if (replies.some((x) => x.error)) throw new Error(replies.find((x) => x.error)!.error!.message);
    // Timed inside the ranks, the last one to start (the others' clocks include waiting for its command, whose
    // own trip to a worker is not the collective's).
    const dt = Math.min(...replies.map((x) => x.ms!));
    if (i > 0) samples.push(dt);
  }
  return samples.sort((a, b) => a - b)[samples.length >> 1]!;
}

const transports: [string, (n: number) => Promise<Ranks>][] = [
  ["worker threads, messages", () => workerRanks(W)],
  ["worker threads, shared memory, Wasm SIMD reduction", (n) => workerRanks(W, { sharedFloats: Math.min(n, 1 << 22) })],
  ["worker threads, shared memory, JS reduction", (n) => workerRanks(W, { sharedFloats: Math.min(n, 1 << 22), wasm: false })],
  ["WebSocket relay (in-process clients)", () => webSocketRanks(W)],
];
if (MODE) {
  await init({ backend: "simd" });
  if (MODE === "codecs") codecs(Number(args[3] ?? 1 << 20));
  else await bytesPerStep();
  process.exit(0);
}

/** Codec speed (GB/s of f32 input: encode with error feedback + decode, per call). */
function codecs(n: number): void {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  console.log(`codecs: ${n} floats, ${ROUNDS} interleaved rounds, ${os.cpus().length} cores (${os.cpus()[0]?.model}), Node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}, ${new Date().toISOString()}`);
  // "plain JS": the loop a user would write (typed-array bit tricks, one pass); "TS reference": the bit-exact
  // reference the tests check the kernels against (per-element helpers, a temporary for x). (n×) = SIMD is n× faster.
  console.log("| codec | Wasm SIMD encode | plain JS encode | TS reference encode | Wasm SIMD decode | plain JS decode | TS reference decode |");
  console.log("|---|---|---|---|---|---|---|");
  const store = new ParamStore();
  const k = store.kernels("simd");
  for (const codec of ["bf16", "int8", "sign"] as Codec[]) {
    const L = payloadFloats(codec, n);
    const pg = store.alloc(n), perr = store.alloc(n), pp = store.alloc(L), po = store.alloc(n);
    const grad = store.view(pg, n);
    for (let i = 0; i < n; i++) grad[i] = Math.sin(i) * 0.01;
    const jsGrad = grad.slice(), jsErr = new Float32Array(n), jsPayload = new Float32Array(L), jsOut = new Float32Array(n);
    const t = { we: [] as number[], je: [] as number[], wd: [] as number[], jd: [] as number[], pe: [] as number[], pd: [] as number[] };
    const clock = (f: () => void) => {
      const t0 = performance.now();
      f();
      return performance.now() - t0;
    };
    for (let r = 0; r <= ROUNDS; r++) {
      const we = clock(() => k[KERNEL[codec][0]]!(pg, perr, perr, pp, n));
      const je = clock(() => encodeRef(codec, jsGrad, jsErr, jsErr, jsPayload, n));
      const wd = clock(() => k[KERNEL[codec][1]]!(po, pp, n, 0, 1));
      const jd = clock(() => unpackRef(codec, jsOut, jsPayload, n, 0, 1));
      const pe = clock(() => plainEncode(codec, jsGrad, jsErr, jsPayload, n));
      const pd = clock(() => plainDecode(codec, jsOut, jsPayload, n));
      if (r > 0) {
        t.pe.push(pe);
        t.pd.push(pd);
        t.we.push(we);
        t.je.push(je);
        t.wd.push(wd);
        t.jd.push(jd);
      }
    }
    const gbs = (ms: number) => `${((4 * n) / (ms / 1000) / 1e9).toFixed(2)} GB/s`;
    const [we, je, wd, jd, pe, pd] = [median(t.we), median(t.je), median(t.wd), median(t.jd), median(t.pe), median(t.pd)];
    console.log(`| ${codec} | ${gbs(we)} | ${gbs(pe)} (${(pe / we).toFixed(1)}x) | ${gbs(je)} (${(je / we).toFixed(1)}x) | ${gbs(wd)} | ${gbs(pd)} (${(pd / wd).toFixed(1)}x) | ${gbs(jd)} (${(jd / wd).toFixed(1)}x) |`);
  }
  store.dispose();
  store.dispose();
}

/**
 * Bytes rank 0 sends per step (payloads, counted by the transport; W = 2) for a model of two 1024 x 1024 matrices
 * and a 1024 vector: DataParallel (every step) and DiLoCo (one sync every H steps), each without and with
 * compression. PowerSGD (startIter 2) is measured once compressing: DataParallel's 3rd step, DiLoCo's 3rd sync.
 */
async function bytesPerStep(): Promise<void> {
  const world = 2;
  const model = () => {
    const s = new ParamStore();
    const params = [s.param("w1", new Float32Array(1 << 20).fill(0.1), { shape: [1024, 1024] }), s.param("b", new Float32Array(1024)), s.param("w2", new Float32Array(1 << 20), { shape: [1024, 1024] })];
    return { params, opt: new SGD(params, { lr: 0.01 }) };
  };
  const modes: [string, Compression | undefined][] = [["none", undefined], ["bf16", "bf16"], ["int8", "int8"], ["sign", "sign"],
    ["powerSGD rank 1", powerSGD({ startIter: 2 })], ["powerSGD rank 4", powerSGD({ rank: 4, startIter: 2 })]];
  console.log(`bytes on the wire: W = ${world}, 2 x 1024 x 1024 + 1024 floats, rank 0's payload bytes counted on the transport, ${new Date().toISOString()}`);
  console.log("| training | compression | bytes per step | bytes per sync | vs DataParallel uncompressed |");
  console.log("|---|---|---|---|---|");
  let ddpNone = 0;
  const row = (training: string, name: string, perStep: number, perSync: number | undefined) => {
    if (ddpNone === 0) ddpNone = perStep;
    console.log(`| ${training} | ${name} | ${Math.round(perStep).toLocaleString("en-US")} | ${perSync === undefined ? "—" : perSync.toLocaleString("en-US")} | ${perStep === ddpNone ? "—" : `${(ddpNone / perStep).toFixed(1)}x fewer`} |`);
  };
  /** Runs `steps` steps of every rank; returns the bytes rank 0's transport carried in the last one, checked against `reported()`. */
  const run = async (steps: number, ranks: { step(): Promise<void>; bytesSent: number; fill(): void }[], sent: number[]) => {
    let last = 0;
    for (let t = 0; t < steps; t++) {
      for (const r of ranks) r.fill();
      const before = sent[0]!;
      await Promise.all(ranks.map((r) => r.step()));
      last = sent[0]! - before;
    }
    if (last !== ranks[0]!.bytesSent) throw new Error(`the transport carried ${last} bytes, bytesSent says ${ranks[0]!.bytesSent}`);
    return last;
  };
  for (const [name, compression] of modes) {
    const { groups, sent } = countingGroups(world);
    const ranks = groups.map((g, k) => {
      const m = model();
      const ddp = new DataParallel(m.opt, g, compression ? { compression } : {});
      return { step: () => ddp.step(), get bytesSent() { return ddp.bytesSent; }, fill: () => m.params.forEach((p, i) => p.grad.fill(0.01 * (i + k + 1))) };
    });
    row("DataParallel", name, await run(3, ranks, sent), undefined);
    await Promise.all(groups.map((g) => g.close()));
  }
  for (const H of [10, 100]) {
    for (const [name, compression] of modes) {
      const { groups, sent } = countingGroups(world);
      const ranks = groups.map((g, k) => {
        const m = model();
        const diloco = new DiLoCo(m.opt, g, { syncEvery: H, ...(compression && { compression }) });
        return { step: () => diloco.step(), get bytesSent() { return diloco.bytesSent; }, fill: () => m.params.forEach((p, i) => p.grad.fill(0.01 * (i + k + 1))) };
      });
      const perSync = await run(3 * H, ranks, sent);
      row(`DiLoCo, H = ${H}`, name, perSync / H, perSync);
      await Promise.all(groups.map((g) => g.close()));
    }
  }
}

console.log(`W = ${W}, ${os.cpus().length} cores (${os.cpus()[0]?.model}), Node ${process.version}, ${new Date().toISOString()}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}`);
console.log("| transport | " + SIZES.map((n) => `${n} floats`).join(" | ") + " |");
console.log("|---|" + SIZES.map(() => "---|").join(""));
for (const [name, make] of transports) {
  const cells: string[] = [];
  for (const n of SIZES) {
    const ranks = await make(n);
    try {
      const ms = await time(ranks, n);
      cells.push(`${ms.toFixed(1)} ms, ${((n * 4) / (ms / 1000) / 1e9).toFixed(2)} GB/s`);
    } finally {
      await ranks.close();
    }
  }
  console.log(`| ${name} | ${cells.join(" | ")} |`);
}

/** The encode loop a user would write in plain JS (same work as the kernels: x = g + e, code, error). */
function plainEncode(codec: Codec, g: Float32Array, e: Float32Array, payload: Float32Array, n: number): void {
  if (codec === "bf16") {
    const xb = new Uint32Array(1), xf = new Float32Array(xb.buffer), h = new Uint16Array(payload.buffer);
    for (let i = 0; i < n; i++) {
      xf[0] = g[i]! + e[i]!;
      const x = xf[0]!, b = xb[0]!;
      const code = ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
      h[i] = code;
      xb[0] = code << 16;
      e[i] = x - xf[0]!;
    }
    return;
  }
  const blocks = Math.ceil(n / 256), bytes = new Int8Array(payload.buffer, 4 * blocks), words = new Uint32Array(payload.buffer, 4 * blocks);
  for (let b = 0; b < blocks; b++) {
    const from = b * 256, to = Math.min(n, from + 256);
    let a = 0;
    for (let i = from; i < to; i++) {
      const x = g[i]! + e[i]!;
      e[i] = x;
      a = codec === "int8" ? Math.max(a, Math.abs(x)) : a + Math.abs(x);
    }
    const s = codec === "int8" ? 2 ** Math.ceil(Math.log2(a / 127)) : a / (to - from);
    payload[b] = s;
    for (let i = from; i < to; i++) {
      const x = e[i]!;
      if (codec === "int8") {
        const q = Math.round(x / s);
        bytes[i] = q;
        e[i] = x - q * s;
      } else {
        const neg = x < 0 ? 1 : 0;
        if ((i & 31) === 0) words[i >> 5] = 0;
        words[i >> 5] = words[i >> 5]! | (neg << (i & 31));
        e[i] = x - (neg ? -s : s);
      }
    }
  }
}

/** The decode loop a user would write in plain JS. */
function plainDecode(codec: Codec, out: Float32Array, payload: Float32Array, n: number): void {
  if (codec === "bf16") {
    const h = new Uint16Array(payload.buffer), u = new Uint32Array(out.buffer, out.byteOffset, n);
    for (let i = 0; i < n; i++) u[i] = h[i]! << 16;
    return;
  }
  const blocks = Math.ceil(n / 256), bytes = new Int8Array(payload.buffer, 4 * blocks), words = new Uint32Array(payload.buffer, 4 * blocks);
  for (let i = 0; i < n; i++) {
    const s = payload[i >> 8]!;
    out[i] = codec === "int8" ? bytes[i]! * s : (words[i >> 5]! >>> (i & 31)) & 1 ? -s : s;
  }
}
