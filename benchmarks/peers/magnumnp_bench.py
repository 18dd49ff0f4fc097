"""Time magnum.np (PyTorch, CPU) on the problems spintorque benchmarks, print JSON.

Run with an interpreter where ``pip install torch==2.13.0 magnumnp`` was done (kept out of
spintorque's own environment on purpose: a peer is for comparison only):

    PEER/bin/python benchmarks/peers/magnumnp_bench.py field 100 25 1
    PEER/bin/python benchmarks/peers/magnumnp_bench.py sp4

``field NX NY NZ``: ms per full effective-field evaluation (demag, exchange, uniaxial anisotropy,
Zeeman), best of repeats after warm-up. ``sp4``: muMAG SP4 field 1 at 5 nm cells, relax then 1 ns,
wall times (the caller measures the whole process including import and start-up).
"""

from __future__ import annotations

import json
import sys
import time

T_START = time.perf_counter()

import torch  # noqa: E402

torch.set_default_dtype(torch.float64)
torch.set_num_threads(2)

import magnumnp as mnp  # noqa: E402
from magnumnp import constants  # noqa: E402


def field(nx: int, ny: int, nz: int, repeats: int = 20) -> dict:
    mesh = mnp.Mesh((nx, ny, nz), (4e-9, 4e-9, 4e-9))
    state = mnp.State(mesh)
    state.material = {"Ms": 8e5, "A": 1.3e-11, "Ku": 500.0,
                      "Ku_axis": state.Constant([1.0, 0.0, 0.0]), "alpha": 0.02}
    state.m = state.Constant([0, 0, 0])
    state.m[..., 0] = 1.0
    state.m[..., 1] = torch.rand(nx, ny, nz) * 0.2
    mnp.normalize(state.m)
    terms = [mnp.DemagField(), mnp.ExchangeField(), mnp.UniaxialAnisotropyField(),
             mnp.ExternalField([1e4, 0.0, 0.0])]
    for _ in range(3):
        sum(t.h(state) for t in terms)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        sum(t.h(state) for t in terms)
        best = min(best, time.perf_counter() - t0)
    return {"grid": [nx, ny, nz], "ms_per_field": best * 1e3}


def sp4() -> dict:
    t_import = time.perf_counter() - T_START
    mesh = mnp.Mesh((100, 25, 1), (5e-9, 5e-9, 3e-9))
    state = mnp.State(mesh)
    state.material = {"Ms": 8e5, "A": 1.3e-11, "alpha": 0.02}
    state.m = state.Constant([0, 0, 0])
    state.m[..., 0] = 1.0
    state.m[..., 1] = 0.25
    state.m[..., 2] = 0.1
    mnp.normalize(state.m)
    demag, exchange = mnp.DemagField(), mnp.ExchangeField()
    t0 = time.perf_counter()
    mnp.LLGSolver([demag, exchange]).relax(state)
    t_relax = time.perf_counter() - t0
    relaxed = state.m.mean(dim=(0, 1, 2)).tolist()
    external = mnp.ExternalField([-24.6e-3 / constants.mu_0, 4.3e-3 / constants.mu_0, 0.0])
    llg = mnp.LLGSolver([demag, exchange, external])
    t0 = time.perf_counter()
    while state.t < 1e-9 - 1e-15:
        llg.step(state, 1e-12)
    t_run = time.perf_counter() - t0
    return {"import_s": t_import, "relax_s": t_relax, "run_s": t_run, "relaxed_m": relaxed,
            "final_m": state.m.mean(dim=(0, 1, 2)).tolist()}


if __name__ == "__main__":
    mnp.logging.set_log_level(40) if hasattr(mnp.logging, "set_log_level") else None
    if sys.argv[1] == "field":
        print(json.dumps(field(*(int(v) for v in sys.argv[2:5]))))
    else:
        print(json.dumps(sp4()))
