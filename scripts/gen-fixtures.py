"""Generates test/fixtures/pytorch.json: PyTorch's own float32 trajectories for every torch fixture case of the
registry (test/fixtures/cases.json). Run with a venv that has torch (see README, "PyTorch fixtures"):

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install torch && /tmp/venv/bin/python scripts/gen-fixtures.py

Each case has two params: the 4-element vector of SEMANTICS.md (theta0 = [1, -2, 0.5, 3], gradients cycling
through G) and a 37-element seeded random vector (SIMD main loop + tail), with ~10 % zero gradients and an
all-zero gradient on step 5. Steps use foreach=False (PyTorch's reference for-loop path). Where a case has
`lr_schedule`, the group's lr is set to that value before each step (the way a scheduler edits it).
"""
import json
import torch

torch.manual_seed(0)
STEPS = 10
G = [[0.5, -1.0, 2.0, -0.25], [0.4, -0.5, -1.0, 0.75], [-0.3, 0.8, 1.5, -0.5]]

N2 = 37
INIT2 = (torch.randn(N2) * 0.5).tolist()
GRADS2 = []
for t in range(STEPS):
    g = torch.randn(N2)
    g[torch.rand(N2) < 0.1] = 0.0
    if t == 4:
        g.zero_()
    GRADS2.append(g.tolist())
GRADS1 = [G[t % 3] for t in range(STEPS)]

TORCH_NAMES = {
    "weightDecay": "weight_decay", "decoupledWeightDecay": "decoupled_weight_decay", "lrDecay": "lr_decay",
    "initialAccumulatorValue": "initial_accumulator_value",
    "momentumDecay": "momentum_decay", "stepSizes": "step_sizes",
}
TUPLES = ("betas", "etas", "stepSizes")
# Per-param scalar state torch keeps as 0-d tensors (NAdam's mu_product, ASGD's eta and mu): gradstep derives
# them from the integer step in f64 once per step (STYLE.md: no running products rebuilt on load), so its
# state dicts hold only `step` and the buffers, and the fixtures leave these keys out.
SCALAR_STATE = {"mu_product", "eta", "mu"}

# The case list comes from the registry (test/optim/<id>.cases.ts, written to cases.json by
# `npx tsx scripts/fixture-cases.ts`); this script only runs the torch ones.
with open("test/fixtures/cases.json") as f:
    CASES = [(c["optimizer"], c["options"], c.get("lrSchedule")) for c in json.load(f)["cases"] if c["reference"] == "torch"]


def torch_kwargs(opts):
    kw = {TORCH_NAMES.get(k, k): (tuple(v) if k in TUPLES else v) for k, v in opts.items()}
    kw["foreach"] = False
    return kw


def run(name, opts, schedule):
    p1 = torch.tensor([1.0, -2.0, 0.5, 3.0], dtype=torch.float32, requires_grad=True)
    p2 = torch.tensor(INIT2, dtype=torch.float32, requires_grad=True)
    opt = getattr(torch.optim, name)([p1, p2], **torch_kwargs(opts))
    traj = []
    for t in range(STEPS):
        if schedule:
            opt.param_groups[0]["lr"] = schedule[t]
        p1.grad = torch.tensor(GRADS1[t], dtype=torch.float32)
        p2.grad = torch.tensor(GRADS2[t], dtype=torch.float32)
        opt.step()
        traj.append([p1.detach().tolist(), p2.detach().tolist()])
    state = []
    for p in (p1, p2):
        st = opt.state[p]
        state.append({k: (float(v.item()) if k == "step" else v.detach().tolist()) for k, v in st.items() if k not in SCALAR_STATE})
    return traj, state


cases = []
for case in CASES:
    name, opts = case[0], case[1]
    schedule = case[2]
    traj, state = run(name, opts, schedule)
    cases.append({"optimizer": name, "options": opts, "lrSchedule": schedule, "trajectory": traj, "state": state})

out = {
    "generator": "scripts/gen-fixtures.py",
    "torch": torch.__version__,
    "dtype": "float32",
    "init": [[1.0, -2.0, 0.5, 3.0], [float(x) for x in torch.tensor(INIT2, dtype=torch.float32).tolist()]],
    "grads": [[GRADS1[t], [float(x) for x in torch.tensor(GRADS2[t], dtype=torch.float32).tolist()]] for t in range(STEPS)],
    "cases": cases,
}
with open("test/fixtures/pytorch.json", "w") as f:
    json.dump(out, f)
print(f"wrote {len(cases)} cases, torch {torch.__version__}")
