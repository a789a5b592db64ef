// The conformance subset every runtime runs against the installed package (plain JS: no test framework, so
// the same file runs in Node, Deno, Bun, workerd, the Edge VM and Chromium). `g` is the imported package,
// already initialized; returns { info, results: [{ name, pass, detail }] }.
//   - PyTorch fixtures: Adam, AdamW (amsgrad), SGD Nesterov, RMSprop centered, Adagrad, |Δ| ≤ 1e-6 + 1e-5|x|
//   - store growth: views stay valid after the memory grows
//   - stateDict round trip through structuredClone resumes bit-exactly
//   - threads (when asked): a 2-thread store gives the same bits as a 1-thread store
export async function runSuite(g, fixtures, { threads = false } = {}) {
  const info = g.backendInfo();
  const results = [];
  const check = async (name, fn) => {
    try {
      const detail = await fn();
      results.push({ name, pass: true, ...(detail === undefined ? {} : { detail }) });
    } catch (e) {
      results.push({ name, pass: false, detail: String(e && e.stack || e) });
    }
  };
  const classes = { SGD: g.SGD, Adam: g.Adam, AdamW: g.AdamW, Adagrad: g.Adagrad, RMSprop: g.RMSprop };
  for (const c of fixtures.cases) {
    await check(`pytorch ${c.optimizer} ${JSON.stringify(c.options)}`, () => {
      const store = new g.ParamStore();
      const params = fixtures.init.map((v, i) => store.param(`p${i}`, v));
      const opt = new classes[c.optimizer](params, c.options);
      c.trajectory.forEach((expected, t) => {
        params.forEach((p, i) => p.grad.set(fixtures.grads[t][i]));
        opt.step();
        params.forEach((p, i) => expected[i].forEach((e, j) => {
          const d = Math.abs(p.value[j] - e);
          if (!(d <= 1e-6 + 1e-5 * Math.abs(e))) throw new Error(`step ${t + 1} param ${i}[${j}]: ${p.value[j]} vs PyTorch ${e}`);
        }));
      });
      store.dispose();
    });
  }
  await check("store growth keeps views valid", () => {
    const store = new g.ParamStore();
    const w = store.param("w", [1, 2, 3]);
    const held = w.value;
    const before = store.memory.buffer.byteLength;
    store.param("big", 3_000_000);
    if (!(store.memory.buffer.byteLength > before)) throw new Error("memory did not grow");
    const opt = new g.SGD([w], { lr: 1 });
    w.grad.set([1, 1, 1]);
    opt.step();
    const now = Array.from(w.value).join(",");
    if (now !== "0,1,2") throw new Error(`value ${now}`);
    if (store.shared && Array.from(held).join(",") !== "0,1,2") throw new Error("a view held across growth went stale");
    store.dispose();
    return { shared: store.shared };
  });
  await check("stateDict round trip resumes bit-exactly", () => {
    const run = (split) => {
      const store = new g.ParamStore();
      const w = store.param("w", Array.from({ length: 37 }, (_, i) => Math.sin(i)));
      let opt = new g.Adam([w], { lr: 0.01, amsgrad: true });
      for (let t = 0; t < 8; t++) {
        if (t === split) {
          const saved = structuredClone(opt.stateDict());
          opt = new g.Adam([w], { lr: 0.5 });
          opt.loadStateDict(saved);
        }
        w.grad.set(Array.from({ length: 37 }, (_, i) => Math.cos(i * (t + 1))));
        opt.step();
      }
      return new Uint32Array(Float32Array.from(w.value).buffer);
    };
    const a = run(-1), b = run(3);
    if (a.some((x, i) => x !== b[i])) throw new Error("resumed run differs");
  });
  if (threads) {
    await check("2 threads give the same bits as 1", async () => {
      const make = (n) => {
        const store = new g.ParamStore({ threads: n, threadMinSize: 1024 });
        const w = store.param("w", 50_000);
        return { store, w, opt: new g.Adam([w], { lr: 0.01 }) };
      };
      const one = make(1), two = make(2);
      await two.store.ready();
      for (let t = 0; t < 4; t++) {
        for (const r of [one, two]) { r.w.grad.fill(0.1 * (t + 1)); r.opt.step(); }
      }
      const a = new Uint32Array(Float32Array.from(one.w.value).buffer), b = new Uint32Array(Float32Array.from(two.w.value).buffer);
      if (a.some((x, i) => x !== b[i])) throw new Error("threaded result differs");
      const t = two.store.threadInfo;
      one.store.dispose();
      two.store.dispose();
      if (t.threads !== 2) throw new Error(`expected 2 threads, got ${JSON.stringify(t)}`);
      return t;
    });
  }
  await check("threads fall back visibly where unavailable", () => {
    const store = new g.ParamStore({ threads: 2 });
    const t = store.threadInfo;
    store.dispose();
    if (info.threads ? t.threads !== 2 : t.threads !== 1 || !t.reason) throw new Error(JSON.stringify(t));
    return t;
  });
  return { info, results };
}
