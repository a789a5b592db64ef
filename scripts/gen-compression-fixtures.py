"""Fixtures for gradstep/distributed's PowerSGD: torch's own hook on a real gloo group.

Two processes (torch.multiprocessing spawn) join a gloo process group over loopback (127.0.0.1) and train a
DistributedDataParallel model with `powerSGD_hook` registered as its communication hook (one bucket:
bucket_cap_mb = 25). Each rank's gradients are given: the model's loss is sum_p (p * G_p).sum(), so p.grad is
exactly G_p (a seeded float32 draw per rank, step and param). A wrapper around the hook records, per step and
rank: the bucket's params in bucket order, its flat input (the local gradients), its output (the reduced
gradients the hook returns), the error-feedback buffer after the step, and the standard-normal draws the hook
made for Q (torch.randn, recorded as it returns them: gradstep does not reproduce torch's Q initialisation,
np.random.RandomState(0).randint -> torch.manual_seed -> torch.randn; the test feeds these draws through
powerSGD's `initQ`).

Writes test/fixtures/compression.json. Run: /work/pyenv/bin/python scripts/gen-compression-fixtures.py
"""
import json
import os
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.distributed.algorithms.ddp_comm_hooks import powerSGD_hook as psgd
from torch.nn.parallel import DistributedDataParallel as DDP

WORLD = 2
# Registration order; [3, 3] is not worth compressing at rank 1 and rate 2 (9 < 2 * 6), [16, 12] twice
# exercises torch's grouping of same-shape tensors.
SHAPES = [("a", [16, 12]), ("b", [16]), ("c", [8, 16]), ("d", [3, 3]), ("e", [16, 12]), ("f", [5])]
CASES = [
    dict(name="rank1-warm", rank=1, startIter=2, minCompressionRate=2, warmStart=True, steps=6),
    dict(name="rank2-cold", rank=2, startIter=3, minCompressionRate=1, warmStart=False, steps=5),
    dict(name="rank3-warm-qr", rank=3, startIter=2, minCompressionRate=1, warmStart=True, steps=5),
]


def f32(t):
    """A float32 tensor as the shortest decimals that round back to the same float32 (half the JSON)."""
    return [float(str(np.float32(v))) for v in t.flatten().tolist()]


def grads(case_index, rank, step):
    rng = np.random.default_rng([case_index, rank, step])
    return {n: rng.standard_normal(s).astype(np.float32) * np.float32(0.5 + rank) for n, s in SHAPES}


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        for n, s in SHAPES:
            self.register_parameter(n, torch.nn.Parameter(torch.zeros(s)))

    def forward(self, g):
        return sum((getattr(self, n) * g[n]).sum() for n, _ in SHAPES)


def worker(rank, port, out_dir):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=WORLD)
    results = []
    for ci, case in enumerate(CASES):
        torch.manual_seed(0)
        model = DDP(Model(), bucket_cap_mb=25)
        names = {p.data_ptr(): n for n, p in model.module.named_parameters()}
        state = psgd.PowerSGDState(process_group=None, matrix_approximation_rank=case["rank"],
                                   start_powerSGD_iter=case["startIter"], min_compression_rate=case["minCompressionRate"],
                                   warm_start=case["warmStart"], use_error_feedback=True, random_seed=0)
        steps = []
        draws = []
        orig_randn = torch.randn

        def randn(*a, **k):
            t = orig_randn(*a, **k)
            draws.append(f32(t))
            return t

        def hook(st, bucket):
            order = [names[p.data_ptr()] for p in bucket.parameters()]
            inp = bucket.buffer().clone()
            draws.clear()
            psgd.torch.randn = randn
            try:
                fut = psgd.powerSGD_hook(st, bucket)
            finally:
                psgd.torch.randn = orig_randn

            def record(f):
                out = f.value()
                err = st.error_dict.get(bucket.index())
                steps.append(dict(bucket=bucket.index(), order=order, input=f32(inp), output=f32(out),
                                  error=None if err is None else f32(err), qDraws=[x for d in draws for x in d]))
                return out

            return fut.then(record)

        model.register_comm_hook(state, hook)
        for step in range(case["steps"]):
            g = {n: torch.from_numpy(v) for n, v in grads(ci, rank, step).items()}
            model.zero_grad()
            model(g).backward()
        results.append(dict(case=case, steps=steps))
    Path(out_dir, f"rank{rank}.json").write_text(json.dumps(results))
    dist.destroy_process_group()


if __name__ == "__main__":
    import socket
    import tempfile

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as d:
        mp.spawn(worker, args=(port, d), nprocs=WORLD)
        ranks = [json.loads(Path(d, f"rank{r}.json").read_text()) for r in range(WORLD)]
    cases = []
    for ci, case in enumerate(CASES):
        per_rank = [ranks[r][ci]["steps"] for r in range(WORLD)]
        cases.append(dict(**{k: v for k, v in case.items() if k != "steps"}, worldSize=WORLD, shapes=SHAPES, torch=torch.__version__,
                          steps=[dict(order=per_rank[0][t]["order"], ranks=[per_rank[r][t] for r in range(WORLD)])
                                 for t in range(case["steps"])]))
    out = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "compression.json"
    out.write_text(json.dumps(dict(generator="scripts/gen-compression-fixtures.py", cases=cases)) + "\n")
    print("wrote", out)
