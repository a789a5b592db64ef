"""Fixtures for src/distributed: Flower's FedOpt strategies and torch's SGD(nesterov) as DiLoCo's outer step.

FedOpt: the server-side code of flwr/server/strategy (aggregate.py's aggregate_inplace and aggregate,
fedavgm.py, fedopt.py's subclasses fedadagrad.py, fedadam.py, fedyogi.py) transcribed expression by
expression below (flwr is not installable here), run with numpy 2 on float32 arrays. One change: the
server weights are cast to float32 after each round (gradstep's params are f32; Flower's FedAdam
promotes them to f64 through its f64 eta_norm).

DiLoCo: W simulated workers step torch SGD(lr) on given gradients for H steps from the anchor; the
pseudo-gradient anchor - local params is averaged in rank order (f32 sum, then / W) and torch's
SGD(lr=outer_lr, momentum, nesterov=True) steps the anchor.

Writes test/fixtures/distributed.json. Run: /work/pyenv/bin/python scripts/gen-distributed-fixtures.py
"""
import json
from functools import partial, reduce
from pathlib import Path

import numpy as np
import torch


def aggregate_inplace(results):  # flwr aggregate.py, results: [(ndarrays, num_examples)]
    total = sum(n for _, n in results)
    scaling = np.asarray([n / total for _, n in results])

    def _try_inplace(x, y, op):
        return op(x, y, out=x) if np.can_cast(y, x.dtype, casting="same_kind") else op(x, np.array(y, x.dtype), out=x)

    params = [_try_inplace(x.copy(), scaling[0], np.multiply) for x in results[0][0]]
    for i, (ws, _) in enumerate(results[1:], start=1):
        res = (_try_inplace(x.copy(), scaling[i], np.multiply) for x in ws)
        params = [reduce(partial(_try_inplace, op=np.add), layer) for layer in zip(params, res)]
    return params


def aggregate(results):  # flwr aggregate.py
    total = sum(n for _, n in results)
    weighted = [[layer * n for layer in ws] for ws, n in results]
    return [reduce(np.add, layer) / total for layer in zip(*weighted)]


class FedAvgM:
    def __init__(self, init, server_learning_rate=1.0, server_momentum=0.0):
        self.initial = init
        self.lr, self.mu = server_learning_rate, server_momentum
        self.server_opt = self.mu != 0.0 or self.lr != 1.0
        self.momentum_vector = None

    def round(self, server_round, results):
        fedavg_result = aggregate(results)
        if self.server_opt:
            pseudo = [x - y for x, y in zip(self.initial, fedavg_result)]
            if self.mu > 0.0:
                if server_round > 1:
                    self.momentum_vector = [self.mu * x + y for x, y in zip(self.momentum_vector, pseudo)]
                else:
                    self.momentum_vector = pseudo
                pseudo = self.momentum_vector
            fedavg_result = [x - self.lr * y for x, y in zip(self.initial, pseudo)]
            self.initial = fedavg_result
        return fedavg_result


class FedOpt:
    def __init__(self, kind, init, eta, beta_1, beta_2, tau):
        self.kind, self.current = kind, init
        self.eta, self.beta_1, self.beta_2, self.tau = eta, beta_1, beta_2, tau
        self.m_t = self.v_t = None

    def round(self, server_round, results):
        agg = aggregate_inplace(results)
        delta_t = [x - y for x, y in zip(agg, self.current)]
        if not self.m_t:
            self.m_t = [np.zeros_like(x) for x in delta_t]
        self.m_t = [np.multiply(self.beta_1, x) + (1 - self.beta_1) * y for x, y in zip(self.m_t, delta_t)]
        if not self.v_t:
            self.v_t = [np.zeros_like(x) for x in delta_t]
        if self.kind == "FedAdagrad":
            self.v_t = [x + np.multiply(y, y) for x, y in zip(self.v_t, delta_t)]
        elif self.kind == "FedAdam":
            self.v_t = [self.beta_2 * x + (1 - self.beta_2) * np.multiply(y, y) for x, y in zip(self.v_t, delta_t)]
        else:
            self.v_t = [x - (1.0 - self.beta_2) * np.multiply(y, y) * np.sign(x - np.multiply(y, y)) for x, y in zip(self.v_t, delta_t)]
        if self.kind == "FedAdam":
            eta = self.eta * np.sqrt(1 - np.power(self.beta_2, server_round + 1.0)) / (1 - np.power(self.beta_1, server_round + 1.0))
        else:
            eta = self.eta
        new = [x + eta * y / (np.sqrt(z) + self.tau) for x, y, z in zip(self.current, self.m_t, self.v_t)]
        self.current = [w.astype(np.float32) for w in new]  # gradstep: f32 server params
        return self.current


DEFAULTS = {
    "FedAdagrad": dict(eta=1e-1, beta_1=0.0, beta_2=0.0, tau=1e-9),
    "FedAdam": dict(eta=1e-1, beta_1=0.9, beta_2=0.99, tau=1e-9),
    "FedYogi": dict(eta=1e-2, beta_1=0.9, beta_2=0.99, tau=1e-3),
}
CASES = [
    ("FedAvg", {}), ("FedAvgM", {}), ("FedAvgM", {"serverLearningRate": 0.7}),
    ("FedAvgM", {"serverLearningRate": 1.0, "serverMomentum": 0.9}), ("FedAvgM", {"serverLearningRate": 0.5, "serverMomentum": 0.6}),
    ("FedAdagrad", {}), ("FedAdagrad", {"eta": 0.03, "tau": 1e-3}),
    ("FedAdam", {}), ("FedAdam", {"eta": 0.05, "beta1": 0.8, "beta2": 0.95, "tau": 1e-4}),
    ("FedYogi", {}), ("FedYogi", {"eta": 0.1, "beta1": 0.5, "beta2": 0.9, "tau": 1e-2}),
]
NAMES = {"beta1": "beta_1", "beta2": "beta_2", "serverLearningRate": "server_learning_rate", "serverMomentum": "server_momentum"}


def fl(a):
    return [float(x) for x in np.asarray(a, dtype=np.float32).ravel()]


def fedopt_cases(rng):
    out = []
    for ci, (name, opts) in enumerate(CASES):
        shapes, rounds, clients = [5, 19], 4, 3
        init = [rng.standard_normal(n).astype(np.float32) for n in shapes]
        kw = {NAMES.get(k, k): v for k, v in opts.items()}
        if name == "FedAvg":
            strat = None
        elif name == "FedAvgM":
            strat = FedAvgM([x.copy() for x in init], **kw)
        else:
            strat = FedOpt(name, [x.copy() for x in init], **{**DEFAULTS[name], **kw})
        rec = {"name": name, "options": opts, "init": [fl(x) for x in init], "rounds": []}
        server = [x.copy() for x in init]
        for t in range(1, rounds + 1):
            results = [([(s + 0.3 * rng.standard_normal(s.shape)).astype(np.float32) for s in server], int(rng.integers(1, 500)))
                       for _ in range(clients)]
            if strat is None:
                server = aggregate_inplace(results)
            else:
                server = strat.round(t, results)
            server = [np.asarray(w, dtype=np.float32) for w in server]
            rec["rounds"].append({"results": [{"params": [fl(x) for x in ws], "numExamples": n} for ws, n in results],
                                  "expected": [fl(x) for x in server]})
        out.append(rec)
    return out


def diloco_cases(rng):
    out = []
    for world, h, outer_lr, mom, inner_lr, syncs in [(2, 3, 0.7, 0.9, 0.1, 3), (3, 2, 0.5, 0.8, 0.05, 4), (4, 1, 0.7, 0.9, 0.2, 2)]:
        n = 21
        anchor = torch.tensor(rng.standard_normal(n).astype(np.float32))
        grads = [[[rng.standard_normal(n).astype(np.float32) for _ in range(h)] for _ in range(world)] for _ in range(syncs)]
        outer_p = torch.nn.Parameter(anchor.clone())
        outer = torch.optim.SGD([outer_p], lr=outer_lr, momentum=mom, nesterov=True)
        expected = []
        for s in range(syncs):
            deltas = []
            for r in range(world):
                p = torch.nn.Parameter(outer_p.detach().clone())
                inner = torch.optim.SGD([p], lr=inner_lr)
                for k in range(h):
                    p.grad = torch.tensor(grads[s][r][k])
                    inner.step()
                deltas.append(outer_p.detach() - p.detach())
            total = deltas[0].clone()
            for d in deltas[1:]:
                total = total + d
            outer_p.grad = total / world
            outer.step()
            expected.append(fl(outer_p.detach().numpy()))
        out.append({"world": world, "syncEvery": h, "outerLr": outer_lr, "momentum": mom, "innerLr": inner_lr,
                    "init": fl(anchor.numpy()), "grads": [[[fl(g) for g in gr] for gr in gs] for gs in grads], "expected": expected})
    return out


if __name__ == "__main__":
    rng = np.random.default_rng(22)
    data = {"fedopt": fedopt_cases(rng), "diloco": diloco_cases(rng)}
    path = Path(__file__).resolve().parent.parent / "test/fixtures/distributed.json"
    path.write_text(json.dumps(data) + "\n")
    print(f"wrote {path}: {len(data['fedopt'])} FedOpt cases, {len(data['diloco'])} DiLoCo cases")
