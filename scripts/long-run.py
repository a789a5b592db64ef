"""Long runs against PyTorch (a measurement tool, not a test): how far gradstep's L-BFGS and Muon stay within the
conformance tolerance of torch 2.13 over hundreds of closure calls / steps on real (small) problems.
Run from the repository root, then compare with scripts/long-run.ts:

    /path/to/venv/bin/python scripts/long-run.py [out.json]    # torch's runs (default /tmp/gradstep-long-run.json)
    npx tsx scripts/long-run.ts [out.json]                     # gradstep's runs, and the report

Problems, on 64 seeded inputs of 8 features and targets from a seeded teacher (a ReLU MLP) plus noise:
- mlp: a 2-layer ReLU MLP without biases (W1 16×8, W2 4×16), mean squared error (non-convex);
- linear: linear regression W 4×8 on the same data, mean squared error (convex, a quadratic).
Data, teacher and inits are drawn here (torch.Generator, seed 0), rounded to f32 and written to the JSON, so both
sides start from the same bits. Losses and gradients use only +, −, ×, / and max (no transcendental function,
whose last bit could differ between libms), in f64 from the f32 params, in the same order in both scripts
(`mlp` / `linear` here and in long-run.ts): for the same params both closures give the same f32 gradients and
loss bit for bit, so every difference comes from the optimizers.

Runs (L-BFGS recorded at every closure call: the params it was called at; Muon after every step):
- lbfgs-wolfe: LBFGS lineSearchFn "strong_wolfe", historySize 10, 40 steps of maxIter 20;
- lbfgs-wolfe-f64dot: the same, torch's Tensor.dot computed in f64 and rounded to f32 (gradstep's dot kernel);
- lbfgs-wolfe-f64dot-sum: and Tensor.sum (‖g‖₁ of the first step) in f64, as gradstep sums it;
- lbfgs-plain: LBFGS without line search, lr 0.2, historySize 10, 40 steps of maxIter 20 (and -f64dot-sum);
- muon: torch.optim.Muon (lr 0.02, torch's other defaults) with its Newton–Schulz in f32, as the fixtures
  (scripts/muon_ns.py), 400 steps closed loop (each side's gradients from its own params), and the
  gradients torch saw, so long-run.ts also replays them (open loop: the optimizer's own drift alone).
- muon on larger matrices (32×96, 80×40), gradients from an integer hash (no problem, no feedback): the drift
  of the Newton–Schulz GEMMs' summation order alone, over 400 steps.
The control (`nudged`, runs with torch's own reductions): torch's run again from an init whose first element is
one ulp up: how far the problem itself amplifies a last-bit difference.
"""
import json
import sys

import torch
import torch.optim._muon as _muon

from muon_ns import ns_f32  # scripts/ is the script's directory, first on sys.path

N, D, H, O = 64, 8, 16, 4


def data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(N, D, generator=g)
    t1, t2 = torch.randn(H, D, generator=g) / D ** 0.5, torch.randn(O, H, generator=g) / H ** 0.5
    y = torch.relu(x @ t1.T) @ t2.T + 0.1 * torch.randn(N, O, generator=g)
    mlp = [torch.randn(*s, generator=g) * (2.0 / s[1]) ** 0.5 for s in ([H, D], [O, H])]
    linear = [torch.randn(O, D, generator=g) / D ** 0.5]
    flat = lambda ps: [p.flatten().tolist() for p in ps]  # noqa: E731
    return x.flatten().tolist(), y.flatten().tolist(), flat(mlp), flat(linear)


X, Y, INIT_MLP, INIT_LINEAR = data()


def mlp(vals, grads):
    """½·mean_n Σ_o (W2·relu(W1·x_n) − y_n)², gradients into grads (flat, row-major); the order of long-run.ts."""
    w1, w2 = vals
    g1, g2 = grads
    loss = 0.0
    h = [0.0] * H
    r = [0.0] * O
    for n in range(N):
        for j in range(H):
            z = 0.0
            for k in range(D):
                z = z + w1[j * D + k] * X[n * D + k]
            h[j] = z if z > 0 else 0.0
        for o in range(O):
            z = 0.0
            for j in range(H):
                z = z + w2[o * H + j] * h[j]
            r[o] = (z - Y[n * O + o]) / N
            loss = loss + 0.5 * N * (r[o] * r[o])
        for j in range(H):
            back = 0.0
            for o in range(O):
                g2[o * H + j] = g2[o * H + j] + r[o] * h[j]
                back = back + r[o] * w2[o * H + j]
            if h[j] > 0:
                for k in range(D):
                    g1[j * D + k] = g1[j * D + k] + back * X[n * D + k]
    return loss


def linear(vals, grads):
    """½·mean_n Σ_o (W·x_n − y_n)², the gradient into grads[0]; the order of long-run.ts."""
    w, g = vals[0], grads[0]
    loss = 0.0
    for n in range(N):
        for o in range(O):
            z = 0.0
            for k in range(D):
                z = z + w[o * D + k] * X[n * D + k]
            r = (z - Y[n * O + o]) / N
            loss = loss + 0.5 * N * (r * r)
            for k in range(D):
                g[o * D + k] = g[o * D + k] + r * X[n * D + k]
    return loss


PROBLEMS = {"mlp": ([[H, D], [O, H]], INIT_MLP, mlp), "linear": ([[O, D]], INIT_LINEAR, linear)}


def new_params(problem, nudge=False):
    shapes, init, _ = PROBLEMS[problem]
    ps = [torch.tensor(v, dtype=torch.float32).reshape(*s) for v, s in zip(init, shapes)]
    if nudge:  # the control: the first element one ulp up
        ps[0].view(-1)[0] = torch.nextafter(ps[0].view(-1)[0], torch.tensor(float("inf")))
    return [p.requires_grad_() for p in ps]


def closure_for(problem, params, calls, grads_log=None):
    fn = PROBLEMS[problem][2]

    def closure():
        vals = [p.detach().flatten().tolist() for p in params]
        g = [[0.0] * len(v) for v in vals]
        loss = fn(vals, g)
        for p, gv in zip(params, g):
            p.grad = torch.tensor(gv, dtype=torch.float32).reshape(p.shape)
        loss32 = torch.tensor(loss, dtype=torch.float32)
        calls.append(vals)
        if grads_log is not None:
            grads_log.append([p.grad.flatten().tolist() for p in params])
        return loss32
    return closure


WOLFE = {"lineSearchFn": "strong_wolfe", "historySize": 10, "maxIter": 20}
PLAIN = {"lr": 0.2, "historySize": 10, "maxIter": 20}
# (problem, name, options, torch's reductions in f64: None, "dot" or "dot+sum")
LBFGS_RUNS = [
    ("mlp", "lbfgs-wolfe", WOLFE, None),
    ("mlp", "lbfgs-wolfe-f64dot", WOLFE, "dot"),
    ("mlp", "lbfgs-wolfe-f64dot-sum", WOLFE, "dot+sum"),
    ("mlp", "lbfgs-plain", PLAIN, None),
    ("mlp", "lbfgs-plain-f64dot-sum", PLAIN, "dot+sum"),
    ("linear", "lbfgs-wolfe", WOLFE, None),
    ("linear", "lbfgs-wolfe-f64dot-sum", WOLFE, "dot+sum"),
    ("linear", "lbfgs-plain", PLAIN, None),
]
LBFGS_STEPS = 40
TORCH_NAMES = {"lineSearchFn": "line_search_fn", "historySize": "history_size", "maxIter": "max_iter"}
_DOT, _SUM = torch.Tensor.dot, torch.Tensor.sum


def f64_dot(a, b):  # gradstep's lbfgs_dot_f32: f64 sums of the f32 products, rounded to f32
    return _DOT(a.double(), b.double()).float()


def f64_sum(a, *args, **kw):  # ‖g‖₁ of the first step: gradstep sums in f64 (docs/limitations.md)
    return _SUM(a.double(), *args, **kw).float()


def run_lbfgs(problem, options, f64, nudge=False):
    params = new_params(problem, nudge)
    opt = torch.optim.LBFGS(params, **{TORCH_NAMES.get(k, k): v for k, v in options.items()})
    calls, steps = [], []
    closure = closure_for(problem, params, calls)
    if f64:
        torch.Tensor.dot = f64_dot
    if f64 == "dot+sum":
        torch.Tensor.sum = f64_sum
    try:
        for _ in range(LBFGS_STEPS):
            opt.step(closure)
            steps.append(len(calls))
    finally:
        torch.Tensor.dot, torch.Tensor.sum = _DOT, _SUM
    return calls, steps


MUON_OPTIONS = {"lr": 0.02}
MUON_STEPS = 400


def run_muon(problem, nudge=False):
    params = new_params(problem, nudge)
    opt = torch.optim.Muon(params, **MUON_OPTIONS)
    calls, grads, traj = [], [], []
    closure = closure_for(problem, params, calls, grads)
    saved = _muon._zeropower_via_newtonschulz
    _muon._zeropower_via_newtonschulz = ns_f32
    try:
        for _ in range(MUON_STEPS):
            closure()
            opt.step()
            traj.append([p.detach().flatten().tolist() for p in params])
    finally:
        _muon._zeropower_via_newtonschulz = saved
    return traj, grads


# Muon replay on larger matrices (longer GEMM sums: the optimizer's own drift), gradients from an integer hash both
# scripts compute exactly (`synthetic_grad`), trajectory recorded every SYNTH_EVERY steps.
SYNTH_SHAPES = [[32, 96], [80, 40]]
SYNTH_EVERY = 2


def synthetic_grad(i, t, p):
    u = (i * 7919 + t * 104729 + ((i * (t + 1)) % 997) * 31 + p * 65537) % 65536
    return (u - 32768) / 32768


def run_muon_synthetic():
    params = [torch.tensor([((i * 40503) % 65536 - 32768) / 327680 for i in range(s[0] * s[1])], dtype=torch.float32)
              .reshape(*s).requires_grad_() for s in SYNTH_SHAPES]
    init = [p.detach().flatten().tolist() for p in params]
    opt = torch.optim.Muon(params, **MUON_OPTIONS)
    saved = _muon._zeropower_via_newtonschulz
    _muon._zeropower_via_newtonschulz = ns_f32
    traj = []
    try:
        for t in range(MUON_STEPS):
            for k, (p, s) in enumerate(zip(params, SYNTH_SHAPES)):
                p.grad = torch.tensor([synthetic_grad(i, t, k) for i in range(s[0] * s[1])], dtype=torch.float32).reshape(*s)
            opt.step()
            if (t + 1) % SYNTH_EVERY == 0:
                traj.append([p.detach().flatten().tolist() for p in params])
    finally:
        _muon._zeropower_via_newtonschulz = saved
    return {"kind": "muon-synthetic", "problem": "synthetic", "name": "muon", "options": MUON_OPTIONS, "shapes": SYNTH_SHAPES,
            "init": init, "steps": MUON_STEPS, "every": SYNTH_EVERY, "trajectory": traj}


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else "/tmp/gradstep-long-run.json"
    out = {"torch": torch.__version__, "n": N, "d": D, "h": H, "o": O, "x": X, "y": Y,
           "problems": {k: {"shapes": s, "init": i} for k, (s, i, _) in PROBLEMS.items()}, "runs": []}
    for problem, name, options, f64 in LBFGS_RUNS:
        calls, steps = run_lbfgs(problem, options, f64)
        run = {"kind": "lbfgs", "problem": problem, "name": name, "options": options, "f64": f64, "calls": calls, "stepEnds": steps}
        if f64 is None:
            run["nudged"] = run_lbfgs(problem, options, f64, nudge=True)[0]
        out["runs"].append(run)
        print(f"{problem} {name}: {len(calls)} closure calls")
    for problem in PROBLEMS:
        traj, grads = run_muon(problem)
        out["runs"].append({"kind": "muon", "problem": problem, "name": "muon", "options": MUON_OPTIONS, "trajectory": traj,
                            "grads": grads, "nudged": run_muon(problem, nudge=True)[0]})
        print(f"{problem} muon: {MUON_STEPS} steps")
    out["runs"].append(run_muon_synthetic())
    print(f"synthetic muon: {MUON_STEPS} steps")
    with open(out_path, "w") as f:
        json.dump(out, f)
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main()
