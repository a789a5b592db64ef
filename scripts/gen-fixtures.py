"""Generates test/fixtures/pytorch.json: PyTorch's own float32 trajectories for every torch fixture case of the
registry (test/fixtures/cases.json). Run with a venv that has torch (docs/correctness.md):

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install torch && /tmp/venv/bin/python scripts/gen-fixtures.py

Each case has two params: the 4-element test vector of docs/correctness.md (theta0 = [1, -2, 0.5, 3], gradients cycling
through G) and a 37-element seeded random vector (SIMD main loop + tail), with ~10 % zero gradients and an
all-zero gradient on step 5. Steps use foreach=False (PyTorch's reference for-loop path). Where a case has
`lr_schedule`, the group's lr is set to that value before each step (the way a scheduler edits it).
"""
import functools
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
# them from the integer step in f64 once per step (docs/correctness.md: no running products rebuilt on load), so its
# state dicts hold only `step` and the buffers, and the fixtures leave these keys out.
SCALAR_STATE = {"mu_product", "eta", "mu"}

# The case list comes from the registry (test/optim/<id>.cases.ts, written to cases.json by
# `npx tsx scripts/fixture-cases.ts`); this script only runs the torch ones.
with open("test/fixtures/cases.json") as f:
    CASES = [(c["optimizer"], c["options"], c.get("lrSchedule")) for c in json.load(f)["cases"] if c["reference"] == "torch"]
# Cases with `shapes` (2-D optimizers: Muon) run on their own params of those shapes (run_shaped, below).
with open("test/fixtures/cases.json") as f:
    SHAPED_CASES = [c for c in json.load(f)["cases"] if c["reference"] == "torch" and c.get("shapes")]
CASES = [c for c in CASES if [c[0], c[1], c[2]] not in [[s["optimizer"], s["options"], s.get("lrSchedule")] for s in SHAPED_CASES]]


# ---- LBFGS (test/fixtures/lbfgs.json) ----------------------------------------------------------------------------
# Closure-kind cases carry a `problem` (test/optim/lbfgs.cases.ts): torch.optim.LBFGS steps `steps` times with a
# closure that evaluates the problem in Python floats in the same order as the TS problem (so both closures give
# the same f32 gradients and loss for the same params), writes the gradients as float32 and returns the f32 loss.
# Recorded per step: the loss step() returns and the params; at the end func_evals and n_iter.
# Run only this section: python scripts/gen-fixtures.py lbfgs
CASES = [c for c in CASES if c[0] != "LBFGS"]


def gen_lbfgs():
    import sys as _sys
    with open("test/fixtures/cases.json") as f:
        cases = [c for c in json.load(f)["cases"] if c.get("problem")]

    def rosenbrock(vals, grads):
        x = vals[0] + vals[1]
        g = [0.0] * len(x)
        loss = 0.0
        for i in range(len(x) - 1):
            a, b = x[i], x[i + 1]
            r, s_ = b - a * a, 1 - a
            loss = loss + (100 * (r * r) + s_ * s_)
            g[i] = g[i] + (-400 * a * r - 2 * s_)
            g[i + 1] = g[i + 1] + 200 * r
        grads[0][:] = g[:4]
        grads[1][:] = g[4:]
        return loss

    M, K = 12, 5
    A = [[(((r * 7 + c * 3) % 11) - 5) / 4 for c in range(K)] for r in range(M)]
    Y = [(((r * 5) % 9) - 4) / 3 for r in range(M)]

    def lstsq(vals, grads):
        w, bias = vals[0], vals[1][0]
        gw = [0.0] * K
        gb, loss = 0.0, 0.0
        for r in range(M):
            z = 0.0
            for c in range(K):
                z = z + A[r][c] * w[c]
            res = z + bias - Y[r]
            loss = loss + 0.5 * (res * res)
            for c in range(K):
                gw[c] = gw[c] + res * A[r][c]
            gb = gb + res
        grads[0][:] = gw
        grads[1][:] = [gb]
        return loss

    QA, QB, QC, QD = 0.2178, -0.5518, -1.6125, -1.1843

    def quartic(vals, grads):
        w = vals[0]
        loss = 0.0
        g = [0.0] * len(w)
        for i in range(len(w)):
            x = w[i] * (i + 1)
            x2 = x * x
            x3, x4 = x2 * x, x2 * x2
            loss = loss + (((QA * x4 + QB * x3) + QC * x2) + QD * x)
            g[i] = (i + 1) * (((4 * QA * x3 + 3 * QB * x2) + 2 * QC * x) + QD)
        grads[0][:] = g
        return loss

    problems = {
        "quartic": ([[-0.6775, -0.33875]], quartic),
        "rosenbrock": ([[-0.5, 0.3, 0.2, 0.1], [0.3, 0.4, 0.5]], rosenbrock),
        "lstsq": ([[0.5, -0.25, 0.75, 0, -0.5], [0.1]], lstsq),
    }
    names = {"maxIter": "max_iter", "maxEval": "max_eval", "toleranceGrad": "tolerance_grad",
             "toleranceChange": "tolerance_change", "historySize": "history_size", "lineSearchFn": "line_search_fn"}
    out = []
    for c in cases:
        init, fn = problems[c["problem"]]
        params = [torch.tensor(v, dtype=torch.float32, requires_grad=True) for v in init]
        opt = torch.optim.LBFGS(params, **{names.get(k, k): v for k, v in c["options"].items()})

        def closure():
            opt.zero_grad()
            vals = [p.detach().tolist() for p in params]
            grads = [[0.0] * len(v) for v in vals]
            loss = fn(vals, grads)
            for p, g in zip(params, grads):
                p.grad = torch.tensor(g, dtype=torch.float32)
            return torch.tensor(loss, dtype=torch.float32)

        losses, traj = [], []
        for _ in range(c["steps"]):
            losses.append(float(opt.step(closure)))
            traj.append([p.detach().tolist() for p in params])
        st = opt.state[params[0]]
        out.append({**c, "losses": losses, "trajectory": traj, "state": {"func_evals": st["func_evals"], "n_iter": st["n_iter"]}})
    with open("test/fixtures/lbfgs.json", "w") as f:
        json.dump({"generator": "scripts/gen-fixtures.py", "torch": torch.__version__, "dtype": "float32", "cases": out}, f)
    print(f"wrote {len(out)} LBFGS cases")
    if _sys.argv[1:] == ["lbfgs"]:
        _sys.exit(0)


gen_lbfgs()


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

# ---- shaped cases (Muon, Adafactor) ------------------------------------------------------------------------------
# A case with `shapes` runs on its own params of those shapes (`zeroInit` ones start at zero): seeded values (randn · 0.5) and gradients (randn,
# ~10 % zeros, all zero on step 5), written into the case as `init` and `grads`; every float of these cases with
# 9 significant digits (every f32 reads back exactly). torch.optim.Muon casts the Newton–Schulz iterate to
# bfloat16; gradstep iterates in f32, so the trajectory is made with that cast replaced by float32 (scripts/muon_ns.py:
# torch 2.13's _zeropower_via_newtonschulz with `grad.bfloat16()` as `grad.float().clone()`), and torch's
# own bf16 run is kept beside it as `bf16Trajectory` (test/muon.test.ts bounds gradstep's distance to it).
import functools  # noqa: E402
import inspect  # noqa: E402
import math  # noqa: E402
import torch.optim._muon as _muon  # noqa: E402
from muon_ns import ns_f32  # noqa: E402 (scripts/ is the script's directory, first on sys.path)

_NS_BF16 = _muon._zeropower_via_newtonschulz


SHAPED_NAMES = {"nsCoefficients": "ns_coefficients", "nsSteps": "ns_steps", "adjustLrFn": "adjust_lr_fn", "beta2Decay": "beta2_decay"}


def f9(xs):
    return [float(f"{x:.9g}") for x in xs]


def shaped_data(shapes, zero_init=()):
    # Any number of dims (Adafactor: 1-D, 2-D, 3-D); the seed of a 2-D shape [r, c] is r·31 + c, as it always was.
    g = torch.Generator().manual_seed(sum(functools.reduce(lambda a, d: a * 31 + d, s, 0) for s in shapes))
    init = [(torch.randn(*s, generator=g) * 0.5).flatten().tolist() for s in shapes]
    init = [[0.0] * len(v) if i in zero_init else v for i, v in enumerate(init)]  # a case's `zeroInit`
    grads = []
    for t in range(STEPS):
        step = []
        for s in shapes:
            n = math.prod(s)
            x = torch.randn(n, generator=g)
            x[torch.rand(n, generator=g) < 0.1] = 0.0
            step.append((x * 0 if t == 4 else x).tolist())
        grads.append(step)
    return [f9(v) for v in init], [[f9(v) for v in step] for step in grads]


def run_shaped(case, ns):
    name, opts, schedule, shapes = case["optimizer"], case["options"], case.get("lrSchedule"), case["shapes"]
    init, grads = shaped_data(shapes, case.get("zeroInit") or ())
    cls = getattr(torch.optim, name)
    kw = {SHAPED_NAMES.get(k, k): v for k, v in torch_kwargs(opts).items()}
    for k in ("ns_coefficients", "eps"):  # tuples in torch (Adafactor's eps: (eps1 or None, eps2))
        if isinstance(kw.get(k), list):
            kw[k] = tuple(kw[k])
    if "foreach" not in inspect.signature(cls.__init__).parameters:
        del kw["foreach"]
    ps = [torch.tensor(v, dtype=torch.float32).reshape(*s).requires_grad_() for v, s in zip(init, shapes)]
    opt = cls(ps, **kw)
    _muon._zeropower_via_newtonschulz = ns
    traj = []
    try:
        for t in range(STEPS):
            if schedule:
                opt.param_groups[0]["lr"] = schedule[t]
            for p, gv, s in zip(ps, grads[t], shapes):
                p.grad = torch.tensor(gv, dtype=torch.float32).reshape(*s)
            opt.step()
            traj.append([f9(p.detach().flatten().tolist()) for p in ps])
    finally:
        _muon._zeropower_via_newtonschulz = _NS_BF16
    state = [{k: (float(v.item()) if k == "step" else f9(v.detach().flatten().tolist())) for k, v in opt.state[p].items()
              if k not in SCALAR_STATE} for p in ps]
    return init, grads, traj, state


for case in SHAPED_CASES:
    init, grads, traj, state = run_shaped(case, ns_f32)
    shaped = {"optimizer": case["optimizer"], "options": case["options"], "lrSchedule": case.get("lrSchedule"),
              "shapes": case["shapes"], "init": init, "grads": grads, "trajectory": traj, "state": state}
    if case["optimizer"] == "Muon":  # torch's own bf16 Newton–Schulz beside the f32 one
        shaped["bf16Trajectory"] = run_shaped(case, _NS_BF16)[2]
    cases.append(shaped)

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

# ---- Optax ---------------------------------------------------------------------------------------------------
# The `reference: "optax"` cases: Optax 0.2.8 on jax in float32 (x64 off), the same two params and gradient
# sequences as the torch cases, written to test/fixtures/optax.json in the same case format. Options not given
# in a case take gradstep's defaults (OPTAX_DEFAULTS, from the specs through cases.json). gradstep's `maximize` (Optax
# has none) is fed to Optax as the negated gradient. An `lr_schedule` becomes a learning-rate schedule indexed
# by Optax's step count (the lr in effect at step t). State: Optax's leaves under gradstep's names (OPTAX_STATE,
# documented in each src/optim/<id>.ts), `count` as `step`.
import jax

jax.config.update("jax_enable_x64", False)
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402
import optax.contrib  # noqa: E402


def _lr(o, schedule):
    if schedule:
        table = jnp.asarray(schedule, dtype=jnp.float32)
        return lambda count: table[count]
    return o["lr"]


def adabelief(lr, o):
    """optax.adabelief; with a weight decay, the chain of google-deepmind/optax 68fba22 (after 0.2.8, whose
    adabelief has no weight_decay): scale_by_belief, add_decayed_weights, scale_by_learning_rate."""
    belief = dict(b1=o["betas"][0], b2=o["betas"][1], eps=o["eps"], eps_root=o["epsRoot"])
    if not o["weightDecay"]:
        return optax.adabelief(lr, **belief)
    return optax.chain(optax.scale_by_belief(**belief), optax.add_decayed_weights(o["weightDecay"]),
                       optax.scale_by_learning_rate(lr))


# gradstep's defaults, from the specs (scripts/fixture-cases.ts writes them into cases.json); integers as
# floats, as Optax would be given them by hand (2 ** weightLrPower is a float power).
with open("test/fixtures/cases.json") as f:
    OPTAX_DEFAULTS = {name: {k: float(v) if type(v) is int else v for k, v in d.items()}
                      for name, d in json.load(f)["defaults"].items()}
OPTAX_BUILD = {
    "Lion": lambda o, lr: optax.lion(lr, b1=o["betas"][0], b2=o["betas"][1], weight_decay=o["weightDecay"]),
    "AdaBelief": lambda o, lr: adabelief(lr, o),
    "Yogi": lambda o, lr: optax.yogi(lr, b1=o["betas"][0], b2=o["betas"][1], eps=o["eps"]),
    "Adan": lambda o, lr: optax.adan(lr, b1=o["betas"][0], b2=o["betas"][1], b3=o["betas"][2], eps=o["eps"],
                                     eps_root=o["epsRoot"], weight_decay=o["weightDecay"]),
    "AdEMAMix": lambda o, lr: optax.contrib.ademamix(lr, b1=o["betas"][0], b2=o["betas"][1], b3=o["betas"][2],
                                                      alpha=o["alpha"], eps=o["eps"], weight_decay=o["weightDecay"]),
    # ScheduleFreeAdamW: gradstep's warmupSteps 0 is Optax's None (Optax's warmup_steps=0 would hold the lr at 0).
    "ScheduleFreeAdamW": lambda o, lr: optax.contrib.schedule_free_adamw(
        lr, warmup_steps=o["warmupSteps"] or None, b1=o["betas"][0], b2=o["betas"][1], eps=o["eps"],
        weight_decay=o["weightDecay"], weight_lr_power=o["weightLrPower"]),
    # ScheduleFreeSGD: weightDecay 0 is Optax's None (no add_decayed_weights in the chain).
    "ScheduleFreeSGD": lambda o, lr: optax.contrib.schedule_free_sgd(
        lr, warmup_steps=o["warmupSteps"] or None, b1=o["momentum"], weight_decay=o["weightDecay"] or None,
        weight_lr_power=o["weightLrPower"]),
    "LAMB": lambda o, lr: optax.lamb(lr, b1=o["betas"][0], b2=o["betas"][1], eps=o["eps"], eps_root=o["epsRoot"],
                                     weight_decay=o["weightDecay"]),
    "LARS": lambda o, lr: optax.lars(lr, weight_decay=o["weightDecay"], trust_coefficient=o["trustCoefficient"], eps=o["eps"],
                                     momentum=o["momentum"], nesterov=o["nesterov"]),
    # Prodigy: gradstep's beta3 null is Optax's None (√β2).
    "Prodigy": lambda o, lr: optax.contrib.prodigy(lr, betas=tuple(o["betas"]), beta3=o["beta3"], eps=o["eps"],
                                                   estim_lr0=o["estimLr0"], estim_lr_coef=o["estimLrCoef"],
                                                   weight_decay=o["weightDecay"], safeguard_warmup=o["safeguardWarmup"]),
}
# Per optimizer: the state of its first chain element (or of the whole transformation) -> gradstep's names.
OPTAX_STATE = {
    "Lion": {"count": "step", "mu": "exp_avg"},
    "AdaBelief": {"count": "step", "mu": "exp_avg", "nu": "exp_avg_var"},
    "Yogi": {"count": "step", "mu": "exp_avg", "nu": "exp_avg_sq"},
    "Adan": {"t": "step", "m": "exp_avg", "v": "exp_avg_diff", "n": "exp_avg_sq", "g": "prev_grad"},
    "AdEMAMix": {"count": "step", "m1": "exp_avg_fast", "m2": "exp_avg_slow", "nu": "exp_avg_sq"},
    # ScheduleFreeAdamW: schedule_free's own step_count starts at 1; the base optimizer's count is gradstep's step.
    "ScheduleFreeAdamW": [{"z": "z", "step_count": None}, {"count": "step", "nu": "exp_avg_sq"}],
    # ScheduleFreeSGD: the base SGD keeps no count; gradstep's step is schedule_free's step_count - 1.
    "ScheduleFreeSGD": {"z": "z", "step_count": ("step", -1)},
    "LAMB": {"count": "step", "mu": "exp_avg", "nu": "exp_avg_sq"},
    "LARS": {"trace": "trace"},
    "Prodigy": {"count": "step", "exp_avg": "exp_avg", "exp_avg_sq": "exp_avg_sq", "grad_sum": "grad_sum",
                "params0": "params0"},
}
# Optimizer-wide scalar leaves (the state dict's `global`, same names), per optimizer whose step has global reductions.
OPTAX_GLOBAL = {"Prodigy": ["estim_lr", "numerator_weighted"]}


def _option(o, path):
    """A gradstep option by its path in an OptaxCall (`"betas.1"`: an element of an array option)."""
    for k in path.split("."):
        o = o[int(k)] if k.isdigit() else o[k]
    return o


# The Optax calls the cases files declare (`optax`: test/optim/types.ts OptaxCall), for the optimizers that are
# one Optax function of gradstep's options; OPTAX_BUILD and OPTAX_STATE above hold the others.
with open("test/fixtures/cases.json") as f:
    for _name, _call in json.load(f)["optax"].items():
        OPTAX_BUILD[_name] = (lambda fn, args: lambda o, lr: fn(lr, **{k: _option(o, p) for k, p in args.items()}))(
            functools.reduce(getattr, _call["fn"].split("."), optax), _call["args"])
        OPTAX_STATE[_name] = _call["state"]


def _first_state(state, fields):
    """The NamedTuple in `state` (a chain's tuple, possibly nested) that has all of `fields`."""
    if hasattr(state, "_fields") and all(f in state._fields for f in fields):
        return state
    if isinstance(state, tuple):
        for s in state:
            found = _first_state(s, fields)
            if found is not None:
                return found
    return None


OPTAX_GLOBALS = {}  # cases with global state: its values after the last step (`global`)
OPTAX_EVAL = {}  # schedule-free cases: the params eval() must give after the last step (`evalParams`)


def run_optax(name, opts, schedule, zero_init=()):
    o = {**OPTAX_DEFAULTS[name], **opts}
    tx = OPTAX_BUILD[name](o, _lr(o, schedule))
    params = [jnp.asarray(INIT1, dtype=jnp.float32), jnp.asarray(INIT2, dtype=jnp.float32)]
    params = [jnp.zeros_like(p) if i in zero_init else p for i, p in enumerate(params)]  # a case's `zeroInit`
    state = tx.init(params)
    sign = -1.0 if o.get("maximize") else 1.0
    traj = []
    for t in range(STEPS):
        grads = [sign * jnp.asarray(GRADS1[t], dtype=jnp.float32), sign * jnp.asarray(GRADS2[t], dtype=jnp.float32)]
        updates, state = tx.update(grads, state, params)
        params = optax.apply_updates(params, updates)
        traj.append([[float(x) for x in p.tolist()] for p in params])
    tables = OPTAX_STATE[name] if isinstance(OPTAX_STATE[name], list) else [OPTAX_STATE[name]]
    out_state = [{}, {}]
    for names in tables:
        st = _first_state(state, [k for k in names])
        for i in range(2):
            for field, ours in names.items():
                if ours is None:
                    continue
                leaf = getattr(st, field)
                if isinstance(ours, tuple):  # (gradstep's name, offset): a count kept from another origin
                    out_state[i][ours[0]] = float(leaf) + ours[1]
                    continue
                out_state[i][ours] = float(leaf) if ours == "step" else [float(x) for x in jnp.ravel(leaf[i]).tolist()]
    if name in OPTAX_GLOBAL:
        st = _first_state(state, OPTAX_GLOBAL[name])
        OPTAX_GLOBALS[json.dumps([name, opts, schedule])] = {k: float(getattr(st, k)) for k in OPTAX_GLOBAL[name]}
    if name.startswith("ScheduleFree"):  # what eval() must give after the last step
        x = optax.contrib.schedule_free_eval_params(state, params)
        OPTAX_EVAL[json.dumps([name, opts])] = [[float(v) for v in p.tolist()] for p in x]
    return traj, out_state


INIT1 = [1.0, -2.0, 0.5, 3.0]
with open("test/fixtures/cases.json") as f:
    OPTAX_CASES = [(c["optimizer"], c["options"], c.get("lrSchedule"), c.get("zeroInit")) for c in json.load(f)["cases"] if c["reference"] == "optax"]
optax_cases = []
for name, opts, schedule, zero_init in OPTAX_CASES:
    traj, state = run_optax(name, opts, schedule, zero_init or ())
    case = {"optimizer": name, "options": opts, "lrSchedule": schedule, "trajectory": traj, "state": state}
    if zero_init:  # params listed in `zeroInit` start at zero: the case carries its own init
        case["zeroInit"] = zero_init
        case["init"] = [[0.0] * len(p) if i in zero_init else p for i, p in enumerate(out["init"])]
    optax_cases.append(case)
for case in optax_cases:
    if json.dumps([case["optimizer"], case["options"], case["lrSchedule"]]) in OPTAX_GLOBALS:
        case["global"] = OPTAX_GLOBALS[json.dumps([case["optimizer"], case["options"], case["lrSchedule"]])]
    if json.dumps([case["optimizer"], case["options"]]) in OPTAX_EVAL:
        case["evalParams"] = OPTAX_EVAL[json.dumps([case["optimizer"], case["options"]])]
optax_out = {
    "generator": "scripts/gen-fixtures.py",
    "optax": optax.__version__,
    "jax": jax.__version__,
    "dtype": "float32",
    "init": out["init"],
    "grads": out["grads"],
    "cases": optax_cases,
}
with open("test/fixtures/optax.json", "w") as f:
    json.dump(optax_out, f)
print(f"wrote {len(optax_cases)} optax cases, optax {optax.__version__}, jax {jax.__version__}")

# ---- Lookahead (test/fixtures/lookahead.json) ------------------------------------------------------------------
# Lookahead is a wrapper, not a registry optimizer, so its cases live here (test/lookahead.test.ts reads them from
# the JSON): optax.lookahead around optax.adam / optax.sgd, float32, the same two params and gradients as above,
# params as LookaheadParams.init_synced. Each step records Optax's fast params (gradstep's params) and slow params.
LOOKAHEAD_CASES = [
    {"inner": "Adam", "innerOptions": {"lr": 0.05}, "syncPeriod": 6, "slowStepSize": 0.5},
    {"inner": "Adam", "innerOptions": {"lr": 0.05, "betas": [0.8, 0.9], "eps": 1e-6}, "syncPeriod": 3, "slowStepSize": 0.8},
    {"inner": "SGD", "innerOptions": {"lr": 0.1, "momentum": 0.9}, "syncPeriod": 6, "slowStepSize": 0.5},
    {"inner": "SGD", "innerOptions": {"lr": 0.1, "momentum": 0.9, "nesterov": True}, "syncPeriod": 4, "slowStepSize": 0.3},
    {"inner": "SGD", "innerOptions": {"lr": 0.1}, "syncPeriod": 1, "slowStepSize": 0.25},
]


def lookahead_inner(c):
    o = c["innerOptions"]
    if c["inner"] == "Adam":
        b = o.get("betas", [0.9, 0.999])
        return optax.adam(o["lr"], b1=b[0], b2=b[1], eps=o.get("eps", 1e-8))
    m = o.get("momentum", 0.0)
    return optax.sgd(o["lr"], momentum=m if m else None, nesterov=o.get("nesterov", False))


def run_lookahead(c):
    tx = optax.lookahead(lookahead_inner(c), sync_period=c["syncPeriod"], slow_step_size=c["slowStepSize"])
    params = optax.LookaheadParams.init_synced([jnp.asarray(INIT1, dtype=jnp.float32), jnp.asarray(INIT2, dtype=jnp.float32)])
    state = tx.init(params)
    fast, slow = [], []
    for t in range(STEPS):
        grads = [jnp.asarray(GRADS1[t], dtype=jnp.float32), jnp.asarray(GRADS2[t], dtype=jnp.float32)]
        updates, state = tx.update(grads, state, params)
        params = optax.apply_updates(params, updates)
        fast.append([[float(x) for x in p.tolist()] for p in params.fast])
        slow.append([[float(x) for x in p.tolist()] for p in params.slow])
    return fast, slow


lookahead_out = {"generator": "scripts/gen-fixtures.py", "optax": optax.__version__, "jax": jax.__version__, "dtype": "float32",
                 "init": out["init"], "grads": out["grads"], "cases": []}
for c in LOOKAHEAD_CASES:
    fast, slow = run_lookahead(c)
    lookahead_out["cases"].append({**c, "fast": fast, "slow": slow})
with open("test/fixtures/lookahead.json", "w") as f:
    json.dump(lookahead_out, f)
print(f"wrote {len(lookahead_out['cases'])} lookahead cases")
