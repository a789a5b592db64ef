// The MLP's WGSL (784 → hidden → 10, ReLU, softmax cross-entropy), shared by every runtime. The params are read
// from the GPU param store's value buffer and the grads written in place into its grad buffer, at the element
// offsets the uniform carries: the optimizer then steps them where they are, with no copy.
//
// Buffers: P = the store's values, G = the store's grads (written, never accumulated: each step overwrites
// them), X = the images (784 floats each), Y = labels, I = the batch's image indices, A = activations (h at 0,
// dL/dh at cap·hidden), O = dL/dlogits (cap·10), then per-sample loss and correct (cap each), then the running
// sums (loss, correct) per stats slot.
export const WGSL = /* wgsl */ `
const IN: u32 = 784u;
const OUT: u32 = 10u;

struct Dims {
  batch: u32, cap: u32, hidden: u32, slot: u32,
  w1: u32, b1: u32, w2: u32, b2: u32,
  gw1: u32, gb1: u32, gw2: u32, gb2: u32,
}

@group(0) @binding(0) var<uniform> d: Dims;
@group(0) @binding(1) var<storage, read> P: array<f32>;
@group(0) @binding(2) var<storage, read_write> G: array<f32>;
@group(0) @binding(3) var<storage, read> X: array<f32>;
@group(0) @binding(4) var<storage, read> Y: array<u32>;
@group(0) @binding(5) var<storage, read> I: array<u32>;
@group(0) @binding(6) var<storage, read_write> A: array<f32>;
@group(0) @binding(7) var<storage, read_write> O: array<f32>;

// h[b, j] = relu(b1[j] + Σ_i x[b, i] W1[i, j])
@compute @workgroup_size(64)
fn forward_hidden(@builtin(global_invocation_id) id: vec3<u32>) {
  let g = id.x;
  if (g >= d.batch * d.hidden) { return; }
  let b = g / d.hidden;
  let j = g % d.hidden;
  let x = I[b] * IN;
  var s = P[d.b1 + j];
  for (var i = 0u; i < IN; i++) { s += X[x + i] * P[d.w1 + i * d.hidden + j]; }
  A[b * d.hidden + j] = max(s, 0.0);
}

// logits, softmax, the sample's loss and hit, and dL/dlogits = (softmax − onehot) / batch
@compute @workgroup_size(64)
fn forward_out(@builtin(global_invocation_id) id: vec3<u32>) {
  let b = id.x;
  if (b >= d.batch) { return; }
  var z: array<f32, 10>;
  var top = -3.4e38;
  var arg = 0u;
  for (var o = 0u; o < OUT; o++) {
    var s = P[d.b2 + o];
    for (var j = 0u; j < d.hidden; j++) { s += A[b * d.hidden + j] * P[d.w2 + j * OUT + o]; }
    z[o] = s;
    if (s > top) { top = s; arg = o; }
  }
  var sum = 0.0;
  for (var o = 0u; o < OUT; o++) { sum += exp(z[o] - top); }
  let y = Y[I[b]];
  for (var o = 0u; o < OUT; o++) {
    O[b * OUT + o] = (exp(z[o] - top) / sum - select(0.0, 1.0, o == y)) / f32(d.batch);
  }
  O[d.cap * OUT + b] = log(sum) - (z[y] - top);
  O[d.cap * (OUT + 1u) + b] = select(0.0, 1.0, arg == y);
}

// dL/dh[b, j] = [h > 0] Σ_o dL/dlogits[b, o] W2[j, o]
@compute @workgroup_size(64)
fn backward_hidden(@builtin(global_invocation_id) id: vec3<u32>) {
  let g = id.x;
  if (g >= d.batch * d.hidden) { return; }
  let b = g / d.hidden;
  let j = g % d.hidden;
  var s = 0.0;
  for (var o = 0u; o < OUT; o++) { s += O[b * OUT + o] * P[d.w2 + j * OUT + o]; }
  A[d.cap * d.hidden + g] = select(0.0, s, A[g] > 0.0);
}

// Every grad element, one invocation each, summed over the batch: W1 (IN·hidden), b1, W2 (hidden·OUT), b2.
@compute @workgroup_size(64)
fn grads(@builtin(global_invocation_id) id: vec3<u32>) {
  let h = d.hidden;
  var g = id.x;
  let dh = d.cap * h;
  if (g < IN * h) {
    let i = g / h;
    let j = g % h;
    var s = 0.0;
    for (var b = 0u; b < d.batch; b++) { s += X[I[b] * IN + i] * A[dh + b * h + j]; }
    G[d.gw1 + g] = s;
    return;
  }
  g -= IN * h;
  if (g < h) {
    var s = 0.0;
    for (var b = 0u; b < d.batch; b++) { s += A[dh + b * h + g]; }
    G[d.gb1 + g] = s;
    return;
  }
  g -= h;
  if (g < h * OUT) {
    let j = g / OUT;
    let o = g % OUT;
    var s = 0.0;
    for (var b = 0u; b < d.batch; b++) { s += A[b * h + j] * O[b * OUT + o]; }
    G[d.gw2 + g] = s;
    return;
  }
  g -= h * OUT;
  if (g < OUT) {
    var s = 0.0;
    for (var b = 0u; b < d.batch; b++) { s += O[b * OUT + g]; }
    G[d.gb2 + g] = s;
  }
}

// Adds the batch's summed loss and hits to its stats slot (one invocation: a few hundred adds).
@compute @workgroup_size(1)
fn stats() {
  let base = d.cap * (OUT + 2u) + 2u * d.slot;
  var loss = 0.0;
  var hits = 0.0;
  for (var b = 0u; b < d.batch; b++) {
    loss += O[d.cap * OUT + b];
    hits += O[d.cap * (OUT + 1u) + b];
  }
  O[base] += loss;
  O[base + 1u] += hits;
}
`;
